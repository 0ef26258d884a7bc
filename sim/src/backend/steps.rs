//! Action steps: device actions on the world, fault switches, and owner actions through the
//! domain with the acting member's API key (a refusal carries its HTTP status).

use provlab_harness::scenario::step::{
    AddCommand, ClaimAction, CommandAction, CreateRule, DeviceAction, RuleAction, UpdateCommand,
};
use provlab_harness::scenario::Step;
use provlab_harness::{BackendError, StepOutcome};
use provlab_server::domain::service::NewCommand;
use provlab_server::domain::{CommandId, DeviceId as ServiceDeviceId};

use super::content::domain_request;
use super::setup::domain_rule;
use super::{faults, Refusal, Sim};

/// Runs one action step.
pub fn run(sim: &mut Sim, step: &Step) -> Result<StepOutcome, BackendError> {
    let fail = |e: crate::world::WorldError| BackendError::Failed(e.to_string());
    let answered = |r: Result<(), Refusal>| match r {
        Ok(()) => StepOutcome::Done,
        Err((status, message)) => StepOutcome::Refused { status, message },
    };
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
        Step::AddCommand(a) => return Ok(answered(add_command(sim, a)?)),
        Step::Skip(a) => return Ok(answered(command_action(sim, a, "skip")?)),
        Step::Retry(a) => return Ok(answered(command_action(sim, a, "retry")?)),
        Step::UpdateCommand(a) => return Ok(answered(update_command(sim, a)?)),
        Step::Block(a) => return Ok(answered(device_action(sim, a, "block")?)),
        Step::Unblock(a) => return Ok(answered(device_action(sim, a, "unblock")?)),
        Step::Unclaim(a) => return Ok(answered(device_action(sim, a, "unclaim")?)),
        Step::CreateRule(a) => return Ok(answered(create_rule(sim, a)?)),
        Step::ActivateRule(a) => return Ok(answered(activate_rule(sim, a)?)),
        Step::Claim(a) => return Ok(answered(claim(sim, a)?)),
        Step::WaitUntil(_) | Step::Expect(_) => {
            return Err(BackendError::InvalidStep(step.keyword().to_owned()))
        }
    }
    Ok(StepOutcome::Done)
}

/// The member named by `by`, as the acting member.
fn by(by: &Option<provlab_harness::Located<String>>) -> Option<String> {
    by.as_ref().map(|b| b.get().clone())
}

/// The device's id at the service (its UUID, known whether claimed or not).
fn service_id(sim: &Sim, device: &str) -> Result<ServiceDeviceId, BackendError> {
    let id = sim.device(device)?;
    sim.world
        .service_device_id(id)
        .map_err(|e| BackendError::Failed(e.to_string()))
}

/// The id of the device's `n`th command, or a 404 refusal.
fn command_id(sim: &Sim, device: &str, n: u32) -> Result<Result<CommandId, Refusal>, BackendError> {
    let id = sim.device(device)?;
    Ok(sim
        .world
        .command_id(id, n as usize)
        .map_err(|e| (404, e.to_string())))
}

fn add_command(sim: &mut Sim, a: &AddCommand) -> Result<Result<(), Refusal>, BackendError> {
    let name = a.device.get();
    let request = domain_request(&a.request, &sim.lab, sim.index_of(name))?;
    let device = service_id(sim, name)?;
    let label = format!(
        "POST /v1/claimed-devices/{name}/provisioning {}",
        request.type_name()
    );
    let new = NewCommand {
        description: a.description.clone().unwrap_or_default(),
        request,
    };
    Ok(sim.act(by(&a.by).as_deref(), &label, |s, now, key| {
        s.add_command(now, key, device, &new).map(|_| ())
    }))
}

fn command_action(
    sim: &mut Sim,
    a: &CommandAction,
    verb: &str,
) -> Result<Result<(), Refusal>, BackendError> {
    let name = a.device.get();
    let n = *a.command.get();
    let device = service_id(sim, name)?;
    let command = match command_id(sim, name, n)? {
        Ok(c) => c,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let label = format!("POST /v1/claimed-devices/{name}/provisioning/{n}/{verb}");
    let retry = verb == "retry";
    Ok(sim.act(by(&a.by).as_deref(), &label, |s, now, key| {
        if retry {
            s.retry_command(now, key, device, command).map(|_| ())
        } else {
            s.skip_command(now, key, device, command).map(|_| ())
        }
    }))
}

fn update_command(sim: &mut Sim, a: &UpdateCommand) -> Result<Result<(), Refusal>, BackendError> {
    let name = a.device.get();
    let n = *a.command.get();
    let request = domain_request(&a.request, &sim.lab, sim.index_of(name))?;
    let device = service_id(sim, name)?;
    let command = match command_id(sim, name, n)? {
        Ok(c) => c,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let label = format!(
        "PUT /v1/claimed-devices/{name}/provisioning/{n} {}",
        request.type_name()
    );
    Ok(sim.act(by(&a.by).as_deref(), &label, |s, now, key| {
        s.update_command(now, key, device, command, &request, None)
            .map(|_| ())
    }))
}

fn device_action(
    sim: &mut Sim,
    a: &DeviceAction,
    verb: &str,
) -> Result<Result<(), Refusal>, BackendError> {
    let name = a.device.get();
    let device = service_id(sim, name)?;
    let label = match verb {
        "unclaim" => format!("DELETE /v1/claimed-devices/{name}"),
        _ => format!("PUT /v1/claimed-devices/{name}/{verb}"),
    };
    let verb = verb.to_owned();
    Ok(sim.act(by(&a.by).as_deref(), &label, |s, now, key| {
        match verb.as_str() {
            "block" => s.block(now, key, device),
            "unblock" => s.unblock(now, key, device),
            _ => s.unclaim(now, key, device),
        }
        .map(|_| ())
    }))
}

fn create_rule(sim: &mut Sim, a: &CreateRule) -> Result<Result<(), Refusal>, BackendError> {
    let spec = domain_rule(&a.rule, &sim.lab)?;
    let rule_name = a.rule.name.get().clone();
    let label = format!("POST /v1/provisioning-rules {rule_name}");
    let result = sim.act(by(&a.by).as_deref(), &label, |s, now, key| {
        s.create_rule(now, key, &spec).map(|o| o.value)
    });
    Ok(result.map(|id| {
        sim.rules.insert(rule_name, id);
    }))
}

fn activate_rule(sim: &mut Sim, a: &RuleAction) -> Result<Result<(), Refusal>, BackendError> {
    let rule_name = a.rule.get();
    let Some(rule) = sim.rules.get(rule_name).copied() else {
        return Ok(Err((
            404,
            format!("no rule named `{rule_name}` was created"),
        )));
    };
    let label = format!("POST /v1/provisioning-rules/{rule_name}/activate");
    Ok(sim.act(by(&a.by).as_deref(), &label, |s, now, key| {
        s.activate_rule(now, key, rule).map(|_| ())
    }))
}

fn claim(sim: &mut Sim, a: &ClaimAction) -> Result<Result<(), Refusal>, BackendError> {
    let name = a.device.get();
    let id = sim.device(name)?;
    let token = sim
        .world
        .attestation_token(id)
        .map_err(|e| BackendError::Failed(e.to_string()))?;
    let label = format!("POST /v1/claimed-devices ({name}, tags {:?})", a.tags);
    Ok(sim.act(by(&a.by).as_deref(), &label, |s, now, key| {
        s.claim(now, key, &token, &a.tags).map(|_| ())
    }))
}
