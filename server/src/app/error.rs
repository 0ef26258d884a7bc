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

    /// The text of the `{"message": ...}` body. A storage failure says what failed but not
    /// where: the server's file paths stay in its log (the `Display` text).
    pub fn message(&self) -> String {
        match self {
            AppError::Store(e) => format!(
                "storage failed, the operation was not applied: {}",
                e.public_message()
            ),
            other => other.to_string(),
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn sqlite(code: std::ffi::c_int) -> StoreError {
        StoreError::Sqlite {
            path: PathBuf::from("/srv/secret/place/svc.db"),
            action: "appending events",
            source: rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None),
        }
    }

    /// Issue 15, item 10: clients learn what failed, never where the files are; a read-only
    /// database says so (to clients and in the log).
    #[test]
    fn storage_messages_hide_paths_and_name_read_only() {
        let read_only = AppError::Store(sqlite(rusqlite::ffi::SQLITE_READONLY));
        let message = read_only.message();
        assert!(!message.contains("/srv/secret"), "{message}");
        assert!(message.contains("read-only"), "{message}");
        assert!(read_only.to_string().contains("read-only"), "{read_only}");
        assert!(
            read_only.to_string().contains("/srv/secret"),
            "the log keeps the path"
        );
        let other = AppError::Store(sqlite(rusqlite::ffi::SQLITE_IOERR));
        let message = other.message();
        assert!(!message.contains("/srv/secret"), "{message}");
        assert!(!message.contains("read-only"), "{message}");
        assert!(message.contains("not applied"), "{message}");
        let io = AppError::Store(StoreError::Io {
            path: PathBuf::from("/srv/secret/place/svc.db"),
            action: "opening",
            source: std::io::Error::from(std::io::ErrorKind::ReadOnlyFilesystem),
        });
        assert!(io.message().contains("read-only"), "{}", io.message());
        assert!(!io.message().contains("/srv/secret"), "{}", io.message());
    }
}
