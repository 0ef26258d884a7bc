//! The typed device requests the core executes, and the header checks that turn an HTTP
//! request's parts into one.

use super::outcome::{Outcome, Refusal};
use crate::device::query::FetchQuery;

/// The CBOR media type.
pub const CBOR: &str = "application/cbor";
/// The CoAP Content-Format number of `application/cbor`.
pub const CBOR_FORMAT: u16 = 60;

/// One device request, whatever the transport carried it in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceRequest<'a> {
    /// Fetch the next commands after the device's cursor.
    Fetch(FetchQuery),
    /// Record a CBOR responses body.
    Report(&'a [u8]),
    /// Authenticate with a JWT (`None`: the request carried none).
    Auth(Option<&'a str>),
}

/// The token of `Authorization: Bearer <token>` (scheme case-insensitive); `Ok(None)`
/// without the header, a 401 refusal for another scheme.
pub fn bearer_token(header: Option<&str>) -> Result<Option<&str>, Refusal> {
    let Some(value) = header else {
        return Ok(None);
    };
    match value.trim().split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => Ok(Some(token.trim())),
        _ => Err(Refusal::new(
            Outcome::Unauthorized,
            "the Authorization header is not \"Bearer <device JWT>\"",
        )),
    }
}

/// Checks that an HTTP report's `Content-Type` is `application/cbor` (parameters ignored);
/// a 415 refusal otherwise.
pub fn check_content_type(content_type: Option<&str>) -> Result<(), Refusal> {
    let cbor = content_type
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case(CBOR));
    if cbor {
        Ok(())
    } else {
        Err(Refusal::new(
            Outcome::UnsupportedFormat,
            format!(
                "Content-Type is {:?}; the responses body must be {CBOR}",
                content_type.unwrap_or("(none)")
            ),
        ))
    }
}

/// Checks a CoAP report's Content-Format: absent or 60; a 4.15 refusal otherwise.
pub fn check_content_format(format: Option<u16>) -> Result<(), Refusal> {
    match format {
        Some(format) if format != CBOR_FORMAT => Err(Refusal::new(
            Outcome::UnsupportedFormat,
            format!("Content-Format {format} is not application/cbor (60)"),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_and_content_types() {
        assert_eq!(bearer_token(None), Ok(None));
        assert_eq!(bearer_token(Some("Bearer a.b.c")), Ok(Some("a.b.c")));
        assert_eq!(bearer_token(Some("bearer  a.b.c ")), Ok(Some("a.b.c")));
        for bad in ["Basic dXNlcg==", "a.b.c"] {
            assert_eq!(
                bearer_token(Some(bad)).map_err(|r| r.outcome),
                Err(Outcome::Unauthorized)
            );
        }
        assert!(check_content_type(Some("application/cbor")).is_ok());
        assert!(check_content_type(Some("Application/CBOR; foo=bar")).is_ok());
        for bad in [Some("*/*"), Some("application/json"), None] {
            assert_eq!(
                check_content_type(bad).map_err(|r| r.outcome),
                Err(Outcome::UnsupportedFormat)
            );
        }
        assert!(check_content_format(None).is_ok());
        assert!(check_content_format(Some(60)).is_ok());
        assert_eq!(
            check_content_format(Some(50)).map_err(|r| r.outcome),
            Err(Outcome::UnsupportedFormat)
        );
    }
}
