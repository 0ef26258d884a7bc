//! What the backend reports when things do not go as the scenario says: unmet
//! expectations with the replay command, refused owner actions, loopback capabilities. (Every
//! fault shape is supported: `backend_fault_shapes.rs` runs them.)
#![allow(clippy::unwrap_used, missing_docs)]

use crate::backend_support;

use backend_support::*;
use provlab_harness::scenario::FaultClass;
use provlab_harness::{BackendFactory, Outcome};
use provlab_sim::backend::{NetMode, SimBackendFactory, SimOptions};

const WRONG_STATUS: &str = r#"
name = "expects-the-wrong-status"
seed = 42
[service]
members = [{ name = "olivia", role = "owner" }, { name = "eddie", role = "editor" }]
[[device]]
name = "dk1"
claimed_by = "olivia"
[[device.config]]
request = { finished = {} }
[[step]]
trigger = "dk1"
[[step]]
wait_until = { status = "PROVISIONED", events_in_order = ["DONE", "STOP"], within = "1m" }
[[step]]
create_rule = { by = "eddie", expect_status = 403, rule = { name = "r", tags = ["lab"], commands = [{ request = { finished = {} } }] } }
[[step]]
block = { device = "dk1", by = "eddie", expect_status = 403 }
[[expect]]
status = "ERROR"
records = { fetches = 1, reports = 1, delivered = [{ command = 1, times = 1 }] }
"#;

#[test]
fn an_unmet_expectation_fails_with_the_replay_command() {
    let scenario = inline(WRONG_STATUS, "scenarios/x.toml");
    let result = run(&scenario, None);
    let Outcome::Failed { unmet } = &result.outcome else {
        panic!("{:?}\n{}", result.outcome, result.transcript.to_text());
    };
    assert_eq!(unmet.len(), 1, "{unmet:?}");
    assert_eq!(unmet[0].what, "dk1 status");
    assert_eq!(unmet[0].observed, "PROVISIONED");
    let message = result.failure_message().unwrap();
    assert!(
        message.ends_with("seed 42; replay: provlab run scenarios/x.toml --seed 42"),
        "{message}"
    );
}

#[test]
fn an_unexpected_refusal_fails_the_scenario() {
    let text = WRONG_STATUS
        .replace("expect_status = 403, rule", "rule")
        .replace("status = \"ERROR\"", "status = \"PROVISIONED\"");
    let result = run(&inline(&text, "x.toml"), None);
    let Outcome::Failed { unmet } = &result.outcome else {
        panic!("{:?}", result.outcome);
    };
    assert_eq!(unmet.len(), 1, "{unmet:?}");
    assert_eq!(unmet[0].what, "service answer");
    assert!(unmet[0].observed.starts_with("status 403"), "{unmet:?}");
}

#[test]
fn loopback_mode_injects_every_fault() {
    let factory = SimBackendFactory::new(SimOptions {
        net: NetMode::Loopback,
    });
    let backend = factory.create().unwrap();
    for capability in [
        provlab_harness::Capability::Fault(FaultClass::Link),
        provlab_harness::Capability::Fault(FaultClass::Service),
        provlab_harness::Capability::Fault(FaultClass::Handshake),
        provlab_harness::Capability::Fault(FaultClass::PowerCut),
    ] {
        assert!(backend.capabilities().has(capability), "{capability}");
    }
}
