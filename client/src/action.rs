//! What the client asks the caller to do ([`Action`]) and what the caller reports back
//! ([`Input`]), with the request and response types of both transports.

use crate::errors::Errno;
use crate::event::Event;

/// Something the caller must do for the client.
///
/// `SendAt`, `Http`, `CoapConnect` and `Coap` are requests: exactly one is outstanding at a
/// time, and the client waits for the matching [`Input`]. The others are notifications that
/// need no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send this AT command line (without terminator) to the modem; answer with
    /// [`Input::AtAnswer`].
    SendAt(String),
    /// Perform this HTTPS request on a new TLS connection; answer with [`Input::Http`] or
    /// [`Input::TransportFailed`].
    Http(HttpRequest),
    /// Open a DTLS session to this endpoint (verify the server against the root CA sec tag);
    /// answer with [`Input::CoapConnected`] or [`Input::TransportFailed`].
    CoapConnect(CoapEndpoint),
    /// Send this CoAP request on the open DTLS session; answer with [`Input::Coap`] or
    /// [`Input::TransportFailed`].
    Coap(CoapRequest),
    /// Close the DTLS session (no answer).
    CoapClose,
    /// Deliver this event to the application (no answer).
    Event(Event),
    /// Persist this settings value (no answer; the client already updated its mirror).
    StoreSetting {
        /// Full settings path, e.g. `provisioning/interval-sec`.
        key: String,
        /// The exact bytes stored.
        value: Vec<u8>,
    },
}

/// An HTTP method the client uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    /// `GET` (fetch commands).
    Get,
    /// `POST` (report responses).
    Post,
}

impl HttpMethod {
    /// The method as it appears on the request line.
    pub const fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
        }
    }
}

/// One HTTPS request, with headers in the exact order the SDK sends them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// GET or POST.
    pub method: HttpMethod,
    /// Server host name.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// Root CA sec tag the server certificate must verify against.
    pub sec_tag: u32,
    /// Path and query, e.g. `/v1/provisioning/commands?after=&...`.
    pub path_and_query: String,
    /// Header name/value pairs in sending order.
    pub headers: Vec<(String, String)>,
    /// Request body (CBOR responses for the POST, empty for the GET).
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// The value of the first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The path without the query.
    pub fn path(&self) -> &str {
        self.path_and_query
            .split_once('?')
            .map_or(self.path_and_query.as_str(), |(p, _)| p)
    }

    /// The query items as `(name, value)` pairs, in order.
    pub fn query(&self) -> Vec<(String, String)> {
        split_query(self.path_and_query.split_once('?').map_or("", |(_, q)| q))
    }
}

/// Splits `a=1&b=` into `[("a","1"),("b","")]`.
pub(crate) fn split_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|item| !item.is_empty())
        .map(|item| match item.split_once('=') {
            Some((k, v)) => (k.to_owned(), v.to_owned()),
            None => (item.to_owned(), String::new()),
        })
        .collect()
}

/// An HTTP response as the REST client hands it over.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpResponse {
    /// The status code; `None` when the socket closed without one.
    pub status: Option<u16>,
    /// The body.
    pub body: Vec<u8>,
}

/// Where the CoAP transport connects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoapEndpoint {
    /// Server host name.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// Root CA sec tag the server certificate must verify against.
    pub sec_tag: u32,
}

/// A CoAP method the client uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CoapMethod {
    /// GET (fetch commands).
    Get,
    /// POST (authenticate, report, suspend).
    Post,
}

/// A Block2 option value: block number, more flag, size exponent (size = 2^(szx+4)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Block2 {
    /// Block number.
    pub num: u32,
    /// More blocks follow.
    pub more: bool,
    /// Size exponent, 0..=6.
    pub szx: u8,
}

impl Block2 {
    /// Block size in bytes.
    pub const fn size(&self) -> usize {
        1usize << (self.szx as usize + 4)
    }

    /// Byte offset of this block.
    pub const fn offset(&self) -> usize {
        self.num as usize * self.size()
    }

