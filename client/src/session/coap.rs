//! The CoAP session: connect, one JWT, authenticate, GET commands (Block2), execute, POST
//! responses, repeat.
//!
//! Source: nrfconnect/sdk-nrf `subsys/net/lib/nrf_provisioning/src/nrf_provisioning_coap.c`
//! (`nrf_provisioning_coap_req`, `authenticate`, `request_commands`, `send_response`,
//! `suspend_dtls_session`, `response_code_to_error`, `send_coap_request`):
//!
//! * DTLS connect first, then one JWT for the whole session; `POST p/auth-jwt?mver&cver`
//!   with the JWT as payload (2.01) at every loop iteration and after every reconnect.
//! * `GET p/cmd?after&rxMaxSize&txMaxSize&limit` with an initial Block2 option; blocks are
//!   reassembled into the RX buffer (overflow → `-ENOMEM`, as the spec says; the SDK's
//!   main loop passes the callback's `-ENOMEM` through `response_code_to_error`, which
//!   would make it `-ENOTSUP`).
//! * Without keep-open the socket is closed after the GET and reopened (with a new auth)
//!   for the response; with keep-open a non-confirmable `POST /.dtls/suspend` is sent
//!   before executing, and 4.04 (or no answer) turns keep-open off. A failed response POST
//!   with keep-open is retried once on a fresh session. Keep-open is re-enabled at every
//!   connect (`dtls_setup` sets `SO_KEEPOPEN` each time).
//! * Every request carries Content-Format 60 and is confirmable except the suspend.
//! * A request that gets no answer is retried after the ACK timeout, up to 10 times, then
//!   fails with `-EAGAIN` (spec; the SDK's loop `retries > RETRY_AMOUNT` allows one more).

use crate::action::{
    Action, Block2, CoapCode, CoapEndpoint, CoapMethod, CoapRequest, CoapResponse,
    TransportFailure, CONTENT_FORMAT_CBOR,
};
use crate::config::{ClientConfig, Generation};
use crate::errors::Errno;
use crate::exec::{Batch, Executor};
use crate::modem_ops::Jwt;
use crate::session::block2::Block2Buffer;
use crate::task::{Cx, Io, Reply, Step};

/// The endpoint of the configuration.
pub(crate) fn endpoint(config: &ClientConfig) -> CoapEndpoint {
    CoapEndpoint {
        host: config.coap_host.clone(),
        port: config.coap_port,
        sec_tag: config.root_ca_sec_tag,
    }
}

fn request(method: CoapMethod, path: &str, query: String, payload: Vec<u8>) -> CoapRequest {
    CoapRequest {
        method,
        confirmable: true,
        path: path.to_owned(),
        query,
        content_format: CONTENT_FORMAT_CBOR,
        payload,
        block2: None,
    }
}

/// `POST p/auth-jwt?mver=<mver>&cver=<cver>` with the JWT as payload.
pub(crate) fn auth_request(config: &ClientConfig, jwt: &str) -> CoapRequest {
    let query = format!("mver={}&cver={}", config.mver(), config.cver());
    request(
        CoapMethod::Post,
        "p/auth-jwt",
        query,
        jwt.as_bytes().to_vec(),
    )
}

/// `GET p/cmd?after=..&rxMaxSize=..&txMaxSize=..&limit=..` (no `limit` in v2.9), asking
/// for Block2 block `num`.
pub(crate) fn commands_request(config: &ClientConfig, cursor: &str, num: u32) -> CoapRequest {
    let mut query = format!(
        "after={cursor}&rxMaxSize={}&txMaxSize={}",
        config.rx_buf_size, config.tx_buf_size
    );
    if config.generation == Generation::Current {
        query.push_str(&format!("&limit={}", config.records_limit));
    }
    let mut req = request(CoapMethod::Get, "p/cmd", query, Vec::new());
    req.block2 = Some(Block2 {
        num,
        more: false,
        szx: Block2::szx_for(config.coap_block_size),
    });
    req
}

/// `POST p/rsp` with the CBOR responses.
pub(crate) fn responses_request(body: Vec<u8>) -> CoapRequest {
    request(CoapMethod::Post, "p/rsp", String::new(), body)
}

/// Non-confirmable `POST /.dtls/suspend`.
pub(crate) fn suspend_request() -> CoapRequest {
    let mut req = request(
        CoapMethod::Post,
        "/.dtls/suspend",
        String::new(),
        Vec::new(),
    );
    req.confirmable = false;
    req
}

