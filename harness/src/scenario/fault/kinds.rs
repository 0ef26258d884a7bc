//! The fault table: one row per kind (its value type, the key naming it in a scenario
//! file, its words as a capability, how a fleet uses it), and the value types with what
//! the loader checks in them. Adding a kind: a row, its value type and its [`FaultSpec`]
//! (which also says whether it can be a service-wide `[[service.fault]]`); then the
//! backends that inject it (the simulation's `sim/src/backend/faults.rs`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Counts, FaultSpec, FleetUse};
use crate::duration::Duration;
use crate::located::Located;

fault_kinds! {
    /// The modem answers a matching AT command differently.
    Modem(ModemFault) = "modem", "modem faults", PerDevice;
    /// The link loses, delays or partitions traffic.
    Link(LinkFault) = "link", "link faults", Shared;
    /// The service answers a matching device request with a given status.
    Service(ServiceFault) = "service", "service answer faults", Shared;
    /// The TLS/DTLS handshake fails.
    Handshake(HandshakeFault) = "handshake", "handshake faults", Shared;
    /// Power is cut at a point of the client's work.
    PowerCut(PowerCut) = "power_cut", "power cuts", PerDevice;
    /// The modem's network time.
    NetworkTime(NetworkTimeFault) = "network_time", "network time faults", PerDevice;
    /// The device clock jumps.
    ClockJump(ClockJump) = "clock_jump", "clock jumps", Shared;
}

/// A modem fault: matching commands get a different answer.
///
/// Matching: `command` by name (case-insensitive, with or without `AT`), `params` as a glob
/// over the parameter text (`*` matches any run). Firing: every match by default; `nth = n`
/// fires on the n-th match only; `times = k` fires k times (from the n-th match on).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModemFault {
    /// The command name, e.g. `"%CMNG"`, `"AT%KEYGEN"`.
    pub command: String,
    /// A glob over the parameters, e.g. `"3,16842753,*"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<String>,
    /// Fire from the n-th matching command (1-based).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nth: Option<u32>,
    /// How many matches fire (default: 1 with `nth`, else every match).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
    /// What the modem does instead.
    pub action: ModemAction,
}

/// What a modem fault does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ModemAction {
    /// Answer `+CME ERROR: <n>`: `action = { cme = 514 }`.
    Cme(u16),
    /// Answer plain `ERROR`: `action = "error"`.
    Error,
    /// Answer normally after a delay: `action = { delay = "5s" }`.
    Delay(Duration),
    /// Lose network time from then on: `action = "drop_network_time"`.
    DropNetworkTime,
    /// Credential storage is full from then on (CME 515): `action = "storage_full"`.
    StorageFull,
    /// Answer, then reboot the modem: `action = "reboot"`.
    Reboot,
}

/// A link fault: loss, latency and jitter, and a partition window.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkFault {
    /// Datagrams (CoAP) or connections (HTTP) lost, in percent (0–100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss_percent: Option<u32>,
    /// Extra one-way latency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<Duration>,
    /// Random extra latency, uniform in `0..jitter`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jitter: Option<Duration>,
    /// No traffic at all during a window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<Partition>,
}

/// A window without connectivity, relative to the moment the fault becomes active.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Partition {
    /// When the window opens (default: at once).
    #[serde(default)]
    pub after: Duration,
    /// How long it lasts.
    pub lasting: Duration,
}

/// The service answers matching device requests with a chosen status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceFault {
    /// Which requests: `fetch` (GET commands), `report` (POST responses), `auth` (CoAP JWT
    /// post) or `any`.
    pub request: RequestKind,
    /// Fire from the n-th matching request (1-based).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nth: Option<u32>,
    /// How many requests fire (default: 1 with `nth`, else every match).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
    /// The answer instead of the real one.
    pub answer: ServiceAnswer,
}

/// A device request to the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// `GET …/commands` or CoAP `GET p/cmd`.
    Fetch,
    /// `POST …/response` or CoAP `POST p/rsp`.
    Report,
    /// CoAP `POST p/auth-jwt`.
    Auth,
    /// Every request.
    Any,
}

