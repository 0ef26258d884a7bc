//! The field run as the console shows it: boots, and provisioning attempts (START to STOP)
//! with their requests, the service's answers, the client's events and the lines that
//! explain a failure. Events are put back in the client's order: the v2.9 and 3.0 samples
//! print an attempt's result line after `Provisioning stopped`.

use std::time::Duration;

use crate::decode::{Answer, ClientEvent, Era, Happening, Milestone, Network, Request, Transport};

use super::console::ConsoleLog;
use super::error::ImportError;
use super::source::{Src, Warning};

/// One request of an attempt and the service's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// Fetch, report or DTLS connect.
    pub request: Request,
    /// The request's line.
    pub src: Src,
    /// The answer and its line (`None`: the log shows none).
    pub answer: Option<(Answer, Src)>,
    /// The answer carried no commands (HTTP 204, an empty CoAP 2.05).
    pub empty: bool,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// `Provisioning stopped`.
    Stopped(Src),
    /// The device booted again before STOP (a reboot or a power loss).
    Rebooted(Src),
}

/// One provisioning attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The START line.
    pub start: Src,
    /// Milliseconds since the log's first boot, when the line has a timestamp.
    pub at_ms: Option<u64>,
    /// Which boot it ran in (0: the first the log shows).
    pub boot: usize,
    /// The line that shows it was triggered (`Externally initiated provisioning`, or
    /// `nrf_provisioning now` typed at the shell).
    pub trigger: Option<Src>,
    /// The client's events, in the client's order (without SCHEDULED_PROVISIONING).
    pub events: Vec<(ClientEvent, Src)>,
    /// Requests and answers.
    pub exchanges: Vec<Exchange>,
    /// How it ended.
    pub end: End,
    /// When it ended, in milliseconds since the first boot.
    pub end_ms: Option<u64>,
    /// `Provisioning client busy` / `Provisioning timed out` (true).
    pub retry: Option<(bool, Src)>,
    /// `Retrying in N seconds`.
    pub retry_in: Option<(u64, Src)>,
    /// `Failed to get valid date time`.
    pub no_valid_time: Option<Src>,
    /// `Please check the CA certificate stored in sectag N`.
    pub check_ca: Option<(u32, Src)>,
    /// The attestation token was printed.
    pub token: Option<Src>,
    /// The library's errno (`Provisioning failed, error: N`).
    pub errno: Option<(i32, Src)>,
}

impl Attempt {
    /// Whether the attempt shows `event`.
    pub fn has(&self, event: ClientEvent) -> bool {
        self.events.iter().any(|(e, _)| *e == event)
    }

    /// The line of `event`, if shown.
    pub fn line_of(&self, event: ClientEvent) -> Option<&Src> {
        self.events
            .iter()
            .find(|(e, _)| *e == event)
            .map(|(_, s)| s)
    }

    /// The fetches of commands.
    pub fn fetches(&self) -> impl Iterator<Item = &Exchange> {
        self.exchanges
            .iter()
            .filter(|x| x.request == Request::FetchCommands)
    }

    /// The reports of responses.
    pub fn reports(&self) -> impl Iterator<Item = &Exchange> {
        self.exchanges
            .iter()
            .filter(|x| x.request == Request::SendResponses)
    }

    /// Whether the device executed commands (it fetched a batch with commands).
    pub fn executed(&self) -> bool {
        self.fetches().any(|x| {
            matches!(
                x.answer,
                Some((Answer::Http(200) | Answer::Coap { class: 2, .. }, _))
            ) && !x.empty
        })
    }
}

/// A boot the log shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Boot {
    /// The banner line.
    pub src: Src,
    /// Milliseconds since the first boot (the time the device was off is unknown: 0).
    pub at_ms: u64,
}

