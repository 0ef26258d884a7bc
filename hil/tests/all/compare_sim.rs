//! The timeline comparison on real runs: a virtual board of the 3.0 era against the
//! simulation of the current era shows the era's drift, found and named; two simulations of
//! the same scenario and seed show none.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use provlab_harness::compare::{compare, render, Category, CompareOptions, DriftKind, Verdict};
use provlab_harness::{load_file, load_path, RunOptions, Runner, ScenarioResult};
use provlab_hil::backend::rack_provider::{ProbeFactory, RackOptions, RackProvider};
use provlab_hil::backend::HilBackendFactory;
use provlab_hil::decode::Era;
use provlab_hil::rack;
use provlab_sim::backend::{NetMode, SimBackendFactory, SimOptions};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

fn sim_run(loaded: &provlab_harness::LoadedScenario, seed: u64) -> ScenarioResult {
    Runner::new(
        SimBackendFactory::new(SimOptions {
            net: NetMode::InMemory,
        }),
        RunOptions::with_seed(Some(seed)),
    )
    .run(loaded)
}

fn options(a: &str, b: &str) -> CompareOptions {
    CompareOptions {
        a_label: a.to_owned(),
        b_label: b.to_owned(),
        ..CompareOptions::default()
    }
}

#[test]
fn a_v3_0_board_drifts_from_the_current_era_simulation_and_the_drift_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        r#"
[lab]
hostname = "localhost"
dir = "{}"
[lab.timeouts]
lease = "20s"
boot = "10s"
step = "30s"
scenario = "3m"
[[board]]
id = "virtual-1"
kind = "virtual"
era = "3.0"
speed = 20
"#,
        dir.path().join("lab").display()
    );
    let rack = rack::load_str(&text, &dir.path().join("rack.toml")).unwrap();
    let provider = RackProvider::new(
        rack,
        RackOptions {
            owner: "test".to_owned(),
            run_id: "drift".to_owned(),
            virtual_era: Some(Era::V3_0),
            tags: Vec::new(),
            recover: false,
            pull_plug: None,
            probes: ProbeFactory::probe_rs(),
        },
    );
    let factory = HilBackendFactory::new(Arc::new(provider));
    // The scenario as written: no `generation`, so the simulation is the current era.
    let loaded = load_file(&repo("scenarios/01-happy-path-http.toml")).unwrap();
    let board = Runner::new(factory, RunOptions::default()).run(&loaded);
    let sim = sim_run(&loaded, board.seed);

    // As `hil run --compare-sim` does at 20x: gaps under 5 s of board time (250 ms of wall
    // time) are polling and host noise.
    let options = CompareOptions {
        min_gap_ms: 5000,
        ..options("sim", "hil")
    };
    let report = compare(&sim.transcript, &board.transcript, &options);
    let text = render::text(&report);
    assert_eq!(report.verdict, Verdict::Drift, "{text}");
    // 3.0 logs `Provisioning stopped` before its result line: STOP comes before DONE.
    let order: Vec<_> = report
        .drifts
        .iter()
        .filter(|d| d.kind == DriftKind::OrderChange)
        .collect();
    assert_eq!(order.len(), 1, "{text}");
    assert_eq!(
        (
            order[0].stream.as_str(),
            order[0].category,
            order[0].key.as_str()
        ),
        ("dk1", Category::Event, "DONE"),
        "{text}"
    );
    assert!(
        text.contains("order change      dk1 event `DONE` comes later in hil"),
        "{text}"
    );
    // Nothing else differs: the events, requests, owner calls and service notes both sides
    // show line up; the AT commands only the simulation sees are not compared.
    assert!(
        report
            .drifts
            .iter()
            .all(|d| d.kind == DriftKind::OrderChange),
        "{text}"
    );
    for category in [Category::Event, Category::Owner, Category::Service] {
        assert!(report.compared.contains(&category), "{text}");
    }
    assert!(report
        .not_compared
        .iter()
        .any(|n| n.category == Category::At && n.only_in == "A"));
}

#[test]
fn identical_runs_show_no_drift_on_the_whole_catalogue() {
    for loaded in load_path(&repo("scenarios")).unwrap() {
        let seed = loaded.scenario.seed();
        let one = sim_run(&loaded, seed);
        let two = sim_run(&loaded, seed);
        let report = compare(&one.transcript, &two.transcript, &options("run 1", "run 2"));
        assert_eq!(
            report.verdict,
            Verdict::NoDrift,
            "{}: {}",
            loaded.name(),
            render::text(&report)
        );
    }
}

#[test]
fn two_client_generations_in_simulation_differ_and_the_difference_is_named() {
    // The same scenario with the device built as v2.9: the old sample reboots after DONE,
    // so a second attempt follows (START, a fetch, NO_COMMANDS) that the current one lacks.
    let path = repo("scenarios/01-happy-path-http.toml");
    let current = load_file(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap().replacen(
        "[device.client]\n",
        "[device.client]\ngeneration = \"v2.9\"\n",
        1,
    );
    let old = provlab_harness::load_str(&text, &path).unwrap();
    let a = sim_run(&current, 1);
    let b = sim_run(&old, 1);
    let report = compare(&a.transcript, &b.transcript, &options("current", "v2.9"));
    let text = render::text(&report);
    assert_eq!(report.verdict, Verdict::Drift, "{text}");
    assert!(
        report
            .drifts
            .iter()
            .any(|d| d.kind == DriftKind::Extra && d.key == "NO_COMMANDS"),
        "{text}"
    );
    assert!(
        report
            .drifts
            .iter()
            .any(|d| d.kind == DriftKind::Extra && d.category == Category::Request),
        "{text}"
    );
}
