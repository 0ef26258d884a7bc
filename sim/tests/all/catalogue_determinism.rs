//! Determinism of the whole catalogue (`scenarios/*.toml`, discovered at test time and
//! sorted): the same scenario and seed give byte-identical text and Mermaid transcripts,
//! and the outcome (passed) does not depend on the seed (seed+1 and seed+2).
#![allow(clippy::unwrap_used, missing_docs)]

use crate::backend_support;

use std::path::PathBuf;

use backend_support::*;

/// The file names of the catalogue's scenarios, sorted.
fn catalogue_files() -> Vec<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .map(|path| path.file_name().unwrap().to_str().unwrap().to_owned())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no scenario files in {}", dir.display());
    files
}

#[test]
fn same_seed_gives_byte_identical_transcripts() {
    for file in catalogue_files() {
        let scenario = catalogue(&file);
        let a = run(&scenario, None);
        let b = run(&scenario, None);
        assert_passed(&a);
        assert_eq!(a.seed, b.seed, "{file}");
        assert_eq!(a.outcome, b.outcome, "{file}");
        assert_eq!(a.virtual_ms, b.virtual_ms, "{file}");
        assert_eq!(a.transcript.to_text(), b.transcript.to_text(), "{file}");
        assert_eq!(
            a.transcript.to_mermaid(),
            b.transcript.to_mermaid(),
            "{file}"
        );
    }
}

#[test]
fn other_seeds_give_the_same_outcome() {
    let mut differing = Vec::new();
    for file in catalogue_files() {
        let scenario = catalogue(&file);
        let own = scenario.scenario.seed();
        for seed in [own.wrapping_add(1), own.wrapping_add(2)] {
            let result = run(&scenario, Some(seed));
            assert_eq!(result.seed, seed, "{file}");
            if !result.passed() {
                differing.push(format!(
                    "{file} seed {seed}: {:?}\n{}",
                    result.outcome,
                    result.transcript.to_text()
                ));
            }
        }
    }
    assert!(
        differing.is_empty(),
        "{} run(s) did not pass:\n{}",
        differing.len(),
        differing.join("\n\n")
    );
}
