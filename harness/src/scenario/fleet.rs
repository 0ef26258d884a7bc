//! Fleet mode (`provlab run --devices N`): a one-device scenario becomes an N-device
//! scenario on one service. The device is cloned as `<name>-0001` … `<name>-NNNN`; every
//! step and expectation about it, and every fault whose kind the fault table marks
//! per-device, is repeated for each clone (named faults get the same suffix); steps and
//! faults about the service or the whole link stay single. A service-wide fault
//! (`[[service.fault]]`) keeps its window; its `devices` list names every clone of the
//! device it named (`"all"` stays all). Spans are kept, so problems
//! still point into the original file. It lives next to the scenario types so that its
//! matches over steps are exhaustive: a new step must say how a fleet repeats it.

use super::{DeviceSet, Expectation, FleetUse, Scenario, Step};
use crate::located::Located;

/// Why a scenario cannot become a fleet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FleetError {
    /// Fleet mode clones exactly one device.
    #[error(
        "fleet mode (--devices) needs a scenario with exactly one device; `{name}` has {count}"
    )]
    NotOneDevice {
        /// The scenario.
        name: String,
        /// How many devices it has.
        count: usize,
    },
    /// At least one device.
    #[error("--devices must be at least 1")]
    Empty,
    /// More devices than a fleet run holds.
    #[error("--devices {0} is more than the {MAX_FLEET} a fleet run may have")]
    TooMany(usize),
}

/// The most devices a fleet may have.
pub const MAX_FLEET: usize = 1_000_000;

/// The clone names of `name` for a fleet of `n`.
pub fn clone_names(name: &str, n: usize) -> Vec<String> {
    let width = n.to_string().len().max(4);
    (1..=n).map(|i| format!("{name}-{i:0width$}")).collect()
}

/// The scenario with its single device cloned `n` times.
pub fn expand(scenario: &Scenario, n: usize) -> Result<Scenario, FleetError> {
    if n == 0 {
        return Err(FleetError::Empty);
    }
    if n > MAX_FLEET {
        return Err(FleetError::TooMany(n));
    }
    let [template] = scenario.devices.as_slice() else {
        return Err(FleetError::NotOneDevice {
            name: scenario.name.get().clone(),
            count: scenario.devices.len(),
        });
    };
    let names = clone_names(template.name.get(), n);
    let mut out = scenario.clone();
    out.devices = names
        .iter()
        .map(|name| {
            let mut d = template.clone();
            *d.name.get_mut() = name.clone();
            d
        })
        .collect();
    for window in &mut out.service.faults {
        retarget_devices(window.devices.get_mut(), &names);
    }
    out.faults = Vec::new();
    let mut per_device_faults: Vec<String> = Vec::new();
    for fault in &scenario.faults {
        if fault.kind.get().class().fleet() == FleetUse::PerDevice {
            if let Some(name) = &fault.name {
                per_device_faults.push(name.get().clone());
            }
            for (i, device) in names.iter().enumerate() {
                let mut f = fault.clone();
                f.device = Some(located_like(fault.device.as_ref(), device.clone()));
                if let Some(name) = &mut f.name {
                    *name.get_mut() = suffixed(name.get(), &names[i], template.name.get());
                }
                out.faults.push(f);
            }
        } else {
            let mut f = fault.clone();
            f.device = None;
            out.faults.push(f);
        }
    }
    let fault_names = |name: &str| -> Vec<String> {
        names
            .iter()
            .map(|d| suffixed(name, d, template.name.get()))
            .collect()
    };
    out.steps = Vec::new();
    for step in &scenario.steps {
        match step.get() {
            Step::FaultOn(f) | Step::FaultOff(f) if per_device_faults.contains(f.get()) => {
                for name in fault_names(f.get()) {
                    let mut s = step.clone();
                    if let Step::FaultOn(x) | Step::FaultOff(x) = s.get_mut() {
                        *x.get_mut() = name;
                    }
                    out.steps.push(s);
                }
            }
            s if about_device(s) => {
                for device in &names {
                    let mut s = step.clone();
                    retarget_step(s.get_mut(), device);
                    out.steps.push(s);
                }
            }
            _ => out.steps.push(step.clone()),
        }
    }
    out.expect = Vec::new();
    for expectation in &scenario.expect {
        for device in &names {
            let mut e = expectation.clone();
            retarget_expectation(e.get_mut(), device);
            out.expect.push(e);
        }
    }
    Ok(out)
}

