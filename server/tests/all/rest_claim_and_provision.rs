//! Replays the REST calls of Nordic's `claim_and_provision_device` against the fake service,
//! with exactly the JSON the tool sends, and asserts what the tool reads from each answer.
//!
//! Source: github.com/nRFCloud/utils, `src/nrfcloud_utils/claim_and_provision_device.py`
//! (commit 68d406c2d351d80188031d7640b8d36c6aa7d596) and its REST helper
//! `src/nrfcloud_utils/nrf_cloud_diap.py` (commit 0834bc4eda14258d3246d5d1e08aab57bf207884):
//! * `unclaim_device`: `DELETE claimed-devices/{uuid}`; 204 is success, anything else is
//!   logged and the tool continues ("Device may not have been claimed before").
//! * `ensure_nrfcloud_provisioning_rule` (with `--provisioning-tags nrf-cloud-onboarding`):
//!   `GET provisioning-rules` must be 200 and is read as `json["items"][i]["tags"]`;
//!   `POST provisioning/tags {"tag", "description"}` (answer not checked);
//!   `POST provisioning-rules {"name", "description", "active": true, "commands": [{"request":
//!   ...}], "tags": [...]}` must be 201.
//! * `claim_device`: `POST claimed-devices {"claimToken": tok}` or, with provisioning tags,
//!   `{"claimToken": tok, "tags": ["<the --provisioning-tags text>"]}`; must be 201.
//! * `create_provisioning_cmd_csr`: `{"description": "Generate CSR", "request":
//!   {"certificateSigningRequest": {"attributes": "CN=<device id>", "keyUsage": "101010000",
//!   "secTag": 16842753}}}`; must be 201 and `json["id"]` is read.
//! * `wait_for_cmd_status`: `GET claimed-devices/{uuid}/provisioning/{id}` must be 200; polls
//!   while `status` is `PENDING` or `IN_PROGRESS`, then returns `response`;
//!   `response["certificateSigningRequest"]["csr"]` (else `["message"]`) is the KEYGEN string
//!   given to `modem_credentials_parser.parse_keygen_output`.
//! * `create_provisioning_cmd_client_cert` / `_server_cert`: `{"description": "Update client
//!   cert" | "Update server cert", "request": {"clientCertificate" | "serverCertificate":
//!   {"content": pem, "secTag": 16842753}}}`; `create_provisioning_cmd_finished`:
//!   `{"description": "Provisioning complete", "request": {"finished": {}}}`; each must be 201
//!   with an `id`.
//!
//! The dry run (`?dryrun=true` → 202) is not called by this version of the tool; service.md
//! lists it with the claim, so the sequence checks it before claiming.

#![allow(clippy::unwrap_used)]

use crate::rest_common;

use provlab_proto::tokens::{Csr, KeygenOutput};
use rest_common::*;
use serde_json::{json, Value};

/// The tool's default sec tag.
const SEC_TAG: u32 = 16842753;

const CA_PEM: &str =
    "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2E=\n-----END CERTIFICATE-----\n";

/// `wait_for_cmd_status`: the response once the status is final, or `None` while pending.
async fn poll(rest: &Rest, key: &str, uuid: &str, cmd: &str) -> Option<Value> {
    let r = rest
        .get(
            &format!("/v1/claimed-devices/{uuid}/provisioning/{cmd}"),
            Some(key),
        )
        .await;
    assert_eq!(
        r.status.as_u16(),
        200,
        "Failed to fetch provisioning cmd result"
    );
    let status = r.body.get("status").and_then(Value::as_str).unwrap();
    if status == "PENDING" || status == "IN_PROGRESS" {
        return None;
    }
    Some(r.body.get("response").cloned().unwrap())
}

