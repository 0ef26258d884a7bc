//! The world's HTTP happy path: key generation, CSR, client and server certificates,
//! finished → PROVISIONED.
#![allow(clippy::unwrap_used, missing_docs)]

use crate::world_support;

use provlab_server::domain::commands::CommandStatus;
use provlab_server::domain::status::ShownStatus;
use provlab_sim::world::{DeviceSpec, Exchanged};
use world_support::*;

#[test]
fn happy_path_over_http_provisions_the_device() {
    let (mut world, dk1) = world_with(7, roomy(DeviceSpec::new("dk1")));
    configure(&mut world, dk1, happy_commands(600));
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
    let creds = world.credentials(dk1);
    for expected in [
        (50, "root_ca"),
        (TAG, "root_ca"),
        (TAG, "client_cert"),
        (TAG, "private_key"),
        (TAG + 1, "private_key"),
    ] {
        assert!(
            creds.contains(&expected),
            "{expected:?} missing in {creds:?}"
        );
    }
    let delivered = world
        .records(dk1)
        .iter()
        .filter(|r| matches!(r, Exchanged::Delivered { .. }))
        .count();
    // Two key generations have a delete sub-step each.
    assert_eq!(delivered, 7);
    let text = world.transcript().to_text();
    assert!(text.contains("dk1.client -> service  GET /v1/provisioning/commands?after=&rxMaxSize=4096&txMaxSize=4096&mver=mfw_nrf9160_1.3.5&cver=3.0.99&limit=20"), "{text}");
    assert!(text.contains("POST /v1/provisioning/response"));
    let mermaid = world.transcript().to_mermaid();
    assert!(mermaid.starts_with("sequenceDiagram\n"));
    assert!(mermaid.contains("participant dk1_modem as dk1.modem"));
    println!("{text}");
}

#[test]
fn the_sample_buffers_split_the_configuration_into_two_batches() {
    let (mut world, dk1) = world_with(7, DeviceSpec::new("dk1"));
    configure(&mut world, dk1, happy_commands(600));
    world.trigger(dk1).unwrap();
    wait_status(&mut world, dk1, ShownStatus::Provisioned, 120);
    assert_eq!(
        world.event_names(dk1),
        vec![
            "START",
            "NEED_LTE_DEACTIVATED",
            "NEED_LTE_ACTIVATED",
            "NEED_LTE_DEACTIVATED",
            "NEED_LTE_ACTIVATED",
            "DONE",
            "STOP"
        ]
    );
    assert_eq!(
        world.command_statuses(dk1),
        vec![CommandStatus::Succeeded; 5]
    );
}
