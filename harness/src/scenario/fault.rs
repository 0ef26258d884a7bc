//! Faults: what goes wrong in the modem, on the link, in the service, in power and time.
//!
//! A `[[fault]]` table has the common keys (`name`, `device`, `active`, `optional`) and
//! exactly one key naming its kind: `modem`, `link`, `service`, `handshake`, `power_cut`,
//! `network_time` or `clock_jump`.

use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::duration::Duration;
use crate::located::Located;

/// One fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The name `fault_on` / `fault_off` steps use; required when a step refers to it.
    pub name: Option<Located<String>>,
    /// The device it concerns (its modem, its link, its requests); may be left out when the
    /// scenario has one device.
    pub device: Option<Located<String>>,
    /// Whether it is on from the start (default) or waits for a `fault_on` step.
    pub active: bool,
    /// `true`: a backend that cannot inject it skips just this fault; `false` (default): it
    /// skips the whole scenario, whose expectations assume the fault.
    pub optional: bool,
    /// What goes wrong.
    pub kind: Located<FaultKind>,
}

/// The kinds of fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// The modem answers a matching AT command differently.
    Modem(ModemFault),
    /// The link loses, delays or partitions traffic.
    Link(LinkFault),
    /// The service answers a matching device request with a given status.
    Service(ServiceFault),
    /// The TLS/DTLS handshake fails.
    Handshake(HandshakeFault),
    /// Power is cut at a point of the client's work.
    PowerCut(PowerCut),
    /// The modem's network time.
    NetworkTime(NetworkTimeFault),
    /// The device clock jumps.
    ClockJump(ClockJump),
}

impl FaultKind {
    /// The key naming this kind in a scenario file.
    pub fn key(&self) -> &'static str {
        match self {
            Self::Modem(_) => "modem",
            Self::Link(_) => "link",
            Self::Service(_) => "service",
            Self::Handshake(_) => "handshake",
            Self::PowerCut(_) => "power_cut",
            Self::NetworkTime(_) => "network_time",
            Self::ClockJump(_) => "clock_jump",
        }
    }
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

/// The keys of a `[[fault]]` table (unknown keys are rejected where they stand).
#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum FaultKey {
    Name,
    Device,
    Active,
    Optional,
    Modem,
    Link,
    Service,
    Handshake,
    PowerCut,
    NetworkTime,
    ClockJump,
}

const FAULT_KEYS: &[&str] = &[
    "name",
    "device",
    "active",
    "optional",
    "modem",
    "link",
    "service",
    "handshake",
    "power_cut",
    "network_time",
    "clock_jump",
];

struct FaultVisitor;

/// Reads the kind's value, refusing a second kind in the same table.
fn kind_value<'de, A, T>(
    map: &mut A,
    slot: &mut Option<Located<FaultKind>>,
    wrap: fn(T) -> FaultKind,
) -> Result<(), A::Error>
where
    A: MapAccess<'de>,
    T: Deserialize<'de>,
{
    let value: Located<T> = map.next_value()?;
    if let Some(existing) = slot {
        let second = wrap(value.into_inner());
        return Err(de::Error::custom(format!(
            "a fault has exactly one kind, but this one has both `{}` and `{}`",
            existing.key(),
            second.key()
        )));
    }
    let span = value.span();
    *slot = Some(Located::with_span(wrap(value.into_inner()), span));
    Ok(())
}

fn once<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
    slot: &mut Option<T>,
    key: &'static str,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(de::Error::duplicate_field(key));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

