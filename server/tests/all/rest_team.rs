//! HTTP-level tests of `/v1/team`: members, roles and API keys.

#![allow(clippy::unwrap_used)]

use crate::rest_common;

use rest_common::*;
use serde_json::json;

#[tokio::test]
async fn me_shows_the_caller() {
    let rest = Rest::new();
    let r = rest.get("/v1/team/me", Some(VIEWER)).await;
    r.expect(200);
    assert_eq!(r.body["name"], "vera");
    assert_eq!(r.body["role"], "viewer");
    assert_eq!(r.body["apiKeys"].as_array().unwrap().len(), 1);
    assert!(!r.text.contains(VIEWER), "the key itself is never shown");
    rest.get("/v1/team/me", None).await.expect(401);
}

#[tokio::test]
async fn add_member_returns_a_working_key_once() {
    let rest = Rest::new();
    let r = rest
        .post(
            "/v1/team/members",
            Some(ADMIN),
            json!({"name": "ed", "role": "editor"}),
        )
        .await;
    r.expect(201);
    assert_eq!(r.body["name"], "ed");
    assert_eq!(r.body["role"], "editor");
    let key = r.body["apiKey"].as_str().unwrap().to_owned();
    let key_id = r.body["keyId"].as_str().unwrap().to_owned();
    let me = rest.get("/v1/team/me", Some(&key)).await;
    me.expect(200);
    assert_eq!(me.body["apiKeys"][0]["keyId"], key_id.as_str());
    rest.claim(&key, &Dev::new(1), &[]).await;
    let list = rest.get("/v1/team/members", Some(OWNER)).await;
    list.expect(200);
    assert_eq!(list.body["total"], 6);
    assert!(!list.text.contains(&key));
    let dup = rest
        .post(
            "/v1/team/members",
            Some(OWNER),
            json!({"name": "ed", "role": "viewer"}),
        )
        .await;
    dup.expect(409);
    let bad_role = rest
        .post(
            "/v1/team/members",
            Some(OWNER),
            json!({"name": "x", "role": "root"}),
        )
        .await;
    bad_role.expect(400);
    assert!(
        bad_role.message().contains("unknown variant `root`"),
        "{}",
        bad_role.text
    );
    let bad_name = rest
        .post(
            "/v1/team/members",
            Some(OWNER),
            json!({"name": "a b", "role": "viewer"}),
        )
        .await;
    bad_name.expect(400);
}

#[tokio::test]
async fn only_owners_manage_owners() {
    let rest = Rest::new();
    rest.post(
        "/v1/team/members",
        Some(ADMIN),
        json!({"name": "o2", "role": "owner"}),
    )
    .await
    .expect(403);
    rest.post(
        "/v1/team/members",
        Some(OWNER),
        json!({"name": "o2", "role": "owner"}),
    )
    .await
    .expect(201);
    rest.put(
        "/v1/team/members/adam",
        Some(ADMIN),
        json!({"role": "owner"}),
    )
    .await
    .expect(403);
    rest.put(
        "/v1/team/members/eddie",
        Some(ADMIN),
        json!({"role": "viewer"}),
    )
    .await
    .expect(204);
    let eddie = rest.get("/v1/team/me", Some(EDITOR)).await;
    assert_eq!(eddie.body["role"], "viewer");
    rest.delete("/v1/team/members/o2", Some(ADMIN))
        .await
        .expect(403);
    rest.delete("/v1/team/members/o2", Some(OWNER))
        .await
        .expect(204);
    let last = rest.delete("/v1/team/members/olivia", Some(OWNER)).await;
    last.expect(409);
    assert!(last.message().contains("owner"));
    rest.delete("/v1/team/members/nobody", Some(OWNER))
        .await
        .expect(404);
}

#[tokio::test]
async fn issue_and_revoke_keys() {
    let rest = Rest::new();
    let r = rest
        .post("/v1/team/members/vera/api-keys", Some(VIEWER), json!(null))
        .await;
    r.expect(201);
    let key = r.body["apiKey"].as_str().unwrap().to_owned();
    let key_id = r.body["keyId"].as_str().unwrap().to_owned();
    rest.get("/v1/team/me", Some(&key)).await.expect(200);
    // A viewer may not issue keys for others.
    rest.post("/v1/team/members/eddie/api-keys", Some(VIEWER), json!(null))
        .await
        .expect(403);
    rest.delete(
        &format!("/v1/team/members/vera/api-keys/{key_id}"),
        Some(VIEWER),
    )
    .await
    .expect(204);
    rest.get("/v1/team/me", Some(&key)).await.expect(401);
    rest.get("/v1/team/me", Some(VIEWER)).await.expect(200);
    rest.delete(
        "/v1/team/members/vera/api-keys/0000000000000000",
        Some(OWNER),
    )
    .await
    .expect(404);
    // Removing a member revokes their keys.
    rest.delete("/v1/team/members/vera", Some(ADMIN))
        .await
        .expect(204);
    rest.get("/v1/team/me", Some(VIEWER)).await.expect(401);
}

