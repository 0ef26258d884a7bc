//! The [`Service`] facade: one method per operation of the REST API and of the device
//! endpoints.
//!
//! Every REST-facing method takes the caller's API key (`None` when the request had none)
//! and decides 401 / 404 / 403 in that order before looking at the request. Mutating methods
//! return an [`Outcome`]: their result plus the events they applied, which a persistence layer
//! stores in one transaction; [`Service::replay`] rebuilds the same service from them.

mod configuration;
mod device_api;
mod devices;
mod rules;
mod team;

pub use configuration::NewCommand;
pub use device_api::{
    DeviceAuth, Fetch, FetchRequest, FetchResult, IdleReason, Notice, RecordDisposition,
    RecordOutcome, ResponsesReport, MAX_RESPONSES_PER_BODY,
};
pub use devices::{BulkClaim, BulkFailure, ClaimCheck};

use crate::devices::Device;
use crate::error::{Error, Result};
use crate::events::Event;
use crate::ids::{DeviceId, IdSource};
use crate::members::{Caller, KeyHash};
use crate::permissions::{decide, DeviceOwner, Operation};
use crate::registry::Verifier;
use crate::state::{ApplyError, State};

/// Default tolerance, in seconds, for the device JWT's `exp` and `iat` against `now`.
pub const DEFAULT_JWT_LEEWAY_S: u64 = 60;

/// How a service instance is set up. Not part of the event-sourced state: the same
/// configuration is given again at every start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceConfig {
    /// Seed of the id source (command and rule ids; never API keys, see
    /// [`crate::members::KeyMaterial`]).
    pub seed: u64,
    /// Signature verification policy (factory registry and exempt devices).
    pub verifier: Verifier,
    /// Tolerance in seconds for JWT `exp`/`iat`.
    pub jwt_leeway_s: u64,
}

impl ServiceConfig {
    /// A configuration with `seed`, no registry (signatures accepted unverified) and the
    /// default JWT leeway.
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            verifier: Verifier::default(),
            jwt_leeway_s: DEFAULT_JWT_LEEWAY_S,
        }
    }
}

/// An operation's result and the events it applied (in order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome<T> {
    /// What the operation returns to its caller.
    pub value: T,
    /// The events applied, to be persisted together.
    pub events: Vec<Event>,
}

/// The fake Provisioning Service's domain core.
#[derive(Debug, Clone)]
pub struct Service {
    config: ServiceConfig,
    ids: IdSource,
    state: State,
}

impl Service {
    /// An empty service.
    pub fn new(config: ServiceConfig) -> Self {
        Self {
            ids: IdSource::new(config.seed),
            config,
            state: State::default(),
        }
    }

    /// Rebuilds a service by applying `events` (a stored log) to an empty one.
    pub fn replay<'a>(
        config: ServiceConfig,
        events: impl IntoIterator<Item = &'a Event>,
    ) -> std::result::Result<Self, ApplyError> {
        let mut service = Self::new(config);
        for event in events {
            service.apply(event)?;
        }
        Ok(service)
    }

    /// Applies one event: the only way state changes.
    pub fn apply(&mut self, event: &Event) -> std::result::Result<(), ApplyError> {
        self.state.apply(event)
    }

    /// The whole state (read-only), e.g. for a persistence layer's consistency check.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The configuration.
    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }

    /// Mutable verification policy (the rack configuration may change which devices are
    /// exempt; not persisted).
    pub fn verifier_mut(&mut self) -> &mut Verifier {
        &mut self.config.verifier
    }

    /// Applies `event` and appends it to `events`.
    fn emit(&mut self, events: &mut Vec<Event>, event: Event) -> Result<()> {
        self.state
            .apply(&event)
            .map_err(|e| Error::Internal(e.to_string()))?;
        events.push(event);
        Ok(())
    }

    /// Runs `body`, collecting the events it emits into an [`Outcome`].
    ///
    /// Operations validate everything before their first `emit`; after it only
    /// [`Error::Internal`] (a bug) can stop them, so an error never leaves applied events
    /// unreported.
    fn transact<T>(
        &mut self,
        body: impl FnOnce(&mut Self, &mut Vec<Event>) -> Result<T>,
    ) -> Result<Outcome<T>> {
        let mut events = Vec::new();
        let value = body(self, &mut events)?;
        Ok(Outcome { value, events })
    }

    /// Authenticates an API key: 401 when missing or unknown.
    pub fn authenticate(&self, api_key: Option<&str>) -> Result<Caller> {
        let key = api_key
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .ok_or_else(|| Error::unauthorized("missing API key"))?;
        let member = self
            .state
            .key_index
            .get(&KeyHash::of(key))
            .ok_or_else(|| Error::unauthorized("unknown API key"))?;
        let found = self
            .state
            .members
            .get(member)
            .ok_or_else(|| Error::unauthorized("unknown API key"))?;
        Ok(Caller {
            member: member.clone(),
            serial: found.serial,
            role: found.role,
        })
    }

    /// Authenticates and checks a team-wide operation.
    fn authorize(&self, api_key: Option<&str>, op: Operation) -> Result<Caller> {
        let caller = self.authenticate(api_key)?;
        decide(caller.role, op, None).map_err(|d| Error::forbidden(d.0))?;
        Ok(caller)
    }

    /// Authenticates and checks an operation on `device`: 401, then 403 if the role may not
    /// do this to any device, then 404, then 403 if the device is not the caller's to touch.
    fn authorize_device(
        &self,
        api_key: Option<&str>,
        op: Operation,
        device: DeviceId,
    ) -> Result<(Caller, &Device)> {
        let caller = self.authenticate(api_key)?;
        let own = DeviceOwner {
            by_caller: true,
            role: caller.role,
        };
        decide(caller.role, op, Some(own)).map_err(|d| Error::forbidden(d.0))?;
        let found = self
            .state
            .devices
            .get(&device)
            .ok_or_else(|| Error::not_found(format!("device {device}")))?;
        decide(caller.role, op, Some(owner_of(found, &caller)))
            .map_err(|d| Error::forbidden(d.0))?;
        Ok((caller, found))
    }
}

/// The [`DeviceOwner`] of `device` as seen by `caller`: the caller claimed it when they are
/// the same member, not merely one with the same name.
fn owner_of(device: &Device, caller: &Caller) -> DeviceOwner {
    DeviceOwner {
        by_caller: device.claimed_by == caller.member
            && device.claimed_by_serial == Some(caller.serial),
        role: device.claimed_by_role,
    }
}
