//! HTTP-level tests of `/v1/provisioning-rules` and `/v1/provisioning/tags`.

#![allow(clippy::unwrap_used)]

use crate::rest_common;

use rest_common::*;
use serde_json::json;

fn onboarding_rule(active: bool) -> serde_json::Value {
    json!({
        "name": "nRF Cloud Onboarding",
        "description": "Onboarding rule for nRF Cloud",
        "active": active,
        "commands": [
            {"request": {"clientPrivateKeyGeneration": {"secTag": 16842753}}},
            {"request": {"cloudAccessKeyGeneration": {"secTag": 16842753}}},
            {"request": {"serverCertificate": {"secTag": 16842753, "content": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"}}},
        ],
        "tags": ["nrf-cloud-onboarding"],
    })
}

#[tokio::test]
async fn create_list_get_update_activate_rules() {
    let rest = Rest::new();
    let r = rest
        .post(
            "/v1/provisioning-rules",
            Some(ADMIN),
            onboarding_rule(false),
        )
        .await;
    r.expect(201);
    let id = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["state"], "DRAFT");
    assert_eq!(r.body["active"], false);
    assert_eq!(r.body["tags"], json!(["nrf-cloud-onboarding"]));
    assert_eq!(r.body["commands"].as_array().unwrap().len(), 3);
    assert_eq!(
        r.body["commands"][0],
        json!({"description": "", "request": {"clientPrivateKeyGeneration": {"secTag": 16842753}}})
    );
    let list = rest.get("/v1/provisioning-rules", Some(EDITOR)).await;
    list.expect(200);
    assert_eq!(list.body["total"], 1);
    assert_eq!(list.body["items"][0], r.body);
    let path = format!("/v1/provisioning-rules/{id}");
    assert_eq!(rest.get(&path, Some(EDITOR)).await.body, r.body);

    let mut edited = onboarding_rule(false);
    edited["name"] = json!("renamed");
    let u = rest.put(&path, Some(OWNER), edited.clone()).await;
    u.expect(200);
    assert_eq!(u.body["name"], "renamed");
    assert_eq!(u.body["state"], "DRAFT");
    let a = rest
        .post(&format!("{path}/activate"), Some(OWNER), json!(null))
        .await;
    a.expect(200);
    assert_eq!(a.body["state"], "ACTIVE");
    assert_eq!(a.body["active"], true);
    let again = rest.put(&path, Some(OWNER), edited).await;
    again.expect(409);
    assert!(again.message().contains("active"));
    rest.post(&format!("{path}/activate"), Some(OWNER), json!(null))
        .await
        .expect(200);
    let unknown = format!("/v1/provisioning-rules/{}", Dev::new(1).id_text());
    rest.get(&unknown, Some(OWNER)).await.expect(404);
    rest.get("/v1/provisioning-rules/nope", Some(OWNER))
        .await
        .expect(400);
}

#[tokio::test]
async fn an_active_rule_applies_at_connect() {
    let rest = Rest::new();
    rest.post("/v1/provisioning-rules", Some(OWNER), onboarding_rule(true))
        .await
        .expect(201);
    let dev = Dev::new(1);
    rest.claim(OWNER, &dev, &["nrf-cloud-onboarding"]).await;
    let records = rest.run_device(&dev, None);
    assert_eq!(
        records.len(),
        5,
        "two deletes, two keygens, one certificate"
    );
    let list = rest
        .get(
            &format!("/v1/claimed-devices/{}/provisioning", dev.id_text()),
            Some(OWNER),
        )
        .await;
    let items = list.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert!(items
        .iter()
        .all(|c| c["status"] == "SUCCEEDED" && c["ruleId"].is_string()));
}

#[tokio::test]
async fn bad_rules_are_400_and_change_nothing() {
    let rest = Rest::new();
    let before = rest.state();
    let mut no_tags = onboarding_rule(true);
    no_tags["tags"] = json!([]);
    let mut bad_command = onboarding_rule(true);
    bad_command["commands"][1]["request"] =
        json!({"certificateSigningRequest": {"secTag": 1, "keyUsage": "12"}});
    let mut unknown_type = onboarding_rule(true);
    unknown_type["commands"][0]["request"] = json!({"reboot": {}});
    for (body, needle) in [
        (no_tags, "tags"),
        (
            bad_command,
            "commands[1].request.certificateSigningRequest.keyUsage",
        ),
        (unknown_type, "unknown variant `reboot`"),
        (json!({"name": "x"}), "missing field"),
    ] {
        let r = rest.post("/v1/provisioning-rules", Some(OWNER), body).await;
        r.expect(400);
        assert!(r.message().contains(needle), "{needle}: {}", r.text);
    }
    assert_eq!(rest.state(), before);
}

#[tokio::test]
async fn tags_create_and_list() {
    let rest = Rest::new();
    let r = rest
        .post(
            "/v1/provisioning/tags",
            Some(EDITOR),
            json!({"tag": "nrf-cloud-onboarding", "description": "Generated tag for rule: nRF Cloud Onboarding"}),
        )
        .await;
    r.expect(201);
    assert_eq!(r.body["tag"], "nrf-cloud-onboarding");
    assert_eq!(
        r.body["description"],
        "Generated tag for rule: nRF Cloud Onboarding"
    );
    assert!(r.body["createdAt"].is_string());
    let dup = rest
        .post(
            "/v1/provisioning/tags",
            Some(OWNER),
            json!({"tag": "nrf-cloud-onboarding"}),
        )
        .await;
    dup.expect(409);
    assert!(dup.message().contains("already exists"));
    rest.post(
        "/v1/provisioning/tags",
        Some(OWNER),
        json!({"tag": "bad tag"}),
    )
    .await
    .expect(400);
    rest.post("/v1/provisioning/tags", Some(VIEWER), json!({"tag": "v"}))
        .await
        .expect(403);
    // Tags also come into being when first used on a device.
    rest.claim(OWNER, &Dev::new(1), &["lab"]).await;
    let list = rest.get("/v1/provisioning/tags", Some(VIEWER)).await;
    list.expect(200);
    let tags: Vec<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tag"].as_str().unwrap())
        .collect();
    assert_eq!(tags, ["lab", "nrf-cloud-onboarding"]);
    assert_eq!(list.body["total"], 2);
}
