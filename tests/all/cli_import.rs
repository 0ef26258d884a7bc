//! `provlab import` as an engineer uses it: a field log and the service history to a
//! scenario that `provlab run` passes; a scenario that parts from the log names the first
//! differing event; an unreadable log is an error naming the line.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn provlab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_provlab"))
        .args(args)
        .output()
        .expect("provlab runs")
}

fn field(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("hil/tests/data/field")
        .join(name)
        .display()
        .to_string()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn out_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

#[test]
fn a_field_log_becomes_a_passing_regression_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = out_path(dir.path(), "busy.toml");
    let out = provlab(&[
        "import",
        "--console",
        &field("busy-5xx-backoff.log"),
        "--service-history",
        &field("busy-5xx-backoff.history.json"),
        "-o",
        scenario.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("the simulation reproduces the log's events"),
        "{}",
        text(&out.stderr)
    );
    let written = std::fs::read_to_string(&scenario).unwrap();
    assert!(written.contains("name = \"busy\""), "{written}");
    assert!(written.contains("# from "), "{written}");

    let run = provlab(&["run", scenario.to_str().unwrap()]);
    assert!(
        run.status.success(),
        "{}{}",
        text(&run.stdout),
        text(&run.stderr)
    );

    // A simulation that parts from the field: without the second 500 the device finishes
    // one attempt early, and the report names the first differing event on both sides.
    let start = written.find("name = \"fetch-2\"").unwrap();
    let from = written[..start].rfind("\n\n").unwrap();
    let to = start + written[start..].find("\n\n").unwrap();
    let parted = format!("{}{}", &written[..from], &written[to..]);
    let changed = out_path(dir.path(), "parted.toml");
    std::fs::write(&changed, parted).unwrap();
    let run = provlab(&["run", changed.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(1));
    let report = text(&run.stdout);
    assert!(
        report.contains("first difference at event 5: `FAILED`")
            && report.contains("first difference at event 5: `NEED_LTE_DEACTIVATED`"),
        "{report}"
    );
}

#[test]
fn the_scenario_can_go_to_stdout() {
    let out = provlab(&[
        "import",
        "--console",
        &field("wrong-root-ca.log"),
        "-o",
        "-",
        "--no-calibrate",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("[[device]]"));
    assert!(
        text(&out.stderr).contains("warning: "),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn an_unreadable_log_is_an_error_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let log = out_path(dir.path(), "garbage.log");
    std::fs::write(
        &log,
        b"*** Booting nRF Connect SDK v3.0.2 ***\n\x01\x02\x03\n",
    )
    .unwrap();
    let out = provlab(&[
        "import",
        "--console",
        log.to_str().unwrap(),
        "-o",
        out_path(dir.path(), "x.toml").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("garbage.log:2: control character"),
        "{}",
        text(&out.stderr)
    );
}
