//! The JSON Schema generated from the scenario types.
#![allow(clippy::unwrap_used)]

use provlab_harness::schema::{scenario_schema, scenario_schema_json};

#[test]
fn schema_is_json_and_describes_every_top_level_key() {
    let text = scenario_schema_json();
    let schema: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(schema, scenario_schema());
    assert!(schema["$schema"]
        .as_str()
        .unwrap()
        .contains("json-schema.org"));
    assert_eq!(schema["title"], "provlab scenario");
    // deny_unknown_fields becomes additionalProperties: false, so editors flag typos.
    assert_eq!(schema["additionalProperties"], false);
    let properties = schema["properties"].as_object().unwrap();
    for key in [
        "name",
        "description",
        "seed",
        "service",
        "device",
        "fault",
        "step",
        "expect",
    ] {
        assert!(
            properties.contains_key(key),
            "schema lacks top-level `{key}`"
        );
        assert!(
            properties[key].get("description").is_some() || properties[key].get("$ref").is_some(),
            "`{key}` is documented"
        );
    }
    assert_eq!(schema["required"], serde_json::json!(["name", "device"]));
    let defs = schema["$defs"].as_object().unwrap();
    for def in [
        "Step",
        "Expectation",
        "CommandRequest",
        "Fault",
        "Duration",
        "Content",
        "DeviceSpec",
        "ClientEvent",
    ] {
        assert!(defs.contains_key(def), "schema lacks definition `{def}`");
    }
    // The step keywords and the REST request types are spelled as in scenario files.
    for word in [
        "wait_until",
        "power_cycle",
        "fault_on",
        "update_command",
        "clientPrivateKeyGeneration",
        "serverCertificate",
        "secTag",
        "events_in_order",
        "power_cut",
        "NEED_LTE_DEACTIVATED",
    ] {
        assert!(
            text.contains(&format!("\"{word}\"")),
            "schema lacks `{word}`"
        );
    }
    // A fault must carry exactly one kind.
    assert_eq!(
        defs["Fault"]["oneOf"].as_array().unwrap().len(),
        provlab_harness::scenario::FaultClass::ALL.len()
    );
}