impl<'de> Visitor<'de> for FaultVisitor {
    type Value = Fault;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a fault table with one of modem, link, service, handshake, power_cut, network_time, clock_jump")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fault, A::Error> {
        let mut name = None;
        let mut device = None;
        let mut active = None;
        let mut optional = None;
        let mut kind = None;
        while let Some(key) = map.next_key::<FaultKey>()? {
            match key {
                FaultKey::Name => once(&mut map, &mut name, "name")?,
                FaultKey::Device => once(&mut map, &mut device, "device")?,
                FaultKey::Active => once(&mut map, &mut active, "active")?,
                FaultKey::Optional => once(&mut map, &mut optional, "optional")?,
                FaultKey::Modem => kind_value(&mut map, &mut kind, FaultKind::Modem)?,
                FaultKey::Link => kind_value(&mut map, &mut kind, FaultKind::Link)?,
                FaultKey::Service => kind_value(&mut map, &mut kind, FaultKind::Service)?,
                FaultKey::Handshake => kind_value(&mut map, &mut kind, FaultKind::Handshake)?,
                FaultKey::PowerCut => kind_value(&mut map, &mut kind, FaultKind::PowerCut)?,
                FaultKey::NetworkTime => kind_value(&mut map, &mut kind, FaultKind::NetworkTime)?,
                FaultKey::ClockJump => kind_value(&mut map, &mut kind, FaultKind::ClockJump)?,
            }
        }
        let kind = kind.ok_or_else(|| {
            de::Error::custom(
                "a fault needs one kind key: modem, link, service, handshake, power_cut, network_time or clock_jump",
            )
        })?;
        Ok(Fault {
            name,
            device,
            active: active.unwrap_or(true),
            optional: optional.unwrap_or(false),
            kind,
        })
    }
}

impl<'de> Deserialize<'de> for Fault {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_struct("Fault", FAULT_KEYS, FaultVisitor)
    }
}

impl Serialize for Fault {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(name) = &self.name {
            map.serialize_entry("name", name)?;
        }
        if let Some(device) = &self.device {
            map.serialize_entry("device", device)?;
        }
        if !self.active {
            map.serialize_entry("active", &false)?;
        }
        if self.optional {
            map.serialize_entry("optional", &true)?;
        }
        let key = self.kind.key();
        match self.kind.get() {
            FaultKind::Modem(f) => map.serialize_entry(key, f)?,
            FaultKind::Link(f) => map.serialize_entry(key, f)?,
            FaultKind::Service(f) => map.serialize_entry(key, f)?,
            FaultKind::Handshake(f) => map.serialize_entry(key, f)?,
            FaultKind::PowerCut(f) => map.serialize_entry(key, f)?,
            FaultKind::NetworkTime(f) => map.serialize_entry(key, f)?,
            FaultKind::ClockJump(f) => map.serialize_entry(key, f)?,
        }
        map.end()
    }
}

/// The shape of a `[[fault]]` table, for the JSON Schema only (the loader checks that
/// exactly one kind key is present).
#[allow(dead_code)]
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "Fault",
    description = "A fault: the common keys and exactly one of modem, link, service, handshake, power_cut, network_time, clock_jump."
)]
struct FaultShape {
    /// The name `fault_on` / `fault_off` steps use.
    name: Option<String>,
    /// The device it concerns (optional with one device).
    device: Option<String>,
    /// On from the start (default true).
    active: Option<bool>,
    /// Skip only this fault (not the scenario) where a backend cannot inject it.
    optional: Option<bool>,
    /// A modem fault.
    modem: Option<ModemFault>,
    /// A link fault.
    link: Option<LinkFault>,
    /// A service answer fault.
    service: Option<ServiceFault>,
    /// A handshake failure.
    handshake: Option<HandshakeFault>,
    /// A power cut.
    power_cut: Option<PowerCut>,
    /// Network time.
    network_time: Option<NetworkTimeFault>,
    /// A clock jump.
    clock_jump: Option<ClockJump>,
}

impl JsonSchema for Fault {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Fault".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut schema = FaultShape::json_schema(generator);
        let one_of: Vec<serde_json::Value> = [
            "modem",
            "link",
            "service",
            "handshake",
            "power_cut",
            "network_time",
            "clock_jump",
        ]
        .iter()
        .map(|k| serde_json::json!({ "required": [k] }))
        .collect();
        schema.insert("oneOf".to_owned(), serde_json::Value::Array(one_of));
        schema
    }
}
