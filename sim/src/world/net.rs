//! The link's exchanges: a request datagram (or TCP segment, or DTLS flight) to the service
//! and its answer back, each way subject to loss, partitions, latency and jitter, with the
//! transport's retransmissions ([`RetransmitPolicy`]).
//!
//! The service keeps the answer of each exchange (for CoAP: per session and message id) and
//! sends the same answer to a retransmitted request without running it again (RFC 7252
//! §4.5 deduplication). The device takes the first answer that arrives; when the transport
//! gives up, the client gets `TransportFailed(Timeout)`.
//!
//! Forced answers (service faults): a forced close is stored and sent like any answer (the
//! device gets `TransportFailed(Closed)`; for CoAP the service also forgets the DTLS
//! session); a forced silence is stored too, so the retransmissions of the same exchange get
//! nothing either and the transport gives up after its schedule. Handshake faults count one
//! handshake per exchange that reaches the service (an HTTPS request or a DTLS handshake),
//! never its retransmissions.
//!
//! Simplifications (ours): an HTTPS request is one exchange whose request leg also carries
//! the TCP and TLS set-up (two extra round trips of latency); loss applies once per leg and
//! attempt; the (D)TLS handshake is modelled, not run: it succeeds if the device's root CA
//! at the requested sec tag is the service's lab CA and no handshake fault fires.

use provlab_client::{CoapRequest, HttpRequest, Input, TransportFailure};

use super::device::{ExchangeEndpoint, ExchangeLog, Exchanged, PowerCutPoint};
use provlab_server::device::core::Route;

use super::endpoint::{coap_route, http_route, serve_coap, serve_http, CoapSession, Served};
use super::link::RetransmitPolicy;
use super::transcript::{EntryKind, Lane, Record as _};
use super::{duration_ms, Due, World};
use crate::modem::credentials::TYPE_ROOT_CA;
use crate::modem::CredKey;

/// What an exchange carries.
#[derive(Debug, Clone)]
pub(super) enum ExKind {
    /// One HTTPS request on a new TLS connection.
    Http(HttpRequest),
    /// A DTLS handshake.
    Connect,
    /// One CoAP message.
    Coap {
        /// The request.
        request: CoapRequest,
        /// Its message id.
        mid: u16,
    },
}

/// One request/answer exchange on the link.
#[derive(Debug, Clone)]
pub(super) struct Exchange {
    dev: usize,
    boot: u64,
    kind: ExKind,
    policy: RetransmitPolicy,
    attempt: u32,
    timeout_ms: u64,
    /// The service's stored answer (dedup).
    answer: Option<Input>,
}

impl Exchange {
    /// How the transport of `kind` retransmits.
    pub(super) fn policy_for(kind: &ExKind) -> RetransmitPolicy {
        match kind {
            ExKind::Http(_) => RetransmitPolicy::TCP,
            ExKind::Connect => RetransmitPolicy::DTLS,
            ExKind::Coap { request, .. } if request.confirmable => RetransmitPolicy::COAP,
            ExKind::Coap { .. } => RetransmitPolicy::NON,
        }
    }

    fn label(&self) -> String {
        match &self.kind {
            ExKind::Http(r) => format!("{} {}", r.method.as_str(), r.path()),
            ExKind::Connect => "DTLS handshake".to_owned(),
            ExKind::Coap { request, mid } => format!("{} mid={mid:#06x}", request.path),
        }
    }
}

impl World {
    /// Starts an exchange for `dev` and sends its first attempt.
    pub(super) fn start_exchange(&mut self, dev: usize, kind: ExKind) {
        if self.loopback.is_some() {
            self.loopback_exchange(dev, kind);
            return;
        }
        let id = self.register_exchange(dev, kind);
        self.transmit(id);
    }

    /// Registers an exchange (not sent yet) and returns its id.
    pub(super) fn register_exchange(&mut self, dev: usize, kind: ExKind) -> u64 {
        let policy = Exchange::policy_for(&kind);
        let timeout_ms = policy.initial_ms + self.link_rng.below(policy.random_extra_ms + 1);
        let id = self.next_exchange;
        self.next_exchange += 1;
        self.exchanges.insert(
            id,
            Exchange {
                dev,
                boot: self.devices[dev].boot,
                kind,
                policy,
                attempt: 0,
                timeout_ms,
                answer: None,
            },
        );
        id
    }

