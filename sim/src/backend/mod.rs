//! The simulation backend of the scenario runner: plays a [`provlab_harness::Scenario`] on a
//! [`crate::world::World`] in virtual time.
//!
//! * `setup`: the world, the service's members, tags, rules, claims and configurations, the
//!   devices and the faults, from the scenario.
//! * `content`: the `@lab-…` credentials and command requests in the domain's terms.
//! * `steps`: action steps on the world; owner actions are dispatched by the harness.
//! * `owner`: the simulation's [`provlab_harness::OwnerActions`]: each call goes to the
//!   domain with the acting member's key.
//! * `faults`: faults switched on and off.
//! * `observe`: the harness [`Observation`], kept up to date incrementally.
//!
//! The run's [`Transcript`] is the world's own (a harness transcript), with the owner
//! actions recorded into it as they are made ([`crate::world::World::record`]).
//! * [`fleet`]: one scenario device cloned N times (`provlab run --devices N`).

mod content;
mod faults;
pub use provlab_harness::scenario::fleet;
mod observe;
mod owner;
mod setup;
mod steps;

use std::collections::BTreeMap;

use provlab_harness::owner::Refused;
use provlab_harness::scenario::Step;
use provlab_harness::transcript::{Entry, EntryKind, Lane};
use provlab_harness::{
    Backend, BackendError, BackendFactory, Capabilities, Duration, Observation, Scenario,
    StepOutcome, Transcript, WaitOutcome,
};
use provlab_server::domain::{Error as DomainError, RuleId, Service, Timestamp};

use crate::world::{DeviceId, World, WorldNet};
use content::LabCredentials;
use observe::ObservationCache;
pub use setup::client_config as scenario_client_config;
pub use setup::service_rule;

/// Where the simulated devices talk to the service.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NetMode {
    /// The world's in-memory link, in virtual time (the default).
    #[default]
    InMemory,
    /// Real sockets on 127.0.0.1 to the real device endpoints (`--net loopback`), still in
    /// virtual time; see [`crate::world::WorldNet::Loopback`].
    Loopback,
}

/// Options of the simulation backends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimOptions {
    /// The network mode.
    pub net: NetMode,
}

/// Creates [`SimBackend`]s.
#[derive(Debug, Clone, Default)]
pub struct SimBackendFactory {
    /// The options every backend gets.
    pub options: SimOptions,
}

impl SimBackendFactory {
    /// A factory with `options`.
    pub fn new(options: SimOptions) -> Self {
        Self { options }
    }
}

impl BackendFactory for SimBackendFactory {
    fn name(&self) -> &str {
        "sim"
    }

    fn create(&self) -> Result<Box<dyn Backend>, BackendError> {
        SimBackend::new(self.options.clone()).map(|b| Box::new(b) as Box<dyn Backend>)
    }
}

/// Plays scenarios in the simulation world (see the module docs).
#[derive(Debug)]
pub struct SimBackend {
    sim: Option<Sim>,
    options: SimOptions,
}

impl SimBackend {
    /// A backend with `options`.
    pub fn new(options: SimOptions) -> Result<Self, BackendError> {
        Ok(Self { sim: None, options })
    }

    fn sim(&mut self) -> Result<&mut Sim, BackendError> {
        self.sim
            .as_mut()
            .ok_or_else(|| BackendError::failed("the backend was not set up".to_owned()))
    }

    /// The world, once set up (for tests and tools).
    pub fn world(&self) -> Option<&World> {
        self.sim.as_ref().map(|s| &s.world)
    }
}

impl Backend for SimBackend {
    fn name(&self) -> &str {
        "sim"
    }

    fn capabilities(&self) -> Capabilities {
        // Both links inject every fault (loopback: CoAP loss in a real UDP relay, TCP
        // losses drawn per leg).
        Capabilities::all()
    }

    fn setup(&mut self, scenario: &Scenario, seed: u64) -> Result<(), BackendError> {
        let net = match self.options.net {
            NetMode::InMemory => WorldNet::InMemory,
            NetMode::Loopback => WorldNet::Loopback,
        };
        self.sim = Some(setup::build(scenario, seed, net)?);
        Ok(())
    }

    fn step(&mut self, step: &Step) -> Result<StepOutcome, BackendError> {
        let sim = self.sim()?;
        let outcome = steps::run(sim, step);
        sim.cache.invalidate();
        outcome
    }

