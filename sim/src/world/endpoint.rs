//! The service's device endpoints as the world delivers requests to them: HTTP
//! (`GET /v1/provisioning/commands`, `POST /v1/provisioning/response`) and CoAP
//! (`p/auth-jwt`, `p/cmd` with Block2, `p/rsp`, `/.dtls/suspend`), mapped onto the domain
//! [`Service`] with the statuses and codes of `device-protocol.md` §3 and §4.
//!
//! Mapping (HTTP / CoAP): records → 200 CBOR / 2.05 (sliced by Block2); no commands →
//! 204 / empty 2.05; responses recorded → 200 / 2.04; JWT authenticated → - / 2.01; bad JWT
//! → 401 / 4.01; not claimed → 403 / 4.01 (service.md); invalid query or body → 400 / 4.00;
//! unknown path → 404 / 4.04; a domain bug → 500 / 5.00; `/.dtls/suspend` → 4.04
//! (keep-open unsupported).
//!
//! Forced answers ([`ForcedAnswer`], from `LinkFaults::service_answer`) replace the real
//! one before the domain sees the request: a status; `Close`, the connection closes without
//! a response (HTTP) or the service closes the DTLS session (CoAP), which the device sees as
//! `TransportFailed(Closed)`; `Silence`, nothing is sent ([`Served::is_silence`]).

use provlab_client::{
    Block2, CoapCode, CoapRequest, CoapResponse, HttpMethod, HttpRequest, HttpResponse, Input,
    TransportFailure,
};
use provlab_proto::records::Command;
use provlab_server::domain::service::{Fetch, FetchRequest};
use provlab_server::domain::{DeviceId as ServiceDeviceId, Error, Service, Timestamp};

use super::link::{Endpoint, ForcedAnswer, LinkFaults};

