//! The walk over the field run's attempts: what started each one (a trigger, a retry, a
//! schedule), the owner's actions between them (claim, commands added later, skips), the
//! faults their failures show (service answers, handshakes, timeouts, power loss, missing
//! network time, CME errors), a `wait_until` on the events so far after each, and the final
//! expectations.

use crate::decode::{Answer, ClientEvent, Era, Request, Transport};

use super::at_trace::AtOutcome;
use super::config;
use super::draft::{Draft, Item};
use super::infer::{Plan, Sources, OWNER};
use super::source::{Src, Warning};
use super::timeline::{Attempt, End, Timeline};
use super::toml_text::{duration_s, quote};

/// The client's root CA sec tag when the log does not name one (the library's default).
const DEFAULT_ROOT_CA_SEC_TAG: u32 = 50;

/// How far a scheduled start may be from its announced time and still count as it.
const SCHEDULE_SLACK_MS: u64 = 1_500;

/// The first backoff: the gap between a failed attempt and the next one the client started
/// by itself (in seconds, with the two lines).
pub fn first_backoff(t: &Timeline) -> Option<(u64, Vec<Src>)> {
    t.attempts.windows(2).find_map(|w| {
        let (a, b) = (&w[0], &w[1]);
        let failed = a.has(ClientEvent::Failed) && b.trigger.is_none() && a.boot == b.boot;
        if !failed {
            return None;
        }
        if let Some((s, src)) = &a.retry_in {
            return Some((*s, vec![src.clone()]));
        }
        let gap = b.at_ms?.checked_sub(a.end_ms?)?;
        let stop = match &a.end {
            End::Stopped(src) => src.clone(),
            End::Rebooted(src) => src.clone(),
        };
        (gap >= 1_000).then(|| (gap.saturating_add(500) / 1_000, vec![stop, b.start.clone()]))
    })
}

/// Whether the client started `a` by itself: a retry after a failure, or the start a
/// `SCHEDULED_PROVISIONING` announced.
fn automatic(t: &Timeline, index: usize) -> Option<Src> {
    let a = &t.attempts[index];
    if a.trigger.is_some() {
        return None;
    }
    if index > 0 {
        let prev = &t.attempts[index - 1];
        let failed =
            prev.has(ClientEvent::Failed) || prev.retry.is_some() || prev.retry_in.is_some();
        if failed && prev.boot == a.boot && first_backoff(t).is_some() {
            return prev
                .line_of(ClientEvent::Failed)
                .cloned()
                .or(Some(prev.start.clone()));
        }
    }
    let start = a.at_ms?;
    t.scheduled
        .iter()
        .filter(|(_, src, _)| src.line < a.start.line)
        .filter(|(_, src, _)| index == 0 || src.line > t.attempts[index - 1].start.line)
        .find(|(s, _, at)| {
            at.is_some_and(|at| {
                at.saturating_add(s.saturating_mul(1_000)).abs_diff(start) <= SCHEDULE_SLACK_MS
            })
        })
        .map(|(_, src, _)| src.clone())
}

/// The state of the walk.
struct Walk<'a> {
    s: &'a Sources<'a>,
    plan: &'a Plan,
    era: Era,
    coap: bool,
    fetches: u32,
    reports: u32,
    handshakes: u32,
    batches: u32,
    events: Vec<(ClientEvent, Src)>,
    reports_to_fail: u64,
    done_seen: bool,
    error_active: bool,
    late_added: bool,
    skips_done: bool,
    claimed: bool,
    wrong_ca_credential: bool,
    /// The last attempt without network time, when later ones had it.
    time_back_after: Option<usize>,
    /// The first attempt without network time, when earlier ones had it.
    time_gone_before: Option<usize>,
}