/// Which request a code answers (v2.9 had a table per request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exchange {
    /// `p/auth-jwt`.
    Auth,
    /// `p/cmd`.
    Commands,
    /// `p/rsp`.
    Responses,
}

/// The errno for an unexpected response code.
pub(crate) fn code_errno(code: CoapCode, exchange: Exchange, generation: Generation) -> Errno {
    let c = |class, detail| CoapCode::new(class, detail);
    match generation {
        // `response_code_to_error`.
        Generation::Current => match (code.class(), code.detail()) {
            (4, 1) => Errno::Eacces,
            (4, 3) => Errno::Eperm,
            (4, 0) | (4, 6) => Errno::Einval,
            (4, 4) => Errno::Enoent,
            (5, 0) | (5, 3) => Errno::Ebusy,
            _ => Errno::Enotsup,
        },
        Generation::V2_9 => match exchange {
            Exchange::Auth if code == c(5, 0) || code == c(5, 3) => Errno::Ebusy,
            Exchange::Auth if code == c(4, 1) || code == c(4, 3) => Errno::Eacces,
            Exchange::Commands if code == c(4, 1) || code == c(4, 3) => Errno::Eacces,
            Exchange::Commands if code == c(5, 0) => Errno::Ebusy,
            Exchange::Commands if code == c(4, 6) || code == c(4, 0) => Errno::Einval,
            Exchange::Responses if code == c(5, 0) || code == c(5, 3) => Errno::Ebusy,
            Exchange::Responses if code == c(4, 0) => Errno::Einval,
            _ => Errno::Enotsup,
        },
    }
}

/// The errno of a failed connect (`-errno` of `zsock_connect`).
pub(crate) fn connect_errno(failure: TransportFailure) -> Errno {
    match failure {
        TransportFailure::Timeout => Errno::Etimedout,
        TransportFailure::Refused
        | TransportFailure::HandshakeFailed
        | TransportFailure::Closed => Errno::Econnrefused,
    }
}