    /// The exponent for a block size (rounded down to a power of two, clamped to 16..=1024).
    pub fn szx_for(size: usize) -> u8 {
        let mut szx = 0u8;
        while szx < 6 && (1usize << (szx + 5)) <= size {
            szx += 1;
        }
        szx
    }
}

/// CoAP Content-Format `application/cbor`: every request of the library carries it.
pub const CONTENT_FORMAT_CBOR: u16 = 60;

/// One CoAP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoapRequest {
    /// GET or POST.
    pub method: CoapMethod,
    /// Confirmable (CON) or not (NON).
    pub confirmable: bool,
    /// The path as the SDK writes it, e.g. `p/auth-jwt` or `/.dtls/suspend`.
    pub path: String,
    /// The query after `?`, e.g. `mver=...&cver=...`; empty for none.
    pub query: String,
    /// Content-Format option (always 60, application/cbor).
    pub content_format: u16,
    /// Payload.
    pub payload: Vec<u8>,
    /// Block2 option (the GET asks for block 0, then the next blocks).
    pub block2: Option<Block2>,
}

impl CoapRequest {
    /// `path?query` as the SDK formats it.
    pub fn path_and_query(&self) -> String {
        if self.query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query)
        }
    }

    /// The query items as `(name, value)` pairs, in order.
    pub fn query_items(&self) -> Vec<(String, String)> {
        split_query(&self.query)
    }
}

/// A CoAP response code, `class.detail` packed as `class << 5 | detail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CoapCode(pub u8);

impl CoapCode {
    /// 2.01 Created.
    pub const CREATED: CoapCode = CoapCode::new(2, 1);
    /// 2.04 Changed.
    pub const CHANGED: CoapCode = CoapCode::new(2, 4);
    /// 2.05 Content.
    pub const CONTENT: CoapCode = CoapCode::new(2, 5);
    /// 4.00 Bad Request.
    pub const BAD_REQUEST: CoapCode = CoapCode::new(4, 0);
    /// 4.01 Unauthorized.
    pub const UNAUTHORIZED: CoapCode = CoapCode::new(4, 1);
    /// 4.03 Forbidden.
    pub const FORBIDDEN: CoapCode = CoapCode::new(4, 3);
    /// 4.04 Not Found.
    pub const NOT_FOUND: CoapCode = CoapCode::new(4, 4);
    /// 4.06 Not Acceptable.
    pub const NOT_ACCEPTABLE: CoapCode = CoapCode::new(4, 6);
    /// 5.00 Internal Server Error.
    pub const INTERNAL_ERROR: CoapCode = CoapCode::new(5, 0);
    /// 5.03 Service Unavailable.
    pub const SERVICE_UNAVAILABLE: CoapCode = CoapCode::new(5, 3);

    /// The code `class.detail`.
    pub const fn new(class: u8, detail: u8) -> Self {
        CoapCode(((class & 0x7) << 5) | (detail & 0x1f))
    }

    /// The class (2, 4, 5).
    pub const fn class(self) -> u8 {
        self.0 >> 5
    }

    /// The detail.
    pub const fn detail(self) -> u8 {
        self.0 & 0x1f
    }
}

impl std::fmt::Display for CoapCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{:02}", self.class(), self.detail())
    }
}

/// A CoAP response (one block of it, for a block-wise transfer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoapResponse {
    /// Response code.
    pub code: CoapCode,
    /// Payload (of this block).
    pub payload: Vec<u8>,
    /// Block2 option of the response, if block-wise.
    pub block2: Option<Block2>,
}

impl CoapResponse {
    /// A response without payload.
    pub fn code(code: CoapCode) -> Self {
        CoapResponse {
            code,
            payload: Vec::new(),
            block2: None,
        }
    }
}

/// How a transport operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportFailure {
    /// The server refused the connection.
    Refused,
    /// The (D)TLS handshake failed: the server certificate does not verify against the
    /// root CA in the sec tag.
    HandshakeFailed,
    /// No answer in time.
    Timeout,
    /// The connection closed without an answer.
    Closed,
}

/// The final status of an AT command as the modem library reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AtStatus {
    /// `OK`.
    Ok,
    /// Plain `ERROR`.
    Error,
    /// `+CME ERROR: n`.
    CmeError(u16),
    /// The call failed below the AT level (a negative errno from `nrf_modem_at_cmd`).
    Failed(Errno),
}

