//! Scenario faults in the world: modem fault rules, link faults, forced service answers,
//! handshake failures, power cuts, network time and clock jumps, switched on and off.

use provlab_client::CoapCode;
use provlab_harness::scenario::{
    ClockJump, Fault, FaultKind, LinkFault, ModemAction, ModemFault, PowerCut, PowerCutPoint,
    RequestKind, Scenario, ServiceAnswer, ServiceFault,
};
use provlab_harness::BackendError;

use super::Sim;
use crate::modem::{FaultAction, FaultId, FaultRule};
use crate::world::{self, DeviceId, Endpoint, Partition};

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
    /// Every handshake fails.
    Handshake,
    /// A power cut armed at a point.
    PowerCut(world::PowerCutPoint, Option<std::time::Duration>),
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
    let applied = applied(fault.kind.get())
        .map_err(|reason| BackendError::Setup(format!("{what}: {reason}")))?;
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
        .ok_or_else(|| BackendError::Failed(format!("no fault named `{name}`")))?;
    switch(sim, &mut installed, on)?;
    sim.faults.insert(name.to_owned(), installed);
    Ok(())
}

/// How the world applies a fault kind, or why it cannot.
fn applied(kind: &FaultKind) -> Result<Applied, String> {
    Ok(match kind {
        FaultKind::Modem(m) => Applied::Modem {
            rule: modem_rule(m),
            id: None,
        },
        FaultKind::Link(l) => Applied::Link(l.clone()),
        FaultKind::Service(s) => Applied::Service(service_fault(s)?),
        FaultKind::Handshake(h) => {
            if h.nth.is_some() || h.times.is_some() {
                return Err("the simulation fails every handshake while the fault is on; `nth`/`times` are not supported (switch the fault with fault_on/fault_off instead)".to_owned());
            }
            Applied::Handshake
        }
        FaultKind::PowerCut(p) => power_cut(p)?,
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
    if let Some(n) = m.nth {
        rule = rule.nth(n);
    }
    if let Some(t) = m.times {
        rule = rule.times(t);
    }
    rule
}

fn service_fault(s: &ServiceFault) -> Result<world::ServiceFault, String> {
    let endpoint = match s.request {
        RequestKind::Fetch => Endpoint::Commands,
        RequestKind::Report => Endpoint::Responses,
        RequestKind::Auth => Endpoint::Auth,
        RequestKind::Any => Endpoint::Any,
    };
    let (http, coap) = match &s.answer {
        ServiceAnswer::Http(status) => (*status, coap_for_http(*status)),
        ServiceAnswer::Coap(code) => {
            let code = parse_coap(code).ok_or_else(|| format!("bad CoAP code `{code}`"))?;
            (http_for_coap(code), code)
        }
        ServiceAnswer::Close | ServiceAnswer::Silence => {
            return Err("the simulation's forced service answers are statuses only; `close` and `silence` are not supported yet (use a link partition for silence)".to_owned())
        }
    };
    let mut fault = world::ServiceFault::new(endpoint, http, coap);
    if let Some(n) = s.nth {
        fault = fault.nth(n);
    }
    if let Some(t) = s.times {
        fault = fault.times(t);
    }
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

fn power_cut(p: &PowerCut) -> Result<Applied, String> {
    if p.nth.is_some_and(|n| n > 1) {
        return Err("the simulation cuts power at the first time the point is reached; `nth` > 1 is not supported yet".to_owned());
    }
    let point = match p.at {
        PowerCutPoint::BeforeReport => world::PowerCutPoint::BeforeReport,
        other => {
            return Err(format!(
                "power cuts at `{}` are not supported by the simulation yet (only `before_report`)",
                match other {
                    PowerCutPoint::AfterFetch => "after_fetch",
                    PowerCutPoint::AfterCommand => "after_command",
                    PowerCutPoint::NvmWrite => "nvm_write",
                    PowerCutPoint::BeforeReport => "before_report",
                }
            ))
        }
    };
    Ok(Applied::PowerCut(point, p.off_for.map(|d| d.to_std())))
}

/// Switches an installed fault on or off in the world (no effect if already so).
fn switch(sim: &mut Sim, installed: &mut Installed, on: bool) -> Result<(), BackendError> {
    if installed.on == on {
        return Ok(());
    }
    installed.on = on;
    let dev = installed.device;
    let world = &mut sim.world;
    let fail = |e: world::WorldError| BackendError::Failed(e.to_string());
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
        Applied::Link(link) => {
            if on {
                if let Some(p) = link.loss_percent {
                    world.set_loss_rate(f64::from(p.min(100)) / 100.0);
                }
                if link.latency.is_some() || link.jitter.is_some() {
                    world.set_extra_latency(
                        link.latency.map(|d| d.to_std()).unwrap_or_default(),
                        link.jitter.map(|d| d.to_std()).unwrap_or_default(),
                    );
                }
                if let Some(p) = link.partition {
                    let from = world.now() + p.after.to_std();
                    world.link_faults_mut().partitions.push(Partition {
                        from,
                        until: from + p.lasting.to_std(),
                    });
                }
            } else {
                world.clear_link_faults();
            }
        }
        Applied::Service(fault) => {
            if on {
                world.add_service_fault(fault.clone());
            } else {
                let f = fault.clone();
                world.link_faults_mut().service.retain(|s| {
                    !(s.endpoint == f.endpoint
                        && s.http_status == f.http_status
                        && s.coap_code == f.coap_code)
                });
            }
        }
        Applied::Handshake => world.set_handshake_failure(on),
        Applied::PowerCut(point, off) => {
            if on {
                match off {
                    Some(off) => world.power_cut_for(dev, point.clone(), *off),
                    None => world.power_cut(dev, point.clone()),
                }
                .map_err(fail)?;
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
