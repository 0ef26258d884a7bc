//! `--net loopback`: the world's devices talk to the real device endpoints of the fake
//! service (`provlab-server`'s HTTPS and CoAP-over-DTLS code) over real sockets on
//! 127.0.0.1, with real TLS 1.2 / DTLS 1.2 handshakes against a real lab PKI.
//!
//! What stays simulated: time. A request leaves at a virtual instant; the world runs the
//! real exchange to completion (blocking, on a single-threaded tokio runtime that also runs
//! the endpoints), then delivers the answer after the link's modelled round trip, so the
//! client's timers and the transcript stay in virtual time. The service's domain state is
//! the world's own: it is lent to the endpoints' [`App`] for each request
//! ([`App::swap_service`]) and the app's clock is set to the world's service time.
//!
//! Faults on real sockets:
//! * forced service answers (status, code, `close`, `silence`) are armed on the endpoints
//!   ([`provlab_server::device::forced`]) and answered by the real server code;
//! * handshake faults make the device verify the service against a decoy CA, so the real
//!   handshake fails the way a wrong root CA does;
//! * CoAP datagram loss and partitions happen in a UDP [`relay`] between the devices and the
//!   endpoint, so the real DTLS and CoAP retransmissions recover (or give up);
//! * an HTTPS request during a partition never connects and times out; TCP segment loss
//!   cannot be made on loopback sockets, so scenarios asking for it are skipped;
//! * modem, power, network-time and clock faults are device-side and work as in memory;
//!   latency and jitter only stretch the virtual delivery time.
//!
//! Real retransmission timers run [`TIME_SCALE`] times faster than the RFC's (CoAP ACK
//! timeout 250 ms instead of 2 s, DTLS flights 125 ms instead of 1 s), so a lossy exchange
//! costs little wall time; when the relay lost datagrams during an exchange, the answer is
//! delivered after the exchange's real duration times [`TIME_SCALE`] (the only wall-clock
//! reading in the world), which is the RFC schedule in virtual time.
//!
//! Not byte-deterministic: the PKI and the (D)TLS handshakes draw OS randomness, and the
//! relay's losses depend on how many datagrams the real timers send. Outcomes are the same
//! as in memory; transcripts differ in summaries (real answers carry no service-side
//! notes).

mod relay;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use provlab_client::{CoapEndpoint, Input, TransportFailure};
use provlab_proto::records::{decode_commands, Command};
use provlab_server::app::{App, ManualClock};
use provlab_server::device::coap::dtls::DtlsConfig;
use provlab_server::device::core::Route;
use provlab_server::device::forced::ForcedReply;
use provlab_server::device::pki::LabPki;
use provlab_server::domain::ServiceConfig;
use tokio::net::{TcpListener, UdpSocket};

use super::device::Exchanged;
use super::endpoint::{coap_route, http_route, Served};
use super::error::WorldError;
use super::link::{Endpoint, ForcedAnswer};
use super::net::{exchange_log, ExKind, Exchange};
use super::seeds::derive;
use super::transcript::{EntryKind, Lane, Record as _};
use super::{Due, World};
use crate::modem::credentials::TYPE_ROOT_CA;
use crate::modem::CredKey;
use crate::net::{CoapDtlsTransport, CoapTiming, HttpsTransport, NetError, RootCa};

/// How much faster the real retransmission timers run than the RFC's (see the module
/// docs).
pub const TIME_SCALE: u32 = 8;

/// Most commands decoded from one fetch for the transcript and the records log.
const MAX_DECODED: usize = 10_000;
/// Real-time bound of one HTTPS exchange (a forced silence costs this much wall time;
/// generous so that a loaded machine running debug builds never times out by accident).
const HTTPS_TIMEOUT: Duration = Duration::from_secs(5);

