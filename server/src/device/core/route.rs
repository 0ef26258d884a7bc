//! Which device request a path and method name, parsed once for both transports.
//!
//! HTTPS (device-protocol.md §3): `GET /v1/provisioning/commands` and
//! `POST /v1/provisioning/response`. CoAP (§4): `POST p/auth-jwt` (also `p/auth`, the path of
//! older SDK releases), `GET p/cmd`, `POST p/rsp` and `/.dtls/suspend` (any method). CoAP
//! paths are compared segment by segment with empty segments dropped, so `/.dtls/suspend`
//! and `.dtls/suspend` are the same resource.

use super::outcome::Outcome;

/// The HTTP path of the fetch.
pub const COMMANDS_PATH: &str = "/v1/provisioning/commands";
/// The HTTP path of the report.
pub const RESPONSE_PATH: &str = "/v1/provisioning/response";

/// The request method, as far as the device routes care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// Any other method.
    Other,
}

impl Method {
    /// The method's name on an HTTP request line (`None` for [`Method::Other`]).
    pub fn as_str(self) -> Option<&'static str> {
        match self {
            Method::Get => Some("GET"),
            Method::Post => Some("POST"),
            Method::Other => None,
        }
    }
}

/// A device route: what a request asks the service for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Route {
    /// Fetch commands: `GET /v1/provisioning/commands`, CoAP `GET p/cmd`.
    Fetch,
    /// Report responses: `POST /v1/provisioning/response`, CoAP `POST p/rsp`.
    Report,
    /// Authenticate a DTLS session: CoAP `POST p/auth-jwt` (HTTPS authenticates every
    /// request instead).
    Auth,
    /// Suspend a DTLS session: CoAP `/.dtls/suspend`, not supported (4.04).
    Suspend,
}

/// Why a path and method name no device route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// No route has this path (HTTP 404 / CoAP 4.04).
    #[error("no such device route")]
    Unknown,
    /// The path is a route's, the method is not (HTTP 405 / CoAP 4.05).
    #[error("method not allowed on the {0:?} route")]
    WrongMethod(Route),
}

impl RouteError {
    /// What the error comes to: not found, or method not allowed.
    pub fn outcome(self) -> Outcome {
        match self {
            RouteError::Unknown => Outcome::NotFound,
            RouteError::WrongMethod(_) => Outcome::MethodNotAllowed,
        }
    }
}

impl Route {
    /// The route of an HTTPS request (`path` without the query).
    pub fn from_http(method: Method, path: &str) -> Result<Route, RouteError> {
        let route = match path {
            COMMANDS_PATH => Route::Fetch,
            RESPONSE_PATH => Route::Report,
            _ => return Err(RouteError::Unknown),
        };
        route.check(method)
    }

    /// The route of a CoAP request, from its Uri-Path segments.
    pub fn from_coap_segments<'a>(
        method: Method,
        segments: impl IntoIterator<Item = &'a str>,
    ) -> Result<Route, RouteError> {
        let segments: Vec<&str> = segments.into_iter().filter(|s| !s.is_empty()).collect();
        let route = match segments.as_slice() {
            ["p", "auth-jwt" | "auth"] => Route::Auth,
            ["p", "cmd"] => Route::Fetch,
            ["p", "rsp"] => Route::Report,
            [".dtls", "suspend"] => return Ok(Route::Suspend),
            _ => return Err(RouteError::Unknown),
        };
        route.check(method)
    }

    /// The route of a CoAP request whose path is written as text (`p/cmd`,
    /// `/.dtls/suspend`).
    pub fn from_coap_path(method: Method, path: &str) -> Result<Route, RouteError> {
        Route::from_coap_segments(method, path.split('/'))
    }

    /// The method the route takes (`/.dtls/suspend` is sent as `POST`).
    pub fn method(self) -> Method {
        match self {
            Route::Fetch => Method::Get,
            Route::Report | Route::Auth | Route::Suspend => Method::Post,
        }
    }

    /// Whether the request reaches the domain (fetch, report, authentication): the requests
    /// that forced answers and service faults apply to. `/.dtls/suspend` is answered by the
    /// transport alone.
    pub fn reaches_service(self) -> bool {
        !matches!(self, Route::Suspend)
    }

    fn check(self, method: Method) -> Result<Route, RouteError> {
        if method == self.method() {
            Ok(self)
        } else {
            Err(RouteError::WrongMethod(self))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_routes_are_parsed_from_path_and_method() {
        use Method::*;
        assert_eq!(Route::from_http(Get, COMMANDS_PATH), Ok(Route::Fetch));
        assert_eq!(Route::from_http(Post, RESPONSE_PATH), Ok(Route::Report));
        assert_eq!(
            Route::from_http(Post, COMMANDS_PATH),
            Err(RouteError::WrongMethod(Route::Fetch))
        );
        assert_eq!(
            Route::from_http(Other, RESPONSE_PATH),
            Err(RouteError::WrongMethod(Route::Report))
        );
        assert_eq!(
            Route::from_http(Get, "/v1/provisioning/commands/"),
            Err(RouteError::Unknown)
        );
        assert_eq!(Route::from_http(Get, "p/cmd"), Err(RouteError::Unknown));
    }

    #[test]
    fn coap_routes_are_parsed_from_segments_and_method() {
        use Method::*;
        assert_eq!(Route::from_coap_path(Post, "p/auth-jwt"), Ok(Route::Auth));
        assert_eq!(Route::from_coap_path(Post, "p/auth"), Ok(Route::Auth));
        assert_eq!(Route::from_coap_path(Get, "p/cmd"), Ok(Route::Fetch));
        assert_eq!(Route::from_coap_path(Post, "p/rsp"), Ok(Route::Report));
        assert_eq!(
            Route::from_coap_segments(Post, ["", ".dtls", "suspend"]),
            Ok(Route::Suspend)
        );
        assert_eq!(
            Route::from_coap_path(Other, "/.dtls/suspend"),
            Ok(Route::Suspend)
        );
        assert_eq!(
            Route::from_coap_path(Other, "p/cmd"),
            Err(RouteError::WrongMethod(Route::Fetch))
        );
        assert_eq!(
            Route::from_coap_path(Get, "p/rsp"),
            Err(RouteError::WrongMethod(Route::Report))
        );
        assert_eq!(
            Route::from_coap_path(Get, "p/cmd/x"),
            Err(RouteError::Unknown)
        );
        assert_eq!(
            Route::from_coap_path(Get, COMMANDS_PATH),
            Err(RouteError::Unknown)
        );
        assert!(Route::Fetch.reaches_service() && !Route::Suspend.reaches_service());
    }
}
