//! A blocking client of the service's REST API (`/v1/...`) with the API's own typed bodies
//! ([`crate::rest::dto`]): one place that knows the routes, methods, success statuses and
//! pagination, for every tool that talks to a running `provlab serve` (the HIL backend,
//! `provlab team`, `provlab health`, integration tests).
//!
//! Each call is one request with a global timeout; a refusal keeps the service's status and
//! `message` ([`ApiError::Refused`]). Blocking (ureq) because its callers are synchronous:
//! the harness drives backends step by step, and the CLI does one call at a time.

mod error;
mod url;

use std::time::Duration;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use error::ApiError;
pub use url::BaseUrl;

use crate::domain::rules::RuleSpec;
use crate::domain::service::NewCommand;
use crate::rest::dto::commands::{CommandBody, Created, UpdateCommandBody};
use crate::rest::dto::devices::{BulkClaimBody, ClaimBody, DeviceBody, DryRunBody, SetTagsBody};
use crate::rest::dto::rules::RuleBody;
use crate::rest::dto::tags::{NewTagBody, TagBody};
use crate::rest::dto::team::{
    ApiKeyCreated, ChangeRoleBody, MemberBody, NewMemberBody, NewMemberCreated,
};
use crate::rest::pagination::Page;

/// How long one call may take when the caller sets nothing.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest answer body read (a full page of 100 commands with certificates fits).
pub const MAX_ANSWER_BYTES: u64 = 16 * 1024 * 1024;
/// The most pages a list call follows before it stops (100 items a page).
const MAX_PAGES: usize = 10_000;

/// Characters escaped in a path segment: everything but unreserved ones (RFC 3986 2.3).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `GET /v1/health`'s body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// `ok` while the service can serve its state.
    pub status: String,
}

/// A client of one service, acting with one API key (or none).
#[derive(Debug, Clone)]
pub struct ApiClient {
    agent: ureq::Agent,
    base: BaseUrl,
    key: Option<String>,
}

/// What a call sends.
enum Body<'a> {
    None,
    Json(Vec<u8>),
    Csv(&'a str),
}

impl ApiClient {
    /// A client of the service at `base` (`http://host[:port][/prefix]`) without a key, with
    /// [`DEFAULT_TIMEOUT`] per call.
    pub fn new(base: &str) -> Result<Self, ApiError> {
        Ok(Self::with_base(BaseUrl::parse(base)?, DEFAULT_TIMEOUT))
    }

