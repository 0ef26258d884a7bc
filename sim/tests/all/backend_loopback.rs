//! `--net loopback`: scenarios over real sockets to the real device endpoints (TLS 1.2 and
//! DTLS 1.2 on 127.0.0.1), still in virtual time. The whole catalogue passes as in memory,
//! CoAP loss happens in a real UDP relay, and forced answers fire on the real endpoints.
#![allow(clippy::unwrap_used, missing_docs)]

use crate::backend_support;

use std::path::PathBuf;

use backend_support::*;

/// The catalogue's file names, sorted.
fn catalogue_files() -> Vec<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn the_catalogue_passes_over_real_sockets() {
    let mut problems = Vec::new();
    for file in catalogue_files() {
        let result = run_loopback(&catalogue(&file), None);
        if !result.passed() {
            problems.push(format!(
                "{file}: {:?}\n{}",
                result.outcome,
                result.transcript.to_text()
            ));
            continue;
        }
        // The answers came from the real endpoints (some scenarios never reach the
        // service: no valid time, wrong root CA, owner-only role checks).
        let text = result.transcript.to_text();
        let offline = ["09-", "10-", "16-"].iter().any(|p| file.starts_with(p));
        if !offline && !text.contains("real endpoint") {
            problems.push(format!("{file}: no real exchange in the transcript"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    // The wrong root CA is a real certificate the real TLS stack rejects.
    let wrong_ca = run_loopback(&catalogue("10-wrong-root-ca.toml"), None);
    let text = wrong_ca.transcript.to_text();
    assert!(
        text.contains("transport failed: HandshakeFailed (handshake with"),
        "{text}"
    );
}

#[test]
fn coap_loss_happens_in_the_relay_and_the_real_retransmissions_recover() {
    // Scenario 18 (20 % loss on CoAP) over real DTLS: datagrams are lost in the relay, the
    // real transports retransmit, and no handshake gives up (it did before the server
    // resent its last flight on a repeated client flight).
    for seed in [5, 6, 7] {
        let result = run_loopback(&catalogue("18-lossy-link.toml"), Some(seed));
        assert_passed(&result);
        let text = result.transcript.to_text();
        assert!(
            text.contains("datagram(s) of the"),
            "seed {seed}: no loss\n{text}"
        );
        assert!(
            !text.contains("transport failed"),
            "seed {seed}: an exchange gave up\n{text}"
        );
    }
}

#[test]
fn https_loss_and_partitions_are_drawn_per_tcp_leg() {
    let text = forced_answer_scenario("http", "fetch", "{ http = 500 }").replace(
        r#"service = { request = "fetch", nth = 1, answer = { http = 500 } }"#,
        "link = { loss_percent = 40 }",
    );
    let scenario = inline(&text, "tcp-loss.toml");
    let mut drops = 0;
    for seed in 1..=6 {
        assert_passed(&run(&scenario, Some(seed)));
        let loopback = run_loopback(&scenario, Some(seed));
        assert_passed(&loopback);
        let transcript = loopback.transcript.to_text();
        drops += transcript
            .matches("dropped (loss): request of the HTTPS")
            .count()
            + transcript
                .matches("dropped (loss): answer of the HTTPS")
                .count();
    }
    // 40 % per leg over six runs of at least four legs each: some must be lost.
    assert!(drops > 0, "no TCP leg was lost in six runs");
    // A 20 s partition from the start: TCP retransmits until it is over.
    let text = forced_answer_scenario("http", "fetch", "{ http = 500 }").replace(
        r#"service = { request = "fetch", nth = 1, answer = { http = 500 } }"#,
        r#"link = { partition = { after = "0s", lasting = "20s" } }"#,
    );
    let scenario = inline(&text, "tcp-partition.toml");
    assert_passed(&run(&scenario, None));
    let loopback = run_loopback(&scenario, None);
    assert_passed(&loopback);
    let transcript = loopback.transcript.to_text();
    assert!(
        transcript.contains("dropped (partition): request of the HTTPS exchange"),
        "{transcript}"
    );
}

#[test]
fn loopback_runs_get_the_same_outcome_for_other_seeds() {
    for file in [
        "01-happy-path-http.toml",
        "02-happy-path-coap.toml",
        "03-failure-mid-queue.toml",
    ] {
        let scenario = catalogue(file);
        let result = run_loopback(&scenario, Some(scenario.scenario.seed().wrapping_add(7)));
        assert_passed(&result);
    }
}

/// A claimed device whose first `request` gets `answer` (TOML), then provisions.
fn forced_answer_scenario(transport: &str, request: &str, answer: &str) -> String {
    format!(
        r#"
name = "forced-{transport}-{request}"
seed = 3

[service]
members = [{{ name = "olivia", role = "owner" }}]

[[device]]
name = "dk1"
transport = "{transport}"
claimed_by = "olivia"

[device.client]
scheduled = true
initial_backoff = "60s"
interval = "5m"

[[device.config]]
request = {{ finished = {{}} }}

[[fault]]
service = {{ request = "{request}", nth = 1, answer = {answer} }}

[[step]]
trigger = "dk1"
[[step]]
wait_until = {{ status = "PROVISIONED", within = "30m" }}
"#
    )
}

/// Runs the scenario in memory and over loopback; both must pass, and the loopback
/// transcript must show `evidence` (what the real socket layer reported).
fn same_outcome(transport: &str, request: &str, answer: &str, evidence: &str) {
    let text = forced_answer_scenario(transport, request, answer);
    let scenario = inline(&text, "forced.toml");
    let memory = run(&scenario, None);
    assert_passed(&memory);
    let loopback = run_loopback(&scenario, None);
    assert_passed(&loopback);
    let transcript = loopback.transcript.to_text();
    assert!(
        transcript.contains("armed on the real endpoint"),
        "{transport} {request} {answer}: the fault was not armed\n{transcript}"
    );
    assert!(
        transcript.contains(evidence),
        "{transport} {request} {answer}: no `{evidence}`\n{transcript}"
    );
}

#[test]
fn a_forced_status_comes_from_the_real_https_endpoint() {
    same_outcome("http", "fetch", "{ http = 500 }", "500 (");
}

#[test]
fn a_forced_close_drops_the_real_tls_connection() {
    same_outcome("http", "fetch", r#""close""#, "transport failed: Closed");
    same_outcome("http", "report", r#""close""#, "transport failed: Closed");
}

#[test]
fn a_forced_silence_times_the_real_https_request_out() {
    same_outcome("http", "fetch", r#""silence""#, "transport failed: Timeout");
}

#[test]
fn forced_coap_answers_come_from_the_real_dtls_endpoint() {
    same_outcome("coap", "fetch", r#"{ coap = "5.03" }"#, "5.03 (");
    same_outcome("coap", "auth", r#"{ coap = "4.01" }"#, "4.01 (");
    same_outcome("coap", "fetch", r#""close""#, "transport failed: Closed");
    same_outcome(
        "coap",
        "report",
        r#""silence""#,
        "transport failed: Timeout",
    );
    same_outcome("coap", "report", r#""lost""#, "transport failed: Timeout");
}

#[test]
fn a_lost_answer_is_handled_by_the_real_endpoint_and_withheld() {
    same_outcome("http", "report", r#""lost""#, "transport failed: Timeout");
    same_outcome("http", "fetch", r#""lost""#, "transport failed: Timeout");
}

#[test]
fn an_injected_handshake_failure_is_a_real_handshake_failure() {
    let text = forced_answer_scenario("http", "fetch", "{ http = 200 }").replace(
        r#"service = { request = "fetch", nth = 1, answer = { http = 200 } }"#,
        "handshake = { nth = 1 }",
    );
    let scenario = inline(&text, "handshake.toml");
    assert_passed(&run(&scenario, None));
    let loopback = run_loopback(&scenario, None);
    assert_passed(&loopback);
    let transcript = loopback.transcript.to_text();
    assert!(transcript.contains("decoy CA"), "{transcript}");
    assert!(
        transcript.contains("transport failed: HandshakeFailed"),
        "{transcript}"
    );
}