/// The real endpoints and the devices' real transports.
pub(crate) struct Loopback {
    runtime: tokio::runtime::Runtime,
    app: Arc<App>,
    clock: Arc<ManualClock>,
    https_addr: SocketAddr,
    coap_addr: SocketAddr,
    /// Where devices send CoAP: the lossy relay in front of `coap_addr`.
    relay: relay::Relay,
    /// The lab root CA the endpoints' certificates chain to (PEM).
    pub(crate) root_pem: String,
    /// An unrelated CA: verifying against it makes a handshake fail for real.
    decoy: RootCa,
    /// The same, PEM (what `@untrusted-root-ca` is on loopback).
    pub(crate) decoy_pem: String,
    https: HttpsTransport,
    /// Each device's DTLS session, by device index.
    sessions: BTreeMap<usize, CoapDtlsTransport>,
    /// A CoAP fetch arriving block by block: the exchange-log index and the body so far.
    fetches: BTreeMap<usize, (Option<usize>, Vec<u8>)>,
    seed: u64,
    /// Keeps the PKI files until the world is dropped.
    _pki_dirs: [tempfile::TempDir; 2],
}

impl std::fmt::Debug for Loopback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loopback")
            .field("https", &self.https_addr)
            .field("coap", &self.coap_addr)
            .finish_non_exhaustive()
    }
}

impl Loopback {
    /// Creates the lab PKI, binds the HTTPS and CoAP endpoints on 127.0.0.1 (free ports)
    /// and starts serving them on a runtime of their own.
    pub(crate) fn start(seed: u64) -> Result<Loopback, WorldError> {
        let fail = |what: &str, e: &dyn std::fmt::Display| {
            WorldError::Service(format!("--net loopback: {what}: {e}"))
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| fail("tokio runtime", &e))?;
        let hostnames = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
        let pki_dir = tempfile::tempdir().map_err(|e| fail("PKI directory", &e))?;
        let pki =
            LabPki::load_or_create(pki_dir.path(), &hostnames).map_err(|e| fail("lab PKI", &e))?;
        let decoy_dir = tempfile::tempdir().map_err(|e| fail("PKI directory", &e))?;
        let decoy_pki = LabPki::load_or_create(decoy_dir.path(), &hostnames)
            .map_err(|e| fail("decoy PKI", &e))?;
        let decoy = RootCa::from_pem(decoy_pki.root_ca_pem().as_bytes())
            .map_err(|e| fail("decoy CA", &e))?;
        let tls = pki
            .rustls_server_config()
            .map_err(|e| fail("TLS config", &e))?;
        let clock = Arc::new(ManualClock::default());
        // The state is lent in for each request; the app's own stays empty.
        let app = Arc::new(App::in_memory(ServiceConfig::new(seed), clock.clone()));
        let (tcp, udp) = runtime.block_on(async {
            let tcp = TcpListener::bind("127.0.0.1:0").await;
            let udp = UdpSocket::bind("127.0.0.1:0").await;
            (tcp, udp)
        });
        let tcp = tcp.map_err(|e| fail("bind HTTPS", &e))?;
        let udp = udp.map_err(|e| fail("bind CoAP", &e))?;
        let https_addr = tcp.local_addr().map_err(|e| fail("HTTPS address", &e))?;
        let coap_addr = udp.local_addr().map_err(|e| fail("CoAP address", &e))?;
        let relay = runtime
            .block_on(relay::Relay::start(coap_addr, derive(seed, "relay", 0)))
            .map_err(|e| fail("bind the CoAP relay", &e))?;
        let https_app = app.clone();
        runtime.spawn(async move {
            let never = std::future::pending::<()>();
            if let Err(e) = provlab_server::device::https::serve(https_app, tcp, tls, never).await {
                tracing::error!(error = %e, "loopback HTTPS endpoint stopped");
            }
        });
        let coap_app = app.clone();
        let dtls = DtlsConfig::from_pki(&pki);
        runtime.spawn(async move {
            let never = std::future::pending::<()>();
            if let Err(e) = provlab_server::device::coap::serve(coap_app, udp, dtls, never).await {
                tracing::error!(error = %e, "loopback CoAP endpoint stopped");
            }
        });
        Ok(Loopback {
            runtime,
            app,
            clock,
            https_addr,
            coap_addr,
            relay,
            root_pem: pki.root_ca_pem().to_owned(),
            decoy,
            decoy_pem: decoy_pki.root_ca_pem().to_owned(),
            https: HttpsTransport::new(HTTPS_TIMEOUT),
            sessions: BTreeMap::new(),
            fetches: BTreeMap::new(),
            seed,
            _pki_dirs: [pki_dir, decoy_dir],
        })
    }

