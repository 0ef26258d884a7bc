//! Request extractors whose failures are [`ApiError`]s with a clear `{"message"}`: the API
//! key, JSON bodies, raw bodies, query strings and path parameters.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// The caller's API key from `Authorization: Bearer <key>`; `None` when the header is
/// absent (the domain then answers 401).
#[derive(Debug, Clone)]
pub struct ApiKey(pub Option<String>);

impl ApiKey {
    /// The key as the domain takes it.
    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl ApiKey {
    /// The key in `headers`: `None` without an `Authorization` header, 401 when the header is
    /// not `Bearer <key>`.
    pub fn from_headers(headers: &HeaderMap) -> Result<Self, ApiError> {
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Ok(ApiKey(None));
        };
        let bad = || {
            ApiError::request(
                StatusCode::UNAUTHORIZED,
                "the Authorization header must be `Bearer <api key>`",
            )
        };
        let text = value.to_str().map_err(|_| bad())?;
        let (scheme, key) = text.trim().split_once(' ').ok_or_else(bad)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(bad());
        }
        Ok(ApiKey(Some(key.trim().to_owned())))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ApiKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        ApiKey::from_headers(&parts.headers)
    }
}

/// A JSON body of type `T`. The content type must be JSON when given; syntax errors, wrong
/// types and unknown fields are 400s naming the place, a body over the limit is 413.
#[derive(Debug, Clone)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        check_json_content_type(req.headers())?;
        let RawBody(bytes) = RawBody::from_request(req, state).await?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// Parses `bytes` as JSON of type `T`, with [`JsonBody`]'s errors.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "the request body is empty; expected JSON",
        ));
    }
    match Json::<T>::from_bytes(bytes) {
        Ok(Json(value)) => Ok(value),
        // JSON Schema's `integer` includes `7.0`; serde's integers do not. Read it as `7`.
        Err(rejection) => with_integral_numbers(bytes)
            .and_then(|value| serde_json::from_value(value).ok())
            .ok_or_else(|| rejection_error(rejection)),
    }
}

/// The body's JSON with every integral float (`7.0`) written as an integer (`7`); `None` when
/// it is not JSON or has no such number.
fn with_integral_numbers(bytes: &[u8]) -> Option<serde_json::Value> {
    fn fix(value: &mut serde_json::Value) -> bool {
        match value {
            serde_json::Value::Number(n) if n.is_f64() => {
                let Some(f) = n.as_f64() else { return false };
                // Within ±2^53 a float's integer part is exact.
                if f.fract() != 0.0 || f.abs() > 9_007_199_254_740_992.0 {
                    return false;
                }
                #[allow(clippy::cast_possible_truncation)]
                let i = f as i64;
                *value = serde_json::Value::from(i);
                true
            }
            serde_json::Value::Array(items) => items.iter_mut().fold(false, |c, v| fix(v) | c),
            serde_json::Value::Object(map) => map.values_mut().fold(false, |c, v| fix(v) | c),
            _ => false,
        }
    }
    let mut value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    fix(&mut value).then_some(value)
}

/// A JSON rejection as an [`ApiError`]: 400 (axum's 422 for a wrong shape included).
fn rejection_error(rejection: axum::extract::rejection::JsonRejection) -> ApiError {
    let status = match rejection.status() {
        StatusCode::UNPROCESSABLE_ENTITY => StatusCode::BAD_REQUEST,
        other => other,
    };
    ApiError::request(status, rejection.body_text())
}

/// Rejects a content type other than JSON (a missing one is accepted, for plain `curl -d`).
pub fn check_json_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let text = value.to_str().unwrap_or("");
    let mime = text
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if mime == "application/json" || mime.ends_with("+json") {
        Ok(())
    } else {
        Err(ApiError::request(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("unsupported Content-Type {text:?}; expected application/json"),
        ))
    }
}

/// The raw body bytes (within the body limit: over it is 413).
#[derive(Debug, Clone)]
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Bytes::from_request(req, state)
            .await
            .map(RawBody)
            .map_err(|rejection| {
                let status = rejection.status();
                let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
                    format!(
                        "the request body is larger than {} bytes",
                        super::MAX_BODY_BYTES
                    )
                } else {
                    rejection.body_text()
                };
                ApiError::request(status, message)
            })
    }
}

/// A query string of type `T`; a malformed one is a 400 naming the parameter.
#[derive(Debug, Clone)]
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(q)| QueryParams(q))
            .map_err(|r| ApiError::request(r.status(), r.body_text()))
    }
}

/// Path parameters of type `T`; a malformed one is a 400.
#[derive(Debug, Clone)]
pub struct PathParams<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for PathParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(p)| PathParams(p))
            .map_err(|r| {
                let status = if r.status().is_server_error() {
                    r.status()
                } else {
                    StatusCode::BAD_REQUEST
                };
                ApiError::request(status, r.body_text())
            })
    }
}
