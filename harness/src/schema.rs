//! The JSON Schema of scenario files, generated from the Rust types, for editor validation.

use crate::scenario::Scenario;

/// The JSON Schema (draft 2020-12) of a scenario file as a JSON value.
///
/// TOML editors that validate against JSON Schema (e.g. Taplo / Even Better TOML) can use it;
/// `provlab schema > scenario.schema.json` writes it.
pub fn scenario_schema() -> serde_json::Value {
    schemars::schema_for!(Scenario).to_value()
}

/// The schema as pretty-printed JSON text, ending with a newline.
pub fn scenario_schema_json() -> String {
    let mut text = serde_json::to_string_pretty(&scenario_schema())
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}
