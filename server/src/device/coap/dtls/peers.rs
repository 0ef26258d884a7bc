//! The demultiplexer's peer table, sans-IO: which peer a datagram belongs to, whether a
//! ClientHello from a new address may start a handshake, and which peer gives way.
//!
//! A peer is **unverified** from its first ClientHello until it sends a ClientHello that
//! carries a cookie: the answer to the engine's HelloVerifyRequest (RFC 6347 §4.2.1), which
//! only a client that receives datagrams at its address can give. It is **handshaking**
//! until the engine reports the handshake done, then **established**. The limits:
//!
//! * at most [`DtlsConfig::max_peers`] peers in all;
//! * at most [`DtlsConfig::max_handshakes`] of them not established yet;
//! * at most [`DtlsConfig::max_unverified`] unverified, and
//!   [`DtlsConfig::max_unverified_per_ip`] from one IP address;
//! * an unverified peer is dropped after [`DtlsConfig::unverified_timeout`].
//!
//! A ClientHello that would cross a limit evicts the **oldest unverified** peer (of its own
//! address first); only when no unverified peer is left to evict is it dropped. A burst of
//! ClientHellos from spoofed or abandoned ports never answers the HelloVerifyRequest, so
//! each of them is soon the oldest unverified peer and gives way to the next, while a real
//! device answers within one round trip and is out of reach of eviction from then on.
//!
//! [`DtlsConfig::max_peers`]: super::DtlsConfig::max_peers
//! [`DtlsConfig::max_handshakes`]: super::DtlsConfig::max_handshakes
//! [`DtlsConfig::max_unverified`]: super::DtlsConfig::max_unverified
//! [`DtlsConfig::max_unverified_per_ip`]: super::DtlsConfig::max_unverified_per_ip
//! [`DtlsConfig::unverified_timeout`]: super::DtlsConfig::unverified_timeout

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use super::mux::RECORD_HEADER;

/// Length of a DTLS handshake message header.
const HANDSHAKE_HEADER: usize = 12;

/// Whether a ClientHello datagram carries a non-empty cookie (the answer to a
/// HelloVerifyRequest). A datagram too short to tell carries none.
pub fn client_hello_has_cookie(datagram: &[u8]) -> bool {
    // client_version (2), random (32), then session_id and cookie, each length-prefixed.
    let session_id_len = RECORD_HEADER + HANDSHAKE_HEADER + 2 + 32;
    let Some(&session_id) = datagram.get(session_id_len) else {
        return false;
    };
    let cookie_len = session_id_len + 1 + usize::from(session_id);
    datagram.get(cookie_len).is_some_and(|&len| len > 0)
}

/// Where a peer is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Has not answered the HelloVerifyRequest yet.
    Unverified,
    /// Answered it; the handshake runs.
    Handshaking,
    /// The handshake is done.
    Established,
}

/// The limits of [`PeerTable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerLimits {
    /// Peers in all.
    pub max_peers: usize,
    /// Peers not established yet.
    pub max_handshakes: usize,
    /// Unverified peers.
    pub max_unverified: usize,
    /// Unverified peers from one IP address.
    pub max_unverified_per_ip: usize,
    /// Time an unverified peer is kept.
    pub unverified_timeout: Duration,
}

#[derive(Debug)]
struct Entry<T> {
    generation: u64,
    stage: Stage,
    since: Instant,
    handle: T,
}

/// The peers of one socket, each with the caller's handle `T` (its queue and task).
#[derive(Debug)]
pub struct PeerTable<T> {
    limits: PeerLimits,
    peers: HashMap<SocketAddr, Entry<T>>,
    next_generation: u64,
}

/// What [`PeerTable::admit`] decided about a ClientHello from a new address.
#[derive(Debug)]
pub enum Admit<T> {
    /// Start a peer with this generation; the evicted peers' handles are to be ended.
    Start {
        /// The new peer's generation.
        generation: u64,
        /// Handles of the peers that gave way.
        evicted: Vec<T>,
    },
    /// Every peer that could give way is verified: drop the ClientHello.
    Full,
}

