//! The glue scenarios of the catalogue pass through the runner on the simulation backend.
#![allow(clippy::unwrap_used, missing_docs)]

use crate::backend_support;

use backend_support::*;
use provlab_harness::transcript::{EntryKind, Lane};

#[test]
fn happy_path_over_http_passes() {
    let result = run(&catalogue("01-happy-path-http.toml"), None);
    assert_passed(&result);
    assert_eq!(result.seed, 1);
    let t = &result.transcript;
    assert!(t
        .entries
        .iter()
        .any(|e| e.from == Lane::Owner("olivia".into())
            && e.kind == EntryKind::Request
            && e.text.starts_with("POST /v1/claimed-devices")));
    assert!(t
        .entries
        .iter()
        .any(|e| e.kind == EntryKind::Event && e.text == "DONE"));
    let lanes = t.participants();
    assert!(lanes.contains(&Lane::Modem("dk1".into())));
    assert!(lanes.contains(&Lane::Service));
    assert!(t.to_mermaid().starts_with("sequenceDiagram"));
}

#[test]
fn failure_mid_queue_passes() {
    let result = run(&catalogue("03-failure-mid-queue.toml"), None);
    assert_passed(&result);
    assert_eq!(result.seed, 7);
    let text = result.transcript.to_text();
    assert!(text.contains("CME ERROR: 514"), "{text}");
}
