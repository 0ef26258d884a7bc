//! One DTLS session's CoAP exchanges, sans-IO: a datagram in, at most one datagram out.
//! Messages, options and Block1 reassembly are this module's; each request is then routed,
//! run and answered by the device core ([`crate::device::core::handle_coap`]), which holds
//! the session's device and the `p/cmd` body being served.
//!
//! Resources (device-protocol.md §4, and the SDK's `nrf_provisioning_coap.c`):
//! * `POST p/auth-jwt?mver=&cver=` with the JWT as payload → 2.01; the session is then
//!   authenticated as that device until it ends (one JWT per session). `p/auth`, the path of
//!   older SDK releases, is accepted the same way.
//! * `GET p/cmd?after=&rxMaxSize=&txMaxSize=&limit=` → 2.05 with the CBOR records, cut into
//!   Block2 blocks ([`super::block`]); an empty 2.05 for no commands. The body is fetched
//!   once, at block 0, and later blocks come from it: a fetch records a delivery.
//! * `POST p/rsp` with CBOR responses → 2.04, in Block1 blocks if the device sends them
//!   (2.31 Continue for each but the last).
//! * `POST /.dtls/suspend` → 4.04: session suspension is not supported, which the client
//!   takes as "keep-open mode off".
//!
//! | request | outcome | code |
//! |---|---|---|
//! | `POST p/auth-jwt` | JWT valid, device claimed | 2.01 |
//! | | bad/expired/forged JWT, unknown device, *or* device not claimed | 4.01 |
//! | `GET p/cmd` | records (Block2 when over one block) | 2.05, Content-Format 60 |
//! | | no commands (also blocked, or `ERROR`) | 2.05, empty |
//! | | bad query or limits | 4.00 |
//! | | a later block with no transfer in progress | 4.00 |
//! | `POST p/rsp` | recorded | 2.04 (2.31 for each Block1 block but the last) |
//! | | body not a CBOR responses array | 4.00 |
//! | | Content-Format present and not 60 | 4.15 |
//! | | Block1 out of order / body over [`MAX_REQUEST_BODY`] | 4.08 / 4.13 |
//! | `p/cmd`, `p/rsp` before a successful `p/auth-jwt` | | 4.01 |
//! | bad Block option, unknown critical option | | 4.02 |
//! | known path, wrong method | | 4.05 |
//! | `/.dtls/suspend`, unknown path | | 4.04 |
//! | storage failure / state lost | | 5.00 / 5.03 |
//!
//! The SDK maps 4.01 → `EACCES`, 4.00 → `EINVAL`, 4.04 → `ENOENT`, 5.00/5.03 → `EBUSY`
//! (`response_code_to_error` in `nrf_provisioning_coap.c`).
//!
//! Messages: a confirmable request gets a piggybacked ACK, a non-confirmable one a NON
//! response; a request seen again with the same message id gets the same response bytes
//! without running again ([`super::dedup`]). An empty CON (CoAP ping) or a CON that cannot
//! be parsed gets a Reset; ACK, RST and unparsable NON messages are dropped. Errors carry a
//! diagnostic payload (RFC 7252 §5.5.2), the same text the HTTPS endpoint sends.

use std::time::Instant;

use coap_lite::{
    CoapOption, ContentFormat, MessageClass, MessageType, Packet, RequestType, ResponseType,
};

use super::block::{Block1Assembly, Block1Step, BlockError, BlockOpt};
use super::dedup::DedupCache;
use crate::app::App;
use crate::device::backend::AppService;
use crate::device::core::{
    handle_coap, Answer, CoapAnswer, CoapCode, CoapParts, CoapState, Method, Refusal, Route,
    RouteError,
};
use crate::device::forced::ForcedReply;
use crate::domain::service::DeviceAuth;

/// Largest `p/rsp` body accepted (the domain takes at most 40 records).
pub const MAX_REQUEST_BODY: usize = 256 * 1024;
/// Critical options this server understands; any other critical (odd) option is a 4.02.
const KNOWN_CRITICAL: [u16; 7] = [3, 7, 11, 15, 17, 23, 27];

/// The state of one DTLS session's CoAP endpoint.
#[derive(Debug)]
pub struct CoapSession {
    peer: String,
    /// The device core's view of the session: its device and the `p/cmd` body being served.
    state: CoapState,
    dedup: DedupCache,
    /// A `p/rsp` body arriving in Block1 blocks.
    upload: Block1Assembly,
    next_message_id: u16,
    /// Message ids a forced silence swallowed (their retransmissions stay unanswered).
    silenced: Vec<u16>,
    /// A forced `close` asked to end the session.
    closing: bool,
}

