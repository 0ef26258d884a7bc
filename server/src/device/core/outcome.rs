//! What a device request comes to ([`Outcome`]), with the one mapping to an HTTP status and
//! the one mapping to a CoAP response code (device-protocol.md §3 and §4, service.md):
//!
//! | outcome | HTTP | CoAP |
//! |---|---|---|
//! | records | 200 (CBOR body) | 2.05 (CBOR, Block2) |
//! | no commands (also blocked, or `ERROR`) | 204 | 2.05, empty |
//! | responses recorded | 200 | 2.04 |
//! | session authenticated | - | 2.01 |
//! | bad, missing or expired JWT | 401 | 4.01 |
//! | valid JWT, device not claimed | 403 | 4.01 |
//! | forbidden | 403 | 4.03 |
//! | invalid query or body | 400 | 4.00 |
//! | bad Block2 option | - | 4.02 |
//! | unknown path (also `/.dtls/suspend`) | 404 | 4.04 |
//! | known path, wrong method | 405 | 4.05 |
//! | conflict | 409 | 4.09 |
//! | body not `application/cbor` | 415 | 4.15 |
//! | a domain bug, a storage failure | 500 | 5.00 |
//! | the service lost its state | 503 | 5.03 |

use crate::app::AppError;
use crate::domain;

/// A CoAP response code, `class.detail` (e.g. 4.01), independent of any CoAP library.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CoapCode {
    /// The class: 2 (success), 4 (client error) or 5 (server error).
    pub class: u8,
    /// The detail within the class.
    pub detail: u8,
}

impl CoapCode {
    const fn new(class: u8, detail: u8) -> Self {
        CoapCode { class, detail }
    }
}

impl std::fmt::Display for CoapCode {
    /// `4.01`, as RFC 7252 writes codes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{:02}", self.class, self.detail)
    }
}

/// What a device request came to, whatever the transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Commands delivered.
    Records,
    /// No commands for the device.
    NoCommands,
    /// Responses recorded (records that are ignored included).
    Recorded,
    /// A DTLS session authenticated (CoAP only).
    Authenticated,
    /// Missing, malformed, badly signed or expired JWT, or a device the registry does not
    /// know.
    Unauthorized,
    /// A valid JWT of a device that is not claimed.
    NotClaimed,
    /// The domain refused the caller.
    Forbidden,
    /// An invalid query, body or limit.
    BadRequest,
    /// A Block2 option the service cannot serve (CoAP only).
    BadOption,
    /// No such route.
    NotFound,
    /// The route's path with another method.
    MethodNotAllowed,
    /// The domain found a conflict.
    Conflict,
    /// A body that is not `application/cbor`.
    UnsupportedFormat,
    /// A domain bug or a storage failure.
    Internal,
    /// The service lost its state after a storage failure.
    Unavailable,
}

impl Outcome {
    /// The HTTP status; `None` for outcomes only CoAP has ([`Outcome::Authenticated`],
    /// [`Outcome::BadOption`]).
    pub fn http_status(self) -> Option<u16> {
        Some(match self {
            Outcome::Records | Outcome::Recorded => 200,
            Outcome::NoCommands => 204,
            Outcome::Authenticated | Outcome::BadOption => return None,
            Outcome::Unauthorized => 401,
            Outcome::NotClaimed | Outcome::Forbidden => 403,
            Outcome::BadRequest => 400,
            Outcome::NotFound => 404,
            Outcome::MethodNotAllowed => 405,
            Outcome::Conflict => 409,
            Outcome::UnsupportedFormat => 415,
            Outcome::Internal => 500,
            Outcome::Unavailable => 503,
        })
    }

    /// The CoAP response code.
    pub fn coap_code(self) -> CoapCode {
        match self {
            Outcome::Records | Outcome::NoCommands => CoapCode::new(2, 5),
            Outcome::Recorded => CoapCode::new(2, 4),
            Outcome::Authenticated => CoapCode::new(2, 1),
            Outcome::Unauthorized | Outcome::NotClaimed => CoapCode::new(4, 1),
            Outcome::Forbidden => CoapCode::new(4, 3),
            Outcome::BadRequest => CoapCode::new(4, 0),
            Outcome::BadOption => CoapCode::new(4, 2),
            Outcome::NotFound => CoapCode::new(4, 4),
            Outcome::MethodNotAllowed => CoapCode::new(4, 5),
            Outcome::Conflict => CoapCode::new(4, 9),
            Outcome::UnsupportedFormat => CoapCode::new(4, 15),
            Outcome::Internal => CoapCode::new(5, 0),
            Outcome::Unavailable => CoapCode::new(5, 3),
        }
    }