    /// The endpoints' addresses (HTTPS, CoAP).
    pub(crate) fn addresses(&self) -> (SocketAddr, SocketAddr) {
        (self.https_addr, self.coap_addr)
    }

    /// The relay's losses from now on.
    fn set_link(&self, faults: relay::RelayFaults) {
        self.relay.set_faults(faults);
    }

    /// CoAP timing on loopback: the RFC's, [`TIME_SCALE`] times faster (an early
    /// retransmission on a loaded machine is harmless: the server deduplicates).
    fn coap_timing() -> CoapTiming {
        let rfc = CoapTiming::default();
        CoapTiming {
            ack_timeout: rfc.ack_timeout / TIME_SCALE,
            flight_interval: rfc.flight_interval / TIME_SCALE,
            handshake_timeout: rfc.handshake_timeout / TIME_SCALE,
            ..rfc
        }
    }

    /// Runs one exchange for real; returns the device's input and, for a failure, what
    /// the socket layer said.
    fn run(&mut self, dev: usize, kind: &ExKind, root: Option<&RootCa>) -> (Input, Option<String>) {
        let result = match kind {
            ExKind::Http(request) => {
                let mut request = request.clone();
                request.host = self.https_addr.ip().to_string();
                request.port = self.https_addr.port();
                self.runtime
                    .block_on(self.https.exchange(&request, root))
                    .map(Input::Http)
            }
            ExKind::Connect => {
                let endpoint = CoapEndpoint {
                    host: self.relay.addr.ip().to_string(),
                    port: self.relay.addr.port(),
                    sec_tag: 0,
                };
                let seed = derive(self.seed, "loopback-coap", dev as u64);
                let transport = self
                    .sessions
                    .entry(dev)
                    .or_insert_with(|| CoapDtlsTransport::new(Self::coap_timing(), seed));
                self.runtime
                    .block_on(transport.open(&endpoint, root))
                    .map(|()| Input::CoapConnected)
            }
            ExKind::Coap { request, .. } => match self.sessions.get_mut(&dev) {
                Some(transport) => self
                    .runtime
                    .block_on(transport.exchange(request))
                    .map(Input::Coap),
                None => Err(NetError::Closed("no DTLS session".to_owned())),
            },
        };
        match result {
            Ok(input) => (input, None),
            Err(e) => (Input::TransportFailed(e.failure()), Some(e.to_string())),
        }
    }

    /// Closes a device's DTLS session (the client's `CoapClose`).
    pub(crate) fn close(&mut self, dev: usize) {
        if let Some(mut transport) = self.sessions.remove(&dev) {
            self.runtime.block_on(transport.close());
        }
    }
}

/// The forced-answer route of a world endpoint.
fn route(endpoint: Endpoint) -> Option<Route> {
    match endpoint {
        Endpoint::Commands => Some(Route::Fetch),
        Endpoint::Responses => Some(Route::Report),
        Endpoint::Auth => Some(Route::Auth),
        Endpoint::Any => None,
    }
}

/// The endpoint a request counts against for service faults (a fetch's later Block2
/// blocks do not count, as in memory).
fn fault_endpoint(kind: &ExKind) -> Option<Endpoint> {
    match kind {
        ExKind::Http(r) => super::endpoint::fault_endpoint(http_route(r).ok()?, None),
        ExKind::Connect => None,
        ExKind::Coap { request, .. } => {
            super::endpoint::fault_endpoint(coap_route(request).ok()?, request.block2)
        }
    }
}

