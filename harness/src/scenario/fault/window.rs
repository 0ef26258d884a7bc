//! Service-wide faults (`[[service.fault]]`): a fault of the service or the network, held
//! over a window of the timeline for every device or a list of them.
//!
//! The kind is one of the fault table's (`kinds.rs`), written with the same key and value
//! as in `[[fault]]`; only the kinds whose [`FaultSpec::service_wide`](super::FaultSpec)
//! says so are allowed, without the keys their `window_refuses` lists (`nth`, `times`: a
//! window acts on everything while it is open). The window opens `after` the start of the
//! timeline (virtual time 0) and closes `lasting` later, or stays open to the end.

use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{once, FaultClass, FaultKind};
use crate::duration::Duration;
use crate::located::Located;

/// The keys of a `[[service.fault]]` table besides the kind's.
const COMMON_KEYS: &[&str] = &["devices", "after", "lasting"];

/// One service-wide fault: a kind held over a window for some devices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultWindow {
    /// The devices it concerns (default: all).
    pub devices: Located<DeviceSet>,
    /// When the window opens, from the start of the timeline (default `0s`).
    pub after: Located<Duration>,
    /// How long it stays open (`None`: to the end of the run).
    pub lasting: Option<Located<Duration>>,
    /// What goes wrong while it is open.
    pub kind: Located<FaultKind>,
}

impl FaultWindow {
    /// When the window closes, from the start of the timeline (`None`: never).
    pub fn closes(&self) -> Option<Duration> {
        self.lasting.as_ref().map(|l| {
            Duration::from_millis(self.after.get().as_millis().saturating_add(l.as_millis()))
        })
    }

    /// Whether it is open at some instant during the other window (both concern the
    /// timeline from 0; a window is open from `after` included to its close excluded).
    pub fn overlaps(&self, other: &FaultWindow) -> bool {
        let starts_before_end =
            |a: &FaultWindow, b: &FaultWindow| b.closes().is_none_or(|end| *a.after.get() < end);
        starts_before_end(self, other) && starts_before_end(other, self)
    }

    /// The kinds a service-wide fault may have, in words: "link, service or handshake".
    pub fn kinds_in_words() -> String {
        service_wide_list()
    }

    /// The fault's span in words: `from 30s until 5m30s`, `from 30s on`.
    pub fn span_words(&self) -> String {
        match self.closes() {
            Some(end) => format!("from {} until {end}", self.after.get()),
            None => format!("from {} on", self.after.get()),
        }
    }
}

/// The devices a service-wide fault concerns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum DeviceSet {
    /// Every device of the scenario (`devices = "all"`, the default), and every clone of a
    /// fleet.
    #[default]
    All,
    /// These devices (`devices = ["dk1", "dk3"]`, at least one).
    Named(Vec<Located<String>>),
}

impl DeviceSet {
    /// Whether `device` is in the set.
    pub fn contains(&self, device: &str) -> bool {
        match self {
            DeviceSet::All => true,
            DeviceSet::Named(names) => names.iter().any(|n| n.get() == device),
        }
    }

    /// The devices both sets hold, by name, out of `all` (the scenario's devices).
    pub fn common<'a>(&self, other: &DeviceSet, all: &[&'a str]) -> Vec<&'a str> {
        all.iter()
            .copied()
            .filter(|d| self.contains(d) && other.contains(d))
            .collect()
    }
}

impl fmt::Display for DeviceSet {
    /// `all devices`, `dk1, dk3`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceSet::All => f.write_str("all devices"),
            DeviceSet::Named(names) => {
                let names: Vec<&str> = names.iter().map(|n| n.get().as_str()).collect();
                f.write_str(&names.join(", "))
            }
        }
    }
}

struct DeviceSetVisitor;

impl<'de> Visitor<'de> for DeviceSetVisitor {
    type Value = DeviceSet;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"all\" or a list of device names")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<DeviceSet, E> {
        if value == "all" {
            Ok(DeviceSet::All)
        } else {
            Err(E::custom(format!(
                "expected \"all\" or a list of device names, found `{value}` (write [\"{value}\"] for one device)"
            )))
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<DeviceSet, A::Error> {
        let mut names = Vec::new();
        while let Some(name) = seq.next_element::<Located<String>>()? {
            names.push(name);
        }
        if names.is_empty() {
            return Err(de::Error::custom(
                "an empty `devices` list concerns no device: name at least one, or write \"all\"",
            ));
        }
        Ok(DeviceSet::Named(names))
    }
}

impl<'de> Deserialize<'de> for DeviceSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DeviceSetVisitor)
    }
}

impl Serialize for DeviceSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            DeviceSet::All => serializer.serialize_str("all"),
            DeviceSet::Named(names) => {
                let mut seq = serializer.serialize_seq(Some(names.len()))?;
                for name in names {
                    seq.serialize_element(name)?;
                }
                seq.end()
            }
        }
    }
}

impl JsonSchema for DeviceSet {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "DeviceSet".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        schemars::json_schema!({
            "description": "The devices a service-wide fault concerns: \"all\" (the default) or a list of [[device]] names.",
            "oneOf": [
                { "const": "all" },
                { "type": "array", "items": { "type": "string" }, "minItems": 1 }
            ]
        })
    }
}

/// The service-wide kinds as a list for messages: "link, service or handshake".
fn service_wide_list() -> String {
    let keys: Vec<&str> = FaultClass::ALL
        .iter()
        .filter(|c| c.service_wide())
        .map(|c| c.key())
        .collect();
    match keys.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => keys.join(", "),
    }
}

