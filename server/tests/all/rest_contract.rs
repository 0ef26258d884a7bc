//! The REST contract (issue 15, item 9): authentication comes before reading the request
//! (401 before 400/415 for a request without a valid key), and the OpenAPI document states
//! what the service enforces, so what it accepts and what it refuses agree with the schema.

#![allow(clippy::unwrap_used)]

use crate::rest_common;

use axum::http::Method;
use regex::Regex;
use rest_common::*;
use serde_json::{json, Value};

/// A request without a key (or with an unknown one) is a 401, whatever its path id, query,
/// content type or body would have earned.
#[tokio::test]
async fn a_request_without_a_valid_key_is_401_before_anything_else() {
    let rest = Rest::new();
    let cases: &[(Method, &str, Option<&str>, &[u8])] = &[
        (Method::GET, "/v1/claimed-devices/0", None, b""),
        (Method::DELETE, "/v1/claimed-devices/not-a-uuid", None, b""),
        (Method::POST, "/v1/claimed-devices/0/block", None, b""),
        (
            Method::GET,
            "/v1/claimed-devices/0/provisioning/0",
            None,
            b"",
        ),
        (Method::GET, "/v1/claimed-devices?pageLimit=0", None, b""),
        (Method::GET, "/v1/provisioning-rules/0", None, b""),
        (Method::POST, "/v1/team/members/%C3%AA/api-keys", None, b""),
        (
            Method::PUT,
            "/v1/claimed-devices/0/tags",
            Some("text/plain"),
            b"x",
        ),
        (
            Method::POST,
            "/v1/provisioning/tags",
            Some("text/plain"),
            b"x",
        ),
        (
            Method::POST,
            "/v1/provisioning/tags",
            Some("application/json"),
            b"{nope",
        ),
        (
            Method::POST,
            "/v1/team/members",
            Some("application/json"),
            b"",
        ),
        (
            Method::PUT,
            "/v1/team/members/x",
            Some("application/json"),
            b"{}",
        ),
        (
            Method::POST,
            "/v1/claimed-devices?dryrun=maybe",
            Some("text/csv"),
            b"t",
        ),
    ];
    for (method, path, content_type, body) in cases {
        for key in [None, Some("not-a-key-of-anyone")] {
            let r = rest
                .raw(method.clone(), path, key, *content_type, body.to_vec())
                .await;
            assert_eq!(
                r.status, 401,
                "{method} {path} with key {key:?}: {}",
                r.text
            );
            assert!(r.body["message"].is_string(), "{}", r.text);
        }
        // With the owner's key the same request is refused for what it is (4xx, not 401).
        let r = rest
            .raw(
                method.clone(),
                path,
                Some(OWNER),
                *content_type,
                body.to_vec(),
            )
            .await;
        assert!(
            r.status.is_client_error() && r.status != 401,
            "{method} {path}: {} {}",
            r.status,
            r.text
        );
    }
    // The open routes stay open.
    rest.get("/v1/openapi.json", None).await.expect(200);
    rest.get("/v1/health", None).await.expect(200);
    // An unknown route is still a 404.
    rest.get("/v1/nothing-here", None).await.expect(404);
}

/// The document's schema of a member name, from `components` or a path parameter.
fn member_name_schema(doc: &Value) -> Value {
    doc["components"]["schemas"]["NewMemberBody"]["properties"]["name"].clone()
}

fn path_parameter(doc: &Value, path: &str, method: &str, name: &str) -> Value {
    doc["paths"][path][method]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{method} {path} has no parameter {name}"))["schema"]
        .clone()
}

/// The member-name pattern in the document is what the service accepts: names matching it
/// are added, names not matching it are refused with 400.
#[tokio::test]
async fn the_member_name_pattern_is_what_the_service_accepts() {
    let rest = Rest::new();
    let doc = rest.get("/v1/openapi.json", None).await.body.clone();
    let schema = member_name_schema(&doc);
    assert_eq!(
        schema,
        path_parameter(&doc, "/v1/team/members/{name}/api-keys", "post", "name")
    );
    let pattern = Regex::new(schema["pattern"].as_str().unwrap()).unwrap();
    let max = schema["maxLength"].as_u64().unwrap() as usize;
    let long = "n".repeat(max);
    let too_long = "n".repeat(max + 1);
    let names = [
        "eve", "e.v-e_@x", "E9", &long, "", "qbõ", "a b", "a/b", "ê", "x\u{96}", &too_long,
    ];
    for (i, name) in names.iter().enumerate() {
        let matches = pattern.is_match(name);
        let r = rest
            .post(
                "/v1/team/members",
                Some(OWNER),
                json!({"name": name, "role": "viewer"}),
            )
            .await;
        if matches {
            assert_eq!(r.status, 201, "{i}: {name:?} matches {pattern}: {}", r.text);
        } else {
            assert_eq!(
                r.status, 400,
                "{i}: {name:?} does not match {pattern}: {}",
                r.text
            );
        }
    }
}

