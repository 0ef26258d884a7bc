//! The HIL run's service side against its lab service (`provlab serve` in process) on
//! 127.0.0.1: a catalogue
//! scenario's starting state and owner actions go over REST, refusals come back with the
//! statuses the scenario expects, and the service's view of each device matches the
//! scenario's expectations (scenario 16, role checks, has no device step that needs a board).

#![allow(clippy::unwrap_used)]

use crate::support;

use std::net::SocketAddr;
use std::path::Path;

use provlab_harness::owner::{owner_step, set_up_service};
use provlab_harness::scenario::Step;
use provlab_harness::{load_file, BackendError, StepOutcome};
use provlab_hil::clock::RunClock;
use provlab_hil::lab::{LabServer, LabServiceConfig};
use provlab_hil::service::{observe, LabContent, LabService, TokenSource};
use provlab_server::api_client::ApiClient;
use support::token_for;

/// Boards whose tokens come from their names.
struct Boards;

impl TokenSource for Boards {
    fn attestation_token(&mut self, device: &str) -> Result<String, BackendError> {
        Ok(token_for(device))
    }
}

#[test]
fn scenario_16_runs_over_rest_with_the_statuses_it_expects() {
    // The lab service a HIL run starts (`provlab serve` in process, its own owner key).
    let dir = tempfile::tempdir().unwrap();
    let any = SocketAddr::from(([127, 0, 0, 1], 0));
    let lab = LabServer::start(&LabServiceConfig {
        rest: any,
        https: any,
        coap: any,
        hostnames: vec!["127.0.0.1".to_owned()],
        pki: dir.path().join("pki"),
        clock_speed: 1,
    })
    .unwrap();
    let loaded = load_file(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scenarios/16-role-checks.toml"
    )))
    .unwrap();
    let scenario = loaded.scenario;
    let api = ApiClient::new(&lab.rest_url()).unwrap();
    let content =
        LabContent::new("-----BEGIN CERTIFICATE-----\nlab\n-----END CERTIFICATE-----\n").unwrap();
    let mut service =
        LabService::connect(api, lab.owner_key(), content, RunClock::start(1)).unwrap();
    let mut boards = Boards;
    set_up_service(&mut service.actions(&mut boards), &scenario).unwrap();
    // Unclaimed devices are known by their tokens before anyone claims them.
    for device in &scenario.devices {
        let token = boards.attestation_token(device.name.get()).unwrap();
        service.learn_device(device.name.get(), &token).unwrap();
    }

    let default_actor = scenario.default_actor().map(|m| m.name.get().clone());
    let mut checked = 0;
    for step in &scenario.steps {
        match step.get() {
            Step::Expect(e) | Step::WaitUntil(e) => {
                let e = e.get();
                let device = e.device.as_ref().unwrap().get();
                let seen = observe::device(&service, device).unwrap();
                if let Some(claimed) = &e.claimed {
                    assert_eq!(seen.claimed, *claimed.get(), "{device}");
                }
                if let Some(status) = &e.status {
                    assert_eq!(seen.status, Some(*status.get()), "{device}");
                }
                checked += 1;
            }
            other => {
                let outcome = owner_step(
                    &mut service.actions(&mut boards),
                    other,
                    default_actor.as_deref(),
                )
                .expect("scenario 16 has only owner actions and expectations")
                .unwrap();
                let expected = other.actor().and_then(|a| a.expect_status);
                match (outcome, expected) {
                    (StepOutcome::Done, None) => {}
                    (StepOutcome::Refused { status, .. }, Some(want)) => {
                        assert_eq!(status, want, "{}", other.keyword())
                    }
                    (outcome, want) => {
                        panic!("{}: {outcome:?}, expected {want:?}", other.keyword())
                    }
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 10, "{checked}");

    // The final expectations: dk1 READY with two pending commands, dk2 unclaimed, dk3 one.
    let dk1 = observe::device(&service, "dk1").unwrap();
    assert_eq!(dk1.commands.len(), 2);
    assert!(!observe::device(&service, "dk2").unwrap().claimed);
    assert_eq!(observe::device(&service, "dk3").unwrap().commands.len(), 1);

    // The transcript shows real REST calls with pasteable ids and the real statuses.
    let log: Vec<String> = service.log().iter().map(|e| e.text.clone()).collect();
    let dk1_id = service.device_id("dk1").unwrap().to_owned();
    let block = log
        .iter()
        .position(|l| l == &format!("POST /v1/claimed-devices/{dk1_id}/block"))
        .unwrap_or_else(|| panic!("{log:#?}"));
    assert!(log[block + 1].starts_with("403 "), "{}", log[block + 1]);
    assert!(log.iter().any(|l| l == "204"), "{log:#?}");
    assert!(log.iter().any(|l| l == "201"), "{log:#?}");
}