/// The errno of a failed request once retries are exhausted (ours for `Closed`).
pub(crate) fn request_errno(failure: TransportFailure) -> Errno {
    match failure {
        TransportFailure::Timeout => Errno::Eagain,
        TransportFailure::Closed => Errno::Eshutdown,
        TransportFailure::Refused | TransportFailure::HandshakeFailed => Errno::Econnrefused,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    /// Authenticate, then GET.
    Fetch,
    /// Authenticate, then POST the responses.
    Respond,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum St {
    Connect(Next),
    Jwt(Jwt),
    Auth(Next),
    Get(Block2Buffer),
    Suspend(Vec<u8>),
    Exec(Executor),
    Respond,
    Done,
}

/// The CoAP session machine; `Ready(Ok(()))` means provisioning finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CoapSession {
    st: St,
    jwt: String,
    batch: Option<Batch>,
    keep_open: bool,
    connected: bool,
    respond_retried: bool,
    last_request: Option<CoapRequest>,
    retries: u32,
    retrying: bool,
}

impl CoapSession {
    /// A session that starts by connecting.
    pub fn new() -> Self {
        CoapSession {
            st: St::Connect(Next::Fetch),
            jwt: String::new(),
            batch: None,
            keep_open: false,
            connected: false,
            respond_retried: false,
            last_request: None,
            retries: 0,
            retrying: false,
        }
    }

    /// Resumes the session; closes the DTLS session when it ends.
    pub fn resume(&mut self, reply: Reply, cx: &mut Cx<'_>) -> Step<Result<(), Errno>> {
        let step = self.run(reply, cx);
        if matches!(step, Step::Ready(_)) && self.connected {
            self.connected = false;
            cx.push(Action::CoapClose);
        }
        step
    }

    fn send(&mut self, req: CoapRequest, cx: &mut Cx<'_>) -> Step<Result<(), Errno>> {
        self.last_request = Some(req.clone());
        self.retries = 0;
        self.retrying = false;
        cx.ask(Io::Coap(req))
    }

    fn close(&mut self, cx: &mut Cx<'_>) {
        if self.connected {
            self.connected = false;
            cx.push(Action::CoapClose);
        }
    }

    /// Handles retries of unanswered requests; `None` when the reply was consumed.
    fn filter(&mut self, reply: Reply, cx: &mut Cx<'_>) -> Option<Reply> {
        match reply {
            Reply::Timer if self.retrying => {
                self.retrying = false;
                let req = self.last_request.clone()?;
                cx.request = Some(Io::Coap(req));
                None
            }
            Reply::Coap(Err(TransportFailure::Timeout))
                if self.retries < cx.config.coap_retries =>
            {
                self.retries += 1;
                self.retrying = true;
                cx.request = Some(Io::Sleep(cx.config.coap_retry_wait_ms));
                None
            }
            other => Some(other),
        }
    }

    fn run(&mut self, mut reply: Reply, cx: &mut Cx<'_>) -> Step<Result<(), Errno>> {
        loop {
            let st = std::mem::replace(&mut self.st, St::Done);
            if matches!(st, St::Auth(_) | St::Get(_) | St::Suspend(_) | St::Respond) {
                match self.filter(reply, cx) {
                    Some(r) => reply = r,
                    None => {
                        self.st = st;
                        return Step::Pending;
                    }
                }
            }
            match st {
                St::Connect(next) => match reply {
                    Reply::Start => {
                        self.st = St::Connect(next);
                        return cx.ask(Io::CoapConnect);
                    }
                    Reply::Connect(Ok(())) => {
                        self.connected = true;
                        self.keep_open = cx.config.coap_keep_open;
                        if self.jwt.is_empty() {
                            self.st = St::Jwt(Jwt::Start);
                            reply = Reply::Start;
                        } else {
                            self.st = St::Auth(next);
                            return self.send(auth_request(cx.config, &self.jwt), cx);
                        }
                    }
                    Reply::Connect(Err(failure)) => {
                        return Step::Ready(Err(connect_errno(failure)))
                    }
                    _ => return Step::Ready(Err(Errno::Einval)),
                },
                St::Jwt(mut jwt) => match jwt.resume(reply, cx) {
                    Step::Pending => {
                        self.st = St::Jwt(jwt);
                        return Step::Pending;
                    }
                    Step::Ready(Err(e)) => return Step::Ready(Err(e)),
                    Step::Ready(Ok(token)) => {
                        self.jwt = token;
                        self.st = St::Auth(Next::Fetch);
                        return self.send(auth_request(cx.config, &self.jwt), cx);
                    }
                },
                St::Auth(next) => match reply {
                    Reply::Coap(Ok(resp)) if resp.code == CoapCode::CREATED => match next {
                        Next::Fetch => {
                            self.st = St::Get(Block2Buffer::new(cx.config.rx_buf_size));
                            return self.send(commands_request(cx.config, cx.cursor, 0), cx);
                        }
                        Next::Respond => return self.post_responses(cx),
                    },
                    Reply::Coap(Ok(resp)) => {
                        let e = code_errno(resp.code, Exchange::Auth, cx.config.generation);
                        return Step::Ready(Err(e));
                    }
                    Reply::Coap(Err(failure)) => return Step::Ready(Err(request_errno(failure))),
                    _ => return Step::Ready(Err(Errno::Einval)),
                },
                St::Get(mut buf) => match reply {
                    Reply::Coap(Ok(resp)) => match self.got_block(&mut buf, resp, cx) {
                        Ok(Some(next_block)) => {
                            self.st = St::Get(buf);
                            return self
                                .send(commands_request(cx.config, cx.cursor, next_block), cx);
                        }
                        Ok(None) => {
                            if !self.keep_open {
                                self.close(cx);
                            }
                            if buf.data().is_empty() {
                                return Step::Ready(Err(Errno::Enodata));
                            }
                            if self.keep_open {
                                self.st = St::Suspend(buf.data().to_vec());
                                return self.send(suspend_request(), cx);
                            }
                            match Executor::new(buf.data(), cx.config) {
                                Ok(executor) => {
                                    self.st = St::Exec(executor);
                                    reply = Reply::Start;
                                }
                                Err(e) => return Step::Ready(Err(e)),
                            }
                        }
                        Err(e) => {
                            if !self.keep_open {
                                self.close(cx);
                            }
                            return Step::Ready(Err(e));
                        }
                    },
                    Reply::Coap(Err(failure)) => return Step::Ready(Err(request_errno(failure))),
                    _ => return Step::Ready(Err(Errno::Einval)),
                },
                St::Suspend(body) => {
                    match reply {
                        Reply::Coap(Ok(resp)) if resp.code != CoapCode::NOT_FOUND => {}
                        // 4.04: suspension unsupported; no answer: the request failed.
                        _ => self.keep_open = false,
                    }
                    match Executor::new(&body, cx.config) {
                        Ok(executor) => {
                            self.st = St::Exec(executor);
                            reply = Reply::Start;
                        }
                        Err(e) => return Step::Ready(Err(e)),
                    }
                }
                St::Exec(mut executor) => match executor.resume(reply, cx) {
                    Step::Pending => {
                        self.st = St::Exec(executor);
                        return Step::Pending;
                    }
                    Step::Ready(Err(e)) => return Step::Ready(Err(e)),
                    Step::Ready(Ok(batch)) => {
                        self.batch = Some(batch);
                        if self.keep_open {
                            return self.post_responses(cx);
                        }
                        self.st = St::Connect(Next::Respond);
                        return cx.ask(Io::CoapConnect);
                    }
                },
                St::Respond => {
                    let result = match reply {
                        Reply::Coap(Ok(resp)) if resp.code == CoapCode::CHANGED => Ok(()),
                        Reply::Coap(Ok(resp)) => Err(code_errno(
                            resp.code,
                            Exchange::Responses,
                            cx.config.generation,
                        )),
                        Reply::Coap(Err(failure)) => Err(request_errno(failure)),
                        _ => Err(Errno::Einval),
                    };
                    match result {
                        Ok(()) => {
                            if self.batch.as_ref().is_some_and(|b| b.finished) {
                                return Step::Ready(Ok(()));
                            }
                            self.batch = None;
                            self.st = St::Auth(Next::Fetch);
                            return self.send(auth_request(cx.config, &self.jwt), cx);
                        }
                        Err(e) => {
                            if self.keep_open && !self.respond_retried {
                                // Try once more on a fresh session.
                                self.respond_retried = true;
                                self.close(cx);
                                self.keep_open = false;
                                self.st = St::Connect(Next::Respond);
                                return cx.ask(Io::CoapConnect);
                            }
                            return Step::Ready(Err(e));
                        }
                    }
                }
                St::Done => return Step::Ready(Err(Errno::Einval)),
            }
        }
    }

    fn post_responses(&mut self, cx: &mut Cx<'_>) -> Step<Result<(), Errno>> {
        let body = self
            .batch
            .as_ref()
            .map(|b| b.body.clone())
            .unwrap_or_default();
        self.st = St::Respond;
        self.send(responses_request(body), cx)
    }

    /// One block of the GET response: `Ok(Some(n))` asks for block `n` next, `Ok(None)`
    /// means the response is complete.
    fn got_block(
        &mut self,
        buf: &mut Block2Buffer,
        resp: CoapResponse,
        cx: &mut Cx<'_>,
    ) -> Result<Option<u32>, Errno> {
        if resp.code != CoapCode::CONTENT {
            return Err(code_errno(
                resp.code,
                Exchange::Commands,
                cx.config.generation,
            ));
        }
        buf.push(resp.block2, &resp.payload)?;
        match resp.block2 {
            Some(block) if block.more => Ok(Some(block.num.saturating_add(1))),
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_tables() {
        let g = Generation::Current;
        assert_eq!(
            code_errno(CoapCode::FORBIDDEN, Exchange::Auth, g),
            Errno::Eperm
        );
        assert_eq!(
            code_errno(CoapCode::UNAUTHORIZED, Exchange::Auth, g),
            Errno::Eacces
        );
        assert_eq!(
            code_errno(CoapCode::NOT_FOUND, Exchange::Commands, g),
            Errno::Enoent
        );
        assert_eq!(
            code_errno(CoapCode::NOT_ACCEPTABLE, Exchange::Commands, g),
            Errno::Einval
        );
        assert_eq!(
            code_errno(CoapCode::SERVICE_UNAVAILABLE, Exchange::Responses, g),
            Errno::Ebusy
        );
        assert_eq!(code_errno(CoapCode(10), Exchange::Auth, g), Errno::Enotsup);
        let v = Generation::V2_9;
        assert_eq!(
            code_errno(CoapCode::FORBIDDEN, Exchange::Auth, v),
            Errno::Eacces
        );
        assert_eq!(
            code_errno(CoapCode::NOT_FOUND, Exchange::Commands, v),
            Errno::Enotsup
        );
        assert_eq!(
            code_errno(CoapCode::SERVICE_UNAVAILABLE, Exchange::Commands, v),
            Errno::Enotsup
        );
    }

    #[test]
    fn paths() {
        let c = ClientConfig::default();
        assert_eq!(
            auth_request(&c, "jwt").path_and_query(),
            "p/auth-jwt?mver=mfw_nrf9160_1.3.5&cver=3.0.99"
        );
        let g = commands_request(&c, "", 0);
        assert_eq!(
            g.path_and_query(),
            "p/cmd?after=&rxMaxSize=1024&txMaxSize=2048&limit=10"
        );
        assert_eq!(
            g.block2,
            Some(Block2 {
                num: 0,
                more: false,
                szx: 4
            })
        );
        assert!(!suspend_request().confirmable);
    }
}
