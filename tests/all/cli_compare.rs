//! `provlab compare A B` on saved JSON transcripts and console logs: the verdict and exit
//! code, the JSON and HTML reports, and errors that name the unreadable file.

use std::path::{Path, PathBuf};

use crate::cli_support;
use cli_support::{provlab, stderr, stdout};

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    cli_support::scratch_in("cli_compare", name)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8")
}

/// Runs `scenario` with `--transcripts DIR`; returns the saved JSON transcript.
fn saved_run(scenario: &Path, dir: &Path) -> PathBuf {
    let out = provlab(&["run", s(scenario), "--transcripts", s(dir)]);
    assert!(out.status.code().is_some(), "{}", stderr(&out));
    let json = dir.join("happy-path-http.json");
    assert!(json.is_file(), "{}{}", stdout(&out), stderr(&out));
    json
}

#[test]
fn the_same_run_twice_shows_no_drift_and_exits_0() {
    let dir = scratch("same");
    let scenario = Path::new("scenarios/01-happy-path-http.toml");
    let a = saved_run(scenario, &dir.join("a"));
    let b = saved_run(scenario, &dir.join("b"));
    let out = provlab(&["compare", s(&a), s(&b)]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(
        text.starts_with("drift report: happy-path-http · A = "),
        "{text}"
    );
    assert!(text.contains("verdict: no drift"), "{text}");
}

#[test]
fn another_client_generation_drifts_exits_1_and_writes_json_and_html() {
    let dir = scratch("generation");
    let current = saved_run(
        Path::new("scenarios/01-happy-path-http.toml"),
        &dir.join("current"),
    );
    let source = std::fs::read_to_string("scenarios/01-happy-path-http.toml").expect("scenario");
    let old = dir.join("old.toml");
    std::fs::write(
        &old,
        source.replacen(
            "[device.client]\n",
            "[device.client]\ngeneration = \"v2.9\"\n",
            1,
        ),
    )
    .expect("write");
    let v29 = saved_run(&old, &dir.join("v2.9"));
    let html = dir.join("drift.html");
    let json = dir.join("drift.json");
    let out = provlab(&[
        "compare",
        s(&current),
        s(&v29),
        "--html",
        s(&html),
        "--json",
        s(&json),
        "--time-tolerance",
        "3",
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(
        text.contains("extra in B        dk1 event `NO_COMMANDS`"),
        "{text}"
    );
    assert!(text.contains("verdict: drift: "), "{text}");
    let page = std::fs::read_to_string(&html).expect("html written");
    assert!(page.starts_with("<!DOCTYPE html>") && page.contains("NO_COMMANDS"));
    assert!(!page.contains("<script") && !page.contains("<link"));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("json written"))
            .expect("valid JSON");
    assert_eq!(report["verdict"], "drift");
    assert_eq!(report["time_tolerance"], 3.0);
    assert!(report["drifts"]
        .as_array()
        .expect("drifts")
        .iter()
        .any(|d| d["kind"] == "extra" && d["key"] == "NO_COMMANDS"));

    // `--json -`: the JSON alone on stdout.
    let out = provlab(&["compare", s(&current), s(&v29), "--json", "-"]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(report["verdict"], "drift");
}

#[test]
fn a_console_log_is_accepted_as_a_side() {
    let log = "hil/tests/data/a-commands-finished.txt";
    let out = provlab(&["compare", log, log, "--era", "v2.9"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(text.contains("compared: event, request"), "{text}");
}

#[test]
fn unreadable_inputs_exit_2_naming_the_file_and_line() {
    let dir = scratch("errors");
    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        "{\n  \"entries\": [\n    {\"at_ms\": \"soon\"}\n  ]\n}\n",
    )
    .expect("write");
    let missing = dir.join("missing.json");
    let out = provlab(&["compare", s(&bad), s(&missing)]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(&format!("{}:3:", bad.display())), "{err}");
    assert!(
        err.contains(&format!("{}: cannot read", missing.display())),
        "{err}"
    );
    assert!(stdout(&out).is_empty());
}
