//! Scenario faults in the world: modem fault rules, link faults, forced service answers
//! (statuses, closed connections, silence), handshake failures (counted with `nth`/`times`),
//! power cuts at every point of the client's work (`nth`, `off_for`), network time and clock
//! jumps, switched on and off. Every fault shape of the scenario format is supported, and
//! the service-wide faults of `[[service.fault]]` (service answers, handshakes, the link)
//! as windows the world opens and closes in virtual time ([`install_windows`]).

use provlab_client::CoapCode;
use provlab_harness::scenario::{
    ClockJump, DeviceSet, Fault, FaultKind, FaultWindow, LinkFault, ModemAction, ModemFault,
    PowerCut, PowerCutPoint, RequestKind, Scenario, ServiceAnswer, ServiceFault,
};
use provlab_harness::BackendError;

use super::Sim;
use crate::modem::{FaultAction, FaultId, FaultRule, Firing};
use crate::world::{self, DeviceId, DeviceLink, Endpoint, Partition};

/// A fault as the world applies it.
#[derive(Debug, Clone)]
enum Applied {
    /// A modem rule (its id while on).
    Modem {
        rule: FaultRule,
        id: Option<FaultId>,
    },
    /// Link loss, latency, partition.
    Link(LinkFault),
    /// A forced service answer.
    Service(world::ServiceFault),
    /// Handshakes fail (counted).
    Handshake(world::HandshakeFault),
    /// A power cut armed at a point: where, at the nth time, power off for how long.
    PowerCut(world::PowerCutPoint, u32, Option<std::time::Duration>),
    /// No network time.
    NetworkTimeAbsent,
    /// A clock jump (forward?, by).
    ClockJump(bool, std::time::Duration),
}

/// A fault installed in the simulation, on or off.
#[derive(Debug, Clone)]
pub struct Installed {
    device: DeviceId,
    applied: Applied,
    on: bool,
}

/// Installs a scenario fault, switching it on unless `active = false`.
pub fn install(sim: &mut Sim, scenario: &Scenario, fault: &Fault) -> Result<(), BackendError> {
    let device_name = scenario
        .resolve_device(fault.device.as_ref())
        .unwrap_or_default()
        .to_owned();
    let device = sim.device(&device_name)?;
    let what = match &fault.name {
        Some(name) => format!("fault `{}`", name.get()),
        None => format!("{} fault", fault.kind.key()),
    };
    let applied = match applied(fault.kind.get())
        .map_err(|reason| BackendError::setup(format!("{what}: {reason}")))?
    {
        // A device's requests and handshakes only: another device's do not count.
        Applied::Service(f) => Applied::Service(f.for_device(device.0)),
        Applied::Handshake(f) => Applied::Handshake(f.for_device(device.0)),
        other => other,
    };
    let mut installed = Installed {
        device,
        applied,
        on: false,
    };
    if fault.active {
        switch(sim, &mut installed, true)?;
    }
    if let Some(name) = &fault.name {
        sim.faults.insert(name.get().clone(), installed);
    }
    Ok(())
}

/// `fault_on` / `fault_off`.
pub fn set(sim: &mut Sim, name: &str, on: bool) -> Result<(), BackendError> {
    let mut installed = sim
        .faults
        .get(name)
        .cloned()
        .ok_or_else(|| BackendError::failed(format!("no fault named `{name}`")))?;
    switch(sim, &mut installed, on)?;
    sim.faults.insert(name.to_owned(), installed);
    Ok(())
}

