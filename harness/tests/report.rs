//! Reports: JUnit XML (parsed back), JSON, transcript files, Mermaid, and snapshots.
#![allow(clippy::unwrap_used)]

#[path = "all/support/mod.rs"]
mod support;

use provlab_harness::scenario::FaultClass;
use std::path::Path;

use provlab_harness::backend::{Capabilities, Capability};
use provlab_harness::loader::load_file;
use provlab_harness::report::json::json_string;
use provlab_harness::report::junit::junit_xml;
use provlab_harness::report::transcripts::write_transcripts;
use provlab_harness::report::{ExitStatus, Summary};
use provlab_harness::runner::{run_with, RunOptions, ScenarioResult};
use provlab_harness::scenario::CommandStatus::*;
use provlab_harness::{Entry, EntryKind, Lane};
use quick_xml::events::Event;
use quick_xml::Reader;

use support::{failure_mid_queue, MockBackend, ALL_GOOD};

const FILE: &str = "tests/data/failure-mid-queue.toml";

/// 1-based line of the first line of the scenario file starting with `prefix`.
fn line_of(prefix: &str) -> usize {
    let source = std::fs::read_to_string(FILE).unwrap();
    source.lines().position(|l| l.starts_with(prefix)).unwrap() + 1
}

fn commands_line() -> usize {
    line_of("commands = [\"SUCCEEDED\", \"SKIPPED\"")
}

fn run(mut backend: MockBackend) -> ScenarioResult {
    let loaded = load_file(Path::new(FILE)).unwrap();
    let mut result = run_with(&loaded, &mut backend, &RunOptions::default());
    result.wall = std::time::Duration::ZERO; // deterministic reports
    result
}

fn passed() -> ScenarioResult {
    run(failure_mid_queue(ALL_GOOD))
}

fn failed() -> ScenarioResult {
    let mut backend = failure_mid_queue([Succeeded, Skipped, Succeeded, Failed]);
    // Text that XML and Mermaid must escape, and a control character XML cannot carry.
    backend.scripted.push(Entry::message(
        9_850,
        Lane::Client("dk1".into()),
        Lane::Modem("dk1".into()),
        EntryKind::Request,
        "AT%CMNG=0,16842753,1,\"<cert> & 'x'; #1\u{1}\"",
    ));
    run(backend)
}

fn skipped() -> ScenarioResult {
    let mut backend = failure_mid_queue(ALL_GOOD);
    backend.caps = Capabilities::all().without(
        Capability::Fault(FaultClass::Modem),
        "real modem on a HIL board",
    );
    run(backend)
}

/// Parses the document with quick-xml; returns (testcase names, failure messages,
/// skipped messages, system-out texts).
fn parse_junit(xml: &str) -> (Vec<String>, Vec<String>, Vec<String>, Vec<String>) {
    let mut reader = Reader::from_str(xml);
    let (mut cases, mut failures, mut skips, mut outs) = (vec![], vec![], vec![], vec![]);
    let mut in_out = false;
    let attr = |e: &quick_xml::events::BytesStart<'_>, name: &str| -> String {
        e.attributes()
            .map(|a| a.unwrap())
            .find(|a| a.key.as_ref() == name.as_bytes())
            .map(|a| {
                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .unwrap()
                    .into_owned()
            })
            .unwrap_or_default()
    };
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                b"testcase" => cases.push(attr(&e, "name")),
                b"failure" => failures.push(attr(&e, "message")),
                b"skipped" => skips.push(attr(&e, "message")),
                b"system-out" => {
                    in_out = true;
                    outs.push(String::new());
                }
                _ => {}
            },
            Event::Text(t) if in_out => {
                if let Some(last) = outs.last_mut() {
                    last.push_str(&t.xml10_content().unwrap());
                }
            }
            Event::GeneralRef(r) if in_out => {
                // quick-xml reports entity references separately; rebuild the text.
                let name = r.decode().unwrap().into_owned();
                let text = match name.as_str() {
                    "lt" => "<",
                    "gt" => ">",
                    "amp" => "&",
                    "quot" => "\"",
                    "apos" => "'",
                    other => panic!("unexpected entity {other}"),
                };
                if let Some(last) = outs.last_mut() {
                    last.push_str(text);
                }
            }
            Event::End(e) if e.name().as_ref() == b"system-out" => in_out = false,
            _ => {}
        }
    }
    (cases, failures, skips, outs)
}

#[test]
fn junit_is_well_formed_and_points_at_the_unmet_expectation() {
    let results = [passed(), failed(), skipped()];
    let xml = junit_xml(&results).unwrap();
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    assert!(xml.contains(
        "<testsuites name=\"provlab\" tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\""
    ));
    let (cases, failures, skips, outs) = parse_junit(&xml);
    assert_eq!(cases, ["failure-mid-queue"; 3]);
    assert_eq!(failures.len(), 1);
    assert!(
        failures[0].starts_with(&format!(
            "{FILE}:{}:12: [[expect]] #1: dk1 commands: expected",
            commands_line()
        )),
        "{}",
        failures[0]
    );
    assert!(
        failures[0].ends_with(&format!("seed 7; replay: provlab run {FILE} --seed 7")),
        "{}",
        failures[0]
    );
    assert_eq!(skips.len(), 1);
    assert!(
        skips[0].contains("needs modem faults: real modem on a HIL board"),
        "{}",
        skips[0]
    );
    assert_eq!(outs.len(), 3);
    assert!(outs[0].contains("dk1.client -> service  GET /v1/provisioning/commands"));
    // Escaped on the way out, restored on the way in; the control character made visible.
    assert!(
        outs[1].contains("AT%CMNG=0,16842753,1,\"<cert> & 'x'; #1\\x01\""),
        "{}",
        outs[1]
    );
}

