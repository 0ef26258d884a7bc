//! Runner tests against the scripted mock backend.
#![allow(clippy::unwrap_used)]

use crate::support;

use provlab_harness::scenario::FaultClass;
use std::path::Path;

use provlab_harness::backend::{Capabilities, Capability};
use provlab_harness::loader::{load_file, load_str, LoadedScenario};
use provlab_harness::runner::{run_with, Outcome, RunOptions, Runner, ScenarioResult};
use provlab_harness::scenario::CommandStatus::*;
use provlab_harness::Lane;

use support::{failure_mid_queue, MockBackend, MockFactory, ALL_GOOD};

const FILE: &str = "tests/data/failure-mid-queue.toml";

fn scenario() -> LoadedScenario {
    load_file(Path::new(FILE)).unwrap()
}

fn variant(edit: impl Fn(String) -> String) -> LoadedScenario {
    let source = std::fs::read_to_string(FILE).unwrap();
    load_str(&edit(source), Path::new(FILE)).unwrap()
}

/// 1-based line of the first line of the scenario file starting with `prefix`.
fn line_of(prefix: &str) -> usize {
    let source = std::fs::read_to_string(FILE).unwrap();
    source.lines().position(|l| l.starts_with(prefix)).unwrap() + 1
}

fn run(mut backend: MockBackend, loaded: &LoadedScenario) -> (ScenarioResult, MockBackend) {
    let result = run_with(loaded, &mut backend, &RunOptions::default());
    (result, backend)
}

#[test]
fn passes_when_every_expectation_holds() {
    let (result, backend) = run(failure_mid_queue(ALL_GOOD), &scenario());
    assert_eq!(result.outcome, Outcome::Passed, "{:#?}", result.outcome);
    assert!(result.skipped.is_empty(), "{:?}", result.skipped);
    assert_eq!(result.seed, 7);
    assert_eq!(result.name, "failure-mid-queue");
    assert_eq!(result.backend, "mock");
    assert_eq!(result.virtual_ms, 9_900);
    assert_eq!(result.failure_message(), None);
    assert_eq!(
        backend.log,
        [
            "setup failure-mid-queue seed 7",
            "trigger dk1",
            "skip device=dk1 command=2 by=olivia",
            "trigger dk1",
        ]
    );
    // Runner notes are woven into the backend's transcript, in order.
    let notes: Vec<&str> = result
        .transcript
        .entries
        .iter()
        .filter(|e| e.from == Lane::Runner)
        .map(|e| e.text.as_str())
        .collect();
    assert_eq!(notes[0], "setup · seed 7");
    assert_eq!(notes[1], "step 1 · trigger dk1");
    assert!(
        notes.contains(&"step 2 (wait_until) met at t=4.200s"),
        "{notes:?}"
    );
    assert_eq!(notes.last(), Some(&"passed"));
}

#[test]
fn fails_with_the_unmet_expectation_its_location_and_the_replay_command() {
    let loaded = scenario();
    let (result, _) = run(
        failure_mid_queue([Succeeded, Skipped, Succeeded, Failed]),
        &loaded,
    );
    let Outcome::Failed { unmet } = &result.outcome else {
        panic!("expected a failure, got {:?}", result.outcome);
    };
    assert_eq!(unmet.len(), 1, "{unmet:#?}");
    let u = &unmet[0];
    assert_eq!(u.context, "[[expect]] #1");
    assert_eq!(u.what, "dk1 commands");
    assert_eq!(u.expected, "[SUCCEEDED, SKIPPED, SUCCEEDED, SUCCEEDED]");
    assert_eq!(u.observed, "[SUCCEEDED, SKIPPED, SUCCEEDED, FAILED]");
    assert_eq!(u.location.file, Path::new(FILE));
    let commands_line = loaded
        .source()
        .lines()
        .position(|l| l.starts_with("commands = [\"SUCCEEDED\", \"SKIPPED\""))
        .unwrap()
        + 1;
    assert_eq!((u.location.line, u.location.column), (commands_line, 12));
    let message = result.failure_message().unwrap();
    assert_eq!(
        message,
        format!(
            "{FILE}:{commands_line}:12: [[expect]] #1: dk1 commands: expected [SUCCEEDED, SKIPPED, SUCCEEDED, SUCCEEDED], observed [SUCCEEDED, SKIPPED, SUCCEEDED, FAILED] (at t=9.900s); seed 7; replay: provlab run {FILE} --seed 7"
        )
    );
}

