//! The device-facing side: JWT authentication, fetching commands and recording responses.
//!
//! Decisions where service.md is silent (ours):
//! * **Which records a fetch sends.** The service keeps per-record results, so a batch is the
//!   records without a recorded success, in configuration order, cut to the device's limits
//!   ([`crate::batching`]). In the normal flow everything up to the device's `after`
//!   cursor has an answer, so the batch starts right after the cursor. A cursor *ahead* of the
//!   recorded answers (the device executed records but the report was lost, or it lost power)
//!   rewinds to the first unanswered record: those records are delivered twice (service.md:
//!   "the device lost a POST and fetched again"), and the duplicate answers are ignored. A
//!   cursor *behind* (a rebooted device with an old persisted cursor) never re-sends answered
//!   records. The cursor itself is recorded with each delivery (`lastCursor`).
//! * **Rules** are applied when a device that is not blocked fetches, before the batch is cut.
//!   A rule whose commands would take the configuration past 20 is not applied (a
//!   [`Notice`] says so) and is tried again at the next connection.
//! * **Responses** are taken record by record: a malformed body is a 400, but within a
//!   well-formed body a record for an unknown correlation id, for an earlier issue of a
//!   retried/updated command, for a record not delivered, of the wrong type, or for an
//!   already answered record is acknowledged and ignored, and reported in
//!   [`ResponsesReport`] for the log. Refusing the whole body would lose the good results
//!   in it, since the client swallows a failed POST.

use p256::ecdsa::VerifyingKey;
use provlab_proto::jwt::{self, JwtError, Validation};
use provlab_proto::records::{
    decode_responses, encode_commands, Command, Response, DEFAULT_RECORDS_LIMIT,
};
use serde::Serialize;

use super::configuration::next_seq;
use super::{Outcome, Service};
use crate::batching::{plan, Cut, FetchLimits, Plan, MIN_BUFFER_SIZE};
use crate::commands::{interpret, CommandRequestExt as _, MAX_COMMANDS};
use crate::error::{Error, Result};
use crate::events::{AppliedCommand, DeliveredRecord, Event};
use crate::ids::{parse_correlation, CommandId, DeviceId, RuleId, Step, MAX_SEQUENCE};
use crate::registry::{KeyDecision, Verification};
use crate::status::DeviceStatus;
use crate::time::Timestamp;

/// Most response records accepted in one body (two records per command at most).
pub const MAX_RESPONSES_PER_BODY: usize = 2 * MAX_COMMANDS;

/// An authenticated device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceAuth {
    /// The device (from the JWT's `iss`).
    pub device: DeviceId,
    /// How the JWT's signature was accepted; anything but `Verified` is worth a log line.
    pub verification: Verification,
}

/// The query of `GET /v1/provisioning/commands` (or CoAP `p/cmd`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchRequest {
    /// The device's cursor: correlation id of the last record it executed (empty when fresh).
    pub after: String,
    /// `rxMaxSize`.
    pub rx_max_size: usize,
    /// `txMaxSize`.
    pub tx_max_size: usize,
    /// `limit` (absent in the v2.9 generation: the SDK default of 10 applies).
    pub limit: Option<usize>,
}

/// Why a fetch returns no commands (HTTP 204 / CoAP empty 2.05 in every case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum IdleReason {
    /// Every command is answered (or there are none).
    NothingPending,
    /// The device is blocked.
    Blocked,
    /// The device is in `ERROR`: delivery is suspended until the owner acts.
    Suspended,
}

/// Words for transcripts and logs.
impl std::fmt::Display for IdleReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            IdleReason::NothingPending => "nothing pending",
            IdleReason::Blocked => "the device is blocked",
            IdleReason::Suspended => "the device is in ERROR: delivery suspended",
        })
    }
}

/// What a fetch returns to the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetch {
    /// A body of records (HTTP 200 / CoAP 2.05 with payload).
    Records {
        /// The CBOR body, at most `rxMaxSize` bytes.
        body: Vec<u8>,
        /// The records in it, decoded (for transcripts).
        records: Vec<Command>,
        /// The conservative bound on the responses it can provoke.
        response_bound: usize,
    },
    /// No commands.
    NoCommands(IdleReason),
}

/// Something a fetch did that is worth a log or transcript line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "notice")]
pub enum Notice {
    /// A rule's commands were appended.
    RuleApplied {
        /// The rule.
        rule: RuleId,
        /// Commands appended.
        commands: usize,
    },
    /// A matching rule could not be applied now.
    RuleNotApplied {
        /// The rule.
        rule: RuleId,
        /// Why.
        reason: String,
    },
    /// A command was failed because it can never fit the device's `rxMaxSize`.
    CommandRejected {
        /// The command.
        command: CommandId,
        /// Why.
        reason: String,
    },
    /// Records delivered before without an answer are sent again (lost report or reboot).
    Redelivered {
        /// Their correlation ids.
        records: Vec<String>,
    },
    /// The batch holds fewer records than are waiting: the device's `limit`, `rxMaxSize` or
    /// `txMaxSize` cut it.
    BatchCut {
        /// Records in the batch.
        records: usize,
        /// Why, with the numbers.
        cut: Cut,
    },
}

