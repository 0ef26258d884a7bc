//! What can go wrong calling the REST API, with the call it happened on.

/// A failed REST call: the URL was unusable, the service could not be reached, it refused the
/// call (with its status and `message`), or it answered something that is not the API's body.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The base URL cannot be used.
    #[error("{url:?}: {reason}")]
    InvalidUrl {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No answer: the connection failed, timed out or broke.
    #[error("{method} {url}: {source}")]
    Transport {
        /// The HTTP method.
        method: &'static str,
        /// The full URL.
        url: String,
        /// The HTTP client's error.
        #[source]
        source: Box<ureq::Error>,
    },
    /// The service answered with a status other than the call's success status.
    #[error("{method} {path}: the service answered {status}: {message}")]
    Refused {
        /// The HTTP method.
        method: &'static str,
        /// The path called.
        path: String,
        /// The HTTP status.
        status: u16,
        /// The body's `message`, or the body itself when it has none.
        message: String,
    },
    /// A success status with a body that is not what the API documents.
    #[error("{method} {path}: answer {status} is not the expected body: {source}")]
    Body {
        /// The HTTP method.
        method: &'static str,
        /// The path called.
        path: String,
        /// The HTTP status.
        status: u16,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
}

impl ApiError {
    /// The HTTP status of a refusal (`None` when the service did not answer one).
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Refused { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The service's `message` of a refusal.
    pub fn message(&self) -> Option<&str> {
        match self {
            Self::Refused { message, .. } => Some(message),
            _ => None,
        }
    }
}