/// Plans the scenario's service-wide faults (`[[service.fault]]`) as windows in the world.
pub fn install_windows(sim: &mut Sim, windows: &[FaultWindow]) -> Result<(), BackendError> {
    let mut planned = Vec::new();
    for window in windows {
        let what = format!(
            "service-wide {} fault {}",
            window.kind.key(),
            window.span_words()
        );
        let fault = held(window.kind.get())
            .map_err(|reason| BackendError::setup(format!("{what}: {reason}")))?;
        let devices = match window.devices.get() {
            DeviceSet::All => None,
            DeviceSet::Named(names) => Some(
                names
                    .iter()
                    .map(|n| sim.device(n.get()))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        };
        planned.push(world::FaultWindow {
            fault,
            devices,
            opens: window.after.get().to_std(),
            closes: window.closes().map(|c| c.to_std()),
        });
    }
    sim.world
        .plan_fault_windows(planned)
        .map_err(|e| BackendError::setup_by("", e))
}

/// What a window of a fault kind holds in the world, or why the kind cannot be held over a
/// window (the loader refuses those kinds in `[[service.fault]]` first).
fn held(kind: &FaultKind) -> Result<world::WindowFault, String> {
    let device_side = "it acts in one device, not in the service or the network";
    match applied(kind)? {
        Applied::Service(fault) => Ok(world::WindowFault::Service {
            endpoint: fault.endpoint,
            answer: fault.answer,
        }),
        Applied::Handshake(_) => Ok(world::WindowFault::Handshake),
        Applied::Link(link) if link.partition.is_some() => {
            Err("a window cannot hold a partition of its own".to_owned())
        }
        Applied::Link(link) => Ok(world::WindowFault::Link(device_link(
            &link,
            std::time::Duration::ZERO,
        ))),
        Applied::Modem { .. }
        | Applied::PowerCut(..)
        | Applied::NetworkTimeAbsent
        | Applied::ClockJump(..) => Err(device_side.to_owned()),
    }
}

/// A scenario link fault on one device's link, its partition window counted from `now`.
fn device_link(link: &LinkFault, now: std::time::Duration) -> DeviceLink {
    DeviceLink {
        loss_rate: link
            .loss_percent
            .map_or(0.0, |p| f64::from(p.min(100)) / 100.0),
        extra_latency: link.latency.map(|d| d.to_std()).unwrap_or_default(),
        extra_jitter: link.jitter.map(|d| d.to_std()).unwrap_or_default(),
        partitions: link
            .partition
            .map(|p| {
                let from = now + p.after.to_std();
                Partition {
                    from,
                    until: from + p.lasting.to_std(),
                }
            })
            .into_iter()
            .collect(),
    }
}

/// How the world applies a fault kind, or why it cannot (a CoAP code that does not parse;
/// the loader refuses those first).
fn applied(kind: &FaultKind) -> Result<Applied, String> {
    Ok(match kind {
        FaultKind::Modem(m) => Applied::Modem {
            rule: modem_rule(m),
            id: None,
        },
        FaultKind::Link(l) => Applied::Link(l.clone()),
        FaultKind::Service(s) => Applied::Service(service_fault(s)?),
        FaultKind::Handshake(h) => {
            let mut fault = world::HandshakeFault::every();
            fault.firing.rule = Firing::counts(h.nth, h.times);
            Applied::Handshake(fault)
        }
        FaultKind::PowerCut(p) => power_cut(p),
        FaultKind::NetworkTime(_) => Applied::NetworkTimeAbsent,
        FaultKind::ClockJump(ClockJump::Forward(d)) => Applied::ClockJump(true, d.to_std()),
        FaultKind::ClockJump(ClockJump::Back(d)) => Applied::ClockJump(false, d.to_std()),
    })
}

fn modem_rule(m: &ModemFault) -> FaultRule {
    let action = match m.action {
        ModemAction::Cme(n) => FaultAction::Cme(n),
        ModemAction::Error => FaultAction::Error,
        ModemAction::Delay(d) => FaultAction::Delay(d.to_std()),
        ModemAction::DropNetworkTime => FaultAction::DropNetworkTime,
        ModemAction::StorageFull => FaultAction::StorageFull,
        ModemAction::Reboot => FaultAction::Reboot,
    };
    let mut rule = FaultRule::new(&m.command, action);
    if let Some(params) = &m.params {
        rule = rule.params(params.clone());
    }
    rule.firing(Firing::counts(m.nth, m.times))
}

fn service_fault(s: &ServiceFault) -> Result<world::ServiceFault, String> {
    let endpoint = match s.request {
        RequestKind::Fetch => Endpoint::Commands,
        RequestKind::Report => Endpoint::Responses,
        RequestKind::Auth => Endpoint::Auth,
        RequestKind::Any => Endpoint::Any,
    };
    let answer = match &s.answer {
        ServiceAnswer::Http(status) => world::ForcedAnswer::Status {
            http: *status,
            coap: coap_for_http(*status),
        },
        ServiceAnswer::Coap(code) => {
            let code = parse_coap(code).ok_or_else(|| format!("bad CoAP code `{code}`"))?;
            world::ForcedAnswer::Status {
                http: http_for_coap(code),
                coap: code,
            }
        }
        ServiceAnswer::Close => world::ForcedAnswer::Close,
        ServiceAnswer::Silence => world::ForcedAnswer::Silence,
        ServiceAnswer::Lost => world::ForcedAnswer::Lost,
    };
    let mut fault = world::ServiceFault::answering(endpoint, answer);
    fault.firing.rule = Firing::counts(s.nth, s.times);
    Ok(fault)
}

/// The CoAP code a CoAP device gets for an HTTP status fault.
fn coap_for_http(status: u16) -> CoapCode {
    let class = (status / 100).clamp(2, 5) as u8;
    let detail = match status {
        503 => 3,
        s => (s % 100).min(31) as u8,
    };
    CoapCode::new(class, detail)
}

/// The HTTP status an HTTP device gets for a CoAP code fault.
fn http_for_coap(code: CoapCode) -> u16 {
    u16::from(code.class()) * 100 + u16::from(code.detail())
}

fn parse_coap(text: &str) -> Option<CoapCode> {
    let (class, detail) = text.split_once('.')?;
    Some(CoapCode::new(class.parse().ok()?, detail.parse().ok()?))
}

/// A scenario power cut as the world arms it (see [`world::PowerCutPoint`] for where each
/// point is in the simulation).
fn power_cut(p: &PowerCut) -> Applied {
    let point = match p.at {
        PowerCutPoint::AfterFetch => world::PowerCutPoint::AfterFetch,
        PowerCutPoint::AfterCommand => world::PowerCutPoint::AfterCommand,
        PowerCutPoint::BeforeReport => world::PowerCutPoint::BeforeReport,
        PowerCutPoint::NvmWrite => world::PowerCutPoint::NvmWrite,
    };
    Applied::PowerCut(point, p.nth.unwrap_or(1), p.off_for.map(|d| d.to_std()))
}

/// Switches an installed fault on or off in the world (no effect if already so).
fn switch(sim: &mut Sim, installed: &mut Installed, on: bool) -> Result<(), BackendError> {
    if installed.on == on {
        return Ok(());
    }
    installed.on = on;
    let dev = installed.device;
    let world = &mut sim.world;
    let fail = |e: world::WorldError| BackendError::failed_by("", e);
    match &mut installed.applied {
        Applied::Modem { rule, id } => {
            let faults = world.modem_faults(dev).map_err(fail)?;
            if on {
                *id = Some(faults.add(rule.clone()));
            } else {
                if let Some(id) = id.take() {
                    faults.remove(id);
                }
                if rule.action() == FaultAction::StorageFull {
                    faults.set_storage_full(false);
                }
                if rule.action() == FaultAction::DropNetworkTime {
                    world.set_network_time(dev, true).map_err(fail)?;
                }
            }
        }
        // The device's own radio link: another device's traffic is not affected.
        Applied::Link(link) => {
            if on {
                let device_link = device_link(link, world.now());
                world.add_device_link(dev, device_link).map_err(fail)?;
            } else {
                world.clear_device_link(dev).map_err(fail)?;
            }
        }
        Applied::Service(fault) => {
            if on {
                world.add_service_fault(fault.clone());
            } else {
                world.remove_service_fault(fault);
            }
        }
        Applied::Handshake(fault) => {
            if on {
                world.add_handshake_fault(fault.clone());
            } else {
                world.remove_handshake_fault(fault);
            }
        }
        Applied::PowerCut(point, nth, off) => {
            if on {
                world
                    .power_cut_at(dev, point.clone(), *nth, *off)
                    .map_err(fail)?;
            } else {
                world.disarm_power_cut(dev, point).map_err(fail)?;
            }
        }
        Applied::NetworkTimeAbsent => world.set_network_time(dev, !on).map_err(fail)?,
        Applied::ClockJump(forward, by) => {
            if on {
                world.jump_clock(*forward, *by);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_mapping() {
        assert_eq!(coap_for_http(503), CoapCode::SERVICE_UNAVAILABLE);
        assert_eq!(coap_for_http(500), CoapCode::INTERNAL_ERROR);
        assert_eq!(http_for_coap(CoapCode::SERVICE_UNAVAILABLE), 503);
        assert_eq!(parse_coap("5.03"), Some(CoapCode::SERVICE_UNAVAILABLE));
        assert_eq!(parse_coap("x"), None);
    }
}