/// Walks the attempts, adding faults, steps and expectations to `d`.
pub fn walk(s: &Sources<'_>, plan: &Plan, d: &mut Draft, warnings: &mut Vec<Warning>) {
    let t = s.timeline;
    let coap = matches!(t.transport, Some((Transport::Coap, _)));
    // Every attempt that tried to connect failed on the root CA: the device's CA is wrong.
    let connecting: Vec<&Attempt> = t
        .attempts
        .iter()
        .filter(|a| !a.exchanges.is_empty())
        .collect();
    let wrong_ca_credential = !connecting.is_empty()
        && connecting
            .iter()
            .all(|a| a.has(ClientEvent::FailedWrongRootCa));
    let mut w = Walk {
        s,
        plan,
        era: s.log.era,
        coap,
        fetches: 0,
        reports: 0,
        handshakes: 0,
        batches: 0,
        events: Vec::new(),
        reports_to_fail: plan.failed_reports(),
        done_seen: false,
        error_active: false,
        late_added: false,
        skips_done: false,
        claimed: plan.claimed_at_start,
        wrong_ca_credential,
        time_back_after: None,
        time_gone_before: None,
    };
    if wrong_ca_credential {
        let a = connecting[0];
        let (tag, src) = a.check_ca.clone().unwrap_or((
            42,
            a.line_of(ClientEvent::FailedWrongRootCa)
                .cloned()
                .unwrap_or(a.start.clone()),
        ));
        d.device_keys.push(Item::new(
            format!(
                "credentials = [{{ sec_tag = {tag}, type = \"root_ca\", content = \"@untrusted-root-ca\" }}]"
            ),
            &src,
            "every connection failed on the root CA: the device holds a CA that did not sign \
             the service's certificate (a lab placeholder)",
        ));
        if a.check_ca.is_none() {
            warnings.push(Warning::at(
                &src,
                format!(
                    "the log does not name the root CA's sec tag; the client's default \
                     ({DEFAULT_ROOT_CA_SEC_TAG}) is assumed"
                ),
            ));
        }
    }
    network_time(&mut w, d, warnings);
    for index in 0..t.attempts.len() {
        w.before(index, d, warnings);
        w.start(index, d, warnings);
        let faults = d.faults.len();
        w.exchanges(index, d, warnings);
        unexplained(&w, index, d.faults.len() > faults, warnings);
        w.end(index, d, warnings);
    }
    // Owner actions after the last attempt still belong to the run (the history shows them).
    w.owner_actions(t.attempts.len(), d, warnings);
    cme_faults(&mut w, d, warnings);
    w.expectations(d, warnings);
}

/// `network_time = false` (every attempt failed for want of it) or a fault switched around
/// the attempts that did.
fn network_time(w: &mut Walk<'_>, d: &mut Draft, warnings: &mut Vec<Warning>) {
    let t = w.s.timeline;
    let lacking: Vec<&Attempt> = t.attempts.iter().filter(|a| no_time(w.era, a)).collect();
    let Some(first) = lacking.first() else {
        if let Some(src) = &t.time_obtained {
            d.device_keys.push(Item::new(
                "network_time = true",
                src,
                "`Network time obtained`",
            ));
        }
        return;
    };
    let src = first
        .no_valid_time
        .clone()
        .or_else(|| first.line_of(ClientEvent::FailedNoValidDatetime).cloned())
        .or_else(|| first.line_of(ClientEvent::Failed).cloned())
        .unwrap_or_else(|| first.start.clone());
    if lacking.len() == t.attempts.len() {
        d.device_keys.push(Item::new(
            "network_time = false",
            &src,
            "every attempt failed for want of a valid date and time",
        ));
    } else {
        warnings.push(Warning::at(
            &src,
            "some attempts failed for want of network time and others did not: network time \
             is absent from the start until the last such attempt (a `network_time` fault)",
        ));
        let first_index = t.attempts.iter().position(|a| no_time(w.era, a));
        let later = first_index.filter(|i| *i > 0);
        d.faults.push(Item::new(
            if later.is_some() {
                "name = \"no-network-time\"\nactive = false\nnetwork_time = \"absent\""
            } else {
                "name = \"no-network-time\"\nnetwork_time = \"absent\""
            },
            &src,
            "no valid date and time in some attempts",
        ));
        w.time_gone_before = later;
        w.time_back_after = t.attempts.iter().rposition(|a| no_time(w.era, a));
    }
    if w.era == Era::V2_9 {
        warnings.push(Warning::at(
            &src,
            "v2.9 prints a missing date and time as a plain failure (`Provisioning failed, \
             error: -110` before any request); taken as FAILED_NO_VALID_DATETIME",
        ));
    }
}

