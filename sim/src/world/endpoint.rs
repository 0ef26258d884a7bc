//! The service's device endpoints as the world delivers requests to them: HTTP
//! (`GET /v1/provisioning/commands`, `POST /v1/provisioning/response`) and CoAP
//! (`p/auth-jwt`, `p/cmd` with Block2, `p/rsp`, `/.dtls/suspend`), run through the server's
//! device-endpoint core ([`provlab_server::device::core`]) against the domain [`Service`],
//! so the in-memory world answers exactly as the real endpoints (`--net loopback`) do:
//! the same routes, the same strict fetch query (unknown or repeated parameters → 400 /
//! 4.00), the same Block2 blocks and the same statuses and codes (device-protocol.md §3
//! and §4).
//!
//! Mapping (HTTP / CoAP), the core's: records → 200 CBOR / 2.05 (sliced by Block2); no
//! commands → 204 / empty 2.05; responses recorded → 200 / 2.04; JWT authenticated → - /
//! 2.01; bad JWT → 401 / 4.01; not claimed → 403 / 4.01 (service.md); invalid query or body
//! → 400 / 4.00; unknown path → 404 / 4.04; a domain bug → 500 / 5.00; `/.dtls/suspend` →
//! 4.04 (keep-open unsupported).
//!
//! What stays here is the world's own: forced answers ([`ForcedAnswer`], from
//! `LinkFaults::service_answer`) replace the real one before the domain sees the request:
//! a status; `Close`, the connection closes without a response (HTTP) or the service closes
//! the DTLS session (CoAP), which the device sees as `TransportFailed(Closed)`; `Silence`,
//! nothing is sent ([`Served::is_silence`]). And [`Served`]: the answer with its transcript
//! summary, records and notes.

use provlab_client::{
    Block2, CoapCode, CoapMethod, CoapRequest, CoapResponse, HttpMethod, HttpRequest, HttpResponse,
    Input, TransportFailure,
};
use provlab_proto::records::Command;
use provlab_server::device::coap::block::{BlockOpt, DEFAULT_SZX};
use provlab_server::device::core::{
    handle_coap, handle_http, Answer, AtTime, CoapAnswer, CoapParts, HttpParts, Method, Refusal,
    Route, RouteError,
};
use provlab_server::domain::service::Notice;
use provlab_server::domain::{Service, Timestamp};

use super::transcript::EntryKind;

use super::link::{Endpoint, ForcedAnswer, LinkFaults};

/// The service side of one device's DTLS session: the device it authenticated as and the
/// `p/cmd` body being served block by block (the device core's session state).
pub use provlab_server::device::core::CoapState as CoapSession;

/// What the service answered, with what the transcript shows of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    /// The answer for the client. `TransportFailed(Timeout)` is an injected silence: the
    /// service sends nothing, and the client gets that timeout from its transport once the
    /// retransmissions are exhausted ([`Served::is_silence`]).
    pub input: Input,
    /// A one-line summary, e.g. `200 application/cbor, 3 records, 812 bytes`.
    pub summary: String,
    /// Records delivered (decoded), for the transcript and the records log.
    pub records: Vec<Command>,
    /// Lines worth noting on the service lane (rule applied, redelivery, fault fired …),
    /// each with its transcript kind (a forced answer is a [`EntryKind::Fault`]).
    pub notes: Vec<(EntryKind, String)>,
}

impl Served {
    fn http(status: u16, body: Vec<u8>, summary: String) -> Self {
        Served {
            input: Input::Http(HttpResponse {
                status: Some(status),
                body,
            }),
            summary,
            records: Vec::new(),
            notes: Vec::new(),
        }
    }

