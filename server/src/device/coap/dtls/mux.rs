//! One UDP socket, many DTLS peers: a per-peer datagram connection ([`PeerConn`]) that a
//! connection-oriented DTLS engine can run on, fed by the engine's receive loop.
//!
//! It also keeps a promise the engine does not: RFC 6347 §4.2.4 makes the sender of the
//! last handshake flight (the server's ChangeCipherSpec + Finished) answer a repeat of the
//! peer's final flight by sending its last flight again, because only that tells the peer
//! the flight was lost. `webrtc-dtls` 0.12 considers the handshake done and ignores the
//! repeat, so on a lossy link the device retries until its handshake times out (found by
//! `provlab run --net loopback` with link loss; the sans-IO successor has the same gap, see
//! webrtc-rs/rtc pull request 243). [`PeerConn`] remembers the datagrams of the last flight
//! it sent and sends them again when an epoch-0 handshake record arrives after it.

use std::net::SocketAddr;
use std::sync::Arc;

use async_trait::async_trait;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, Mutex};
use webrtc_util::conn::Conn;

/// Datagrams queued per peer before further ones are dropped (UDP may drop; the peer
/// retransmits).
pub const PEER_QUEUE: usize = 64;

/// The `ContentType` of a DTLS handshake record.
const HANDSHAKE: u8 = 22;
/// The handshake type of a ClientHello.
const CLIENT_HELLO: u8 = 1;
/// DTLS record header length (type, version, epoch, sequence number, length).
pub(crate) const RECORD_HEADER: usize = 13;
/// The `ContentType` of a ChangeCipherSpec record.
const CHANGE_CIPHER_SPEC: u8 = 20;
/// Most datagrams kept of the server's last flight.
const MAX_FINAL_FLIGHT: usize = 4;

/// The content type and epoch of a datagram's first DTLS record.
fn first_record(datagram: &[u8]) -> Option<(u8, u16)> {
    match datagram {
        [content_type, 0xFE, _, e0, e1, ..] if datagram.len() >= RECORD_HEADER => {
            Some((*content_type, u16::from_be_bytes([*e0, *e1])))
        }
        _ => None,
    }
}

/// Whether an outgoing datagram belongs to the server's last handshake flight: it starts
/// with the ChangeCipherSpec, or is an encrypted (epoch ≥ 1) handshake record (Finished)
/// sent on its own.
fn is_final_flight(datagram: &[u8]) -> bool {
    match first_record(datagram) {
        Some((CHANGE_CIPHER_SPEC, _)) => true,
        Some((HANDSHAKE, epoch)) => epoch >= 1,
        _ => false,
    }
}

/// Whether an incoming datagram repeats the peer's part of the handshake: a handshake record
/// at epoch 0 (the client's final flight starts with its Certificate or ClientKeyExchange).
fn is_peer_handshake_repeat(datagram: &[u8]) -> bool {
    first_record(datagram) == Some((HANDSHAKE, 0))
}

/// Whether `datagram` starts with a DTLS ClientHello record at epoch 0: the only datagram
/// that may open a new session (anything else from an unknown peer is dropped).
pub fn is_client_hello(datagram: &[u8]) -> bool {
    match datagram {
        [content_type, 0xFE, minor, 0, 0, ..] if datagram.len() > RECORD_HEADER => {
            *content_type == HANDSHAKE
                && (*minor == 0xFD || *minor == 0xFF)
                && datagram.get(RECORD_HEADER) == Some(&CLIENT_HELLO)
        }
        _ => false,
    }
}

/// The datagram connection to one peer over the shared socket: sends go straight to the
/// socket; receives come from the queue the receive loop fills.
pub struct PeerConn {
    socket: Arc<UdpSocket>,
    local: SocketAddr,
    peer: SocketAddr,
    inbound: Mutex<mpsc::Receiver<Vec<u8>>>,
    /// The datagrams of the last handshake flight sent (see the module docs).
    final_flight: std::sync::Mutex<Vec<Vec<u8>>>,
}

impl PeerConn {
    /// A connection to `peer` on `socket`, with the receive loop's queue `inbound`.
    pub fn new(
        socket: Arc<UdpSocket>,
        local: SocketAddr,
        peer: SocketAddr,
        inbound: mpsc::Receiver<Vec<u8>>,
    ) -> Self {
        Self {
            socket,
            local,
            peer,
            inbound: Mutex::new(inbound),
            final_flight: std::sync::Mutex::new(Vec::new()),
        }
    }
}