#[test]
fn an_unsupported_required_fault_skips_the_scenario_with_the_reason() {
    let mut backend = failure_mid_queue(ALL_GOOD);
    backend.caps = Capabilities::all().without(
        Capability::Fault(FaultClass::Modem),
        "real modem on a HIL board",
    );
    let (result, backend) = run(backend, &scenario());
    let Outcome::Skipped { reason } = &result.outcome else {
        panic!("expected a skip, got {:?}", result.outcome);
    };
    let line = line_of("modem = {");
    assert!(reason.starts_with(&format!("{FILE}:{line}:9: fault `delete-refused` (modem) needs modem faults: real modem on a HIL board")), "{reason}");
    assert!(reason.contains("optional = true"), "{reason}");
    assert!(
        backend.log.is_empty(),
        "no setup for a skipped scenario: {:?}",
        backend.log
    );
    assert_eq!(result.failure_message(), None);
}

#[test]
fn optional_faults_and_uncheckable_parts_are_skipped_individually() {
    let loaded = variant(|s| {
        s.replace(
            "name = \"delete-refused\"",
            "name = \"delete-refused\"\noptional = true",
        )
    });
    let mut backend = failure_mid_queue(ALL_GOOD);
    backend.caps = Capabilities::all()
        .without(Capability::Fault(FaultClass::Modem), "real modem")
        .without(
            Capability::NvmInspection,
            "no credential listing on this rack",
        );
    let (result, _) = run(backend, &loaded);
    assert_eq!(result.outcome, Outcome::Passed, "{:#?}", result.outcome);
    let skipped: Vec<String> = result.skipped.iter().map(|s| s.to_string()).collect();
    assert_eq!(skipped.len(), 2, "{skipped:#?}");
    assert!(
        skipped[0].ends_with(
            "fault `delete-refused` (modem) skipped: modem faults unavailable: real modem"
        ),
        "{}",
        skipped[0]
    );
    assert!(
        skipped[1].contains("[[expect]] #1: dk1 nvm skipped: NVM inspection unavailable: no credential listing on this rack"),
        "{}",
        skipped[1]
    );
}

#[test]
fn a_step_the_backend_skips_is_reported_with_its_reason() {
    let mut backend = failure_mid_queue(ALL_GOOD);
    backend.skips = vec![(
        "skip".to_owned(),
        "owner actions are disabled on this rack".to_owned(),
    )];
    let (result, _) = run(backend, &scenario());
    assert_eq!(result.outcome, Outcome::Passed);
    assert_eq!(result.skipped.len(), 1);
    assert_eq!(result.skipped[0].what, "step 4 (skip)");
    assert_eq!(
        result.skipped[0].reason,
        "owner actions are disabled on this rack"
    );
    assert_eq!(result.skipped[0].location.line, line_of("skip = {") - 1);
}

#[test]
fn a_power_cycle_without_the_capability_is_skipped() {
    let loaded = variant(|s| {
        s.replace("[[step]]\ntrigger = \"dk1\"\n[[step]]\nwait_until = { status = \"PROVISIONED\"", "[[step]]\npower_cycle = { device = \"dk1\" }\n[[step]]\ntrigger = \"dk1\"\n[[step]]\nwait_until = { status = \"PROVISIONED\"")
    });
    let mut backend = failure_mid_queue(ALL_GOOD);
    backend.caps = Capabilities::all().without(Capability::PowerCycle, "no relay on this board");
    let (result, backend) = run(backend, &loaded);
    assert_eq!(result.outcome, Outcome::Passed);
    assert_eq!(result.skipped[0].what, "step 5 (power_cycle)");
    assert_eq!(
        result.skipped[0].reason,
        "power cycling unavailable: no relay on this board"
    );
    assert!(!backend.log.iter().any(|l| l.starts_with("power_cycle")));
}

#[test]
fn a_wait_that_times_out_fails_and_ends_the_timeline() {
    let mut backend = failure_mid_queue(ALL_GOOD);
    backend.timeline.truncate(1); // the device never reaches ERROR
    let (result, backend) = run(backend, &scenario());
    let Outcome::Failed { unmet } = &result.outcome else {
        panic!("expected a failure, got {:?}", result.outcome);
    };
    assert_eq!(unmet.len(), 1, "{unmet:#?}");
    assert_eq!(unmet[0].context, "step 2 (wait_until) timed out after 2m");
    assert_eq!(unmet[0].what, "dk1 status");
    assert_eq!(unmet[0].expected, "ERROR");
    assert_eq!(unmet[0].observed, "READY");
    assert_eq!(unmet[0].at_ms, 120_000);
    assert_eq!(
        backend.log.len(),
        2,
        "later steps did not run: {:?}",
        backend.log
    );
}

