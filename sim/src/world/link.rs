//! The in-memory link's fault model (in the spirit of smoltcp's `FaultInjector`):
//! datagram/segment loss, latency and jitter, partition windows, forced service answers (a
//! status, a closed connection or silence: [`ForcedAnswer`]) and forced handshake failures
//! (every handshake, or counted with `nth`/`times`), service-wide fault windows while they
//! are open ([`OpenWindow`]), plus the retransmission policies of the transports.

use std::time::Duration;

use provlab_client::CoapCode;
use provlab_modem::Firing as CountRule;

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

/// Words for transcripts: which requests a fault hits.
impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Endpoint::Commands => "command fetches",
            Endpoint::Responses => "response reports",
            Endpoint::Auth => "CoAP authentications",
            Endpoint::Any => "requests",
        })
    }
}

impl Endpoint {
    /// Whether a request to `actual` matches this pattern.
    pub fn matches(self, actual: Endpoint) -> bool {
        self == Endpoint::Any || self == actual
    }
}

/// What a forced service answer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForcedAnswer {
    /// An HTTP device gets status `http`, a CoAP device the code `coap`.
    Status {
        /// The HTTP status answered.
        http: u16,
        /// The CoAP code answered.
        coap: CoapCode,
    },
    /// No answer: the service closes the connection (HTTP: the TCP connection closes
    /// without a response; CoAP: the DTLS session is closed by the peer).
    Close,
    /// No answer at all, to the request and to its retransmissions: the transport gives up
    /// after its retransmission schedule.
    Silence,
    /// The service handles the request, but every answer to it (retransmissions included)
    /// is lost on the way back: the device times out as with [`ForcedAnswer::Silence`].
    Lost,
}

impl std::fmt::Display for ForcedAnswer {
    /// The service's doing as the transcript says it: `answers 500 / 5.03`, `closes the
    /// connection`, `stays silent`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ForcedAnswer::Status { http, coap } => write!(f, "answers {http} / {coap}"),
            ForcedAnswer::Close => f.write_str("closes the connection"),
            ForcedAnswer::Silence => f.write_str("stays silent"),
            ForcedAnswer::Lost => f.write_str("loses its answer"),
        }
    }
}

/// Which of the matching events (requests, handshakes) a fault fires on: the one firing
/// rule of counted faults ([`CountRule`]), counting only the events of `device` when it is
/// set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Firing {
    /// The occurrences it fires on, and its count so far.
    pub rule: CountRule,
    /// The device (index) whose events it counts (`None`: every device's).
    pub device: Option<usize>,
}

impl Firing {
    /// Only the `n`th matching event (1-based).
    pub fn only_nth(&mut self, n: u32) {
        self.rule = self.rule.only_nth(n);
    }

    /// `times` matching events, after the skipped ones.
    pub fn set_times(&mut self, times: u32) {
        self.rule = self.rule.times(times);
    }

    /// Whether `other` is the same rule (occurrences, device), whatever either has counted.
    pub fn same_rule(&self, other: &Firing) -> bool {
        self.rule.same_rule(&other.rule) && self.device == other.device
    }

    /// Counts a matching event of device `dev`; whether the fault fires on it.
    pub(crate) fn fire(&mut self, dev: usize) -> bool {
        if self.device.is_some_and(|d| d != dev) {
            return false;
        }
        self.rule.count()
    }

    /// Which events, in words (see [`CountRule::describe`]).
    pub fn describe(&self, what: &str) -> String {
        self.rule.describe(what)
    }
}

/// "The service answers HTTP status S / CoAP code C", "closes the connection" or "stays
/// silent" for some matching requests, without looking at them (the domain does not see
/// them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceFault {
    /// Requests it applies to.
    pub endpoint: Endpoint,
    /// What the service does instead of answering.
    pub answer: ForcedAnswer,
    /// Which matching requests.
    pub firing: Firing,
}

impl ServiceFault {
    /// A fault answering `http_status` / `coap_code` to every request to `endpoint`.
    pub fn new(endpoint: Endpoint, http_status: u16, coap_code: CoapCode) -> Self {
        Self::answering(
            endpoint,
            ForcedAnswer::Status {
                http: http_status,
                coap: coap_code,
            },
        )
    }

