//! What the service enforces, stated in the OpenAPI document: the constraints that
//! `#[utoipa::path]` and `ToSchema` cannot derive from the types (uuid formats, patterns,
//! lengths, ranges) and the responses every operation can give whatever its handler
//! (400 for a malformed path, query or body, 401 without a valid key, 413 and 415 for a
//! body).
//!
//! Each constraint is built from the constant or pattern the validation itself uses
//! ([`MemberId::pattern`], [`tag_pattern`], [`MAX_DESCRIPTION_LEN`], [`MAX_PAGE_LIMIT`],
//! ...), so the document and the service cannot drift apart.

use serde_json::{json, Map, Value};

use super::dto::devices::tag_entries_schema;
use super::pagination::{page_token_pattern, MAX_PAGE_LIMIT};
use crate::domain::commands::{MAX_COMMANDS, MAX_DESCRIPTION_LEN, MAX_SET_COMMAND_LEN};
use crate::domain::devices::{tag_pattern, MAX_TAGS_PER_DEVICE};
use crate::domain::ids::MemberId;
use crate::domain::rules::MAX_RULE_NAME_LEN;
use provlab_proto::records::{MAX_CONFIG_PAIRS, MAX_IGNORED_CME};

/// The `format` of a claim token: a modem's signed attestation, which no schema can describe
/// (ci/contract_hooks.py tells schemathesis how to draw real ones).
pub const CLAIM_TOKEN_FORMAT: &str = "nrf-attestation-token";

/// Path parameters that are UUIDs.
const UUID_PARAMETERS: [&str; 3] = ["deviceId", "commandId", "ruleId"];

/// The schema of a member name.
fn member_name() -> Value {
    json!({"type": "string", "pattern": MemberId::pattern(), "minLength": 1, "maxLength": MemberId::MAX_LEN})
}

/// The schema of one tag.
fn tag() -> Value {
    json!({"type": "string", "pattern": tag_pattern(), "minLength": 1})
}

/// The schema of a free-text description.
fn description() -> Value {
    json!({"type": "string", "maxLength": MAX_DESCRIPTION_LEN})
}

/// The schema of a list of tags on a device or rule.
fn tag_list(min_items: usize) -> Value {
    json!({"type": "array", "items": tag(), "minItems": min_items, "maxItems": MAX_TAGS_PER_DEVICE})
}

/// A response with the `{"message"}` body.
fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    })
}

/// Applies the service's constraints to the generated document `doc` (as JSON).
pub fn apply(doc: &mut Value) {
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut().filter_map(Value::as_object_mut) {
            for operation in item.values_mut().filter_map(Value::as_object_mut) {
                operation_constraints(operation);
            }
        }
    }
    // A bulk claim's CSV needs a row: a blank body is a 400.
    if let Some(csv) =
        doc.pointer_mut("/paths/~1v1~1claimed-devices/post/requestBody/content/text~1csv/schema")
    {
        // No `type`: the body is text whatever the JSON value it was written from, so only
        // the text's own constraint (a non-blank character) can be refused.
        *csv = json!({"pattern": "\\S"});
    }
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        body_constraints(schemas);
    }
}

/// Parameters' schemas and the responses every operation can give.
fn operation_constraints(operation: &mut Map<String, Value>) {
    let mut has_input = operation.contains_key("requestBody");
    if let Some(parameters) = operation
        .get_mut("parameters")
        .and_then(Value::as_array_mut)
    {
        for parameter in parameters.iter_mut().filter_map(Value::as_object_mut) {
            has_input = true;
            let name = parameter.get("name").and_then(Value::as_str).unwrap_or("");
            let schema = match name {
                n if UUID_PARAMETERS.contains(&n) => json!({"type": "string", "format": "uuid"}),
                "name" => member_name(),
                "pageLimit" => {
                    json!({"type": "integer", "minimum": 1, "maximum": MAX_PAGE_LIMIT})
                }
                "pageNextToken" => json!({"type": "string", "pattern": page_token_pattern()}),
                "dryrun" => json!({"type": "string", "enum": ["true", "false"]}),
                _ => continue,
            };
            parameter.insert("schema".into(), schema);
        }
    }
    let secured = operation.contains_key("security");
    let body = operation.contains_key("requestBody");
    let Some(responses) = operation
        .get_mut("responses")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    let mut add = |status: &str, description: &str| {
        responses
            .entry(status.to_owned())
            .or_insert_with(|| error_response(description));
    };
    if has_input {
        add("400", "Malformed path id, query parameter or body");
    }
    if secured {
        add("401", "Missing or unknown API key");
    }
    if body {
        add("413", "Body over 1 MiB");
        add("415", "The body is not JSON");
    }
}

