//! Errors of the real-socket transports (before they are mapped to a client input).

use provlab_client::TransportFailure;

/// Why a transport operation failed.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// The root CA sec tag holds no usable certificate.
    #[error("root CA: {0}")]
    RootCa(String),
    /// The server refused the connection.
    #[error("connection refused by {0}")]
    Refused(String),
    /// The (D)TLS handshake failed (certificate not trusted, protocol error).
    #[error("handshake with {peer} failed: {reason}")]
    Handshake {
        /// The server.
        peer: String,
        /// Why.
        reason: String,
    },
    /// No answer in time.
    #[error("timed out: {0}")]
    Timeout(String),
    /// The connection closed (or broke) without an answer.
    #[error("closed without an answer: {0}")]
    Closed(String),
    /// The host name does not resolve.
    #[error("cannot resolve {0}")]
    Resolve(String),
}

impl NetError {
    /// The failure as the client sees it.
    pub fn failure(&self) -> TransportFailure {
        match self {
            NetError::RootCa(_) | NetError::Handshake { .. } => TransportFailure::HandshakeFailed,
            NetError::Refused(_) | NetError::Resolve(_) => TransportFailure::Refused,
            NetError::Timeout(_) => TransportFailure::Timeout,
            NetError::Closed(_) => TransportFailure::Closed,
        }
    }
}
