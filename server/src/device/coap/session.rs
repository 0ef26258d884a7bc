//! One DTLS session's CoAP exchanges, sans-IO: a datagram in, at most one datagram out.
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

use super::block::{block2_slice, Block1Assembly, Block1Step, BlockError, BlockOpt};
use super::dedup::DedupCache;
use crate::app::{App, AppError};
use crate::device::forced::{DeviceRoute, ForcedReply};
use crate::device::{auth, log, query};
use crate::domain;
use crate::domain::service::{DeviceAuth, Fetch, FetchResult};

/// Largest `p/rsp` body accepted (the domain takes at most 40 records).
pub const MAX_REQUEST_BODY: usize = 256 * 1024;
/// The Content-Format number of `application/cbor`.
const CBOR: u16 = 60;
/// Critical options this server understands; any other critical (odd) option is a 4.02.
const KNOWN_CRITICAL: [u16; 7] = [3, 7, 11, 15, 17, 23, 27];

/// The state of one DTLS session's CoAP endpoint.
#[derive(Debug)]
pub struct CoapSession {
    peer: String,
    device: Option<DeviceAuth>,
    dedup: DedupCache,
    /// The last `p/cmd` body, by the query it answered, for its later Block2 blocks.
    commands: Option<(String, Vec<u8>)>,
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

    fn app_error(e: &AppError) -> Self {
        Self::error(error_code(e), e.message())
    }
}

/// The CoAP code for an app error: 4.01 for a bad JWT *and* for an unclaimed device
/// (service.md), 4.00 for invalid input, 5.00 for failures, 5.03 when the service has lost
/// its state.
pub fn error_code(e: &AppError) -> ResponseType {
    match e {
        AppError::Domain(d) => match d {
            domain::Error::Unauthorized { .. } | domain::Error::NotClaimed { .. } => {
                ResponseType::Unauthorized
            }
            domain::Error::Forbidden { .. } => ResponseType::Forbidden,
            domain::Error::NotFound { .. } => ResponseType::NotFound,
            domain::Error::Conflict { .. } => ResponseType::Conflict,
            domain::Error::Invalid { .. } | domain::Error::TooManyCommands { .. } => {
                ResponseType::BadRequest
            }
            domain::Error::Internal(_) => ResponseType::InternalServerError,
        },
        AppError::Store(_) | AppError::Replay(_) => ResponseType::InternalServerError,
        AppError::Unavailable(_) => ResponseType::ServiceUnavailable,
    }
}

impl CoapSession {
    /// A fresh, unauthenticated session with the peer at `peer` (for logs).
    pub fn new(peer: impl Into<String>) -> Self {
        Self {
            peer: peer.into(),
            device: None,
            dedup: DedupCache::default(),
            commands: None,
            upload: Block1Assembly::default(),
            next_message_id: 0x5a00,
            silenced: Vec::new(),
            closing: false,
        }
    }

    /// The device this session authenticated as, if any.
    pub fn device(&self) -> Option<&DeviceAuth> {
        self.device.as_ref()
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
                            } => {
                                let code = match MessageClass::from(
                                    (coap_class << 5) | (coap_detail & 0x1f),
                                ) {
                                    MessageClass::Response(code) => code,
                                    _ => ResponseType::InternalServerError,
                                };
                                Reply::error(code, "forced answer")
                            }
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
        let Some(path) = uri_path(packet) else {
            return Reply::error(ResponseType::BadRequest, "Uri-Path is not UTF-8");
        };
        let reply = match (path.as_str(), method) {
            ("p/auth-jwt" | "p/auth", RequestType::Post) => self.authenticate(app, packet),
            ("p/cmd", RequestType::Get) => self.fetch(app, packet),
            ("p/rsp", RequestType::Post) => self.respond(app, packet),
            ("p/auth-jwt" | "p/auth" | "p/cmd" | "p/rsp", _) => Reply::error(
                ResponseType::MethodNotAllowed,
                format!("{method:?} is not allowed on {path}"),
            ),
            (".dtls/suspend", _) => Reply::error(
                ResponseType::NotFound,
                "DTLS session suspension is not supported by this service",
            ),
            _ => Reply::error(ResponseType::NotFound, format!("no resource {path:?}")),
        };
        let device = self
            .device
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

    /// `POST p/auth-jwt`.
    fn authenticate(&mut self, app: &App, packet: &Packet) -> Reply {
        self.device = None;
        let Ok(token) = std::str::from_utf8(&packet.payload) else {
            return Reply::error(ResponseType::Unauthorized, "the JWT payload is not UTF-8");
        };
        match auth::authenticate(app, Some(token), "coap") {
            Ok(device) => {
                let queries = options_text(packet, CoapOption::UriQuery);
                tracing::info!(
                    peer = %self.peer,
                    device = %device.device,
                    query = %queries.join("&"),
                    "CoAP session authenticated"
                );
                self.device = Some(device);
                Reply::empty(ResponseType::Created)
            }
            Err(e) => {
                tracing::info!(peer = %self.peer, error = %e, "CoAP authentication refused");
                Reply::app_error(&e)
            }
        }
    }