impl<T> PeerTable<T> {
    /// An empty table.
    pub fn new(limits: PeerLimits) -> Self {
        Self {
            limits,
            peers: HashMap::new(),
            next_generation: 0,
        }
    }

    /// The handle of the peer at `addr`.
    pub fn get(&self, addr: &SocketAddr) -> Option<&T> {
        self.peers.get(addr).map(|e| &e.handle)
    }

    /// Peers in each stage: unverified, handshaking, established.
    pub fn counts(&self) -> (usize, usize, usize) {
        let count = |stage| self.peers.values().filter(|e| e.stage == stage).count();
        (
            count(Stage::Unverified),
            count(Stage::Handshaking),
            count(Stage::Established),
        )
    }

    fn oldest_unverified(&self, ip: Option<IpAddr>) -> Option<SocketAddr> {
        self.peers
            .iter()
            .filter(|(a, e)| e.stage == Stage::Unverified && ip.is_none_or(|ip| a.ip() == ip))
            .min_by_key(|(_, e)| (e.since, e.generation))
            .map(|(a, _)| *a)
    }

    fn evict(&mut self, ip: Option<IpAddr>, evicted: &mut Vec<T>) -> bool {
        match self
            .oldest_unverified(ip)
            .and_then(|a| self.peers.remove(&a))
        {
            Some(entry) => {
                evicted.push(entry.handle);
                true
            }
            None => false,
        }
    }

    /// Decides about a ClientHello from `addr`, which has no peer yet; on
    /// [`Admit::Start`] the caller creates the peer with [`PeerTable::insert`].
    pub fn admit(&mut self, addr: SocketAddr) -> Admit<T> {
        let mut evicted = Vec::new();
        let (unverified, handshaking, _) = self.counts();
        let from_ip = self
            .peers
            .iter()
            .filter(|(a, e)| e.stage == Stage::Unverified && a.ip() == addr.ip())
            .count();
        let mut room = true;
        if from_ip >= self.limits.max_unverified_per_ip {
            room = self.evict(Some(addr.ip()), &mut evicted);
        }
        if room && unverified >= self.limits.max_unverified && evicted.is_empty() {
            room = self.evict(None, &mut evicted);
        }
        if room && unverified + handshaking - evicted.len() >= self.limits.max_handshakes {
            room = self.evict(None, &mut evicted);
        }
        if room && self.peers.len() >= self.limits.max_peers {
            room = self.evict(None, &mut evicted);
        }
        if !room {
            return Admit::Full;
        }
        self.next_generation += 1;
        Admit::Start {
            generation: self.next_generation,
            evicted,
        }
    }

    /// Records the peer [`PeerTable::admit`] let start.
    pub fn insert(&mut self, addr: SocketAddr, generation: u64, now: Instant, handle: T) {
        self.peers.insert(
            addr,
            Entry {
                generation,
                stage: Stage::Unverified,
                since: now,
                handle,
            },
        );
    }

    /// A ClientHello with a cookie arrived from `addr`: the peer answered the
    /// HelloVerifyRequest.
    pub fn verified(&mut self, addr: &SocketAddr) {
        if let Some(entry) = self.peers.get_mut(addr) {
            if entry.stage == Stage::Unverified {
                entry.stage = Stage::Handshaking;
            }
        }
    }

    /// The engine finished the handshake of peer `generation` at `addr`.
    pub fn established(&mut self, addr: &SocketAddr, generation: u64) {
        if let Some(entry) = self.peers.get_mut(addr) {
            if entry.generation == generation {
                entry.stage = Stage::Established;
            }
        }
    }

    /// Peer `generation` at `addr` is over: forgets it (not a later peer at that address).
    pub fn gone(&mut self, addr: &SocketAddr, generation: u64) -> Option<T> {
        match self.peers.get(addr) {
            Some(entry) if entry.generation == generation => {
                self.peers.remove(addr).map(|e| e.handle)
            }
            _ => None,
        }
    }

