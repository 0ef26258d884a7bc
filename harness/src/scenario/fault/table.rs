//! The machinery behind the fault table: one row per kind in `kinds.rs` becomes the
//! [`FaultKind`](super::FaultKind) enum, the fieldless [`FaultClass`](super::FaultClass)
//! (what backends declare they can inject), the key a scenario file uses, the reading of
//! the kind's value, its writing back and its JSON Schema property. A new kind is a new row
//! and its value type; nothing here changes.

/// Declares the fault kinds: `Variant(ValueType) = "key", "capability words", Fleet;`
/// where `Fleet` is `PerDevice` (cloned for each device of a fleet) or `Shared`.
macro_rules! fault_kinds {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident($value:ty) = $key:literal, $words:literal, $fleet:ident;
    )*) => {
        /// The kinds of fault, each with its value (one row of the fault table each).
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum FaultKind {
            $( $(#[doc = $doc])* $variant($value), )*
        }

        /// A fault kind without its value: what a backend declares it can inject, and what
        /// the scenario file names.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum FaultClass {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl FaultClass {
            /// Every kind, in table order.
            pub const ALL: &'static [FaultClass] = &[$(FaultClass::$variant),*];

            /// The key naming the kind in a `[[fault]]` table.
            pub fn key(self) -> &'static str {
                match self { $(FaultClass::$variant => $key,)* }
            }

            /// The kind in words, as a capability a backend may lack ("modem faults").
            pub fn words(self) -> &'static str {
                match self { $(FaultClass::$variant => $words,)* }
            }

            /// How a fleet treats a fault of this kind.
            pub fn fleet(self) -> FleetUse {
                match self { $(FaultClass::$variant => FleetUse::$fleet,)* }
            }

            /// Whether a fault of this kind can be service-wide (`[[service.fault]]`), as
            /// its value type's [`FaultSpec::service_wide`] says.
            pub fn service_wide(self) -> bool {
                match self { $(FaultClass::$variant => <$value as FaultSpec>::service_wide(),)* }
            }

            /// The keys of the value a service-wide fault of this kind refuses, with why
            /// ([`FaultSpec::window_refuses`]).
            pub fn window_refuses(self) -> &'static [(&'static str, &'static str)] {
                match self { $(FaultClass::$variant => <$value as FaultSpec>::window_refuses(),)* }
            }

            /// The kind a `[[fault]]` key names, if any.
            pub fn from_key(key: &str) -> Option<FaultClass> {
                match key { $($key => Some(FaultClass::$variant),)* _ => None }
            }
        }

        impl FaultKind {
            /// The kind without its value.
            pub fn class(&self) -> FaultClass {
                match self { $(FaultKind::$variant(_) => FaultClass::$variant,)* }
            }

            /// The key naming this kind in a scenario file.
            pub fn key(&self) -> &'static str {
                self.class().key()
            }

            /// The value's checks and counts.
            pub fn spec(&self) -> &dyn FaultSpec {
                match self { $(FaultKind::$variant(v) => v,)* }
            }

            /// Reads the value of a kind named by `class` from a table being read.
            pub(super) fn read<'de, A: serde::de::MapAccess<'de>>(
                class: FaultClass,
                map: &mut A,
            ) -> Result<Located<FaultKind>, A::Error> {
                match class {
                    $(FaultClass::$variant => {
                        let value: Located<$value> = map.next_value()?;
                        let span = value.span();
                        Ok(Located::with_span(FaultKind::$variant(value.into_inner()), span))
                    })*
                }
            }

            /// The keys the value was written with (empty for a value that is not a table).
            pub fn keys_written(&self) -> Vec<String> {
                let value = match self { $(FaultKind::$variant(v) => serde_json::to_value(v),)* };
                match value {
                    Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
                    _ => Vec::new(),
                }
            }

            /// Writes the value under its key.
            pub(super) fn write<M: serde::ser::SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
                match self { $(FaultKind::$variant(v) => map.serialize_entry($key, v),)* }
            }

            /// The JSON Schema of each kind's value, by key.
            pub(super) fn schemas(
                generator: &mut schemars::SchemaGenerator,
            ) -> Vec<(&'static str, schemars::Schema)> {
                vec![$(($key, generator.subschema_for::<$value>()),)*]
            }
        }

        /// The keys a `[[fault]]` table may have: the common ones, then one per kind.
        pub(super) const FAULT_KEYS: &[&str] = &["name", "device", "active", "optional", $($key),*];
    };
}