    /// The outcome of a domain refusal.
    pub fn of_domain_error(e: &domain::Error) -> Outcome {
        match e {
            domain::Error::Unauthorized { .. } => Outcome::Unauthorized,
            domain::Error::NotClaimed { .. } => Outcome::NotClaimed,
            domain::Error::Forbidden { .. } => Outcome::Forbidden,
            domain::Error::NotFound { .. } => Outcome::NotFound,
            domain::Error::Conflict { .. } => Outcome::Conflict,
            domain::Error::Invalid { .. } | domain::Error::TooManyCommands { .. } => {
                Outcome::BadRequest
            }
            domain::Error::Internal(_) => Outcome::Internal,
        }
    }

    /// The outcome of an app failure (a domain refusal, or the app's own).
    pub fn of_app_error(e: &AppError) -> Outcome {
        match e {
            AppError::Domain(d) => Outcome::of_domain_error(d),
            AppError::Store(_) | AppError::Replay(_) => Outcome::Internal,
            AppError::Unavailable(_) => Outcome::Unavailable,
        }
    }
}

/// A refused request: its outcome and the reason, for the error body, the diagnostic
/// payload or the transcript.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct Refusal {
    /// What the refusal comes to (never a success).
    pub outcome: Outcome,
    /// Why, for a human.
    pub reason: String,
}

impl Refusal {
    /// A refusal with its outcome and reason.
    pub fn new(outcome: Outcome, reason: impl Into<String>) -> Self {
        Refusal {
            outcome,
            reason: reason.into(),
        }
    }
}

impl From<&domain::Error> for Refusal {
    fn from(e: &domain::Error) -> Self {
        Refusal::new(Outcome::of_domain_error(e), e.to_string())
    }
}

impl From<&AppError> for Refusal {
    fn from(e: &AppError) -> Self {
        Refusal::new(Outcome::of_app_error(e), e.message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::DeviceId;

    /// The table of the module docs, row by row.
    #[test]
    fn one_status_and_one_code_per_outcome() {
        use Outcome::*;
        let table = [
            (Records, Some(200), "2.05"),
            (NoCommands, Some(204), "2.05"),
            (Recorded, Some(200), "2.04"),
            (Authenticated, None, "2.01"),
            (Unauthorized, Some(401), "4.01"),
            (NotClaimed, Some(403), "4.01"),
            (Forbidden, Some(403), "4.03"),
            (BadRequest, Some(400), "4.00"),
            (BadOption, None, "4.02"),
            (NotFound, Some(404), "4.04"),
            (MethodNotAllowed, Some(405), "4.05"),
            (Conflict, Some(409), "4.09"),
            (UnsupportedFormat, Some(415), "4.15"),
            (Internal, Some(500), "5.00"),
            (Unavailable, Some(503), "5.03"),
        ];
        for (outcome, http, coap) in table {
            assert_eq!(outcome.http_status(), http, "{outcome:?}");
            assert_eq!(outcome.coap_code().to_string(), coap, "{outcome:?}");
        }
    }

    #[test]
    fn domain_errors_keep_their_http_status() {
        let device = DeviceId::parse("0e189f86-c54c-44c7-a19c-93ff1d5b67ab").unwrap();
        let errors = [
            domain::Error::unauthorized("no"),
            domain::Error::NotClaimed { device },
            domain::Error::invalid("limit", "0"),
            domain::Error::conflict("taken"),
            domain::Error::Internal("bug".into()),
        ];
        for e in &errors {
            let refusal = Refusal::from(e);
            assert_eq!(refusal.outcome.http_status(), Some(e.http_status()), "{e}");
            assert_eq!(refusal.reason, e.to_string());
        }
        // service.md: not claimed is 403 over HTTP but 4.01 over CoAP.
        assert_eq!(
            Refusal::from(&domain::Error::NotClaimed { device })
                .outcome
                .coap_code()
                .to_string(),
            "4.01"
        );
        let unavailable = AppError::Unavailable("state lost".into());
        assert_eq!(Refusal::from(&unavailable).outcome, Outcome::Unavailable);
    }
}
