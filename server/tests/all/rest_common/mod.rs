//! Shared fixtures of the REST tests: an [`App`] with a fixed team and a hand-set clock, the
//! router, and helpers that send one HTTP request through it (`tower::ServiceExt::oneshot`)
//! or over a real loopback socket.

#![allow(dead_code, clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt as _;
use p256::ecdsa::SigningKey;
use provlab_proto::records::{Command, Response};
use provlab_proto::tokens::{
    Attestation, AttestationToken, DeviceType, KeygenOutput, KeygenRequest, Uuid,
};
use provlab_server::app::{App, ManualClock};
use provlab_server::domain::service::{Fetch, FetchRequest, ResponsesReport};
use provlab_server::domain::{DeviceId, Role, ServiceConfig, Timestamp};
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tower::ServiceExt as _;

/// API keys of the fixture team.
pub const OWNER: &str = "owner-key-0000000000";
pub const ADMIN: &str = "admin-key-0000000000";
pub const EDITOR: &str = "editor-key-000000000";
pub const EDITOR2: &str = "editor2-key-00000000";
pub const VIEWER: &str = "viewer-key-000000000";

/// 2024-05-01T12:00:00Z.
pub const T0: u64 = 1_714_564_800_000;

/// Bound on every socket operation of the tests.
pub const STEP: Duration = Duration::from_secs(10);

/// A simulated device: identity key and UUID from a fixed seed.
#[derive(Clone)]
pub struct Dev {
    pub key: SigningKey,
    pub uuid: Uuid,
}

impl Dev {
    pub fn new(n: u8) -> Self {
        let mut seed = [0x5au8; 32];
        seed[0] = n.wrapping_add(1);
        let key = SigningKey::from_slice(&seed).unwrap();
        let mut uuid = [0u8; 16];
        uuid[0] = 0xd0;
        uuid[15] = n;
        uuid[6] = 0x40;
        uuid[8] = 0x80;
        Self {
            key,
            uuid: Uuid::from_bytes(uuid),
        }
    }

    pub fn id(&self) -> DeviceId {
        DeviceId(self.uuid)
    }

    pub fn id_text(&self) -> String {
        self.uuid.to_string()
    }

    /// The `%ATTESTTOKEN` answer.
    pub fn token(&self) -> String {
        AttestationToken::sign(
            Attestation {
                device_uuid: self.uuid,
                device_type: DeviceType::Nrf9160Sica,
                modem_fw_uuid: Uuid::from_bytes([0xf0; 16]),
                nonce: [7; 16],
            },
            &self.key,
        )
        .encode()
    }
}

/// A response: status, headers and the body as JSON (`Null` when empty) and text.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Resp {
    /// The `message` of an error body (panics when there is none: every error has one).
    pub fn message(&self) -> String {
        self.body["message"]
            .as_str()
            .unwrap_or_else(|| panic!("no message in {} {:?}", self.status, self.text))
            .to_owned()
    }

    /// Asserts the status, printing the body on failure.
    pub fn expect(&self, status: u16) -> &Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text
        );
        self
    }
}

/// The app, its clock and its router.
pub struct Rest {
    pub app: Arc<App>,
    pub clock: Arc<ManualClock>,
    pub router: Router,
}

impl Rest {
    /// A service with owner `olivia`, admin `adam`, editors `eddie` and `erin`, viewer
    /// `vera`, no registry (signatures accepted unverified).
    pub fn new() -> Self {
        Self::with_config(ServiceConfig::new(7))
    }

    pub fn with_config(config: ServiceConfig) -> Self {
        let clock = Arc::new(ManualClock::new(Timestamp::from_millis(T0)));
        let app = Arc::new(App::in_memory(config, clock.clone()));
        for (name, role, key) in [
            ("olivia", Role::Owner, OWNER),
            ("adam", Role::Admin, ADMIN),
            ("eddie", Role::Editor, EDITOR),
            ("erin", Role::Editor, EDITOR2),
            ("vera", Role::Viewer, VIEWER),
        ] {
            app.mutate(|s, now| s.setup_member(now, name, role, Some(key)))
                .unwrap();
        }
        let router = provlab_server::rest::router(app.clone());
        Self { app, clock, router }
    }

    /// Sends `request` through the router.
    pub async fn send(&self, request: Request<Body>) -> Resp {
        self.clock.advance_millis(1000);
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        Resp {
            status,
            headers,
            body,
            text,
        }
    }