    fn coap(response: CoapResponse, summary: String) -> Self {
        Served {
            input: Input::Coap(response),
            summary,
            records: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// What the core's answer to an HTTPS request gives the device.
    fn from_http(answer: Answer) -> Self {
        let Some(status) = answer.outcome().http_status() else {
            return Served::http(
                500,
                Vec::new(),
                "500: an answer HTTPS cannot give".to_owned(),
            );
        };
        match answer {
            Answer::Records {
                body,
                records,
                notices,
            } => {
                let summary = format!(
                    "{status} application/cbor, {} records, {} bytes",
                    records.len(),
                    body.len()
                );
                let mut served = Served::http(status, body, summary);
                served.records = records;
                served.notes = notes(&notices);
                served
            }
            Answer::NoCommands { reason, notices } => {
                let mut served = Served::http(
                    status,
                    Vec::new(),
                    format!("{status} No Content ({reason})"),
                );
                served.notes = notes(&notices);
                served
            }
            Answer::Recorded(report) => Served::http(
                status,
                Vec::new(),
                format!("{status} OK, {} recorded", report.recorded()),
            ),
            Answer::Refused(refusal) => {
                Served::http(status, Vec::new(), format!("{status}: {}", refusal.reason))
            }
            Answer::NextBlock | Answer::Authenticated(_) => Served::http(
                500,
                Vec::new(),
                "500: an answer HTTPS cannot give".to_owned(),
            ),
        }
    }

    /// What the core's answer to a CoAP request (asking for block `requested`) gives the
    /// device.
    fn from_coap(answer: CoapAnswer, requested: Option<BlockOpt>) -> Self {
        let code = code_of(answer.code());
        match answer.answer {
            Answer::Records {
                records, notices, ..
            } => {
                let mut served = Served::block(
                    code,
                    answer.block2,
                    answer.payload,
                    answer.body_len,
                    requested,
                );
                served.records = records;
                served.notes = notes(&notices);
                served
            }
            Answer::NextBlock => Served::block(
                code,
                answer.block2,
                answer.payload,
                answer.body_len,
                requested,
            ),
            Answer::NoCommands { reason, notices } => {
                let mut served = Served::coap(
                    CoapResponse::code(code),
                    format!("{code} Content, empty (no commands)"),
                );
                served.notes = notes(&notices);
                served
                    .notes
                    .push((EntryKind::Note, format!("no commands: {reason}")));
                served
            }
            Answer::Recorded(report) => Served::coap(
                CoapResponse::code(code),
                format!("{code} Changed, {} recorded", report.recorded()),
            ),
            Answer::Authenticated(_) => {
                Served::coap(CoapResponse::code(code), format!("{code} Created"))
            }
            Answer::Refused(refusal) => Served::coap(
                CoapResponse::code(code),
                format!("{code}: {}", refusal.reason),
            ),
        }
    }

    /// A Block2 block of a `p/cmd` body; the summary shows the block the client asked for
    /// when the whole body fits in it (and the answer carries no Block2 option).
    fn block(
        code: CoapCode,
        block2: Option<BlockOpt>,
        payload: Vec<u8>,
        body_len: usize,
        requested: Option<BlockOpt>,
    ) -> Self {
        let shown = block2.or(requested).unwrap_or(BlockOpt {
            num: 0,
            more: false,
            szx: DEFAULT_SZX,
        });
        let more = block2.is_some_and(|b| b.more);
        let summary = format!(
            "{code} Content, block2 {}/{}{} ({} of {body_len} bytes)",
            shown.num,
            shown.size(),
            if more { "+" } else { "" },
            payload.len(),
        );
        let response = CoapResponse {
            code,
            payload,
            block2: block2.map(|b| Block2 {
                num: b.num,
                more: b.more,
                szx: b.szx,
            }),
        };
        Served::coap(response, summary)
    }

    /// A refusal before the core (no such route).
    fn refused(refusal: &Refusal, coap: bool) -> Self {
        if coap {
            let code = code_of(refusal.outcome.coap_code());
            Served::coap(
                CoapResponse::code(code),
                format!("{code}: {}", refusal.reason),
            )
        } else {
            let status = refusal.outcome.http_status().unwrap_or(500);
            Served::http(status, Vec::new(), format!("{status}: {}", refusal.reason))
        }
    }

    /// What a forced answer gives an HTTP device (`coap` false) or a CoAP device.
    fn forced(answer: ForcedAnswer, coap: bool) -> Self {
        let (input, summary, note) = match answer {
            ForcedAnswer::Status { http, .. } if !coap => (
                Input::Http(HttpResponse {
                    status: Some(http),
                    body: Vec::new(),
                }),
                format!("{http} (injected)"),
                format!("answer {http}"),
            ),
            ForcedAnswer::Status { coap: code, .. } => (
                Input::Coap(CoapResponse::code(code)),
                format!("{code} (injected)"),
                format!("answer {code}"),
            ),
            ForcedAnswer::Close => (
                Input::TransportFailed(TransportFailure::Closed),
                if coap {
                    "DTLS session closed, no response (injected)".to_owned()
                } else {
                    "connection closed, no response (injected)".to_owned()
                },
                "service closes the connection (injected)".to_owned(),
            ),
            ForcedAnswer::Silence | ForcedAnswer::Lost => (
                Input::TransportFailed(TransportFailure::Timeout),
                "no answer (injected)".to_owned(),
                "service stays silent (injected)".to_owned(),
            ),
        };
        Served {
            input,
            summary,
            records: Vec::new(),
            notes: vec![(EntryKind::Fault, note)],
        }
    }

    /// The real answer, lost on the way back: the service did its work (records delivered,
    /// results recorded), and the device gets nothing, as with a silence.
    fn lost(mut self) -> Self {
        self.notes.push((
            EntryKind::Fault,
            format!(
                "service answers, but the answer is lost (injected): {}",
                self.summary
            ),
        ));
        self.input = Input::TransportFailed(TransportFailure::Timeout);
        self
    }

    /// Whether the service sends nothing (an injected silence): the link delivers no answer,
    /// to this request or to its retransmissions.
    pub fn is_silence(&self) -> bool {
        self.input == Input::TransportFailed(TransportFailure::Timeout)
    }
}

/// The notices of a fetch as service-lane notes.
fn notes(notices: &[Notice]) -> Vec<(EntryKind, String)> {
    notices
        .iter()
        .map(|n| (EntryKind::Note, n.to_string()))
        .collect()
}

/// The client's code for a core code.
fn code_of(code: provlab_server::device::core::CoapCode) -> CoapCode {
    CoapCode::new(code.class, code.detail)
}

/// The core's route of a world HTTP request.
pub fn http_route(request: &HttpRequest) -> Result<Route, RouteError> {
    let method = match request.method {
        HttpMethod::Get => Method::Get,
        HttpMethod::Post => Method::Post,
    };
    Route::from_http(method, request.path())
}

/// The core's route of a world CoAP request.
pub fn coap_route(request: &CoapRequest) -> Result<Route, RouteError> {
    let method = match request.method {
        CoapMethod::Get => Method::Get,
        CoapMethod::Post => Method::Post,
    };
    Route::from_coap_path(method, &request.path)
}

/// The link-fault endpoint a request of `route` counts against (`block2`: the Block2 option
/// it asks for): a fetch's later blocks and `/.dtls/suspend` count against none.
pub fn fault_endpoint(route: Route, block2: Option<Block2>) -> Option<Endpoint> {
    match route {
        Route::Fetch if block2.is_none_or(|b| b.num == 0) => Some(Endpoint::Commands),
        Route::Fetch | Route::Suspend => None,
        Route::Report => Some(Endpoint::Responses),
        Route::Auth => Some(Endpoint::Auth),
    }
}

/// A forced answer for a request of `route`, if a fault fires: `Err` holds what the
/// device gets instead of the real answer; `Ok(true)` asks for the real answer to be lost.
fn fault_answer(
    faults: &mut LinkFaults,
    dev: usize,
    route: Route,
    block2: Option<Block2>,
    coap: bool,
) -> Result<bool, Served> {
    let Some(endpoint) = fault_endpoint(route, block2) else {
        return Ok(false);
    };
    match faults.service_answer(endpoint, dev) {
        // Handled for real (no further fault fires), then the answer is lost.
        Some(ForcedAnswer::Lost) => Ok(true),
        Some(answer) => Err(Served::forced(answer, coap)),
        None => Ok(false),
    }
}

/// Serves one HTTPS request (the TLS handshake already succeeded).
pub fn serve_http(
    service: &mut Service,
    now: Timestamp,
    faults: &mut LinkFaults,
    dev: usize,
    request: &HttpRequest,
) -> Served {
    let route = match http_route(request) {
        Ok(route) => route,
        Err(e) => {
            let reason = format!("no route {} {}", request.method.as_str(), request.path());
            return Served::refused(&Refusal::new(e.outcome(), reason), false);
        }
    };
    let lost = match fault_answer(faults, dev, route, None, false) {
        Ok(lost) => lost,
        Err(served) => return served,
    };
    let handled = handle_http(
        &mut AtTime { service, now },
        route,
        &HttpParts {
            query: request.path_and_query.split_once('?').map(|(_, q)| q),
            authorization: request.header("Authorization"),
            content_type: request.header("Content-Type"),
            body: &request.body,
        },
    );
    let served = Served::from_http(handled.answer);
    if lost {
        served.lost()
    } else {
        served
    }
}

/// Serves one CoAP request on a DTLS session.
pub fn serve_coap(
    service: &mut Service,
    now: Timestamp,
    faults: &mut LinkFaults,
    dev: usize,
    session: &mut CoapSession,
    request: &CoapRequest,
) -> Served {
    let route = match coap_route(request) {
        Ok(route) => route,
        Err(e) => {
            let reason = format!("no resource {:?}", request.path);
            return Served::refused(&Refusal::new(e.outcome(), reason), true);
        }
    };
    let lost = match fault_answer(faults, dev, route, request.block2, true) {
        Ok(lost) => lost,
        Err(served) => return served,
    };
    let block2 = request.block2.map(|b| BlockOpt {
        num: b.num,
        more: b.more,
        szx: b.szx,
    });
    let answer = handle_coap(
        &mut AtTime { service, now },
        session,
        &CoapParts {
            route,
            query: request
                .query
                .split('&')
                .filter(|item| !item.is_empty())
                .map(str::as_bytes)
                .collect(),
            content_format: Some(request.content_format),
            payload: &request.payload,
            block2,
        },
    );
    let served = Served::from_coap(answer, block2);
    if lost {
        served.lost()
    } else {
        served
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forced_answers_per_transport() {
        let status = ForcedAnswer::Status {
            http: 503,
            coap: CoapCode::SERVICE_UNAVAILABLE,
        };
        let http = Served::forced(status, false);
        assert_eq!(
            http.input,
            Input::Http(HttpResponse {
                status: Some(503),
                body: Vec::new()
            })
        );
        assert_eq!(http.notes, [(EntryKind::Fault, "answer 503".to_owned())]);
        let coap = Served::forced(status, true);
        assert_eq!(
            coap.input,
            Input::Coap(CoapResponse::code(CoapCode::SERVICE_UNAVAILABLE))
        );
        for over_coap in [false, true] {
            let closed = Served::forced(ForcedAnswer::Close, over_coap);
            assert_eq!(
                closed.input,
                Input::TransportFailed(TransportFailure::Closed)
            );
            assert!(!closed.is_silence());
            assert_eq!(
                closed.notes,
                [(
                    EntryKind::Fault,
                    "service closes the connection (injected)".to_owned()
                )]
            );
            let silent = Served::forced(ForcedAnswer::Silence, over_coap);
            assert!(silent.is_silence());
            assert_eq!(
                silent.notes,
                [(
                    EntryKind::Fault,
                    "service stays silent (injected)".to_owned()
                )]
            );
        }
        assert!(!http.is_silence());
    }

    #[test]
    fn a_forced_answer_keeps_the_request_from_the_domain() {
        let mut faults = LinkFaults::default();
        faults
            .service
            .push(super::super::link::ServiceFault::close(Endpoint::Responses).nth(1));
        let mut service = Service::new(provlab_server::domain::service::ServiceConfig::new(1));
        let request = HttpRequest {
            method: HttpMethod::Post,
            host: "h".into(),
            port: 443,
            sec_tag: 42,
            path_and_query: provlab_server::device::core::RESPONSE_PATH.into(),
            headers: Vec::new(),
            body: vec![0xff],
        };
        let now = Timestamp::from_secs(1_700_000_000);
        let first = serve_http(&mut service, now, &mut faults, 0, &request);
        assert_eq!(
            first.input,
            Input::TransportFailed(TransportFailure::Closed)
        );
        // The next report reaches the domain (which refuses the missing JWT).
        let second = serve_http(&mut service, now, &mut faults, 0, &request);
        assert!(
            matches!(
                second.input,
                Input::Http(HttpResponse {
                    status: Some(401),
                    ..
                })
            ),
            "{second:?}"
        );
    }
}
