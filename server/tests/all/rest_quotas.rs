//! Issue 15, item 12: what one member can make the service store is bounded, with documented
//! limits and 4xx answers: tag definitions, tags per device and per rule, API keys per
//! member, description sizes.

#![allow(clippy::unwrap_used)]

use crate::rest_common;

use rest_common::*;
use serde_json::json;

fn tags(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i}")).collect()
}

#[tokio::test]
async fn tags_per_device_are_bounded() {
    let rest = Rest::new();
    let dev = Dev::new(1);
    let r = rest
        .post(
            "/v1/claimed-devices",
            Some(EDITOR),
            json!({"claimToken": dev.token(), "tags": tags("t", 33)}),
        )
        .await;
    r.expect(400);
    assert!(r.message().contains("32"), "{}", r.text);
    let r = rest
        .post(
            "/v1/claimed-devices",
            Some(EDITOR),
            json!({"claimToken": dev.token(), "tags": tags("t", 32)}),
        )
        .await;
    r.expect(201);
    let path = format!("/v1/claimed-devices/{}/tags", dev.id_text());
    let r = rest
        .put(&path, Some(EDITOR), json!({"tags": tags("u", 33)}))
        .await;
    r.expect(400);
    let rule = json!({
        "name": "many", "description": "", "active": false,
        "commands": [{"description": "", "request": {"finished": {}}}],
        "tags": tags("r", 33),
    });
    rest.post("/v1/provisioning-rules", Some(ADMIN), rule)
        .await
        .expect(400);
}

#[tokio::test]
async fn tag_definitions_are_bounded() {
    let rest = Rest::new();
    // Fill the team's tag definitions in process (1000 requests would only be slower).
    for tag in tags("fill", 1000) {
        rest.app
            .mutate(|s, now| s.create_tag(now, Some(EDITOR), &tag, ""))
            .unwrap();
    }
    let r = rest
        .post(
            "/v1/provisioning/tags",
            Some(EDITOR),
            json!({"tag": "one-more", "description": ""}),
        )
        .await;
    r.expect(409);
    assert!(r.message().contains("1000"), "{}", r.text);
    // Tags also come into being by use: a claim with a new tag is refused too, with an
    // existing one it works.
    let dev = Dev::new(1);
    rest.post(
        "/v1/claimed-devices",
        Some(EDITOR),
        json!({"claimToken": dev.token(), "tags": ["brand-new"]}),
    )
    .await
    .expect(409);
    rest.claim(EDITOR, &dev, &["fill-7"]).await;
    rest.put(
        &format!("/v1/claimed-devices/{}/tags", dev.id_text()),
        Some(EDITOR),
        json!({"tags": ["brand-new"]}),
    )
    .await
    .expect(409);
}

#[tokio::test]
async fn keys_per_member_are_bounded() {
    let rest = Rest::new();
    for _ in 1..10 {
        rest.post("/v1/team/members/vera/api-keys", Some(VIEWER), json!(null))
            .await
            .expect(201);
    }
    let r = rest
        .post("/v1/team/members/vera/api-keys", Some(VIEWER), json!(null))
        .await;
    r.expect(409);
    assert!(r.message().contains("10"), "{}", r.text);
    let me = rest.get("/v1/team/me", Some(VIEWER)).await;
    assert_eq!(me.body["apiKeys"].as_array().unwrap().len(), 10);
}

#[tokio::test]
async fn descriptions_are_bounded() {
    let rest = Rest::new();
    let long = "d".repeat(1025);
    rest.post(
        "/v1/provisioning/tags",
        Some(EDITOR),
        json!({"tag": "lab", "description": long}),
    )
    .await
    .expect(400);
    let dev = Dev::new(1);
    rest.claim(EDITOR, &dev, &[]).await;
    rest.post(
        &format!("/v1/claimed-devices/{}/provisioning", dev.id_text()),
        Some(EDITOR),
        json!({"description": long, "request": {"finished": {}}}),
    )
    .await
    .expect(400);
}

#[tokio::test]
async fn the_openapi_document_states_the_limits() {
    let rest = Rest::new();
    let r = rest.get("/v1/openapi.json", None).await;
    r.expect(200);
    let description = r.body["info"]["description"].as_str().unwrap();
    for limit in [
        "1000 tag definitions",
        "32 tags",
        "10 API keys",
        "1024 characters",
    ] {
        assert!(description.contains(limit), "{limit}: {description}");
    }
    let issue = &r.body["paths"]["/v1/team/members/{name}/api-keys"]["post"]["responses"];
    assert!(issue.get("409").is_some(), "{issue}");
}