    fn wait(
        &mut self,
        within: Duration,
        until: &mut dyn FnMut(&Observation) -> bool,
    ) -> Result<WaitOutcome, BackendError> {
        let sim = self.sim()?;
        let Sim {
            world,
            cache,
            devices,
            ..
        } = sim;
        let result = world.run_until(
            |w| {
                cache.refresh(w, devices);
                until(cache.get())
            },
            within.to_std(),
        );
        let at_ms = now_ms(world);
        Ok(match result {
            Ok(_) => WaitOutcome::Met { at_ms },
            Err(_) => WaitOutcome::TimedOut { at_ms },
        })
    }

    fn observe(&mut self) -> Result<Observation, BackendError> {
        let sim = self.sim()?;
        sim.cache.refresh(&sim.world, &sim.devices);
        Ok(sim.cache.get().clone())
    }

    fn observe_device(&mut self, device: &str) -> Result<Observation, BackendError> {
        let sim = self.sim()?;
        sim.cache.refresh(&sim.world, &sim.devices);
        let all = sim.cache.get();
        Ok(Observation {
            now_ms: all.now_ms,
            devices: all
                .devices
                .get_key_value(device)
                .map(|(k, v)| (k.clone(), v.clone()))
                .into_iter()
                .collect(),
        })
    }

    fn now_ms(&self) -> u64 {
        self.sim.as_ref().map_or(0, |s| now_ms(&s.world))
    }

    fn transcript(&self) -> Transcript {
        self.sim
            .as_ref()
            .map_or_else(Transcript::new, |s| s.world.transcript().clone())
    }

    fn transcript_len(&self) -> usize {
        self.sim
            .as_ref()
            .map_or(0, |s| s.world.transcript().entries.len())
    }
}

/// Virtual milliseconds of the world.
fn now_ms(world: &World) -> u64 {
    u64::try_from(world.now().as_millis()).unwrap_or(u64::MAX)
}

/// One run's state.
pub(crate) struct Sim {
    world: World,
    lab: LabCredentials,
    /// Scenario device name → world device.
    devices: BTreeMap<String, DeviceId>,
    /// Scenario device name → its position in the scenario.
    device_index: BTreeMap<String, usize>,
    /// Member name → API key.
    members: BTreeMap<String, String>,
    /// The member acting when a step names none.
    default_actor: Option<String>,
    /// The run's seed (member keys are drawn from it).
    seed: u64,
    /// Rule name → id.
    rules: BTreeMap<String, RuleId>,
    /// Named faults.
    faults: BTreeMap<String, faults::Installed>,
    cache: ObservationCache,
}

impl std::fmt::Debug for Sim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim")
            .field("devices", &self.devices)
            .field("now", &self.world.now())
            .finish_non_exhaustive()
    }
}

impl Sim {
    /// The world device of a scenario device name.
    fn device(&self, name: &str) -> Result<DeviceId, BackendError> {
        self.devices
            .get(name)
            .copied()
            .ok_or_else(|| BackendError::failed(format!("no device `{name}` in the simulation")))
    }

    /// The scenario position of a device (0 if unknown).
    fn index_of(&self, name: &str) -> usize {
        self.device_index.get(name).copied().unwrap_or(0)
    }

    /// Runs an owner operation as `member` (default actor when `None`) with their API key,
    /// logging the request and the answer on the member's lane.
    fn act<T>(
        &mut self,
        member: Option<&str>,
        label: &str,
        op: impl FnOnce(&mut Service, Timestamp, Option<&str>) -> Result<T, DomainError>,
    ) -> Result<T, Refused> {
        let name = member
            .map(str::to_owned)
            .or_else(|| self.default_actor.clone())
            .unwrap_or_else(|| "owner".to_owned());
        let key = self.members.get(&name).cloned();
        let at_ms = now_ms(&self.world);
        let owner = Lane::Owner(name);
        self.world.record(Entry::message(
            at_ms,
            owner.clone(),
            Lane::Service,
            EntryKind::Request,
            label,
        ));
        let now = self.world.service_time();
        let result = op(self.world.service_mut(), now, key.as_deref());
        let answer = match &result {
            Ok(_) => "ok".to_owned(),
            Err(e) => format!("{} {e}", e.http_status()),
        };
        self.world.record(Entry::message(
            at_ms,
            Lane::Service,
            owner,
            EntryKind::Response,
            answer,
        ));
        result.map_err(|e| Refused {
            status: e.http_status(),
            message: e.to_string(),
        })
    }
}
