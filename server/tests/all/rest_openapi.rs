//! The OpenAPI document at `/v1/openapi.json`: generated from the code, it describes every
//! endpoint, the bearer scheme and the command request types.

#![allow(clippy::unwrap_used)]

use crate::rest_common;

use axum::body::Body;
use axum::http::Method;
use rest_common::*;

/// Every endpoint of the REST API.
const ENDPOINTS: &[(&str, &str)] = &[
    ("post", "/v1/claimed-devices"),
    ("get", "/v1/claimed-devices"),
    ("get", "/v1/claimed-devices/{deviceId}"),
    ("delete", "/v1/claimed-devices/{deviceId}"),
    ("put", "/v1/claimed-devices/{deviceId}/tags"),
    ("post", "/v1/claimed-devices/{deviceId}/block"),
    ("post", "/v1/claimed-devices/{deviceId}/unblock"),
    ("post", "/v1/claimed-devices/{deviceId}/provisioning"),
    ("get", "/v1/claimed-devices/{deviceId}/provisioning"),
    (
        "get",
        "/v1/claimed-devices/{deviceId}/provisioning/{commandId}",
    ),
    (
        "put",
        "/v1/claimed-devices/{deviceId}/provisioning/{commandId}",
    ),
    (
        "post",
        "/v1/claimed-devices/{deviceId}/provisioning/{commandId}/retry",
    ),
    (
        "post",
        "/v1/claimed-devices/{deviceId}/provisioning/{commandId}/skip",
    ),
    ("get", "/v1/provisioning/tags"),
    ("post", "/v1/provisioning/tags"),
    ("get", "/v1/provisioning-rules"),
    ("post", "/v1/provisioning-rules"),
    ("get", "/v1/provisioning-rules/{ruleId}"),
    ("put", "/v1/provisioning-rules/{ruleId}"),
    ("post", "/v1/provisioning-rules/{ruleId}/activate"),
    ("get", "/v1/team/me"),
    ("get", "/v1/team/members"),
    ("post", "/v1/team/members"),
    ("put", "/v1/team/members/{name}"),
    ("delete", "/v1/team/members/{name}"),
    ("post", "/v1/team/members/{name}/api-keys"),
    ("delete", "/v1/team/members/{name}/api-keys/{keyId}"),
];

#[tokio::test]
async fn the_document_describes_every_endpoint() {
    let rest = Rest::new();
    let r = rest.get("/v1/openapi.json", None).await;
    r.expect(200);
    let doc = &r.body;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    let mut operations = 0;
    for (path, item) in paths {
        for method in ["get", "post", "put", "delete", "patch"] {
            if item.get(method).is_some() {
                operations += 1;
                assert!(
                    ENDPOINTS.contains(&(method, path.as_str())),
                    "documented but not expected: {method} {path}"
                );
            }
        }
    }
    assert_eq!(operations, ENDPOINTS.len());
    for (method, path) in ENDPOINTS {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "undocumented: {method} {path}");
        assert_eq!(
            op["security"][0]["apiKey"],
            serde_json::json!([]),
            "{method} {path}"
        );
        let responses = op["responses"].as_object().unwrap();
        assert!(
            responses.contains_key("401"),
            "{method} {path} lacks its 401"
        );
        // The route exists: calling it without a key is a 401 or 400, never "no such endpoint".
        let concrete = path
            .replace("{deviceId}", &Dev::new(1).id_text())
            .replace("{commandId}", &Dev::new(2).id_text())
            .replace("{ruleId}", &Dev::new(3).id_text())
            .replace("{name}", "vera")
            .replace("{keyId}", "0000000000000000");
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let answer = rest.raw(m, &concrete, None, None, Body::empty()).await;
        assert!(
            matches!(answer.status.as_u16(), 400 | 401),
            "{method} {concrete}: {} {}",
            answer.status,
            answer.text
        );
    }
    let schemes = &doc["components"]["securitySchemes"]["apiKey"];
    assert_eq!(schemes["type"], "http");
    assert_eq!(schemes["scheme"], "bearer");
}

#[tokio::test]
async fn the_command_request_schema_lists_every_type() {
    let rest = Rest::new();
    let doc = rest.get("/v1/openapi.json", None).await.body;
    let schema = &doc["components"]["schemas"]["CommandRequest"];
    let text = schema.to_string();
    for name in [
        "clientPrivateKeyGeneration",
        "certificateSigningRequest",
        "cloudAccessKeyGeneration",
        "clientCertificate",
        "serverCertificate",
        "config",
        "atCommand",
        "finished",
    ] {
        assert!(
            text.contains(&format!("\"{name}\"")),
            "{name} missing from {text}"
        );
    }
    for schema in [
        "ErrorBody",
        "ClaimBody",
        "DeviceBody",
        "CommandBody",
        "NewCommand",
        "RuleSpec",
        "RuleBody",
        "TagBody",
        "MemberBody",
    ] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "schema {schema} missing"
        );
    }
    let csr = doc["components"]["schemas"]["CsrRequest"].to_string();
    for field in ["secTag", "attributes", "keyUsage"] {
        assert!(csr.contains(field));
    }
}

#[test]
fn the_document_is_the_generated_one() {
    let generated = provlab_server::rest::openapi::document();
    let paths = generated["paths"].as_object().unwrap();
    assert!(paths.contains_key("/v1/claimed-devices/{deviceId}/provisioning/{commandId}"));
}