/// The HTTP path of the fetch.
pub const COMMANDS_PATH: &str = "/v1/provisioning/commands";
/// The HTTP path of the report.
pub const RESPONSE_PATH: &str = "/v1/provisioning/response";

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
    /// Lines worth noting on the service lane (rule applied, redelivery, fault fired …).
    pub notes: Vec<String>,
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

    /// What a forced answer gives an HTTP device (`coap` false) or a CoAP device.
    fn forced(answer: ForcedAnswer, coap: bool) -> Self {
        let (input, summary, note) = match answer {
            ForcedAnswer::Status { http, .. } if !coap => (
                Input::Http(HttpResponse {
                    status: Some(http),
                    body: Vec::new(),
                }),
                format!("{http} (injected)"),
                format!("fault: answer {http}"),
            ),
            ForcedAnswer::Status { coap: code, .. } => (
                Input::Coap(CoapResponse::code(code)),
                format!("{code} (injected)"),
                format!("fault: answer {code}"),
            ),
            ForcedAnswer::Close => (
                Input::TransportFailed(TransportFailure::Closed),
                if coap {
                    "DTLS session closed, no response (injected)".to_owned()
                } else {
                    "connection closed, no response (injected)".to_owned()
                },
                "fault: service closes the connection (injected)".to_owned(),
            ),
            ForcedAnswer::Silence | ForcedAnswer::Lost => (
                Input::TransportFailed(TransportFailure::Timeout),
                "no answer (injected)".to_owned(),
                "fault: service stays silent (injected)".to_owned(),
            ),
        };
        Served {
            input,
            summary,
            records: Vec::new(),
            notes: vec![note],
        }
    }

    /// The real answer, lost on the way back: the service did its work (records delivered,
    /// results recorded), and the device gets nothing, as with a silence.
    fn lost(mut self) -> Self {
        self.notes.push(format!(
            "fault: service answers, but the answer is lost (injected): {}",
            self.summary
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

/// The service side of one device's DTLS session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CoapSession {
    /// The device authenticated by `p/auth-jwt` on this session.
    pub device: Option<ServiceDeviceId>,
    /// The body of the last `p/cmd` block 0, served block by block.
    pub cmd_body: Option<Vec<u8>>,
}

/// HTTP status for a domain error (service.md: not claimed → 403).
fn http_status(e: &Error) -> u16 {
    e.http_status()
}

/// CoAP code for a domain error (service.md: not claimed → 4.01).
fn coap_code(e: &Error) -> CoapCode {
    match e {
        Error::Unauthorized { .. } | Error::NotClaimed { .. } => CoapCode::UNAUTHORIZED,
        Error::Forbidden { .. } => CoapCode::FORBIDDEN,
        Error::Invalid { .. } | Error::TooManyCommands { .. } => CoapCode::BAD_REQUEST,
        Error::NotFound { .. } => CoapCode::NOT_FOUND,
        Error::Conflict { .. } => CoapCode::new(4, 9),
        Error::Internal(_) => CoapCode::INTERNAL_ERROR,
    }
}

/// Parses the fetch query (`after`, `rxMaxSize`, `txMaxSize`, optional `limit`; `mver` and
/// `cver` are accepted and ignored). A missing or non-numeric size is an error message.
pub fn fetch_request(items: &[(String, String)]) -> Result<FetchRequest, String> {
    let get = |name: &str| {
        items
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let number = |name: &str| -> Result<usize, String> {
        let text = get(name).ok_or_else(|| format!("missing {name}"))?;
        text.parse::<usize>()
            .map_err(|_| format!("{name}={text:?} is not a number"))
    };
    let limit = match get("limit") {
        None => None,
        Some(text) => Some(
            text.parse::<usize>()
                .map_err(|_| format!("limit={text:?} is not a number"))?,
        ),
    };
    Ok(FetchRequest {
        after: get("after").unwrap_or("").to_owned(),
        rx_max_size: number("rxMaxSize")?,
        tx_max_size: number("txMaxSize")?,
        limit,
    })
}

/// Serves one HTTPS request (the TLS handshake already succeeded).
pub fn serve_http(
    service: &mut Service,
    now: Timestamp,
    faults: &mut LinkFaults,
    dev: usize,
    request: &HttpRequest,
) -> Served {
    let endpoint = match (request.method, request.path()) {
        (HttpMethod::Get, COMMANDS_PATH) => Endpoint::Commands,
        (HttpMethod::Post, RESPONSE_PATH) => Endpoint::Responses,
        _ => return Served::http(404, Vec::new(), "404 Not Found".to_owned()),
    };
    match faults.service_answer(endpoint, dev) {
        // Handled for real (no further fault fires), then the answer is lost.
        Some(ForcedAnswer::Lost) => {
            return serve_http(service, now, &mut LinkFaults::default(), dev, request).lost()
        }
        Some(answer) => return Served::forced(answer, false),
        None => {}
    }
    let token = request
        .header("Authorization")
        .and_then(|v| v.strip_prefix("Bearer "));
    let auth = match service.authenticate_jwt(now, token) {
        Ok(auth) => auth,
        Err(e) => return error_http(&e),
    };
    match endpoint {
        Endpoint::Commands => {
            let query = match fetch_request(&request.query()) {
                Ok(q) => q,
                Err(reason) => {
                    return Served::http(400, Vec::new(), format!("400 Bad Request: {reason}"))
                }
            };
            match service.fetch_commands(now, auth.device, &query) {
                Ok(outcome) => {
                    let notes = outcome
                        .value
                        .notices
                        .iter()
                        .map(|n| format!("{n:?}"))
                        .collect();
                    let mut served = match outcome.value.fetch {
                        Fetch::Records { body, records, .. } => {
                            let summary = format!(
                                "200 application/cbor, {} records, {} bytes",
                                records.len(),
                                body.len()
                            );
                            let mut s = Served::http(200, body, summary);
                            s.records = records;
                            s
                        }
                        Fetch::NoCommands(reason) => {
                            Served::http(204, Vec::new(), format!("204 No Content ({reason:?})"))
                        }
                    };
                    served.notes = notes;
                    served
                }
                Err(e) => error_http(&e),
            }
        }
        _ => match service.record_responses(now, auth.device, &request.body) {
            Ok(outcome) => Served::http(
                200,
                Vec::new(),
                format!("200 OK, {} recorded", outcome.value.recorded()),
            ),
            Err(e) => error_http(&e),
        },
    }
}

fn error_http(e: &Error) -> Served {
    let status = http_status(e);
    Served::http(status, Vec::new(), format!("{status}: {e}"))
}

fn error_coap(e: &Error) -> Served {
    let code = coap_code(e);
    Served::coap(CoapResponse::code(code), format!("{code}: {e}"))
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
    let endpoint = match request.path.as_str() {
        "p/auth-jwt" => Endpoint::Auth,
        "p/cmd" => Endpoint::Commands,
        "p/rsp" => Endpoint::Responses,
        "/.dtls/suspend" => {
            return Served::coap(
                CoapResponse::code(CoapCode::NOT_FOUND),
                "4.04 (keep-open unsupported)".to_owned(),
            )
        }
        _ => {
            return Served::coap(
                CoapResponse::code(CoapCode::NOT_FOUND),
                "4.04 Not Found".to_owned(),
            )
        }
    };
    let block = request.block2.unwrap_or(Block2 {
        num: 0,
        more: false,
        szx: 6,
    });
    let first = endpoint != Endpoint::Commands || block.num == 0;
    if first {
        match faults.service_answer(endpoint, dev) {
            Some(ForcedAnswer::Lost) => {
                let mut unfaulted = LinkFaults::default();
                return serve_coap(service, now, &mut unfaulted, dev, session, request).lost();
            }
            Some(answer) => return Served::forced(answer, true),
            None => {}
        }
    }
    match endpoint {
        Endpoint::Auth => {
            let token = String::from_utf8_lossy(&request.payload).into_owned();
            match service.authenticate_jwt(now, Some(&token)) {
                Ok(auth) => {
                    session.device = Some(auth.device);
                    Served::coap(
                        CoapResponse::code(CoapCode::CREATED),
                        "2.01 Created".to_owned(),
                    )
                }
                Err(e) => error_coap(&e),
            }
        }
        Endpoint::Commands => {
            let Some(device) = session.device else {
                return Served::coap(
                    CoapResponse::code(CoapCode::UNAUTHORIZED),
                    "4.01 (session not authenticated)".to_owned(),
                );
            };
            let mut served = None;
            if block.num == 0 {
                let query = match fetch_request(&request.query_items()) {
                    Ok(q) => q,
                    Err(reason) => {
                        return Served::coap(
                            CoapResponse::code(CoapCode::BAD_REQUEST),
                            format!("4.00: {reason}"),
                        )
                    }
                };
                match service.fetch_commands(now, device, &query) {
                    Ok(outcome) => {
                        let mut s =
                            Served::coap(CoapResponse::code(CoapCode::CONTENT), String::new());
                        s.notes = outcome
                            .value
                            .notices
                            .iter()
                            .map(|n| format!("{n:?}"))
                            .collect();
                        match outcome.value.fetch {
                            Fetch::Records { body, records, .. } => {
                                s.records = records;
                                session.cmd_body = Some(body);
                            }
                            Fetch::NoCommands(reason) => {
                                s.notes.push(format!("no commands ({reason:?})"));
                                session.cmd_body = Some(Vec::new());
                            }
                        }
                        served = Some(s);
                    }
                    Err(e) => return error_coap(&e),
                }
            }
            let Some(body) = session.cmd_body.as_ref() else {
                return Served::coap(
                    CoapResponse::code(CoapCode::new(4, 8)),
                    "4.08 Request Entity Incomplete".to_owned(),
                );
            };
            let start = block.offset().min(body.len());
            let end = (start + block.size()).min(body.len());
            let more = end < body.len();
            let payload = body.get(start..end).unwrap_or_default().to_vec();
            let summary = if body.is_empty() {
                "2.05 Content, empty (no commands)".to_owned()
            } else {
                format!(
                    "2.05 Content, block2 {}/{}{} ({} of {} bytes)",
                    block.num,
                    block.size(),
                    if more { "+" } else { "" },
                    payload.len(),
                    body.len()
                )
            };
            let response = CoapResponse {
                code: CoapCode::CONTENT,
                payload,
                block2: Some(Block2 {
                    num: block.num,
                    more,
                    szx: block.szx,
                }),
            };
            let mut s = served.unwrap_or_else(|| Served::coap(response.clone(), String::new()));
            s.input = Input::Coap(response);
            s.summary = summary;
            s
        }
        _ => {
            let Some(device) = session.device else {
                return Served::coap(
                    CoapResponse::code(CoapCode::UNAUTHORIZED),
                    "4.01 (session not authenticated)".to_owned(),
                );
            };
            match service.record_responses(now, device, &request.payload) {
                Ok(outcome) => Served::coap(
                    CoapResponse::code(CoapCode::CHANGED),
                    format!("2.04 Changed, {} recorded", outcome.value.recorded()),
                ),
                Err(e) => error_coap(&e),
            }
        }
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
        assert_eq!(http.notes, ["fault: answer 503"]);
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
                ["fault: service closes the connection (injected)"]
            );
            let silent = Served::forced(ForcedAnswer::Silence, over_coap);
            assert!(silent.is_silence());
            assert_eq!(silent.notes, ["fault: service stays silent (injected)"]);
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
            path_and_query: RESPONSE_PATH.into(),
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

    #[test]
    fn fetch_query_parsing() {
        let items = |q: &str| {
            provlab_client::CoapRequest {
                method: provlab_client::CoapMethod::Get,
                confirmable: true,
                path: "p/cmd".into(),
                query: q.into(),
                content_format: 60,
                payload: vec![],
                block2: None,
            }
            .query_items()
        };
        let q = fetch_request(&items(
            "after=&rxMaxSize=2048&txMaxSize=2048&mver=x&cver=1&limit=20",
        ))
        .unwrap();
        assert_eq!(q.after, "");
        assert_eq!(
            (q.rx_max_size, q.tx_max_size, q.limit),
            (2048, 2048, Some(20))
        );
        let q = fetch_request(&items("after=abc.1&rxMaxSize=1024&txMaxSize=2048")).unwrap();
        assert_eq!((q.after.as_str(), q.limit), ("abc.1", None));
        assert!(fetch_request(&items("after=&txMaxSize=1")).is_err());
        assert!(fetch_request(&items("after=&rxMaxSize=x&txMaxSize=1")).is_err());
    }
}
