//! `provlab run` and `provlab schema` as CI and engineers use them: exit codes, the summary
//! line, report files, load diagnostics.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cli_support;
use cli_support::{provlab, stderr, stdout};

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    cli_support::scratch_in("cli_run", name)
}

const FAILING: &str = r#"name = "wrong-final-status"
seed = 5
[[device]]
name = "dk1"
claimed_by = "owner"
[[device.config]]
request = { finished = {} }
[[step]]
trigger = "dk1"
[[step]]
wait_until = { status = "PROVISIONED", within = "1m" }
[[expect]]
status = "ERROR"
"#;

#[test]
fn a_passing_scenario_exits_0_and_writes_every_report() {
    let dir = scratch("pass");
    let junit = dir.join("junit.xml");
    let json = dir.join("report.json");
    let transcripts = dir.join("transcripts");
    let out = provlab(&[
        "run",
        "scenarios/01-happy-path-http.toml",
        "--junit",
        junit.to_str().expect("utf-8"),
        "--json",
        json.to_str().expect("utf-8"),
        "--transcripts",
        transcripts.to_str().expect("utf-8"),
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(text.contains("PASS  happy-path-http"), "{text}");
    assert_eq!(text.lines().last(), Some("1 passed, 0 failed, 0 skipped"));
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert!(xml.contains("happy-path-http"), "{xml}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("json written"))
            .expect("valid JSON");
    assert!(report.to_string().contains("happy-path-http"));
    let txt = std::fs::read_to_string(transcripts.join("happy-path-http.txt")).expect("txt");
    assert!(txt.contains("dk1.client"), "{txt}");
    assert!(transcripts.join("happy-path-http.mmd").is_file());
}

#[test]
fn a_failing_scenario_exits_1_with_the_replay_command() {
    let dir = scratch("fail");
    let file = dir.join("wrong.toml");
    std::fs::write(&file, FAILING).expect("write scenario");
    let file = file.to_str().expect("utf-8");
    let out = provlab(&["run", file, "--seed", "9"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(text.contains("FAIL  wrong-final-status"), "{text}");
    assert!(
        text.contains(&format!("replay: provlab run {file} --seed 9")),
        "{text}"
    );
    assert_eq!(text.lines().last(), Some("0 passed, 1 failed, 0 skipped"));
}

#[test]
fn a_load_error_is_an_errored_test_case_with_file_line_and_column() {
    let dir = scratch("load");
    let file = dir.join("bad.toml");
    std::fs::write(
        &file,
        FAILING.replace("trigger = \"dk1\"", "trigger = \"dk2\""),
    )
    .expect("write");
    let out = provlab(&["run", file.to_str().expect("utf-8")]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(
        text.contains(&format!("{}:9:11: unknown device `dk2`", file.display())),
        "{text}"
    );
    assert_eq!(text.lines().last(), Some("0 passed, 1 failed, 0 skipped"));
}

#[test]
fn a_bad_file_among_good_ones_is_an_error_and_the_good_ones_still_run() {
    let dir = scratch("bad-among-good");
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "name = \"broken\"\n[[device]]\nname = 7\n").expect("write");
    let junit = dir.join("reports/junit.xml");
    let json = dir.join("reports/report.json");
    let out = provlab(&[
        "run",
        "scenarios/01-happy-path-http.toml",
        bad.to_str().expect("utf-8"),
        "scenarios/02-happy-path-coap.toml",
        "--junit",
        junit.to_str().expect("utf-8"),
        "--json",
        json.to_str().expect("utf-8"),
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(text.contains("PASS  happy-path-http"), "{text}");
    assert!(text.contains("PASS  happy-path-coap"), "{text}");
    assert!(text.contains(&format!("ERROR {}", bad.display())), "{text}");
    assert!(text.contains(&format!("{}:3:8", bad.display())), "{text}");
    assert_eq!(text.lines().last(), Some("2 passed, 1 failed, 0 skipped"));
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert!(
        xml.contains("tests=\"3\" failures=\"0\" errors=\"1\""),
        "{xml}"
    );
    assert!(xml.contains("<error message=\"does not load: "), "{xml}");
    assert!(xml.contains("type=\"load error\""), "{xml}");
    assert!(xml.contains("name=\"happy-path-coap\""), "{xml}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("json written"))
            .expect("valid JSON");
    assert_eq!(report["summary"]["errors"], 1, "{report}");
    assert_eq!(report["summary"]["passed"], 2, "{report}");
    // No temporary files are left beside the reports.
    let names: Vec<String> = std::fs::read_dir(dir.join("reports"))
        .expect("reports dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn fail_fast_stops_at_the_first_failure_and_says_so() {
    let dir = scratch("fail-fast");
    let wrong = dir.join("a-wrong.toml");
    std::fs::write(&wrong, FAILING).expect("write scenario");
    let junit = dir.join("junit.xml");
    let out = provlab(&[
        "run",
        wrong.to_str().expect("utf-8"),
        "scenarios/01-happy-path-http.toml",
        "scenarios/02-happy-path-coap.toml",
        "--jobs",
        "1",
        "--fail-fast",
        "--junit",
        junit.to_str().expect("utf-8"),
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(text.contains("FAIL  wrong-final-status"), "{text}");
    assert!(!text.contains("PASS"), "{text}");
    assert!(text.contains("2 scenario(s) not run"), "{text}");
    assert_eq!(text.lines().last(), Some("0 passed, 1 failed, 2 skipped"));
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert!(xml.contains("--fail-fast stopped the run"), "{xml}");
}

#[test]
fn json_dash_writes_the_report_to_stdout() {
    let out = provlab(&["run", "scenarios/01-happy-path-http.toml", "--json", "-"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("stdout is the JSON report alone");
    assert_eq!(report["summary"]["passed"], 1, "{report}");
    assert!(!Path::new(env!("CARGO_MANIFEST_DIR")).join("-").exists());
    let err = stderr(&out);
    assert!(err.contains("PASS  happy-path-http"), "{err}");
    assert!(err.contains("1 passed, 0 failed, 0 skipped"), "{err}");
}

#[test]
fn a_report_that_cannot_be_written_leaves_no_partial_file() {
    let dir = scratch("atomic");
    // The report's place is a directory: the rename fails; the old content stays whole
    // and no temporary file is left behind.
    let junit = dir.join("junit.xml");
    std::fs::create_dir_all(junit.join("occupied")).expect("dir");
    let out = provlab(&[
        "run",
        "scenarios/01-happy-path-http.toml",
        "--junit",
        junit.to_str().expect("utf-8"),
    ]);
    assert_ne!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("writing the JUnit report"),
        "{}",
        stderr(&out)
    );
    let names: Vec<String> = std::fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["junit.xml".to_owned()], "{names:?}");
    // An existing report is replaced whole.
    let json = dir.join("report.json");
    std::fs::write(&json, "old").expect("write");
    let out = provlab(&[
        "run",
        "scenarios/01-happy-path-http.toml",
        "--json",
        json.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let _: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("json")).expect("whole");
}

#[test]
fn sigint_mid_run_writes_the_reports_with_the_unfinished_scenarios_as_errors() {
    interrupted_run(nix::sys::signal::Signal::SIGINT, "SIGINT", 130);
}

#[test]
fn sigterm_mid_run_writes_the_reports_and_exits_143() {
    interrupted_run(nix::sys::signal::Signal::SIGTERM, "SIGTERM", 143);
}

/// Runs three slow scenarios (300 devices each, one at a time), sends `signal` after 1 s
/// and checks the exit code and the JUnit report (every unfinished scenario an error).
fn interrupted_run(signal: nix::sys::signal::Signal, name: &str, code: i32) {
    use nix::sys::signal::kill;
    use nix::unistd::Pid;
    use std::time::{Duration, Instant};

    let dir = scratch(&name.to_lowercase());
    let scenarios = dir.join("scenarios");
    std::fs::create_dir_all(&scenarios).expect("dir");
    let happy = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/01-happy-path-http.toml"),
    )
    .expect("read");
    for i in 1..=3 {
        let text = happy.replace(
            "name = \"happy-path-http\"",
            &format!("name = \"slow-{i}\""),
        );
        std::fs::write(scenarios.join(format!("s{i}.toml")), text).expect("write");
    }
    let junit = dir.join("junit.xml");
    let (html, md) = (dir.join("report.html"), dir.join("summary.md"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_provlab"))
        .args([
            "run",
            scenarios.to_str().expect("utf-8"),
            "--devices",
            "300",
            "--jobs",
            "1",
            "--junit",
            junit.to_str().expect("utf-8"),
            "--html",
            html.to_str().expect("utf-8"),
            "--markdown",
            md.to_str().expect("utf-8"),
        ])
        .env("CI", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("provlab starts");
    std::thread::sleep(Duration::from_secs(1));
    let pid = Pid::from_raw(i32::try_from(child.id()).expect("pid"));
    kill(pid, signal).expect("signal sent");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("provlab did not exit within 30 s of {name}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = child.wait_with_output().expect("output");
    let text = stdout(&out);
    assert_eq!(status.code(), Some(code), "{text}{}", stderr(&out));
    assert!(text.contains(&format!("interrupted by {name}")), "{text}");
    let xml = std::fs::read_to_string(&junit).expect("junit written on the signal");
    assert_eq!(xml.matches("<testcase ").count(), 3, "{xml}");
    assert!(xml.contains("type=\"interrupted\""), "{xml}");
    assert!(xml.contains("--seed 1 --devices 300\""), "{xml}");
    assert!(
        xml.contains(&format!("interrupted ({name}) before it finished")),
        "{xml}"
    );
    let page = std::fs::read_to_string(&html).expect("html written on the signal");
    assert_eq!(page.matches("<section id=").count(), 3);
    assert!(page.contains(&format!("interrupted ({name}) before it finished")));
    let summary = std::fs::read_to_string(&md).expect("markdown written on the signal");
    assert!(summary.contains("**ERROR slow-"), "{summary}");
}

#[test]
fn html_and_markdown_reports_show_every_scenario_and_the_failures() {
    let dir = scratch("pages");
    let file = dir.join("wrong.toml");
    std::fs::write(&file, FAILING).expect("write scenario");
    let (html, md) = (dir.join("out/report.html"), dir.join("out/summary.md"));
    let out = provlab(&[
        "run",
        "scenarios/01-happy-path-http.toml",
        "scenarios/12-lost-report.toml",
        file.to_str().expect("utf-8"),
        "--html",
        html.to_str().expect("utf-8"),
        "--markdown",
        md.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let page = std::fs::read_to_string(&html).expect("html written");
    assert!(page.starts_with("<!DOCTYPE html>"), "{page}");
    assert!(page.ends_with("</html>\n"));
    // One diagram per scenario (each small enough to draw whole), no script, nothing
    // fetched.
    assert_eq!(page.matches("<svg ").count(), 3);
    assert!(!page.contains("<script"));
    assert!(!page.contains("src="));
    assert_eq!(page.matches("<section id=").count(), 3);
    assert_eq!(page.matches("<tr class=\"unmet\">").count(), 1);
    assert!(page.contains("<td class=\"v fail\">FAIL</td>"));
    // Scenario 12's service answer faults are highlighted in its transcript.
    assert!(page.contains("<span class=\"fault\">"), "{page}");
    let summary = std::fs::read_to_string(&md).expect("markdown written");
    assert!(
        summary.starts_with("### ❌ provlab run: 2 passed, 1 failed, 0 skipped\n"),
        "{summary}"
    );
    assert!(
        summary.contains(&format!(
            "```sh\nprovlab run {} --seed 5\n```",
            file.display()
        )),
        "{summary}"
    );
}

#[test]
fn a_fleet_page_has_one_diagram_per_device() {
    let dir = scratch("fleet-page");
    let html = dir.join("fleet.html");
    let out = provlab(&[
        "run",
        "scenarios/01-happy-path-http.toml",
        "--devices",
        "20",
        "--html",
        html.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page = std::fs::read_to_string(&html).expect("html written");
    for n in 1..=20 {
        assert!(
            page.contains(&format!("<summary>dk1-{n:04} (")),
            "no diagram of dk1-{n:04}"
        );
    }
    // The owners' calls for 20 devices are more than one diagram holds: two parts.
    assert!(page.contains("<summary>service, owners and runner · part 2 of 2 ("));
    assert_eq!(page.matches("<svg ").count(), 22);
}

#[test]
fn markdown_dash_writes_the_summary_to_stdout() {
    let out = provlab(&[
        "run",
        "scenarios/01-happy-path-http.toml",
        "--markdown",
        "-",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with("### ✅ provlab run: 1 passed, 0 failed, 0 skipped\n"),
        "{text}"
    );
    assert!(!text.contains("PASS  happy-path-http"), "{text}");
    assert!(stderr(&out).contains("PASS  happy-path-http"));
    let both = provlab(&[
        "run",
        "scenarios/01-happy-path-http.toml",
        "--markdown",
        "-",
        "--json",
        "-",
    ]);
    assert_eq!(both.status.code(), Some(2));
    assert!(stderr(&both).contains("only one of --json and --markdown"));
}

#[test]
fn usage_errors_and_empty_filters_exit_2() {
    assert_eq!(provlab(&["run", "--jobs", "zero"]).status.code(), Some(2));
    let out = provlab(&[
        "run",
        "scenarios/01-happy-path-http.toml",
        "--filter",
        "nothing-like-it",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no scenario name contains"));
}

#[test]
fn repeat_and_fleet_modes_run() {
    let out = provlab(&[
        "run",
        "scenarios/01-happy-path-http.toml",
        "--repeat",
        "2",
        "--jobs",
        "2",
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("seed 1 ·") && text.contains("seed 2 ·"),
        "{text}"
    );
    assert_eq!(text.lines().last(), Some("2 passed, 0 failed, 0 skipped"));
    let out = provlab(&["run", "scenarios/01-happy-path-http.toml", "--devices", "3"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("happy-path-http@3"), "{text}");
    assert!(text.contains("fleet: 3 devices in"), "{text}");
}

#[test]
fn loopback_runs_over_real_sockets_and_replays_with_the_flag() {
    let out = provlab(&[
        "run",
        "scenarios/01-happy-path-http.toml",
        "scenarios/02-happy-path-coap.toml",
        "scenarios/18-lossy-link.toml",
        "--net",
        "loopback",
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert_eq!(text.lines().last(), Some("3 passed, 0 failed, 0 skipped"));
    let dir = scratch("loopback-fail");
    let file = dir.join("wrong.toml");
    std::fs::write(&file, FAILING).expect("write scenario");
    let file = file.to_str().expect("utf-8");
    let out = provlab(&["run", file, "--seed", "9", "--net", "loopback"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(
        text.contains(&format!(
            "replay: provlab run {file} --seed 9 --net loopback"
        )),
        "{text}"
    );
}

#[test]
fn schema_prints_the_json_schema() {
    let out = provlab(&["schema"]);
    assert_eq!(out.status.code(), Some(0));
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(schema["title"], "provlab scenario");
}

#[test]
fn inputs_beyond_the_bounds_are_refused_with_a_message_not_a_panic() {
    let out = provlab(&[
        "run",
        "scenarios/01-happy-path-http.toml",
        "--devices",
        "18446744073709551615",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("more than the 1000000 a fleet run may have"),
        "{}",
        stderr(&out)
    );
    let out = provlab(&[
        "run",
        "scenarios/01-happy-path-http.toml",
        "--max-virtual-time",
        "1m",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("more than the cap of 1m"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("replay: provlab run scenarios/01-happy-path-http.toml"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn captured_output_is_plain_lines_without_colour_codes() {
    let out = provlab(&["run", "scenarios/01-happy-path-http.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(!text.contains('\x1b'), "{text:?}");
    assert!(
        text.lines().any(|l| l.starts_with("PASS  happy-path-http")),
        "{text}"
    );
}
