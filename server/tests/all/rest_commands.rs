//! HTTP-level tests of `/v1/claimed-devices/{id}/provisioning`: adding every command type,
//! listing, reading status and response, the 20-command limit, and retry/skip/update.

#![allow(clippy::unwrap_used)]

use crate::rest_common;

use rest_common::*;
use serde_json::json;

fn every_type() -> Vec<serde_json::Value> {
    vec![
        json!({"clientPrivateKeyGeneration": {"secTag": 16842753}}),
        json!({"certificateSigningRequest": {"secTag": 16842753, "attributes": "CN=dev,O=Lab", "keyUsage": "101010000"}}),
        json!({"cloudAccessKeyGeneration": {"secTag": 16842753}}),
        json!({"clientCertificate": {"secTag": 16842753, "content": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"}}),
        json!({"serverCertificate": {"secTag": 16842753, "content": "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n"}}),
        json!({"config": {"properties": {"provisioning/interval-sec": "600", "a/b": "c"}}}),
        json!({"atCommand": {"setCommand": "%XSYSTEMMODE", "parameters": "1,0,1,0", "ignoreCmeErrors": [513, "514"]}}),
        json!({"finished": {}}),
    ]
}

#[tokio::test]
async fn add_list_and_get_every_type() {
    let rest = Rest::new();
    let dev = Dev::new(1);
    rest.claim(EDITOR, &dev, &[]).await;
    let mut ids = Vec::new();
    for request in every_type() {
        ids.push(rest.add(EDITOR, &dev, request).await);
    }
    let base = format!("/v1/claimed-devices/{}/provisioning", dev.id_text());
    let list = rest.get(&base, Some(EDITOR)).await;
    list.expect(200);
    assert_eq!(list.body["total"], 8);
    let items = list.body["items"].as_array().unwrap();
    let listed: Vec<&str> = items.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(listed, ids.iter().map(String::as_str).collect::<Vec<_>>());
    for (item, request) in items.iter().zip(every_type()) {
        let mut expected = request.clone();
        if let Some(at) = expected.get_mut("atCommand") {
            at["ignoreCmeErrors"] = json!([513, 514]);
        }
        assert_eq!(item["request"], expected);
        assert_eq!(item["status"], "PENDING");
        assert_eq!(item["response"], json!(null));
        assert_eq!(item["description"], "test");
        assert_eq!(item["deliveries"], 0);
        for field in ["createdAt", "updatedAt"] {
            assert!(item[field].as_str().unwrap().ends_with('Z'));
        }
    }
    let one = rest.get(&format!("{base}/{}", ids[5]), Some(VIEWER)).await;
    one.expect(200);
    assert_eq!(one.body, items[5].clone());
    let paged = rest.get(&format!("{base}?pageLimit=3"), Some(OWNER)).await;
    assert_eq!(paged.body["items"].as_array().unwrap().len(), 3);
    assert!(paged.body["pageNextToken"].is_string());
}

#[tokio::test]
async fn status_and_response_follow_the_device() {
    let rest = Rest::new();
    let dev = Dev::new(1);
    rest.claim(OWNER, &dev, &[]).await;
    let csr = rest
        .add(
            OWNER,
            &dev,
            json!({"certificateSigningRequest": {"secTag": 42, "attributes": "CN=x", "keyUsage": "101010000"}}),
        )
        .await;
    let key = rest
        .add(
            OWNER,
            &dev,
            json!({"cloudAccessKeyGeneration": {"secTag": 43}}),
        )
        .await;
    let base = format!("/v1/claimed-devices/{}/provisioning", dev.id_text());
    let records = rest.run_device(&dev, None);
    assert_eq!(records.len(), 4);
    let c = rest.get(&format!("{base}/{csr}"), Some(OWNER)).await;
    c.expect(200);
    assert_eq!(c.body["status"], "SUCCEEDED");
    let response = &c.body["response"]["certificateSigningRequest"];
    let token = response["csr"].as_str().unwrap();
    assert!(token.contains('.') && !token.contains('"'), "{token}");
    assert!(response["message"].as_str().unwrap().contains(token));
    assert!(response["publicKey"].is_string());
    assert!(c.body["respondedAt"].is_string());
    assert_eq!(c.body["deliveries"], 1);
    let k = rest.get(&format!("{base}/{key}"), Some(OWNER)).await;
    assert_eq!(k.body["status"], "SUCCEEDED");
    assert!(k.body["response"]["cloudAccessKeyGeneration"]["publicKey"].is_string());
    let device = rest
        .get(
            &format!("/v1/claimed-devices/{}", dev.id_text()),
            Some(OWNER),
        )
        .await;
    assert_eq!(device.body["status"], "AWAITING");
    assert_eq!(
        device.body["cloudAccessKey"],
        k.body["response"]["cloudAccessKeyGeneration"]["publicKey"]
    );
}

#[tokio::test]
async fn failed_command_retry_skip_update() {
    let rest = Rest::new();
    let dev = Dev::new(1);
    rest.claim(EDITOR, &dev, &[]).await;
    let base = format!("/v1/claimed-devices/{}/provisioning", dev.id_text());
    let a = rest
        .add(
            EDITOR,
            &dev,
            json!({"atCommand": {"setCommand": "+CFUN", "parameters": "4"}}),
        )
        .await;
    let b = rest
        .add(
            EDITOR,
            &dev,
            json!({"atCommand": {"setCommand": "+CGDCONT", "parameters": "1"}}),
        )
        .await;
    // Retry/skip a command that has not failed: 409.
    let r = rest
        .post(&format!("{base}/{a}/retry"), Some(EDITOR), json!(null))
        .await;
    r.expect(409);
    assert!(r.message().contains("only a FAILED command"), "{}", r.text);
    rest.run_device(&dev, Some((0, 518)));
    let failed = rest.get(&format!("{base}/{a}"), Some(EDITOR)).await;
    assert_eq!(failed.body["status"], "FAILED");
    assert_eq!(
        failed.body["response"],
        json!({"atCommand": {"cmeError": 518, "message": "+CME ERROR"}})
    );
    let device_path = format!("/v1/claimed-devices/{}", dev.id_text());
    assert_eq!(
        rest.get(&device_path, Some(EDITOR)).await.body["status"],
        "ERROR"
    );
    // Viewers may not act.
    rest.post(&format!("{base}/{a}/retry"), Some(VIEWER), json!(null))
        .await
        .expect(403);
    rest.post(&format!("{base}/{a}/retry"), Some(EDITOR), json!(null))
        .await
        .expect(204);
    assert_eq!(
        rest.get(&format!("{base}/{a}"), Some(EDITOR)).await.body["status"],
        "PENDING"
    );
    assert_eq!(
        rest.get(&device_path, Some(EDITOR)).await.body["status"],
        "READY"
    );
    rest.run_device(&dev, Some((0, 518)));
    rest.post(&format!("{base}/{a}/skip"), Some(EDITOR), json!(null))
        .await
        .expect(204);
    assert_eq!(
        rest.get(&format!("{base}/{a}"), Some(EDITOR)).await.body["status"],
        "SKIPPED"
    );
    // Update the pending second command.
    let r = rest
        .put(
            &format!("{base}/{b}"),
            Some(EDITOR),
            json!({"description": "new", "request": {"atCommand": {"setCommand": "+CEREG", "parameters": "5"}}}),
        )
        .await;
    r.expect(204);
    let updated = rest.get(&format!("{base}/{b}"), Some(EDITOR)).await;
    assert_eq!(updated.body["description"], "new");
    assert_eq!(updated.body["request"]["atCommand"]["setCommand"], "+CEREG");
    rest.run_device(&dev, None);
    let r = rest
        .put(
            &format!("{base}/{b}"),
            Some(EDITOR),
            json!({"request": {"finished": {}}}),
        )
        .await;
    r.expect(409);
    let unknown = rest
        .post(
            &format!("{base}/{}/retry", Dev::new(7).id_text()),
            Some(EDITOR),
            json!(null),
        )
        .await;
    unknown.expect(404);
    rest.post(
        &format!("{base}/not-a-uuid/skip"),
        Some(EDITOR),
        json!(null),
    )
    .await
    .expect(400);
}

#[tokio::test]
async fn at_most_twenty_commands() {
    let rest = Rest::new();
    let dev = Dev::new(1);
    rest.claim(OWNER, &dev, &[]).await;
    for _ in 0..20 {
        rest.add(OWNER, &dev, json!({"finished": {}})).await;
    }
    let before = rest.state();
    let r = rest
        .post(
            &format!("/v1/claimed-devices/{}/provisioning", dev.id_text()),
            Some(OWNER),
            json!({"request": {"finished": {}}}),
        )
        .await;
    r.expect(409);
    assert!(r.message().contains("20 commands"), "{}", r.text);
    assert_eq!(rest.state(), before);
}

#[tokio::test]
async fn commands_of_unknown_or_invisible_devices() {
    let rest = Rest::new();
    let dev = Dev::new(1);
    rest.claim(ADMIN, &dev, &[]).await;
    let path = format!("/v1/claimed-devices/{}/provisioning", dev.id_text());
    let body = json!({"request": {"finished": {}}});
    rest.post(&path, Some(EDITOR), body.clone())
        .await
        .expect(403);
    rest.get(&path, Some(EDITOR)).await.expect(403);
    rest.post(&path, Some(ADMIN), body.clone())
        .await
        .expect(201);
    let other = format!("/v1/claimed-devices/{}/provisioning", Dev::new(2).id_text());
    rest.post(&other, Some(OWNER), body.clone())
        .await
        .expect(404);
    rest.get(&format!("{path}/{}", Dev::new(3).id_text()), Some(OWNER))
        .await
        .expect(404);
}