/// The status as the modem or the library shows it, for transcripts.
impl std::fmt::Display for AtStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AtStatus::Ok => f.write_str("OK"),
            AtStatus::Error => f.write_str("ERROR"),
            AtStatus::CmeError(code) => write!(f, "+CME ERROR: {code}"),
            AtStatus::Failed(errno) => write!(f, "failed: {errno}"),
        }
    }
}

/// The answer to an AT command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AtReply {
    /// The modem's raw text: information lines, then the final result line, each ended by
    /// `\r\n`, exactly as `nrf_modem_at_cmd` writes it into its buffer.
    Raw(String),
    /// The library-level result: a status and the buffer contents, independently. This is
    /// the level the SDK's unit tests mock (e.g. `OK` with an empty buffer).
    Result {
        /// The final status.
        status: AtStatus,
        /// What the response buffer holds.
        buffer: String,
    },
}

/// What the caller reports to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// The modem answered the outstanding AT command.
    AtAnswer(AtReply),
    /// The outstanding HTTP request completed.
    Http(HttpResponse),
    /// The DTLS session is open.
    CoapConnected,
    /// The outstanding CoAP request got an answer.
    Coap(CoapResponse),
    /// The outstanding transport operation failed.
    TransportFailed(TransportFailure),
    /// LTE is registered and a PDN is active.
    NetworkUp,
    /// LTE/PDN lost.
    NetworkDown,
    /// Whether network time (date-time) is available.
    NetworkTime(bool),
}

impl Input {
    /// Raw modem text, e.g. `Input::at_raw("+CFUN: 4\r\nOK\r\n")`.
    pub fn at_raw(text: impl Into<String>) -> Self {
        Input::AtAnswer(AtReply::Raw(text.into()))
    }

    /// A parsed modem answer, rendered as the modem sends it with CMEE on.
    pub fn at_answer(answer: &provlab_proto::at::Answer) -> Self {
        Input::AtAnswer(AtReply::Raw(answer.render(true)))
    }

    /// A library-level AT result (status and buffer, independently).
    pub fn at_result(status: AtStatus, buffer: impl Into<String>) -> Self {
        Input::AtAnswer(AtReply::Result {
            status,
            buffer: buffer.into(),
        })
    }

    /// A short name of the input kind, for errors and logs.
    pub const fn kind(&self) -> &'static str {
        match self {
            Input::AtAnswer(_) => "AT answer",
            Input::Http(_) => "HTTP response",
            Input::CoapConnected => "CoAP connected",
            Input::Coap(_) => "CoAP response",
            Input::TransportFailed(_) => "transport failure",
            Input::NetworkUp => "network up",
            Input::NetworkDown => "network down",
            Input::NetworkTime(_) => "network time",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coap_codes_pack_class_and_detail() {
        assert_eq!(CoapCode::CONTENT.0, 0x45);
        assert_eq!(CoapCode::FORBIDDEN.to_string(), "4.03");
        assert_eq!(CoapCode::SERVICE_UNAVAILABLE.class(), 5);
    }

    #[test]
    fn block_sizes() {
        assert_eq!(Block2::szx_for(512), 5);
        assert_eq!(Block2::szx_for(256), 4);
        assert_eq!(Block2::szx_for(5000), 6);
        assert_eq!(Block2::szx_for(1), 0);
        let b = Block2 {
            num: 2,
            more: true,
            szx: 5,
        };
        assert_eq!((b.size(), b.offset()), (512, 1024));
    }

    #[test]
    fn query_splitting() {
        let r = HttpRequest {
            method: HttpMethod::Get,
            host: "h".into(),
            port: 1,
            sec_tag: 1,
            path_and_query: "/a/b?after=&x=1".into(),
            headers: vec![("Accept".into(), "x".into())],
            body: vec![],
        };
        assert_eq!(r.path(), "/a/b");
        assert_eq!(
            r.query(),
            vec![("after".into(), String::new()), ("x".into(), "1".into())]
        );
        assert_eq!(r.header("accept"), Some("x"));
    }
}
