//! [`AppError`]: a domain refusal or an infrastructure failure, with its HTTP status and
//! `{"message": ...}` body.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::domain;
use crate::domain::state::ApplyError;
use crate::store::StoreError;

/// Why an [`crate::app::App`] operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The domain refused the operation (its own status: 400/401/403/404/409/500).
    #[error(transparent)]
    Domain(#[from] domain::Error),
    /// The events could not be stored; the operation was not applied (500).
    #[error("storage failed, the operation was not applied: {0}")]
    Store(#[from] StoreError),
    /// The stored log could not be replayed (at start, or when recovering) (500).
    #[error("the stored event log cannot be replayed: {0}")]
    Replay(#[from] ApplyError),
    /// The service lost its state after a storage failure and refuses work until restarted
    /// (503).
    #[error("service unavailable: {0}")]
    Unavailable(String),
}

impl AppError {
    /// The HTTP status code.
    pub fn http_status(&self) -> u16 {
        match self {
            AppError::Domain(e) => e.http_status(),
            AppError::Store(_) | AppError::Replay(_) => 500,
            AppError::Unavailable(_) => 503,
        }
    }

    /// The text of the `{"message": ...}` body.
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// The domain error, when that is what this is (e.g. for CoAP's own code mapping).
    pub fn domain(&self) -> Option<&domain::Error> {
        match self {
            AppError::Domain(e) => Some(e),
            _ => None,
        }
    }
}

/// The JSON error body every REST error uses.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong, for a human.
    pub message: String,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        (
            status,
            Json(ErrorBody {
                message: self.message(),
            }),
        )
            .into_response()
    }
}
