//! The one error type of the domain, with the HTTP status the REST layer maps it to.

use crate::ids::DeviceId;

/// Why an operation was refused. Each variant maps to one HTTP status ([`Error::http_status`])
/// and carries a message fit for the JSON `{"message": ...}` body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Missing or unknown API key, or a bad / missing / expired device JWT (401).
    #[error("unauthorized: {reason}")]
    Unauthorized {
        /// What was wrong with the credentials.
        reason: String,
    },
    /// The caller is known but may not do this (403).
    #[error("forbidden: {reason}")]
    Forbidden {
        /// Which rule denied it.
        reason: String,
    },
    /// The device behind a valid JWT is not claimed (HTTP 403, CoAP 4.01).
    #[error("device {device} is not claimed")]
    NotClaimed {
        /// The device.
        device: DeviceId,
    },
    /// The addressed resource does not exist (404).
    #[error("{what} not found")]
    NotFound {
        /// What was looked for, e.g. `command 89ed…`.
        what: String,
    },
    /// The request conflicts with the current state, e.g. claiming a claimed device or
    /// editing an active rule (409).
    #[error("conflict: {reason}")]
    Conflict {
        /// What conflicts.
        reason: String,
    },
    /// A field of the request is invalid (400).
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field, in the REST API's spelling (e.g. `request.clientCertificate.secTag`).
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The device's configuration already holds the most commands allowed (409: the request
    /// is well formed, the configuration's state refuses it).
    #[error("device {device} already has {limit} commands, the most a configuration may hold")]
    TooManyCommands {
        /// The device.
        device: DeviceId,
        /// The limit (20).
        limit: usize,
    },
    /// A state the domain should never reach, e.g. an event that cannot be applied (500).
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// The HTTP status code the REST layer answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            Error::Unauthorized { .. } => 401,
            Error::Forbidden { .. } | Error::NotClaimed { .. } => 403,
            Error::NotFound { .. } => 404,
            Error::Conflict { .. } => 409,
            Error::Invalid { .. } => 400,
            Error::TooManyCommands { .. } => 409,
            Error::Internal(_) => 500,
        }
    }

    /// Shorthand for [`Error::Invalid`].
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// Shorthand for [`Error::Conflict`].
    pub fn conflict(reason: impl Into<String>) -> Self {
        Error::Conflict {
            reason: reason.into(),
        }
    }

    /// Shorthand for [`Error::NotFound`].
    pub fn not_found(what: impl Into<String>) -> Self {
        Error::NotFound { what: what.into() }
    }

    /// Shorthand for [`Error::Forbidden`].
    pub fn forbidden(reason: impl Into<String>) -> Self {
        Error::Forbidden {
            reason: reason.into(),
        }
    }

    /// Shorthand for [`Error::Unauthorized`].
    pub fn unauthorized(reason: impl Into<String>) -> Self {
        Error::Unauthorized {
            reason: reason.into(),
        }
    }
}

/// Result of a domain operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;
