//! Executing one batch of commands and encoding the responses.
//!
//! Reproduces `nrf_provisioning_codec_process_commands` of nrfconnect/sdk-nrf
//! `subsys/net/lib/nrf_provisioning/src/nrf_provisioning_codec.c` (event-callback
//! generation, sdk-nrf 03cc4522):
//!
//! 1. Decode; more records (or ignored CMEs, or config pairs) than allowed → `-ENOMEM`,
//!    anything else invalid → `-EINVAL` (v2.9: always `-EINVAL`).
//! 2. `AT+CMEE?`; if CMEE was off (or unreadable) `AT+CMEE=1`.
//! 3. For each command, stopping once one failed: finished is remembered (answered last);
//!    an AT command first checks `AT+CFUN?` and, unless offline (4), emits
//!    NEED_LTE_DEACTIVATED and polls `AT+CFUN?` every second, at most 120 times (then
//!    `-ETIMEDOUT`, nothing encoded); a config command writes its pairs. The cursor moves to
//!    every executed command, the failed one and the finished one included.
//! 4. `AT+CMEE=<original>`; then, if the modem was taken offline, NEED_LTE_ACTIVATED and a
//!    wait for the network (checked every second, at most 120 times, then 2 s to settle).
//!    The SDK emits NEED_LTE_ACTIVATED after every batch; the spec pairs it with the
//!    deactivation ("around each AT batch"), which is what is reproduced.
//! 5. The finished ack is appended last, only if nothing failed; the responses are encoded
//!    canonically. An encoding larger than the TX buffer fails with `-ENODATA` (the SDK's
//!    "Invalid responses request").

pub(crate) mod at;
pub(crate) mod config_cmd;
pub(crate) mod response_buffer;

use provlab_proto::records::{
    decode_commands, encode_responses, Command, RecordError, RecordsError, Response,
};

use crate::config::{ClientConfig, Generation};
use crate::errors::Errno;
use crate::event::Event;
use crate::modem::{self, AtResult, CFUN_OFFLINE, CFUN_QUERY, CMEE_QUERY};
use crate::task::{Cx, Io, Reply, Step};
use response_buffer::{ResponseBuffer, TOO_BIG_MESSAGE};

/// Checks of the functional mode / network before giving up (the SDK's 120 × 1 s).
const MODE_WAIT_CHECKS: u32 = 120;
/// Settling time after the network is back (the SDK's `k_sleep(K_SECONDS(2))`).
const SETTLE_MS: u64 = 2000;

/// The outcome of a batch: the encoded responses and whether `finished` was acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Batch {
    /// The encoded responses body.
    pub body: Vec<u8>,
    /// Whether a finished ack is among them.
    pub finished: bool,
}

/// An AT command in flight, with its response buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
struct AtRun {
    line: String,
    buffer: ResponseBuffer,
    keygen: Option<(i64, i64)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum St {
    Begin,
    CmeeQuery,
    CmeeEnable,
    ModeQuery,
    WaitOffline { checks: u32 },
    RunAt(AtRun),
    DeleteKey(AtRun),
    RestoreCmee,
    WaitOnline { checks: u32, settling: bool },
    Finished,
}

/// The batch machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Executor {
    commands: Vec<Command>,
    index: usize,
    responses: Vec<Response>,
    errors: bool,
    finished_at: Option<usize>,
    cmee_was_on: bool,
    deactivated: bool,
    st: St,
}

/// Maps a decoding failure to the SDK's errno.
pub(crate) fn decode_errno(error: &RecordsError, generation: Generation) -> Errno {
    let too_many = matches!(
        error,
        RecordsError::TooManyRecords { .. }
            | RecordsError::Record {
                error: RecordError::TooManyIgnoredCme { .. }
                    | RecordError::TooManyConfigPairs { .. },
                ..
            }
    );
    if too_many && generation == Generation::Current {
        Errno::Enomem
    } else {
        Errno::Einval
    }
}

impl Executor {
    /// Decodes `body` (step 1); the machine then runs the commands.
    pub fn new(body: &[u8], config: &ClientConfig) -> Result<Self, Errno> {
        let commands = decode_commands(body, config.records_limit)
            .map_err(|e| decode_errno(&e, config.generation))?;
        Ok(Executor {
            commands,
            index: 0,
            responses: Vec::new(),
            errors: false,
            finished_at: None,
            cmee_was_on: false,
            deactivated: false,
            st: St::Begin,
        })
    }

