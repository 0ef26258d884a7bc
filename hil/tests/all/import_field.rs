//! Hand-written field logs with failures import to scenarios that pass in simulation, with
//! the faults, steps and expectations the failures call for; logs the decoder cannot read
//! give errors that name the line.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::{Path, PathBuf};

use provlab_harness::{load_str, Outcome, RunOptions, Runner};
use provlab_hil::import::calibrate::Verdict;
use provlab_hil::import::{import, ImportError, Imported, Input, Inputs};
use provlab_sim::backend::SimBackendFactory;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/field")
        .join(name)
}

/// Imports `<case>.log` (with `<case>.history.json` when it exists).
fn import_case(case: &str) -> Imported {
    let log = std::fs::read(data(&format!("{case}.log"))).unwrap();
    let history = std::fs::read(data(&format!("{case}.history.json"))).ok();
    let log_name = format!("{case}.log");
    let history_name = format!("{case}.history.json");
    let imported = import(&Inputs {
        console: Input {
            name: &log_name,
            bytes: &log,
        },
        service_history: history.as_deref().map(|bytes| Input {
            name: &history_name,
            bytes,
        }),
        at_trace: None,
        name: case,
        device: "dk1",
        calibrate: true,
        allow_unknown: false,
    })
    .unwrap();
    assert_eq!(
        imported.verdict,
        Some(Verdict::Reproduces),
        "{case}:\n{}",
        imported.toml
    );
    // The file loads through the real loader and passes on the simulation backend.
    let loaded = load_str(&imported.toml, Path::new(&format!("{case}.toml"))).unwrap();
    let result =
        Runner::new(SimBackendFactory::default(), RunOptions::with_seed(None)).run(&loaded);
    assert_eq!(
        result.outcome,
        Outcome::Passed,
        "{case}:\n{}",
        imported.toml
    );
    imported
}

fn has(imported: &Imported, text: &str) {
    assert!(
        imported.toml.contains(text),
        "expected `{text}` in:\n{}",
        imported.toml
    );
}

#[test]
fn cme_mid_queue() {
    let i = import_case("cme-mid-queue");
    has(&i, "modem = { command = \"%CMNG\", params = \"3,16842753,2\", nth = 1, action = { cme = 514 } }");
    has(
        &i,
        "# from cme-mid-queue.history.json:13: command 2 answered +CME ERROR: 514",
    );
    has(&i, "content = \"@lab-root-ca\"");
    has(
        &i,
        "commands = [\"SUCCEEDED\", \"FAILED\", \"PENDING\", \"PENDING\"]",
    );
    has(&i, "\"NO_COMMANDS\",  # cme-mid-queue.log:22");
    // The shell echo of `nrf_provisioning now` is the trigger.
    has(&i, "# from cme-mid-queue.log:9: triggered");
    assert!(!i.toml.contains("BEGIN CERTIFICATE"), "{}", i.toml);
}

#[test]
fn server_busy_with_backoff() {
    let i = import_case("busy-5xx-backoff");
    has(&i, "initial_backoff = \"1m\"");
    has(
        &i,
        "service = { request = \"fetch\", nth = 1, answer = { http = 500 } }",
    );
    has(
        &i,
        "service = { request = \"fetch\", nth = 2, answer = { http = 500 } }",
    );
    assert_eq!(i.toml.matches("trigger = ").count(), 0, "{}", i.toml);
    has(&i, "status = \"PROVISIONED\"");
}

#[test]
fn wrong_root_ca() {
    let i = import_case("wrong-root-ca");
    has(&i, "generation = \"v2.9\"");
    has(&i, "root_ca_sec_tag = 42");
    has(&i, "content = \"@untrusted-root-ca\"");
    has(&i, "\"FAILED_WRONG_ROOT_CA\",  # wrong-root-ca.log:10");
    // No history: the claim is a warning, not a silent guess.
    assert!(
        i.warnings.iter().any(|w| w.message.contains("claimed")),
        "{:?}",
        i.warnings
    );
}

#[test]
fn reboot_before_report() {
    let i = import_case("reboot-before-report");
    has(&i, "power_cut = { at = \"before_report\", nth = 1 }");
    has(&i, "# from reboot-before-report.log:5: triggered");
    assert_eq!(i.toml.matches("trigger = ").count(), 1, "{}", i.toml);
}

#[test]
fn not_claimed_then_claimed() {
    let i = import_case("not-claimed");
    assert!(!i.toml.contains("claimed_by"), "{}", i.toml);
    has(&i, "provide_attestation_token = true");
    has(&i, "claim = { device = \"dk1\", by = \"owner\" }");
    assert_eq!(i.toml.matches("add_command = ").count(), 2, "{}", i.toml);
    has(&i, "advance = \"2m5s\"");
}

#[test]
fn the_same_inputs_give_the_same_bytes() {
    assert_eq!(
        import_case("cme-mid-queue").toml,
        import_case("cme-mid-queue").toml
    );
}

fn error_of(bytes: &[u8]) -> ImportError {
    import(&Inputs {
        console: Input {
            name: "field.log",
            bytes,
        },
        service_history: None,
        at_trace: None,
        name: "x",
        device: "dk1",
        calibrate: false,
        allow_unknown: false,
    })
    .unwrap_err()
}

