//! The HTTPS device endpoint: TLS (rustls) and HTTP/1.1 (hyper) around [`handler`].
//!
//! The device opens one TLS connection per request and sends `Connection: close`; the
//! server does not keep connections alive either. Every step has a time limit, and the
//! connections held at once are bounded ([`HttpsLimits`]), so a stalled or hostile client
//! cannot hold the endpoint: a connection is *pending* (evictable, see
//! [`crate::listen`]) until its request headers are in, so half-open TLS connections give
//! way to a device that completes its handshake.

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
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use self::handler::{Method, Request, Response, MAX_BODY};
use crate::app::App;
use crate::device::core::Route;
use crate::device::forced::ForcedReply;
use crate::listen::{self, Admission, ConnTable, Marker, TableLimits};

/// Default connections held at once (lowered when the open-file limit is low, see
/// [`crate::listen::fds`]).
pub const MAX_CONNECTIONS: usize = 256;
/// Default time a new connection has to send its first bytes (the ClientHello).
pub const FIRST_BYTE_TIMEOUT: Duration = Duration::from_secs(3);
/// Default time for the TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time for the request headers, after the handshake.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time for a whole connection (also what ends a forced `silence`).
pub const CONNECTION_TIMEOUT: Duration = Duration::from_secs(60);
/// Time in-flight connections get to finish at shutdown.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// The HTTPS endpoint's flood limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpsLimits {
    /// Connections held, pending and per address (see [`crate::listen`]).
    pub table: TableLimits,
    /// Time a new connection has to send its first bytes.
    pub first_byte_timeout: Duration,
    /// Time for the TLS handshake.
    pub handshake_timeout: Duration,
    /// Time for the request headers after the handshake.
    pub header_timeout: Duration,
    /// Time for a whole connection.
    pub connection_timeout: Duration,
}

impl HttpsLimits {
    /// The default time limits with the connection limits `table`.
    pub fn with_table(table: TableLimits) -> Self {
        Self {
            table,
            first_byte_timeout: FIRST_BYTE_TIMEOUT,
            handshake_timeout: HANDSHAKE_TIMEOUT,
            header_timeout: HEADER_TIMEOUT,
            connection_timeout: CONNECTION_TIMEOUT,
        }
    }
}

impl Default for HttpsLimits {
    /// [`MAX_CONNECTIONS`] and the default time limits.
    fn default() -> Self {
        Self::with_table(TableLimits::for_cap(MAX_CONNECTIONS))
    }
}

/// Why the HTTPS endpoint stopped.
#[derive(Debug, thiserror::Error)]
pub enum HttpsError {
    /// The listener's address cannot be read.
    #[error("HTTPS listener: {0}")]
    Listener(#[from] std::io::Error),
}

/// Serves the device routes over HTTPS on `listener` with the default limits until
/// `shutdown` completes; then stops accepting and gives in-flight requests a few seconds to
/// finish.
pub async fn serve(
    app: Arc<App>,
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), HttpsError> {
    serve_with(app, listener, tls, HttpsLimits::default(), shutdown).await
}

/// [`serve`] with the given limits.
pub async fn serve_with(
    app: Arc<App>,
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    limits: HttpsLimits,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), HttpsError> {
    let local = listener.local_addr()?;
    tracing::info!(%local, ?limits, "HTTPS device endpoint listening");
    let acceptor = TlsAcceptor::from(tls);
    let table = ConnTable::new(limits.table);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            (tcp, peer) = listen::accept(&listener, "HTTPS") => {
                let mut ticket = match table.admit(peer.ip()) {
                    Admission::Admitted(ticket) => ticket,
                    Admission::Full => {
                        tracing::warn!(%peer, limit = limits.table.max_connections, "every HTTPS connection is busy; closing this one");
                        continue;
                    }
                };
                let app = app.clone();
                let acceptor = acceptor.clone();
                connections.spawn(async move {
                    let marker = ticket.marker();
                    let served = tokio::time::timeout(
                        limits.connection_timeout,
                        connection(app, acceptor, tcp, peer, marker, limits),
                    );
                    tokio::select! {
                        done = served => if done.is_err() {
                            tracing::info!(%peer, "HTTPS connection timed out");
                        },
                        () = ticket.evicted() => {
                            tracing::debug!(%peer, "pending HTTPS connection evicted for a newer one");
                        }
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
    let (evicted, refused) = table.turned_away();
    tracing::info!(evicted, refused, "HTTPS device endpoint stopped");
    Ok(())
}

/// One connection: first bytes, TLS handshake, then HTTP/1.1 without keep-alive. The
/// connection stays pending until its request headers are in.
async fn connection(
    app: Arc<App>,
    acceptor: TlsAcceptor,
    tcp: tokio::net::TcpStream,
    peer: SocketAddr,
    marker: Marker,
    limits: HttpsLimits,
) {
    let mut first = [0u8; 1];
    match tokio::time::timeout(limits.first_byte_timeout, tcp.peek(&mut first)).await {
        Ok(Ok(n)) if n > 0 => {}
        Ok(_) => return,
        Err(_) => {
            tracing::debug!(%peer, "HTTPS connection sent nothing; closed");
            return;
        }
    }
    let tls = match tokio::time::timeout(limits.handshake_timeout, acceptor.accept(tcp)).await {
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
        marker.set_pending(false);
        async move { respond(&app, peer, request).await }
    });
    let served = http1::Builder::new()
        .keep_alive(false)
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
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