/// A response before it is encoded.
#[derive(Debug, Clone, PartialEq)]
struct Reply {
    code: ResponseType,
    cbor: bool,
    block1: Option<BlockOpt>,
    block2: Option<BlockOpt>,
    payload: Vec<u8>,
}

impl Reply {
    fn empty(code: ResponseType) -> Self {
        Self {
            code,
            cbor: false,
            block1: None,
            block2: None,
            payload: Vec::new(),
        }
    }

    /// An error with its diagnostic text.
    fn error(code: ResponseType, message: impl Into<String>) -> Self {
        Self {
            payload: message.into().into_bytes(),
            ..Self::empty(code)
        }
    }

    /// A refusal of the device core, with its reason as the diagnostic.
    fn refused(refusal: Refusal) -> Self {
        Self::error(response_type(refusal.outcome.coap_code()), refusal.reason)
    }

    /// The core's answer: a CBOR block for commands, the diagnostic for a refusal.
    fn answer(answer: CoapAnswer) -> Self {
        let code = response_type(answer.code());
        match answer.answer {
            Answer::Records { .. } | Answer::NextBlock => Self {
                code,
                cbor: true,
                block1: None,
                block2: answer.block2,
                payload: answer.payload,
            },
            Answer::Refused(refusal) => Self::error(code, refusal.reason),
            Answer::NoCommands { .. } | Answer::Recorded(_) | Answer::Authenticated(_) => {
                Self::empty(code)
            }
        }
    }
}

/// The coap-lite response type of a core code (5.00 for a code coap-lite does not know).
fn response_type(code: CoapCode) -> ResponseType {
    match MessageClass::from((code.class << 5) | (code.detail & 0x1f)) {
        MessageClass::Response(code) => code,
        _ => ResponseType::InternalServerError,
    }
}

/// The core's method of a CoAP request method.
fn core_method(method: RequestType) -> Method {
    match method {
        RequestType::Get => Method::Get,
        RequestType::Post => Method::Post,
        _ => Method::Other,
    }
}

impl CoapSession {
    /// A fresh, unauthenticated session with the peer at `peer` (for logs).
    pub fn new(peer: impl Into<String>) -> Self {
        Self {
            peer: peer.into(),
            state: CoapState::default(),
            dedup: DedupCache::default(),
            upload: Block1Assembly::default(),
            next_message_id: 0x5a00,
            silenced: Vec::new(),
            closing: false,
        }
    }

    /// The device this session authenticated as, if any.
    pub fn device(&self) -> Option<&DeviceAuth> {
        self.state.device()
    }

    /// Handles one datagram received at `now`; returns the datagram to send back, if any.
    pub fn handle(&mut self, app: &App, now: Instant, datagram: &[u8]) -> Option<Vec<u8>> {
        let packet = match Packet::from_bytes(datagram) {
            Ok(p) if p.header.get_version() == 1 => p,
            Ok(_) => return None,
            Err(e) => return self.reject_unparsable(datagram, &e.to_string()),
        };
        let kind = packet.header.get_type();
        if matches!(kind, MessageType::Acknowledgement | MessageType::Reset) {
            return None;
        }
        let message_id = packet.header.message_id;
        if self.silenced.contains(&message_id) {
            return None;
        }
        if let Some(cached) = self.dedup.get(message_id, now) {
            tracing::debug!(peer = %self.peer, message_id, "retransmitted request: same response");
            return Some(cached.to_vec());
        }
        let confirmable = kind == MessageType::Confirmable;
        let bytes = match packet.header.code {
            MessageClass::Request(method) => {
                let forced =
                    forced_route(method, &packet).and_then(|r| app.forced_replies().take(r));
                let reply = match forced {
                    None => self.request(app, method, &packet),
                    Some(ForcedReply::Lost) => {
                        // Handled for real; the answer (and any to a retransmission) is lost.
                        let _ = self.request(app, method, &packet);
                        tracing::info!(peer = %self.peer, message_id, "CoAP answer withheld (forced: lost)");
                        self.silenced.push(message_id);
                        return None;
                    }
                    Some(forced) => {
                        tracing::info!(peer = %self.peer, message_id, ?forced, "CoAP request: forced answer");
                        match forced {
                            ForcedReply::Status {
                                coap_class,
                                coap_detail,
                                ..
                            } => Reply::error(
                                response_type(CoapCode {
                                    class: coap_class,
                                    detail: coap_detail,
                                }),
                                "forced answer",
                            ),
                            ForcedReply::Close => {
                                self.closing = true;
                                return None;
                            }
                            ForcedReply::Silence | ForcedReply::Lost => {
                                self.silenced.push(message_id);
                                return None;
                            }
                        }
                    }
                };
                self.encode(&packet, confirmable, reply)
            }
            // An empty CON is a CoAP ping; a response or reserved code is not for a server.
            _ if confirmable => reset(message_id),
            _ => return None,
        };
        self.dedup.insert(message_id, now, bytes.clone());
        Some(bytes)
    }

