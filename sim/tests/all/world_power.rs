//! Power loss in the world: a cut between executing and reporting, and a power cycle.
#![allow(clippy::unwrap_used, missing_docs)]

use crate::world_support;

use provlab_server::domain::commands::CommandStatus;
use provlab_server::domain::status::ShownStatus;
use provlab_sim::world::{DeviceSpec, PowerCutPoint};
use world_support::*;

#[test]
fn power_cut_before_the_report_redelivers_after_reboot() {
    let (mut world, dk1) = world_with(13, roomy(DeviceSpec::new("dk1")));
    configure(&mut world, dk1, happy_commands(300));
    world.power_cut(dk1, PowerCutPoint::BeforeReport).unwrap();
    world.trigger(dk1).unwrap();
    world
        .run_until(
            |w| w.client(dk1).is_none(),
            std::time::Duration::from_secs(60),
        )
        .unwrap();
    assert_eq!(world.device_status(dk1), Some(ShownStatus::Provisioning));
    assert_eq!(
        world.command_statuses(dk1),
        vec![CommandStatus::InProgress; 5]
    );
    // The new keys were written before the cut and survive it.
    assert!(world.credentials(dk1).contains(&(TAG, "client_cert")));
    // The rebooted client's scheduled first attempt fetches again and finishes.
    wait_status(&mut world, dk1, ShownStatus::Provisioned, 120);
    assert_eq!(
        world.command_statuses(dk1),
        vec![CommandStatus::Succeeded; 5]
    );
    let text = world.transcript().to_text();
    assert!(text.contains("power cut before the report"), "{text}");
    assert!(text.contains("power on (boot 2)"), "{text}");
    assert!(text.contains("delivered again"), "{text}");
}

#[test]
fn power_cycle_keeps_settings_and_credentials() {
    let (mut world, dk1) = world_with(14, DeviceSpec::new("dk1"));
    configure(
        &mut world,
        dk1,
        vec![
            provlab_server::domain::commands::CommandRequest::Config(
                serde_json::from_value(serde_json::json!({
                    "properties": {"provisioning/interval-sec": "600"}
                }))
                .unwrap(),
            ),
            provlab_server::domain::commands::CommandRequest::Finished(Default::default()),
        ],
    );
    world.trigger(dk1).unwrap();
    wait_status(&mut world, dk1, ShownStatus::Provisioned, 120);
    assert_eq!(
        world.settings(dk1).get("provisioning/interval-sec"),
        Some(&b"600".to_vec())
    );
    world.power_cycle(dk1).unwrap();
    world.advance(std::time::Duration::from_secs(5));
    assert!(world.client(dk1).is_some_and(|c| c.is_initialized()));
    assert_eq!(
        world.settings(dk1).get("provisioning/interval-sec"),
        Some(&b"600".to_vec())
    );
    assert!(world.credentials(dk1).contains(&(50, "root_ca")));
}
