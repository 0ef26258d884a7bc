//! The role matrix: every endpoint called with no key and as viewer, editor, admin and owner,
//! on a device claimed by an editor and on one claimed by an admin (service.md, "Team members
//! and roles": admin-claimed devices are invisible to editors and viewers; only admins and
//! owners manage rules and members; viewers only read).

#![allow(clippy::unwrap_used)]

use crate::rest_common;

use axum::http::Method;
use rest_common::*;
use serde_json::{json, Value};

/// The ids of the fixture's resources.
struct Ids {
    editor_dev: String,
    admin_dev: String,
    editor_cmd: String,
    admin_cmd: String,
    rule: String,
}

/// A fresh service with: device E claimed by editor `erin` and device A by admin `adam`,
/// each with one FAILED command; a draft rule.
async fn fixture() -> (Rest, Ids) {
    let rest = Rest::new();
    let (e, a) = (Dev::new(1), Dev::new(2));
    rest.claim(EDITOR2, &e, &["lab"]).await;
    rest.claim(ADMIN, &a, &["lab"]).await;
    let at = json!({"atCommand": {"setCommand": "+CFUN", "parameters": "4"}});
    let editor_cmd = rest.add(EDITOR2, &e, at.clone()).await;
    let admin_cmd = rest.add(ADMIN, &a, at).await;
    rest.run_device(&e, Some((0, 518)));
    rest.run_device(&a, Some((0, 518)));
    let rule = rest
        .post(
            "/v1/provisioning-rules",
            Some(OWNER),
            json!({"name": "r", "commands": [{"request": {"finished": {}}}], "tags": ["lab"]}),
        )
        .await;
    rule.expect(201);
    let ids = Ids {
        editor_dev: e.id_text(),
        admin_dev: a.id_text(),
        editor_cmd,
        admin_cmd,
        rule: rule.body["id"].as_str().unwrap().to_owned(),
    };
    (rest, ids)
}

/// Callers, in the order of each case's expectations.
const CALLERS: [(&str, Option<&str>); 5] = [
    ("nobody", None),
    ("viewer", Some(VIEWER)),
    ("editor", Some(EDITOR)),
    ("admin", Some(ADMIN)),
    ("owner", Some(OWNER)),
];

struct Case {
    method: Method,
    path: String,
    body: Value,
    expect: [u16; 5],
}

fn case(method: Method, path: String, body: Value, expect: [u16; 5]) -> Case {
    Case {
        method,
        path,
        body,
        expect,
    }
}