/// Warns about a failure of attempt `index` that no inferred fault or state explains.
fn unexplained(w: &Walk<'_>, index: usize, fault_added: bool, warnings: &mut Vec<Warning>) {
    let a = &w.s.timeline.attempts[index];
    if fault_added || no_time(w.era, a) {
        return;
    }
    if let Some(src) = a.line_of(ClientEvent::FailedTooManyCommands) {
        warnings.push(Warning::at(
            src,
            "FAILED_TOO_MANY_COMMANDS: the batch did not fit the device (records or RX \
             buffer); the field's CONFIG_NRF_PROVISIONING_CBOR_RECORDS / RX buffer size are \
             not in the log; set `records_limit` or `rx_buf_size` in [device.client]",
        ));
    }
    if let Some(src) = a.line_of(ClientEvent::FatalError) {
        warnings.push(Warning::at(
            src,
            "FATAL_ERROR: no fault the scenario format has explains it; not reproduced",
        ));
    }
    if let Some(src) = a.line_of(ClientEvent::Failed) {
        let errno = a
            .errno
            .as_ref()
            .map(|(e, _)| format!(" (error {e})"))
            .unwrap_or_default();
        warnings.push(Warning::at(
            src,
            format!(
                "FAILED{errno} with no answer or timeout in the log that explains it; no fault \
                 is inferred for it"
            ),
        ));
    }
}

/// Whether `a` failed for want of network time.
fn no_time(era: Era, a: &Attempt) -> bool {
    a.no_valid_time.is_some()
        || a.has(ClientEvent::FailedNoValidDatetime)
        || (era == Era::V2_9 && a.has(ClientEvent::Failed) && a.exchanges.is_empty())
}

/// Modem faults for the commands the history shows failed with a CME error (the AT trace,
/// when given, names the exact command and the occurrence).
fn cme_faults(w: &mut Walk<'_>, d: &mut Draft, warnings: &mut Vec<Warning>) {
    if let Some(trace) = w.s.at_trace {
        let mut seen: Vec<(String, String)> = Vec::new();
        for x in trace {
            let key = (x.command.clone(), x.params.clone());
            let nth = seen.iter().filter(|k| **k == key).count() + 1;
            seen.push(key);
            let action = match x.outcome {
                AtOutcome::Cme(code) => format!("{{ cme = {code} }}"),
                AtOutcome::Error => "\"error\"".to_owned(),
                AtOutcome::Ok | AtOutcome::Unanswered => continue,
            };
            let name = format!("at-failure-{}", d.faults.len() + 1);
            let mut from = vec![x.src.clone()];
            from.extend(x.answer_src.clone());
            d.faults.push(Item::from_many(
                format!(
                    "name = {}\nmodem = {{ command = {}, params = {}, nth = {nth}, action = {action} }}",
                    quote(&name),
                    quote(&x.command),
                    quote(&x.params)
                ),
                from,
                "the modem refused this command in the AT trace",
            ));
        }
        return;
    }
    let commands = &w.plan.commands;
    for c in commands {
        if c.status != "FAILED" && c.status != "SKIPPED" {
            continue;
        }
        let Some(code) = c.cme_error else {
            warnings.push(Warning::at(
                &c.src,
                format!(
                    "command {} {} without a CME error in its response{}: no fault is \
                     inferred; add one by hand",
                    c.position,
                    c.status,
                    c.message
                        .as_deref()
                        .map(|m| format!(" (`{m}`)"))
                        .unwrap_or_default()
                ),
            ));
            continue;
        };
        let Some((command, params)) = config::at_command(c) else {
            warnings.push(Warning::at(
                &c.src,
                format!(
                    "command {} ({}) failed with CME {code} but does not run on the modem; \
                     no fault is inferred",
                    c.position, c.kind
                ),
            ));
            continue;
        };
        let earlier = commands
            .iter()
            .take(c.position - 1)
            .filter(|o| config::at_command(o).as_ref() == Some(&(command.clone(), params.clone())))
            .count();
        if c.kind != "atCommand" {
            warnings.push(Warning::at(
                &c.src,
                format!(
                    "command {} ({}) runs more than one AT command; the CME {code} is put on \
                     `{command}` — an AT trace would say which one failed",
                    c.position, c.kind
                ),
            ));
        }
        d.faults.push(Item::new(
            format!(
                "name = \"cme-{code}-on-command-{}\"\nmodem = {{ command = {}, params = {}, nth = {}, action = {{ cme = {code} }} }}",
                c.position,
                quote(&command),
                quote(&params),
                earlier + 1
            ),
            &c.src,
            format!("command {} answered +CME ERROR: {code} on the device", c.position),
        ));
    }
}

