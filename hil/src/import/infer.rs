//! From the inputs to a [`Draft`]: the device (transport, client generation, settings the
//! log shows), its configuration (from the service history), and the owner's starting
//! state. The timeline's walk ([`super::walk`]) adds faults, steps and expectations.

use crate::decode::{ClientEvent, Era, Transport};

use super::at_trace::AtExchange;
use super::config;
use super::console::ConsoleLog;
use super::draft::{Draft, Item};
use super::history::HistoryCommand;
use super::source::Warning;
use super::timeline::Timeline;
use super::toml_text::quote;
use super::walk;

/// Everything an import reads.
#[derive(Debug, Clone, Copy)]
pub struct Sources<'a> {
    /// The console log.
    pub log: &'a ConsoleLog,
    /// Its timeline.
    pub timeline: &'a Timeline,
    /// The service history, if given.
    pub history: Option<&'a [HistoryCommand]>,
    /// The AT trace, if given.
    pub at_trace: Option<&'a [AtExchange]>,
    /// The scenario's name.
    pub name: &'a str,
    /// The device's name.
    pub device: &'a str,
}

/// The member the scenario's owner actions act as (the default `[service]` owner).
pub const OWNER: &str = "owner";

/// Builds the draft scenario.
pub fn infer(s: &Sources<'_>, mut warnings: Vec<Warning>) -> Draft {
    let mut d = Draft {
        name: s.name.to_owned(),
        device: s.device.to_owned(),
        ..Draft::default()
    };
    d.inputs
        .push(format!("{} (console, era {})", s.log.file, s.log.era));
    let t = s.timeline;
    device(s, &mut d, &mut warnings);
    let plan = configuration(s, &mut d, &mut warnings);
    walk::walk(s, &plan, &mut d, &mut warnings);
    d.description = describe(s);
    d.warnings = warnings;
    if t.attempts.is_empty() {
        d.warnings.push(Warning::general(format!(
            "{}: the log shows no provisioning attempt (no `Provisioning started`); the \
             scenario only sets the device up",
            s.log.file
        )));
    }
    d
}

/// A few lines of prose: what the log shows.
fn describe(s: &Sources<'_>) -> Vec<String> {
    let t = s.timeline;
    let mut out = vec![format!(
        "Imported from the field log {} (era {}): {} boot(s), {} provisioning attempt(s).",
        s.log.file,
        s.log.era,
        t.boots.len(),
        t.attempts.len()
    )];
    for (i, a) in t.attempts.iter().enumerate() {
        let outcome: Vec<String> = a
            .events
            .iter()
            .filter(|(e, _)| !matches!(e, ClientEvent::Start | ClientEvent::Stop))
            .map(|(e, _)| e.to_string())
            .collect();
        let end = match &a.end {
            super::timeline::End::Stopped(_) => "",
            super::timeline::End::Rebooted(_) => ", cut by a reboot",
        };
        out.push(format!(
            "Attempt {} ({}): {}{end}.",
            i + 1,
            a.start,
            if outcome.is_empty() {
                "no result".to_owned()
            } else {
                outcome.join(", ")
            }
        ));
    }
    out
}

/// `[[device]]` and `[device.client]` keys.
fn device(s: &Sources<'_>, d: &mut Draft, warnings: &mut Vec<Warning>) {
    let t = s.timeline;
    match &t.transport {
        Some((transport, src)) => {
            let name = match transport {
                Transport::Http => "http",
                Transport::Coap => "coap",
            };
            d.device_keys.push(Item::new(
                format!("transport = {}", quote(name)),
                src,
                format!("the {name} transport's log module"),
            ));
        }
        None => warnings.push(Warning::general(format!(
            "{}: no request in the log shows the transport; left at the default (http)",
            s.log.file
        ))),
    }
    // The generation follows the era: v2.9 has its own library, 3.0 and later the current.
    let (generation, why) = match s.log.era {
        Era::V2_9 => ("v2.9", "NCS v2.9 console (era [A])"),
        Era::V3_0 => ("current", "NCS 3.0 console (era [B]), the current library"),
        Era::Current => ("current", "NCS 3.1+ console (era [C])"),
    };
    let gen_item = format!("generation = {}", quote(generation));
    match &s.log.era_src {
        Some(src) => d.client_keys.push(Item::new(gen_item, src, why)),
        None => d.client_keys.push(Item::from_many(
            gen_item,
            Vec::new(),
            format!("{why}: chosen by the patterns that read the log (no boot banner)"),
        )),
    }
    if let Some((tag, src)) = t.attempts.iter().find_map(|a| a.check_ca.clone()) {
        d.client_keys.push(Item::new(
            format!("root_ca_sec_tag = {tag}"),
            &src,
            "`Please check the CA certificate stored in sectag`",
        ));
    }
    if let Some(src) = t.attempts.iter().find_map(|a| a.token.clone()) {
        d.client_keys.push(Item::new(
            "provide_attestation_token = true",
            &src,
            "the sample printed the attestation token",
        ));
    }
    if let Some((backoff, from)) = walk::first_backoff(t) {
        d.client_keys.push(Item::from_many(
            format!(
                "initial_backoff = {}",
                super::toml_text::duration_s(backoff)
            ),
            from,
            "the first retry after a failed attempt came this long after it",
        ));
    }
}