    /// One-way delay on device `dev`'s link: latency plus jitter (world and fault
    /// settings).
    pub(super) fn one_way_ms(&mut self, dev: usize) -> u64 {
        let (extra_latency, extra_jitter) = self.faults.extra_delay_for(dev);
        let base = duration_ms(self.config.latency) + duration_ms(extra_latency);
        let jitter = duration_ms(self.config.jitter) + duration_ms(extra_jitter);
        base + self.link_rng.below(jitter + 1)
    }

    /// Whether a datagram of device `dev` sent now is lost; notes why.
    fn lost(&mut self, dev: usize, what: &str) -> bool {
        self.lost_at(dev, self.now_ms, what)
    }

    /// Whether a datagram (or segment) of device `dev` sent at `at_ms` is lost: a
    /// partition window, or a loss draw; notes why.
    pub(super) fn lost_at(&mut self, dev: usize, at_ms: u64, what: &str) -> bool {
        let loss_rate = self.faults.loss_rate_for(dev);
        let why = if self
            .faults
            .partitioned_for(dev, std::time::Duration::from_millis(at_ms))
        {
            "partition"
        } else if loss_rate > 0.0 && self.link_rng.chance(loss_rate) {
            "loss"
        } else {
            return false;
        };
        self.transcript.note(
            self.now_ms,
            Lane::Link,
            EntryKind::Fault,
            format!("dropped ({why}): {what}"),
        );
        true
    }

    /// Sends the current attempt of exchange `id` and arms its retransmission timer.
    fn transmit(&mut self, id: u64) {
        let Some(ex) = self.exchanges.get(&id) else {
            return;
        };
        let (attempt, timeout, label, dev) = (ex.attempt, ex.timeout_ms, ex.label(), ex.dev);
        let setup = match ex.kind {
            ExKind::Http(_) => 4 * duration_ms(self.config.latency),
            _ => 0,
        };
        if attempt > 0 {
            self.transcript.note(
                self.now_ms,
                Lane::Link,
                EntryKind::Note,
                format!("retransmit #{attempt}: {label}"),
            );
        }
        if !self.lost(dev, &format!("request {label}")) {
            let at = self.now_ms + setup + self.one_way_ms(dev);
            self.agenda.schedule(at, Due::ToService { ex: id, attempt });
        }
        self.agenda
            .schedule(self.now_ms + timeout, Due::Retransmit { ex: id, attempt });
    }

