//! Building a world from a scenario: devices with their modems, NVM, settings and clients;
//! then the service's starting state through the harness ([`set_up_service`]: members, tags,
//! rules, claims with each device's real attestation token, configurations); then the
//! faults, and the service-wide fault windows.

use std::collections::BTreeMap;

use provlab_client::{ClientConfig, Generation, StoredSettings, TransportKind};
use provlab_harness::owner::set_up_service;
use provlab_harness::scenario::{self as sc, CredentialType, Scenario};
use provlab_harness::BackendError;
use provlab_server::domain::commands::CommandRequest;
use provlab_server::domain::rules::{RuleCommand, RuleSpec as DomainRule};

use super::content::LabCredentials;
use super::faults;
use super::observe::ObservationCache;
use super::Sim;
use crate::world::{DeviceSpec, RootCa, World, WorldConfig, WorldNet};

/// The world's own member (never named by scenarios: names may not contain spaces… but
/// may contain `-`, so the name is deliberately unlikely).
const WORLD_MEMBER: &str = "provlab-world-operator";

/// Builds the simulation of `scenario` with `seed`.
pub fn build(scenario: &Scenario, seed: u64, net: WorldNet) -> Result<Sim, BackendError> {
    let mut config = WorldConfig::new(seed);
    config.owner_name = WORLD_MEMBER.to_owned();
    config.net = net;
    let world = World::new(config).map_err(setup_err)?;
    let mut lab = LabCredentials::new(seed, world.lab_ca());
    if let Some(untrusted) = world.untrusted_ca() {
        lab.untrusted_ca = untrusted.to_owned();
    }
    let mut sim = Sim {
        world,
        lab,
        devices: BTreeMap::new(),
        device_index: BTreeMap::new(),
        members: BTreeMap::new(),
        default_actor: scenario.default_actor().map(|m| m.name.get().clone()),
        seed,
        rules: BTreeMap::new(),
        faults: BTreeMap::new(),
        cache: ObservationCache::default(),
    };
    for (index, device) in scenario.devices.iter().enumerate() {
        let spec = device_spec(device, &sim.lab, index)?;
        let id = sim.world.add_device(spec).map_err(setup_err)?;
        sim.devices.insert(device.name.get().clone(), id);
        sim.device_index.insert(device.name.get().clone(), index);
    }
    set_up_service(&mut sim, scenario)?;
    for fault in &scenario.faults {
        faults::install(&mut sim, scenario, fault)?;
    }
    faults::install_windows(&mut sim, &scenario.service.faults)?;
    sim.cache.invalidate();
    Ok(sim)
}

fn setup_err(e: impl std::error::Error + Send + Sync + 'static) -> BackendError {
    BackendError::setup_by("", e)
}

/// The world's device spec for a scenario device.
fn device_spec(
    device: &sc::DeviceSpec,
    lab: &LabCredentials,
    index: usize,
) -> Result<DeviceSpec, BackendError> {
    let client = client_config(&device.client);
    let root_tag = client.root_ca_sec_tag;
    let mut spec = DeviceSpec::new(device.name.get().clone())
        .model(device.model.clone())
        .firmware(device.modem_fw.clone())
        .network_time(device.network_time)
        .client_config(client);
    spec.transport = match device.transport {
        sc::Transport::Http => TransportKind::Http,
        sc::Transport::Coap => TransportKind::Coap,
    };
    for credential in &device.credentials {
        let content = match &credential.content {
            Some(content) => Some(lab.resolve(content, index)?),
            None => None,
        };
        if credential.kind == CredentialType::RootCa && credential.sec_tag == root_tag {
            spec.root_ca = match content {
                Some(pem) if pem == lab.root_ca => RootCa::Lab,
                Some(pem) => RootCa::Other(pem),
                None => RootCa::Missing,
            };
            continue;
        }
        let content = match content {
            Some(text) => text,
            None if credential.kind == CredentialType::PrivateKey => {
                lab.preloaded_key(index, credential.sec_tag)?
            }
            None => {
                return Err(BackendError::setup(format!(
                    "device `{}`: credential {} at sec tag {} needs `content` (only private keys may leave it out)",
                    device.name.get(),
                    credential.kind,
                    credential.sec_tag
                )))
            }
        };
        spec = spec.credential(credential.sec_tag, credential.kind.number(), content);
    }
    let settings = device
        .settings
        .iter()
        .fold(StoredSettings::new(), |s, (k, v)| {
            s.with(k.clone(), v.as_bytes())
        });
    Ok(spec.settings(settings))
}

/// The sample firmware's client configuration with the scenario's build options (also what
/// a HIL rack's virtual board is built with, so that it is the scenario's device).
pub fn client_config(settings: &sc::ClientSettings) -> ClientConfig {
    let mut c = ClientConfig::sample_firmware();
    if let Some(generation) = settings.generation {
        c.generation = match generation {
            sc::Generation::Current => Generation::Current,
            sc::Generation::V2_9 => Generation::V2_9,
        };
    }
    let secs = |d: provlab_harness::Duration| d.as_millis() / 1000;
    if let Some(v) = settings.scheduled {
        c.scheduled = v;
    }
    if let Some(v) = settings.interval {
        c.interval_s = secs(v);
    }
    if let Some(v) = settings.spread {
        c.spread_s = secs(v);
    }
    if let Some(v) = settings.initial_backoff {
        c.initial_backoff_s = secs(v);
    }
    if let Some(v) = settings.records_limit {
        c.records_limit = v as usize;
    }
    if let Some(v) = settings.rx_buf_size {
        c.rx_buf_size = v as usize;
    }
    if let Some(v) = settings.tx_buf_size {
        c.tx_buf_size = v as usize;
    }
    if let Some(v) = settings.root_ca_sec_tag {
        c.root_ca_sec_tag = v;
    }
    if let Some(v) = settings.save_cursor {
        c.save_cursor = v;
    }
    if let Some(v) = settings.provide_attestation_token {
        c.provide_attestation_token = v;
    }
    if let Some(v) = settings.coap_keep_open {
        c.coap_keep_open = v;
    }
    if let Some(v) = settings.coap_block_size {
        c.coap_block_size = v as usize;
    }
    c
}

/// A scenario rule as the service takes it (the domain's spec, which is also the REST body),
/// each command's content resolved by `resolve`: the one translation the simulation and the
/// HIL backend share.
pub fn service_rule(
    rule: &sc::RuleSpec,
    mut resolve: impl FnMut(&sc::CommandRequest) -> Result<CommandRequest, BackendError>,
) -> Result<DomainRule, BackendError> {
    let commands = rule
        .commands
        .iter()
        .map(|c| {
            Ok(RuleCommand {
                description: c.description.clone().unwrap_or_default(),
                request: resolve(&c.request)?,
            })
        })
        .collect::<Result<Vec<_>, BackendError>>()?;
    Ok(DomainRule {
        name: rule.name.get().clone(),
        description: rule.description.clone().unwrap_or_default(),
        active: rule.active,
        commands,
        tags: rule.tags.clone(),
    })
}
