//! Fleet throughput: the happy path (`scenarios/01-happy-path-http.toml`) with its device
//! cloned 1,000 times by the fleet mode's library function
//! (`provlab_sim::backend::fleet::expand`, what `provlab run --devices 1000` does), all
//! provisioned through one service in one scenario run, in devices/s.
//!
//! Run with `cargo bench --bench fleet` (about 1-2 minutes); figures are kept in
//! `benches/README.md`.
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use provlab_harness::{load_file, LoadedScenario, RunOptions, Runner};
use provlab_sim::backend::{fleet, SimBackendFactory};

/// Devices in the fleet.
const DEVICES: usize = 1_000;

/// The happy path expanded to [`DEVICES`] clones, named as `--devices` names it.
fn fleet_scenario() -> LoadedScenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/01-happy-path-http.toml");
    let mut loaded = load_file(&path).unwrap();
    let mut expanded = fleet::expand(&loaded.scenario, DEVICES).unwrap();
    *expanded.name.get_mut() = fleet::fleet_name(loaded.name(), DEVICES);
    loaded.scenario = expanded;
    loaded
}

fn bench_fleet(c: &mut Criterion) {
    let scenario = fleet_scenario();
    let runner = Runner::new(SimBackendFactory::default(), RunOptions::with_seed(None));
    let mut group = c.benchmark_group("fleet");
    // One run takes seconds: ten single-iteration samples (criterion warns that they do
    // not fit the measurement time and takes ~10 runs anyway; that is intended).
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(DEVICES as u64));
    group.bench_function("happy_path_http_1000_devices", |b| {
        b.iter(|| {
            let result = runner.run(black_box(&scenario));
            assert!(result.passed(), "{}: {:?}", result.name, result.outcome);
            black_box(result)
        });
    });
    group.finish();
}

criterion_group!(benches, bench_fleet);
criterion_main!(benches);