    /// A fault giving `answer` to every request to `endpoint`.
    pub fn answering(endpoint: Endpoint, answer: ForcedAnswer) -> Self {
        ServiceFault {
            endpoint,
            answer,
            firing: Firing::default(),
        }
    }

    /// The service closes the connection (HTTP) or the DTLS session (CoAP) instead of
    /// answering requests to `endpoint`.
    pub fn close(endpoint: Endpoint) -> Self {
        Self::answering(endpoint, ForcedAnswer::Close)
    }

    /// The service never answers requests to `endpoint` (nor their retransmissions).
    pub fn silence(endpoint: Endpoint) -> Self {
        Self::answering(endpoint, ForcedAnswer::Silence)
    }

    /// "Server busy": HTTP 500 / CoAP 5.03.
    pub fn busy(endpoint: Endpoint) -> Self {
        Self::new(endpoint, 500, CoapCode::SERVICE_UNAVAILABLE)
    }

    /// Fires only on the `n`th matching request (1-based).
    pub fn nth(mut self, n: u32) -> Self {
        self.firing.only_nth(n);
        self
    }

    /// Fires on `times` matching requests (after the skipped ones).
    pub fn times(mut self, times: u32) -> Self {
        self.firing.set_times(times);
        self
    }

    /// Concerns (and counts) only the requests of the device with index `device`.
    pub fn for_device(mut self, device: usize) -> Self {
        self.firing.device = Some(device);
        self
    }

    /// Whether `other` is the same rule (endpoint, answer, firing), whatever either has
    /// counted so far.
    pub fn same_rule(&self, other: &ServiceFault) -> bool {
        self.endpoint == other.endpoint
            && self.answer == other.answer
            && self.firing.same_rule(&other.firing)
    }

    /// Counts a request of device `dev` to `endpoint`; whether the fault answers it.
    pub(crate) fn fire(&mut self, endpoint: Endpoint, dev: usize) -> bool {
        self.endpoint.matches(endpoint) && self.firing.fire(dev)
    }
}

/// "The (D)TLS handshake fails" for some handshakes ([`Firing`]). Counts handshake
/// attempts (one per TLS connection or DTLS handshake exchange, not per retransmitted
/// flight).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HandshakeFault {
    /// Which handshakes.
    pub firing: Firing,
}

impl HandshakeFault {
    /// Every handshake fails.
    pub fn every() -> Self {
        Self::default()
    }

    /// Fails only the `n`th handshake (1-based).
    pub fn nth(mut self, n: u32) -> Self {
        self.firing.only_nth(n);
        self
    }

    /// Fails `times` handshakes (after the skipped ones).
    pub fn times(mut self, times: u32) -> Self {
        self.firing.set_times(times);
        self
    }

    /// Concerns (and counts) only the handshakes of the device with index `device`.
    pub fn for_device(mut self, device: usize) -> Self {
        self.firing.device = Some(device);
        self
    }

    /// Whether `other` is the same rule, whatever either has counted so far.
    pub fn same_rule(&self, other: &HandshakeFault) -> bool {
        self.firing.same_rule(&other.firing)
    }

