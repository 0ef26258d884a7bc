//! The HTTP session: GET commands, execute, POST responses, repeat.
//!
//! Source: nrfconnect/sdk-nrf `subsys/net/lib/nrf_provisioning/src/nrf_provisioning_http.c`
//! (`nrf_provisioning_http_req`, `gen_provisioning_url`, `status_code_to_error`,
//! `nrf_provisioning_responses_req`):
//!
//! * Every request gets a fresh JWT (`generate_auth_header` before each request).
//! * GET headers, in order: `Accept: application/cbor`, `Authorization: Bearer <JWT>`,
//!   `Content-Type: */*`, `User-Agent: ...`, `Connection: close`.
//! * POST headers, in order: `Content-Type: application/cbor`, `Accept: */*`,
//!   `Authorization: Bearer <JWT>`, `User-Agent: ...`, `Connection: close`.
//! * Quirk reproduced: a failed POST (any error, JWT failure included) is swallowed; the
//!   finished flag is cleared and the loop GETs again.

use crate::action::{HttpMethod, HttpRequest, HttpResponse, TransportFailure};
use crate::config::{ClientConfig, Generation};
use crate::errors::Errno;
use crate::exec::{Batch, Executor};
use crate::modem_ops::Jwt;
use crate::task::{Cx, Io, Reply, Step};

/// `GET /v1/provisioning/commands?after=..&rxMaxSize=..&txMaxSize=..&mver=..&cver=..&limit=..`
/// (`limit` only in the current generation).
pub(crate) fn commands_request(config: &ClientConfig, cursor: &str, jwt: &str) -> HttpRequest {
    let mut path = format!(
        "/v1/provisioning/commands?after={cursor}&rxMaxSize={}&txMaxSize={}&mver={}&cver={}",
        config.rx_buf_size,
        config.tx_buf_size,
        config.mver(),
        config.cver()
    );
    if config.generation == Generation::Current {
        path.push_str(&format!("&limit={}", config.records_limit));
    }
    HttpRequest {
        method: HttpMethod::Get,
        host: config.http_host.clone(),
        port: config.http_port,
        sec_tag: config.root_ca_sec_tag,
        path_and_query: path,
        headers: vec![
            ("Accept".to_owned(), "application/cbor".to_owned()),
            ("Authorization".to_owned(), format!("Bearer {jwt}")),
            ("Content-Type".to_owned(), "*/*".to_owned()),
            ("User-Agent".to_owned(), config.user_agent.clone()),
            ("Connection".to_owned(), "close".to_owned()),
        ],
        body: Vec::new(),
    }
}

/// `POST /v1/provisioning/response` with the CBOR responses.
pub(crate) fn responses_request(config: &ClientConfig, jwt: &str, body: Vec<u8>) -> HttpRequest {
    HttpRequest {
        method: HttpMethod::Post,
        host: config.http_host.clone(),
        port: config.http_port,
        sec_tag: config.root_ca_sec_tag,
        path_and_query: "/v1/provisioning/response".to_owned(),
        headers: vec![
            ("Content-Type".to_owned(), "application/cbor".to_owned()),
            ("Accept".to_owned(), "*/*".to_owned()),
            ("Authorization".to_owned(), format!("Bearer {jwt}")),
            ("User-Agent".to_owned(), config.user_agent.clone()),
            ("Connection".to_owned(), "close".to_owned()),
        ],
        body,
    }
}

/// `status_code_to_error`, plus the "no status: socket closed" case.
pub(crate) fn status_result(status: Option<u16>) -> Result<(), Errno> {
    match status {
        Some(200) => Ok(()),
        Some(204) => Err(Errno::Enodata),
        Some(400) => Err(Errno::Einval),
        Some(401 | 403) => Err(Errno::Eacces),
        Some(415) => Err(Errno::Enomsg),
        Some(500) => Err(Errno::Ebusy),
        None => Err(Errno::Eshutdown),
        Some(_) => Err(Errno::Enotsup),
    }
}

