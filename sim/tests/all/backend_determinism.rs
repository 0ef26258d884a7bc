//! The same scenario and seed give a byte-identical transcript; another seed another one.
#![allow(clippy::unwrap_used, missing_docs)]

use crate::backend_support;

use backend_support::*;

#[test]
fn same_seed_gives_a_byte_identical_transcript() {
    for file in ["01-happy-path-http.toml", "03-failure-mid-queue.toml"] {
        let scenario = catalogue(file);
        let a = run(&scenario, None);
        let b = run(&scenario, None);
        assert_passed(&a);
        assert_eq!(a.transcript.to_text(), b.transcript.to_text(), "{file}");
        assert_eq!(
            a.transcript.to_mermaid(),
            b.transcript.to_mermaid(),
            "{file}"
        );
        assert_eq!(a.virtual_ms, b.virtual_ms);
    }
}

#[test]
fn another_seed_gives_another_transcript() {
    let scenario = catalogue("01-happy-path-http.toml");
    let a = run(&scenario, Some(1));
    let b = run(&scenario, Some(2));
    assert_passed(&b);
    assert_ne!(a.transcript.to_text(), b.transcript.to_text());
}