/// The whole field run.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Timeline {
    /// Boots, in order.
    pub boots: Vec<Boot>,
    /// Attempts, in order.
    pub attempts: Vec<Attempt>,
    /// `SCHEDULED_PROVISIONING`: its delay in seconds, its line, and when it was printed
    /// (milliseconds since the first boot).
    pub scheduled: Vec<(u64, Src, Option<u64>)>,
    /// The transport the log's modules show, with the first line that shows it.
    pub transport: Option<(Transport, Src)>,
    /// The v2.9 sample waited for and got network time.
    pub time_obtained: Option<Src>,
    /// The last timestamp of the log, in milliseconds since the first boot.
    pub last_ms: u64,
}

fn is_result(event: ClientEvent) -> bool {
    !matches!(
        event,
        ClientEvent::Start
            | ClientEvent::Stop
            | ClientEvent::NeedLteDeactivated
            | ClientEvent::NeedLteActivated
            | ClientEvent::ScheduledProvisioning
            | ClientEvent::FatalError
    )
}

/// Builds the timeline of a decoded log.
pub fn build(log: &ConsoleLog, warnings: &mut Vec<Warning>) -> Result<Timeline, ImportError> {
    let held_results = matches!(log.era, Era::V2_9 | Era::V3_0);
    let mut t = Timeline::default();
    let mut open: Option<Attempt> = None;
    let mut pending_trigger: Option<Src> = None;
    let mut offset_ms = 0u64;
    let mut typed = log.typed_triggers.iter().peekable();
    for h in &log.decoded.events {
        let src = log.src(h.line_no);
        while let Some(line) = typed.next_if(|l| **l < h.line_no) {
            pending_trigger = Some(log.src(*line));
        }
        let now_ms = h.uptime.map(|u| offset_ms.saturating_add(millis(u)));
        if let Some(ms) = now_ms {
            t.last_ms = t.last_ms.max(ms);
        }
        match &h.value {
            Happening::Boot { image, .. } => {
                if image.contains("MCUboot") {
                    continue;
                }
                if !t.boots.is_empty() {
                    offset_ms = t.last_ms;
                }
                if let Some(mut attempt) = open.take() {
                    attempt.end = End::Rebooted(src.clone());
                    attempt.end_ms = Some(offset_ms);
                    t.attempts.push(attempt);
                }
                pending_trigger = None;
                t.boots.push(Boot {
                    src,
                    at_ms: offset_ms,
                });
            }
            Happening::Triggered => pending_trigger = Some(src),
            Happening::Event {
                event,
                next_attempt_s,
            } => match event {
                ClientEvent::ScheduledProvisioning => {
                    if let Some(s) = next_attempt_s {
                        t.scheduled.push((*s, src, now_ms));
                    }
                }
                ClientEvent::Start => {
                    if let Some(mut attempt) = open.take() {
                        warnings.push(Warning::at(
                            &attempt.start,
                            "this attempt has no `Provisioning stopped` before the next \
                             `Provisioning started`; taken as ended there",
                        ));
                        attempt.end = End::Stopped(src.clone());
                        attempt.end_ms = now_ms;
                        t.attempts.push(attempt);
                    }
                    open = Some(Attempt {
                        start: src.clone(),
                        at_ms: now_ms,
                        boot: t.boots.len().saturating_sub(1),
                        trigger: pending_trigger.take(),
                        events: vec![(ClientEvent::Start, src)],
                        exchanges: Vec::new(),
                        end: End::Stopped(Src::new(&log.file, 0)),
                        end_ms: None,
                        retry: None,
                        retry_in: None,
                        no_valid_time: None,
                        check_ca: None,
                        token: None,
                        errno: None,
                    });
                }
                ClientEvent::Stop => {
                    if let Some(mut attempt) = open.take() {
                        attempt.events.push((ClientEvent::Stop, src.clone()));
                        attempt.end = End::Stopped(src);
                        attempt.end_ms = now_ms;
                        t.attempts.push(attempt);
                    } else {
                        warnings.push(Warning::at(
                            &src,
                            "`Provisioning stopped` without a start: the log begins \
                             mid-attempt; the partial attempt is left out",
                        ));
                    }
                }
                event => {
                    if let Some(attempt) = open.as_mut() {
                        attempt.events.push((*event, src));
                    } else if let (true, true, Some(last)) =
                        (held_results, is_result(*event), t.attempts.last_mut())
                    {
                        // Printed after STOP by this era: it belongs before the STOP.
                        let at = last.events.len().saturating_sub(1);
                        last.events.insert(at, (*event, src));
                    } else {
                        warnings.push(Warning::at(
                            &src,
                            format!("event {event} outside any attempt; left out"),
                        ));
                    }
                }
            },
            other => {
                let is_open = open.is_some();
                let target = match open.as_mut() {
                    Some(a) => Some(a),
                    None if held_results => t.attempts.last_mut(),
                    None => None,
                };
                let v29_open = log.era == Era::V2_9 && is_open;
                note(
                    &mut t.transport,
                    &mut t.time_obtained,
                    target,
                    other,
                    src,
                    v29_open,
                );
            }
        }
    }
    if let Some(attempt) = open {
        return Err(ImportError::Truncated {
            file: log.file.clone(),
            line: attempt.start.line,
        });
    }
    Ok(t)
}

