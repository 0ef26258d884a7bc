//! The reports people read: the SVG sequence diagrams, the HTML page and the Markdown
//! summary (snapshots of small runs, escaping, splitting of large runs).
#![allow(clippy::unwrap_used)]

#[path = "all/support/mod.rs"]
mod support;

use std::path::Path;

use provlab_harness::backend::{Capabilities, Capability};
use provlab_harness::loader::load_file;
use provlab_harness::report::html::html_report;
use provlab_harness::report::markdown::markdown_report;
use provlab_harness::runner::{run_with, Outcome, RunOptions, ScenarioResult};
use provlab_harness::scenario::CommandStatus::*;
use provlab_harness::scenario::FaultClass;
use provlab_harness::transcript::MAX_ROWS;
use provlab_harness::{Entry, EntryKind, Lane, Transcript};

use support::{failure_mid_queue, MockBackend, ALL_GOOD};

const FILE: &str = "tests/data/failure-mid-queue.toml";

fn run(mut backend: MockBackend) -> ScenarioResult {
    let loaded = load_file(Path::new(FILE)).unwrap();
    let mut result = run_with(&loaded, &mut backend, &RunOptions::default());
    result.wall = std::time::Duration::from_millis(12); // deterministic pages
    result
}

fn passed() -> ScenarioResult {
    run(failure_mid_queue(ALL_GOOD))
}

fn failed() -> ScenarioResult {
    run(failure_mid_queue([Succeeded, Skipped, Succeeded, Failed]))
}

fn skipped() -> ScenarioResult {
    let mut backend = failure_mid_queue(ALL_GOOD);
    backend.caps = Capabilities::all().without(
        Capability::Fault(FaultClass::Modem),
        "real modem on a HIL board",
    );
    run(backend)
}

/// A device's run with every kind of entry: a runner note, an owner call, a request and
/// its answer with detail lines, an event, a fault on the link, one on the power supply,
/// and text that markup must escape.
fn small_transcript() -> Transcript {
    let (client, modem) = (Lane::Client("dk1".into()), Lane::Modem("dk1".into()));
    let mut t = Transcript::new();
    t.push(Entry::on(
        0,
        Lane::Runner,
        EntryKind::Note,
        "step 1 · trigger dk1",
    ));
    t.push(Entry::message(
        0,
        Lane::Owner("olivia".into()),
        Lane::Service,
        EntryKind::Request,
        "POST /v1/claimed-devices (dk1)",
    ));
    t.push(Entry::on(1_000, client.clone(), EntryKind::Event, "START"));
    t.push(Entry::message(
        1_200,
        client.clone(),
        Lane::Service,
        EntryKind::Request,
        "GET /v1/provisioning/commands?after=&limit=10",
    ));
    t.push(Entry::on(
        1_200,
        Lane::Link,
        EntryKind::Fault,
        "dropped (loss)",
    ));
    t.push(
        Entry::message(
            1_250,
            Lane::Service,
            client.clone(),
            EntryKind::Response,
            "200 application/cbor, 1 record",
        )
        .with_detail(vec!["[0] c1.1 AT %CMNG 0,42,0,\"<cert> & 'x'\"".to_owned()]),
    );
    t.push(Entry::message(
        1_400,
        client.clone(),
        modem.clone(),
        EntryKind::Request,
        "AT%CMNG=0,42,0,\"<cert>\"",
    ));
    t.push(Entry::message(
        1_450,
        modem,
        client,
        EntryKind::Response,
        "+CME ERROR: 514",
    ));
    t.push(Entry::on(
        2_000,
        Lane::Power("dk1".into()),
        EntryKind::Fault,
        "power cut before the report",
    ));
    t
}

#[test]
fn svg_diagram_snapshot() {
    let diagrams = small_transcript().to_svg_diagrams();
    assert_eq!(diagrams.len(), 1);
    assert_eq!(diagrams[0].title, "all lanes");
    assert_eq!(diagrams[0].rows, 9);
    insta::assert_snapshot!("small_transcript_svg", diagrams[0].svg);
}

#[test]
fn svg_marks_faults_and_escapes_text() {
    let svg = &small_transcript().to_svg_diagrams()[0].svg;
    // Two faults, each with a red mark and red text.
    assert_eq!(svg.matches("<rect class=\"ft\"").count(), 2, "{svg}");
    assert!(svg.contains("fault: dropped (loss)"), "{svg}");
    assert!(
        svg.contains("AT%CMNG=0,42,0,&quot;&lt;cert&gt;&quot;"),
        "{svg}"
    );
    assert!(!svg.contains("<cert>"), "{svg}");
    // Detail lines are the tooltip.
    assert!(svg.contains("[0] c1.1 AT %CMNG 0,42,0,&quot;&lt;cert&gt; &amp; &#39;x&#39;&quot;"));
}

