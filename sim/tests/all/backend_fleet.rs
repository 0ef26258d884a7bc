//! Fleet mode: one scenario device cloned N times on one service.
#![allow(clippy::unwrap_used, missing_docs)]

use crate::backend_support;

use backend_support::*;
use provlab_harness::LoadedScenario;
use provlab_sim::backend::fleet;

#[test]
fn a_fleet_of_the_happy_path_provisions_every_clone() {
    let mut scenario: LoadedScenario = catalogue("01-happy-path-http.toml");
    scenario.scenario = fleet::expand(&scenario.scenario, 5).unwrap();
    assert_eq!(scenario.scenario.devices.len(), 5);
    assert_eq!(scenario.scenario.devices[4].name.get(), "dk1-0005");
    assert_eq!(scenario.scenario.expect.len(), 5);
    let result = run(&scenario, None);
    assert_passed(&result);
    let text = result.transcript.to_text();
    assert!(text.contains("dk1-0005.client"), "{text}");
}

#[test]
fn named_device_faults_are_cloned_with_their_steps() {
    let mut scenario = catalogue("03-failure-mid-queue.toml");
    scenario.scenario = fleet::expand(&scenario.scenario, 3).unwrap();
    let faults: Vec<_> = scenario
        .scenario
        .faults
        .iter()
        .map(|f| f.name.as_ref().unwrap().get().clone())
        .collect();
    assert_eq!(
        faults,
        vec![
            "delete-refused-0001",
            "delete-refused-0002",
            "delete-refused-0003"
        ]
    );
    assert_passed(&run(&scenario, None));
}

#[test]
fn fleet_mode_needs_one_device() {
    let scenario = catalogue("01-happy-path-http.toml");
    let two = fleet::expand(&scenario.scenario, 2).unwrap();
    assert!(fleet::expand(&two, 2).is_err());
    assert!(fleet::expand(&scenario.scenario, 0).is_err());
}
