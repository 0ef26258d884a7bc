//! One UDP socket, many DTLS peers: a per-peer datagram connection ([`PeerConn`]) that a
//! connection-oriented DTLS engine can run on, fed by the engine's receive loop.

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
const RECORD_HEADER: usize = 13;

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