    /// Whether a forced `close` asked to end this session.
    pub fn wants_close(&self) -> bool {
        self.closing
    }

    /// A datagram coap-lite cannot parse: Reset if its header says CON, else nothing.
    fn reject_unparsable(&self, datagram: &[u8], why: &str) -> Option<Vec<u8>> {
        tracing::info!(peer = %self.peer, error = why, "unparsable CoAP message");
        match datagram {
            [first, _, hi, lo, ..] if first >> 6 == 1 && (first >> 4) & 3 == 0 => {
                Some(reset(u16::from_be_bytes([*hi, *lo])))
            }
            _ => None,
        }
    }

    /// Routes a request.
    fn request(&mut self, app: &App, method: RequestType, packet: &Packet) -> Reply {
        if let Some(number) = unknown_critical_option(packet) {
            return Reply::error(
                ResponseType::BadOption,
                format!("critical option {number} is not supported"),
            );
        }
        let Some(segments) = uri_segments(packet) else {
            return Reply::error(ResponseType::BadRequest, "Uri-Path is not UTF-8");
        };
        let path = segments.join("/");
        let reply = match Route::from_coap_segments(core_method(method), segments) {
            Ok(route) => self.route(app, route, packet),
            Err(e @ RouteError::WrongMethod(_)) => Reply::error(
                response_type(e.outcome().coap_code()),
                format!("{method:?} is not allowed on {path}"),
            ),
            Err(e @ RouteError::Unknown) => Reply::error(
                response_type(e.outcome().coap_code()),
                format!("no resource {path:?}"),
            ),
        };
        let device = self
            .state
            .device()
            .map(|d| d.device.to_string())
            .unwrap_or_default();
        tracing::info!(
            peer = %self.peer,
            device,
            method = ?method,
            path,
            code = %MessageClass::Response(reply.code),
            "CoAP request"
        );
        reply
    }

    /// Runs a routed request through the device core; Block options and their errors
    /// are this transport's.
    fn route(&mut self, app: &App, route: Route, packet: &Packet) -> Reply {
        let mut parts = CoapParts {
            route,
            query: packet
                .get_option(CoapOption::UriQuery)
                .map(|list| list.iter().map(Vec::as_slice).collect())
                .unwrap_or_default(),
            content_format: content_format(packet),
            payload: &packet.payload,
            block2: None,
        };
        let assembled;
        let mut block1 = None;
        match route {
            Route::Fetch if self.state.device().is_some() => {
                match block_option(packet, CoapOption::Block2) {
                    Ok(b) => parts.block2 = b,
                    Err(e) => return Reply::error(ResponseType::BadOption, format!("Block2: {e}")),
                }
            }
            Route::Report => {
                if let Err(refusal) = self.state.check_report(parts.content_format) {
                    return Reply::refused(refusal);
                }
                block1 = match block_option(packet, CoapOption::Block1) {
                    Ok(b) => b,
                    Err(e) => return Reply::error(ResponseType::BadOption, format!("Block1: {e}")),
                };
                if let Some(block) = block1 {
                    match self.upload.push(block, &packet.payload, MAX_REQUEST_BODY) {
                        Ok(Block1Step::Continue) => {
                            return Reply {
                                block1: Some(block),
                                ..Reply::empty(ResponseType::Continue)
                            }
                        }
                        Ok(Block1Step::Complete(body)) => assembled = body,
                        Err(e) => return Reply::error(block1_error_code(&e), e.to_string()),
                    }
                    parts.payload = &assembled;
                }
            }
            _ => {}
        }
        let mut service = AppService {
            app,
            transport: "coap",
        };
        let answer = handle_coap(&mut service, &mut self.state, &parts);
        match &answer.answer {
            Answer::Authenticated(device) => tracing::info!(
                peer = %self.peer,
                device = %device.device,
                query = %options_text(packet, CoapOption::UriQuery).join("&"),
                "CoAP session authenticated"
            ),
            Answer::Refused(refusal) if route == Route::Auth => {
                tracing::info!(peer = %self.peer, error = %refusal, "CoAP authentication refused");
            }
            Answer::Records { body, records, .. } => tracing::info!(
                device = %self.state.device().map(|d| d.device.to_string()).unwrap_or_default(),
                records = records.len(),
                bytes = body.len(),
                "commands delivered over CoAP"
            ),
            Answer::NoCommands { reason, .. } => tracing::info!(
                device = %self.state.device().map(|d| d.device.to_string()).unwrap_or_default(),
                ?reason,
                "no commands"
            ),
            _ => {}
        }
        let recorded = matches!(answer.answer, Answer::Recorded(_));
        let mut reply = Reply::answer(answer);
        if recorded {
            reply.block1 = block1.map(|b| BlockOpt { more: false, ..b });
        }
        reply
    }

