//! `provlab serve` orchestration through [`Server`]: port-0 binding, owner key handling,
//! restart on the same database, the device listeners, graceful shutdown; requests over real
//! loopback sockets.

#![allow(clippy::unwrap_used)]

use crate::rest_common;

use std::net::SocketAddr;

use provlab_server::serve::{ServeConfig, ServeError, Server};
use rest_common::*;
use serde_json::json;
use tokio::sync::oneshot;

fn any_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

fn config(db: Option<std::path::PathBuf>, owner_key: Option<&str>) -> ServeConfig {
    ServeConfig {
        db,
        rest: any_port(),
        https: None,
        coap: None,
        owner_key: owner_key.map(str::to_owned),
        ..ServeConfig::default()
    }
}

/// Runs `server` in the background; the sender stops it.
fn spawn(
    server: Server,
) -> (
    oneshot::Sender<()>,
    tokio::task::JoinHandle<Result<(), ServeError>>,
) {
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async move {
        let _ = rx.await;
    }));
    (tx, task)
}

#[tokio::test]
async fn first_start_generates_an_owner_key_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("svc.db");
    let server = Server::start(&config(Some(db.clone()), None))
        .await
        .unwrap();
    let key = server.bound().generated_owner_key.clone().unwrap();
    assert!(key.starts_with("provlab-") && key.len() > 40);
    let addr = server.bound().rest;
    assert_ne!(addr.port(), 0);
    let (stop, task) = spawn(server);
    let (status, body, _) = http(addr, "GET", "/v1/team/me", Some(&key), None, b"").await;
    assert_eq!(status, 200);
    assert_eq!(body["role"], "owner");
    stop.send(()).unwrap();
    tokio::time::timeout(STEP, task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();

    // Second start on the same file: no new key, the old one still works.
    let server = Server::start(&config(Some(db.clone()), None))
        .await
        .unwrap();
    assert_eq!(server.bound().generated_owner_key, None);
    let addr = server.bound().rest;
    let (stop, task) = spawn(server);
    let (status, _, _) = http(addr, "GET", "/v1/team/me", Some(&key), None, b"").await;
    assert_eq!(status, 200);
    stop.send(()).unwrap();
    tokio::time::timeout(STEP, task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();

    // A different --owner-key does not fit this database.
    let err = Server::start(&config(Some(db), Some("some-other-owner-key")))
        .await
        .unwrap_err();
    assert!(matches!(err, ServeError::OwnerKey(_)), "{err}");
}

#[tokio::test]
async fn owner_key_option_sets_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("svc.db");
    let k = "ci-owner-key-000000001";
    for _ in 0..2 {
        let server = Server::start(&config(Some(db.clone()), Some(k)))
            .await
            .unwrap();
        assert_eq!(server.bound().generated_owner_key, None);
        let addr = server.bound().rest;
        let (stop, task) = spawn(server);
        let (status, body, _) = http(addr, "GET", "/v1/team/me", Some(k), None, b"").await;
        assert_eq!((status, body["name"].as_str()), (200, Some("owner")));
        stop.send(()).unwrap();
        tokio::time::timeout(STEP, task)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
    }
    let err = Server::start(&config(None, Some("short")))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("16 to 128"), "{err}");
}