/// What the endpoints do for a world forced answer.
fn reply(answer: ForcedAnswer) -> ForcedReply {
    match answer {
        ForcedAnswer::Status { http, coap } => ForcedReply::Status {
            http,
            coap_class: coap.class(),
            coap_detail: coap.detail(),
        },
        ForcedAnswer::Close => ForcedReply::Close,
        ForcedAnswer::Silence => ForcedReply::Silence,
        ForcedAnswer::Lost => ForcedReply::Lost,
    }
}

impl World {
    /// Starts an exchange over the real endpoints (see the module docs): runs it now, and
    /// schedules the answer's delivery after the modelled round trip.
    pub(super) fn loopback_exchange(&mut self, dev: usize, kind: ExKind) {
        let Some(mut lb) = self.loopback.take() else {
            return;
        };
        // HTTPS: TCP's own retransmissions cannot be made to lose segments on loopback, so
        // the legs' losses are drawn as in memory; the request runs for real once if any
        // attempt reached the service.
        let tcp = match kind {
            ExKind::Http(_) => Some(self.tcp_attempts(dev)),
            _ => None,
        };
        if let Some(TcpAttempts { reached: false, .. }) = tcp {
            let input = Input::TransportFailed(TransportFailure::Timeout);
            self.log_loopback_answer(&mut lb, dev, &kind, &input, Some("no segment passed"));
            self.loopback = Some(lb);
            self.deliver_loopback(dev, kind, input, None);
            return;
        }
        lb.clock.set(self.service_now());
        if let Some(endpoint) = fault_endpoint(&kind) {
            if let Some(answer) = self.faults.service_answer(endpoint, dev) {
                self.transcript.note(
                    self.now_ms,
                    Lane::Service,
                    EntryKind::Fault,
                    format!("service {answer} (armed on the real endpoint)"),
                );
                lb.app.forced_replies().arm(route(endpoint), reply(answer));
            }
        }
        let handshake = matches!(kind, ExKind::Http(_) | ExKind::Connect);
        let root = if handshake && self.faults.handshake_fails(dev) {
            self.transcript.note(
                self.now_ms,
                Lane::Link,
                EntryKind::Fault,
                "the device verifies the service against a decoy CA",
            );
            Some(lb.decoy.clone())
        } else {
            self.device_root_ca(dev, &kind)
        };
        let partitioned = self.faults.partitioned_for(dev, self.now());
        lb.set_link(relay::RelayFaults {
            loss_rate: self.faults.loss_rate_for(dev),
            partitioned,
        });
        let dropped_before = lb.relay.dropped();
        let started = std::time::Instant::now();
        lb.app.swap_service(&mut self.host.service);
        let (mut input, failure) = lb.run(dev, &kind, root.as_ref());
        lb.app.swap_service(&mut self.host.service);
        let real = started.elapsed();
        lb.app.forced_replies().clear();
        let dropped = lb.relay.dropped() - dropped_before;
        let mut measured = None;
        if dropped > 0 {
            let virtual_ms = u64::try_from((real * TIME_SCALE).as_millis()).unwrap_or(u64::MAX);
            let what = match &kind {
                ExKind::Coap { request, .. } => format!("{} exchange", request.path),
                _ => "DTLS handshake".to_owned(),
            };
            self.transcript.note(
                self.now_ms,
                Lane::Link,
                EntryKind::Fault,
                format!(
                    "dropped ({}): {dropped} datagram(s) of the {what}; the real exchange took {} ms ({virtual_ms} ms virtual)",
                    if partitioned { "partition" } else { "loss" },
                    real.as_millis()
                ),
            );
            measured = Some(virtual_ms + self.one_way_ms(dev) + self.one_way_ms(dev));
        }
        if let Some(TcpAttempts {
            delivered_after, ..
        }) = tcp
        {
            match delivered_after {
                Some(ms) => measured = Some(ms),
                None => {
                    self.transcript.note(
                        self.now_ms,
                        Lane::Link,
                        EntryKind::Note,
                        "the service answered, but every answer was lost: the device times out",
                    );
                    input = Input::TransportFailed(TransportFailure::Timeout);
                }
            }
        }
        self.log_loopback_answer(&mut lb, dev, &kind, &input, failure.as_deref());
        self.loopback = Some(lb);
        self.deliver_loopback(dev, kind, input, measured);
    }

