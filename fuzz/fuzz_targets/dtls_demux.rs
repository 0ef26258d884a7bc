//! Fuzzes the DTLS datagram demultiplexer of the CoAP listener
//! (`server::device::coap::dtls`): the ClientHello classifier, the cookie check and the
//! peer table that decides who gets state, driven as the receive loop drives them.
//!
//! Input: a stream of operations. Each starts with an op byte and a source byte (8 IP
//! addresses × 32 ports); a datagram operation then takes a length byte and that many
//! bytes. Ops: a datagram from the source, a handshake finished, a peer gone, time passes.
//!
//! Invariants: nothing panics; a datagram that is not a DTLS 1.0/1.2 ClientHello never
//! creates a peer; the table never holds more peers, handshakes, unverified peers or
//! unverified peers per address than its limits; a verified or established peer is never
//! evicted by a ClientHello flood.
#![no_main]

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use provlab_server::device::coap::dtls::mux::is_client_hello;
use provlab_server::device::coap::dtls::peers::{
    client_hello_has_cookie, Admit, PeerLimits, PeerTable,
};

const LIMITS: PeerLimits = PeerLimits {
    max_peers: 12,
    max_handshakes: 8,
    max_unverified: 6,
    max_unverified_per_ip: 3,
    unverified_timeout: Duration::from_secs(4),
};

fn source(byte: u8) -> SocketAddr {
    let ip = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1 + (byte >> 5)));
    SocketAddr::new(ip, 40_000 + u16::from(byte & 31))
}

fuzz_target!(|data: &[u8]| {
    let start = Instant::now();
    let mut now = start;
    let mut table: PeerTable<u64> = PeerTable::new(LIMITS);
    // The generation and whether the peer got past the cookie, per address, as the loop
    // would know them.
    let mut live: HashMap<SocketAddr, (u64, bool)> = HashMap::new();
    let mut rest = data;
    while let [op, src, tail @ ..] = rest {
        let addr = source(*src);
        rest = tail;
        match op % 4 {
            0 => {
                let Some((&len, tail)) = rest.split_first() else {
                    return;
                };
                let len = usize::from(len).min(tail.len());
                let (datagram, tail) = tail.split_at(len);
                rest = tail;
                let hello = is_client_hello(datagram);
                let cookie = client_hello_has_cookie(datagram);
                if table.get(&addr).is_some() {
                    if hello && cookie {
                        table.verified(&addr);
                        if let Some(peer) = live.get_mut(&addr) {
                            peer.1 = true;
                        }
                    }
                    continue;
                }
                if !hello {
                    continue;
                }
                let protected: Vec<SocketAddr> = live
                    .iter()
                    .filter(|(_, (_, verified))| *verified)
                    .map(|(a, _)| *a)
                    .collect();
                match table.admit(addr) {
                    Admit::Start {
                        generation,
                        evicted,
                    } => {
                        for gone in evicted {
                            live.retain(|_, (g, _)| *g != gone);
                        }
                        table.insert(addr, generation, now, generation);
                        live.insert(addr, (generation, false));
                        for a in protected {
                            assert!(table.get(&a).is_some(), "a verified peer was evicted");
                        }
                    }
                    Admit::Full => {}
                }
            }
            1 => {
                if let Some(&(generation, true)) = live.get(&addr) {
                    table.established(&addr, generation);
                }
            }
            2 => {
                if let Some((generation, _)) = live.remove(&addr) {
                    assert_eq!(table.gone(&addr, generation), Some(generation));
                }
            }
            _ => {
                now += Duration::from_millis(u64::from(*src) * 50);
                for gone in table.expire(now) {
                    live.retain(|_, (g, _)| *g != gone);
                }
            }
        }
        let (unverified, handshaking, established) = table.counts();
        assert!(unverified + handshaking + established <= LIMITS.max_peers);
        assert!(unverified + handshaking <= LIMITS.max_handshakes);
        assert!(unverified <= LIMITS.max_unverified);
        assert_eq!(unverified + handshaking + established, live.len());
        let mut per_ip: HashMap<IpAddr, usize> = HashMap::new();
        for (a, (_, verified)) in &live {
            if !verified {
                *per_ip.entry(a.ip()).or_default() += 1;
            }
        }
        assert!(per_ip.values().all(|&n| n <= LIMITS.max_unverified_per_ip));
    }
});
