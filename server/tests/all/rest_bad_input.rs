//! Bad input: malformed JSON, wrong types, unknown fields and command types, wrong content
//! types, oversize bodies, unknown routes and methods. Each gets the right 4xx with a
//! `{"message"}` naming the problem; the state is unchanged and the next good request works.

#![allow(clippy::unwrap_used)]

use crate::rest_common;

use axum::body::Body;
use axum::http::Method;
use rest_common::*;
use serde_json::json;

/// Sends `body` as the command of device 1; asserts `status`, a message containing
/// `needle`, no state change, and that a good request still works.
async fn bad_command(
    rest: &Rest,
    dev: &Dev,
    content_type: Option<&str>,
    body: Vec<u8>,
    status: u16,
    needle: &str,
) {
    let path = format!("/v1/claimed-devices/{}/provisioning", dev.id_text());
    let before = rest.state();
    let r = rest
        .raw(Method::POST, &path, Some(OWNER), content_type, body)
        .await;
    assert_eq!(r.status.as_u16(), status, "{needle}: {}", r.text);
    assert_eq!(
        r.headers.get("content-type").unwrap(),
        "application/json",
        "{needle}"
    );
    assert!(
        r.message().contains(needle),
        "expected {needle:?} in {:?}",
        r.message()
    );
    assert_eq!(rest.state(), before, "{needle}: the state changed");
    rest.get(&path, Some(OWNER)).await.expect(200);
}

#[tokio::test]
async fn malformed_and_mistyped_command_bodies() {
    let rest = Rest::new();
    let dev = Dev::new(1);
    rest.claim(OWNER, &dev, &[]).await;
    let j = |v: serde_json::Value| serde_json::to_vec(&v).unwrap();
    let ct = Some("application/json");
    let cases: Vec<(Option<&str>, Vec<u8>, u16, &str)> = vec![
        (ct, b"{\"request\": ".to_vec(), 400, "parse"),
        (ct, b"not json".to_vec(), 400, "parse"),
        (ct, Vec::new(), 400, "empty"),
        (ct, j(json!([1, 2])), 400, "invalid type"),
        (
            ct,
            j(json!({"description": "x"})),
            400,
            "missing field `request`",
        ),
        (
            ct,
            j(json!({"request": {"reboot": {}}})),
            400,
            "unknown variant `reboot`",
        ),
        (ct, j(json!({"request": "finished"})), 400, "request"),
        (
            ct,
            j(json!({"request": {"finished": {}}, "extra": 1})),
            400,
            "unknown field `extra`",
        ),
        (
            ct,
            j(json!({"request": {"clientCertificate": {"secTag": "one", "content": "x"}}})),
            400,
            "request.clientCertificate.secTag",
        ),
        (
            ct,
            j(json!({"request": {"clientCertificate": {"secTag": -1, "content": "x"}}})),
            400,
            "secTag",
        ),
        (
            ct,
            j(json!({"request": {"clientCertificate": {"secTag": 1}}})),
            400,
            "missing field `content`",
        ),
        (
            ct,
            j(json!({"request": {"clientCertificate": {"secTag": 1, "content": "a\"b"}}})),
            400,
            "request.clientCertificate.content",
        ),
        (
            ct,
            j(json!({"request": {"certificateSigningRequest": {"secTag": 1, "keyUsage": "xyz"}}})),
            400,
            "keyUsage",
        ),
        (
            ct,
            j(json!({"request": {"config": {"properties": {}}}})),
            400,
            "properties",
        ),
        (
            ct,
            j(json!({"request": {"config": {"properties": {"a": 1}}}})),
            400,
            "properties",
        ),
        (
            ct,
            j(json!({"request": {"atCommand": {"setCommand": "+CFUN=1"}}})),
            400,
            "setCommand",
        ),
        (
            ct,
            j(json!({"request": {"atCommand": {"setCommand": "+CFUN", "ignoreCmeErrors": ["x"]}}})),
            400,
            "ignoreCmeErrors",
        ),
        (
            ct,
            j(json!({"request": {"finished": {"now": true}}})),
            400,
            "unknown field `now`",
        ),
        (
            ct,
            j(json!({"description": 5, "request": {"finished": {}}})),
            400,
            "description",
        ),
        (
            ct,
            j(json!({"description": "d".repeat(2000), "request": {"finished": {}}})),
            400,
            "description",
        ),
        (
            Some("text/plain"),
            j(json!({"request": {"finished": {}}})),
            415,
            "Content-Type",
        ),
        (
            Some("application/x-www-form-urlencoded"),
            b"a=b".to_vec(),
            415,
            "application/json",
        ),
    ];
    for (content_type, body, status, needle) in cases {
        bad_command(&rest, &dev, content_type, body, status, needle).await;
    }
}