    /// Encodes `reply` as the response to `request`.
    fn encode(&mut self, request: &Packet, confirmable: bool, reply: Reply) -> Vec<u8> {
        let mut out = Packet::new();
        out.header.set_version(1);
        if confirmable {
            out.header.set_type(MessageType::Acknowledgement);
            out.header.message_id = request.header.message_id;
        } else {
            out.header.set_type(MessageType::NonConfirmable);
            out.header.message_id = self.next_message_id;
            self.next_message_id = self.next_message_id.wrapping_add(1);
        }
        out.set_token(request.get_token().to_vec());
        out.header.code = MessageClass::Response(reply.code);
        if reply.cbor {
            out.set_content_format(ContentFormat::ApplicationCBOR);
        }
        if let Some(b) = reply.block2 {
            out.add_option(CoapOption::Block2, b.encode());
        }
        if let Some(b) = reply.block1 {
            out.add_option(CoapOption::Block1, b.encode());
        }
        out.payload = reply.payload;
        match out.to_bytes() {
            Ok(bytes) => bytes,
            Err(e) => {
                tracing::error!(error = %e, "cannot encode a CoAP response");
                out.clear_all_options();
                out.payload = b"cannot encode the response".to_vec();
                out.header.code = MessageClass::Response(ResponseType::InternalServerError);
                out.to_bytes()
                    .unwrap_or_else(|_| reset(request.header.message_id))
            }
        }
    }
}

/// The code for a Block1 reassembly failure.
fn block1_error_code(e: &BlockError) -> ResponseType {
    match e {
        BlockError::OutOfOrder { .. } => ResponseType::RequestEntityIncomplete,
        BlockError::TooLarge { .. } => ResponseType::RequestEntityTooLarge,
        BlockError::ShortBlock { .. } | BlockError::OutOfRange { .. } => ResponseType::BadRequest,
        BlockError::TooLong(_) | BlockError::Bert => ResponseType::BadOption,
    }
}

/// A Reset for `message_id`.
fn reset(message_id: u16) -> Vec<u8> {
    let [hi, lo] = message_id.to_be_bytes();
    vec![0x70, 0x00, hi, lo]
}

/// The Uri-Path segments, empty ones dropped (the SDK's `/.dtls/suspend` may arrive with a
/// leading empty one). `None` if one is not UTF-8.
fn uri_segments(packet: &Packet) -> Option<Vec<&str>> {
    let mut segments = Vec::new();
    if let Some(list) = packet.get_option(CoapOption::UriPath) {
        for raw in list {
            let segment = std::str::from_utf8(raw).ok()?;
            if !segment.is_empty() {
                segments.push(segment);
            }
        }
    }
    Some(segments)
}

/// The route a request can have a forced answer for.
fn forced_route(method: RequestType, packet: &Packet) -> Option<Route> {
    Route::from_coap_segments(core_method(method), uri_segments(packet)?).ok()
}

/// Every value of `option` as (lossy) text.
fn options_text(packet: &Packet, option: CoapOption) -> Vec<String> {
    packet
        .get_option(option)
        .map(|list| {
            list.iter()
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The Content-Format number, if the option is present.
fn content_format(packet: &Packet) -> Option<u16> {
    packet.get_first_option(CoapOption::ContentFormat).map(|v| {
        v.iter()
            .fold(0u16, |acc, &b| acc.wrapping_shl(8) | u16::from(b))
    })
}

/// The first Block1/Block2 option, decoded.
fn block_option(packet: &Packet, option: CoapOption) -> Result<Option<BlockOpt>, BlockError> {
    packet
        .get_first_option(option)
        .map(|v| BlockOpt::decode(v))
        .transpose()
}

/// The number of a critical option this server does not understand, if any.
fn unknown_critical_option(packet: &Packet) -> Option<u16> {
    packet
        .options()
        .map(|(number, _)| *number)
        .find(|n| n % 2 == 1 && !KNOWN_CRITICAL.contains(n))
}
