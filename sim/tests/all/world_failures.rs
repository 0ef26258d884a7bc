//! Failure scenarios in the world: a CME error mid-queue, an unclaimed device, a busy
//! server.
#![allow(clippy::unwrap_used, missing_docs)]

use crate::world_support;

use std::time::Duration;

use provlab_client::Event;
use provlab_server::domain::commands::{
    AtCommandRequest, Certificate, CommandRequest, CommandStatus, Finished, KeyGeneration,
};
use provlab_server::domain::status::ShownStatus;
use provlab_sim::modem::{FaultAction, FaultRule};
use provlab_sim::world::{DeviceSpec, Endpoint, ServiceFault};
use world_support::*;

#[test]
fn failure_mid_queue_then_skip_finishes() {
    let (mut world, dk1) = world_with(7, DeviceSpec::new("dk1"));
    let lab_ca = world.lab_ca().to_owned();
    configure(
        &mut world,
        dk1,
        vec![
            CommandRequest::ServerCertificate(Certificate {
                sec_tag: 42,
                content: lab_ca,
            }),
            CommandRequest::AtCommand(AtCommandRequest {
                set_command: "%CMNG".into(),
                parameters: format!("3,{TAG},2"),
                ignore_cme_errors: vec![],
            }),
            CommandRequest::ClientPrivateKeyGeneration(KeyGeneration { sec_tag: TAG }),
            CommandRequest::Finished(Finished {}),
        ],
    );
    world.modem_faults(dk1).unwrap().add(
        FaultRule::new("%CMNG", FaultAction::Cme(514))
            .params(format!("3,{TAG},2"))
            .times(1),
    );
    world.trigger(dk1).unwrap();
    wait_status(&mut world, dk1, ShownStatus::Error, 120);
    assert_eq!(
        world.command_statuses(dk1),
        vec![
            CommandStatus::Succeeded,
            CommandStatus::Failed,
            CommandStatus::Pending,
            CommandStatus::Pending
        ]
    );
    world.skip_command(dk1, 2).unwrap();
    world.trigger(dk1).unwrap();
    wait_status(&mut world, dk1, ShownStatus::Provisioned, 120);
    assert_eq!(
        world.command_statuses(dk1),
        vec![
            CommandStatus::Succeeded,
            CommandStatus::Skipped,
            CommandStatus::Succeeded,
            CommandStatus::Succeeded
        ]
    );
    assert_eq!(
        world.event_names(dk1),
        vec![
            "START",
            "NEED_LTE_DEACTIVATED",
            "NEED_LTE_ACTIVATED",
            "NO_COMMANDS",
            "STOP",
            "START",
            "NEED_LTE_DEACTIVATED",
            "NEED_LTE_ACTIVATED",
            "DONE",
            "STOP"
        ]
    );
    let creds = world.credentials(dk1);
    assert!(creds.contains(&(42, "root_ca")), "{creds:?}");
    assert!(creds.contains(&(TAG, "private_key")), "{creds:?}");
}

#[test]
fn unclaimed_device_gets_a_token_and_succeeds_once_claimed() {
    let (mut world, dk1) = world_with(21, DeviceSpec::new("dk1"));
    world.trigger(dk1).unwrap();
    world
        .run_until(
            |w| w.event_names(dk1).contains(&"STOP"),
            Duration::from_secs(60),
        )
        .unwrap();
    assert_eq!(
        world.event_names(dk1),
        vec!["START", "FAILED_DEVICE_NOT_CLAIMED", "STOP"]
    );
    let token = world.not_claimed_token(dk1).unwrap().claim_token();
    assert!(world.device_status(dk1).is_none());
    world.claim_with_token(&token, &[]).unwrap();
    for c in happy_commands(300) {
        world.add_command(dk1, c).unwrap();
    }
    world.trigger(dk1).unwrap();
    wait_status(&mut world, dk1, ShownStatus::Provisioned, 120);
    assert_eq!(
        world.command_statuses(dk1),
        vec![CommandStatus::Succeeded; 5]
    );
}

#[test]
fn server_busy_backs_off_60_120_240_seconds() {
    let (mut world, dk1) = world_with(9, roomy(DeviceSpec::new("dk1")));
    configure(&mut world, dk1, happy_commands(300));
    world.add_service_fault(ServiceFault::busy(Endpoint::Commands).times(3));
    world.trigger(dk1).unwrap();
    let took = wait_status(&mut world, dk1, ShownStatus::Provisioned, 900);
    assert!(took >= Duration::from_secs(420), "{took:?}");
    let events = world.timed_events(dk1);
    let at = |pred: &dyn Fn(&Event) -> bool| -> Vec<Duration> {
        events
            .iter()
            .filter(|(_, e)| pred(e))
            .map(|(t, _)| *t)
            .collect()
    };
    let failed = at(&|e| *e == Event::Failed);
    let starts = at(&|e| *e == Event::Start);
    assert_eq!(failed.len(), 3);
    assert_eq!(starts.len(), 4);
    let gaps: Vec<u64> = (0..3)
        .map(|i| (starts[i + 1] - failed[i]).as_secs())
        .collect();
    assert_eq!(gaps, vec![60, 120, 240]);
    assert_eq!(
        world.event_names(dk1),
        vec![
            "START",
            "FAILED",
            "STOP",
            "START",
            "FAILED",
            "STOP",
            "START",
            "FAILED",
            "STOP",
            "START",
            "NEED_LTE_DEACTIVATED",
            "NEED_LTE_ACTIVATED",
            "DONE",
            "STOP"
        ]
    );
}
