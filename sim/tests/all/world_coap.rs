//! The world over CoAP: block-wise transfer of a large certificate, and a lossy link.
#![allow(clippy::unwrap_used, missing_docs)]

use crate::world_support;

use provlab_server::domain::commands::CommandStatus;
use provlab_server::domain::status::ShownStatus;
use provlab_sim::world::DeviceSpec;
use world_support::*;

#[test]
fn happy_path_over_coap_with_block2() {
    let (mut world, dk1) = world_with(11, roomy(DeviceSpec::new("dk1").coap()));
    configure(&mut world, dk1, happy_commands(1100));
    world.trigger(dk1).unwrap();
    wait_status(&mut world, dk1, ShownStatus::Provisioned, 120);
    assert_eq!(
        world.command_statuses(dk1),
        vec![CommandStatus::Succeeded; 5]
    );
    assert_eq!(
        world.event_names(dk1),
        vec![
            "START",
            "NEED_LTE_DEACTIVATED",
            "NEED_LTE_ACTIVATED",
            "DONE",
            "STOP"
        ]
    );
    let text = world.transcript().to_text();
    assert!(
        text.contains("CON POST p/auth-jwt?mver=mfw_nrf9160_1.3.5&cver=3.0.99"),
        "{text}"
    );
    assert!(text.contains("block2=2/512"), "{text}");
    assert!(text.contains("2.05 Content, block2 2/512"), "{text}");
    assert!(text.contains("2.04 Changed, 7 recorded"), "{text}");
    let creds = world.credentials(dk1);
    assert!(creds.contains(&(TAG, "client_cert")), "{creds:?}");
    assert!(creds.contains(&(TAG, "private_key")), "{creds:?}");
}

#[test]
fn twenty_percent_datagram_loss_still_provisions() {
    let (mut world, dk1) = world_with(5, roomy(DeviceSpec::new("dk1").coap()));
    configure(&mut world, dk1, happy_commands(1100));
    world.set_loss_rate(0.2);
    world.trigger(dk1).unwrap();
    wait_status(&mut world, dk1, ShownStatus::Provisioned, 3600);
    assert_eq!(
        world.command_statuses(dk1),
        vec![CommandStatus::Succeeded; 5]
    );
    let text = world.transcript().to_text();
    assert!(text.contains("dropped (loss)"), "{text}");
    assert!(text.contains("retransmit #1"), "{text}");
}

#[test]
fn wrong_root_ca_fails_the_handshake() {
    let spec = DeviceSpec::new("dk1")
        .coap()
        .root_ca(provlab_sim::world::RootCa::Other(pem(9, 300)));
    let (mut world, dk1) = world_with(3, spec);
    configure(&mut world, dk1, happy_commands(100));
    world.trigger(dk1).unwrap();
    world
        .run_until(
            |w| w.event_names(dk1).contains(&"STOP"),
            std::time::Duration::from_secs(60),
        )
        .unwrap();
    assert_eq!(
        world.event_names(dk1),
        vec!["START", "FAILED_WRONG_ROOT_CA", "STOP"]
    );
}