    /// Draws the legs of an HTTPS request's TCP attempts (RFC 6298 schedule) against the
    /// link's loss and partitions, noting each drop, as the in-memory link does.
    fn tcp_attempts(&mut self, dev: usize) -> TcpAttempts {
        let policy = super::link::RetransmitPolicy::TCP;
        let setup = 4 * super::duration_ms(self.config.latency);
        let (start, mut sent, mut timeout) = (self.now_ms, self.now_ms, policy.initial_ms);
        let mut reached = false;
        for attempt in 0..=policy.max_retransmit {
            if attempt > 0 {
                self.transcript.note(
                    self.now_ms,
                    Lane::Link,
                    EntryKind::Note,
                    format!("retransmit #{attempt}: HTTPS request"),
                );
            }
            let arrives = sent + setup + self.one_way_ms(dev);
            if !self.lost_at(dev, sent, "request of the HTTPS exchange") {
                reached = true;
                let back = arrives + self.one_way_ms(dev);
                if !self.lost_at(dev, arrives, "answer of the HTTPS exchange") {
                    return TcpAttempts {
                        reached,
                        delivered_after: Some(back - start),
                    };
                }
            }
            sent += timeout;
            timeout = timeout.saturating_mul(2);
        }
        TcpAttempts {
            reached,
            delivered_after: None,
        }
    }

    /// Closes the device's real DTLS session, if any.
    pub(super) fn loopback_close(&mut self, dev: usize) {
        if let Some(lb) = self.loopback.as_mut() {
            lb.close(dev);
        }
    }

    /// The root CA the device's TLS stack loads from its sec tag (`None`: empty or not a
    /// certificate, so the handshake fails as on a real modem).
    fn device_root_ca(&self, dev: usize, kind: &ExKind) -> Option<RootCa> {
        let sec_tag = match kind {
            ExKind::Http(r) => r.sec_tag,
            _ => self.devices[dev].spec.client.root_ca_sec_tag,
        };
        let pem = self.devices[dev]
            .modem
            .credentials()
            .get(CredKey::new(sec_tag, TYPE_ROOT_CA))?;
        RootCa::from_pem(pem).ok()
    }