    /// A client of `base` whose calls each end after `timeout`.
    pub fn with_base(base: BaseUrl, timeout: Duration) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .build()
            .into();
        Self {
            agent,
            base,
            key: None,
        }
    }

    /// The same client acting with `key` (`Authorization: Bearer <key>`).
    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// The same client acting with no key (the service answers 401 where one is needed).
    pub fn without_key(mut self) -> Self {
        self.key = None;
        self
    }

    /// The service's base URL.
    pub fn base(&self) -> &BaseUrl {
        &self.base
    }

    // ---- health and team ----

    /// `GET /v1/health` (no key needed): 200 `{"status":"ok"}`; a 503 is a refusal whose
    /// message says why the state is lost.
    pub fn health(&self) -> Result<Health, ApiError> {
        self.call("GET", "/v1/health", Body::None, 200)
    }

    /// `GET /v1/team/me`: the key's own member.
    pub fn me(&self) -> Result<MemberBody, ApiError> {
        self.call("GET", "/v1/team/me", Body::None, 200)
    }

    /// `GET /v1/team/members`, every page.
    pub fn members(&self) -> Result<Vec<MemberBody>, ApiError> {
        self.list("/v1/team/members")
    }

    /// `POST /v1/team/members`: the new member with its first API key.
    pub fn add_member(&self, body: &NewMemberBody) -> Result<NewMemberCreated, ApiError> {
        self.call("POST", "/v1/team/members", json(body)?, 201)
    }

    /// `PUT /v1/team/members/{name}`.
    pub fn change_role(&self, name: &str, body: &ChangeRoleBody) -> Result<(), ApiError> {
        let path = format!("/v1/team/members/{}", segment(name));
        self.call_empty("PUT", &path, json(body)?)
    }

    /// `DELETE /v1/team/members/{name}`.
    pub fn remove_member(&self, name: &str) -> Result<(), ApiError> {
        let path = format!("/v1/team/members/{}", segment(name));
        self.call_empty("DELETE", &path, Body::None)
    }

    /// `POST /v1/team/members/{name}/api-keys`: a new key for the member.
    pub fn issue_key(&self, name: &str) -> Result<ApiKeyCreated, ApiError> {
        let path = format!("/v1/team/members/{}/api-keys", segment(name));
        self.call("POST", &path, Body::None, 201)
    }

    /// `DELETE /v1/team/members/{name}/api-keys/{keyId}`.
    pub fn revoke_key(&self, name: &str, key_id: &str) -> Result<(), ApiError> {
        let path = format!(
            "/v1/team/members/{}/api-keys/{}",
            segment(name),
            segment(key_id)
        );
        self.call_empty("DELETE", &path, Body::None)
    }

    // ---- claimed devices ----

    /// `POST /v1/claimed-devices`: claims one device with its token; 201 with the device.
    pub fn claim(&self, body: &ClaimBody) -> Result<DeviceBody, ApiError> {
        self.call("POST", "/v1/claimed-devices", json(body)?, 201)
    }

    /// `POST /v1/claimed-devices?dryrun=true`: 202 when the token could be claimed.
    pub fn claim_dry_run(&self, body: &ClaimBody) -> Result<DryRunBody, ApiError> {
        self.call("POST", "/v1/claimed-devices?dryrun=true", json(body)?, 202)
    }

    /// `POST /v1/claimed-devices` with a `text/csv` body: claims in bulk.
    pub fn claim_csv(&self, csv: &str) -> Result<BulkClaimBody, ApiError> {
        self.call("POST", "/v1/claimed-devices", Body::Csv(csv), 200)
    }

    /// `GET /v1/claimed-devices`, every page.
    pub fn devices(&self) -> Result<Vec<DeviceBody>, ApiError> {
        self.list("/v1/claimed-devices")
    }

    /// `GET /v1/claimed-devices/{id}`.
    pub fn device(&self, device: &str) -> Result<DeviceBody, ApiError> {
        self.call("GET", &device_path(device, ""), Body::None, 200)
    }

    /// `DELETE /v1/claimed-devices/{id}`.
    pub fn unclaim(&self, device: &str) -> Result<(), ApiError> {
        self.call_empty("DELETE", &device_path(device, ""), Body::None)
    }

    /// `PUT /v1/claimed-devices/{id}/tags`.
    pub fn set_tags(&self, device: &str, body: &SetTagsBody) -> Result<(), ApiError> {
        self.call_empty("PUT", &device_path(device, "/tags"), json(body)?)
    }

    /// `POST /v1/claimed-devices/{id}/block`.
    pub fn block(&self, device: &str) -> Result<(), ApiError> {
        self.call_empty("POST", &device_path(device, "/block"), Body::None)
    }

    /// `POST /v1/claimed-devices/{id}/unblock`.
    pub fn unblock(&self, device: &str) -> Result<(), ApiError> {
        self.call_empty("POST", &device_path(device, "/unblock"), Body::None)
    }

    // ---- provisioning commands ----

    /// `POST /v1/claimed-devices/{id}/provisioning`: appends a command; 201 with its id.
    pub fn add_command(&self, device: &str, body: &NewCommand) -> Result<Created, ApiError> {
        self.call(
            "POST",
            &device_path(device, "/provisioning"),
            json(body)?,
            201,
        )
    }

    /// `GET /v1/claimed-devices/{id}/provisioning`, every page, in configuration order.
    pub fn commands(&self, device: &str) -> Result<Vec<CommandBody>, ApiError> {
        self.list(&device_path(device, "/provisioning"))
    }

    /// `GET /v1/claimed-devices/{id}/provisioning/{cmd}`.
    pub fn command(&self, device: &str, command: &str) -> Result<CommandBody, ApiError> {
        self.call("GET", &command_path(device, command, ""), Body::None, 200)
    }

    /// `PUT /v1/claimed-devices/{id}/provisioning/{cmd}`: replaces a failed command's
    /// request.
    pub fn update_command(
        &self,
        device: &str,
        command: &str,
        body: &UpdateCommandBody,
    ) -> Result<(), ApiError> {
        self.call_empty("PUT", &command_path(device, command, ""), json(body)?)
    }

    /// `POST …/provisioning/{cmd}/retry`.
    pub fn retry_command(&self, device: &str, command: &str) -> Result<(), ApiError> {
        self.call_empty("POST", &command_path(device, command, "/retry"), Body::None)
    }

    /// `POST …/provisioning/{cmd}/skip`.
    pub fn skip_command(&self, device: &str, command: &str) -> Result<(), ApiError> {
        self.call_empty("POST", &command_path(device, command, "/skip"), Body::None)
    }

    // ---- tags and rules ----

    /// `POST /v1/provisioning/tags`.
    pub fn create_tag(&self, body: &NewTagBody) -> Result<TagBody, ApiError> {
        self.call("POST", "/v1/provisioning/tags", json(body)?, 201)
    }

    /// `GET /v1/provisioning/tags`, every page.
    pub fn tags(&self) -> Result<Vec<TagBody>, ApiError> {
        self.list("/v1/provisioning/tags")
    }

    /// `POST /v1/provisioning-rules`: 201 with the rule (DRAFT unless `active`).
    pub fn create_rule(&self, body: &RuleSpec) -> Result<RuleBody, ApiError> {
        self.call("POST", "/v1/provisioning-rules", json(body)?, 201)
    }

    /// `GET /v1/provisioning-rules`, every page.
    pub fn rules(&self) -> Result<Vec<RuleBody>, ApiError> {
        self.list("/v1/provisioning-rules")
    }

    /// `GET /v1/provisioning-rules/{id}`.
    pub fn rule(&self, rule: &str) -> Result<RuleBody, ApiError> {
        self.call("GET", &rule_path(rule, ""), Body::None, 200)
    }

    /// `PUT /v1/provisioning-rules/{id}` (a DRAFT rule only).
    pub fn update_rule(&self, rule: &str, body: &RuleSpec) -> Result<RuleBody, ApiError> {
        self.call("PUT", &rule_path(rule, ""), json(body)?, 200)
    }

    /// `POST /v1/provisioning-rules/{id}/activate`.
    pub fn activate_rule(&self, rule: &str) -> Result<RuleBody, ApiError> {
        self.call("POST", &rule_path(rule, "/activate"), Body::None, 200)
    }

    // ---- the one place requests are made ----

    /// Every page of a list, following `pageNextToken`.
    fn list<T: DeserializeOwned>(&self, path: &str) -> Result<Vec<T>, ApiError> {
        let mut items = Vec::new();
        let mut next: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page_path = match &next {
                None => format!("{path}?pageLimit=100"),
                Some(token) => format!(
                    "{path}?pageLimit=100&pageNextToken={}",
                    utf8_percent_encode(token, SEGMENT)
                ),
            };
            let page: Page<T> = self.call("GET", &page_path, Body::None, 200)?;
            items.extend(page.items);
            match page.page_next_token {
                Some(token) => next = Some(token),
                None => break,
            }
        }
        Ok(items)
    }

    /// A call whose success is `ok` with a JSON body of type `T`.
    fn call<T: DeserializeOwned>(
        &self,
        method: &'static str,
        path: &str,
        body: Body<'_>,
        ok: u16,
    ) -> Result<T, ApiError> {
        let (status, text) = self.exchange(method, path, body)?;
        if status != ok {
            return Err(refused(method, path, status, &text));
        }
        serde_json::from_str(&text).map_err(|source| ApiError::Body {
            method,
            path: path.to_owned(),
            status,
            source,
        })
    }

    /// A call whose success is 204 No Content.
    fn call_empty(&self, method: &'static str, path: &str, body: Body<'_>) -> Result<(), ApiError> {
        let (status, text) = self.exchange(method, path, body)?;
        if status != 204 {
            return Err(refused(method, path, status, &text));
        }
        Ok(())
    }

    /// Sends one request; the status and the body text.
    fn exchange(
        &self,
        method: &'static str,
        path: &str,
        body: Body<'_>,
    ) -> Result<(u16, String), ApiError> {
        let url = self.base.join(path);
        let transport = |source: ureq::Error| ApiError::Transport {
            method,
            url: url.clone(),
            source: Box::new(source),
        };
        let auth = self.key.as_ref().map(|k| format!("Bearer {k}"));
        let response = match (method, body) {
            ("GET", _) => with_auth(self.agent.get(&url), auth.as_deref()).call(),
            ("DELETE", _) => with_auth(self.agent.delete(&url), auth.as_deref()).call(),
            (method, body) => {
                let request = match method {
                    "PUT" => self.agent.put(&url),
                    _ => self.agent.post(&url),
                };
                let request = with_auth(request, auth.as_deref());
                match body {
                    Body::None => request.send_empty(),
                    Body::Json(bytes) => request
                        .header("Content-Type", "application/json")
                        .send(&bytes[..]),
                    Body::Csv(text) => request
                        .header("Content-Type", "text/csv")
                        .send(text.as_bytes()),
                }
            }
        };
        let mut response = response.map_err(transport)?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER_BYTES)
            .read_to_string()
            .map_err(transport)?;
        Ok((status, text))
    }
}

