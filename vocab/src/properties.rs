//! The settings of a `config` request: `(key, value)` pairs in the order written.

use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Settings as ordered `(key, value)` pairs; the JSON (or TOML) object's order is kept,
/// because the device writes the pairs in wire order (a `BTreeMap` would sort them). A key
/// given twice is refused.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Properties(pub Vec<(String, String)>);

/// A key given twice in one `properties` object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("duplicate key {0:?}")]
pub struct DuplicateKey(pub String);

impl Properties {
    /// The pairs in order, refusing a key given twice.
    pub fn new(
        pairs: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Properties, DuplicateKey> {
        let mut kept: Vec<(String, String)> = Vec::new();
        for (k, v) in pairs {
            if kept.iter().any(|(seen, _)| *seen == k) {
                return Err(DuplicateKey(k));
            }
            kept.push((k, v));
        }
        Ok(Properties(kept))
    }

    /// The pairs, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The value of `key`, if set.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// How many pairs there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for Properties {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Properties {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Pairs;
        impl<'de> Visitor<'de> for Pairs {
            type Value = Properties;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of text values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Properties, A::Error> {
                let mut pairs = Vec::new();
                while let Some(pair) = map.next_entry::<String, String>()? {
                    pairs.push(pair);
                }
                Properties::new(pairs).map_err(serde::de::Error::custom)
            }
        }
        deserializer.deserialize_map(Pairs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_kept_and_duplicates_refused() {
        let p: Properties = serde_json::from_str(r#"{"z": "1", "a": "2"}"#).unwrap_or_default();
        assert_eq!(p.iter().collect::<Vec<_>>(), [("z", "1"), ("a", "2")]);
        assert_eq!(p.get("a"), Some("2"));
        assert_eq!(
            serde_json::to_string(&p).ok().as_deref(),
            Some(r#"{"z":"1","a":"2"}"#)
        );
        let twice = serde_json::from_str::<Properties>(r#"{"a": "1", "a": "2"}"#);
        assert!(twice.is_err_and(|e| e.to_string().contains("duplicate key \"a\"")));
        assert!(serde_json::from_str::<Properties>(r#"{"a": 1}"#).is_err());
    }
}