/// Every key a `[[service.fault]]` table may have, for messages.
fn window_keys() -> String {
    COMMON_KEYS
        .iter()
        .copied()
        .chain(
            FaultClass::ALL
                .iter()
                .filter(|c| c.service_wide())
                .map(|c| c.key()),
        )
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

struct WindowVisitor;

impl<'de> Visitor<'de> for WindowVisitor {
    type Value = FaultWindow;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a service-wide fault table with one of {}",
            service_wide_list()
        )
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FaultWindow, A::Error> {
        let mut devices = None;
        let mut after = None;
        let mut lasting = None;
        let mut kind: Option<Located<FaultKind>> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "devices" => once(&mut map, &mut devices, "devices")?,
                "after" => once(&mut map, &mut after, "after")?,
                "lasting" => once(&mut map, &mut lasting, "lasting")?,
                other => {
                    // Every kind of the table reads here; the loader refuses the kinds that
                    // are not service-wide, at their value.
                    let Some(class) = FaultClass::from_key(other) else {
                        return Err(de::Error::custom(format!(
                            "unknown field `{other}`, expected one of {}",
                            window_keys()
                        )));
                    };
                    let value = FaultKind::read(class, &mut map)?;
                    if let Some(existing) = &kind {
                        return Err(de::Error::custom(format!(
                            "a service-wide fault has exactly one kind, but this one has both `{}` and `{}`",
                            existing.key(),
                            class.key()
                        )));
                    }
                    kind = Some(value);
                }
            }
        }
        let kind = kind.ok_or_else(|| {
            de::Error::custom(format!(
                "a service-wide fault needs one kind key: {}",
                service_wide_list()
            ))
        })?;
        Ok(FaultWindow {
            devices: devices.unwrap_or_default(),
            after: after.unwrap_or_default(),
            lasting,
            kind,
        })
    }
}

impl<'de> Deserialize<'de> for FaultWindow {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(WindowVisitor)
    }
}

impl Serialize for FaultWindow {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if *self.devices.get() != DeviceSet::All {
            map.serialize_entry("devices", &self.devices)?;
        }
        if *self.after.get() != Duration::ZERO {
            map.serialize_entry("after", &self.after)?;
        }
        if let Some(lasting) = &self.lasting {
            map.serialize_entry("lasting", lasting)?;
        }
        self.kind.get().write(&mut map)?;
        map.end()
    }
}

impl JsonSchema for FaultWindow {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ServiceWideFault".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut properties = serde_json::Map::new();
        properties.insert(
            "devices".to_owned(),
            generator.subschema_for::<DeviceSet>().to_value(),
        );
        let duration = generator.subschema_for::<Duration>().to_value();
        properties.insert(
            "after".to_owned(),
            serde_json::json!({
                "allOf": [duration],
                "description": "When the window opens, from the start of the timeline (default \"0s\")."
            }),
        );
        properties.insert(
            "lasting".to_owned(),
            serde_json::json!({
                "allOf": [duration],
                "not": { "pattern": "^\\s*(0+(d|h|m|s|ms))*\\s*$" },
                "description": "How long the window stays open, more than 0s (default: to the end of the run)."
            }),
        );
        let classes: Vec<FaultClass> = FaultClass::ALL
            .iter()
            .copied()
            .filter(|c| c.service_wide())
            .collect();
        for (key, schema) in FaultKind::schemas(generator) {
            let Some(class) = classes.iter().find(|c| c.key() == key) else {
                continue;
            };
            let refused: Vec<serde_json::Value> = class
                .window_refuses()
                .iter()
                .map(|(k, _)| serde_json::json!({ "required": [k] }))
                .collect();
            let value = if refused.is_empty() {
                schema.to_value()
            } else {
                serde_json::json!({
                    "allOf": [schema.to_value()],
                    "not": { "type": "object", "anyOf": refused },
                })
            };
            properties.insert(key.to_owned(), value);
        }
        let one_of: Vec<serde_json::Value> = classes
            .iter()
            .map(|class| serde_json::json!({ "required": [class.key()] }))
            .collect();
        let value = serde_json::json!({
            "title": "Service-wide fault",
            "description": format!(
                "A fault of the service or the network held over a window of the timeline for every device or a list of them: `devices`, `after`, `lasting` and exactly one of {}.",
                service_wide_list()
            ),
            "type": "object",
            "properties": properties,
            "additionalProperties": false,
            "oneOf": one_of,
        });
        Schema::try_from(value).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(after: u64, lasting: Option<u64>) -> FaultWindow {
        FaultWindow {
            devices: Located::new(DeviceSet::All),
            after: Located::new(Duration::from_secs(after)),
            lasting: lasting.map(|l| Located::new(Duration::from_secs(l))),
            kind: Located::new(FaultKind::Handshake(super::super::HandshakeFault::default())),
        }
    }

    #[test]
    fn windows_overlap_when_both_are_open_at_one_instant() {
        assert!(window(0, Some(10)).overlaps(&window(5, Some(10))));
        assert!(window(5, None).overlaps(&window(100, Some(1))));
        assert!(
            !window(0, Some(10)).overlaps(&window(10, None)),
            "a window closes before the next opens at the same instant"
        );
        assert!(!window(20, None).overlaps(&window(0, Some(20))));
        assert_eq!(window(30, Some(300)).span_words(), "from 30s until 5m30s");
        assert_eq!(window(30, None).span_words(), "from 30s on");
    }

    #[test]
    fn the_service_wide_kinds_are_those_of_the_service_and_the_network() {
        assert_eq!(service_wide_list(), "link, service or handshake");
        let set = DeviceSet::Named(vec![Located::new("dk1".to_owned())]);
        assert_eq!(set.common(&DeviceSet::All, &["dk1", "dk2"]), vec!["dk1"]);
        assert_eq!(set.to_string(), "dk1");
    }
}
