//! The test layout that keeps the test build small (ARCHITECTURE.md, "Tests"): each crate's
//! integration tests are one binary, `tests/all/main.rs`. A new top-level `tests/*.rs` file
//! would add a binary (a link and an executable of its own), and a file in `tests/all/` that
//! `main.rs` does not name would silently never run: both fail here with what to do.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Top-level test files that are binaries of their own, and why.
const STANDALONE: &[(&str, &str)] = &[
    (
        "sim/tests/catalogue_snapshots.rs",
        "insta names its snapshots after the module path",
    ),
    (
        "harness/tests/report.rs",
        "insta names its snapshots after the module path",
    ),
    (
        "harness/tests/report_pages.rs",
        "insta names its snapshots after the module path",
    ),
    (
        "server/tests/container.rs",
        "CI's container step builds and runs it alone",
    ),
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The root crate and the workspace's members, as directories relative to the root (read
/// from `members = [...]` in the root `Cargo.toml`, so a new crate is covered too).
fn crates() -> Vec<String> {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let line = manifest
        .lines()
        .find(|l| l.trim_start().starts_with("members"))
        .expect("the root Cargo.toml lists the workspace's members on one line");
    let mut crates = vec![".".to_owned()];
    crates.extend(line.split('"').skip(1).step_by(2).map(str::to_owned));
    crates
}

fn rust_files(dir: &Path) -> BTreeSet<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeSet::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| name.ends_with(".rs"))
        .collect()
}

#[test]
fn integration_tests_are_one_binary_per_crate() {
    let mut strays = Vec::new();
    for krate in &crates() {
        let tests = root().join(krate).join("tests");
        for file in rust_files(&tests) {
            let shown = Path::new(krate.as_str())
                .join("tests")
                .join(&file)
                .to_string_lossy()
                .trim_start_matches("./")
                .to_owned();
            if !STANDALONE.iter().any(|(path, _)| *path == shown) {
                strays.push(shown);
            }
        }
    }
    assert!(
        strays.is_empty(),
        "each of these adds a test binary: move it to tests/all/<name>.rs and add `mod <name>;` \
         to tests/all/main.rs (or list it in STANDALONE with the reason): {strays:?}"
    );
}

#[test]
fn every_file_in_tests_all_is_a_module_of_main() {
    let mut unnamed = Vec::new();
    for krate in &crates() {
        let all = root().join(krate).join("tests").join("all");
        let Ok(main) = std::fs::read_to_string(all.join("main.rs")) else {
            continue;
        };
        let declared: BTreeSet<&str> = main
            .lines()
            .filter_map(|l| l.trim().strip_prefix("mod "))
            .filter_map(|l| l.strip_suffix(';'))
            .collect();
        for file in rust_files(&all) {
            let module = file.trim_end_matches(".rs");
            if module != "main" && !declared.contains(module) {
                unnamed.push(format!("{krate}/tests/all/{file}"));
            }
        }
    }
    assert!(
        unnamed.is_empty(),
        "tests/all/main.rs does not name these files, so their tests never run: {unnamed:?}"
    );
}