#[test]
fn owner_action_answers_are_checked_against_expect_status() {
    let mut backend = failure_mid_queue(ALL_GOOD);
    backend.refusals = vec![("skip".to_owned(), 403, "viewers cannot skip".to_owned())];
    let (result, _) = run(backend.clone(), &scenario());
    let Outcome::Failed { unmet } = &result.outcome else {
        panic!("expected a failure, got {:?}", result.outcome);
    };
    assert_eq!(unmet[0].what, "service answer");
    assert_eq!(unmet[0].expected, "a 2xx answer");
    assert_eq!(unmet[0].observed, "status 403: viewers cannot skip");

    let expecting = variant(|s| {
        s.replace(
            "by = \"olivia\" }",
            "by = \"olivia\", expect_status = 403 }",
        )
    });
    let (result, _) = run(backend, &expecting);
    assert_eq!(result.outcome, Outcome::Passed, "{:#?}", result.outcome);
}

#[test]
fn seed_override_reaches_setup_and_the_replay_command() {
    let loaded = scenario();
    let mut backend = failure_mid_queue([Succeeded, Skipped, Succeeded, Failed]);
    let result = run_with(&loaded, &mut backend, &RunOptions::with_seed(Some(99)));
    assert_eq!(backend.log[0], "setup failure-mid-queue seed 99");
    assert_eq!(result.seed, 99);
    assert!(result
        .failure_message()
        .unwrap()
        .ends_with(&format!("seed 99; replay: provlab run {FILE} --seed 99")));
}

#[test]
fn the_runner_uses_a_fresh_backend_per_scenario_and_survives_a_panic() {
    let runner = Runner::new(
        MockFactory(failure_mid_queue(ALL_GOOD)),
        RunOptions::default(),
    );
    let results = runner.run_all(&[scenario(), scenario()]);
    assert!(results.iter().all(|r| r.outcome == Outcome::Passed));

    let mut panicking = failure_mid_queue(ALL_GOOD);
    panicking.panic_on = Some("skip".to_owned());
    let runner = Runner::new(MockFactory(panicking), RunOptions::default());
    let result = runner.run(&scenario());
    assert_eq!(
        result.outcome,
        Outcome::Error {
            message: "the backend panicked: scripted panic on skip".to_owned()
        }
    );
    assert!(result
        .failure_message()
        .unwrap()
        .contains("replay: provlab run"));
}

#[test]
fn runners_and_results_cross_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Runner<MockFactory>>();
    send_sync::<ScenarioResult>();
    send_sync::<LoadedScenario>();
    let runner = Runner::new(
        MockFactory(failure_mid_queue(ALL_GOOD)),
        RunOptions::default(),
    );
    let loaded = scenario();
    let results: Vec<ScenarioResult> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2).map(|_| s.spawn(|| runner.run(&loaded))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(results[0].transcript, results[1].transcript);
}

#[test]
fn a_timeline_asking_more_virtual_time_than_the_cap_is_an_error_before_setup() {
    let loaded = scenario();
    let mut backend = failure_mid_queue(ALL_GOOD);
    let options = RunOptions {
        max_virtual_time: provlab_harness::Duration::from_secs(1),
        ..RunOptions::default()
    };
    let result = run_with(&loaded, &mut backend, &options);
    let Outcome::Error { message } = &result.outcome else {
        panic!("expected an error: {:#?}", result.outcome);
    };
    assert!(message.contains("more than the cap of 1s"), "{message}");
    assert!(message.contains("--max-virtual-time"), "{message}");
    assert!(backend.log.is_empty(), "set up anyway: {:?}", backend.log);
}

#[test]
fn a_run_over_its_wall_clock_budget_ends_as_an_error() {
    let loaded = scenario();
    let mut backend = failure_mid_queue(ALL_GOOD);
    let options = RunOptions {
        wall_budget: std::time::Duration::ZERO,
        ..RunOptions::default()
    };
    let result = run_with(&loaded, &mut backend, &options);
    let Outcome::Error { message } = &result.outcome else {
        panic!("expected an error: {:#?}", result.outcome);
    };
    assert!(message.contains("wall-clock budget"), "{message}");
    assert!(message.starts_with("step 1"), "{message}");
}

#[test]
fn durations_longer_than_ten_years_are_refused_where_they_are_written() {
    let source = std::fs::read_to_string(FILE).unwrap();
    let edited = format!("{source}\n[[step]]\nadvance = \"200000000000d\"\n");
    let error = load_str(&edited, Path::new(FILE)).unwrap_err();
    let text = error.to_string();
    assert!(text.contains("longer than 3650d"), "{text}");
}
