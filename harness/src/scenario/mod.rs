//! The scenario model: what a scenario file says, as typed Rust values.
//!
//! A scenario states the service's starting state ([`ServiceState`], with its service-wide
//! faults, [`FaultWindow`]), one or more devices ([`DeviceSpec`]), faults ([`Fault`]), a
//! timeline of steps ([`Step`]) and expectations ([`Expectation`]). `scenarios/README.md` is the reference of every key.

pub mod content;
pub mod device;
pub mod expect;
pub mod fault;
pub mod fleet;
pub mod request;
pub mod service;
pub mod step;
pub mod vocab;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use content::{ContentRef, ContentSource, LabCredential};
pub use device::{ClientSettings, Credential, DeviceSpec};
pub use expect::{Count, CountRange, Delivered, Expectation, NvmExpect, RecordsExpect};
pub use fault::*;
pub use request::{CommandRequest, ConfigCommand};
pub use service::{Member, RuleSpec, ServiceState};
pub use step::{Actor, Step};
pub use vocab::{
    ClientEvent, CommandStatus, CredentialType, DeviceStatus, Generation, Role, Transport,
};

use crate::located::Located;

/// The seed of a scenario that does not name one.
pub const DEFAULT_SEED: u64 = 1;

/// A whole scenario file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "provlab scenario")]
pub struct Scenario {
    /// A short identifier, e.g. `"failure-mid-queue"` (used for report and file names).
    pub name: Located<String>,
    /// What field situation the scenario models.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The seed of the run (default 1); `provlab run --seed` overrides it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// The service's starting state.
    #[serde(default)]
    pub service: ServiceState,
    /// The devices (`[[device]]`), at least one.
    #[serde(rename = "device")]
    pub devices: Vec<DeviceSpec>,
    /// Faults (`[[fault]]`).
    #[serde(rename = "fault", default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<Fault>,
    /// The timeline (`[[step]]`), in order.
    #[serde(rename = "step", default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<Located<Step>>,
    /// Expectations checked when the timeline ends (`[[expect]]`).
    #[serde(rename = "expect", default, skip_serializing_if = "Vec::is_empty")]
    pub expect: Vec<Located<Expectation>>,
}

impl Scenario {
    /// The scenario's seed, or [`DEFAULT_SEED`].
    pub fn seed(&self) -> u64 {
        self.seed.unwrap_or(DEFAULT_SEED)
    }

    /// The device called `name`.
    pub fn device(&self, name: &str) -> Option<&DeviceSpec> {
        self.devices.iter().find(|d| d.name.get() == name)
    }

    /// The device an expectation, fault or step means when it names none: the only device.
    pub fn sole_device(&self) -> Option<&DeviceSpec> {
        match self.devices.as_slice() {
            [only] => Some(only),
            _ => None,
        }
    }

    /// The name of the device `named` stands for (`None` falls back to the only device).
    pub fn resolve_device<'a>(&'a self, named: Option<&'a Located<String>>) -> Option<&'a str> {
        match named {
            Some(name) => Some(name.get().as_str()),
            None => self.sole_device().map(|d| d.name.get().as_str()),
        }
    }

    /// The member who acts when an owner action names none: the first owner, else the first
    /// admin.
    pub fn default_actor(&self) -> Option<&Member> {
        let members = &self.service.members;
        members
            .iter()
            .find(|m| m.role == Role::Owner)
            .or_else(|| members.iter().find(|m| m.role == Role::Admin))
    }

    /// The fault called `name`.
    pub fn fault(&self, name: &str) -> Option<&Fault> {
        self.faults
            .iter()
            .find(|f| f.name.as_ref().is_some_and(|n| n.get() == name))
    }
}