#[test]
fn garbage_is_an_error_naming_the_line() {
    let mut bytes = b"*** Booting nRF Connect SDK v3.3.99-95ed8f7e7406 ***\r\n".to_vec();
    bytes.extend_from_slice(b"\x00\x17\xfe\xff\x13garbage\r\n");
    let e = error_of(&bytes);
    assert!(
        matches!(e, ImportError::UnreadableLine { line: 2, .. }),
        "{e}"
    );
    assert!(e.to_string().starts_with("field.log:2: "), "{e}");

    let e = error_of(b"Dear team,\nthe device does not provision.\n");
    assert!(
        matches!(e, ImportError::NotAConsoleLog { line: 1, .. }),
        "{e}"
    );

    let e = error_of(b"");
    assert!(matches!(e, ImportError::NotAConsoleLog { .. }), "{e}");

    // A line of the provisioning library the decoder does not know.
    let log = std::fs::read_to_string(data("cme-mid-queue.log")).unwrap();
    let mangled = log.replace(
        "nrf_provisioning_http: Requesting commands\n[00:00:15",
        "nrf_provisioning_http: Requesting comm@nds\n[00:00:15",
    );
    let e = error_of(mangled.as_bytes());
    assert!(
        matches!(e, ImportError::UnreadableLine { line: 19, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("Requesting comm@nds"), "{e}");
}

#[test]
fn truncated_logs_are_errors_naming_the_line() {
    let log = std::fs::read_to_string(data("cme-mid-queue.log")).unwrap();
    // Cut after the batch was fetched: the attempt that starts at line 10 never ends.
    let cut: String = log.lines().take(16).map(|l| format!("{l}\n")).collect();
    let e = error_of(cut.as_bytes());
    assert_eq!(
        e,
        ImportError::Truncated {
            file: "field.log".to_owned(),
            line: 10
        }
    );
    // Cut in the middle of a line.
    let mid = &log[..log.find("Sending response").unwrap() + 4];
    let e = error_of(mid.as_bytes());
    assert!(
        matches!(e, ImportError::UnreadableLine { line: 18, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("truncated"), "{e}");
}

#[test]
fn a_broken_history_is_an_error_naming_the_line() {
    let log = std::fs::read(data("cme-mid-queue.log")).unwrap();
    let e = import(&Inputs {
        console: Input {
            name: "field.log",
            bytes: &log,
        },
        service_history: Some(Input {
            name: "history.json",
            bytes: b"{\n  \"items\": [\n    { \"request\": { \"finished\": {} }, }\n  ]\n}\n",
        }),
        at_trace: None,
        name: "x",
        device: "dk1",
        calibrate: false,
        allow_unknown: false,
    })
    .unwrap_err();
    assert!(matches!(e, ImportError::History { line: 3, .. }), "{e}");
}

#[test]
fn an_at_trace_names_the_failing_command() {
    let log = std::fs::read(data("cme-mid-queue.log")).unwrap();
    let history = std::fs::read(data("cme-mid-queue.history.json")).unwrap();
    let trace = b"> AT%CMNG=0,42,0,\"-----BEGIN CERTIFICATE-----...\"\nOK\n> AT%CMNG=3,16842753,2\n+CME ERROR: 514\n";
    let i = import(&Inputs {
        console: Input {
            name: "field.log",
            bytes: &log,
        },
        service_history: Some(Input {
            name: "history.json",
            bytes: &history,
        }),
        at_trace: Some(Input {
            name: "at.txt",
            bytes: trace,
        }),
        name: "x",
        device: "dk1",
        calibrate: true,
        allow_unknown: false,
    })
    .unwrap();
    assert_eq!(i.verdict, Some(Verdict::Reproduces), "{}", i.toml);
    has(
        &i,
        "# from at.txt:3, at.txt:4: the modem refused this command in the AT trace",
    );
    has(&i, "modem = { command = \"%CMNG\", params = \"3,16842753,2\", nth = 1, action = { cme = 514 } }");
}

#[test]
fn missing_network_time_then_found() {
    let i = import_case("no-time-then-time");
    has(&i, "network_time = \"absent\"");
    has(&i, "fault_off = \"no-network-time\"");
    has(
        &i,
        "\"FAILED_NO_VALID_DATETIME\",  # no-time-then-time.log:10",
    );
}

#[test]
fn a_fetch_that_times_out() {
    let i = import_case("fetch-timeout");
    has(
        &i,
        "service = { request = \"fetch\", nth = 1, answer = \"silence\" }",
    );
    has(&i, "initial_backoff = \"1m\"");
}

#[test]
fn cut_or_mangled_logs_never_panic() {
    for case in [
        "cme-mid-queue",
        "busy-5xx-backoff",
        "wrong-root-ca",
        "reboot-before-report",
        "not-claimed",
        "no-time-then-time",
        "fetch-timeout",
    ] {
        let log = std::fs::read_to_string(data(&format!("{case}.log"))).unwrap();
        let history = std::fs::read(data(&format!("{case}.history.json"))).ok();
        let h = history.as_deref();
        let lines: Vec<&str> = log.lines().collect();
        for keep in 0..=lines.len() {
            let cut: String = lines[..keep].iter().map(|l| format!("{l}\n")).collect();
            let _ = error_or_ok(cut.as_bytes(), h);
            // Every line with a number turned huge, and every line dropped.
            let huge = cut.replace("in 3 seconds", "in 18446744073709551615 seconds");
            let _ = error_or_ok(huge.as_bytes(), h);
            let dropped: String = lines
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != keep)
                .map(|(_, l)| format!("{l}\n"))
                .collect();
            let _ = error_or_ok(dropped.as_bytes(), h);
            let _ = error_or_ok(dropped.as_bytes(), None);
        }
    }
}

fn error_or_ok(bytes: &[u8], history: Option<&[u8]>) -> Result<Imported, ImportError> {
    import(&Inputs {
        console: Input {
            name: "field.log",
            bytes,
        },
        service_history: history.map(|bytes| Input {
            name: "history.json",
            bytes,
        }),
        at_trace: None,
        name: "x",
        device: "dk1",
        calibrate: false,
        allow_unknown: false,
    })
}
