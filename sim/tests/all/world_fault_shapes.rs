//! The world's API for the fault shapes beyond statuses: forced close and silence, counted
//! handshake failures, power cuts with `nth` at every point of the client's work.
#![allow(clippy::unwrap_used, missing_docs)]

use crate::world_support;

use std::time::Duration;

use provlab_client::Event;
use provlab_server::domain::commands::CommandStatus;
use provlab_server::domain::status::ShownStatus;
use provlab_sim::world::{
    DeviceSpec, Endpoint, ForcedAnswer, HandshakeFault, PowerCutPoint, ServiceFault,
};
use world_support::*;

#[test]
fn a_closed_fetch_fails_the_attempt_over_http() {
    let (mut world, dk1) = world_with(21, roomy(DeviceSpec::new("dk1")));
    configure(&mut world, dk1, happy_commands(300));
    let close = ServiceFault::close(Endpoint::Commands).nth(1);
    assert_eq!(close.answer, ForcedAnswer::Close);
    world.add_service_fault(close);
    world.trigger(dk1).unwrap();
    world
        .run_until(
            |w| w.event_names(dk1).contains(&"FAILED"),
            Duration::from_secs(60),
        )
        .unwrap();
    assert_eq!(world.device_status(dk1), Some(ShownStatus::Ready));
    world.trigger(dk1).unwrap();
    wait_status(&mut world, dk1, ShownStatus::Provisioned, 120);
    let text = world.transcript().to_text();
    assert!(
        text.contains("connection closed, no response (injected)"),
        "{text}"
    );
}

#[test]
fn a_silent_fetch_times_out_after_the_retransmissions() {
    let (mut world, dk1) = world_with(22, roomy(DeviceSpec::new("dk1")));
    configure(&mut world, dk1, happy_commands(300));
    world.add_service_fault(ServiceFault::silence(Endpoint::Commands).nth(1));
    world.trigger(dk1).unwrap();
    world
        .run_until(
            |w| w.event_names(dk1).contains(&"FAILED"),
            Duration::from_secs(300),
        )
        .unwrap();
    let failed_at = world
        .timed_events(dk1)
        .iter()
        .find(|(_, e)| *e == Event::Failed)
        .map(|(t, _)| *t)
        .unwrap();
    // TCP: 1 + 2 + 4 + 8 + 16 + 32 s of retransmission timers after the request at ~2 s.
    assert!(failed_at >= Duration::from_secs(63), "{failed_at:?}");
}

#[test]
fn handshake_faults_fail_the_counted_handshakes() {
    let (mut world, dk1) = world_with(23, roomy(DeviceSpec::new("dk1")));
    configure(&mut world, dk1, happy_commands(300));
    world.add_handshake_fault(HandshakeFault::every().nth(1).times(1));
    world.trigger(dk1).unwrap();
    world
        .run_until(
            |w| w.event_names(dk1).contains(&"FAILED_WRONG_ROOT_CA"),
            Duration::from_secs(60),
        )
        .unwrap();
    world.trigger(dk1).unwrap();
    wait_status(&mut world, dk1, ShownStatus::Provisioned, 120);
    // Switched on for every handshake, then off again.
    world.set_handshake_failure(true);
    assert_eq!(world.link_faults().handshake.len(), 2);
    world.set_handshake_failure(false);
    assert!(world.link_faults().handshake.is_empty());
}

#[test]
fn power_cut_at_the_nth_point() {
    let (mut world, dk1) = world_with(24, roomy(DeviceSpec::new("dk1")));
    configure(&mut world, dk1, happy_commands(300));
    // The happy commands run 6 AT records (two key deletes, two KEYGENs, two certificates);
    // the 5th is the client certificate write.
    world
        .power_cut_at(
            dk1,
            PowerCutPoint::AfterCommand,
            5,
            Some(Duration::from_secs(30)),
        )
        .unwrap();
    world.trigger(dk1).unwrap();
    world
        .run_until(|w| w.client(dk1).is_none(), Duration::from_secs(60))
        .unwrap();
    let creds = world.credentials(dk1);
    assert!(creds.contains(&(TAG, "client_cert")), "{creds:?}");
    assert!(!creds.contains(&(TAG, "root_ca")), "{creds:?}");
    assert_eq!(
        world.command_statuses(dk1),
        vec![CommandStatus::InProgress; 5]
    );
    wait_status(&mut world, dk1, ShownStatus::Provisioned, 180);
}

#[test]
fn a_disarmed_power_cut_does_not_fire() {
    let (mut world, dk1) = world_with(25, roomy(DeviceSpec::new("dk1")));
    configure(&mut world, dk1, happy_commands(300));
    world
        .power_cut_at(dk1, PowerCutPoint::NvmWrite, 1, None)
        .unwrap();
    world
        .disarm_power_cut(dk1, &PowerCutPoint::NvmWrite)
        .unwrap();
    world.trigger(dk1).unwrap();
    wait_status(&mut world, dk1, ShownStatus::Provisioned, 120);
    assert!(!world.transcript().to_text().contains("power cut"));
}
