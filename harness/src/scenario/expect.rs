//! Expectations: what the service and the device show, stated in their own terms.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::vocab::{ClientEvent, CommandStatus, CredentialType, DeviceStatus};
use crate::duration::Duration;
use crate::located::Located;

/// Expectations about one device. Used by `[[expect]]` (checked when the timeline ends),
/// by `expect` steps (checked then) and by `wait_until` steps (waited for).
///
/// With `within`, the check is "eventually": time runs until every part holds, at most
/// that long. Every part is optional, but at least one must be given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// The device; may be left out when the scenario has one device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<Located<String>>,
    /// Eventually: let time run until the expectation holds, at most this long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<Located<Duration>>,
    /// Whether the service has the device claimed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed: Option<Located<bool>>,
    /// The device status in the service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Located<DeviceStatus>>,
    /// Every command's status, in configuration order (exact list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commands: Option<Located<Vec<CommandStatus>>>,
    /// Some commands' statuses by 1-based position: `command = { 2 = "FAILED" }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Located<BTreeMap<String, CommandStatus>>>,
    /// The client's events so far, exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Located<Vec<ClientEvent>>>,
    /// These events occur in this order, others may come between (a subsequence).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events_in_order: Option<Located<Vec<ClientEvent>>>,
    /// None of these events occurred.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events_absent: Option<Located<Vec<ClientEvent>>>,
    /// The modem's credential store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nvm: Option<Located<NvmExpect>>,
    /// The records exchanged between the device and the service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<Located<RecordsExpect>>,
}

impl Expectation {
    /// Whether no part is given (a validation error in a scenario).
    pub fn is_empty(&self) -> bool {
        self.claimed.is_none()
            && self.status.is_none()
            && self.commands.is_none()
            && self.command.is_none()
            && self.events.is_none()
            && self.events_in_order.is_none()
            && self.events_absent.is_none()
            && self.nvm.is_none()
            && self.records.is_none()
    }
}

/// `nvm = { has = [[42, "root_ca"]], lacks = [[16842753, "client_cert"]] }`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NvmExpect {
    /// Credentials that must be present, as `[sec_tag, type]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub has: Vec<(u32, CredentialType)>,
    /// Credentials that must be absent, as `[sec_tag, type]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lacks: Vec<(u32, CredentialType)>,
}

/// `records = { fetches = 2, reports = { at_least = 1 }, delivered = [{ command = 2, times = 1 }] }`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordsExpect {
    /// Number of command fetches (HTTP GET / CoAP GET) the device made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetches: Option<Count>,
    /// Number of result reports (HTTP POST / CoAP POST) the device made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reports: Option<Count>,
    /// How often the records of a command were delivered to the device.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub delivered: Vec<Delivered>,
    /// No fetch answer carried more records than this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub largest_batch: Option<u32>,
    /// No fetch answer body was larger than this many bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub largest_body: Option<u32>,
}

/// `{ command = 2, times = 1 }`: command 2's records reached the device once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Delivered {
    /// The command's 1-based position in the device's configuration.
    pub command: Located<u32>,
    /// How many fetch answers carried it.
    pub times: Count,
}

/// A count: exactly `3`, or a range `{ at_least = 1, at_most = 4 }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Count {
    /// Exactly this many.
    Exactly(u32),
    /// Within bounds (both inclusive, each optional).
    Range(CountRange),
}

/// The bounds of [`Count::Range`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CountRange {
    /// Smallest allowed count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<u32>,
    /// Largest allowed count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_most: Option<u32>,
}

impl Count {
    /// Whether `n` satisfies the count.
    pub fn admits(self, n: u32) -> bool {
        match self {
            Count::Exactly(m) => n == m,
            Count::Range(r) => {
                r.at_least.is_none_or(|lo| n >= lo) && r.at_most.is_none_or(|hi| n <= hi)
            }
        }
    }
}

impl std::fmt::Display for Count {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Count::Exactly(n) => write!(f, "{n}"),
            Count::Range(CountRange {
                at_least: Some(lo),
                at_most: Some(hi),
            }) => write!(f, "{lo}..={hi}"),
            Count::Range(CountRange {
                at_least: Some(lo),
                at_most: None,
            }) => write!(f, "at least {lo}"),
            Count::Range(CountRange {
                at_least: None,
                at_most: Some(hi),
            }) => write!(f, "at most {hi}"),
            Count::Range(CountRange {
                at_least: None,
                at_most: None,
            }) => f.write_str("any number"),
        }
    }
}