/// One line for logs and transcripts, with ids a reader can paste into a REST call (not
/// Rust's `Debug` form).
impl std::fmt::Display for Notice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        match self {
            Notice::RuleApplied { rule, commands } => write!(
                f,
                "rule {rule} applied: {commands} command{} appended",
                plural(*commands)
            ),
            Notice::RuleNotApplied { rule, reason } => {
                write!(f, "rule {rule} not applied: {reason}")
            }
            Notice::CommandRejected { command, reason } => {
                write!(f, "command {command} rejected: {reason}")
            }
            Notice::Redelivered { records } => write!(
                f,
                "{} record{} delivered again: {}",
                records.len(),
                plural(records.len()),
                records.join(", ")
            ),
            Notice::BatchCut { records, cut } => write!(
                f,
                "batch cut at {records} record{}: {cut}",
                plural(*records)
            ),
        }
    }
}

/// A fetch's answer and notices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchResult {
    /// What the device gets.
    pub fetch: Fetch,
    /// What happened on the way.
    pub notices: Vec<Notice>,
}

/// What became of one response record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "disposition", content = "reason")]
pub enum RecordDisposition {
    /// Recorded.
    Recorded,
    /// The record was already answered (or its command is final): ignored.
    Duplicate,
    /// An answer to an earlier issue of a retried or updated command: ignored.
    Stale,
    /// The record was not delivered in the command's current issue: ignored.
    NotDelivered,
    /// The correlation id names no command of this device: ignored.
    UnknownId,
    /// The response type does not fit the record: ignored.
    Mismatch(String),
}

/// One response record's fate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordOutcome {
    /// The record's correlation id.
    pub id: String,
    /// What happened to it.
    pub disposition: RecordDisposition,
}

/// The fate of every record of a responses body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponsesReport {
    /// One entry per record, in body order.
    pub records: Vec<RecordOutcome>,
}

impl ResponsesReport {
    /// How many records were recorded.
    pub fn recorded(&self) -> usize {
        self.records
            .iter()
            .filter(|r| r.disposition == RecordDisposition::Recorded)
            .count()
    }
}

