//! HTTP-level tests of `/v1/claimed-devices`: claim, dry run, bulk CSV, list with
//! pagination, read, tags, block/unblock and unclaim.

#![allow(clippy::unwrap_used)]

use crate::rest_common;

use axum::http::Method;
use rest_common::*;
use serde_json::json;

#[tokio::test]
async fn claim_returns_the_device() {
    let rest = Rest::new();
    let dev = Dev::new(1);
    let body = rest.claim(EDITOR, &dev, &["lab", "ci"]).await;
    assert_eq!(body["id"], dev.id_text());
    assert_eq!(body["claimedBy"], "eddie");
    assert_eq!(body["status"], "READY");
    assert_eq!(body["tags"], json!(["ci", "lab"]));
    assert_eq!(body["deviceType"], 3);
    assert_eq!(body["signature"], "unverifiedNoRegistry");
    assert_eq!(body["commandCount"], 0);
    assert!(body["claimedAt"].as_str().unwrap().ends_with('Z'));
    assert!(body.get("cloudAccessKey").is_none());
}

#[tokio::test]
async fn claim_without_tags_and_with_comma_separated_tags() {
    let rest = Rest::new();
    let r = rest
        .post(
            "/v1/claimed-devices",
            Some(OWNER),
            json!({"claimToken": Dev::new(1).token()}),
        )
        .await;
    r.expect(201);
    assert_eq!(r.body["tags"], json!([]));
    // claim_and_provision_device sends its --provisioning-tags text as one entry.
    let r = rest
        .post(
            "/v1/claimed-devices",
            Some(OWNER),
            json!({"claimToken": Dev::new(2).token(), "tags": ["nrf-cloud-onboarding, lab"]}),
        )
        .await;
    r.expect(201);
    assert_eq!(r.body["tags"], json!(["lab", "nrf-cloud-onboarding"]));
}

#[tokio::test]
async fn claim_conflicts_and_bad_tokens() {
    let rest = Rest::new();
    let dev = Dev::new(1);
    rest.claim(OWNER, &dev, &[]).await;
    let before = rest.state();
    let again = rest
        .post(
            "/v1/claimed-devices",
            Some(EDITOR),
            json!({"claimToken": dev.token()}),
        )
        .await;
    again.expect(409);
    assert!(
        again.message().contains("already claimed"),
        "{}",
        again.text
    );
    let bad = rest
        .post(
            "/v1/claimed-devices",
            Some(OWNER),
            json!({"claimToken": "not-a-token"}),
        )
        .await;
    bad.expect(400);
    assert!(bad.message().contains("claimToken"), "{}", bad.text);
    let bad_tag = rest
        .post(
            "/v1/claimed-devices",
            Some(OWNER),
            json!({"claimToken": Dev::new(2).token(), "tags": ["a b"]}),
        )
        .await;
    bad_tag.expect(400);
    assert!(bad_tag.message().contains("tags"));
    assert_eq!(rest.state(), before);
}

#[tokio::test]
async fn dry_run_checks_without_claiming() {
    let rest = Rest::new();
    let dev = Dev::new(1);
    let before = rest.state();
    let r = rest
        .post(
            "/v1/claimed-devices?dryrun=true",
            Some(EDITOR),
            json!({"claimToken": dev.token(), "tags": ["lab"]}),
        )
        .await;
    r.expect(202);
    assert_eq!(
        r.body,
        json!({"id": dev.id_text(), "signature": "unverifiedNoRegistry"})
    );
    assert_eq!(rest.state(), before);
    rest.claim(EDITOR, &dev, &[]).await;
    let r = rest
        .post(
            "/v1/claimed-devices?dryrun=true",
            Some(EDITOR),
            json!({"claimToken": dev.token()}),
        )
        .await;
    r.expect(409);
    let r = rest
        .post(
            "/v1/claimed-devices?dryrun=maybe",
            Some(EDITOR),
            json!({"claimToken": dev.token()}),
        )
        .await;
    r.expect(400);
    assert!(r.message().contains("dryrun"));
    let r = rest
        .post(
            "/v1/claimed-devices?dryrun=true",
            Some(VIEWER),
            json!({"claimToken": Dev::new(2).token()}),
        )
        .await;
    r.expect(403);
}