    /// Removes the unverified peers older than the timeout at `now`; returns their handles.
    pub fn expire(&mut self, now: Instant) -> Vec<T> {
        let timeout = self.limits.unverified_timeout;
        let stale: Vec<SocketAddr> = self
            .peers
            .iter()
            .filter(|(_, e)| {
                e.stage == Stage::Unverified && now.saturating_duration_since(e.since) >= timeout
            })
            .map(|(a, _)| *a)
            .collect();
        stale
            .into_iter()
            .filter_map(|a| self.peers.remove(&a).map(|e| e.handle))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> PeerLimits {
        PeerLimits {
            max_peers: 6,
            max_handshakes: 4,
            max_unverified: 3,
            max_unverified_per_ip: 2,
            unverified_timeout: Duration::from_secs(4),
        }
    }

    fn addr(ip: u8, port: u16) -> SocketAddr {
        SocketAddr::from(([10, 0, 0, ip], port))
    }

    fn start(table: &mut PeerTable<SocketAddr>, a: SocketAddr, now: Instant) -> Vec<SocketAddr> {
        match table.admit(a) {
            Admit::Start {
                generation,
                evicted,
            } => {
                table.insert(a, generation, now, a);
                evicted
            }
            Admit::Full => panic!("{a} refused"),
        }
    }

    #[test]
    fn a_burst_of_unverified_peers_gives_way_oldest_first() {
        let mut table = PeerTable::new(limits());
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        assert!(start(&mut table, addr(1, 1), ms(0)).is_empty());
        assert!(start(&mut table, addr(1, 2), ms(1)).is_empty());
        // A third from the same address evicts that address's oldest.
        assert_eq!(start(&mut table, addr(1, 3), ms(2)), vec![addr(1, 1)]);
        assert!(start(&mut table, addr(2, 1), ms(3)).is_empty());
        // The fourth unverified peer in all evicts the oldest anywhere.
        assert_eq!(start(&mut table, addr(3, 1), ms(4)), vec![addr(1, 2)]);
        assert_eq!(table.counts(), (3, 0, 0));
    }

    #[test]
    fn verified_and_established_peers_are_never_evicted() {
        let mut table = PeerTable::new(limits());
        let now = Instant::now();
        for port in 1..=4 {
            start(&mut table, addr(port as u8, port), now);
            table.verified(&addr(port as u8, port));
        }
        // Four handshakes under way: a fifth ClientHello has nobody to evict.
        assert!(matches!(table.admit(addr(9, 9)), Admit::Full));
        table.established(&addr(1, 1), 1);
        assert!(matches!(table.admit(addr(9, 9)), Admit::Start { .. }));
        assert_eq!(table.gone(&addr(1, 1), 99), None, "an older generation");
        assert_eq!(table.gone(&addr(1, 1), 1), Some(addr(1, 1)));
    }

    #[test]
    fn unverified_peers_expire() {
        let mut table = PeerTable::new(limits());
        let now = Instant::now();
        start(&mut table, addr(1, 1), now);
        start(&mut table, addr(1, 2), now);
        table.verified(&addr(1, 2));
        assert!(table.expire(now + Duration::from_secs(3)).is_empty());
        assert_eq!(table.expire(now + Duration::from_secs(4)), vec![addr(1, 1)]);
    }

    #[test]
    fn the_cookie_of_a_client_hello_is_found() {
        let mut hello = vec![22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 80];
        hello.extend_from_slice(&[1, 0, 0, 70, 0, 0, 0, 0, 0, 0, 0, 70]);
        hello.extend_from_slice(&[0xFE, 0xFD]);
        hello.extend_from_slice(&[7; 32]);
        let mut with_session = hello.clone();
        hello.extend_from_slice(&[0, 0, 0, 2]);
        assert!(!client_hello_has_cookie(&hello));
        with_session.extend_from_slice(&[2, 9, 9, 3, 1, 2, 3]);
        assert!(client_hello_has_cookie(&with_session));
        assert!(!client_hello_has_cookie(&with_session[..40]));
    }
}