#[test]
fn json_report_has_results_summary_and_replay() {
    let results = [passed(), failed(), skipped()];
    let json: serde_json::Value = serde_json::from_str(&json_string(&results).unwrap()).unwrap();
    assert_eq!(json["version"], 1);
    assert_eq!(
        json["summary"],
        serde_json::json!({"total": 3, "passed": 1, "failed": 1, "skipped": 1, "errors": 0})
    );
    let failed = &json["scenarios"][1];
    assert_eq!(failed["verdict"], "failed");
    assert_eq!(failed["seed"], 7);
    assert_eq!(failed["replay"], format!("provlab run {FILE} --seed 7"));
    assert_eq!(failed["unmet"][0]["location"]["line"], commands_line());
    assert_eq!(
        failed["unmet"][0]["observed"],
        "[SUCCEEDED, SKIPPED, SUCCEEDED, FAILED]"
    );
    assert_eq!(json["scenarios"][2]["verdict"], "skipped");
    assert!(failed["transcript"]["entries"].as_array().unwrap().len() > 30);
}

#[test]
fn exit_status_and_summary_line() {
    assert_eq!(ExitStatus::of(&[passed(), skipped()]).code(), 0);
    assert_eq!(ExitStatus::of(&[passed(), failed()]).code(), 1);
    assert_eq!(ExitStatus::Usage.code(), 2);
    assert_eq!(
        Summary::of(&[passed(), failed(), skipped()]).line(),
        "1 passed, 1 failed, 1 skipped"
    );
}

#[test]
fn transcripts_are_written_as_text_mermaid_and_json() {
    let dir = std::env::temp_dir().join(format!(
        "provlab-harness-transcripts-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let written = write_transcripts(&dir, &[passed(), failed()]).unwrap();
    let names: Vec<String> = written
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "failure-mid-queue.txt",
            "failure-mid-queue.mmd",
            "failure-mid-queue.json",
            "failure-mid-queue-2.txt",
            "failure-mid-queue-2.mmd",
            "failure-mid-queue-2.json"
        ]
    );
    let saved = provlab_harness::compare::read_transcript(&written[2]).unwrap();
    assert_eq!(saved.transcript(), passed().transcript);
    assert_eq!(saved.scenario.as_deref(), Some("failure-mid-queue"));
    assert_eq!(saved.backend.as_deref(), Some("mock"));
    let text = std::fs::read_to_string(&written[0]).unwrap();
    assert!(text.starts_with("# failure-mid-queue (tests/data/failure-mid-queue.toml), seed 7, backend mock\n# replay: provlab run"));
    let mermaid = std::fs::read_to_string(&written[1]).unwrap();
    assert!(mermaid.starts_with("sequenceDiagram\n"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn mermaid_declares_participants_and_escapes_text() {
    let mermaid = failed().transcript.to_mermaid();
    let lines: Vec<&str> = mermaid.lines().collect();
    assert_eq!(
        &lines[..5],
        [
            "sequenceDiagram",
            "    participant owner_olivia as olivia",
            "    participant service as service",
            "    participant dk1_client as dk1.client",
            "    participant dk1_modem as dk1.modem",
        ]
    );
    assert!(mermaid.contains("    Note over owner_olivia,dk1_modem: 0.000s step 1 · trigger dk1\n"));
    assert!(mermaid.contains("    dk1_client->>service: 1.200s GET /v1/provisioning/commands"));
    assert!(mermaid.contains(
        "    service-->>dk1_client: 1.250s 200 application/cbor, 2 records<br/>[0] c1.1"
    ));
    assert!(mermaid.contains("    Note over dk1_client: 1.000s event START\n"));
    assert!(
        mermaid.contains("#60;cert#62; #38; 'x'#59; #35;1 \""),
        "{mermaid}"
    );
}

#[test]
fn text_transcript_snapshot() {
    insta::assert_snapshot!(
        "failure_mid_queue_transcript",
        passed().transcript.to_text()
    );
}

#[test]
fn mermaid_snapshot() {
    insta::assert_snapshot!(
        "failure_mid_queue_mermaid",
        passed().transcript.to_mermaid()
    );
}

#[test]
fn junit_snapshot() {
    let mut fail = failed();
    fail.transcript.entries.truncate(6);
    let mut pass = passed();
    pass.transcript.entries.truncate(3);
    insta::assert_snapshot!(
        "junit_pass_fail_skip",
        junit_xml(&[pass, fail, skipped()]).unwrap()
    );
}

#[test]
fn write_atomic_replaces_whole_files_and_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("deep/report.xml");
    provlab_harness::report::write_atomic(&path, b"first").expect("written");
    provlab_harness::report::write_atomic(&path, b"second").expect("replaced");
    assert_eq!(std::fs::read(&path).expect("read"), b"second");
    let blocked = dir.path().join("deep/blocked");
    std::fs::create_dir_all(blocked.join("inside")).expect("dir");
    assert!(provlab_harness::report::write_atomic(&blocked, b"x").is_err());
    let left: Vec<_> = std::fs::read_dir(dir.path().join("deep"))
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
}