/// Issue 15, item 1: a generated key must not be recomputable from the seed stored in the
/// database. Two services with the same seed and the same history must hand out different
/// keys, and no key may equal a concatenation of draws of the seeded id stream.
#[tokio::test]
async fn generated_keys_are_not_derivable_from_the_seed() {
    use provlab_server::domain::ids::IdSource;
    let mut keys = Vec::new();
    for _ in 0..2 {
        let rest = Rest::new();
        let added = rest
            .post(
                "/v1/team/members",
                Some(OWNER),
                json!({"name": "ed", "role": "editor"}),
            )
            .await;
        added.expect(201);
        let issued = rest
            .post("/v1/team/members/ed/api-keys", Some(OWNER), json!({}))
            .await;
        issued.expect(201);
        keys.push(added.body["apiKey"].as_str().unwrap().to_owned());
        keys.push(issued.body["apiKey"].as_str().unwrap().to_owned());
    }
    assert_ne!(keys[0], keys[2], "same seed, same history, same key");
    assert_ne!(keys[1], keys[3], "same seed, same history, same key");
    // What an attacker who read the seed (7, see `Rest::new`) computes.
    let ids = IdSource::new(7);
    for n in 0..256u64 {
        let mut candidate = hex::encode(ids.bytes(n));
        candidate.push_str(&hex::encode(ids.bytes(n + 1)));
        for key in &keys {
            assert!(
                !key.contains(&candidate),
                "key {key} is draw {n} of the seed"
            );
        }
    }
    for key in &keys {
        // At least 128 bits: 32 hex digits or more after any prefix.
        let digits = key.chars().filter(char::is_ascii_hexdigit).count();
        assert!(digits >= 32, "{key}");
    }
}

/// Issue 15, item 3: a member added under a removed member's name is someone else: the
/// removed admin's device stays out of the new editor's reach.
#[tokio::test]
async fn a_reused_name_does_not_inherit_devices() {
    let rest = Rest::new();
    let dev = Dev::new(1);
    rest.claim(ADMIN, &dev, &[]).await;
    rest.delete("/v1/team/members/adam", Some(OWNER))
        .await
        .expect(204);
    let added = rest
        .post(
            "/v1/team/members",
            Some(OWNER),
            json!({"name": "adam", "role": "editor"}),
        )
        .await;
    added.expect(201);
    let key = added.body["apiKey"].as_str().unwrap().to_owned();
    let path = format!("/v1/claimed-devices/{}", dev.id_text());
    let read = rest.get(&path, Some(&key)).await;
    assert_eq!(read.status.as_u16(), 403, "{}", read.text);
    let list = rest.get("/v1/claimed-devices", Some(&key)).await;
    list.expect(200);
    assert!(!list.text.contains(&dev.id_text()), "{}", list.text);
    let command = rest
        .post(
            &format!("{path}/provisioning"),
            Some(&key),
            json!({"description": "x", "request": {"finished": {}}}),
        )
        .await;
    assert_eq!(command.status.as_u16(), 403, "{}", command.text);
    let unclaim = rest.delete(&path, Some(&key)).await;
    assert_eq!(unclaim.status.as_u16(), 403, "{}", unclaim.text);
    // The owner still sees it, claimed by the removed adam.
    rest.get(&path, Some(OWNER)).await.expect(200);
}

/// Issue 15, item 4: the team's last owner key cannot be revoked (the team would be locked
/// out for good); a second owner with a key makes it possible.
#[tokio::test]
async fn the_last_owner_key_cannot_be_revoked() {
    let rest = Rest::new();
    let me = rest.get("/v1/team/me", Some(OWNER)).await;
    me.expect(200);
    let key_id = me.body["apiKeys"][0]["keyId"].as_str().unwrap().to_owned();
    let path = format!("/v1/team/members/olivia/api-keys/{key_id}");
    let r = rest.delete(&path, Some(OWNER)).await;
    r.expect(409);
    assert!(r.message().contains("owner"), "{}", r.text);
    rest.get("/v1/team/me", Some(OWNER)).await.expect(200);
    // A second owner whose only key is revoked: olivia still holds one, so it is allowed,
    // but then olivia's own last key is the team's last and stays.
    let added = rest
        .post(
            "/v1/team/members",
            Some(OWNER),
            json!({"name": "otto", "role": "owner"}),
        )
        .await;
    added.expect(201);
    let otto_key_id = added.body["keyId"].as_str().unwrap().to_owned();
    rest.delete(
        &format!("/v1/team/members/otto/api-keys/{otto_key_id}"),
        Some(OWNER),
    )
    .await
    .expect(204);
    rest.delete(&path, Some(OWNER)).await.expect(409);
    // Nor may the last owner with a key leave while the other owner has none.
    rest.delete("/v1/team/members/olivia", Some(OWNER))
        .await
        .expect(409);
}