impl PeerConn {
    /// The kept last flight; a poisoned lock still holds whole datagrams.
    fn flight(&self) -> std::sync::MutexGuard<'_, Vec<Vec<u8>>> {
        self.final_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sends the kept last flight again (nothing before the server has sent one).
    async fn resend_final_flight(&self) {
        let flight = self.flight().clone();
        if !flight.is_empty() {
            tracing::debug!(peer = %self.peer, datagrams = flight.len(), "peer repeated its final flight; sending ours again");
        }
        for datagram in flight {
            let _ = self.socket.send_to(&datagram, self.peer).await;
        }
    }
}

#[async_trait]
impl Conn for PeerConn {
    async fn connect(&self, _addr: SocketAddr) -> webrtc_util::Result<()> {
        Err(webrtc_util::Error::Other(
            "a demultiplexed peer connection is already connected".into(),
        ))
    }

    async fn recv(&self, buf: &mut [u8]) -> webrtc_util::Result<usize> {
        let next = self.inbound.lock().await.recv().await;
        match next {
            Some(datagram) => {
                if is_peer_handshake_repeat(&datagram) {
                    self.resend_final_flight().await;
                }
                let n = datagram.len().min(buf.len());
                if let (Some(dst), Some(src)) = (buf.get_mut(..n), datagram.get(..n)) {
                    dst.copy_from_slice(src);
                }
                Ok(n)
            }
            // The peer is gone. The engine's reader loops on errors until its connection is
            // dropped, so wait instead of failing: the drop cancels this future.
            None => std::future::pending().await,
        }
    }

    async fn recv_from(&self, buf: &mut [u8]) -> webrtc_util::Result<(usize, SocketAddr)> {
        let n = self.recv(buf).await?;
        Ok((n, self.peer))
    }

    async fn send(&self, buf: &[u8]) -> webrtc_util::Result<usize> {
        if is_final_flight(buf) {
            let mut flight = self.flight();
            if first_record(buf).is_some_and(|(t, _)| t == CHANGE_CIPHER_SPEC) {
                flight.clear();
            }
            if flight.len() < MAX_FINAL_FLIGHT {
                flight.push(buf.to_vec());
            }
        }
        Ok(self.socket.send_to(buf, self.peer).await?)
    }

    async fn send_to(&self, buf: &[u8], _target: SocketAddr) -> webrtc_util::Result<usize> {
        self.send(buf).await
    }

    fn local_addr(&self) -> webrtc_util::Result<SocketAddr> {
        Ok(self.local)
    }

    fn remote_addr(&self) -> Option<SocketAddr> {
        Some(self.peer)
    }

    async fn close(&self) -> webrtc_util::Result<()> {
        Ok(())
    }

    fn as_any(&self) -> &(dyn std::any::Any + Send + Sync) {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(content_type: u8, epoch: u16) -> Vec<u8> {
        let mut r = vec![content_type, 0xFE, 0xFD];
        r.extend_from_slice(&epoch.to_be_bytes());
        r.extend_from_slice(&[0; 8]);
        r.push(0);
        r
    }

    #[test]
    fn the_final_flight_and_its_repeat_are_told_apart() {
        assert!(is_final_flight(&record(CHANGE_CIPHER_SPEC, 0)));
        assert!(is_final_flight(&record(HANDSHAKE, 1)));
        assert!(
            !is_final_flight(&record(HANDSHAKE, 0)),
            "ServerHello flight"
        );
        assert!(!is_final_flight(&record(23, 1)), "application data");
        assert!(is_peer_handshake_repeat(&record(HANDSHAKE, 0)));
        assert!(!is_peer_handshake_repeat(&record(23, 1)));
        assert!(!is_peer_handshake_repeat(&record(21, 1)), "alert");
        assert!(!is_peer_handshake_repeat(b"short"));
    }

    #[test]
    fn only_an_epoch_0_client_hello_opens_a_session() {
        let mut hello = vec![22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 60, 1, 0, 0];
        assert!(is_client_hello(&hello));
        hello[2] = 0xFF; // DTLS 1.0 record version, as some ClientHellos carry
        assert!(is_client_hello(&hello));
        let mut later_epoch = hello.clone();
        later_epoch[4] = 1;
        assert!(!is_client_hello(&later_epoch));
        let mut app_data = hello.clone();
        app_data[0] = 23;
        assert!(!is_client_hello(&app_data));
        let mut server_hello = hello.clone();
        server_hello[13] = 2;
        assert!(!is_client_hello(&server_hello));
        assert!(!is_client_hello(&hello[..13]));
        assert!(!is_client_hello(b"GET / HTTP/1.1\r\n"));
    }
}
