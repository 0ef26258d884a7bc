//! The CoAP-over-DTLS device endpoint (`coaps://…:5684`).
//!
//! * [`dtls`]: the DTLS engine interface and the `webrtc-dtls` engine;
//! * [`session`]: one session's CoAP exchanges, sans-IO (message framing, Block1
//!   reassembly, deduplication; routing, codes and Block2 blocks through
//!   [`crate::device::core`]);
//! * [`block`] and [`dedup`]: block-wise transfer and the message-id cache;
//! * [`serve`]: the listener loop tying them to the [`App`].

pub mod block;
pub mod dedup;
pub mod dtls;
pub mod session;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;
use tokio::task::JoinSet;

use self::dtls::webrtc::WebrtcDtls;
use self::dtls::{DtlsConfig, DtlsEngine, DtlsError, DtlsListener, DtlsSession};
use self::session::CoapSession;
use crate::app::App;

/// A DTLS session with no datagram for this long is closed. The SDK's client opens a
/// session per exchange (auth + GET, or auth + POST) and closes it; 2 minutes covers a
/// slow LTE-M link's retransmissions.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(120);

/// Why the CoAP endpoint could not start.
#[derive(Debug, thiserror::Error)]
pub enum CoapError {
    /// The DTLS engine refused to start.
    #[error(transparent)]
    Dtls(#[from] DtlsError),
}

/// Serves CoAP over DTLS 1.2 on `socket` with the `webrtc-dtls` engine until `shutdown`
/// completes; then stops accepting and ends every session.
pub async fn serve(
    app: Arc<App>,
    socket: UdpSocket,
    dtls: DtlsConfig,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), CoapError> {
    let listener = WebrtcDtls::new(dtls).listen(socket)?;
    serve_sessions(app, listener, shutdown).await;
    Ok(())
}

/// Serves the sessions a DTLS listener (of any engine) hands out until `shutdown`
/// completes or the engine stops.
pub async fn serve_sessions(
    app: Arc<App>,
    mut listener: DtlsListener,
    shutdown: impl Future<Output = ()> + Send,
) {
    let mut sessions = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Some(session) => {
                    sessions.spawn(run_session(app.clone(), session));
                }
                None => {
                    tracing::error!("the DTLS engine stopped");
                    break;
                }
            },
            Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
        }
    }
    tracing::info!(sessions = sessions.len(), "CoAP endpoint stopping");
    sessions.shutdown().await;
}

/// Runs one session: each datagram through [`CoapSession`], until the peer closes the
/// session or it idles for [`IDLE_TIMEOUT`].
async fn run_session(app: Arc<App>, mut session: DtlsSession) {
    let peer = session.info.peer;
    let mut coap = CoapSession::new(peer.to_string());
    loop {
        let datagram = match tokio::time::timeout(IDLE_TIMEOUT, session.incoming.recv()).await {
            Ok(Some(datagram)) => datagram,
            Ok(None) => break,
            Err(_) => {
                tracing::debug!(%peer, "DTLS session idle; closing");
                break;
            }
        };
        if let Some(reply) = coap.handle(&app, Instant::now(), &datagram) {
            if session.outgoing.send(reply).await.is_err() {
                break;
            }
        }
        if coap.wants_close() {
            tracing::info!(%peer, "ending the DTLS session (forced close)");
            break;
        }
    }
    let device = coap
        .device()
        .map(|d| d.device.to_string())
        .unwrap_or_default();
    tracing::debug!(%peer, device, "CoAP session over");
}
