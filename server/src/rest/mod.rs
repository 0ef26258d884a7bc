//! The REST API under `/v1/` (axum): claimed devices, provisioning commands, tags, rules and
//! team members, authenticated with `Authorization: Bearer <api key>`.
//!
//! Every error is a JSON `{"message": ...}` with the status the domain decides
//! ([`crate::domain::Error::http_status`]); unreadable requests are 4xx with a message naming
//! what is wrong (see [`extract`]); lists are paginated ([`pagination`]); bodies are limited
//! to [`MAX_BODY_BYTES`]. The OpenAPI document is generated from the code ([`openapi`]) and
//! served at `/v1/openapi.json`; `/v1/health` is the unauthenticated liveness probe
//! ([`health`]). [`listener`] serves the router over HTTP/1.1 with time limits and a
//! connection cap, so that idle or stalled connections cannot exhaust the process.
//!
//! Handlers never hold the app's lock across an `.await`: each calls [`crate::app::App`]'s
//! `mutate`/`try_read` once with a short closure.

pub mod auth;
pub mod contract;
pub mod dto;
pub mod error;
pub mod extract;
pub mod handlers;
pub mod health;
pub mod listener;
pub mod openapi;
pub mod pagination;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use axum::{Json, Router};

use crate::app::App;
use handlers::{commands, devices, rules, tags, team};

/// The largest request body accepted (1 MiB: a bulk claim of 1000 tokens fits).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The REST router, with its state, body limit and JSON error shaping.
///
/// Every route but the document and the health probe is authenticated by
/// [`auth::require_api_key`], which runs before the handler reads the path, query or body.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/v1/openapi.json", get(openapi_json))
        .route(health::HEALTH_PATH, get(health::health))
        .merge(authenticated(app.clone()))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(error::json_errors))
        .with_state(app)
}

/// The routes that need an API key, behind [`auth::require_api_key`] (a route layer: an
/// unknown path stays a 404).
fn authenticated(app: Arc<App>) -> Router<Arc<App>> {
    Router::new()
        .route(
            "/v1/claimed-devices",
            post(devices::claim).get(devices::list),
        )
        .route(
            "/v1/claimed-devices/{deviceId}",
            get(devices::get).delete(devices::unclaim),
        )
        .route(
            "/v1/claimed-devices/{deviceId}/tags",
            put(devices::set_tags),
        )
        .route("/v1/claimed-devices/{deviceId}/block", post(devices::block))
        .route(
            "/v1/claimed-devices/{deviceId}/unblock",
            post(devices::unblock),
        )
        .route(
            "/v1/claimed-devices/{deviceId}/provisioning",
            post(commands::add).get(commands::list),
        )
        .route(
            "/v1/claimed-devices/{deviceId}/provisioning/{commandId}",
            get(commands::get).put(commands::update),
        )
        .route(
            "/v1/claimed-devices/{deviceId}/provisioning/{commandId}/retry",
            post(commands::retry),
        )
        .route(
            "/v1/claimed-devices/{deviceId}/provisioning/{commandId}/skip",
            post(commands::skip),
        )
        .route("/v1/provisioning/tags", get(tags::list).post(tags::create))
        .route(
            "/v1/provisioning-rules",
            get(rules::list).post(rules::create),
        )
        .route(
            "/v1/provisioning-rules/{ruleId}",
            get(rules::get).put(rules::update),
        )
        .route(
            "/v1/provisioning-rules/{ruleId}/activate",
            post(rules::activate),
        )
        .route("/v1/team/me", get(team::me))
        .route("/v1/team/members", get(team::list).post(team::add))
        .route(
            "/v1/team/members/{name}",
            put(team::change_role).delete(team::remove),
        )
        .route("/v1/team/members/{name}/api-keys", post(team::issue_key))
        .route(
            "/v1/team/members/{name}/api-keys/{keyId}",
            axum::routing::delete(team::revoke_key),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            app,
            auth::require_api_key,
        ))
}

/// `GET /v1/openapi.json`: the generated OpenAPI 3 document (no authentication).
async fn openapi_json() -> Json<serde_json::Value> {
    Json(openapi::document())
}