impl Walk<'_> {
    fn log_src(&self, line: usize) -> Src {
        self.s.log.src(line)
    }

    /// Owner actions due before attempt `index` (or after the last one).
    fn owner_actions(&mut self, index: usize, d: &mut Draft, warnings: &mut Vec<Warning>) {
        let device = self.s.device;
        let t = self.s.timeline;
        let at = t
            .attempts
            .get(index)
            .map(|a| a.start.clone())
            .or_else(|| t.attempts.last().map(|a| a.start.clone()));
        if !self.claimed && self.plan.claim_before == Some(index) {
            self.claimed = true;
            let src = at.clone().unwrap_or_else(|| self.log_src(1));
            d.steps.push(Item::new(
                format!(
                    "claim = {{ device = {}, by = {} }}",
                    quote(device),
                    quote(OWNER)
                ),
                &src,
                "refused as unclaimed before, served from here on: the owner claimed it",
            ));
            self.add_late(d, &src);
        }
        // Commands created after others were answered: added when the device sat waiting.
        if self.claimed && !self.late_added && !self.plan.late.is_empty() && index > 0 {
            let prev = &t.attempts[index - 1];
            if prev.executed() && !prev.has(ClientEvent::Done) {
                let src = prev.start.clone();
                self.add_late(d, &src);
            }
        }
        if !self.skips_done && self.error_active && !self.plan.skipped.is_empty() {
            self.skips_done = true;
            self.error_active = false;
            for c in &self.plan.skipped {
                d.steps.push(Item::new(
                    format!(
                        "skip = {{ device = {}, command = {}, by = {} }}",
                        quote(device),
                        c.position,
                        quote(OWNER)
                    ),
                    &c.src,
                    format!(
                        "the history shows command {} SKIPPED: the owner skipped it after it \
                         failed",
                        c.position
                    ),
                ));
            }
        }
        let _ = warnings;
    }

    fn add_late(&mut self, d: &mut Draft, _after: &Src) {
        if self.late_added {
            return;
        }
        self.late_added = true;
        for (c, item) in &self.plan.late {
            d.steps.push(Item::new(
                format!(
                    "add_command = {{ device = {}, {}, by = {} }}",
                    quote(self.s.device),
                    config::inline_request(item),
                    quote(OWNER)
                ),
                &c.src,
                format!("{} (added by the owner during the run)", item.note),
            ));
        }
    }

    /// Reboots and owner actions before attempt `index`.
    fn before(&mut self, index: usize, d: &mut Draft, warnings: &mut Vec<Warning>) {
        let t = self.s.timeline;
        let a = &t.attempts[index];
        let prev = index.checked_sub(1).map(|i| &t.attempts[i]);
        for boot in t.boots.iter().skip(1) {
            let after_prev = prev.is_none_or(|p| boot.src.line > p.start.line);
            if !after_prev || boot.src.line > a.start.line {
                continue;
            }
            let cut = prev.is_some_and(|p| p.end == End::Rebooted(boot.src.clone()));
            let natural = self.era == Era::V2_9 && prev.is_some_and(|p| p.has(ClientEvent::Done));
            if cut || natural {
                continue;
            }
            d.steps.push(Item::new(
                format!("power_cycle = {{ device = {} }}", quote(self.s.device)),
                &boot.src,
                "the device booted again between attempts",
            ));
        }
        self.owner_actions(index, d, warnings);
        if self.time_gone_before == Some(index) {
            d.steps.push(Item::new(
                "fault_on = \"no-network-time\"",
                &a.start,
                "the first attempt without network time",
            ));
        }
    }

    /// The step that starts attempt `index`, if the client did not start it itself.
    fn start(&mut self, index: usize, d: &mut Draft, warnings: &mut Vec<Warning>) {
        let t = self.s.timeline;
        let a = &t.attempts[index];
        if let Some(src) = automatic(t, index) {
            let _ = src;
            return;
        }
        let prev_end = index
            .checked_sub(1)
            .and_then(|i| t.attempts[i].end_ms)
            .filter(|_| index > 0 && t.attempts[index - 1].boot == a.boot);
        if let (Some(end), Some(start)) = (prev_end, a.at_ms) {
            let gap_s = start.saturating_sub(end) / 1_000;
            if gap_s >= 5 {
                d.steps.push(Item::from_many(
                    format!("advance = {}", duration_s(gap_s)),
                    vec![
                        self.log_src(t.attempts[index - 1].start.line),
                        a.start.clone(),
                    ],
                    "the time between the attempts",
                ));
            }
        }
        let (from, note) = match &a.trigger {
            Some(src) => (src.clone(), "triggered (`nrf_provisioning now`)".to_owned()),
            None => {
                if self.era != Era::Current {
                    warnings.push(Warning::at(
                        &a.start,
                        "no trigger line and no schedule or retry explains this attempt; \
                         taken as triggered",
                    ));
                }
                (
                    a.start.clone(),
                    "neither a schedule nor a retry explains this start: taken as \
                     `nrf_provisioning now` (the current sample does not log the trigger)"
                        .to_owned(),
                )
            }
        };
        d.steps.push(Item::new(
            format!("trigger = {}", quote(self.s.device)),
            &from,
            note,
        ));
    }

    /// Faults the attempt's requests and answers show.
    fn exchanges(&mut self, index: usize, d: &mut Draft, warnings: &mut Vec<Warning>) {
        let a = &self.s.timeline.attempts[index];
        let wrong_ca = a.has(ClientEvent::FailedWrongRootCa);
        let not_claimed = a.has(ClientEvent::FailedDeviceNotClaimed);
        let mut reported_before = false;
        for (i, x) in a.exchanges.iter().enumerate() {
            let last = i + 1 == a.exchanges.len();
            match x.request {
                Request::Connect => {
                    self.handshakes += 1;
                    if wrong_ca && last && !self.wrong_ca_credential {
                        self.handshake_fault(d, &x.src, a);
                    }
                }
                Request::FetchCommands => {
                    if !self.coap {
                        self.handshakes += 1;
                    }
                    match x.answer {
                        None if wrong_ca => {
                            if !self.wrong_ca_credential && !self.coap {
                                self.handshake_fault(d, &x.src, a);
                            }
                        }
                        None => {
                            self.fetches += 1;
                            let timed_out = a.retry.as_ref().is_some_and(|(t, _)| *t)
                                || a.errno.as_ref().is_some_and(|(e, _)| *e == -110);
                            if timed_out {
                                self.service_fault(
                                    d,
                                    "fetch",
                                    self.fetches,
                                    "\"silence\"",
                                    &x.src,
                                    "the fetch got no answer: the attempt timed out",
                                );
                            } else if last && !a.has(ClientEvent::Done) {
                                warnings.push(Warning::at(
                                    &x.src,
                                    "the log shows no answer to this fetch and no reason; no \
                                     fault is inferred",
                                ));
                            }
                        }
                        Some((answer, ref src)) => {
                            self.fetches += 1;
                            self.fetch_answer(
                                d,
                                warnings,
                                a,
                                answer,
                                src,
                                x.empty,
                                not_claimed,
                                reported_before,
                            );
                        }
                    }
                }
                Request::SendResponses => {
                    if !self.coap {
                        self.handshakes += 1;
                    }
                    self.reports += 1;
                    reported_before = true;
                    let next = a.exchanges.get(i + 1);
                    let redelivered = next.is_some_and(|n| {
                        n.request == Request::FetchCommands
                            && !n.empty
                            && matches!(
                                n.answer,
                                Some((Answer::Http(200) | Answer::Coap { class: 2, .. }, _))
                            )
                    });
                    let resent = next.is_some_and(|n| n.request == Request::SendResponses);
                    if let Some((answer, src)) = &x.answer {
                        if !matches!(
                            answer,
                            Answer::Http(200..=299) | Answer::Coap { class: 2, .. }
                        ) {
                            let text = answer_toml(*answer);
                            self.service_fault(
                                d,
                                "report",
                                self.reports,
                                &text,
                                src,
                                "the service refused the report",
                            );
                            continue;
                        }
                    }
                    if resent {
                        let lost = self.reports_to_fail == 0;
                        let (answer, why) = if lost {
                            ("\"lost\"", "the report was sent again: its answer never arrived (the history shows each command delivered once, so the service had recorded it)")
                        } else {
                            self.reports_to_fail -= 1;
                            ("\"silence\"", "the report was sent again: no answer came (the history shows commands delivered again)")
                        };
                        self.service_fault(d, "report", self.reports, answer, &x.src, why);
                    } else if redelivered && self.reports_to_fail > 0 {
                        self.reports_to_fail -= 1;
                        let answer = if self.coap {
                            "{ coap = \"5.00\" }"
                        } else {
                            "{ http = 500 }"
                        };
                        self.service_fault(d, "report", self.reports, answer, &x.src, "the device fetched the same batch again after this report: the history shows the commands delivered more than once, so the report failed");
                        warnings.push(Warning::at(
                            &x.src,
                            "the console does not print the report's answer; an error answer \
                             (500) is assumed",
                        ));
                    }
                }
            }
        }
        if a.reports().next().is_some() && self.plan.had_failure() && !a.has(ClientEvent::Done) {
            self.error_active = true;
        }
        if a.has(ClientEvent::Done) {
            self.done_seen = true;
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn fetch_answer(
        &mut self,
        d: &mut Draft,
        warnings: &mut Vec<Warning>,
        a: &Attempt,
        answer: Answer,
        src: &Src,
        empty: bool,
        not_claimed: bool,
        reported_before: bool,
    ) {
        let ok = matches!(
            answer,
            Answer::Http(200 | 204) | Answer::Coap { class: 2, .. }
        );
        if ok && !empty {
            self.batches += 1;
            return;
        }
        if ok && empty {
            // Explained: provisioned, in ERROR after a reported failure, or waiting for
            // commands the owner adds later (or no `finished` at all).
            let awaiting = (!self.plan.has_finished()
                || (!self.late_added && !self.plan.late.is_empty()))
                && self.batches > 0;
            let error = self.error_active || (reported_before && self.plan.had_failure());
            let no_config = self.plan.commands.is_empty() && self.s.history.is_some();
            if self.done_seen || error || awaiting || no_config {
                return;
            }
            if self.s.history.is_none() {
                return;
            }
            let forced = if self.coap {
                "{ coap = \"2.05\" }"
            } else {
                "{ http = 204 }"
            };
            self.service_fault(
                d,
                "fetch",
                self.fetches,
                forced,
                src,
                "the service answered `no commands` although the history has commands to \
                 deliver: the device was probably BLOCKED then (or its commands came later)",
            );
            warnings.push(Warning::at(
                src,
                "`no commands` while the history has deliverable commands: reproduced by a \
                 forced answer; if the owner blocked the device, a `block`/`unblock` step pair \
                 states it better",
            ));
            return;
        }
        let refused = matches!(
            answer,
            Answer::Http(401 | 403)
                | Answer::Coap {
                    class: 4,
                    detail: Some(1 | 3)
                }
        );
        if not_claimed && refused {
            return;
        }
        let _ = a;
        let text = answer_toml(answer);
        if let Answer::Coap { detail: None, .. } = answer {
            warnings.push(Warning::at(
                src,
                "the CoAP log names only the class of the code (`Internal error`); 5.00 is used",
            ));
        }
        self.service_fault(
            d,
            "fetch",
            self.fetches,
            &text,
            src,
            "the service's answer to the fetch",
        );
    }

    fn handshake_fault(&mut self, d: &mut Draft, src: &Src, a: &Attempt) {
        let name = format!("handshake-{}", self.handshakes);
        let from = a
            .line_of(ClientEvent::FailedWrongRootCa)
            .cloned()
            .unwrap_or_else(|| src.clone());
        d.faults.push(Item::from_many(
            format!(
                "name = {}\nhandshake = {{ nth = {} }}",
                quote(&name),
                self.handshakes
            ),
            vec![src.clone(), from],
            "this connection failed on the root CA (FAILED_WRONG_ROOT_CA) while others \
             succeeded: a failed handshake",
        ));
    }

    fn service_fault(
        &mut self,
        d: &mut Draft,
        request: &str,
        nth: u32,
        answer: &str,
        src: &Src,
        why: &str,
    ) {
        // Consecutive identical faults on consecutive requests become one with `times`.
        let name = format!("{request}-{nth}");
        d.faults.push(Item::new(
            format!(
                "name = {}\nservice = {{ request = {}, nth = {nth}, answer = {answer} }}",
                quote(&name),
                quote(request)
            ),
            src,
            why,
        ));
    }

    /// A reboot that cut the attempt, and the `wait_until` on the events so far.
    fn end(&mut self, index: usize, d: &mut Draft, warnings: &mut Vec<Warning>) {
        let t = self.s.timeline;
        let a = &t.attempts[index];
        if let End::Rebooted(boot) = &a.end {
            let reported_after_batch = a
                .exchanges
                .iter()
                .rev()
                .take_while(|x| x.request != Request::FetchCommands || x.empty)
                .any(|x| x.request == Request::SendResponses);
            let executing = a.has(ClientEvent::NeedLteDeactivated) || self.era == Era::V2_9;
            if a.executed() && !reported_after_batch && executing {
                d.faults.push(Item::from_many(
                    format!(
                        "name = \"power-loss-{}\"\npower_cut = {{ at = \"before_report\", nth = {} }}",
                        index + 1,
                        self.batches
                    ),
                    vec![a.start.clone(), boot.clone()],
                    "the device executed the batch and booted again before reporting it",
                ));
                warnings.push(Warning::at(
                    boot,
                    "how long the power was off is not in the log; the device comes back at \
                     once",
                ));
            } else if a.executed() && !reported_after_batch {
                d.faults.push(Item::from_many(
                    format!(
                        "name = \"power-loss-{}\"\npower_cut = {{ at = \"after_fetch\", nth = {} }}",
                        index + 1,
                        self.batches
                    ),
                    vec![a.start.clone(), boot.clone()],
                    "the device booted again after fetching commands, before executing them",
                ));
            } else {
                warnings.push(Warning::at(
                    boot,
                    "the device booted again in the middle of an attempt at a point no fault \
                     names (before any command was fetched); not reproduced",
                ));
            }
        }
        for (event, src) in &a.events {
            self.events.push((*event, src.clone()));
        }
        let within = self.within(index);
        let events = self.event_list(false);
        let key = if self.era == Era::V2_9 {
            "events_in_order"
        } else {
            "events"
        };
        let last = a
            .events
            .last()
            .map_or_else(|| a.start.clone(), |(_, s)| s.clone());
        d.steps.push(Item::from_many(
            format!(
                "wait_until = {{ {key} = [{}], within = {} }}",
                events.join(", "),
                duration_s(within)
            ),
            vec![a.start.clone(), last],
            format!("attempt {} ends: the client's events so far", index + 1),
        ));
        if self.time_back_after == Some(index) {
            let src = a.start.clone();
            d.steps.push(Item::new(
                "fault_off = \"no-network-time\"",
                &src,
                "the last attempt without network time; the later ones had it",
            ));
        }
    }

    /// The events so far as quoted names, in the client's order (v2.9: those it prints).
    fn event_list(&self, _final: bool) -> Vec<String> {
        self.events
            .iter()
            .filter(|(e, _)| *e != ClientEvent::ScheduledProvisioning)
            .map(|(e, _)| {
                let e = if self.era == Era::V2_9
                    && *e == ClientEvent::Failed
                    && self
                        .s
                        .timeline
                        .attempts
                        .iter()
                        .any(|a| no_time(self.era, a) && a.has(ClientEvent::Failed))
                {
                    ClientEvent::FailedNoValidDatetime
                } else {
                    *e
                };
                quote(&e.to_string())
            })
            .collect()
    }

    /// How long to wait for attempt `index` to end, in seconds.
    fn within(&self, index: usize) -> u64 {
        let t = self.s.timeline;
        let a = &t.attempts[index];
        let from = index
            .checked_sub(1)
            .and_then(|i| t.attempts[i].end_ms)
            .or(Some(0));
        let span = match (from, a.end_ms.or(a.at_ms)) {
            (Some(f), Some(e)) if e >= f => (e - f) / 1_000,
            _ => 60,
        };
        span.saturating_mul(2).saturating_add(60).max(120)
    }

    /// The final expectations: the events, the commands' statuses, the claim.
    fn expectations(&mut self, d: &mut Draft, warnings: &mut Vec<Warning>) {
        let t = self.s.timeline;
        if t.attempts.is_empty() {
            d.expect.push(Item::from_many(
                "events = []",
                Vec::new(),
                "the log shows no attempt",
            ));
        } else {
            let key = if self.era == Era::V2_9 {
                "events_in_order"
            } else {
                "events"
            };
            let names = self.event_list(true);
            let mut text = format!("{key} = [\n");
            for (name, (_, src)) in names.iter().zip(
                self.events
                    .iter()
                    .filter(|(e, _)| *e != ClientEvent::ScheduledProvisioning),
            ) {
                text.push_str(&format!("  {name},  # {src}\n"));
            }
            text.push(']');
            let note = if self.era == Era::V2_9 {
                "the client's events as the log shows them (v2.9 prints no NO_COMMANDS or \
                 NEED_LTE_* lines, so they are compared as a subsequence)"
            } else {
                "the client's events as the log shows them, in the client's order"
            };
            d.expect.push(Item::from_many(text, Vec::new(), note));
        }
        if let (Some(history), true) = (self.s.history, self.claimed) {
            if let Some(first) = history.first() {
                let statuses: Vec<String> = history.iter().map(|c| quote(&c.status)).collect();
                d.expect.push(Item::new(
                    format!("commands = [{}]", statuses.join(", ")),
                    &first.src,
                    "every command's final status in the service history",
                ));
            }
        }
        if let Some(last) = t.attempts.last() {
            let claimed = !last.has(ClientEvent::FailedDeviceNotClaimed);
            d.expect.push(Item::new(
                format!("claimed = {claimed}"),
                &last.start,
                if claimed {
                    "the service served the last attempt"
                } else {
                    "the last attempt was refused as unclaimed"
                },
            ));
            let all_done = self
                .plan
                .commands
                .iter()
                .all(|c| c.status == "SUCCEEDED" || c.status == "SKIPPED");
            if claimed && last.has(ClientEvent::Done) && all_done && self.plan.has_finished() {
                let src = last
                    .line_of(ClientEvent::Done)
                    .cloned()
                    .unwrap_or(last.start.clone());
                d.expect.push(Item::new(
                    "status = \"PROVISIONED\"",
                    &src,
                    "DONE, and every command answered",
                ));
            } else if let (true, Some(c)) = (
                claimed,
                self.plan.commands.iter().find(|c| c.status == "FAILED"),
            ) {
                d.expect.push(Item::new(
                    "status = \"ERROR\"",
                    &c.src,
                    format!(
                        "command {} FAILED, and no owner action after it",
                        c.position
                    ),
                ));
            } else if claimed
                && all_done
                && !self.plan.commands.is_empty()
                && !self.plan.has_finished()
            {
                d.expect.push(Item::new(
                    "status = \"AWAITING\"",
                    &last.start,
                    "every command answered, no `finished` in the history",
                ));
            }
        }
        let _ = warnings;
    }
}

/// A service fault's `answer` for a status the log shows.
fn answer_toml(answer: Answer) -> String {
    match answer {
        Answer::Http(0) => "\"close\"".to_owned(),
        Answer::Http(status) => format!("{{ http = {status} }}"),
        Answer::Coap { class, detail } => {
            format!("{{ coap = \"{class}.{:02}\" }}", detail.unwrap_or(0))
        }
    }
}
