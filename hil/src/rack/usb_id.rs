//! [`UsbId`]: a USB vendor or product id, written as a TOML integer (`0x1366`) or a hex
//! string (`"1366"`, `"0x1366"`), the way `lsusb` and probe listers print it.

use std::fmt;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A 16-bit USB id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UsbId(pub u16);

impl UsbId {
    /// Parses hex text with or without a `0x` prefix.
    pub fn parse_hex(text: &str) -> Option<Self> {
        let digits = text
            .trim()
            .trim_start_matches("0x")
            .trim_start_matches("0X");
        if digits.is_empty() || digits.len() > 4 {
            return None;
        }
        u16::from_str_radix(digits, 16).ok().map(UsbId)
    }
}

impl fmt::Display for UsbId {
    /// Four lowercase hex digits, as probe selectors write ids (`1366`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04x}", self.0)
    }
}

impl Serialize for UsbId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

struct UsbIdVisitor;

impl Visitor<'_> for UsbIdVisitor {
    type Value = UsbId;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a USB id: an integer like 0x1366 or a hex string like \"1366\"")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<UsbId, E> {
        u16::try_from(v)
            .map(UsbId)
            .map_err(|_| E::custom(format!("USB id {v} is out of range (0..=0xffff)")))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<UsbId, E> {
        u16::try_from(v)
            .map(UsbId)
            .map_err(|_| E::custom(format!("USB id {v} is out of range (0..=0xffff)")))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<UsbId, E> {
        UsbId::parse_hex(v).ok_or_else(|| {
            E::custom(format!(
                "`{v}` is not a USB id: expected 1 to 4 hex digits like \"1366\""
            ))
        })
    }
}

impl<'de> Deserialize<'de> for UsbId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UsbIdVisitor)
    }
}

impl JsonSchema for UsbId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "UsbId".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A USB id: an integer (TOML allows 0x1366) or 1 to 4 hex digits as a string.",
            "anyOf": [
                { "type": "integer", "minimum": 0, "maximum": 65535 },
                { "type": "string", "pattern": "^(0[xX])?[0-9a-fA-F]{1,4}$" }
            ],
            "examples": [4966, "1366"]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_integers_and_hex_strings() {
        #[derive(Deserialize)]
        struct T {
            a: UsbId,
            b: UsbId,
            c: UsbId,
        }
        let t: T = toml::from_str("a = 0x1366\nb = \"1055\"\nc = \"0x1915\"").unwrap();
        assert_eq!((t.a.0, t.b.0, t.c.0), (0x1366, 0x1055, 0x1915));
        assert_eq!(t.a.to_string(), "1366");
        assert!(toml::from_str::<T>("a = 70000\nb = \"1\"\nc = \"1\"").is_err());
        assert!(toml::from_str::<T>("a = \"zz\"\nb = \"1\"\nc = \"1\"").is_err());
        assert_eq!(UsbId::parse_hex("12345"), None);
    }
}