/// The errno `rest_client_request` fails with: a refused handshake (wrong root CA) or a
/// refused connection → `ECONNREFUSED`, a timeout → `ETIMEDOUT`, a connection closed
/// without a response → `ESHUTDOWN` (as a response without status).
pub(crate) fn transport_errno(failure: TransportFailure) -> Errno {
    match failure {
        TransportFailure::Refused | TransportFailure::HandshakeFailed => Errno::Econnrefused,
        TransportFailure::Timeout => Errno::Etimedout,
        TransportFailure::Closed => Errno::Eshutdown,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum St {
    GetJwt(Jwt),
    Get,
    Exec(Executor),
    PostJwt(Jwt, Batch),
    Post(Batch),
    Done,
}

/// The HTTP session machine; `Ready(Ok(()))` means provisioning finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HttpSession {
    st: St,
}

impl HttpSession {
    /// A session that starts with a GET.
    pub fn new() -> Self {
        HttpSession {
            st: St::GetJwt(Jwt::Start),
        }
    }

    /// Resumes the session.
    pub fn resume(&mut self, mut reply: Reply, cx: &mut Cx<'_>) -> Step<Result<(), Errno>> {
        loop {
            let st = std::mem::replace(&mut self.st, St::Done);
            match st {
                St::GetJwt(mut jwt) => match jwt.resume(reply, cx) {
                    Step::Pending => {
                        self.st = St::GetJwt(jwt);
                        return Step::Pending;
                    }
                    Step::Ready(Err(e)) => return Step::Ready(Err(e)),
                    Step::Ready(Ok(token)) => {
                        self.st = St::Get;
                        return cx.ask(Io::Http(commands_request(cx.config, cx.cursor, &token)));
                    }
                },
                St::Get => match reply {
                    Reply::Http(Ok(response)) => match self.fetched(response, cx.config) {
                        Ok(executor) => {
                            self.st = St::Exec(executor);
                            reply = Reply::Start;
                        }
                        Err(e) => return Step::Ready(Err(e)),
                    },
                    Reply::Http(Err(failure)) => return Step::Ready(Err(transport_errno(failure))),
                    _ => return Step::Ready(Err(Errno::Einval)),
                },
                St::Exec(mut executor) => match executor.resume(reply, cx) {
                    Step::Pending => {
                        self.st = St::Exec(executor);
                        return Step::Pending;
                    }
                    Step::Ready(Err(e)) => return Step::Ready(Err(e)),
                    Step::Ready(Ok(batch)) => {
                        self.st = St::PostJwt(Jwt::Start, batch);
                        reply = Reply::Start;
                    }
                },
                St::PostJwt(mut jwt, batch) => match jwt.resume(reply, cx) {
                    Step::Pending => {
                        self.st = St::PostJwt(jwt, batch);
                        return Step::Pending;
                    }
                    // A POST that could not even be authorised is swallowed like any failure.
                    Step::Ready(Err(_)) => {
                        self.st = St::GetJwt(Jwt::Start);
                        reply = Reply::Start;
                    }
                    Step::Ready(Ok(token)) => {
                        let request = responses_request(cx.config, &token, batch.body.clone());
                        self.st = St::Post(batch);
                        return cx.ask(Io::Http(request));
                    }
                },
                St::Post(batch) => {
                    let posted =
                        matches!(&reply, Reply::Http(Ok(r)) if status_result(r.status).is_ok());
                    if posted && batch.finished {
                        return Step::Ready(Ok(()));
                    }
                    // Not finished, or the POST failed (swallowed, finished cleared): GET again.
                    self.st = St::GetJwt(Jwt::Start);
                    reply = Reply::Start;
                }
                St::Done => return Step::Ready(Err(Errno::Einval)),
            }
        }
    }

    /// A GET response: 200 with a body the RX buffer holds → the batch to run.
    fn fetched(&self, response: HttpResponse, config: &ClientConfig) -> Result<Executor, Errno> {
        status_result(response.status)?;
        // The REST client fails when the body exceeds the RX buffer (ours: -ENOMEM, the
        // error the SDK's scheduled test uses for "too many commands").
        if response.body.len() > config.rx_buf_size {
            return Err(Errno::Enomem);
        }
        Executor::new(&response.body, config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_mapping() {
        assert_eq!(status_result(Some(200)), Ok(()));
        assert_eq!(status_result(Some(204)), Err(Errno::Enodata));
        assert_eq!(status_result(Some(400)), Err(Errno::Einval));
        assert_eq!(status_result(Some(401)), Err(Errno::Eacces));
        assert_eq!(status_result(Some(403)), Err(Errno::Eacces));
        assert_eq!(status_result(Some(415)), Err(Errno::Enomsg));
        assert_eq!(status_result(Some(500)), Err(Errno::Ebusy));
        assert_eq!(status_result(Some(501)), Err(Errno::Enotsup));
        assert_eq!(status_result(None), Err(Errno::Eshutdown));
    }

    #[test]
    fn urls_per_generation() {
        let mut c = ClientConfig::default();
        let r = commands_request(&c, "", "t");
        assert_eq!(
            r.path_and_query,
            "/v1/provisioning/commands?after=&rxMaxSize=1024&txMaxSize=2048\
             &mver=mfw_nrf9160_1.3.5&cver=3.0.99&limit=10"
        );
        c.generation = Generation::V2_9;
        let r = commands_request(&c, "abc", "t");
        assert_eq!(
            r.path_and_query,
            "/v1/provisioning/commands?after=abc&rxMaxSize=1024&txMaxSize=2048&mver=1.3.5&cver=1"
        );
    }
}