    /// A request with an optional key, content type and raw body.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        content_type: Option<&str>,
        body: impl Into<Body>,
    ) -> Resp {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(key) = key {
            builder = builder.header("authorization", format!("Bearer {key}"));
        }
        if let Some(ct) = content_type {
            builder = builder.header("content-type", ct);
        }
        self.send(builder.body(body.into()).unwrap()).await
    }

    /// A request with a JSON body.
    pub async fn json(&self, method: Method, path: &str, key: Option<&str>, body: Value) -> Resp {
        self.raw(
            method,
            path,
            key,
            Some("application/json"),
            serde_json::to_vec(&body).unwrap(),
        )
        .await
    }

    pub async fn get(&self, path: &str, key: Option<&str>) -> Resp {
        self.raw(Method::GET, path, key, None, Body::empty()).await
    }

    pub async fn post(&self, path: &str, key: Option<&str>, body: Value) -> Resp {
        self.json(Method::POST, path, key, body).await
    }

    pub async fn put(&self, path: &str, key: Option<&str>, body: Value) -> Resp {
        self.json(Method::PUT, path, key, body).await
    }

    pub async fn delete(&self, path: &str, key: Option<&str>) -> Resp {
        self.raw(Method::DELETE, path, key, None, Body::empty())
            .await
    }

    /// Claims `dev` as `key` with `tags`; asserts 201.
    pub async fn claim(&self, key: &str, dev: &Dev, tags: &[&str]) -> Value {
        let r = self
            .post(
                "/v1/claimed-devices",
                Some(key),
                serde_json::json!({"claimToken": dev.token(), "tags": tags}),
            )
            .await;
        r.expect(201);
        r.body
    }

    /// Adds a command as `key`; returns its id (asserts 201).
    pub async fn add(&self, key: &str, dev: &Dev, request: Value) -> String {
        let r = self
            .post(
                &format!("/v1/claimed-devices/{}/provisioning", dev.id_text()),
                Some(key),
                serde_json::json!({"description": "test", "request": request}),
            )
            .await;
        r.expect(201);
        r.body["id"].as_str().unwrap().to_owned()
    }

    /// The whole domain state as JSON, to check that a request changed nothing.
    pub fn state(&self) -> Value {
        self.app
            .read(|svc, _| serde_json::to_value(svc.state()).unwrap())
    }

    /// One device fetch through the app, as a device endpoint would do it.
    pub fn fetch(&self, dev: &Dev, after: &str) -> Fetch {
        self.clock.advance_millis(1000);
        self.app
            .mutate(|svc, now| {
                svc.fetch_commands(
                    now,
                    dev.id(),
                    &FetchRequest {
                        after: after.into(),
                        rx_max_size: 4096,
                        tx_max_size: 4096,
                        limit: Some(20),
                    },
                )
            })
            .unwrap()
            .fetch
    }
}

impl Rest {
    /// Posts decoded responses through the app, as a device endpoint would.
    pub fn respond(&self, dev: &Dev, responses: &[Response]) -> ResponsesReport {
        self.clock.advance_millis(1000);
        self.app
            .mutate(|svc, now| svc.record_response_records(now, dev.id(), responses))
            .unwrap()
    }

    /// One connection of the device: fetch, answer (failing record `fail_at` with a CME
    /// error), post. Returns the records delivered.
    pub fn run_device(&self, dev: &Dev, fail_at: Option<(usize, u32)>) -> Vec<Command> {
        match self.fetch(dev, "") {
            Fetch::Records { records, .. } => {
                let responses = dev.answer(&records, fail_at);
                self.respond(dev, &responses);
                records
            }
            Fetch::NoCommands(_) => Vec::new(),
        }
    }
}

impl Dev {
    /// Answers records like the device: one response per executed record, stopping at the
    /// failing one.
    pub fn answer(&self, records: &[Command], fail_at: Option<(usize, u32)>) -> Vec<Response> {
        let mut out = Vec::new();
        for (i, record) in records.iter().enumerate() {
            let id = record.id().clone();
            if let Some((at, cme)) = fail_at {
                if at == i {
                    out.push(Response::Error {
                        id,
                        cme_error: cme,
                        message: "+CME ERROR".into(),
                    });
                    break;
                }
            }
            out.push(match record {
                Command::At {
                    set_command,
                    parameters,
                    ..
                } if set_command == "%KEYGEN" => Response::AtOk {
                    id,
                    message: self.keygen_answer(parameters),
                },
                Command::At { .. } => Response::AtOk {
                    id,
                    message: String::new(),
                },
                Command::Config { .. } => Response::ConfigAck { id },
                Command::Finished { .. } => Response::FinishedAck { id },
            });
        }
        out
    }

    /// The modem's `%KEYGEN: "<token>"` answer to `<tag>,2,<content>[,"<attributes>"...]`.
    pub fn keygen_answer(&self, parameters: &str) -> String {
        let mut fields = parameters.splitn(4, ',');
        let tag: u32 = fields.next().unwrap().parse().unwrap();
        let _key_type = fields.next();
        let content = fields.next().unwrap();
        let mut request = if content == "0" {
            KeygenRequest::csr(tag)
        } else {
            KeygenRequest::public_key(tag)
        };
        if let Some(rest) = fields.next() {
            let quoted: Vec<&str> = rest
                .split('"')
                .filter(|s| !s.is_empty() && *s != ",")
                .collect();
            request.attributes = quoted.first().map(|s| s.to_string());
            request.key_usage = quoted.get(1).map(|s| s.to_string());
        }
        let mut seed = [0x33u8; 32];
        seed[0] = (tag % 251) as u8 + 1;
        let new_key = SigningKey::from_slice(&seed).unwrap();
        let out = KeygenOutput::for_key(&new_key, &request, self.uuid, [3; 16], &self.key).unwrap();
        format!("%KEYGEN: \"{}\"\r\nOK", out.encode())
    }
}

/// One HTTP/1.1 request over a real loopback socket (`Connection: close`); returns the
/// status and the body as JSON (`Null` when empty or not JSON) and text. Bounded by [`STEP`].
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    key: Option<&str>,
    content_type: Option<&str>,
    body: &[u8],
) -> (u16, Value, String) {
    tokio::time::timeout(STEP, async {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        if let Some(key) = key {
            head.push_str(&format!("Authorization: Bearer {key}\r\n"));
        }
        if let Some(ct) = content_type {
            head.push_str(&format!("Content-Type: {ct}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(body).await.unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        parse_response(&raw)
    })
    .await
    .expect("HTTP request timed out")
}

/// Parses a `Connection: close` HTTP/1.1 response with a `Content-Length` body.
pub fn parse_response(raw: &[u8]) -> (u16, Value, String) {
    let text = String::from_utf8_lossy(raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {head:?}"));
    let value = serde_json::from_str(body).unwrap_or(Value::Null);
    (status, value, body.to_owned())
}