    /// Counts a handshake of device `dev`; whether it fails.
    pub(crate) fn fire(&mut self, dev: usize) -> bool {
        self.firing.fire(dev)
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
    /// Forced handshake failures; a handshake fails when any of them fires.
    pub handshake: Vec<HandshakeFault>,
    /// Faults of one device's link only (by device index), on top of the ones above.
    pub devices: std::collections::BTreeMap<usize, DeviceLink>,
    /// Service-wide fault windows that are open now, by window number (see
    /// [`super::World::plan_fault_windows`]).
    pub windows: std::collections::BTreeMap<usize, OpenWindow>,
}

/// What a service-wide fault window holds while it is open.
#[derive(Debug, Clone, PartialEq)]
pub enum WindowFault {
    /// The service gives `answer` instead of handling every request to `endpoint`.
    Service {
        /// The requests it answers.
        endpoint: Endpoint,
        /// What the service does instead.
        answer: ForcedAnswer,
    },
    /// Every (D)TLS handshake fails.
    Handshake,
    /// The link loses and delays traffic (its partitions are not used).
    Link(DeviceLink),
}

impl std::fmt::Display for WindowFault {
    /// `service answers 503 / 5.03 to every request`, `every handshake fails`, `link: loss
    /// rate 1`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WindowFault::Service { endpoint, answer } => {
                let requests = match endpoint {
                    Endpoint::Commands => "every fetch",
                    Endpoint::Responses => "every report",
                    Endpoint::Auth => "every JWT post",
                    Endpoint::Any => "every request",
                };
                write!(f, "service {answer} to {requests}")
            }
            WindowFault::Handshake => f.write_str("every handshake fails"),
            WindowFault::Link(link) => {
                let mut parts = vec![format!("loss rate {}", link.loss_rate)];
                if !link.extra_latency.is_zero() || !link.extra_jitter.is_zero() {
                    parts.push(format!(
                        "extra latency {:?} jitter {:?}",
                        link.extra_latency, link.extra_jitter
                    ));
                }
                write!(f, "link: {}", parts.join(", "))
            }
        }
    }
}

/// A service-wide fault window while it is open: what it holds, for which devices.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenWindow {
    /// What it holds.
    pub fault: WindowFault,
    /// The device indexes it concerns (`None`: every device).
    pub devices: Option<std::collections::BTreeSet<usize>>,
}

impl OpenWindow {
    /// Whether it concerns device `dev`.
    pub fn covers(&self, dev: usize) -> bool {
        self.devices.as_ref().is_none_or(|d| d.contains(&dev))
    }
}

/// One device's link faults: its radio link loses, delays or is cut off, not the others'.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DeviceLink {
    /// Probability that one of its datagrams or segments is lost.
    pub loss_rate: f64,
    /// Extra one-way latency.
    pub extra_latency: Duration,
    /// Extra jitter bound.
    pub extra_jitter: Duration,
    /// Partition windows.
    pub partitions: Vec<Partition>,
}

impl LinkFaults {
    /// Whether `at` falls in a world-wide partition window.
    pub fn partitioned(&self, at: Duration) -> bool {
        self.partitions.iter().any(|p| p.from <= at && at < p.until)
    }

    /// Whether device `dev`'s link is cut at `at` (a world-wide or its own window).
    pub fn partitioned_for(&self, dev: usize, at: Duration) -> bool {
        self.partitioned(at)
            || self
                .devices
                .get(&dev)
                .is_some_and(|d| d.partitions.iter().any(|p| p.from <= at && at < p.until))
    }

    /// The link faults of the open windows that concern device `dev`.
    fn window_links(&self, dev: usize) -> impl Iterator<Item = &DeviceLink> {
        self.windows.values().filter_map(move |w| match &w.fault {
            WindowFault::Link(link) if w.covers(dev) => Some(link),
            _ => None,
        })
    }

    /// The loss rate on device `dev`'s link (the highest of the world's, its own and the
    /// open windows').
    pub fn loss_rate_for(&self, dev: usize) -> f64 {
        let own = self
            .devices
            .get(&dev)
            .map_or(self.loss_rate, |d| d.loss_rate.max(self.loss_rate));
        self.window_links(dev)
            .map(|l| l.loss_rate)
            .fold(own, f64::max)
    }

    /// Extra latency and jitter on device `dev`'s link (the world's plus its own plus the
    /// open windows').
    pub fn extra_delay_for(&self, dev: usize) -> (Duration, Duration) {
        let own = self.devices.get(&dev);
        let (mut latency, mut jitter) = (
            self.extra_latency + own.map_or(Duration::ZERO, |d| d.extra_latency),
            self.extra_jitter + own.map_or(Duration::ZERO, |d| d.extra_jitter),
        );
        for link in self.window_links(dev) {
            latency += link.extra_latency;
            jitter += link.extra_jitter;
        }
        (latency, jitter)
    }

