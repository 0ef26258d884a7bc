//! A CoAP device request through the core, on one DTLS session's state: `p/auth-jwt`
//! authenticates the session (one JWT per session), `p/cmd` fetches at block 0 and serves
//! the later Block2 blocks from the body it cut, `p/rsp` records, `/.dtls/suspend` is
//! refused (keep-open unsupported). Message framing (parsing, Block1 reassembly,
//! deduplication, encoding) is the transport's.

use super::answer::Answer;
use super::outcome::{CoapCode, Outcome, Refusal};
use super::request::{check_content_format, DeviceRequest};
use super::route::Route;
use super::service::{execute, not_authenticated, DeviceService};
use crate::device::coap::block::{block2_slice, BlockOpt};
use crate::device::query;
use crate::domain::service::DeviceAuth;

/// The parts of a CoAP request the core reads.
#[derive(Debug, Clone)]
pub struct CoapParts<'a> {
    /// The route (parsed with [`Route::from_coap_segments`] or [`Route::from_coap_path`]).
    pub route: Route,
    /// The Uri-Query option values, in order.
    pub query: Vec<&'a [u8]>,
    /// The Content-Format option, if present.
    pub content_format: Option<u16>,
    /// The payload (a report's whole body, once the transport reassembled it).
    pub payload: &'a [u8],
    /// The Block2 option the client sent, if any.
    pub block2: Option<BlockOpt>,
}

/// The service side of one DTLS session: the device it authenticated as and the `p/cmd`
/// body being served block by block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CoapState {
    device: Option<DeviceAuth>,
    transfer: Option<Transfer>,
}

/// The body of the last block-0 `p/cmd`, keyed by its query, for the later blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Transfer {
    query: String,
    body: Vec<u8>,
}

impl CoapState {
    /// The device this session authenticated as, if any.
    pub fn device(&self) -> Option<&DeviceAuth> {
        self.device.as_ref()
    }

    /// Checks a report before its body is read: the session must be authenticated and the
    /// Content-Format, if any, must be CBOR (the transport checks before reassembling
    /// Block1 blocks; [`handle_coap`] checks again).
    pub fn check_report(&self, content_format: Option<u16>) -> Result<DeviceAuth, Refusal> {
        let device = self.device.ok_or_else(not_authenticated)?;
        check_content_format(content_format)?;
        Ok(device)
    }
}

/// The core's answer to a CoAP request, with the Block2 block to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoapAnswer {
    /// What the request came to.
    pub answer: Answer,
    /// The Block2 option to send back (`None` when one block holds the whole body, or for
    /// answers without a body).
    pub block2: Option<BlockOpt>,
    /// The block's payload (empty for answers without a body).
    pub payload: Vec<u8>,
    /// The length of the whole body the block is cut from.
    pub body_len: usize,
}

impl CoapAnswer {
    /// An answer without a body.
    fn plain(answer: Answer) -> Self {
        CoapAnswer {
            answer,
            block2: None,
            payload: Vec::new(),
            body_len: 0,
        }
    }

    /// An answer carrying the block of `body` the client asked for (4.02 if there is no
    /// such block).
    fn block(answer: Answer, body: &[u8], requested: Option<BlockOpt>) -> Self {
        match block2_slice(body, requested) {
            Ok((block2, payload)) => CoapAnswer {
                answer,
                block2,
                payload: payload.to_vec(),
                body_len: body.len(),
            },
            Err(e) => CoapAnswer::plain(Answer::Refused(Refusal::new(
                Outcome::BadOption,
                format!("Block2: {e}"),
            ))),
        }
    }

    /// The response code.
    pub fn code(&self) -> CoapCode {
        self.answer.outcome().coap_code()
    }
}

/// Handles one CoAP request on the session `state`.
pub fn handle_coap(
    service: &mut impl DeviceService,
    state: &mut CoapState,
    parts: &CoapParts<'_>,
) -> CoapAnswer {
    match parts.route {
        Route::Auth => CoapAnswer::plain(authenticate(service, state, parts.payload)),
        Route::Fetch => fetch(service, state, parts),
        Route::Report => CoapAnswer::plain(match state.check_report(parts.content_format) {
            Ok(device) => execute(service, Some(&device), DeviceRequest::Report(parts.payload)),
            Err(refusal) => Answer::Refused(refusal),
        }),
        Route::Suspend => CoapAnswer::plain(Answer::Refused(Refusal::new(
            Outcome::NotFound,
            "DTLS session suspension is not supported by this service",
        ))),
    }
}

/// `POST p/auth-jwt`: a failed attempt leaves the session unauthenticated.
fn authenticate(service: &mut impl DeviceService, state: &mut CoapState, payload: &[u8]) -> Answer {
    state.device = None;
    let Ok(token) = std::str::from_utf8(payload) else {
        return Answer::Refused(Refusal::new(
            Outcome::Unauthorized,
            "the JWT payload is not UTF-8",
        ));
    };
    let answer = execute(service, None, DeviceRequest::Auth(Some(token)));
    if let Answer::Authenticated(device) = answer {
        state.device = Some(device);
    }
    answer
}

/// `GET p/cmd`: block 0 (or no Block2) runs the fetch; a later block comes from the body
/// the fetch of the same query cut.
fn fetch(
    service: &mut impl DeviceService,
    state: &mut CoapState,
    parts: &CoapParts<'_>,
) -> CoapAnswer {
    let Some(device) = state.device else {
        return CoapAnswer::plain(Answer::Refused(not_authenticated()));
    };
    let key = parts
        .query
        .iter()
        .map(|item| String::from_utf8_lossy(item))
        .collect::<Vec<_>>()
        .join("&");
    if let Some(block) = parts.block2.filter(|b| b.num > 0) {
        return match &state.transfer {
            Some(transfer) if transfer.query == key => {
                CoapAnswer::block(Answer::NextBlock, &transfer.body, Some(block))
            }
            _ => CoapAnswer::plain(Answer::Refused(Refusal::new(
                Outcome::BadRequest,
                format!(
                    "block {} asked for, but no block-wise transfer of this query is in progress",
                    block.num
                ),
            ))),
        };
    }
    let query = match query::parse_coap(parts.query.iter().copied()) {
        Ok(query) => query,
        Err(e) => {
            return CoapAnswer::plain(Answer::Refused(Refusal::new(
                Outcome::BadRequest,
                e.to_string(),
            )))
        }
    };
    match execute(service, Some(&device), DeviceRequest::Fetch(query)) {
        Answer::Records {
            body,
            records,
            notices,
        } => {
            let answer = CoapAnswer::block(
                Answer::Records {
                    body: body.clone(),
                    records,
                    notices,
                },
                &body,
                parts.block2,
            );
            state.transfer = Some(Transfer { query: key, body });
            answer
        }
        answer @ Answer::NoCommands { .. } => {
            state.transfer = None;
            CoapAnswer::plain(answer)
        }
        answer => CoapAnswer::plain(answer),
    }
}