/// What the service answers instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ServiceAnswer {
    /// An HTTP status: `answer = { http = 500 }`.
    Http(u16),
    /// A CoAP response code `c.dd`: `answer = { coap = "5.03" }`.
    Coap(String),
    /// The connection closes without an answer: `answer = "close"`.
    Close,
    /// No answer at all (the request times out): `answer = "silence"`.
    Silence,
    /// The service handles the request, but its answer is lost on the way back, also for
    /// the transport's retransmissions (the device times out): `answer = "lost"`.
    Lost,
}

/// The TLS/DTLS handshake with the service fails.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HandshakeFault {
    /// Fail from the n-th handshake (1-based).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nth: Option<u32>,
    /// How many handshakes fail (default: 1 with `nth`, else all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
}

/// Power is cut at a point of the client's work, then comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PowerCut {
    /// Where.
    pub at: PowerCutPoint,
    /// At the n-th time the point is reached (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nth: Option<u32>,
    /// How long power stays off (default: at once back on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub off_for: Option<Duration>,
}

/// Points of the client's work where power can be cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PowerCutPoint {
    /// Right after commands were received.
    AfterFetch,
    /// After a command executed on the modem (`nth` counts commands).
    AfterCommand,
    /// After the batch executed, before the results are posted.
    BeforeReport,
    /// During a write to the modem's NVM.
    NvmWrite,
}

/// The modem's network time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NetworkTimeFault {
    /// No network time while the fault is active: `network_time = "absent"`.
    Absent,
}

/// A jump of the device clock when the fault becomes active.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ClockJump {
    /// `clock_jump = { forward = "1h" }`.
    Forward(Duration),
    /// `clock_jump = { back = "10m" }`.
    Back(Duration),
}

impl FaultSpec for ModemFault {
    fn counts(&self) -> Counts {
        Counts {
            nth: self.nth,
            times: self.times,
        }
    }
}

impl FaultSpec for LinkFault {
    fn service_wide() -> bool {
        true
    }

    fn window_refuses() -> &'static [(&'static str, &'static str)] {
        &[(
            "partition",
            "a service-wide fault's window is given by its `after` and `lasting`; for no traffic at all in the window, write `loss_percent = 100`",
        )]
    }

    fn problems(&self) -> Vec<String> {
        if self.loss_percent.is_some_and(|p| p > 100) {
            vec!["`loss_percent` is a percentage: expected 0 to 100".to_owned()]
        } else if *self == LinkFault::default() {
            vec![
                "a link fault needs at least one of loss_percent, latency, jitter, partition"
                    .to_owned(),
            ]
        } else {
            Vec::new()
        }
    }
}

impl FaultSpec for ServiceFault {
    fn service_wide() -> bool {
        true
    }

    fn counts(&self) -> Counts {
        Counts {
            nth: self.nth,
            times: self.times,
        }
    }

    fn problems(&self) -> Vec<String> {
        match &self.answer {
            ServiceAnswer::Http(status) if !(100..=599).contains(status) => {
                vec![format!(
                    "HTTP status {status} is out of range: expected 100 to 599"
                )]
            }
            ServiceAnswer::Coap(code) if !is_coap_code(code) => vec![format!(
                "CoAP code `{code}` is malformed: expected `<class>.<detail>` such as \"5.03\" or \"4.01\""
            )],
            _ => Vec::new(),
        }
    }
}

impl FaultSpec for HandshakeFault {
    fn service_wide() -> bool {
        true
    }

    fn counts(&self) -> Counts {
        Counts {
            nth: self.nth,
            times: self.times,
        }
    }
}

impl FaultSpec for PowerCut {
    fn counts(&self) -> Counts {
        Counts {
            nth: self.nth,
            times: None,
        }
    }
}

impl FaultSpec for NetworkTimeFault {}

impl FaultSpec for ClockJump {}

/// Whether `code` is a CoAP response code `c.dd` of class 2 to 5.
fn is_coap_code(code: &str) -> bool {
    let Some((class, detail)) = code.split_once('.') else {
        return false;
    };
    class.len() == 1
        && detail.len() == 2
        && class.chars().all(|c| ('2'..='5').contains(&c))
        && detail.chars().all(|c| c.is_ascii_digit())
}