/// Adds the `Authorization` header when there is a key.
fn with_auth<B>(request: ureq::RequestBuilder<B>, auth: Option<&str>) -> ureq::RequestBuilder<B> {
    match auth {
        Some(value) => request.header("Authorization", value),
        None => request,
    }
}

/// A JSON request body.
fn json(body: &impl Serialize) -> Result<Body<'static>, ApiError> {
    // Serializing the API's own types cannot fail (no maps with non-string keys).
    serde_json::to_vec(body)
        .map(Body::Json)
        .map_err(|source| ApiError::Body {
            method: "encode",
            path: String::new(),
            status: 0,
            source,
        })
}

/// A refusal from a status and the body: its `message`, else the body itself.
fn refused(method: &'static str, path: &str, status: u16, body: &str) -> ApiError {
    #[derive(Deserialize)]
    struct Message {
        message: String,
    }
    let message = serde_json::from_str::<Message>(body)
        .map(|m| m.message)
        .unwrap_or_else(|_| body.trim().to_owned());
    ApiError::Refused {
        method,
        path: path.to_owned(),
        status,
        message,
    }
}

/// One path segment, escaped.
fn segment(text: &str) -> String {
    utf8_percent_encode(text, SEGMENT).to_string()
}

/// `/v1/claimed-devices/{id}{rest}`.
fn device_path(device: &str, rest: &str) -> String {
    format!("/v1/claimed-devices/{}{rest}", segment(device))
}