/// `fault` + the clone's suffix (`-0001`).
fn suffixed(fault: &str, clone: &str, template: &str) -> String {
    format!("{fault}{}", clone.strip_prefix(template).unwrap_or(clone))
}

/// A located string with the span of `like`, if any.
fn located_like(like: Option<&Located<String>>, value: String) -> Located<String> {
    match like {
        Some(l) => Located::with_span(value, l.span()),
        None => Located::new(value),
    }
}

/// Whether a step concerns the (only) device, and so is repeated for each clone.
fn about_device(step: &Step) -> bool {
    match step {
        Step::Trigger(_)
        | Step::WaitUntil(_)
        | Step::Expect(_)
        | Step::PowerCycle(_)
        | Step::AddCommand(_)
        | Step::Skip(_)
        | Step::Retry(_)
        | Step::UpdateCommand(_)
        | Step::Block(_)
        | Step::Unblock(_)
        | Step::Unclaim(_)
        | Step::Claim(_) => true,
        Step::Advance(_)
        | Step::FaultOn(_)
        | Step::FaultOff(_)
        | Step::CreateRule(_)
        | Step::ActivateRule(_) => false,
    }
}

fn retarget_step(step: &mut Step, device: &str) {
    let set = |d: &mut Located<String>| *d.get_mut() = device.to_owned();
    match step {
        Step::Trigger(d) => set(d),
        Step::WaitUntil(e) | Step::Expect(e) => retarget_expectation(e.get_mut(), device),
        Step::PowerCycle(p) => set(&mut p.device),
        Step::AddCommand(a) => set(&mut a.device),
        Step::Skip(a) | Step::Retry(a) => set(&mut a.device),
        Step::UpdateCommand(a) => set(&mut a.device),
        Step::Block(a) | Step::Unblock(a) | Step::Unclaim(a) => set(&mut a.device),
        Step::Claim(a) => set(&mut a.device),
        Step::Advance(_)
        | Step::FaultOn(_)
        | Step::FaultOff(_)
        | Step::CreateRule(_)
        | Step::ActivateRule(_) => {}
    }
}

/// A service-wide fault's devices in a fleet: the template's name becomes every clone's,
/// each with the span of the name it replaces.
fn retarget_devices(devices: &mut DeviceSet, clones: &[String]) {
    match devices {
        DeviceSet::All => {}
        DeviceSet::Named(named) => {
            *named = named
                .iter()
                .flat_map(|name| {
                    clones
                        .iter()
                        .map(|clone| Located::with_span(clone.clone(), name.span()))
                })
                .collect();
        }
    }
}

fn retarget_expectation(e: &mut Expectation, device: &str) {
    e.device = Some(located_like(e.device.as_ref(), device.to_owned()));
}

/// The name of a fleet run's scenario (`<name>@<n>`): keeps reports apart.
pub fn fleet_name(name: &str, n: usize) -> String {
    format!("{name}@{n}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fleet_too_large_is_refused_before_anything_is_allocated() {
        let scenario = crate::load_str(
            "name = \"one\"\n[[device]]\nname = \"dk1\"\n",
            std::path::Path::new("one.toml"),
        )
        .map(|l| l.scenario);
        let Ok(scenario) = scenario else {
            panic!("the one-device scenario loads");
        };
        assert_eq!(
            expand(&scenario, usize::MAX),
            Err(FleetError::TooMany(usize::MAX))
        );
        assert_eq!(expand(&scenario, 0), Err(FleetError::Empty));
    }

    #[test]
    fn names_are_padded() {
        assert_eq!(clone_names("dk1", 2), vec!["dk1-0001", "dk1-0002"]);
        assert_eq!(clone_names("d", 12345)[0], "d-00001");
    }
}
