//! Authentication before anything else: a middleware on every authenticated route that
//! checks the `Authorization` header and the key it carries before the handler's extractors
//! read the path, the query or the body.
//!
//! Why a layer rather than the [`ApiKey`] extractor alone: axum runs a handler's extractors
//! in argument order and stops at the first rejection, so a malformed path id, query, content
//! type or JSON body was refused (400/415) before the domain could say 401. A request without
//! a valid key must learn only that it is not authenticated (`docs/spec/service.md`), and the
//! order must not depend on each handler's argument list: the layer decides 401 once, for
//! every route it wraps. The domain still authorizes each operation with the key (403 and
//! visibility), so a key revoked between the layer and the handler is a 401 there.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::extract::ApiKey;
use super::handlers::AppState;

/// Middleware: answers 401 (or 503 when the service is unavailable) unless the request
/// carries `Authorization: Bearer <key>` with a key of a current member; otherwise runs the
/// route.
pub async fn require_api_key(
    State(app): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let key = match ApiKey::from_headers(request.headers()) {
        Ok(key) => key,
        Err(e) => return e.into_response(),
    };
    match app.try_read(|svc, _| svc.authenticate(key.as_deref()).map(|_| ())) {
        Ok(Ok(())) => next.run(request).await,
        Ok(Err(e)) => ApiError::from(e).into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}