    /// Resumes the batch.
    pub fn resume(&mut self, reply: Reply, cx: &mut Cx<'_>) -> Step<Result<Batch, Errno>> {
        let st = std::mem::replace(&mut self.st, St::Finished);
        match (st, reply) {
            (St::Begin, _) => {
                self.st = St::CmeeQuery;
                cx.ask(Io::At(CMEE_QUERY.to_owned()))
            }
            (St::CmeeQuery, Reply::At(result)) => {
                self.cmee_was_on = modem::int_value(&result, "+CMEE:").is_some_and(|n| n != 0);
                if self.cmee_was_on {
                    self.next_command(cx)
                } else {
                    self.st = St::CmeeEnable;
                    cx.ask(Io::At(modem::cmee_set(true)))
                }
            }
            (St::CmeeEnable, Reply::At(_)) => self.next_command(cx),
            (St::ModeQuery, Reply::At(result)) => match modem::int_value(&result, "+CFUN:") {
                // `lte_lc_func_mode_get` failed: the SDK jumps to the end of the batch.
                None => self.stop(cx),
                Some(CFUN_OFFLINE) => self.start_at(cx),
                Some(_) => {
                    cx.emit(Event::NeedLteDeactivated);
                    self.deactivated = true;
                    self.st = St::WaitOffline { checks: 0 };
                    cx.ask(Io::At(CFUN_QUERY.to_owned()))
                }
            },
            (St::WaitOffline { checks }, Reply::At(result)) => {
                match modem::int_value(&result, "+CFUN:") {
                    None => Step::Ready(Err(Errno::Efault)),
                    Some(CFUN_OFFLINE) => self.start_at(cx),
                    Some(_) => {
                        self.st = St::WaitOffline { checks: checks + 1 };
                        cx.ask(Io::Sleep(1000))
                    }
                }
            }
            (St::WaitOffline { checks }, Reply::Timer) => {
                if checks >= MODE_WAIT_CHECKS {
                    Step::Ready(Err(Errno::Etimedout))
                } else {
                    self.st = St::WaitOffline { checks };
                    cx.ask(Io::At(CFUN_QUERY.to_owned()))
                }
            }
            (St::RunAt(run), Reply::At(result)) => self.at_answered(run, result, cx),
            (St::DeleteKey(mut run), Reply::At(_)) => {
                if run.buffer.grow() {
                    let line = run.line.clone();
                    self.st = St::RunAt(run);
                    cx.ask(Io::At(line))
                } else {
                    self.record_too_big(cx)
                }
            }
            (St::RestoreCmee, Reply::At(_)) => {
                if self.deactivated {
                    cx.emit(Event::NeedLteActivated);
                    self.check_online(0, cx)
                } else {
                    self.finish(cx)
                }
            }
            (St::WaitOnline { checks, settling }, Reply::Timer) => {
                if settling {
                    self.finish(cx)
                } else if checks >= MODE_WAIT_CHECKS {
                    Step::Ready(Err(Errno::Etimedout))
                } else {
                    self.check_online(checks, cx)
                }
            }
            // Only reachable through a bug: the client checks replies against the request.
            _ => Step::Ready(Err(Errno::Einval)),
        }
    }

    /// Picks the next command, or ends the batch.
    fn next_command(&mut self, cx: &mut Cx<'_>) -> Step<Result<Batch, Errno>> {
        loop {
            if self.errors {
                return self.stop(cx);
            }
            let Some(command) = self.commands.get(self.index).cloned() else {
                return self.stop(cx);
            };
            match &command {
                Command::Finished { .. } => self.finished_at = Some(self.index),
                Command::Config { id, properties } => {
                    let response = config_cmd::write_config(id, properties, cx);
                    self.errors |= response.is_error();
                    self.responses.push(response);
                }
                Command::At { .. } => {
                    self.st = St::ModeQuery;
                    return cx.ask(Io::At(CFUN_QUERY.to_owned()));
                }
            }
            self.advance_cursor(cx);
        }
    }

    /// The cursor moves to the command just executed (failed or not), then to the next.
    fn advance_cursor(&mut self, cx: &mut Cx<'_>) {
        if let Some(command) = self.commands.get(self.index) {
            command.id().as_str().clone_into(cx.cursor);
        }
        self.index += 1;
    }