    /// A request leg arrived: the service answers (or repeats its stored answer).
    pub(super) fn at_service(&mut self, id: u64, attempt: u32) {
        let Some(ex) = self.exchanges.get(&id) else {
            return;
        };
        let (dev, label) = (ex.dev, ex.label());
        let client_lane = Lane::Client(self.devices[dev].name.clone());
        let input = match ex.answer.clone() {
            Some(input) if is_silence(&input) => {
                self.transcript.note(
                    self.now_ms,
                    Lane::Service,
                    EntryKind::Note,
                    format!(
                        "duplicate {label} (attempt {attempt}): no answer reaches the device (injected)"
                    ),
                );
                return;
            }
            Some(input) => {
                self.transcript.note(
                    self.now_ms,
                    Lane::Service,
                    EntryKind::Note,
                    format!("duplicate {label} (attempt {attempt}): stored answer resent"),
                );
                input
            }
            None => {
                let kind = ex.kind.clone();
                let served = self.serve(dev, &kind);
                let now = self.now_ms;
                for (kind, note) in &served.notes {
                    // What the service did for one device says which device.
                    let note = match kind {
                        EntryKind::Note => format!("{}: {note}", self.devices[dev].name),
                        _ => note.clone(),
                    };
                    self.transcript.note(now, Lane::Service, *kind, note);
                }
                if !served.is_silence() {
                    self.transcript.message(
                        now,
                        Lane::Service,
                        client_lane.clone(),
                        EntryKind::Response,
                        &served.summary,
                    );
                }
                let log = exchange_log(now, &kind, &served);
                if let Some(log) = log {
                    self.devices[dev].exchanges.push(log);
                }
                for command in served.records {
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
                if let Some(ex) = self.exchanges.get_mut(&id) {
                    ex.answer = Some(served.input.clone());
                }
                if is_silence(&served.input) {
                    return;
                }
                served.input
            }
        };
        if !self.lost(dev, &format!("answer to {label}")) {
            let at = self.now_ms + self.one_way_ms(dev);
            self.agenda.schedule(
                at,
                Due::ToDevice {
                    ex: id,
                    input: Box::new(input),
                },
            );
        }
    }

    /// One handshake of `dev` verifying the service against its root CA at `sec_tag`:
    /// counts it against the handshake faults, then checks the CA. `Err` says why it failed.
    fn handshake(&mut self, dev: usize, sec_tag: u32) -> Result<(), &'static str> {
        if self.faults.handshake_fails(dev) {
            return Err("handshake failed (injected)");
        }
        let verified = self.devices[dev]
            .modem
            .credentials()
            .get(CredKey::new(sec_tag, TYPE_ROOT_CA))
            == Some(self.host.lab_ca.as_bytes());
        if verified {
            Ok(())
        } else {
            Err("handshake failed: the device's root CA does not verify the service")
        }
    }

    /// Runs a request against the service.
    fn serve(&mut self, dev: usize, kind: &ExKind) -> Served {
        let now = self.service_now();
        let handshake_failed = |protocol: &str, why: &str| Served {
            input: Input::TransportFailed(TransportFailure::HandshakeFailed),
            summary: format!("{protocol} {why}"),
            records: Vec::new(),
            notes: Vec::new(),
        };
        match kind {
            ExKind::Http(request) => {
                if let Err(why) = self.handshake(dev, request.sec_tag) {
                    return handshake_failed("TLS", why);
                }
                serve_http(&mut self.host.service, now, &mut self.faults, dev, request)
            }
            ExKind::Connect => {
                let sec_tag = self.devices[dev].spec.client.root_ca_sec_tag;
                if let Err(why) = self.handshake(dev, sec_tag) {
                    return handshake_failed("DTLS", why);
                }
                self.devices[dev].session = Some(CoapSession::default());
                Served {
                    input: Input::CoapConnected,
                    summary: "DTLS session established".to_owned(),
                    records: Vec::new(),
                    notes: Vec::new(),
                }
            }
            ExKind::Coap { request, .. } => {
                let mut session = self.devices[dev].session.take().unwrap_or_default();
                let served = serve_coap(
                    &mut self.host.service,
                    now,
                    &mut self.faults,
                    dev,
                    &mut session,
                    request,
                );
                // A forced close ends the DTLS session: the service forgets it.
                if served.input != Input::TransportFailed(TransportFailure::Closed) {
                    self.devices[dev].session = Some(session);
                }
                served
            }
        }
    }

    /// An answer leg arrived: the first one completes (and forgets) the exchange; later
    /// copies find no exchange and are ignored. A fetch answer carrying commands counts
    /// against the armed "after fetch" power cuts first.
    pub(super) fn at_device(&mut self, id: u64, input: Input) {
        let Some(ex) = self.exchanges.get(&id) else {
            return;
        };
        let (dev, boot) = (ex.dev, ex.boot);
        if !self.live(dev, boot) {
            return;
        }
        let Some(ex) = self.exchanges.remove(&id) else {
            return;
        };
        if carries_commands(&ex.kind, &input) {
            if let Some(cut) = self.reach_cut_point(dev, |p| *p == PowerCutPoint::AfterFetch) {
                self.fire_cut(
                    dev,
                    cut,
                    "power cut after the fetch answer reached the device",
                );
                return;
            }
        }
        self.feed(dev, input);
    }

