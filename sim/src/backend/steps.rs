//! Action steps: device actions on the world and fault switches here; owner actions are
//! dispatched by the harness ([`provlab_harness::owner::owner_step`]) to the simulation's
//! [`provlab_harness::OwnerActions`] (`owner.rs`).

use provlab_harness::owner::owner_step;
use provlab_harness::scenario::Step;
use provlab_harness::{BackendError, StepOutcome};

use super::{faults, Sim};

/// Runs one action step.
pub fn run(sim: &mut Sim, step: &Step) -> Result<StepOutcome, BackendError> {
    let fail = |e: crate::world::WorldError| BackendError::failed_by("", e);
    let default_actor = sim.default_actor.clone();
    if let Some(outcome) = owner_step(sim, step, default_actor.as_deref()) {
        return outcome;
    }
    match step {
        Step::Trigger(device) => {
            let id = sim.device(device.get())?;
            sim.world.trigger(id).map_err(fail)?;
        }
        Step::Advance(d) => sim.world.advance(d.to_std()),
        Step::PowerCycle(p) => {
            let id = sim.device(p.device.get())?;
            match p.off_for {
                Some(off) => sim.world.power_cycle_for(id, off.to_std()),
                None => sim.world.power_cycle(id),
            }
            .map_err(fail)?;
        }
        Step::FaultOn(name) => faults::set(sim, name.get(), true)?,
        Step::FaultOff(name) => faults::set(sim, name.get(), false)?,
        Step::WaitUntil(_) | Step::Expect(_) => {
            return Err(BackendError::InvalidStep(step.keyword().to_owned()))
        }
        Step::AddCommand(_)
        | Step::Skip(_)
        | Step::Retry(_)
        | Step::UpdateCommand(_)
        | Step::Block(_)
        | Step::Unblock(_)
        | Step::Unclaim(_)
        | Step::CreateRule(_)
        | Step::ActivateRule(_)
        | Step::Claim(_) => {
            return Err(BackendError::failed(format!(
                "owner action `{}` was not dispatched",
                step.keyword()
            )))
        }
    }
    Ok(StepOutcome::Done)
}
