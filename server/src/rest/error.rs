//! [`ApiError`]: every REST failure as a status code and a `{"message": ...}` body, plus the
//! middleware that gives axum's own plain-text errors (unknown route, wrong method) the same
//! JSON shape.

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::app::{AppError, ErrorBody};
use crate::domain;

/// Why a REST request failed.
#[derive(Debug)]
pub enum ApiError {
    /// The app (domain or storage) refused or failed.
    App(AppError),
    /// The request itself could not be read (bad JSON, wrong content type, body too large,
    /// bad query or path).
    Request {
        /// The 4xx status.
        status: StatusCode,
        /// What was wrong.
        message: String,
    },
}

impl ApiError {
    /// A request error with `status` and `message`.
    pub fn request(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError::Request {
            status,
            message: message.into(),
        }
    }

    /// A 400 with `message`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::request(StatusCode::BAD_REQUEST, message)
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::App(e) => {
                StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
            ApiError::Request { status, .. } => *status,
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError::App(e)
    }
}

impl From<domain::Error> for ApiError {
    fn from(e: domain::Error) -> Self {
        ApiError::App(AppError::Domain(e))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::App(e) => e.into_response(),
            ApiError::Request { status, message } => {
                tracing::debug!(%status, %message, "rejected request");
                (status, Json(ErrorBody { message })).into_response()
            }
        }
    }
}

/// Middleware: an error response that is not JSON (axum's 404 for an unknown route, 405 for
/// a wrong method, ...) gets a `{"message": ...}` body instead.
pub async fn json_errors(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return response;
    }
    let message = match status {
        StatusCode::NOT_FOUND => format!("no such endpoint: {method} {path}"),
        StatusCode::METHOD_NOT_ALLOWED => format!("method {method} is not allowed on {path}"),
        other => other
            .canonical_reason()
            .unwrap_or("request failed")
            .to_owned(),
    };
    let allow = response.headers().get(header::ALLOW).cloned();
    let mut replaced = (status, Json(ErrorBody { message })).into_response();
    if let Some(allow) = allow {
        replaced.headers_mut().insert(header::ALLOW, allow);
    }
    replaced
}

/// The JSON content type, for handlers that build responses by hand.
pub fn json_content_type() -> HeaderValue {
    HeaderValue::from_static("application/json")
}
