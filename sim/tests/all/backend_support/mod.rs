//! Shared helpers of the backend tests: loading catalogue files and running them.
#![allow(dead_code, missing_docs, clippy::unwrap_used)]

use std::path::PathBuf;

use provlab_harness::{load_file, load_str, LoadedScenario, RunOptions, Runner, ScenarioResult};
use provlab_sim::backend::SimBackendFactory;

/// A file of the repository's `scenarios/` directory.
pub fn catalogue(file: &str) -> LoadedScenario {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios")
        .join(file);
    load_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A scenario from text, named `file` in reports.
pub fn inline(text: &str, file: &str) -> LoadedScenario {
    load_str(text, std::path::Path::new(file)).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs a scenario on a fresh simulation backend.
pub fn run(scenario: &LoadedScenario, seed: Option<u64>) -> ScenarioResult {
    Runner::new(SimBackendFactory::default(), RunOptions::with_seed(seed)).run(scenario)
}

/// Panics with the transcript unless the run passed.
pub fn assert_passed(result: &ScenarioResult) {
    assert!(
        result.passed(),
        "{}: {:?}\n{}",
        result.name,
        result.outcome,
        result.transcript.to_text()
    );
}

/// Runs a scenario on a simulation backend with `--net loopback` (real sockets).
pub fn run_loopback(scenario: &LoadedScenario, seed: Option<u64>) -> ScenarioResult {
    let factory = SimBackendFactory::new(provlab_sim::backend::SimOptions {
        net: provlab_sim::backend::NetMode::Loopback,
    });
    Runner::new(factory, RunOptions::with_seed(seed)).run(scenario)
}
