//! What a backend shows the runner: service state, client events, modem NVM, records.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::scenario::{ClientEvent, CommandStatus, CredentialType, DeviceStatus};

/// A snapshot of everything expectations look at.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Observation {
    /// Virtual (or, on hardware, elapsed) time since setup, in milliseconds.
    pub now_ms: u64,
    /// Per device, by the scenario's device name.
    pub devices: BTreeMap<String, DeviceObservation>,
}

/// One device as the service, the client and the modem show it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeviceObservation {
    /// Whether the service has the device claimed.
    pub claimed: bool,
    /// The device status in the service (`None` when not claimed).
    pub status: Option<DeviceStatus>,
    /// Every configuration command's status, in configuration order.
    pub commands: Vec<CommandStatus>,
    /// The client's events so far, in order.
    pub events: Vec<ObservedEvent>,
    /// The modem's credentials, sorted; `None` when the backend cannot list them.
    pub nvm: Option<Vec<(u32, CredentialType)>>,
    /// Every request the device made to the service, in order.
    pub exchanges: Vec<Exchange>,
}

/// A client event with its time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObservedEvent {
    /// When, in milliseconds.
    pub at_ms: u64,
    /// Which event.
    pub event: ClientEvent,
    /// Its payload, if any (seconds to the next attempt, the attestation token, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// One device request and the service's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exchange {
    /// When the request was made, in milliseconds.
    pub at_ms: u64,
    /// Which request.
    pub kind: ExchangeKind,
    /// The answer: an HTTP status (`"200"`), a CoAP code (`"2.05"`) or `"none"`.
    pub answer: String,
    /// Size of the body carrying records (the answer for a fetch, the request for a report).
    pub body_len: usize,
    /// The records carried: commands for a fetch, responses for a report.
    pub records: Vec<RecordSeen>,
}

/// Kinds of device request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExchangeKind {
    /// A fetch of commands.
    Fetch,
    /// A report of responses.
    Report,
    /// A CoAP JWT authentication.
    Auth,
}

/// One record, decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordSeen {
    /// The correlation id.
    pub id: String,
    /// The record type.
    pub kind: RecordKind,
    /// The 1-based position of the configuration command it belongs to, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<u32>,
    /// The CME error of an error record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cme: Option<u32>,
}

/// Record types (device-protocol.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RecordKind {
    /// 0: AT command.
    At,
    /// 1: config.
    Config,
    /// 2: finished.
    Finished,
    /// 99: error.
    Error,
    /// 100: AT ok.
    AtOk,
    /// 101: config ack.
    ConfigAck,
    /// 102: finished ack.
    FinishedAck,
}
