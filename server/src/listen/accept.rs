//! Accepting a TCP connection without ever giving up: an error (out of descriptors,
//! `EMFILE`/`ENFILE`, a connection reset before it was accepted …) is logged and retried
//! after a short pause, so a listener never dies of a flood; the pending connections wait
//! in the kernel's backlog meanwhile.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

/// Pause after a failed accept: long enough not to spin while out of descriptors, short
/// enough that the backlog moves as soon as descriptors are free again.
pub const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// The next accepted connection of `listener` (`what` names the listener in the log).
pub async fn accept(listener: &TcpListener, what: &'static str) -> (TcpStream, SocketAddr) {
    loop {
        match listener.accept().await {
            Ok(accepted) => return accepted,
            Err(e) => {
                tracing::warn!(listener = what, error = %e, "accepting a TCP connection failed; retrying");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
            }
        }
    }
}