/// What the history says about the configuration and the owner's actions.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Whether the device is claimed when the run starts.
    pub claimed_at_start: bool,
    /// The first attempt that was not refused as unclaimed, when the device starts unclaimed
    /// and is claimed later.
    pub claim_before: Option<usize>,
    /// Configuration commands present at the start (`[[device.config]]`).
    pub initial: Vec<(HistoryCommand, Item)>,
    /// Commands added later (`add_command` steps).
    pub late: Vec<(HistoryCommand, Item)>,
    /// Commands the owner skipped.
    pub skipped: Vec<HistoryCommand>,
    /// The whole history, in order.
    pub commands: Vec<HistoryCommand>,
    /// Each command's deliveries, where the history counts them.
    pub deliveries: Vec<u64>,
}

impl Plan {
    /// Whether the history holds a failed or skipped command (the device was in ERROR).
    pub fn had_failure(&self) -> bool {
        self.commands
            .iter()
            .any(|c| c.status == "FAILED" || c.status == "SKIPPED")
    }

    /// Whether the configuration has a `finished` command.
    pub fn has_finished(&self) -> bool {
        self.commands.iter().any(|c| c.kind == "finished")
    }

    /// How many reports the history shows failed: a batch delivered again shows as several
    /// commands delivered more than once (a single one is a command whose records were split
    /// over two batches).
    pub fn failed_reports(&self) -> u64 {
        let again = self.deliveries.iter().filter(|d| **d > 1).count();
        if again < 2 {
            return 0;
        }
        self.deliveries
            .iter()
            .copied()
            .max()
            .map_or(0, |m| m.saturating_sub(1))
    }
}

/// Claim state and configuration from the history and the log.
fn configuration(s: &Sources<'_>, d: &mut Draft, warnings: &mut Vec<Warning>) -> Plan {
    let t = s.timeline;
    let mut plan = Plan::default();
    let unclaimed_first = t
        .attempts
        .first()
        .is_some_and(|a| a.has(ClientEvent::FailedDeviceNotClaimed));
    let claimed_later = t
        .attempts
        .iter()
        .position(|a| !a.has(ClientEvent::FailedDeviceNotClaimed));
    match (unclaimed_first, claimed_later) {
        (true, Some(i)) => {
            plan.claim_before = Some(i);
        }
        (true, None) => {
            if s.history.is_some_and(|h| !h.is_empty()) {
                warnings.push(Warning::general(
                    "the log shows the device refused as unclaimed in every attempt, yet a \
                     service history was given; the configuration is left out",
                ));
            }
        }
        (false, _) => {
            // The service answered a request of the device's without refusing it.
            let evidence = t.attempts.iter().find_map(|a| {
                a.exchanges
                    .iter()
                    .find_map(|x| x.answer.as_ref().map(|(_, src)| src.clone()))
            });
            if s.history.is_none() && evidence.is_none() {
                warnings.push(Warning::general(
                    "neither a service history nor an answer of the service shows whether the \
                     device was claimed; it is taken as claimed",
                ));
            }
            plan.claimed_at_start = true;
            let item = match (s.history.and_then(|h| h.first()), evidence) {
                (Some(c), _) => Item::new(
                    format!("claimed_by = {}", quote(OWNER)),
                    &c.src,
                    "the service has a configuration for it",
                ),
                (None, Some(src)) => Item::new(
                    format!("claimed_by = {}", quote(OWNER)),
                    &src,
                    "the service answered without refusing it as unclaimed",
                ),
                (None, None) => Item::from_many(
                    format!("claimed_by = {}", quote(OWNER)),
                    Vec::new(),
                    "assumed (see the warnings)",
                ),
            };
            d.device_keys.push(item);
        }
    }
    let Some(history) = s.history else {
        if plan.claimed_at_start && t.attempts.iter().any(|a| a.executed()) {
            warnings.push(Warning::general(
                "the device executed commands but no service history was given: the \
                 configuration is unknown and left empty; pass --service-history",
            ));
        }
        return plan;
    };
    plan.commands = history.to_vec();
    plan.deliveries = history.iter().filter_map(|c| c.deliveries).collect();
    if unclaimed_first && claimed_later.is_none() {
        return plan;
    }
    // A command created after an earlier one was answered was added later by the owner.
    let first_answer = |upto: usize| {
        history
            .iter()
            .take(upto)
            .filter_map(|c| c.responded_at.as_deref())
            .min()
            .map(str::to_owned)
    };
    for (index, c) in history.iter().enumerate() {
        let item = match config::request_item(c) {
            Ok(item) => item,
            Err(w) => {
                warnings.push(w);
                continue;
            }
        };
        if c.status == "SKIPPED" {
            plan.skipped.push(c.clone());
        }
        let late = match (first_answer(index), c.created_at.as_deref()) {
            (Some(answered), Some(created)) => created > answered.as_str(),
            _ => false,
        };
        if late || plan.claim_before.is_some() {
            plan.late.push((c.clone(), item));
        } else {
            plan.initial.push((c.clone(), item));
        }
    }
    if !plan.late.is_empty() && plan.claim_before.is_none() {
        let first = &plan.late[0].0;
        warnings.push(Warning::at(
            &first.src,
            format!(
                "command {} was created after earlier commands were answered: it is added by \
                 an `add_command` step after the first attempt that left the device waiting \
                 for more; check the place",
                first.position
            ),
        ));
    }
    if history.iter().any(|c| c.rule_id.is_some()) {
        warnings.push(Warning::general(
            "commands appended by provisioning rules are imported as the device's own \
             configuration (the history does not show the rules' tags)",
        ));
    }
    for (_, item) in &plan.initial {
        d.config.push(item.clone());
    }
    plan
}