#[tokio::test]
async fn bulk_claim_csv() {
    let rest = Rest::new();
    let (a, b) = (Dev::new(1), Dev::new(2));
    rest.claim(OWNER, &b, &[]).await;
    let csv = format!(
        "\"{}\",\"lab,ci\"\n\"{}\"\n\"garbage\"\n",
        a.token(),
        b.token()
    );
    let r = rest
        .raw(
            Method::POST,
            "/v1/claimed-devices",
            Some(EDITOR),
            Some("text/csv"),
            csv,
        )
        .await;
    r.expect(200);
    assert_eq!(r.body["claimedIds"], json!([a.id_text()]));
    let failed = r.body["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 2);
    assert_eq!(failed[0]["row"], 2);
    assert_eq!(failed[0]["status"], 409);
    assert_eq!(failed[1]["row"], 3);
    assert_eq!(failed[1]["status"], 400);
    assert!(failed[1]["message"]
        .as_str()
        .unwrap()
        .contains("claimToken"));
    let device = rest
        .get(
            &format!("/v1/claimed-devices/{}", a.id_text()),
            Some(EDITOR),
        )
        .await;
    device.expect(200);
    assert_eq!(device.body["tags"], json!(["ci", "lab"]));
}

#[tokio::test]
async fn bulk_claim_with_the_content_type_header_claim_devices_sends() {
    // nRF Cloud's claim_devices.py (nrf_cloud_diap.bulk_claim_devices) sets a header named
    // `contentType: text/csv` and posts the CSV text without a Content-Type.
    let rest = Rest::new();
    let dev = Dev::new(3);
    let request = axum::http::Request::builder()
        .method(Method::POST)
        .uri("/v1/claimed-devices")
        .header("authorization", format!("Bearer {OWNER}"))
        .header("contentType", "text/csv")
        .body(axum::body::Body::from(format!(
            "\"{}\",\"nrf-cloud-onboarding\"\n",
            dev.token()
        )))
        .unwrap();
    let r = rest.send(request).await;
    r.expect(200);
    assert_eq!(r.body["claimedIds"], json!([dev.id_text()]));
    assert_eq!(r.body["failed"], json!([]));
    let empty = rest
        .raw(
            Method::POST,
            "/v1/claimed-devices",
            Some(OWNER),
            Some("text/csv"),
            "\n\n",
        )
        .await;
    empty.expect(400);
    assert!(empty.message().contains("no rows"));
    let dry = rest
        .raw(
            Method::POST,
            "/v1/claimed-devices?dryrun=true",
            Some(OWNER),
            Some("text/csv"),
            "x",
        )
        .await;
    // A bulk dry run reports the rows as a bulk claim would, and claims nothing.
    dry.expect(200);
    assert_eq!(dry.body["claimedIds"], json!([]));
    assert_eq!(dry.body["failed"][0]["status"], 400);
}

#[tokio::test]
async fn list_is_paginated_and_filtered_by_visibility() {
    let rest = Rest::new();
    for n in 0..5 {
        rest.claim(EDITOR, &Dev::new(n), &[]).await;
    }
    rest.claim(ADMIN, &Dev::new(9), &[]).await;
    let mut seen = Vec::new();
    let mut path = "/v1/claimed-devices?pageLimit=2".to_owned();
    for _ in 0..10 {
        let r = rest.get(&path, Some(OWNER)).await;
        r.expect(200);
        assert_eq!(r.body["total"], 6);
        let items = r.body["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|d| d["id"].as_str().unwrap().to_owned()));
        match r.body.get("pageNextToken").and_then(|t| t.as_str()) {
            Some(token) => path = format!("/v1/claimed-devices?pageLimit=2&pageNextToken={token}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 6);
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "devices are listed by id");
    // Editors and viewers do not see the admin's device.
    for key in [EDITOR, VIEWER] {
        let r = rest.get("/v1/claimed-devices", Some(key)).await;
        r.expect(200);
        assert_eq!(r.body["total"], 5);
        assert!(r.body.get("pageNextToken").is_none());
    }
    for bad in [
        "pageLimit=0",
        "pageLimit=101",
        "pageLimit=x",
        "pageNextToken=zzz",
    ] {
        let r = rest
            .get(&format!("/v1/claimed-devices?{bad}"), Some(OWNER))
            .await;
        r.expect(400);
        assert!(!r.message().is_empty());
    }
}

#[tokio::test]
async fn get_unknown_malformed_and_invisible_devices() {
    let rest = Rest::new();
    let admin_dev = Dev::new(1);
    rest.claim(ADMIN, &admin_dev, &[]).await;
    let path = format!("/v1/claimed-devices/{}", admin_dev.id_text());
    rest.get(&path, Some(OWNER)).await.expect(200);
    let hidden = rest.get(&path, Some(EDITOR)).await;
    hidden.expect(403);
    assert!(hidden.message().contains("not visible"));
    let unknown = rest
        .get(
            &format!("/v1/claimed-devices/{}", Dev::new(2).id_text()),
            Some(OWNER),
        )
        .await;
    unknown.expect(404);
    assert!(unknown.message().contains("not found"));
    let malformed = rest
        .get("/v1/claimed-devices/not-a-uuid", Some(OWNER))
        .await;
    malformed.expect(400);
    assert!(malformed.message().contains("device id"));
}

#[tokio::test]
async fn tags_block_unblock_and_unclaim() {
    let rest = Rest::new();
    let dev = Dev::new(1);
    rest.claim(EDITOR, &dev, &["a"]).await;
    let base = format!("/v1/claimed-devices/{}", dev.id_text());
    let r = rest
        .put(
            &format!("{base}/tags"),
            Some(EDITOR),
            json!({"tags": ["b,c"]}),
        )
        .await;
    r.expect(204);
    assert_eq!(r.text, "");
    assert_eq!(
        rest.get(&base, Some(EDITOR)).await.body["tags"],
        json!(["b", "c"])
    );
    rest.put(&format!("{base}/tags"), Some(VIEWER), json!({"tags": []}))
        .await
        .expect(403);

    rest.post(&format!("{base}/block"), Some(EDITOR), json!(null))
        .await
        .expect(204);
    assert_eq!(rest.get(&base, Some(OWNER)).await.body["status"], "BLOCKED");
    // Idempotent.
    rest.post(&format!("{base}/block"), Some(EDITOR), json!(null))
        .await
        .expect(204);
    rest.post(&format!("{base}/unblock"), Some(OWNER), json!(null))
        .await
        .expect(204);
    assert_eq!(rest.get(&base, Some(OWNER)).await.body["status"], "READY");
    rest.post(&format!("{base}/block"), Some(VIEWER), json!(null))
        .await
        .expect(403);

    rest.delete(&base, Some(VIEWER)).await.expect(403);
    let r = rest.delete(&base, Some(EDITOR)).await;
    r.expect(204);
    assert_eq!(r.text, "");
    rest.get(&base, Some(OWNER)).await.expect(404);
    rest.delete(&base, Some(EDITOR)).await.expect(404);
    // A later claim starts afresh.
    rest.claim(OWNER, &dev, &[]).await;
}

#[tokio::test]
async fn missing_and_unknown_keys_are_401() {
    let rest = Rest::new();
    for key in [None, Some("no-such-key-0000000000")] {
        let r = rest.get("/v1/claimed-devices", key).await;
        r.expect(401);
        assert!(r.message().contains("API key"));
    }
    let r = rest
        .raw(
            Method::GET,
            "/v1/claimed-devices",
            None,
            None,
            axum::body::Body::empty(),
        )
        .await;
    r.expect(401);
    let basic = axum::http::Request::builder()
        .uri("/v1/claimed-devices")
        .header("authorization", "Basic dXNlcjpwdw==")
        .body(axum::body::Body::empty())
        .unwrap();
    let r = rest.send(basic).await;
    r.expect(401);
    assert!(r.message().contains("Bearer"));
}

#[tokio::test]
async fn with_a_registry_claims_are_verified() {
    use provlab_server::domain::registry::FactoryRegistry;
    use provlab_server::domain::ServiceConfig;
    let known = Dev::new(1);
    let mut config = ServiceConfig::new(7);
    config.verifier.registry = Some(FactoryRegistry::from_entries([(
        known.uuid,
        *known.key.verifying_key(),
    )]));
    let rest = Rest::with_config(config);
    let body = rest.claim(EDITOR, &known, &[]).await;
    assert_eq!(body["signature"], "verified");
    let unknown = rest
        .post(
            "/v1/claimed-devices",
            Some(EDITOR),
            json!({"claimToken": Dev::new(2).token()}),
        )
        .await;
    unknown.expect(400);
    assert!(
        unknown.message().contains("not in the factory registry"),
        "{}",
        unknown.text
    );
    // A token for the known device signed by another key.
    let mut forged = Dev::new(3);
    forged.uuid = known.uuid;
    rest.delete(
        &format!("/v1/claimed-devices/{}", known.id_text()),
        Some(EDITOR),
    )
    .await
    .expect(204);
    let r = rest
        .post(
            "/v1/claimed-devices",
            Some(EDITOR),
            json!({"claimToken": forged.token()}),
        )
        .await;
    r.expect(400);
    assert!(r.message().contains("does not verify"), "{}", r.text);
}