#[tokio::test]
async fn two_command_types_in_one_request() {
    let rest = Rest::new();
    let dev = Dev::new(1);
    rest.claim(OWNER, &dev, &[]).await;
    let body = serde_json::to_vec(
        &json!({"request": {"finished": {}, "config": {"properties": {"a": "b"}}}}),
    )
    .unwrap();
    bad_command(
        &rest,
        &dev,
        Some("application/json"),
        body,
        400,
        "more than one command type",
    )
    .await;
    let body = serde_json::to_vec(&json!({"request": {}})).unwrap();
    bad_command(
        &rest,
        &dev,
        Some("application/json"),
        body,
        400,
        "the request object is empty",
    )
    .await;
}

#[tokio::test]
async fn oversize_bodies_are_413() {
    let rest = Rest::new();
    let dev = Dev::new(1);
    rest.claim(OWNER, &dev, &[]).await;
    let pem = "A".repeat(provlab_server::rest::MAX_BODY_BYTES + 10);
    let body = serde_json::to_vec(
        &json!({"request": {"clientCertificate": {"secTag": 1, "content": pem}}}),
    )
    .unwrap();
    bad_command(
        &rest,
        &dev,
        Some("application/json"),
        body,
        413,
        "larger than",
    )
    .await;
    let before = rest.state();
    let csv = "x".repeat(provlab_server::rest::MAX_BODY_BYTES + 1);
    let r = rest
        .raw(
            Method::POST,
            "/v1/claimed-devices",
            Some(OWNER),
            Some("text/csv"),
            csv,
        )
        .await;
    r.expect(413);
    assert!(r.message().contains("larger than"));
    assert_eq!(rest.state(), before);
}

#[tokio::test]
async fn bad_claim_bodies() {
    let rest = Rest::new();
    let before = rest.state();
    let cases = [
        (json!({"claimToken": 5}), "claimToken"),
        (json!({"claimToken": "x", "tags": "lab"}), "tags"),
        (json!({"tags": []}), "missing field `claimToken`"),
        (
            json!({"claimToken": "x", "owner": "me"}),
            "unknown field `owner`",
        ),
    ];
    for (body, needle) in cases {
        let r = rest.post("/v1/claimed-devices", Some(OWNER), body).await;
        r.expect(400);
        assert!(r.message().contains(needle), "{needle}: {}", r.text);
    }
    let r = rest
        .raw(
            Method::POST,
            "/v1/claimed-devices",
            Some(OWNER),
            Some("text/csv"),
            vec![0xff, 0xfe, 0x00],
        )
        .await;
    r.expect(400);
    assert!(r.message().contains("UTF-8"));
    assert_eq!(rest.state(), before);
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let rest = Rest::new();
    let r = rest.get("/v1/nothing-here", Some(OWNER)).await;
    r.expect(404);
    assert!(r.message().contains("no such endpoint"));
    let r = rest.get("/", None).await;
    r.expect(404);
    let r = rest
        .raw(
            Method::PATCH,
            "/v1/claimed-devices",
            Some(OWNER),
            None,
            Body::empty(),
        )
        .await;
    r.expect(405);
    assert!(r.message().contains("PATCH"));
    assert!(r.headers.get("allow").is_some());
    let r = rest
        .raw(
            Method::DELETE,
            "/v1/provisioning/tags",
            Some(OWNER),
            None,
            Body::empty(),
        )
        .await;
    r.expect(405);
}

#[tokio::test]
async fn a_real_socket_survives_garbage() {
    let rest = Rest::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = rest.router.clone();
    let server = tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    // Not HTTP at all.
    {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(b"\x00\x01\x02 garbage\r\n\r\n").await.unwrap();
        let mut buf = Vec::new();
        let _ = tokio::time::timeout(STEP, s.read_to_end(&mut buf))
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&buf);
        assert!(text.is_empty() || text.starts_with("HTTP/1.1 4"), "{text}");
    }
    // A body larger than the limit.
    let big = vec![b'x'; provlab_server::rest::MAX_BODY_BYTES + 100];
    let (status, body, _) = http(
        addr,
        "POST",
        "/v1/claimed-devices",
        Some(OWNER),
        Some("text/csv"),
        &big,
    )
    .await;
    assert_eq!(status, 413);
    assert!(body["message"].as_str().unwrap().contains("larger than"));
    let (status, body, _) = http(
        addr,
        "POST",
        "/v1/claimed-devices",
        Some(OWNER),
        Some("application/json"),
        b"{",
    )
    .await;
    assert_eq!(status, 400);
    assert!(body["message"].is_string());
    // Still serving.
    let token = Dev::new(1).token();
    let claim = serde_json::to_vec(&json!({"claimToken": token})).unwrap();
    let (status, body, _) = http(
        addr,
        "POST",
        "/v1/claimed-devices",
        Some(OWNER),
        Some("application/json"),
        &claim,
    )
    .await;
    assert_eq!(status, 201, "{body}");
    server.abort();
}