/// The request bodies' field constraints.
fn body_constraints(schemas: &mut Map<String, Value>) {
    let mut set = |schema: &str, field: &str, value: Value| {
        if let Some(properties) = schemas
            .get_mut(schema)
            .and_then(|s| s.get_mut("properties"))
            .and_then(Value::as_object_mut)
        {
            properties.insert(field.to_owned(), value);
        }
    };
    set("NewMemberBody", "name", member_name());
    set("NewTagBody", "tag", tag());
    set("NewTagBody", "description", description());
    set("NewCommand", "description", description());
    set(
        "UpdateCommandBody",
        "description",
        json!({"type": ["string", "null"], "maxLength": MAX_DESCRIPTION_LEN}),
    );
    set("RuleCommand", "description", description());
    set("RuleSpec", "description", description());
    set(
        "RuleSpec",
        "name",
        json!({"type": "string", "minLength": 1, "maxLength": MAX_RULE_NAME_LEN, "pattern": "\\S"}),
    );
    set("RuleSpec", "tags", tag_list(1));
    set("SetTagsBody", "tags", tag_entries_schema());
    let mut claim_tags = tag_entries_schema();
    if let Some(any_of) = claim_tags["anyOf"].as_array_mut() {
        any_of.push(json!({"type": "null"}));
    }
    set("ClaimBody", "tags", claim_tags);
    set(
        "RuleSpec",
        "commands",
        json!({"type": "array", "items": {"$ref": "#/components/schemas/RuleCommand"}, "minItems": 1, "maxItems": MAX_COMMANDS}),
    );
    set(
        "ClaimBody",
        "claimToken",
        json!({"type": "string", "format": CLAIM_TOKEN_FORMAT, "description": "The modem's `AT%ATTESTTOKEN` answer, `<b64url attestation>.<b64url COSE>`; one that does not decode or verify is a 400."}),
    );
    command_request_constraints(schemas);
    for body in [
        "NewMemberBody",
        "ChangeRoleBody",
        "NewTagBody",
        "NewCommand",
        "UpdateCommandBody",
        "RuleSpec",
        "RuleCommand",
        "SetTagsBody",
        "ClaimBody",
    ] {
        if let Some(schema) = schemas.get_mut(body).and_then(Value::as_object_mut) {
            schema.insert("additionalProperties".into(), Value::Bool(false));
        }
    }
}

/// Text without NUL (the records carry C strings).
const NO_NUL: &str = r"^[^\x00]*$";
/// Text without `"` or NUL (sent inside double quotes).
const QUOTABLE: &str = r#"^[^"\x00]*$"#;
/// Quotable text with something besides blanks (a certificate's PEM).
const QUOTABLE_NOT_BLANK: &str = r#"^[^"\x00]*[^"\x00\s][^"\x00]*$"#;

/// The command request types' fields, as `CommandRequestExt::validate` checks them.
fn command_request_constraints(schemas: &mut Map<String, Value>) {
    let mut set = |schema: &str, field: &str, value: Value| {
        if let Some(properties) = schemas
            .get_mut(schema)
            .and_then(|s| s.get_mut("properties"))
            .and_then(Value::as_object_mut)
        {
            properties.insert(field.to_owned(), value);
        }
    };
    set(
        "AtCommandRequest",
        "setCommand",
        json!({"type": "string", "pattern": format!(r"^[^=\s\x00-\x1F\x7F]{{1,{MAX_SET_COMMAND_LEN}}}$")}),
    );
    set(
        "AtCommandRequest",
        "parameters",
        json!({"type": "string", "pattern": NO_NUL}),
    );
    set(
        "AtCommandRequest",
        "ignoreCmeErrors",
        json!({"type": "array", "items": {"$ref": "#/components/schemas/CmeCode"}, "maxItems": MAX_IGNORED_CME}),
    );
    set(
        "CsrRequest",
        "attributes",
        json!({"type": ["string", "null"], "pattern": QUOTABLE}),
    );
    set(
        "CsrRequest",
        "keyUsage",
        json!({"type": ["string", "null"], "pattern": "^[01]{9}$"}),
    );
    set(
        "Certificate_String",
        "content",
        json!({"type": "string", "pattern": QUOTABLE_NOT_BLANK}),
    );
    set(
        "ConfigRequest",
        "properties",
        json!({
            "type": "object",
            "minProperties": 1,
            "maxProperties": MAX_CONFIG_PAIRS,
            "propertyNames": {"type": "string", "minLength": 1, "pattern": NO_NUL},
            "additionalProperties": {"type": "string", "pattern": NO_NUL},
        }),
    );
    for schema in ["KeyGeneration", "CsrRequest", "Certificate_String"] {
        set(
            schema,
            "secTag",
            json!({"type": "integer", "minimum": 0, "maximum": u32::MAX, "description": "The modem sec tag."}),
        );
    }
    // Each request type is an object of exactly one key, the type's name.
    if let Some(variants) = schemas
        .get_mut("CommandRequest")
        .and_then(|s| s.get_mut("oneOf"))
        .and_then(Value::as_array_mut)
    {
        for variant in variants.iter_mut().filter_map(Value::as_object_mut) {
            variant.insert("additionalProperties".into(), Value::Bool(false));
        }
    }
    if let Some(cme) = schemas.get_mut("CmeCode") {
        *cme = json!({
            "description": "A CME error code as a client may send it: a number, or numeric text.",
            "oneOf": [
                {"type": "integer", "minimum": 0, "maximum": u32::MAX},
                {"type": "string", "pattern": "^[0-9]{1,9}$"},
            ],
        });
    }
}
