//! `provlab check` and `provlab list`: what they print and their exit codes.

use std::path::PathBuf;

use crate::cli_support;
use cli_support::{provlab, stderr, stdout};

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    cli_support::scratch_in("cli_check_list", name)
}

const BAD: &str = "name = \"bad\"\n[[device]]\nname = \"dk1\"\n[[step]]\ntrigger = \"dk2\"\n";

#[test]
fn check_accepts_the_catalogue_and_the_ci_rack() {
    let out = provlab(&["check", "scenarios", "--rack", "ci/virtual-rack.toml"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(
        text.contains("ok    scenarios/01-happy-path-http.toml"),
        "{text}"
    );
    assert!(text.contains("ok    ci/virtual-rack.toml (rack)"), "{text}");
    assert!(text
        .lines()
        .last()
        .is_some_and(|l| l.ends_with("files checked, 0 with problems")));
}

#[test]
fn check_names_every_problem_with_file_line_and_column_and_exits_2() {
    let dir = scratch("check");
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, BAD).expect("write");
    let rack = dir.join("rack.toml");
    std::fs::write(&rack, "[[board]]\nname = 5\n").expect("write");
    let out = provlab(&[
        "check",
        "scenarios/01-happy-path-http.toml",
        bad.to_str().expect("utf-8"),
        "--rack",
        rack.to_str().expect("utf-8"),
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(2), "{text}{}", stderr(&out));
    assert!(
        text.contains("ok    scenarios/01-happy-path-http.toml"),
        "{text}"
    );
    assert!(
        text.contains(&format!("{}:5:11: unknown device `dk2`", bad.display())),
        "{text}"
    );
    assert!(
        text.contains(&format!("{}:2:1: unknown field `name`", rack.display())),
        "{text}"
    );
    assert_eq!(
        text.lines().last(),
        Some("3 files checked, 2 with problems")
    );
}

#[test]
fn list_shows_devices_transports_and_needed_capabilities() {
    let out = provlab(&["list", "scenarios"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    let header = text.lines().next().expect("header");
    for column in ["NAME", "FILE", "DEVICES", "TRANSPORT", "NEEDS"] {
        assert!(header.contains(column), "{header}");
    }
    let row = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("{name} listed: {text}"))
            .to_owned()
    };
    assert!(row("lost-report").contains("2 (dk1, dk2)"), "{text}");
    assert!(row("lost-report").contains("coap, http"), "{text}");
    assert!(row("lossy-link").contains("link faults"), "{text}");
    assert!(
        row("no-valid-datetime").contains("network time control"),
        "{text}"
    );
    assert!(row("happy-path-http").trim_end().ends_with('-'), "{text}");
}

#[test]
fn list_json_and_a_file_that_does_not_load() {
    let out = provlab(&["list", "scenarios/18-lossy-link.toml", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(listed[0]["name"], "lossy-link", "{listed}");
    assert_eq!(listed[0]["transports"][0], "coap", "{listed}");
    assert_eq!(listed[0]["devices"][0], "dk1", "{listed}");
    assert_eq!(listed[0]["needs"][0], "link faults", "{listed}");
    let dir = scratch("list");
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, BAD).expect("write");
    let out = provlab(&[
        "list",
        "scenarios/01-happy-path-http.toml",
        bad.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).contains("happy-path-http"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains(":5:11: unknown device"),
        "{}",
        stderr(&out)
    );
}
