//! Determinism: the same seed gives a byte-identical transcript, another seed the same
//! outcome.
#![allow(clippy::unwrap_used, missing_docs)]

use crate::world_support;

use provlab_server::domain::status::ShownStatus;
use provlab_sim::world::DeviceSpec;
use world_support::*;

fn run(seed: u64, coap: bool) -> (String, String, Vec<&'static str>, usize) {
    let spec = if coap {
        DeviceSpec::new("dk1").coap()
    } else {
        DeviceSpec::new("dk1")
    };
    let (mut world, dk1) = world_with(seed, roomy(spec));
    configure(&mut world, dk1, happy_commands(900));
    if coap {
        world.set_loss_rate(0.1);
    }
    world.trigger(dk1).unwrap();
    wait_status(&mut world, dk1, ShownStatus::Provisioned, 1800);
    (
        world.transcript().to_text(),
        world.transcript().to_mermaid(),
        world.event_names(dk1),
        world.command_statuses(dk1).len(),
    )
}

#[test]
fn same_seed_same_bytes_other_seed_same_outcome() {
    for coap in [false, true] {
        let a = run(42, coap);
        let b = run(42, coap);
        assert_eq!(a.0, b.0);
        assert_eq!(a.1, b.1);
        let c = run(43, coap);
        assert_ne!(a.0, c.0);
        assert_eq!(a.3, c.3);
        if !coap {
            assert_eq!(a.2, c.2);
        }
    }
}
