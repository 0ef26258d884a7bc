//! An HTTPS device request through the core: authenticate (every request carries its JWT),
//! then parse and run the fetch or report. Authentication comes first, so an
//! unauthenticated caller learns nothing about its input.

use super::answer::Answer;
use super::outcome::{Outcome, Refusal};
use super::request::{bearer_token, check_content_type, DeviceRequest};
use super::route::Route;
use super::service::{execute, DeviceService};
use crate::device::query;
use crate::domain::service::DeviceAuth;

/// The parts of an HTTPS request the core reads.
#[derive(Debug, Clone, Copy)]
pub struct HttpParts<'a> {
    /// The query string, without `?`.
    pub query: Option<&'a str>,
    /// The `Authorization` header, if any (and if it is text).
    pub authorization: Option<&'a str>,
    /// The `Content-Type` header, if any (and if it is text).
    pub content_type: Option<&'a str>,
    /// The body.
    pub body: &'a [u8],
}

/// What an HTTPS request came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpHandled {
    /// The authenticated device (`None` when authentication failed).
    pub device: Option<DeviceAuth>,
    /// The answer.
    pub answer: Answer,
}

/// Handles one HTTPS request of `route` (parsed with [`Route::from_http`]).
pub fn handle_http(
    service: &mut impl DeviceService,
    route: Route,
    parts: &HttpParts<'_>,
) -> HttpHandled {
    let refused = |device, refusal: Refusal| HttpHandled {
        device,
        answer: Answer::Refused(refusal),
    };
    let token = match bearer_token(parts.authorization) {
        Ok(token) => token,
        Err(refusal) => return refused(None, refusal),
    };
    let device = match service.authenticate(token) {
        Ok(device) => device,
        Err(refusal) => return refused(None, refusal),
    };
    let request = match route {
        Route::Fetch => match query::parse_http(parts.query.unwrap_or_default()) {
            Ok(query) => DeviceRequest::Fetch(query),
            Err(e) => {
                return refused(
                    Some(device),
                    Refusal::new(Outcome::BadRequest, e.to_string()),
                )
            }
        },
        Route::Report => match check_content_type(parts.content_type) {
            Ok(()) => DeviceRequest::Report(parts.body),
            Err(refusal) => return refused(Some(device), refusal),
        },
        Route::Auth | Route::Suspend => {
            return refused(
                Some(device),
                Refusal::new(Outcome::NotFound, format!("no HTTPS route for {route:?}")),
            )
        }
    };
    HttpHandled {
        device: Some(device),
        answer: execute(service, Some(&device), request),
    }
}
