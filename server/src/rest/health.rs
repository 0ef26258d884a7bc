//! `GET /v1/health`: the liveness probe of container health checks and lab monitors. No
//! authentication; it answers 200 `{"status":"ok"}` while the service can serve its state,
//! and 503 `{"status":"unavailable","message":...}` once the app has lost it (a failed
//! store write leaves the service refusing every request until restart).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::handlers::AppState;

/// The path of the health endpoint.
pub const HEALTH_PATH: &str = "/v1/health";

/// `GET /v1/health`: 200 `{"status":"ok"}`, or 503 with the reason the state is lost.
pub async fn health(State(app): State<AppState>) -> (StatusCode, Json<Value>) {
    match app.try_read(|_, _| ()) {
        Ok(()) => (StatusCode::OK, Json(json!({"status": "ok"}))),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "unavailable", "message": e.to_string()})),
        ),
    }
}