/// Ids are uuids, `pageLimit` is bounded, tags have the domain's pattern, bodies refuse
/// unknown fields, and the document's bounds are the service's.
#[tokio::test]
async fn the_document_states_formats_ranges_and_patterns() {
    let rest = Rest::new();
    let doc = rest.get("/v1/openapi.json", None).await.body.clone();
    for (path, method, name) in [
        ("/v1/claimed-devices/{deviceId}", "get", "deviceId"),
        (
            "/v1/claimed-devices/{deviceId}/provisioning/{commandId}",
            "put",
            "commandId",
        ),
        ("/v1/provisioning-rules/{ruleId}", "get", "ruleId"),
    ] {
        assert_eq!(path_parameter(&doc, path, method, name)["format"], "uuid");
    }
    let limit = path_parameter(&doc, "/v1/claimed-devices", "get", "pageLimit");
    assert_eq!(limit["minimum"], 1);
    let max = limit["maximum"].as_u64().unwrap();
    for (value, status) in [(0, 400), (1, 200), (max, 200), (max + 1, 400)] {
        rest.get(
            &format!("/v1/provisioning/tags?pageLimit={value}"),
            Some(OWNER),
        )
        .await
        .expect(status);
    }
    let token = path_parameter(&doc, "/v1/claimed-devices", "get", "pageNextToken");
    let token = Regex::new(token["pattern"].as_str().unwrap()).unwrap();
    for (value, status) in [
        ("0", 200),
        ("12", 200),
        ("", 400),
        ("abc", 400),
        ("-1", 400),
    ] {
        assert_eq!(token.is_match(value), status == 200, "{value:?}");
        rest.get(
            &format!("/v1/team/members?pageNextToken={value}"),
            Some(OWNER),
        )
        .await
        .expect(status);
    }
    let schemas = &doc["components"]["schemas"];
    let tag = Regex::new(
        schemas["NewTagBody"]["properties"]["tag"]["pattern"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    for (i, name) in ["lab", "a:b.c-d_e", "", "a b", "ü", &"t".repeat(65)]
        .iter()
        .enumerate()
    {
        let r = rest
            .post("/v1/provisioning/tags", Some(OWNER), json!({"tag": name}))
            .await;
        let expected = if tag.is_match(name) { 201 } else { 400 };
        assert_eq!(r.status, expected, "{i}: {name:?}: {}", r.text);
    }
    for body in [
        "NewMemberBody",
        "NewTagBody",
        "NewCommand",
        "RuleSpec",
        "SetTagsBody",
    ] {
        assert_eq!(schemas[body]["additionalProperties"], false, "{body}");
    }
}

/// Every operation documents 401 (all are authenticated), 400 when it takes a path id,
/// query or body, and 413/415 when it takes a body.
#[tokio::test]
async fn every_operation_documents_its_error_statuses() {
    let rest = Rest::new();
    let doc = rest.get("/v1/openapi.json", None).await.body.clone();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            let has = |status: &str| responses.contains_key(status);
            assert!(has("401"), "{method} {path}: no 401");
            let takes_input = op.get("requestBody").is_some()
                || op["parameters"].as_array().is_some_and(|p| !p.is_empty());
            if takes_input {
                assert!(has("400"), "{method} {path}: no 400");
            }
            if op.get("requestBody").is_some() {
                assert!(has("413") && has("415"), "{method} {path}: no 413/415");
            }
            for (status, response) in responses {
                if status.starts_with('4') {
                    assert_eq!(
                        response["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/ErrorBody",
                        "{method} {path} {status}"
                    );
                }
            }
        }
    }
}

/// A bulk claim with `?dryrun=true` reports what would be claimed and claims nothing.
#[tokio::test]
async fn a_bulk_dry_run_claims_nothing() {
    let rest = Rest::new();
    let dev = Dev::new(1);
    let csv = format!("\"{}\",\"lab\"\n", dev.token());
    let r = rest
        .raw(
            Method::POST,
            "/v1/claimed-devices?dryrun=true",
            Some(OWNER),
            Some("text/csv"),
            csv.clone(),
        )
        .await;
    r.expect(200);
    assert_eq!(r.body["claimedIds"], json!([dev.id_text()]));
    rest.get(
        &format!("/v1/claimed-devices/{}", dev.id_text()),
        Some(OWNER),
    )
    .await
    .expect(404);
    rest.raw(
        Method::POST,
        "/v1/claimed-devices",
        Some(OWNER),
        Some("text/csv"),
        csv,
    )
    .await
    .expect(200);
    rest.get(
        &format!("/v1/claimed-devices/{}", dev.id_text()),
        Some(OWNER),
    )
    .await
    .expect(200);
}

/// An integral number written as a float (`7.0`) is an `integer` for JSON Schema, so the
/// service reads it as one (schemathesis found `secTag: 784.0` refused).
#[tokio::test]
async fn an_integral_float_is_an_integer() {
    let rest = Rest::new();
    let dev = Dev::new(1);
    rest.claim(OWNER, &dev, &[]).await;
    let path = format!("/v1/claimed-devices/{}/provisioning", dev.id_text());
    let r = rest
        .raw(
            Method::POST,
            &path,
            Some(OWNER),
            Some("application/json"),
            r#"{"request": {"clientPrivateKeyGeneration": {"secTag": 16842753.0}}}"#,
        )
        .await;
    r.expect(201);
    let r = rest
        .raw(
            Method::POST,
            &path,
            Some(OWNER),
            Some("application/json"),
            r#"{"request": {"clientPrivateKeyGeneration": {"secTag": 1.5}}}"#,
        )
        .await;
    r.expect(400);
}
