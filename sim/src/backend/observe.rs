//! The harness [`Observation`] of a world: service statuses, client events with virtual
//! times, the modem's NVM listing and the exchanges with their decoded records.
//!
//! Kept up to date incrementally: after a world step only the devices named in the new
//! transcript entries are observed again, so waiting on a fleet costs what the fleet does,
//! not devices × steps.

use std::collections::{BTreeMap, BTreeSet};

use provlab_client::Event;
use provlab_harness::observation::{
    DeviceObservation, Exchange, ExchangeKind, ObservedEvent, RecordKind, RecordSeen,
};
use provlab_harness::scenario::{ClientEvent, CredentialType};
use provlab_harness::Observation;
use provlab_proto::records::{Command, Response};

use crate::world::{DeviceId, ExchangeEndpoint, ExchangeLog, World};

/// The observation, refreshed from the world on demand.
#[derive(Debug, Default)]
pub struct ObservationCache {
    observation: Observation,
    /// World transcript entries already looked at.
    scanned: usize,
    /// Everything must be observed again (after setup and owner actions).
    stale: bool,
}

impl ObservationCache {
    /// Marks every device for a fresh look (the service may have changed under them).
    pub fn invalidate(&mut self) {
        self.stale = true;
    }

    /// The observation as of the last refresh.
    pub fn get(&self) -> &Observation {
        &self.observation
    }

    /// Brings the observation up to date with `world`.
    pub fn refresh(&mut self, world: &World, devices: &BTreeMap<String, DeviceId>) {
        let entries = &world.transcript().entries;
        self.observation.now_ms = u64::try_from(world.now().as_millis()).unwrap_or(u64::MAX);
        if self.stale {
            self.stale = false;
            self.scanned = entries.len();
            self.observation.devices = devices
                .iter()
                .map(|(name, id)| (name.clone(), observe_device(world, *id)))
                .collect();
            return;
        }
        let mut touched = BTreeSet::new();
        for entry in entries.get(self.scanned..).unwrap_or_default() {
            for lane in [&entry.from, &entry.to] {
                if let Some(d) = lane.device() {
                    touched.insert(d);
                }
            }
        }
        self.scanned = entries.len();
        for name in touched {
            if let Some(id) = devices.get(name) {
                self.observation
                    .devices
                    .insert(name.to_owned(), observe_device(world, *id));
            }
        }
    }
}

/// One device as the service, the client and the modem show it.
fn observe_device(world: &World, id: DeviceId) -> DeviceObservation {
    let service_device = world
        .service_device_id(id)
        .ok()
        .and_then(|sid| world.service().state().devices.get(&sid));
    let commands = service_device.map_or(&[][..], |d| d.commands.as_slice());
    let positions: BTreeMap<String, u32> = commands
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.to_string(), i as u32 + 1))
        .collect();
    let status = world.device_status(id);
    DeviceObservation {
        claimed: status.is_some(),
        status,
        commands: commands.iter().map(|c| c.status).collect(),
        events: world
            .timed_events(id)
            .into_iter()
            .filter_map(|(at, e)| observed_event(u64::try_from(at.as_millis()).ok()?, &e))
            .collect(),
        nvm: world.modem(id).map(|m| {
            let mut list: Vec<(u32, CredentialType)> = m
                .credentials()
                .iter()
                .filter_map(|(k, _)| Some((k.sec_tag, CredentialType::from_number(k.cred_type)?)))
                .collect();
            list.sort();
            list
        }),
        exchanges: world
            .exchange_log(id)
            .iter()
            .map(|x| exchange(x, &positions))
            .collect(),
    }
}

/// A client event with its payload (seconds to the next attempt, the claim token).
fn observed_event(at_ms: u64, event: &Event) -> Option<ObservedEvent> {
    let kind = [
        ClientEvent::Start,
        ClientEvent::Stop,
        ClientEvent::Done,
        ClientEvent::Failed,
        ClientEvent::NoCommands,
        ClientEvent::FailedTooManyCommands,
        ClientEvent::FailedDeviceNotClaimed,
        ClientEvent::FailedWrongRootCa,
        ClientEvent::FailedNoValidDatetime,
        ClientEvent::NeedLteDeactivated,
        ClientEvent::NeedLteActivated,
        ClientEvent::ScheduledProvisioning,
        ClientEvent::FatalError,
    ]
    .into_iter()
    .find(|k| k.number() == event.number())?;
    let detail = match event {
        Event::ScheduledProvisioning { next_attempt_s } => Some(next_attempt_s.to_string()),
        Event::FailedDeviceNotClaimed { token: Some(t) } => Some(t.claim_token()),
        _ => None,
    };
    Some(ObservedEvent {
        at_ms,
        event: kind,
        detail,
    })
}

/// A logged exchange, records decoded, each tied to its command's position.
fn exchange(x: &ExchangeLog, positions: &BTreeMap<String, u32>) -> Exchange {
    let position = |id: &str| {
        let command = id.split('.').next().unwrap_or_default();
        positions.get(command).copied()
    };
    let mut records: Vec<RecordSeen> = x
        .commands
        .iter()
        .map(|c| {
            let kind = match c {
                Command::At { .. } => RecordKind::At,
                Command::Config { .. } => RecordKind::Config,
                Command::Finished { .. } => RecordKind::Finished,
            };
            let id = c.id().as_str();
            RecordSeen {
                id: id.to_owned(),
                kind,
                command: position(id),
                cme: None,
            }
        })
        .collect();
    records.extend(x.responses.iter().map(|r| {
        let (kind, cme) = match r {
            Response::Error { cme_error, .. } => {
                (RecordKind::Error, Some(*cme_error).filter(|c| *c != 0))
            }
            Response::AtOk { .. } => (RecordKind::AtOk, None),
            Response::ConfigAck { .. } => (RecordKind::ConfigAck, None),
            Response::FinishedAck { .. } => (RecordKind::FinishedAck, None),
        };
        let id = r.id().as_str();
        RecordSeen {
            id: id.to_owned(),
            kind,
            command: position(id),
            cme,
        }
    }));
    Exchange {
        at_ms: x.at_ms,
        kind: match x.endpoint {
            ExchangeEndpoint::Fetch => ExchangeKind::Fetch,
            ExchangeEndpoint::Report => ExchangeKind::Report,
            ExchangeEndpoint::Auth => ExchangeKind::Auth,
        },
        answer: x.answer.clone(),
        body_len: x.body_len,
        records,
    }
}
