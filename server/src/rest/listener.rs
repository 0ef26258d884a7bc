//! The REST listener: HTTP/1.1 (hyper) around the axum [`Router`], with the flood limits of
//! [`crate::listen`]. A connection is pending (evictable) while it has no request in
//! progress: before its first request's headers are complete and while it idles between
//! keep-alive requests; hyper's header-read timeout bounds both.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::response::IntoResponse as _;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::{service_fn, Service as _};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::listen::{self, Admission, ConnTable, FdBudget, TableLimits, Ticket};

/// Default time for a request's headers, counted from the end of the previous response on
/// a kept-alive connection (so it is also the idle timeout). Longer than the idle age after
/// which common clients stop reusing a connection (ureq: 15 s), so they never send on one
/// the server is closing.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(30);
/// Default time for a whole request once its headers are in: reading the body and answering.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Time in-flight requests get to finish at shutdown.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// The REST listener's flood limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestLimits {
    /// Connections held, pending and per address (see [`crate::listen`]).
    pub table: TableLimits,
    /// Time for a request's headers (and idle time between keep-alive requests).
    pub header_timeout: Duration,
    /// Time for a request once its headers are in.
    pub request_timeout: Duration,
}

impl RestLimits {
    /// The default time limits with the connection limits `table`.
    pub fn with_table(table: TableLimits) -> Self {
        Self {
            table,
            header_timeout: HEADER_TIMEOUT,
            request_timeout: REQUEST_TIMEOUT,
        }
    }

    /// The default time limits with the connection cap of `budget`.
    pub fn for_budget(budget: &FdBudget) -> Self {
        Self::with_table(budget.rest())
    }
}

/// Serves `router` on `listener` until `shutdown` completes; then stops accepting, lets
/// requests in flight finish (idle connections close at once) and waits at most a few
/// seconds for them.
pub async fn serve(
    router: Router,
    listener: TcpListener,
    limits: RestLimits,
    shutdown: impl Future<Output = ()> + Send,
) {
    let local = listener.local_addr().ok();
    tracing::info!(?local, ?limits, "REST listener serving");
    let table = ConnTable::new(limits.table);
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            (tcp, peer) = listen::accept(&listener, "REST") => {
                let ticket = match table.admit(peer.ip()) {
                    Admission::Admitted(ticket) => ticket,
                    Admission::Full => {
                        tracing::warn!(%peer, limit = limits.table.max_connections, "every REST connection is busy; closing this one");
                        continue;
                    }
                };
                connections.spawn(connection(router.clone(), tcp, peer, ticket, limits, stop_rx.clone()));
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    let _ = stop_tx.send(true);
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(DRAIN_TIMEOUT, drain).await.is_err() {
        connections.shutdown().await;
    }
    let (evicted, refused) = table.turned_away();
    tracing::info!(evicted, refused, "REST listener stopped");
}

/// One connection: HTTP/1.1 with keep-alive until the client closes, a time limit passes,
/// the connection is evicted, or the server stops (after the request in flight).
async fn connection(
    router: Router,
    tcp: TcpStream,
    peer: SocketAddr,
    mut ticket: Ticket,
    limits: RestLimits,
    mut stop: watch::Receiver<bool>,
) {
    let marker = ticket.marker();
    let router = TowerToHyperService::new(router);
    let service = service_fn(move |request: hyper::Request<Incoming>| {
        marker.set_pending(false);
        let answer = router.call(request);
        let marker = marker.clone();
        async move {
            let response = match tokio::time::timeout(limits.request_timeout, answer).await {
                Ok(Ok(response)) => response,
                Ok(Err(never)) => match never {},
                Err(_) => timed_out(limits.request_timeout),
            };
            marker.set_pending(true);
            Ok::<_, Infallible>(response)
        }
    });
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .serve_connection(TokioIo::new(tcp), service);
    tokio::pin!(conn);
    let mut stopping = false;
    loop {
        tokio::select! {
            served = conn.as_mut() => {
                if let Err(e) = served {
                    tracing::debug!(%peer, error = %e, "REST connection ended with an error");
                }
                return;
            }
            changed = stop.changed(), if !stopping => {
                stopping = true;
                if changed.is_ok() {
                    conn.as_mut().graceful_shutdown();
                }
            }
            () = ticket.evicted() => {
                tracing::debug!(%peer, "idle REST connection evicted for a newer one");
                return;
            }
        }
    }
}

/// The answer to a request that took longer than `limit`: 408 with a JSON message.
fn timed_out(limit: Duration) -> axum::response::Response {
    (
        hyper::StatusCode::REQUEST_TIMEOUT,
        axum::Json(serde_json::json!({
            "message": format!("the request took longer than {} s", limit.as_secs())
        })),
    )
        .into_response()
}