    /// Notes the real answer on the service lane and logs fetched records and exchanges
    /// the way the in-memory link does.
    fn log_loopback_answer(
        &mut self,
        lb: &mut Loopback,
        dev: usize,
        kind: &ExKind,
        input: &Input,
        failure: Option<&str>,
    ) {
        let now = self.now_ms;
        let client_lane = Lane::Client(self.devices[dev].name.clone());
        let (summary, body): (String, Option<&[u8]>) = match input {
            Input::Http(h) => (
                format!(
                    "{} ({} bytes, real endpoint)",
                    h.status
                        .map_or_else(|| "no status".to_owned(), |s| s.to_string()),
                    h.body.len()
                ),
                Some(&h.body),
            ),
            Input::Coap(c) => (
                format!(
                    "{}{} ({} bytes, real endpoint)",
                    c.code,
                    c.block2
                        .map(|b| format!(
                            " block2={}/{}{}",
                            b.num,
                            b.size(),
                            if b.more { "+" } else { "" }
                        ))
                        .unwrap_or_default(),
                    c.payload.len()
                ),
                Some(&c.payload),
            ),
            Input::CoapConnected => ("DTLS session established (real handshake)".to_owned(), None),
            Input::TransportFailed(f) => (
                format!(
                    "transport failed: {f:?} ({})",
                    failure.unwrap_or("real socket")
                ),
                None,
            ),
            other => (format!("{other:?}"), None),
        };
        self.transcript.message(
            now,
            Lane::Service,
            client_lane.clone(),
            EntryKind::Response,
            &summary,
        );
        // Commands delivered: a whole HTTP body, or a CoAP body once its last block is in.
        let mut records: Vec<Command> = Vec::new();
        let mut patch: Option<usize> = None;
        match (kind, input) {
            (ExKind::Http(_), Input::Http(h)) if h.status == Some(200) && is_fetch(kind) => {
                records = self.decode_fetched(now, &h.body);
            }
            (ExKind::Coap { request, .. }, Input::Coap(c))
                if coap_route(request) == Ok(Route::Fetch) =>
            {
                let first = request.block2.is_none_or(|b| b.num == 0);
                let entry = lb.fetches.entry(dev).or_default();
                if first {
                    *entry = (None, Vec::new());
                }
                entry.1.extend_from_slice(body.unwrap_or_default());
                if c.block2.is_none_or(|b| !b.more) {
                    let (index, whole) = lb.fetches.remove(&dev).unwrap_or_default();
                    if c.code.class() == 2 && !whole.is_empty() {
                        records = self.decode_fetched(now, &whole);
                    }
                    patch = index;
                }
            }
            _ => {}
        }
        let served = Served {
            input: input.clone(),
            summary,
            records: if patch.is_none() {
                records.clone()
            } else {
                Vec::new()
            },
            notes: Vec::new(),
        };
        if let Some(log) = exchange_log(now, kind, &served) {
            self.devices[dev].exchanges.push(log);
            if matches!(kind, ExKind::Coap { request, .. } if coap_route(request) == Ok(Route::Fetch))
            {
                if let Some(entry) = lb.fetches.get_mut(&dev) {
                    entry.0 = Some(self.devices[dev].exchanges.len() - 1);
                }
            }
        }
        if let Some(i) = patch {
            if let Some(log) = self.devices[dev].exchanges.get_mut(i) {
                log.commands = records.clone();
            }
        }
        for command in records {
            self.transcript.message(
                now,
                Lane::Service,
                client_lane.clone(),
                EntryKind::Response,
                format!("  record {command}"),
            );
            self.devices[dev].records.push(Exchanged::Delivered {
                at_ms: now,
                command,
            });
        }
    }

    /// The commands of a fetched body; a body that does not decode is noted (the client
    /// will say what it makes of it) and gives none.
    fn decode_fetched(&mut self, now: u64, body: &[u8]) -> Vec<Command> {
        match decode_commands(body, MAX_DECODED) {
            Ok(records) => records,
            Err(e) => {
                self.transcript.note(
                    now,
                    Lane::Service,
                    EntryKind::Note,
                    format!("fetched body does not decode: {e}"),
                );
                Vec::new()
            }
        }
    }

    /// Schedules the answer after the modelled round trip (a timeout after the transport's
    /// modelled retransmission schedule), or after `measured` virtual milliseconds (an
    /// exchange that lost datagrams: its scaled real duration plus the round trip, or the
    /// modelled TCP attempts).
    fn deliver_loopback(&mut self, dev: usize, kind: ExKind, input: Input, measured: Option<u64>) {
        let policy = Exchange::policy_for(&kind);
        let delay = match (measured, &input) {
            (Some(ms), _) => ms,
            (None, Input::TransportFailed(TransportFailure::Timeout)) => policy.give_up_ms(),
            (None, _) => {
                let setup = match kind {
                    ExKind::Http(_) => 4 * super::duration_ms(self.config.latency),
                    _ => 0,
                };
                setup + self.one_way_ms(dev) + self.one_way_ms(dev)
            }
        };
        let id = self.register_exchange(dev, kind);
        self.agenda.schedule(
            self.now_ms + delay,
            Due::ToDevice {
                ex: id,
                input: Box::new(input),
            },
        );
    }
}

/// The modelled TCP attempts of one HTTPS request.
#[derive(Debug, Clone, Copy)]
struct TcpAttempts {
    /// Some attempt's request reached the service.
    reached: bool,
    /// Virtual milliseconds until an answer got back, if one did.
    delivered_after: Option<u64>,
}

/// Whether an HTTP exchange is the fetch.
fn is_fetch(kind: &ExKind) -> bool {
    matches!(kind, ExKind::Http(r) if http_route(r) == Ok(Route::Fetch))
}