    /// Sends the current AT command with a fresh response buffer.
    fn start_at(&mut self, cx: &mut Cx<'_>) -> Step<Result<Batch, Errno>> {
        let Some(Command::At {
            set_command,
            parameters,
            ..
        }) = self.commands.get(self.index)
        else {
            return self.next_command(cx);
        };
        let line = format!("AT{set_command}={parameters}");
        // `form_at_str` copies into the shared TX/AT buffer with room for the NUL.
        if line.len() >= cx.config.tx_limit() {
            return self.record_error(0, String::new(), cx);
        }
        let keygen = modem::keygen_target(&line);
        let run = AtRun {
            line: line.clone(),
            buffer: ResponseBuffer::new(cx.config.at_resp_start_size),
            keygen,
        };
        self.st = St::RunAt(run);
        cx.ask(Io::At(line))
    }

    /// Handles the answer to the current AT command, growing the buffer on `-E2BIG`.
    fn at_answered(
        &mut self,
        mut run: AtRun,
        result: AtResult,
        cx: &mut Cx<'_>,
    ) -> Step<Result<Batch, Errno>> {
        let too_big = !run.buffer.fits(result.buffer.len())
            || result.status == crate::action::AtStatus::Failed(Errno::E2big);
        if too_big {
            if let Some((tag, kind)) = run.keygen {
                // Delete the half-made key before retrying the KEYGEN.
                self.st = St::DeleteKey(run);
                return cx.ask(Io::At(modem::cmng_delete(tag, kind)));
            }
            if run.buffer.grow() {
                let line = run.line.clone();
                self.st = St::RunAt(run);
                return cx.ask(Io::At(line));
            }
            return self.record_too_big(cx);
        }
        let Some(Command::At { id, ignore_cme, .. }) = self.commands.get(self.index) else {
            return self.next_command(cx);
        };
        let response = at::at_response(id, &result, ignore_cme);
        self.errors |= response.is_error();
        self.responses.push(response);
        self.advance_cursor(cx);
        self.next_command(cx)
    }

    fn record_too_big(&mut self, cx: &mut Cx<'_>) -> Step<Result<Batch, Errno>> {
        self.record_error(0, TOO_BIG_MESSAGE.to_owned(), cx)
    }

    /// Records an error response for the current command and moves on.
    fn record_error(
        &mut self,
        cme_error: u32,
        message: String,
        cx: &mut Cx<'_>,
    ) -> Step<Result<Batch, Errno>> {
        if let Some(command) = self.commands.get(self.index) {
            self.responses.push(Response::Error {
                id: command.id().clone(),
                cme_error,
                message,
            });
            self.errors = true;
        }
        self.advance_cursor(cx);
        self.next_command(cx)
    }

    /// End of the loop: restore CMEE.
    fn stop(&mut self, cx: &mut Cx<'_>) -> Step<Result<Batch, Errno>> {
        self.st = St::RestoreCmee;
        cx.ask(Io::At(modem::cmee_set(self.cmee_was_on)))
    }

    /// One check of the network during the NEED_LTE_ACTIVATED wait.
    fn check_online(&mut self, checks: u32, cx: &mut Cx<'_>) -> Step<Result<Batch, Errno>> {
        if cx.network_up {
            self.st = St::WaitOnline {
                checks,
                settling: true,
            };
            cx.ask(Io::Sleep(SETTLE_MS))
        } else {
            self.st = St::WaitOnline {
                checks: checks + 1,
                settling: false,
            };
            cx.ask(Io::Sleep(1000))
        }
    }

    /// Appends the finished ack and encodes.
    fn finish(&mut self, cx: &mut Cx<'_>) -> Step<Result<Batch, Errno>> {
        let finished = match self.finished_at {
            Some(i) if !self.errors => match self.commands.get(i) {
                Some(command) => {
                    self.responses.push(Response::FinishedAck {
                        id: command.id().clone(),
                    });
                    true
                }
                None => false,
            },
            _ => false,
        };
        if self.responses.is_empty() {
            // The CDDL needs at least one response: zcbor refuses to encode none.
            return Step::Ready(Err(Errno::Enodata));
        }
        match encode_responses(&self.responses) {
            Ok(body) if body.len() <= cx.config.tx_limit() => {
                Step::Ready(Ok(Batch { body, finished }))
            }
            _ => Step::Ready(Err(Errno::Enodata)),
        }
    }
}
