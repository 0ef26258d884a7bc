//! `GET /v1/health`, the liveness probe of the container health check: no authentication,
//! 200 `{"status":"ok"}` through the router and over a real loopback listener started by
//! `provlab serve`'s [`Server`]; other methods get the JSON 405.

#![allow(clippy::unwrap_used)]

use crate::rest_common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::http::Method;
use provlab_server::rest::health::HEALTH_PATH;
use provlab_server::serve::{ServeConfig, Server};
use rest_common::*;
use serde_json::json;
use tokio::sync::oneshot;

#[tokio::test]
async fn health_answers_ok_without_a_key() {
    let rest = Rest::new();
    let r = rest.get(HEALTH_PATH, None).await;
    r.expect(200);
    assert_eq!(r.body, json!({"status": "ok"}));
    assert_eq!(
        r.headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
}

#[tokio::test]
async fn health_ignores_a_key_even_an_unknown_one() {
    let rest = Rest::new();
    rest.get(HEALTH_PATH, Some(OWNER)).await.expect(200);
    let r = rest.get(HEALTH_PATH, Some("not-a-key-of-this-team")).await;
    r.expect(200);
    assert_eq!(r.body["status"], "ok");
}

#[tokio::test]
async fn health_refuses_other_methods_with_a_json_message() {
    let rest = Rest::new();
    let r = rest
        .raw(Method::POST, HEALTH_PATH, None, None, Body::empty())
        .await;
    r.expect(405);
    assert!(r.message().contains("not allowed"), "{}", r.text);
}

#[tokio::test]
async fn health_answers_on_a_real_listener() {
    let config = ServeConfig {
        rest: SocketAddr::from(([127, 0, 0, 1], 0)),
        https: None,
        coap: None,
        owner_key: Some("health-owner-key-0001".into()),
        ..ServeConfig::default()
    };
    let server = Server::start(&config).await.unwrap();
    let addr = server.bound().rest;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));
    let (status, body, _) = http(addr, "GET", HEALTH_PATH, None, None, b"").await;
    assert_eq!((status, body), (200, json!({"status": "ok"})));
    stop.send(()).unwrap();
    tokio::time::timeout(STEP, task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}