/// A fleet of 20 devices with several attempts each: one diagram per device plus the
/// service side, none over the row limit, and every entry drawn once (the runner notes
/// that name a device are drawn in its diagram too).
#[test]
fn a_large_fleet_is_split_per_device_and_bounded() {
    let mut t = Transcript::new();
    for n in 1..=20 {
        let device = format!("dk{n}");
        t.push(Entry::on(
            0,
            Lane::Runner,
            EntryKind::Note,
            format!("trigger {device}"),
        ));
        t.push(Entry::message(
            0,
            Lane::Owner("olivia".into()),
            Lane::Service,
            EntryKind::Request,
            format!("POST /v1/claimed-devices ({device})"),
        ));
        let client = Lane::Client(device);
        for attempt in 0..40 {
            t.push(Entry::on(
                attempt,
                client.clone(),
                EntryKind::Event,
                "START",
            ));
            for _ in 0..9 {
                t.push(Entry::message(
                    attempt,
                    client.clone(),
                    Lane::Service,
                    EntryKind::Request,
                    "GET /v1/provisioning/commands",
                ));
            }
        }
    }
    let diagrams = t.to_svg_diagrams();
    // 400 entries per device: two parts each; 40 shared entries: one diagram.
    assert_eq!(diagrams.len(), 1 + 20 * 2);
    assert_eq!(diagrams[0].title, "service, owners and runner");
    assert_eq!(diagrams[1].title, "dk1 · part 1 of 2 · up to attempt 29");
    assert_eq!(diagrams[2].title, "dk1 · part 2 of 2 · attempts 30–40");
    assert!(diagrams.iter().all(|d| d.rows <= MAX_ROWS));
    let drawn: usize = diagrams.iter().map(|d| d.rows).sum();
    assert_eq!(drawn, t.entries.len() + 20);
    let biggest = diagrams.iter().map(|d| d.svg.len()).max().unwrap();
    assert!(biggest < 200_000, "{biggest} bytes");
}

#[test]
fn html_page_snapshot() {
    let mut pass = passed();
    pass.transcript.entries.truncate(4);
    let mut fail = failed();
    fail.transcript = small_transcript();
    insta::assert_snapshot!(
        "html_pass_fail_skip",
        html_report(&[pass, fail, skipped()], "provlab run")
    );
}

#[test]
fn html_page_lists_expectations_held_and_unmet_with_their_place() {
    let fail = failed();
    let Outcome::Failed { unmet } = &fail.outcome else {
        panic!("{:?}", fail.outcome)
    };
    assert_eq!(unmet.len(), 1);
    let page = html_report(std::slice::from_ref(&fail), "provlab run");
    let held = fail.checks.iter().filter(|c| c.holds).count();
    assert!(held > 3, "{:?}", fail.checks);
    assert_eq!(page.matches("<tr class=\"held\">").count(), held);
    assert_eq!(page.matches("<tr class=\"unmet\">").count(), 1);
    let unmet_at = format!("<code>{}</code>", unmet[0].location);
    assert!(page.contains(&unmet_at), "{page}");
    assert!(page.contains("[SUCCEEDED, SKIPPED, SUCCEEDED, FAILED]"));
}

#[test]
fn html_page_escapes_names_and_has_no_script() {
    let mut fail = failed();
    fail.name = "<script>alert('x')</script>".to_owned();
    fail.transcript = small_transcript();
    let page = html_report(&[fail], "provlab run <&>");
    assert!(!page.contains("<script"), "{page}");
    assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    assert!(page.contains("<h1>provlab run &lt;&amp;&gt;</h1>"));
    assert!(
        !page.contains("http://") || !page.contains("src="),
        "nothing is fetched"
    );
    // Fault entries are highlighted in the transcript.
    assert_eq!(page.matches("<span class=\"fault\">").count(), 2);
}

#[test]
fn html_page_is_deterministic_but_for_wall_times() {
    let a = html_report(&[passed(), failed()], "provlab run");
    let b = html_report(&[passed(), failed()], "provlab run");
    assert_eq!(a, b);
}

#[test]
fn markdown_snapshot() {
    insta::assert_snapshot!(
        "markdown_pass_fail_skip",
        markdown_report(&[passed(), failed(), skipped()], "provlab run")
    );
}

#[test]
fn markdown_of_a_long_run_lists_only_what_did_not_pass() {
    let mut results: Vec<ScenarioResult> = (0..40).map(|_| passed()).collect();
    let mut fail = failed();
    fail.name = "a|b".to_owned();
    results.push(fail);
    let md = markdown_report(&results, "provlab run");
    assert!(md.starts_with("### ❌ provlab run: 40 passed, 1 failed, 0 skipped\n"));
    assert_eq!(md.matches("\n| PASS ").count(), 0, "{md}");
    assert_eq!(md.matches("\n| FAIL | a\\|b |").count(), 1, "{md}");
    assert!(md.contains("40 passing scenarios not listed."));
    assert!(md.contains("```sh\nprovlab run tests/data/failure-mid-queue.toml --seed 7\n```"));
}