    /// A retransmission timer fired: send again, or give up.
    pub(super) fn retransmit(&mut self, id: u64, attempt: u32) {
        let Some(ex) = self.exchanges.get(&id) else {
            return;
        };
        if ex.attempt != attempt {
            return;
        }
        let (dev, boot) = (ex.dev, ex.boot);
        if !self.live(dev, boot) {
            self.exchanges.remove(&id);
            return;
        }
        let Some(ex) = self.exchanges.get_mut(&id) else {
            return;
        };
        if ex.attempt < ex.policy.max_retransmit {
            ex.attempt += 1;
            ex.timeout_ms = ex.timeout_ms.saturating_mul(2);
            self.transmit(id);
            return;
        }
        let label = ex.label();
        let tries = ex.attempt + 1;
        self.exchanges.remove(&id);
        self.transcript.note(
            self.now_ms,
            Lane::Link,
            EntryKind::Note,
            format!("gave up: {label} unanswered after {tries} transmissions"),
        );
        self.feed(dev, Input::TransportFailed(TransportFailure::Timeout));
    }
}

/// Most responses decoded from one logged report.
const MAX_LOGGED_RESPONSES: usize = 64;

/// Whether `input`, the answer to a request of `kind`, completes a fetch that delivered
/// commands: an HTTP 200 with a body to `GET …/commands`, or the last block of a non-empty
/// CoAP 2.05 to `p/cmd`.
fn carries_commands(kind: &ExKind, input: &Input) -> bool {
    match (kind, input) {
        (ExKind::Http(request), Input::Http(response)) => {
            http_route(request) == Ok(Route::Fetch)
                && response.status == Some(200)
                && !response.body.is_empty()
        }
        (ExKind::Coap { request, .. }, Input::Coap(response)) => {
            coap_route(request) == Ok(Route::Fetch)
                && response.code == provlab_client::CoapCode::CONTENT
                && !response.payload.is_empty()
                && response.block2.is_none_or(|b| !b.more)
        }
        _ => false,
    }
}

/// Whether a stored answer is an injected silence (see [`Served::is_silence`]).
fn is_silence(input: &Input) -> bool {
    *input == Input::TransportFailed(TransportFailure::Timeout)
}

/// The exchange log entry of a freshly served fetch, report or authentication (`None` for
/// handshakes, failed handshakes, later blocks and other requests). A request the service
/// answered with a forced close or silence is logged with the answer `"none"`.
pub(super) fn exchange_log(at_ms: u64, kind: &ExKind, served: &Served) -> Option<ExchangeLog> {
    if let Input::TransportFailed(TransportFailure::HandshakeFailed) = served.input {
        // The handshake failed: the request never reached the service.
        return None;
    }
    let (endpoint, request_body) = match kind {
        ExKind::Http(r) => match http_route(r) {
            Ok(Route::Fetch) => (ExchangeEndpoint::Fetch, &r.body),
            Ok(Route::Report) => (ExchangeEndpoint::Report, &r.body),
            _ => return None,
        },
        ExKind::Connect => return None,
        ExKind::Coap { request, .. } => match coap_route(request) {
            Ok(Route::Fetch) if request.block2.is_none_or(|b| b.num == 0) => {
                (ExchangeEndpoint::Fetch, &request.payload)
            }
            Ok(Route::Report) => (ExchangeEndpoint::Report, &request.payload),
            Ok(Route::Auth) => (ExchangeEndpoint::Auth, &request.payload),
            _ => return None,
        },
    };
    let (answer, answer_body) = match &served.input {
        Input::Http(h) => (
            h.status
                .map_or_else(|| "none".to_owned(), |s| s.to_string()),
            h.body.len(),
        ),
        Input::Coap(c) => (c.code.to_string(), c.payload.len()),
        _ => ("none".to_owned(), 0),
    };
    let responses = if endpoint == ExchangeEndpoint::Report {
        provlab_proto::records::decode_responses(request_body, MAX_LOGGED_RESPONSES)
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let body_len = match endpoint {
        ExchangeEndpoint::Fetch => answer_body,
        _ => request_body.len(),
    };
    Some(ExchangeLog {
        at_ms,
        endpoint,
        answer,
        body_len,
        commands: served.records.clone(),
        responses,
    })
}
