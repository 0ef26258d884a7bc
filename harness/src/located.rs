//! [`Located`]: a value that remembers where in the scenario file it was written.

use std::ops::{Deref, Range};

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A value together with the byte range of its text in the scenario file.
///
/// Deserialising through `toml` records the span; values built in code have an empty span
/// (`0..0`). Equality, serialisation and the JSON Schema look only at the value, so a scenario
/// compares equal to itself re-read from another file.
#[derive(Debug, Clone, Default)]
pub struct Located<T> {
    value: T,
    span: Range<usize>,
}

impl<T> Located<T> {
    /// A value without a position (built in code, not read from a file).
    pub fn new(value: T) -> Self {
        Self { value, span: 0..0 }
    }

    /// A value with the byte range it was read from.
    pub fn with_span(value: T, span: Range<usize>) -> Self {
        Self { value, span }
    }

    /// The value.
    pub fn get(&self) -> &T {
        &self.value
    }

    /// The value, mutably (the span stays).
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.value
    }

    /// The value, consuming the wrapper.
    pub fn into_inner(self) -> T {
        self.value
    }

    /// The byte range of the value's text in its file (`0..0` when unknown).
    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }
}

impl<T> Deref for Located<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> From<T> for Located<T> {
    fn from(value: T) -> Self {
        Self::new(value)
    }
}

impl<T: PartialEq> PartialEq for Located<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T: Eq> Eq for Located<T> {}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Located<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = toml::Spanned::<T>::deserialize(deserializer)?;
        let span = spanned.span();
        Ok(Self {
            value: spanned.into_inner(),
            span,
        })
    }
}

impl<T: Serialize> Serialize for Located<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(serializer)
    }
}

impl<T: JsonSchema> JsonSchema for Located<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}
