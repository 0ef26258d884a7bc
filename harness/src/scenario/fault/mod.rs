//! Faults: what goes wrong in the modem, on the link, in the service, in power and time.
//!
//! A `[[fault]]` table has the common keys (`name`, `device`, `active`, `optional`) and
//! exactly one key naming its kind. The kinds are one table (`kinds.rs`): each row gives the
//! kind's value type, its key, its words as a capability and how fleets use it, and the rest
//! (reading, writing, the schema, the loader's checks, backends' capabilities) follows.
//!
//! The same kinds make the service-wide faults of `[[service.fault]]` (`window.rs`): a kind
//! whose [`FaultSpec::service_wide`] says so can be held over a window of the timeline for
//! every device or a list of them.

#[macro_use]
mod table;
mod kinds;
mod window;

use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::located::Located;

pub use kinds::*;
pub use window::{DeviceSet, FaultWindow};

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

/// How a fleet (one device template cloned N times) treats a fault of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FleetUse {
    /// One copy per device (a modem's answers, a device's power).
    PerDevice,
    /// One fault for the whole fleet (the service's answers, the network).
    Shared,
}

/// Which occurrences of what a fault matches it fires on: from the `nth` on (1-based),
/// `times` of them (default: 1 with `nth`, else every one).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// The first occurrence it fires on.
    pub nth: Option<u32>,
    /// How many occurrences it fires on.
    pub times: Option<u32>,
}

/// What every fault value tells the loader: the occurrences it counts and what is wrong
/// with it. The defaults suit a kind that counts nothing and has nothing to check.
pub trait FaultSpec {
    /// Its `nth` / `times` (the loader checks that they count from 1).
    fn counts(&self) -> Counts {
        Counts::default()
    }

    /// What is wrong with the value, in words (the loader reports each at the fault).
    fn problems(&self) -> Vec<String> {
        Vec::new()
    }

    /// Whether a fault of this kind can be service-wide (`[[service.fault]]`): a fault of
    /// the service or the network that a window of the timeline holds for many devices.
    /// The default, `false`, suits a kind that acts in one device (its modem, its power,
    /// its clock).
    fn service_wide() -> bool
    where
        Self: Sized,
    {
        false
    }

    /// The keys of the value a service-wide fault refuses, each with the reason (the loader
    /// reports them, the schema forbids them). The default refuses the counts: a window
    /// fires on every matching occurrence while it is open.
    fn window_refuses() -> &'static [(&'static str, &'static str)]
    where
        Self: Sized,
    {
        COUNTS_IN_A_WINDOW
    }
}

/// What a service-wide fault refuses by default: `nth` and `times`.
pub const COUNTS_IN_A_WINDOW: &[(&str, &str)] = &[
    (
        "nth",
        "a service-wide fault acts on every matching occurrence while its window is open; `nth` counts are for [[fault]]",
    ),
    (
        "times",
        "a service-wide fault acts on every matching occurrence while its window is open; `times` counts are for [[fault]]",
    ),
];

/// The kinds as a list for messages: "modem, link, … or clock_jump".
fn kind_list(last_word: &str) -> String {
    let keys: Vec<&str> = FaultClass::ALL.iter().map(|c| c.key()).collect();
    match keys.split_last() {
        Some((last, rest)) if !rest.is_empty() => {
            format!("{} {last_word} {last}", rest.join(", "))
        }
        _ => keys.join(", "),
    }
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

struct FaultVisitor;

impl<'de> Visitor<'de> for FaultVisitor {
    type Value = Fault;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a fault table with one of {}", kind_list("or"))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fault, A::Error> {
        let mut name = None;
        let mut device = None;
        let mut active = None;
        let mut optional = None;
        let mut kind: Option<Located<FaultKind>> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "name" => once(&mut map, &mut name, "name")?,
                "device" => once(&mut map, &mut device, "device")?,
                "active" => once(&mut map, &mut active, "active")?,
                "optional" => once(&mut map, &mut optional, "optional")?,
                other => {
                    let Some(class) = FaultClass::from_key(other) else {
                        return Err(de::Error::unknown_field(other, FAULT_KEYS));
                    };
                    let value = FaultKind::read(class, &mut map)?;
                    if let Some(existing) = &kind {
                        return Err(de::Error::custom(format!(
                            "a fault has exactly one kind, but this one has both `{}` and `{}`",
                            existing.key(),
                            class.key()
                        )));
                    }
                    kind = Some(value);
                }
            }
        }
        let kind = kind.ok_or_else(|| {
            de::Error::custom(format!("a fault needs one kind key: {}", kind_list("or")))
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
        self.kind.get().write(&mut map)?;
        map.end()
    }
}

impl JsonSchema for Fault {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Fault".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut properties = serde_json::Map::new();
        let described = |kind: &str, description: &str| serde_json::json!({ "type": kind, "description": description });
        properties.insert(
            "name".to_owned(),
            described("string", "The name `fault_on` / `fault_off` steps use."),
        );
        properties.insert(
            "device".to_owned(),
            described(
                "string",
                "The device it concerns (optional with one device).",
            ),
        );
        properties.insert(
            "active".to_owned(),
            described("boolean", "On from the start (default true)."),
        );
        properties.insert(
            "optional".to_owned(),
            described(
                "boolean",
                "Skip only this fault (not the scenario) where a backend cannot inject it.",
            ),
        );
        for (key, schema) in FaultKind::schemas(generator) {
            properties.insert(key.to_owned(), schema.to_value());
        }
        let one_of: Vec<serde_json::Value> = FaultClass::ALL
            .iter()
            .map(|class| serde_json::json!({ "required": [class.key()] }))
            .collect();
        let description = format!(
            "A fault: the common keys and exactly one of {}.",
            kind_list("or")
        );
        let value = serde_json::json!({
            "title": "Fault",
            "description": description,
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

    #[test]
    fn every_kind_has_a_distinct_key_that_names_it_back() {
        for class in FaultClass::ALL {
            assert_eq!(FaultClass::from_key(class.key()), Some(*class));
            assert!(FAULT_KEYS.contains(&class.key()));
        }
        assert_eq!(FAULT_KEYS.len(), 4 + FaultClass::ALL.len());
        assert_eq!(FaultClass::from_key("name"), None);
    }

    #[test]
    fn the_kind_list_reads_as_words() {
        assert!(kind_list("or").ends_with(" or clock_jump"));
        assert!(kind_list("or").starts_with("modem, link, "));
    }
}