/// Records a non-event happening in the timeline or in `attempt`.
fn note(
    transport: &mut Option<(Transport, Src)>,
    time_obtained: &mut Option<Src>,
    attempt: Option<&mut Attempt>,
    h: &Happening,
    src: Src,
    v29_open: bool,
) {
    let shown = match h {
        Happening::Request { transport: tr, .. }
        | Happening::Answer { transport: tr, .. }
        | Happening::Connected { transport: tr } => Some(*tr),
        Happening::Milestone(Milestone::CoapInit) => Some(Transport::Coap),
        _ => None,
    };
    if let (None, Some(tr)) = (&transport, shown) {
        *transport = Some((tr, src.clone()));
    }
    if time_obtained.is_none() && *h == Happening::Network(Network::TimeObtained) {
        *time_obtained = Some(src.clone());
    }
    let Some(a) = attempt else { return };
    match h {
        Happening::Request { request, .. } => a.exchanges.push(Exchange {
            request: *request,
            src,
            answer: None,
            empty: false,
        }),
        Happening::Answer {
            answer, records, ..
        } => {
            if let Some(x) = a.exchanges.iter_mut().rev().find(|x| x.answer.is_none()) {
                x.answer = Some((*answer, src));
                x.empty = *records == Some(0);
            }
        }
        Happening::Milestone(m) => match m {
            Milestone::Retry { timed_out } => a.retry = Some((*timed_out, src)),
            Milestone::RetryIn { in_s } => a.retry_in = Some((*in_s, src)),
            Milestone::NoValidTime { .. } => a.no_valid_time = Some(src),
            Milestone::CheckCa { sec_tag } => a.check_ca = Some((*sec_tag, src)),
            Milestone::TokenFollows => a.token = Some(src),
            _ => {}
        },
        Happening::LibraryError { errno } => a.errno = Some((*errno, src)),
        // v2.9 prints no NEED_LTE_* lines; the library's LTE handler shows them.
        Happening::Network(Network::Paused) if v29_open => {
            a.events.push((ClientEvent::NeedLteDeactivated, src));
        }
        Happening::Network(Network::Resumed { .. }) if v29_open => {
            let paused = a
                .events
                .iter()
                .rev()
                .find(|(e, _)| {
                    matches!(
                        e,
                        ClientEvent::NeedLteDeactivated | ClientEvent::NeedLteActivated
                    )
                })
                .is_some_and(|(e, _)| *e == ClientEvent::NeedLteDeactivated);
            if paused {
                a.events.push((ClientEvent::NeedLteActivated, src));
            }
        }
        _ => {}
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
