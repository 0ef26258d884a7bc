//! The HTTPS device endpoint: TLS (rustls) and HTTP/1.1 (hyper) around [`handler`].
//!
//! The device opens one TLS connection per request and sends `Connection: close`; the
//! server does not keep connections alive either. Every step has a time limit, and the
//! number of connections served at once is bounded, so a stalled or hostile client cannot
//! hold the endpoint.

pub mod handler;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use self::handler::{Method, Request, Response, MAX_BODY};
use crate::app::App;
use crate::device::core::Route;
use crate::device::forced::ForcedReply;

/// Connections served at once; further ones are closed at once.
pub const MAX_CONNECTIONS: usize = 256;
/// Time for the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(20);
/// Time for the request headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(20);
/// Time for a whole connection.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(60);
/// Time in-flight connections get to finish at shutdown.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Why the HTTPS endpoint stopped.
#[derive(Debug, thiserror::Error)]
pub enum HttpsError {
    /// The listener's address cannot be read.
    #[error("HTTPS listener: {0}")]
    Listener(#[from] std::io::Error),
}

/// Serves the device routes over HTTPS on `listener` until `shutdown` completes; then stops
/// accepting and gives in-flight requests a few seconds to finish.
pub async fn serve(
    app: Arc<App>,
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), HttpsError> {
    let local = listener.local_addr()?;
    tracing::info!(%local, "HTTPS device endpoint listening");
    let acceptor = TlsAcceptor::from(tls);
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => {
                let (tcp, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of descriptors and the like: wait a little, keep serving.
                        tracing::warn!(error = %e, "accepting a TCP connection failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let Ok(slot) = slots.clone().try_acquire_owned() else {
                    tracing::warn!(%peer, "too many HTTPS connections; closing this one");
                    continue;
                };
                let app = app.clone();
                let acceptor = acceptor.clone();
                connections.spawn(async move {
                    let _slot = slot;
                    if tokio::time::timeout(CONNECTION_TIMEOUT, connection(app, acceptor, tcp, peer))
                        .await
                        .is_err()
                    {
                        tracing::info!(%peer, "HTTPS connection timed out");
                    }
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(DRAIN_TIMEOUT, drain).await.is_err() {
        connections.shutdown().await;
    }
    tracing::info!("HTTPS device endpoint stopped");
    Ok(())
}

/// One connection: TLS handshake, then HTTP/1.1 without keep-alive.
async fn connection(
    app: Arc<App>,
    acceptor: TlsAcceptor,
    tcp: tokio::net::TcpStream,
    peer: SocketAddr,
) {
    let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            tracing::info!(%peer, error = %e, "TLS handshake failed");
            return;
        }
        Err(_) => {
            tracing::info!(%peer, "TLS handshake timed out");
            return;
        }
    };
    let service = service_fn(move |request| {
        let app = app.clone();
        async move { respond(&app, peer, request).await }
    });
    let served = http1::Builder::new()
        .keep_alive(false)
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .serve_connection(TokioIo::new(tls), service)
        .await;
    if let Err(e) = served {
        tracing::debug!(%peer, error = %e, "HTTP connection ended with an error");
    }
}

/// A request the connection drops instead of answering (a forced `close`).
#[derive(Debug, thiserror::Error)]
#[error("connection closed without an answer (forced)")]
struct ForcedClose;

/// Reads the request (body bounded by [`MAX_BODY`]), runs the handler (or gives the answer
/// armed for it, see [`crate::device::forced`]), builds the response.
async fn respond(
    app: &App,
    peer: SocketAddr,
    request: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, ForcedClose> {
    let (parts, body) = request.into_parts();
    let method = match parts.method {
        hyper::Method::GET => Method::Get,
        hyper::Method::POST => Method::Post,
        _ => Method::Other,
    };
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            let response = if e.is::<http_body_util::LengthLimitError>() {
                Response::text(413, format!("the body exceeds {MAX_BODY} bytes"))
            } else {
                Response::text(400, format!("cannot read the body: {e}"))
            };
            return Ok(to_hyper(response));
        }
    };
    let route = Route::from_http(method, parts.uri.path()).ok();
    let forced = route.and_then(|r| app.forced_replies().take(r));
    let lost = forced == Some(ForcedReply::Lost);
    if let Some(forced) = forced.filter(|_| !lost) {
        tracing::info!(%peer, path = parts.uri.path(), ?forced, "HTTPS request: forced answer");
        return match forced {
            ForcedReply::Status { http, .. } => {
                Ok(to_hyper(Response::text(http, format!("{http} (forced)"))))
            }
            ForcedReply::Close => Err(ForcedClose),
            // The connection's time limit ends the wait.
            ForcedReply::Silence | ForcedReply::Lost => std::future::pending().await,
        };
    }
    let header = |name| {
        parts
            .headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let handled = handler::handle(
        app,
        &Request {
            method,
            path: parts.uri.path(),
            query: parts.uri.query(),
            authorization: header(AUTHORIZATION),
            content_type: header(CONTENT_TYPE),
            body: &body,
        },
    );
    tracing::info!(
        %peer,
        device = handled.device.as_deref().unwrap_or(""),
        method = %parts.method,
        path = parts.uri.path(),
        status = handled.status,
        "HTTPS request"
    );
    if lost {
        tracing::info!(%peer, "HTTPS answer withheld (forced: lost)");
        // The connection's time limit ends the wait.
        return std::future::pending().await;
    }
    Ok(to_hyper(handled))
}

/// The hyper response for a handler response.
fn to_hyper(response: Response) -> hyper::Response<Full<Bytes>> {
    let mut out = hyper::Response::new(Full::new(Bytes::from(response.body)));
    *out.status_mut() = hyper::StatusCode::from_u16(response.status)
        .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = out.headers_mut();
    if let Some(content_type) = response.content_type {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    for (name, value) in response.headers {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers.insert(hyper::header::CONNECTION, HeaderValue::from_static("close"));
    out
}
