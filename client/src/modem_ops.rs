//! Small modem procedures used by an attempt: waiting for valid time, getting a JWT, and
//! reading the attestation token.

use crate::errors::Errno;
use crate::event::AttestationToken;
use crate::modem::{self, ATTESTTOKEN, CCLK_QUERY};
use crate::task::{Cx, Io, Reply, Step};

/// `wait_for_valid_datetime` (nrf_provisioning.c): check, then sleep 1 s, at most
/// `timeout` times; `AT%CCLK?` answering `OK` means valid time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DateTimeWait {
    checks: u32,
    timeout: u32,
}

impl DateTimeWait {
    /// A wait of at most `timeout_s` checks, one second apart.
    pub fn new(timeout_s: u32) -> Self {
        DateTimeWait {
            checks: 0,
            timeout: timeout_s,
        }
    }

    /// Resumes; `Ready(true)` once the time is valid, `Ready(false)` after the timeout.
    pub fn resume(&mut self, reply: Reply, cx: &mut Cx<'_>) -> Step<bool> {
        match reply {
            Reply::Start | Reply::Timer => {
                if self.checks >= self.timeout {
                    Step::Ready(false)
                } else {
                    cx.ask(Io::At(CCLK_QUERY.to_owned()))
                }
            }
            Reply::At(result) if result.is_ok() => {
                *cx.time_valid = true;
                Step::Ready(true)
            }
            Reply::At(_) => {
                self.checks += 1;
                cx.ask(Io::Sleep(1000))
            }
            _ => Step::Ready(false),
        }
    }
}

/// `nrf_provisioning_jwt_generate` (nrf_provisioning_jwt.c): `AT%CCLK?` first (no valid time
/// → `-ETIME`), then `AT%JWT=...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Jwt {
    /// Not started.
    Start,
    /// Waiting for `AT%CCLK?`.
    Clock,
    /// Waiting for `AT%JWT`.
    Sign,
}

impl Jwt {
    /// Resumes; `Ready(Ok(token))` or the errno of the failure.
    pub fn resume(&mut self, reply: Reply, cx: &mut Cx<'_>) -> Step<Result<String, Errno>> {
        match (&*self, reply) {
            (Jwt::Start, _) => {
                *self = Jwt::Clock;
                cx.ask(Io::At(CCLK_QUERY.to_owned()))
            }
            (Jwt::Clock, Reply::At(result)) => {
                if !result.is_ok() {
                    return Step::Ready(Err(Errno::Etime));
                }
                *cx.time_valid = true;
                *self = Jwt::Sign;
                let line = modem::jwt_command(cx.config.jwt_exp_s(), cx.config.jwt_sec_tag);
                cx.ask(Io::At(line))
            }
            (Jwt::Sign, Reply::At(result)) => match modem::jwt_token(&result) {
                Some(token) => Step::Ready(Ok(token)),
                None => Step::Ready(Err(modem::failure_errno(&result))),
            },
            _ => Step::Ready(Err(Errno::Eio)),
        }
    }
}

/// `modem_attest_token_get`: `AT%ATTESTTOKEN`, split into attest and COSE parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TokenFetch {
    asked: bool,
}

impl TokenFetch {
    /// A fetch not yet started.
    pub fn new() -> Self {
        TokenFetch { asked: false }
    }

    /// Resumes; `Ready(None)` when the modem gave no usable token.
    pub fn resume(&mut self, reply: Reply, cx: &mut Cx<'_>) -> Step<Option<AttestationToken>> {
        match reply {
            Reply::At(result) if self.asked => Step::Ready(modem::attestation_token(&result)),
            _ if !self.asked => {
                self.asked = true;
                cx.ask(Io::At(ATTESTTOKEN.to_owned()))
            }
            _ => Step::Ready(None),
        }
    }
}