    /// `GET p/cmd`.
    fn fetch(&mut self, app: &App, packet: &Packet) -> Reply {
        let Some(device) = self.device else {
            return not_authenticated();
        };
        let requested = match block_option(packet, CoapOption::Block2) {
            Ok(b) => b,
            Err(e) => return Reply::error(ResponseType::BadOption, format!("Block2: {e}")),
        };
        let key = options_text(packet, CoapOption::UriQuery).join("&");
        if let Some(block) = requested.filter(|b| b.num > 0) {
            return match &self.commands {
                Some((cached_key, body)) if *cached_key == key => {
                    commands_reply(body, Some(block))
                }
                _ => Reply::error(
                    ResponseType::BadRequest,
                    format!(
                        "block {} asked for, but no block-wise transfer of this query is in progress",
                        block.num
                    ),
                ),
            };
        }
        let queries = packet
            .get_option(CoapOption::UriQuery)
            .map(|list| list.iter().map(Vec::as_slice).collect::<Vec<_>>())
            .unwrap_or_default();
        let request = match query::parse_coap(queries) {
            Ok(q) => q,
            Err(e) => return Reply::error(ResponseType::BadRequest, e.to_string()),
        };
        let result =
            app.mutate(|service, now| service.fetch_commands(now, device.device, &request.fetch));
        match result {
            Ok(FetchResult { fetch, notices }) => {
                log::notices(device.device, &notices);
                match fetch {
                    Fetch::Records { body, records, .. } => {
                        tracing::info!(
                            device = %device.device,
                            records = records.len(),
                            bytes = body.len(),
                            "commands delivered over CoAP"
                        );
                        let reply = commands_reply(&body, requested);
                        self.commands = Some((key, body));
                        reply
                    }
                    Fetch::NoCommands(reason) => {
                        tracing::info!(device = %device.device, ?reason, "no commands");
                        self.commands = None;
                        Reply::empty(ResponseType::Content)
                    }
                }
            }
            Err(e) => Reply::app_error(&e),
        }
    }

    /// `POST p/rsp`.
    fn respond(&mut self, app: &App, packet: &Packet) -> Reply {
        let Some(device) = self.device else {
            return not_authenticated();
        };
        if let Some(format) = content_format(packet) {
            if format != CBOR {
                return Reply::error(
                    ResponseType::UnsupportedContentFormat,
                    format!("Content-Format {format} is not application/cbor (60)"),
                );
            }
        }
        let block1 = match block_option(packet, CoapOption::Block1) {
            Ok(b) => b,
            Err(e) => return Reply::error(ResponseType::BadOption, format!("Block1: {e}")),
        };
        let body = match block1 {
            None => packet.payload.clone(),
            Some(block) => match self.upload.push(block, &packet.payload, MAX_REQUEST_BODY) {
                Ok(Block1Step::Continue) => {
                    return Reply {
                        block1: Some(block),
                        ..Reply::empty(ResponseType::Continue)
                    }
                }
                Ok(Block1Step::Complete(body)) => body,
                Err(e) => return Reply::error(block1_error_code(&e), e.to_string()),
            },
        };
        let result = app.mutate(|service, now| service.record_responses(now, device.device, &body));
        match result {
            Ok(report) => {
                log::report(&device, &report);
                Reply {
                    block1: block1.map(|b| BlockOpt { more: false, ..b }),
                    ..Reply::empty(ResponseType::Changed)
                }
            }
            Err(e) => Reply::app_error(&e),
        }
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

/// 4.01 for a request before `p/auth-jwt`.
fn not_authenticated() -> Reply {
    Reply::error(
        ResponseType::Unauthorized,
        "this DTLS session is not authenticated: POST p/auth-jwt with the device JWT first",
    )
}

/// 2.05 with the Block2 block of `body` the client asked for.
fn commands_reply(body: &[u8], requested: Option<BlockOpt>) -> Reply {
    match block2_slice(body, requested) {
        Ok((block2, payload)) => Reply {
            code: ResponseType::Content,
            cbor: true,
            block1: None,
            block2,
            payload: payload.to_vec(),
        },
        Err(e) => Reply::error(ResponseType::BadOption, format!("Block2: {e}")),
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

/// The Uri-Path segments joined with `/`, empty segments dropped (the SDK's
/// `/.dtls/suspend` may arrive with a leading empty one). `None` if not UTF-8.
/// The route a request can have a forced answer for.
fn forced_route(method: RequestType, packet: &Packet) -> Option<DeviceRoute> {
    match (uri_path(packet)?.as_str(), method) {
        ("p/auth-jwt" | "p/auth", RequestType::Post) => Some(DeviceRoute::Auth),
        ("p/cmd", RequestType::Get) => Some(DeviceRoute::Fetch),
        ("p/rsp", RequestType::Post) => Some(DeviceRoute::Report),
        _ => None,
    }
}

fn uri_path(packet: &Packet) -> Option<String> {
    let mut segments = Vec::new();
    if let Some(list) = packet.get_option(CoapOption::UriPath) {
        for raw in list {
            let segment = std::str::from_utf8(raw).ok()?;
            if !segment.is_empty() {
                segments.push(segment);
            }
        }
    }
    Some(segments.join("/"))
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