/// `/v1/claimed-devices/{id}/provisioning/{cmd}{rest}`.
fn command_path(device: &str, command: &str, rest: &str) -> String {
    format!(
        "/v1/claimed-devices/{}/provisioning/{}{rest}",
        segment(device),
        segment(command)
    )
}

/// `/v1/provisioning-rules/{id}{rest}`.
fn rule_path(rule: &str, rest: &str) -> String {
    format!("/v1/provisioning-rules/{}{rest}", segment(rule))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_escaped() {
        assert_eq!(segment("a b/c"), "a%20b%2Fc");
        assert_eq!(segment("olivia-2_x.y~z"), "olivia-2_x.y~z");
        assert_eq!(
            command_path("d/1", "c?2", "/skip"),
            "/v1/claimed-devices/d%2F1/provisioning/c%3F2/skip"
        );
    }

    #[test]
    fn a_refusal_keeps_the_message_or_the_body() {
        let e = refused("GET", "/v1/x", 403, r#"{"message":"not yours"}"#);
        assert_eq!(e.status(), Some(403));
        assert_eq!(e.message(), Some("not yours"));
        let e = refused("GET", "/v1/x", 502, "Bad Gateway\n");
        assert_eq!(e.message(), Some("Bad Gateway"));
        assert_eq!(
            e.to_string(),
            "GET /v1/x: the service answered 502: Bad Gateway"
        );
    }
}
