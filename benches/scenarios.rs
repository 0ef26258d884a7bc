//! Scenario throughput: the whole catalogue (`scenarios/*.toml`) played one after another
//! on one thread through the simulation backend (in-memory link, virtual time), each with
//! its own seed, in scenarios/s.
//!
//! Run with `cargo bench --bench scenarios -- --warm-up-time 1 --measurement-time 5`;
//! figures are kept in `benches/README.md`.
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use provlab_harness::{load_path, LoadedScenario, RunOptions, Runner};
use provlab_sim::backend::SimBackendFactory;

/// Every catalogue scenario, sorted by file name.
fn catalogue() -> Vec<LoadedScenario> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let scenarios = load_path(&dir).unwrap();
    assert!(!scenarios.is_empty(), "no scenarios in {}", dir.display());
    scenarios
}

fn bench_catalogue(c: &mut Criterion) {
    let scenarios = catalogue();
    let runner = Runner::new(SimBackendFactory::default(), RunOptions::with_seed(None));
    let mut group = c.benchmark_group("scenarios");
    // One catalogue pass takes a few hundred milliseconds: flat sampling keeps the run short.
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(20);
    group.throughput(Throughput::Elements(scenarios.len() as u64));
    group.bench_function("catalogue", |b| {
        b.iter(|| {
            for loaded in &scenarios {
                let result = runner.run(black_box(loaded));
                assert!(result.passed(), "{}: {:?}", result.name, result.outcome);
                black_box(result);
            }
        });
    });
    group.finish();
}

criterion_group!(benches, bench_catalogue);
criterion_main!(benches);