fn cases(ids: &Ids) -> Vec<Case> {
    let (e, a) = (&ids.editor_dev, &ids.admin_dev);
    let dev = |d: &str| format!("/v1/claimed-devices/{d}");
    let cmds = |d: &str| format!("/v1/claimed-devices/{d}/provisioning");
    let rule = format!("/v1/provisioning-rules/{}", ids.rule);
    let finished = json!({"request": {"finished": {}}});
    let at = json!({"request": {"atCommand": {"setCommand": "+CEREG", "parameters": "5"}}});
    let new_claim = json!({"claimToken": Dev::new(9).token()});
    let rule_body =
        json!({"name": "r2", "commands": [{"request": {"finished": {}}}], "tags": ["x"]});
    let all_read = [401, 200, 200, 200, 200];
    let hidden_read = [401, 403, 403, 200, 200];
    let edit = |ok: u16| [401, 403, ok, ok, ok];
    let hidden_edit = |ok: u16| [401, 403, 403, ok, ok];
    let admin_only = |ok: u16| [401, 403, 403, ok, ok];
    vec![
        case(
            Method::GET,
            "/v1/claimed-devices".into(),
            Value::Null,
            all_read,
        ),
        case(
            Method::POST,
            "/v1/claimed-devices".into(),
            new_claim.clone(),
            edit(201),
        ),
        case(
            Method::POST,
            "/v1/claimed-devices?dryrun=true".into(),
            new_claim,
            edit(202),
        ),
        case(Method::GET, dev(e), Value::Null, all_read),
        case(Method::GET, dev(a), Value::Null, hidden_read),
        case(Method::DELETE, dev(e), Value::Null, edit(204)),
        case(Method::DELETE, dev(a), Value::Null, hidden_edit(204)),
        case(
            Method::PUT,
            format!("{}/tags", dev(e)),
            json!({"tags": ["t"]}),
            edit(204),
        ),
        case(
            Method::PUT,
            format!("{}/tags", dev(a)),
            json!({"tags": ["t"]}),
            hidden_edit(204),
        ),
        case(
            Method::POST,
            format!("{}/block", dev(e)),
            Value::Null,
            edit(204),
        ),
        case(
            Method::POST,
            format!("{}/block", dev(a)),
            Value::Null,
            hidden_edit(204),
        ),
        case(
            Method::POST,
            format!("{}/unblock", dev(e)),
            Value::Null,
            edit(204),
        ),
        case(
            Method::POST,
            format!("{}/unblock", dev(a)),
            Value::Null,
            hidden_edit(204),
        ),
        case(Method::POST, cmds(e), finished.clone(), edit(201)),
        case(Method::POST, cmds(a), finished, hidden_edit(201)),
        case(Method::GET, cmds(e), Value::Null, all_read),
        case(Method::GET, cmds(a), Value::Null, hidden_read),
        case(
            Method::GET,
            format!("{}/{}", cmds(e), ids.editor_cmd),
            Value::Null,
            all_read,
        ),
        case(
            Method::GET,
            format!("{}/{}", cmds(a), ids.admin_cmd),
            Value::Null,
            hidden_read,
        ),
        case(
            Method::PUT,
            format!("{}/{}", cmds(e), ids.editor_cmd),
            at.clone(),
            edit(204),
        ),
        case(
            Method::PUT,
            format!("{}/{}", cmds(a), ids.admin_cmd),
            at,
            hidden_edit(204),
        ),
        case(
            Method::POST,
            format!("{}/{}/retry", cmds(e), ids.editor_cmd),
            Value::Null,
            edit(204),
        ),
        case(
            Method::POST,
            format!("{}/{}/retry", cmds(a), ids.admin_cmd),
            Value::Null,
            hidden_edit(204),
        ),
        case(
            Method::POST,
            format!("{}/{}/skip", cmds(e), ids.editor_cmd),
            Value::Null,
            edit(204),
        ),
        case(
            Method::POST,
            format!("{}/{}/skip", cmds(a), ids.admin_cmd),
            Value::Null,
            hidden_edit(204),
        ),
        case(
            Method::GET,
            "/v1/provisioning/tags".into(),
            Value::Null,
            all_read,
        ),
        case(
            Method::POST,
            "/v1/provisioning/tags".into(),
            json!({"tag": "new"}),
            edit(201),
        ),
        case(
            Method::GET,
            "/v1/provisioning-rules".into(),
            Value::Null,
            edit(200),
        ),
        case(
            Method::POST,
            "/v1/provisioning-rules".into(),
            rule_body.clone(),
            admin_only(201),
        ),
        case(Method::GET, rule.clone(), Value::Null, edit(200)),
        case(Method::PUT, rule.clone(), rule_body, admin_only(200)),
        case(
            Method::POST,
            format!("{rule}/activate"),
            Value::Null,
            admin_only(200),
        ),
        case(Method::GET, "/v1/team/me".into(), Value::Null, all_read),
        case(
            Method::GET,
            "/v1/team/members".into(),
            Value::Null,
            admin_only(200),
        ),
        case(
            Method::POST,
            "/v1/team/members".into(),
            json!({"name": "new", "role": "editor"}),
            admin_only(201),
        ),
        case(
            Method::POST,
            "/v1/team/members".into(),
            json!({"name": "new", "role": "owner"}),
            [401, 403, 403, 403, 201],
        ),
        case(
            Method::PUT,
            "/v1/team/members/erin".into(),
            json!({"role": "viewer"}),
            admin_only(204),
        ),
        case(
            Method::DELETE,
            "/v1/team/members/erin".into(),
            Value::Null,
            admin_only(204),
        ),
        case(
            Method::POST,
            "/v1/team/members/erin/api-keys".into(),
            Value::Null,
            admin_only(201),
        ),
        case(
            Method::GET,
            "/v1/openapi.json".into(),
            Value::Null,
            [200; 5],
        ),
    ]
}

#[tokio::test]
async fn role_matrix() {
    let (_, ids) = fixture().await;
    let mut failures = Vec::new();
    let all = cases(&ids);
    for case in &all {
        for ((who, key), expected) in CALLERS.iter().zip(case.expect) {
            // A fresh service per call: the fixture is deterministic (seeded ids, hand-set
            // clock), so the ids are the same.
            let (rest, fresh) = fixture().await;
            assert_eq!(fresh.editor_cmd, ids.editor_cmd);
            assert_eq!(fresh.rule, ids.rule);
            let before = rest.state();
            let r = if case.body.is_null() {
                rest.raw(
                    case.method.clone(),
                    &case.path,
                    *key,
                    None,
                    axum::body::Body::empty(),
                )
                .await
            } else {
                rest.json(case.method.clone(), &case.path, *key, case.body.clone())
                    .await
            };
            if r.status.as_u16() != expected {
                failures.push(format!(
                    "{} {} as {who}: expected {expected}, got {} {}",
                    case.method, case.path, r.status, r.text
                ));
                continue;
            }
            if r.status.is_client_error() {
                assert!(!r.message().is_empty());
                assert_eq!(rest.state(), before, "a refused call changed the state");
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    println!(
        "role matrix: {} endpoints x {} callers",
        all.len(),
        CALLERS.len()
    );
}

#[tokio::test]
async fn editors_and_viewers_do_not_see_admin_devices_in_lists() {
    let (rest, ids) = fixture().await;
    for (key, expected) in [(VIEWER, 1), (EDITOR, 1), (ADMIN, 2), (OWNER, 2)] {
        let r = rest.get("/v1/claimed-devices", Some(key)).await;
        assert_eq!(r.body["total"], expected);
        let listed: Vec<&str> = r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_str().unwrap())
            .collect();
        assert!(listed.contains(&ids.editor_dev.as_str()));
        assert_eq!(listed.contains(&ids.admin_dev.as_str()), expected == 2);
    }
}
