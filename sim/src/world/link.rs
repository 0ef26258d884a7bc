//! The in-memory link's fault model (in the spirit of smoltcp's `FaultInjector`):
//! datagram/segment loss, latency and jitter, partition windows, forced service answers and
//! forced handshake failures, plus the retransmission policies of the transports.

use std::time::Duration;

use provlab_client::CoapCode;

/// Which device endpoint a request addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    /// `GET /v1/provisioning/commands` or CoAP `p/cmd` (block 0).
    Commands,
    /// `POST /v1/provisioning/response` or CoAP `p/rsp`.
    Responses,
    /// CoAP `p/auth-jwt`.
    Auth,
    /// Any of them.
    Any,
}

impl Endpoint {
    /// Whether a request to `actual` matches this pattern.
    pub fn matches(self, actual: Endpoint) -> bool {
        self == Endpoint::Any || self == actual
    }
}

/// "The service answers HTTP status S / CoAP code C" for some matching requests, without
/// looking at them (the domain does not see them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceFault {
    /// Requests it applies to.
    pub endpoint: Endpoint,
    /// The HTTP status answered.
    pub http_status: u16,
    /// The CoAP code answered.
    pub coap_code: CoapCode,
    /// Matching requests let through before it fires.
    pub skip: u32,
    /// How many matching requests it answers (`None`: all).
    pub times: Option<u32>,
    seen: u32,
}

impl ServiceFault {
    /// A fault answering `http_status` / `coap_code` to every request to `endpoint`.
    pub fn new(endpoint: Endpoint, http_status: u16, coap_code: CoapCode) -> Self {
        ServiceFault {
            endpoint,
            http_status,
            coap_code,
            skip: 0,
            times: None,
            seen: 0,
        }
    }

    /// "Server busy": HTTP 500 / CoAP 5.03.
    pub fn busy(endpoint: Endpoint) -> Self {
        Self::new(endpoint, 500, CoapCode::SERVICE_UNAVAILABLE)
    }

    /// Fires only on the `n`th matching request (1-based).
    pub fn nth(mut self, n: u32) -> Self {
        self.skip = n.saturating_sub(1);
        self.times = Some(1);
        self
    }

    /// Fires on `times` matching requests (after the skipped ones).
    pub fn times(mut self, times: u32) -> Self {
        self.times = Some(times);
        self
    }

    /// Counts a request to `endpoint`; whether the fault answers it.
    pub(crate) fn fire(&mut self, endpoint: Endpoint) -> bool {
        if !self.endpoint.matches(endpoint) {
            return false;
        }
        self.seen += 1;
        self.seen > self.skip && self.times.is_none_or(|t| self.seen - self.skip <= t)
    }
}

/// A window of virtual time in which nothing is delivered in either direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    /// Start (inclusive).
    pub from: Duration,
    /// End (exclusive).
    pub until: Duration,
}

/// The link's faults; switch them on and off at any time.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LinkFaults {
    /// Probability that one datagram (CoAP, DTLS flight) or segment (TCP) is lost.
    pub loss_rate: f64,
    /// Extra one-way latency on top of the world's.
    pub extra_latency: Duration,
    /// Extra jitter bound on top of the world's.
    pub extra_jitter: Duration,
    /// Partition windows.
    pub partitions: Vec<Partition>,
    /// Forced service answers, evaluated in order (the first firing one answers).
    pub service: Vec<ServiceFault>,
    /// Every (D)TLS handshake fails.
    pub handshake_failure: bool,
}

impl LinkFaults {
    /// Whether `at` falls in a partition window.
    pub fn partitioned(&self, at: Duration) -> bool {
        self.partitions.iter().any(|p| p.from <= at && at < p.until)
    }

    /// Counts a request to `endpoint` against the service faults; the first that fires
    /// gives its `(http_status, coap_code)`.
    pub(crate) fn service_answer(&mut self, endpoint: Endpoint) -> Option<(u16, CoapCode)> {
        let mut answer = None;
        for fault in &mut self.service {
            if fault.fire(endpoint) && answer.is_none() {
                answer = Some((fault.http_status, fault.coap_code));
            }
        }
        answer
    }
}

/// How a transport retransmits an unanswered message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetransmitPolicy {
    /// The first timeout, in milliseconds.
    pub initial_ms: u64,
    /// Random extra of the first timeout: up to this many milliseconds.
    pub random_extra_ms: u64,
    /// Retransmissions before giving up.
    pub max_retransmit: u32,
}

impl RetransmitPolicy {
    /// CoAP CON (RFC 7252 §4.8): ACK_TIMEOUT 2 s × ACK_RANDOM_FACTOR 1.5, doubling, 4
    /// retransmissions.
    pub const COAP: RetransmitPolicy = RetransmitPolicy {
        initial_ms: 2000,
        random_extra_ms: 1000,
        max_retransmit: 4,
    };
    /// DTLS 1.2 handshake flights (RFC 6347 §4.2.4.1): 1 s, doubling; 5 retransmissions
    /// (ours).
    pub const DTLS: RetransmitPolicy = RetransmitPolicy {
        initial_ms: 1000,
        random_extra_ms: 0,
        max_retransmit: 5,
    };
    /// TCP (RFC 6298): RTO 1 s, doubling; 5 retransmissions (ours).
    pub const TCP: RetransmitPolicy = RetransmitPolicy {
        initial_ms: 1000,
        random_extra_ms: 0,
        max_retransmit: 5,
    };
    /// A non-confirmable CoAP message: sent once, given up after the ACK timeout.
    pub const NON: RetransmitPolicy = RetransmitPolicy {
        initial_ms: 2000,
        random_extra_ms: 0,
        max_retransmit: 0,
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_faults_count_matching_requests() {
        let mut f = LinkFaults::default();
        f.service
            .push(ServiceFault::busy(Endpoint::Commands).times(2));
        assert_eq!(f.service_answer(Endpoint::Responses), None);
        assert!(f.service_answer(Endpoint::Commands).is_some());
        assert!(f.service_answer(Endpoint::Commands).is_some());
        assert_eq!(f.service_answer(Endpoint::Commands), None);
        let mut nth = ServiceFault::new(Endpoint::Any, 400, CoapCode::BAD_REQUEST).nth(2);
        assert!(!nth.fire(Endpoint::Auth));
        assert!(nth.fire(Endpoint::Auth));
        assert!(!nth.fire(Endpoint::Auth));
        let p = LinkFaults {
            partitions: vec![Partition {
                from: Duration::from_secs(1),
                until: Duration::from_secs(2),
            }],
            ..LinkFaults::default()
        };
        assert!(p.partitioned(Duration::from_millis(1500)));
        assert!(!p.partitioned(Duration::from_secs(2)));
    }
}
