//! One provisioning attempt: wait for valid time, run the transport session, and, when the
//! device is not claimed, fetch the attestation token for the event.
//!
//! Source: `nrf_provisioning_work` and `check_return_code_and_notify` in nrfconnect/sdk-nrf
//! `subsys/net/lib/nrf_provisioning/src/nrf_provisioning.c` (event-callback generation).

use crate::config::TransportKind;
use crate::errors::Errno;
use crate::event::AttestationToken;
use crate::modem_ops::{DateTimeWait, TokenFetch};
use crate::session::coap::CoapSession;
use crate::session::http::HttpSession;
use crate::task::{Cx, Reply, Step};

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// No valid date-time within the timeout.
    NoValidDatetime,
    /// The server's finished was acknowledged and reported.
    Finished,
    /// Not claimed (`-EACCES`), with the token when one could be read.
    NotClaimed(Option<AttestationToken>),
    /// Any other error.
    Failed(Errno),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum St {
    DateTime(DateTimeWait),
    Http(HttpSession),
    Coap(CoapSession),
    Token(TokenFetch),
    Done,
}

/// The attempt machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Attempt {
    st: St,
}

impl Attempt {
    /// An attempt that starts with the date-time wait.
    pub fn new(datetime_timeout_s: u32) -> Self {
        Attempt {
            st: St::DateTime(DateTimeWait::new(datetime_timeout_s)),
        }
    }

    /// Resumes the attempt.
    pub fn resume(&mut self, mut reply: Reply, cx: &mut Cx<'_>) -> Step<Outcome> {
        loop {
            let st = std::mem::replace(&mut self.st, St::Done);
            let session_result = match st {
                St::DateTime(mut wait) => match wait.resume(reply, cx) {
                    Step::Pending => {
                        self.st = St::DateTime(wait);
                        return Step::Pending;
                    }
                    Step::Ready(false) => return Step::Ready(Outcome::NoValidDatetime),
                    Step::Ready(true) => {
                        self.st = match cx.config.transport {
                            TransportKind::Http => St::Http(HttpSession::new()),
                            TransportKind::Coap => St::Coap(CoapSession::new()),
                        };
                        reply = Reply::Start;
                        continue;
                    }
                },
                St::Http(mut session) => match session.resume(reply, cx) {
                    Step::Pending => {
                        self.st = St::Http(session);
                        return Step::Pending;
                    }
                    Step::Ready(result) => result,
                },
                St::Coap(mut session) => match session.resume(reply, cx) {
                    Step::Pending => {
                        self.st = St::Coap(session);
                        return Step::Pending;
                    }
                    Step::Ready(result) => result,
                },
                St::Token(mut fetch) => match fetch.resume(reply, cx) {
                    Step::Pending => {
                        self.st = St::Token(fetch);
                        return Step::Pending;
                    }
                    Step::Ready(token) => return Step::Ready(Outcome::NotClaimed(token)),
                },
                St::Done => return Step::Ready(Outcome::Failed(Errno::Einval)),
            };
            match session_result {
                Ok(()) => return Step::Ready(Outcome::Finished),
                Err(Errno::Eacces) if cx.config.provide_attestation_token => {
                    self.st = St::Token(TokenFetch::new());
                    reply = Reply::Start;
                }
                Err(Errno::Eacces) => return Step::Ready(Outcome::NotClaimed(None)),
                Err(e) => return Step::Ready(Outcome::Failed(e)),
            }
        }
    }
}