/// `create_provisioning_cmd_*`: 201 and the `id`.
async fn create_cmd(rest: &Rest, key: &str, uuid: &str, payload: Value) -> String {
    let r = rest
        .post(
            &format!("/v1/claimed-devices/{uuid}/provisioning"),
            Some(key),
            payload,
        )
        .await;
    assert_eq!(
        r.status.as_u16(),
        201,
        "CreateDeviceProvisioningCommand API call failed: {}",
        r.text
    );
    r.body.get("id").and_then(Value::as_str).unwrap().to_owned()
}

#[tokio::test]
async fn ca_flow_claim_csr_certificates_finished() {
    let rest = Rest::new();
    let dev = Dev::new(1);
    let uuid = dev.id_text();
    let key = OWNER;

    // --unclaim on a device that was never claimed: not 204, the tool logs and continues.
    let r = rest
        .delete(&format!("/v1/claimed-devices/{uuid}"), Some(key))
        .await;
    r.expect(404);
    assert!(!r.message().is_empty());

    // Dry run (service.md): 202, nothing claimed.
    let r = rest
        .post(
            "/v1/claimed-devices?dryrun=true",
            Some(key),
            json!({"claimToken": dev.token()}),
        )
        .await;
    r.expect(202);
    assert_eq!(r.body["id"], uuid.as_str());

    // claim_device without provisioning tags.
    let r = rest
        .post(
            "/v1/claimed-devices",
            Some(key),
            json!({"claimToken": dev.token()}),
        )
        .await;
    assert_eq!(
        r.status.as_u16(),
        201,
        "ClaimDeviceOwnership API call failed"
    );

    // create_provisioning_cmd_csr with the device id as CN.
    let csr_id = create_cmd(
        &rest,
        key,
        &uuid,
        json!({"description": "Generate CSR", "request": {"certificateSigningRequest": {
            "attributes": format!("CN={uuid}"), "keyUsage": "101010000", "secTag": SEC_TAG}}}),
    )
    .await;
    // The device has not connected yet: the tool keeps polling.
    assert_eq!(poll(&rest, key, &uuid, &csr_id).await, None);
    let records = rest.run_device(&dev, None);
    assert_eq!(records.len(), 2, "delete sub-step, then %KEYGEN");
    let response = poll(&rest, key, &uuid, &csr_id).await.unwrap();
    let csr_txt = response
        .get("certificateSigningRequest")
        .and_then(|c| c.get("csr"))
        .and_then(Value::as_str)
        .unwrap();
    // What parse_keygen_output does: split the KEYGEN string, the first part is the CSR DER.
    let keygen = KeygenOutput::decode(csr_txt).unwrap();
    keygen.verify(dev.key.verifying_key()).unwrap();
    let csr = Csr::parse(keygen.body()).unwrap();
    assert_eq!(csr.subject().common_name(), Some(uuid.as_str()));
    assert_eq!(keygen.sec_tag(), SEC_TAG);

    // create_provisioning_cmd_client_cert, _server_cert, _finished.
    let client_id = create_cmd(
        &rest,
        key,
        &uuid,
        json!({"description": "Update client cert", "request": {"clientCertificate": {"content": CA_PEM, "secTag": SEC_TAG}}}),
    )
    .await;
    create_cmd(
        &rest,
        key,
        &uuid,
        json!({"description": "Update server cert", "request": {"serverCertificate": {"content": CA_PEM, "secTag": SEC_TAG}}}),
    )
    .await;
    let finished_id = create_cmd(
        &rest,
        key,
        &uuid,
        json!({"description": "Provisioning complete", "request": {"finished": {}}}),
    )
    .await;
    assert_eq!(poll(&rest, key, &uuid, &client_id).await, None);
    let records = rest.run_device(&dev, None);
    assert_eq!(records.len(), 3);
    let client = poll(&rest, key, &uuid, &client_id).await.unwrap();
    assert!(client["clientCertificate"].is_object());
    let finished = poll(&rest, key, &uuid, &finished_id).await.unwrap();
    assert!(finished["finished"].is_object());
    let device = rest
        .get(&format!("/v1/claimed-devices/{uuid}"), Some(key))
        .await;
    assert_eq!(device.body["status"], "PROVISIONED");

    // A second run with --unclaim: 204, and the device can be claimed again.
    rest.delete(&format!("/v1/claimed-devices/{uuid}"), Some(key))
        .await
        .expect(204);
    rest.post(
        "/v1/claimed-devices",
        Some(key),
        json!({"claimToken": dev.token()}),
    )
    .await
    .expect(201);
}

