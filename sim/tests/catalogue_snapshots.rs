//! Every scenario file of the catalogue (`scenarios/*.toml`, discovered at test time and
//! sorted) runs with its own seed, passes, and its text transcript matches an `insta`
//! snapshot named after the file stem (`snapshots/catalogue_snapshots__<stem>.snap`).
//!
//! After an intended change: `cargo insta test -p provlab-sim --test catalogue_snapshots`
//! then `cargo insta review`.
#![allow(clippy::unwrap_used, missing_docs)]

#[path = "all/backend_support/mod.rs"]
mod backend_support;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use backend_support::*;

/// The catalogue's scenario files, sorted by name.
fn catalogue_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no scenario files in {}", dir.display());
    files
}

#[test]
fn every_catalogue_transcript_matches_its_snapshot() {
    let mut mismatched = Vec::new();
    for path in catalogue_files() {
        let file = path.file_name().unwrap().to_str().unwrap().to_owned();
        let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let result = run(&catalogue(&file), None);
        assert_passed(&result);
        let text = result.transcript.to_text();
        // Keep going after a mismatch so that `cargo insta review` sees every changed
        // snapshot of one run, then fail naming them all.
        let checked = catch_unwind(AssertUnwindSafe(|| {
            insta::assert_snapshot!(stem.as_str(), text);
        }));
        if checked.is_err() {
            mismatched.push(stem);
        }
    }
    assert!(
        mismatched.is_empty(),
        "transcripts differ from their snapshots: {mismatched:?}"
    );
}