impl Service {
    /// Authenticates a device request's JWT (`Authorization: Bearer`, or the CoAP
    /// `p/auth-jwt` payload). Missing, malformed, badly signed, expired, or from a device the
    /// registry does not know → 401; valid but the device is not claimed →
    /// [`Error::NotClaimed`]. Each acceptance without a signature check is reported in
    /// [`DeviceAuth::verification`].
    pub fn authenticate_jwt(&self, now: Timestamp, token: Option<&str>) -> Result<DeviceAuth> {
        let token = token
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Error::unauthorized("missing device JWT"))?;
        let unverified = jwt::decode_unverified(token).map_err(jwt_error)?;
        let uuid = unverified
            .claims
            .device_uuid()
            .ok_or_else(|| Error::unauthorized("the JWT's iss is not <chip>.<device uuid>"))?;
        let validation = Validation {
            now: now.as_secs(),
            leeway_s: self.config.jwt_leeway_s,
            require_exp: true,
        };
        let verification = match self.config.verifier.decide(&uuid) {
            KeyDecision::Check(key) => {
                verify_jwt(unverified, &key, &validation)?;
                Verification::Verified
            }
            KeyDecision::Skip(how) => {
                validation.check(&unverified.claims).map_err(jwt_error)?;
                how
            }
            KeyDecision::UnknownDevice => {
                return Err(Error::unauthorized(format!(
                    "device {uuid} is not in the factory registry"
                )))
            }
        };
        let device = DeviceId(uuid);
        if !self.state.devices.contains_key(&device) {
            return Err(Error::NotClaimed { device });
        }
        Ok(DeviceAuth {
            device,
            verification,
        })
    }

    /// Serves a device's fetch: applies due rules, then cuts the next batch.
    pub fn fetch_commands(
        &mut self,
        now: Timestamp,
        device: DeviceId,
        request: &FetchRequest,
    ) -> Result<Outcome<FetchResult>> {
        let limits = check_limits(request)?;
        let d = self
            .state
            .devices
            .get(&device)
            .ok_or(Error::NotClaimed { device })?;
        if d.blocked {
            return Ok(Outcome {
                value: FetchResult {
                    fetch: Fetch::NoCommands(IdleReason::Blocked),
                    notices: Vec::new(),
                },
                events: Vec::new(),
            });
        }
        self.transact(|s, events| {
            let mut notices = s.apply_rules(now, events, device)?;
            let fetch = s.cut_batch(now, events, device, request, limits, &mut notices)?;
            Ok(FetchResult { fetch, notices })
        })
    }

    /// Records a CBOR responses body (`POST /v1/provisioning/response`, CoAP `p/rsp`).
    /// A body that does not decode is a 400; see the module docs for record-level handling.
    pub fn record_responses(
        &mut self,
        now: Timestamp,
        device: DeviceId,
        body: &[u8],
    ) -> Result<Outcome<ResponsesReport>> {
        if !self.state.devices.contains_key(&device) {
            return Err(Error::NotClaimed { device });
        }
        let responses = decode_responses(body, MAX_RESPONSES_PER_BODY)
            .map_err(|e| Error::invalid("body", e.to_string()))?;
        self.record_response_records(now, device, &responses)
    }

    /// Records already decoded responses (in-process callers such as the simulator).
    /// Results are accepted even while the device is blocked.
    pub fn record_response_records(
        &mut self,
        now: Timestamp,
        device: DeviceId,
        responses: &[Response],
    ) -> Result<Outcome<ResponsesReport>> {
        if !self.state.devices.contains_key(&device) {
            return Err(Error::NotClaimed { device });
        }
        self.transact(|s, events| {
            let mut records = Vec::with_capacity(responses.len());
            for response in responses {
                let disposition = match s.classify(device, response) {
                    Ok((command, step, result)) => {
                        s.emit(
                            events,
                            Event::ResultRecorded {
                                at: now,
                                device,
                                command,
                                step,
                                result,
                            },
                        )?;
                        RecordDisposition::Recorded
                    }
                    Err(ignored) => ignored,
                };
                records.push(RecordOutcome {
                    id: response.id().to_string(),
                    disposition,
                });
            }
            Ok(ResponsesReport { records })
        })
    }

    /// Decides what to do with one response, against the current state.
    fn classify(
        &self,
        device: DeviceId,
        response: &Response,
    ) -> std::result::Result<(CommandId, Step, crate::commands::DeviceResult), RecordDisposition>
    {
        let parsed =
            parse_correlation(response.id().as_str()).ok_or(RecordDisposition::UnknownId)?;
        let command = self
            .state
            .devices
            .get(&device)
            .and_then(|d| d.command(parsed.command))
            .ok_or(RecordDisposition::UnknownId)?;
        let progress = command
            .step(parsed.step)
            .ok_or(RecordDisposition::UnknownId)?;
        if parsed.seq != command.seq {
            return Err(if parsed.seq < command.seq {
                RecordDisposition::Stale
            } else {
                RecordDisposition::UnknownId
            });
        }
        if command.status.is_terminal() || progress.done {
            return Err(RecordDisposition::Duplicate);
        }
        if !progress.delivered {
            return Err(RecordDisposition::NotDelivered);
        }
        let result = interpret(&command.request, parsed.step, response)
            .map_err(|m| RecordDisposition::Mismatch(m.0))?;
        Ok((command.id, parsed.step, result))
    }

    /// Appends the commands of every active rule that matches the device and has not been
    /// applied to it, in `createdAt` order.
    fn apply_rules(
        &mut self,
        now: Timestamp,
        events: &mut Vec<Event>,
        device: DeviceId,
    ) -> Result<Vec<Notice>> {
        let mut notices = Vec::new();
        let due: Vec<(RuleId, usize)> = {
            let Some(d) = self.state.devices.get(&device) else {
                return Ok(notices);
            };
            self.rules_in_order()
                .into_iter()
                .filter(|r| r.applies_to(&d.tags, &d.applied_rules))
                .map(|r| (r.id, r.commands.len()))
                .collect()
        };
        for (rule, count) in due {
            let Some(d) = self.state.devices.get(&device) else {
                break;
            };
            if d.commands.len() + count > MAX_COMMANDS {
                notices.push(Notice::RuleNotApplied {
                    rule,
                    reason: format!(
                        "its {count} commands would take the configuration past {MAX_COMMANDS}"
                    ),
                });
                continue;
            }
            let first = next_seq(d)?;
            let last = first.saturating_add(count as u32);
            if last > MAX_SEQUENCE.saturating_add(1) {
                notices.push(Notice::RuleNotApplied {
                    rule,
                    reason: "the device has used every correlation sequence".into(),
                });
                continue;
            }
            let draws = self.state.draws;
            let commands = (0..count)
                .map(|i| AppliedCommand {
                    command: CommandId(self.ids.uuid(draws + i as u64)),
                    seq: first + i as u32,
                })
                .collect();
            self.emit(
                events,
                Event::RuleApplied {
                    at: now,
                    device,
                    rule,
                    commands,
                },
            )?;
            notices.push(Notice::RuleApplied {
                rule,
                commands: count,
            });
        }
        Ok(notices)
    }

    /// Cuts and records the next batch (or fails a command that can never fit).
    fn cut_batch(
        &mut self,
        now: Timestamp,
        events: &mut Vec<Event>,
        device: DeviceId,
        request: &FetchRequest,
        limits: FetchLimits,
        notices: &mut Vec<Notice>,
    ) -> Result<Fetch> {
        let Some(d) = self.state.devices.get(&device) else {
            return Err(Error::NotClaimed { device });
        };
        if d.status == DeviceStatus::Error {
            return Ok(Fetch::NoCommands(IdleReason::Suspended));
        }
        let mut open: Vec<(CommandId, Step, bool)> = Vec::new();
        let mut records: Vec<Command> = Vec::new();
        for c in d.commands.iter().filter(|c| !c.status.is_terminal()) {
            for step in c.open_steps() {
                let delivered = c.step(step).is_some_and(|p| p.delivered);
                records.push(c.request.record(c.id, c.seq, step)?);
                open.push((c.id, step, delivered));
            }
        }
        let verdict = plan(&records, limits).map_err(|e| Error::Internal(e.to_string()))?;
        match verdict {
            Plan::Empty => Ok(Fetch::NoCommands(IdleReason::NothingPending)),
            Plan::TooLarge {
                needed,
                rx_max_size,
            } => {
                let Some(&(command, _, _)) = open.first() else {
                    return Ok(Fetch::NoCommands(IdleReason::NothingPending));
                };
                let reason = format!(
                    "the command's record needs a {needed}-byte body; the device accepts at most {rx_max_size} (rxMaxSize)"
                );
                self.emit(
                    events,
                    Event::CommandRejected {
                        at: now,
                        device,
                        command,
                        reason: reason.clone(),
                    },
                )?;
                notices.push(Notice::CommandRejected { command, reason });
                Ok(Fetch::NoCommands(IdleReason::Suspended))
            }
            Plan::Take {
                count,
                body_len,
                response_bound,
                cut,
            } => {
                records.truncate(count);
                let body = encode_commands(&records).map_err(|e| Error::Internal(e.to_string()))?;
                if body.len() != body_len {
                    return Err(Error::Internal(format!(
                        "planned a {body_len}-byte body, encoded {}",
                        body.len()
                    )));
                }
                let redelivered: Vec<String> = open
                    .iter()
                    .zip(&records)
                    .filter(|((_, _, delivered), _)| *delivered)
                    .map(|(_, r)| r.id().to_string())
                    .collect();
                if !redelivered.is_empty() {
                    notices.push(Notice::Redelivered {
                        records: redelivered,
                    });
                }
                if cut != Cut::Complete {
                    notices.push(Notice::BatchCut {
                        records: count,
                        cut,
                    });
                }
                self.emit(
                    events,
                    Event::RecordsDelivered {
                        at: now,
                        device,
                        after: request.after.clone(),
                        records: open
                            .iter()
                            .take(count)
                            .map(|&(command, step, _)| DeliveredRecord { command, step })
                            .collect(),
                    },
                )?;
                Ok(Fetch::Records {
                    body,
                    records,
                    response_bound,
                })
            }
        }
    }
}

/// Validates the fetch query's limits.
fn check_limits(request: &FetchRequest) -> Result<FetchLimits> {
    let limit = request.limit.unwrap_or(DEFAULT_RECORDS_LIMIT);
    if limit == 0 {
        return Err(Error::invalid("limit", "must be at least 1"));
    }
    for (field, value) in [
        ("rxMaxSize", request.rx_max_size),
        ("txMaxSize", request.tx_max_size),
    ] {
        if value < MIN_BUFFER_SIZE {
            return Err(Error::invalid(
                field,
                format!("{value} is below the smallest usable buffer of {MIN_BUFFER_SIZE} bytes"),
            ));
        }
    }
    Ok(FetchLimits {
        limit,
        rx_max_size: request.rx_max_size,
        tx_max_size: request.tx_max_size,
    })
}

fn verify_jwt(
    unverified: jwt::UnverifiedJwt,
    key: &VerifyingKey,
    validation: &Validation,
) -> Result<()> {
    unverified
        .verify(key, validation)
        .map(|_| ())
        .map_err(jwt_error)
}

fn jwt_error(e: JwtError) -> Error {
    Error::unauthorized(format!("device JWT rejected: {e}"))
}