#[tokio::test]
async fn state_persists_across_restarts_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("svc.db");
    let k = "ci-owner-key-000000002";
    let dev = Dev::new(4);
    let command_id;
    {
        let server = Server::start(&config(Some(db.clone()), Some(k)))
            .await
            .unwrap();
        let addr = server.bound().rest;
        let (stop, task) = spawn(server);
        let claim =
            serde_json::to_vec(&json!({"claimToken": dev.token(), "tags": ["lab"]})).unwrap();
        let (status, _, text) = http(
            addr,
            "POST",
            "/v1/claimed-devices",
            Some(k),
            Some("application/json"),
            &claim,
        )
        .await;
        assert_eq!(status, 201, "{text}");
        let add = serde_json::to_vec(&json!({"request": {"finished": {}}})).unwrap();
        let path = format!("/v1/claimed-devices/{}/provisioning", dev.id_text());
        let (status, body, _) =
            http(addr, "POST", &path, Some(k), Some("application/json"), &add).await;
        assert_eq!(status, 201);
        command_id = body["id"].as_str().unwrap().to_owned();
        stop.send(()).unwrap();
        tokio::time::timeout(STEP, task)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
    }
    let server = Server::start(&config(Some(db), Some(k))).await.unwrap();
    let addr = server.bound().rest;
    let (stop, task) = spawn(server);
    let path = format!(
        "/v1/claimed-devices/{}/provisioning/{command_id}",
        dev.id_text()
    );
    let (status, body, _) = http(addr, "GET", &path, Some(k), None, b"").await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "PENDING");
    let (_, device, _) = http(
        addr,
        "GET",
        &format!("/v1/claimed-devices/{}", dev.id_text()),
        Some(k),
        None,
        b"",
    )
    .await;
    assert_eq!(device["tags"], json!(["lab"]));
    stop.send(()).unwrap();
    tokio::time::timeout(STEP, task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn device_listeners_start_with_the_lab_pki() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(None, Some("ci-owner-key-000000003"));
    cfg.https = Some(any_port());
    cfg.coap = Some(any_port());
    cfg.pki = Some(dir.path().join("pki"));
    let server = Server::start(&cfg).await.unwrap();
    let bound = server.bound().clone();
    let https = bound.https.unwrap();
    assert_ne!(https.port(), 0);
    assert_ne!(bound.coap.unwrap().port(), 0);
    assert!(dir.path().join("pki/root-ca.pem").exists());
    let (stop, task) = spawn(server);
    // The HTTPS port accepts TCP connections (the TLS and device protocol are tested with
    // the device endpoints).
    tokio::time::timeout(STEP, tokio::net::TcpStream::connect(https))
        .await
        .unwrap()
        .unwrap();
    stop.send(()).unwrap();
    tokio::time::timeout(STEP, task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn a_busy_port_is_a_clear_error() {
    let taken = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut cfg = config(None, Some("ci-owner-key-000000004"));
    cfg.rest = taken.local_addr().unwrap();
    let err = Server::start(&cfg).await.unwrap_err();
    assert!(
        matches!(err, ServeError::Bind { what: "REST", .. }),
        "{err}"
    );
    assert!(err.to_string().contains(&cfg.rest.to_string()));
}

#[tokio::test]
async fn a_bad_registry_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let registry = dir.path().join("registry.json");
    std::fs::write(
        &registry,
        "{\"format\": \"something else\", \"version\": 1, \"devices\": []}",
    )
    .unwrap();
    let mut cfg = config(None, Some("ci-owner-key-000000005"));
    cfg.registry = Some(registry);
    let err = Server::start(&cfg).await.unwrap_err();
    assert!(err.to_string().contains("registry.json"), "{err}");
    cfg.registry = Some(dir.path().join("missing.json"));
    let err = Server::start(&cfg).await.unwrap_err();
    assert!(err.to_string().contains("missing.json"), "{err}");
}

/// Issue 15, item 4: the offline recovery. `reset_owner_key` replaces the owner's keys with
/// the given one, where a plain restart with an unknown `--owner-key` is refused.
#[tokio::test]
async fn reset_owner_key_recovers_the_team_offline() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("svc.db");
    let old = "old-owner-key-00000001";
    let new = "new-owner-key-00000002";
    drop(
        Server::start(&config(Some(db.clone()), Some(old)))
            .await
            .unwrap(),
    );
    let err = Server::start(&config(Some(db.clone()), Some(new)))
        .await
        .unwrap_err();
    assert!(matches!(err, ServeError::OwnerKey(_)), "{err}");
    let mut reset = config(Some(db.clone()), Some(new));
    reset.reset_owner_key = true;
    let server = Server::start(&reset).await.unwrap();
    let addr = server.bound().rest;
    let (stop, task) = spawn(server);
    let (status, body, _) = http(addr, "GET", "/v1/team/me", Some(new), None, b"").await;
    assert_eq!(
        (status, body["role"].as_str()),
        (200, Some("owner")),
        "{body}"
    );
    assert_eq!(body["apiKeys"].as_array().unwrap().len(), 1, "{body}");
    let (status, _, _) = http(addr, "GET", "/v1/team/me", Some(old), None, b"").await;
    assert_eq!(status, 401, "the old key is revoked");
    stop.send(()).unwrap();
    tokio::time::timeout(STEP, task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    // Then a normal restart with the new key works.
    drop(Server::start(&config(Some(db), Some(new))).await.unwrap());
}

/// Issue 15, item 8: a generated owner key goes to a file only its owner reads, next to the
/// database, and the start-up output (the container's log) names the file, not the key.
#[tokio::test]
async fn a_generated_owner_key_is_written_to_a_private_file_not_printed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("svc.db");
    let server = Server::start(&config(Some(db.clone()), None))
        .await
        .unwrap();
    let key = server.bound().generated_owner_key.clone().unwrap();
    let file = dir.path().join("svc.db.owner-key");
    assert_eq!(
        server.bound().owner_key_file.as_deref(),
        Some(file.as_path())
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap().trim(), key);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let mut out = Vec::new();
    provlab_server::serve::write_bound(&mut out, server.bound()).unwrap();
    let out = String::from_utf8(out).unwrap();
    assert!(!out.contains(&key), "{out}");
    assert!(out.contains(&file.display().to_string()), "{out}");
    // The file is how a later start (or a script) gets the key.
    drop(server);
    let read = provlab_server::serve::read_key_file(&file).unwrap();
    assert_eq!(read, key);
    drop(Server::start(&config(Some(db), Some(&read))).await.unwrap());
}