    /// Counts a request of device `dev` to `endpoint` against the service faults (every
    /// matching fault counts it); the first that fires gives the answer.
    pub(crate) fn service_answer(
        &mut self,
        endpoint: Endpoint,
        dev: usize,
    ) -> Option<ForcedAnswer> {
        let mut answer = None;
        for fault in &mut self.service {
            if fault.fire(endpoint, dev) && answer.is_none() {
                answer = Some(fault.answer);
            }
        }
        // A device's own (counted) faults come first; then the open windows.
        answer.or_else(|| {
            self.windows.values().find_map(|w| match &w.fault {
                WindowFault::Service {
                    endpoint: pattern,
                    answer,
                } if w.covers(dev) && pattern.matches(endpoint) => Some(*answer),
                _ => None,
            })
        })
    }

    /// Counts one handshake attempt against the handshake faults (call it once per
    /// handshake exchange, not per retransmission) of device `dev`; whether it fails.
    pub(crate) fn handshake_fails(&mut self, dev: usize) -> bool {
        let mut fails = false;
        for fault in &mut self.handshake {
            fails |= fault.fire(dev);
        }
        fails
            || self
                .windows
                .values()
                .any(|w| w.fault == WindowFault::Handshake && w.covers(dev))
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
    /// Milliseconds from the first transmission until the transport gives up (the first
    /// timeout without its random extra, doubled after each retransmission).
    pub fn give_up_ms(&self) -> u64 {
        let rounds = (1u64 << (self.max_retransmit + 1).min(32)) - 1;
        self.initial_ms.saturating_mul(rounds)
    }

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
    fn firing_counts_its_device_and_says_which_events() {
        let mut f = Firing::default();
        f.only_nth(2);
        f.device = Some(1);
        assert!(!f.fire(0), "another device's event is not counted");
        assert!(!f.fire(1));
        assert!(f.fire(1));
        assert!(!f.fire(1));
        assert_eq!(f.describe("request"), "request 2 only");
        let every = Firing::default();
        assert_eq!(
            every.describe("handshake"),
            "every handshake from handshake 1"
        );
        let mut three = Firing::default();
        three.set_times(3);
        assert_eq!(three.describe("request"), "3 requests from request 1");
        assert!(!three.same_rule(&every));
    }

    #[test]
    fn give_up_times_follow_the_doubling_schedule() {
        // TCP: 1 + 2 + 4 + 8 + 16 + 32 s.
        assert_eq!(RetransmitPolicy::TCP.give_up_ms(), 63_000);
        // CoAP CON without the random extra: 2 + 4 + 8 + 16 + 32 s.
        assert_eq!(RetransmitPolicy::COAP.give_up_ms(), 62_000);
        // NON: sent once, given up after one timeout.
        assert_eq!(RetransmitPolicy::NON.give_up_ms(), 2_000);
    }

    #[test]
    fn service_faults_count_matching_requests() {
        let mut f = LinkFaults::default();
        f.service
            .push(ServiceFault::busy(Endpoint::Commands).times(2));
        assert_eq!(f.service_answer(Endpoint::Responses, 0), None);
        assert!(f.service_answer(Endpoint::Commands, 0).is_some());
        assert!(f.service_answer(Endpoint::Commands, 0).is_some());
        assert_eq!(f.service_answer(Endpoint::Commands, 0), None);
        let mut nth = ServiceFault::new(Endpoint::Any, 400, CoapCode::BAD_REQUEST).nth(2);
        assert!(!nth.fire(Endpoint::Auth, 0));
        assert!(nth.fire(Endpoint::Auth, 0));
        assert!(!nth.fire(Endpoint::Auth, 0));
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

    #[test]
    fn service_answers_are_statuses_closes_or_silence() {
        let mut f = LinkFaults::default();
        f.service
            .push(ServiceFault::close(Endpoint::Commands).nth(2));
        f.service.push(ServiceFault::silence(Endpoint::Responses));
        f.service.push(ServiceFault::busy(Endpoint::Any).times(1));
        // The first fetch: the close rule counts it but lets it through; busy fires.
        assert_eq!(
            f.service_answer(Endpoint::Commands, 0),
            Some(ForcedAnswer::Status {
                http: 500,
                coap: CoapCode::SERVICE_UNAVAILABLE
            })
        );
        assert_eq!(
            f.service_answer(Endpoint::Commands, 0),
            Some(ForcedAnswer::Close)
        );
        assert_eq!(f.service_answer(Endpoint::Commands, 0), None);
        assert_eq!(
            f.service_answer(Endpoint::Responses, 0),
            Some(ForcedAnswer::Silence)
        );
        assert_eq!(
            f.service_answer(Endpoint::Responses, 0),
            Some(ForcedAnswer::Silence)
        );
        assert_eq!(ForcedAnswer::Close.to_string(), "closes the connection");
        assert_eq!(
            ServiceFault::busy(Endpoint::Auth).answer.to_string(),
            "answers 500 / 5.03"
        );
        let mut counted = ServiceFault::silence(Endpoint::Auth).nth(1);
        assert!(counted.fire(Endpoint::Auth, 0));
        assert!(counted.same_rule(&ServiceFault::silence(Endpoint::Auth).nth(1)));
        assert!(!counted.same_rule(&ServiceFault::close(Endpoint::Auth).nth(1)));
    }

    #[test]
    fn open_windows_answer_after_a_devices_own_faults_and_only_for_their_devices() {
        let mut f = LinkFaults::default();
        f.windows.insert(
            0,
            OpenWindow {
                fault: WindowFault::Service {
                    endpoint: Endpoint::Any,
                    answer: ForcedAnswer::Status {
                        http: 503,
                        coap: CoapCode::SERVICE_UNAVAILABLE,
                    },
                },
                devices: Some([1].into_iter().collect()),
            },
        );
        f.windows.insert(
            1,
            OpenWindow {
                fault: WindowFault::Handshake,
                devices: None,
            },
        );
        f.windows.insert(
            2,
            OpenWindow {
                fault: WindowFault::Link(DeviceLink {
                    loss_rate: 0.5,
                    extra_latency: Duration::from_secs(2),
                    ..DeviceLink::default()
                }),
                devices: Some([0].into_iter().collect()),
            },
        );
        assert_eq!(f.service_answer(Endpoint::Commands, 0), None);
        let window = f.service_answer(Endpoint::Commands, 1);
        assert!(matches!(
            window,
            Some(ForcedAnswer::Status { http: 503, .. })
        ));
        // A device's own counted fault answers first, and still counts.
        f.service.push(
            ServiceFault::close(Endpoint::Commands)
                .for_device(1)
                .times(1),
        );
        assert_eq!(
            f.service_answer(Endpoint::Commands, 1),
            Some(ForcedAnswer::Close)
        );
        assert_eq!(f.service_answer(Endpoint::Commands, 1), window);
        assert!(f.handshake_fails(0) && f.handshake_fails(1));
        assert_eq!(f.loss_rate_for(0), 0.5);
        assert_eq!(f.loss_rate_for(1), 0.0);
        assert_eq!(f.extra_delay_for(0).0, Duration::from_secs(2));
        assert_eq!(f.extra_delay_for(1).0, Duration::ZERO);
        f.windows.clear();
        assert!(!f.handshake_fails(0));
        assert_eq!(WindowFault::Handshake.to_string(), "every handshake fails");
    }

    #[test]
    fn handshake_faults_count_attempts() {
        let mut none = LinkFaults::default();
        assert!(!none.handshake_fails(0));
        let mut every = LinkFaults {
            handshake: vec![HandshakeFault::every()],
            ..LinkFaults::default()
        };
        assert!((0..5).all(|_| every.handshake_fails(0)));
        // nth = 2 without times: only the second.
        let mut second = LinkFaults {
            handshake: vec![HandshakeFault::every().nth(2)],
            ..LinkFaults::default()
        };
        let fired: Vec<bool> = (0..4).map(|_| second.handshake_fails(0)).collect();
        assert_eq!(fired, [false, true, false, false]);
        // nth = 2, times = 2: the second and the third.
        let mut two = LinkFaults {
            handshake: vec![HandshakeFault::every().nth(2).times(2)],
            ..LinkFaults::default()
        };
        let fired: Vec<bool> = (0..4).map(|_| two.handshake_fails(0)).collect();
        assert_eq!(fired, [false, true, true, false]);
        // times alone: the first `times`.
        let mut first = HandshakeFault::every().times(1);
        assert!(first.fire(0));
        assert!(!first.fire(0));
        assert!(first.same_rule(&HandshakeFault::every().times(1)));
    }
}
