//! A UDP relay between the devices' DTLS sockets and the real CoAP endpoint: link faults on
//! real sockets. Each datagram either way is lost with the configured probability (a
//! seeded generator) or, during a partition, always; the rest pass unchanged. The real
//! transports then retransmit as they would on a bad radio link: CoAP messages on their
//! ACK timer, DTLS handshake flights on theirs.
//!
//! One upstream socket per device socket, so the endpoint sees each device session as its
//! own peer, as it would through a NAT. The relay's tasks live on the loopback runtime and
//! end with it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore as _, SeedableRng as _};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

/// Largest datagram relayed (UDP's limit).
const MAX_DATAGRAM: usize = 65_536;
/// Most device sockets relayed; datagrams from further ones are dropped (a run opens one
/// per DTLS session, far fewer than this).
const MAX_PEERS: usize = 4096;

/// What the relay does to datagrams now.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct RelayFaults {
    /// Probability that one datagram is lost (0 to 1).
    pub loss_rate: f64,
    /// Every datagram is lost.
    pub partitioned: bool,
}

#[derive(Debug)]
struct State {
    faults: RelayFaults,
    rng: ChaCha8Rng,
    dropped: u64,
}

impl State {
    /// Whether the next datagram is lost (and counts it).
    fn drops(&mut self) -> bool {
        let lost = self.faults.partitioned
            || (self.faults.loss_rate > 0.0
                && (self.rng.next_u32() as f64) < self.faults.loss_rate * (u32::MAX as f64 + 1.0));
        if lost {
            self.dropped += 1;
        }
        lost
    }
}

/// The relay (see the module docs).
#[derive(Debug, Clone)]
pub(crate) struct Relay {
    /// Where devices send their datagrams.
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl Relay {
    /// Binds the relay on 127.0.0.1 and starts forwarding to `upstream` (call inside the
    /// runtime that is to run it).
    pub(crate) async fn start(upstream: SocketAddr, seed: u64) -> std::io::Result<Relay> {
        let front = Arc::new(UdpSocket::bind("127.0.0.1:0").await?);
        let addr = front.local_addr()?;
        let state = Arc::new(Mutex::new(State {
            faults: RelayFaults::default(),
            rng: ChaCha8Rng::seed_from_u64(seed),
            dropped: 0,
        }));
        tokio::spawn(forward(front, upstream, state.clone()));
        Ok(Relay { addr, state })
    }

    /// Sets the faults from now on.
    pub(crate) fn set_faults(&self, faults: RelayFaults) {
        lock(&self.state).faults = faults;
    }

    /// Datagrams lost so far.
    pub(crate) fn dropped(&self) -> u64 {
        lock(&self.state).dropped
    }
}

/// The state; a poisoned lock still holds consistent counters.
fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Moves datagrams both ways until the runtime ends.
async fn forward(front: Arc<UdpSocket>, upstream: SocketAddr, state: Arc<Mutex<State>>) {
    let mut peers: HashMap<SocketAddr, Arc<UdpSocket>> = HashMap::new();
    let (back_tx, mut back_rx) = mpsc::channel::<(SocketAddr, Vec<u8>)>(1024);
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        tokio::select! {
            received = front.recv_from(&mut buf) => {
                let Ok((n, device)) = received else { continue };
                if lock(&state).drops() {
                    continue;
                }
                let Some(up) = upstream_for(&mut peers, device, upstream, &back_tx).await else {
                    continue;
                };
                let _ = up.send(buf.get(..n).unwrap_or_default()).await;
            }
            Some((device, datagram)) = back_rx.recv() => {
                if lock(&state).drops() {
                    continue;
                }
                let _ = front.send_to(&datagram, device).await;
            }
        }
    }
}

/// The upstream socket of a device socket, created (with its reader task) on first use.
async fn upstream_for(
    peers: &mut HashMap<SocketAddr, Arc<UdpSocket>>,
    device: SocketAddr,
    upstream: SocketAddr,
    back: &mpsc::Sender<(SocketAddr, Vec<u8>)>,
) -> Option<Arc<UdpSocket>> {
    if let Some(up) = peers.get(&device) {
        return Some(up.clone());
    }
    if peers.len() >= MAX_PEERS {
        return None;
    }
    let up = Arc::new(UdpSocket::bind("127.0.0.1:0").await.ok()?);
    up.connect(upstream).await.ok()?;
    let reader = up.clone();
    let back = back.clone();
    tokio::spawn(async move {
        let mut buf = vec![0u8; MAX_DATAGRAM];
        while let Ok(n) = reader.recv(&mut buf).await {
            let datagram = buf.get(..n).unwrap_or_default().to_vec();
            if back.send((device, datagram)).await.is_err() {
                break;
            }
        }
    });
    peers.insert(device, up.clone());
    Some(up)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_follows_the_rate_and_partitions_drop_everything() {
        let mut state = State {
            faults: RelayFaults {
                loss_rate: 0.2,
                partitioned: false,
            },
            rng: ChaCha8Rng::seed_from_u64(1),
            dropped: 0,
        };
        let lost = (0..10_000).filter(|_| state.drops()).count();
        assert!((1_700..2_300).contains(&lost), "{lost}");
        state.faults = RelayFaults::default();
        assert!(!(0..1000).any(|_| state.drops()));
        state.faults.partitioned = true;
        assert!((0..10).all(|_| state.drops()));
        assert_eq!(state.dropped, lost as u64 + 10);
    }

    #[test]
    fn datagrams_pass_both_ways_and_are_lost_on_demand() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let relay = Relay::start(server.local_addr().unwrap(), 7).await.unwrap();
            let device = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            device.connect(relay.addr).await.unwrap();
            device.send(b"ping").await.unwrap();
            let mut buf = [0u8; 16];
            let (n, from) = server.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"ping");
            server.send_to(b"pong", from).await.unwrap();
            let n = device.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"pong");
            relay.set_faults(RelayFaults {
                loss_rate: 0.0,
                partitioned: true,
            });
            device.send(b"lost").await.unwrap();
            let nothing = tokio::time::timeout(
                std::time::Duration::from_millis(200),
                server.recv_from(&mut buf),
            )
            .await;
            assert!(nothing.is_err(), "a partition let a datagram through");
            assert_eq!(relay.dropped(), 1);
        });
    }
}