/// `ensure_nrfcloud_provisioning_rule` then `claim_device` with `--provisioning-tags`.
async fn onboarding_run(rest: &Rest, key: &str, dev: &Dev) {
    let rules = rest.get("/v1/provisioning-rules", Some(key)).await;
    assert_eq!(
        rules.status.as_u16(),
        200,
        "Failed to list existing provisioning rules"
    );
    let found = rules.body["items"].as_array().unwrap().iter().any(|rule| {
        rule["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "nrf-cloud-onboarding")
    });
    // The answer is not checked by the tool (201 the first time, 409 after).
    let tag = rest
        .post(
            "/v1/provisioning/tags",
            Some(key),
            json!({"tag": "nrf-cloud-onboarding", "description": "Generated tag for rule: nRF Cloud Onboarding"}),
        )
        .await;
    assert!(
        tag.status.as_u16() == 201 || tag.status.as_u16() == 409,
        "{}",
        tag.text
    );
    if !found {
        let r = rest
            .post(
                "/v1/provisioning-rules",
                Some(key),
                json!({
                    "name": "nRF Cloud Onboarding",
                    "description": "Onboarding rule for nRF Cloud",
                    "active": true,
                    "commands": [
                        {"request": {"clientPrivateKeyGeneration": {"secTag": SEC_TAG}},},
                        {"request": {"cloudAccessKeyGeneration": {"secTag": SEC_TAG}},},
                        {"request": {"serverCertificate": {"secTag": SEC_TAG, "content": CA_PEM}},},
                    ],
                    "tags": ["nrf-cloud-onboarding"],
                }),
            )
            .await;
        assert_eq!(
            r.status.as_u16(),
            201,
            "Failed to create nRF Cloud Onboarding provisioning rule: {}",
            r.text
        );
    }
    // --unclaim: 204 or not, the tool continues.
    let unclaim = rest
        .delete(&format!("/v1/claimed-devices/{}", dev.id_text()), Some(key))
        .await;
    assert!(
        matches!(unclaim.status.as_u16(), 204 | 404),
        "{}",
        unclaim.text
    );
    let claim = rest
        .post(
            "/v1/claimed-devices",
            Some(key),
            json!({"claimToken": dev.token(), "tags": ["nrf-cloud-onboarding"]}),
        )
        .await;
    assert_eq!(
        claim.status.as_u16(),
        201,
        "ClaimDeviceOwnership API call failed: {}",
        claim.text
    );
}

#[tokio::test]
async fn onboarding_flow_with_provisioning_tags_twice() {
    let rest = Rest::new();
    let dev = Dev::new(2);
    for run in 0..2 {
        onboarding_run(&rest, OWNER, &dev).await;
        // "It is assumed the provisioning tags complete the process over the air."
        let records = rest.run_device(&dev, None);
        assert_eq!(
            records.len(),
            5,
            "run {run}: the rule's commands are delivered"
        );
        let list = rest
            .get(
                &format!("/v1/claimed-devices/{}/provisioning", dev.id_text()),
                Some(OWNER),
            )
            .await;
        let items = list.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 3);
        assert!(items.iter().all(|c| c["status"] == "SUCCEEDED"));
        let device = rest
            .get(
                &format!("/v1/claimed-devices/{}", dev.id_text()),
                Some(OWNER),
            )
            .await;
        assert!(device.body["cloudAccessKey"].is_string());
    }
    let rules = rest.get("/v1/provisioning-rules", Some(OWNER)).await;
    assert_eq!(
        rules.body["total"], 1,
        "the second run found the rule and made no other"
    );
}
