//! The two HTTPS device routes, independent of hyper: a request's parts in, a status,
//! headers and body out.
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

use crate::app::{App, AppError};
use crate::device::{auth, log, query};
use crate::domain::service::{Fetch, FetchResult};

/// Path of the fetch.
pub const COMMANDS_PATH: &str = "/v1/provisioning/commands";
/// Path of the report.
pub const RESPONSE_PATH: &str = "/v1/provisioning/response";
/// Largest responses body read.
pub const MAX_BODY: usize = 256 * 1024;
/// The CBOR media type.
pub const CBOR: &str = "application/cbor";

/// The request method, as far as these routes care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// Anything else.
    Other,
}

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

    fn app_error(e: &AppError) -> Self {
        let mut response = Self::text(e.http_status(), e.message());
        if e.http_status() == 401 {
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
    let route = match (request.path, request.method) {
        (COMMANDS_PATH, Method::Get) => Route::Fetch,
        (RESPONSE_PATH, Method::Post) => Route::Report,
        (COMMANDS_PATH, _) => {
            return method_not_allowed("GET");
        }
        (RESPONSE_PATH, _) => {
            return method_not_allowed("POST");
        }
        (path, _) => return Response::text(404, format!("no route {path}")),
    };
    let token = match bearer_token(request.authorization) {
        Ok(token) => token,
        Err(message) => {
            let mut response = Response::text(401, message);
            response.headers.push(("www-authenticate", "Bearer"));
            return response;
        }
    };
    let device = match auth::authenticate(app, token, "https") {
        Ok(device) => device,
        Err(e) => return Response::app_error(&e),
    };
    let name = Some(device.device.to_string());
    match route {
        Route::Fetch => fetch(app, device.device, request.query).with_device(name),
        Route::Report => report(app, &device, request).with_device(name),
    }
}

enum Route {
    Fetch,
    Report,
}

fn method_not_allowed(allow: &'static str) -> Response {
    let mut response = Response::text(405, format!("only {allow} is allowed here"));
    response.headers.push(("allow", allow));
    response
}

/// The token of `Authorization: Bearer <token>`; `Ok(None)` without the header.
fn bearer_token(header: Option<&str>) -> Result<Option<&str>, String> {
    let Some(value) = header else {
        return Ok(None);
    };
    let value = value.trim();
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => Ok(Some(token.trim())),
        _ => Err("the Authorization header is not \"Bearer <device JWT>\"".to_string()),
    }
}

/// `GET /v1/provisioning/commands`.
fn fetch(app: &App, device: crate::domain::DeviceId, query_text: Option<&str>) -> Response {
    let parsed = match query::parse_http(query_text.unwrap_or_default()) {
        Ok(q) => q,
        Err(e) => return Response::text(400, e.to_string()),
    };
    tracing::debug!(
        %device,
        mver = parsed.mver.as_deref().unwrap_or(""),
        cver = parsed.cver.as_deref().unwrap_or(""),
        "fetch"
    );
    match app.mutate(|service, now| service.fetch_commands(now, device, &parsed.fetch)) {
        Ok(FetchResult { fetch, notices }) => {
            log::notices(device, &notices);
            match fetch {
                Fetch::Records { body, records, .. } => {
                    tracing::info!(
                        %device,
                        records = records.len(),
                        bytes = body.len(),
                        "commands delivered over HTTPS"
                    );
                    Response {
                        content_type: Some(CBOR),
                        body,
                        ..Response::new(200)
                    }
                }
                Fetch::NoCommands(reason) => {
                    tracing::info!(%device, ?reason, "no commands");
                    Response::new(204)
                }
            }
        }
        Err(e) => Response::app_error(&e),
    }
}

/// `POST /v1/provisioning/response`.
fn report(
    app: &App,
    device: &crate::domain::service::DeviceAuth,
    request: &Request<'_>,
) -> Response {
    if !is_cbor(request.content_type) {
        return Response::text(
            415,
            format!(
                "Content-Type is {:?}; the responses body must be {CBOR}",
                request.content_type.unwrap_or("(none)")
            ),
        );
    }
    match app.mutate(|service, now| service.record_responses(now, device.device, request.body)) {
        Ok(report) => {
            log::report(device, &report);
            Response::new(200)
        }
        Err(e) => Response::app_error(&e),
    }
}

/// Whether a `Content-Type` value is `application/cbor` (parameters ignored).
fn is_cbor(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case(CBOR))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_and_content_types() {
        assert_eq!(bearer_token(None), Ok(None));
        assert_eq!(bearer_token(Some("Bearer a.b.c")), Ok(Some("a.b.c")));
        assert_eq!(bearer_token(Some("bearer  a.b.c ")), Ok(Some("a.b.c")));
        assert!(bearer_token(Some("Basic dXNlcg==")).is_err());
        assert!(bearer_token(Some("a.b.c")).is_err());
        assert!(is_cbor(Some("application/cbor")));
        assert!(is_cbor(Some("Application/CBOR; foo=bar")));
        assert!(!is_cbor(Some("*/*")));
        assert!(!is_cbor(Some("application/json")));
        assert!(!is_cbor(None));
    }
}
