//! The two HTTPS device routes, independent of hyper: a request's parts in, a status,
//! headers and body out. Routing, authentication, the query, the checks and the statuses
//! are the device core's ([`crate::device::core`]); this module frames its answer.
//!
//! | request | outcome | status |
//! |---|---|---|
//! | `GET /v1/provisioning/commands?…` | records | 200, `application/cbor` |
//! | | no commands (also blocked, or `ERROR`) | 204 |
//! | `POST /v1/provisioning/response` | recorded (bad records ignored) | 200 |
//! | either | missing/malformed/forged/expired JWT, device not in the registry | 401 |
//! | either | valid JWT, device not claimed | 403 |
//! | `GET` | query missing/malformed/unknown parameter, limits out of range | 400 |
//! | `POST` | `Content-Type` not `application/cbor` | 415 |
//! | `POST` | body not a CBOR responses array | 400 |
//! | `POST` | body over [`MAX_BODY`] | 413 |
//! | other path / method | | 404 / 405 |
//! | storage failure | | 500 (the client backs off: `EBUSY`) |
//! | state lost | | 503 |
//!
//! Status → client error, from the SDK's `nrf_provisioning_http.c`: 200 is success (POST
//! too), 204 no commands, 400 `EINVAL`, 401/403 `EACCES`, 415 `ENOMSG`, 500 `EBUSY`.
//! Authentication comes first, so an unauthenticated caller learns nothing about its input.
//! Error bodies are `text/plain` with the reason.

use crate::app::App;
use crate::device::backend::AppService;
use crate::device::core::request::CBOR;
use crate::device::core::{handle_http, Answer, HttpParts, Refusal, Route, RouteError};
use crate::domain::DeviceId;

pub use crate::device::core::Method;

/// Largest responses body read.
pub const MAX_BODY: usize = 256 * 1024;

/// A request's parts.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The method.
    pub method: Method,
    /// The path, without the query.
    pub path: &'a str,
    /// The query string, without `?`.
    pub query: Option<&'a str>,
    /// The `Authorization` header, if any (and if it is text).
    pub authorization: Option<&'a str>,
    /// The `Content-Type` header, if any (and if it is text).
    pub content_type: Option<&'a str>,
    /// The body.
    pub body: &'a [u8],
}

/// A response's parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The `Content-Type`, when there is a body.
    pub content_type: Option<&'static str>,
    /// Extra headers.
    pub headers: Vec<(&'static str, &'static str)>,
    /// The body.
    pub body: Vec<u8>,
    /// The authenticated device, for the access log.
    pub device: Option<String>,
}

impl Response {
    fn new(status: u16) -> Self {
        Self {
            status,
            content_type: None,
            headers: Vec::new(),
            body: Vec::new(),
            device: None,
        }
    }

    /// An error with a plain-text reason.
    pub fn text(status: u16, message: impl Into<String>) -> Self {
        let mut body = message.into().into_bytes();
        body.push(b'\n');
        Self {
            content_type: Some("text/plain; charset=utf-8"),
            body,
            ..Self::new(status)
        }
    }

    /// A refusal: its status and reason; a 401 asks for a bearer token.
    fn refused(refusal: &Refusal) -> Self {
        let status = http_status(refusal.outcome.http_status());
        let mut response = Self::text(status, refusal.reason.clone());
        if status == 401 {
            response.headers.push(("www-authenticate", "Bearer"));
        }
        response
    }

    fn with_device(mut self, device: Option<String>) -> Self {
        self.device = device;
        self
    }
}

/// Handles one device request against `app`.
pub fn handle(app: &App, request: &Request<'_>) -> Response {
    let route = match Route::from_http(request.method, request.path) {
        Ok(route) => route,
        Err(RouteError::Unknown) => {
            return Response::text(404, format!("no route {}", request.path))
        }
        Err(RouteError::WrongMethod(route)) => {
            return method_not_allowed(route.method().as_str().unwrap_or_default())
        }
    };
    let handled = handle_http(
        &mut AppService {
            app,
            transport: "https",
        },
        route,
        &HttpParts {
            query: request.query,
            authorization: request.authorization,
            content_type: request.content_type,
            body: request.body,
        },
    );
    let device = handled.device.map(|d| d.device);
    respond(device, handled.answer).with_device(device.map(|d| d.to_string()))
}

/// The HTTP response for the core's answer.
fn respond(device: Option<DeviceId>, answer: Answer) -> Response {
    let status = http_status(answer.outcome().http_status());
    let device = device.map(|d| d.to_string()).unwrap_or_default();
    match answer {
        Answer::Records { body, records, .. } => {
            tracing::info!(
                device,
                records = records.len(),
                bytes = body.len(),
                "commands delivered over HTTPS"
            );
            Response {
                content_type: Some(CBOR),
                body,
                ..Response::new(status)
            }
        }
        Answer::NoCommands { reason, .. } => {
            tracing::info!(device, ?reason, "no commands");
            Response::new(status)
        }
        Answer::Recorded(_) => Response::new(status),
        Answer::Refused(refusal) => Response::refused(&refusal),
        Answer::NextBlock | Answer::Authenticated(_) => {
            Response::text(500, "an answer HTTPS cannot give")
        }
    }
}

/// The status of an outcome; one HTTPS cannot have (CoAP-only) is a bug: 500.
fn http_status(status: Option<u16>) -> u16 {
    status.unwrap_or(500)
}

fn method_not_allowed(allow: &'static str) -> Response {
    let mut response = Response::text(405, format!("only {allow} is allowed here"));
    response.headers.push(("allow", allow));
    response
}
