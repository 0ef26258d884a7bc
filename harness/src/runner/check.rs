//! Evaluating one expectation against an observation.

use std::ops::Range;

use crate::backend::{Capabilities, Capability};
use crate::observation::{DeviceObservation, ExchangeKind, Observation};
use crate::scenario::{ClientEvent, Expectation};

/// One compared part of an expectation: in [`Evaluation::mismatches`] when it does not
/// hold, in [`Evaluation::held`] when it does (the reports show both, with what was
/// observed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The part, e.g. `"dk1 commands"`.
    pub what: String,
    /// The span of the part's key in the scenario file.
    pub span: Range<usize>,
    /// What the scenario expects.
    pub expected: String,
    /// What the backend showed.
    pub observed: String,
}

/// One part of an expectation the backend cannot check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unchecked {
    /// The part.
    pub what: String,
    /// The span of the part's key.
    pub span: Range<usize>,
    /// Why.
    pub reason: String,
}

/// The verdict on one expectation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evaluation {
    /// Parts that do not hold.
    pub mismatches: Vec<Mismatch>,
    /// Parts that hold, with what was observed.
    pub held: Vec<Mismatch>,
    /// Parts that could not be checked.
    pub unchecked: Vec<Unchecked>,
}

impl Evaluation {
    /// Whether every checkable part holds.
    pub fn holds(&self) -> bool {
        self.mismatches.is_empty()
    }
}

fn names<T: ToString>(items: impl IntoIterator<Item = T>) -> String {
    let items: Vec<String> = items.into_iter().map(|i| i.to_string()).collect();
    format!("[{}]", items.join(", "))
}

struct Eval<'a> {
    device: &'a str,
    caps: &'a Capabilities,
    out: Evaluation,
}

impl Eval<'_> {
    fn mismatch(&mut self, part: &str, span: Range<usize>, expected: String, observed: String) {
        self.compare(false, part, span, expected, observed);
    }

    /// Records a compared part: a mismatch unless it `holds`.
    fn compare(
        &mut self,
        holds: bool,
        part: &str,
        span: Range<usize>,
        expected: String,
        observed: String,
    ) {
        let compared = Mismatch {
            what: format!("{} {part}", self.device),
            span,
            expected,
            observed,
        };
        if holds {
            self.out.held.push(compared);
        } else {
            self.out.mismatches.push(compared);
        }
    }

    /// Whether the backend can check `part`; records it as unchecked if not.
    fn can(&mut self, part: &str, span: Range<usize>, capability: Capability) -> bool {
        match self.caps.check(capability) {
            Ok(()) => true,
            Err(reason) => {
                self.out.unchecked.push(Unchecked {
                    what: format!("{} {part}", self.device),
                    span,
                    reason: format!("{capability} unavailable: {reason}"),
                });
                false
            }
        }
    }
}

/// Checks `expectation` about `device` against `observation`.
pub fn evaluate(
    expectation: &Expectation,
    device: &str,
    observation: &Observation,
    caps: &Capabilities,
) -> Evaluation {
    let mut e = Eval {
        device,
        caps,
        out: Evaluation::default(),
    };
    let Some(obs) = observation.devices.get(device) else {
        e.mismatch(
            "observation",
            0..0,
            "the backend to report the device".to_owned(),
            "no such device in the observation".to_owned(),
        );
        return e.out;
    };
    service_parts(&mut e, expectation, obs);
    event_parts(&mut e, expectation, obs);
    nvm_part(&mut e, expectation, obs);
    record_parts(&mut e, expectation, obs);
    e.out
}

fn service_parts(e: &mut Eval<'_>, x: &Expectation, obs: &DeviceObservation) {
    if let Some(claimed) = &x.claimed {
        e.compare(
            *claimed.get() == obs.claimed,
            "claimed",
            claimed.span(),
            claimed.get().to_string(),
            obs.claimed.to_string(),
        );
    }
    if let Some(status) = &x.status {
        let observed = obs
            .status
            .map_or_else(|| "no status (not claimed)".to_owned(), |s| s.to_string());
        e.compare(
            obs.status == Some(*status.get()),
            "status",
            status.span(),
            status.get().to_string(),
            observed,
        );
    }
    if let Some(commands) = &x.commands {
        e.compare(
            commands.get() == &obs.commands,
            "commands",
            commands.span(),
            names(commands.get()),
            names(&obs.commands),
        );
    }
    if let Some(map) = &x.command {
        for (key, expected) in map.get() {
            let Ok(position) = key.parse::<usize>() else {
                continue;
            };
            let observed = position
                .checked_sub(1)
                .and_then(|i| obs.commands.get(i))
                .copied();
            let holds = observed == Some(*expected);
            let observed = observed.map_or_else(
                || {
                    format!(
                        "no command {position} (the device has {})",
                        obs.commands.len()
                    )
                },
                |s| s.to_string(),
            );
            e.compare(
                holds,
                &format!("command {position}"),
                map.span(),
                expected.to_string(),
                observed,
            );
        }
    }
}

/// Where two event lists first part, told from each side: `first difference at event 4:
/// `DONE`` and `first difference at event 4: `FAILED`` (or `nothing more`).
fn first_difference(expected: &[ClientEvent], observed: &[ClientEvent]) -> (String, String) {
    let at = expected
        .iter()
        .zip(observed)
        .position(|(a, b)| a != b)
        .unwrap_or(expected.len().min(observed.len()));
    let side = |list: &[ClientEvent]| {
        let item = list
            .get(at)
            .map_or_else(|| "nothing more".to_owned(), |e| format!("`{e}`"));
        format!("first difference at event {}: {item}", at + 1)
    };
    (side(expected), side(observed))
}

fn event_parts(e: &mut Eval<'_>, x: &Expectation, obs: &DeviceObservation) {
    let seen: Vec<ClientEvent> = obs.events.iter().map(|o| o.event).collect();
    if let Some(events) = &x.events {
        // SCHEDULED_PROVISIONING only counts when the list names it: scheduled clients
        // emit it around every attempt, and most scenarios are about the attempts.
        let scheduled = ClientEvent::ScheduledProvisioning;
        let compared: Vec<ClientEvent> = if events.get().contains(&scheduled) {
            seen.clone()
        } else {
            seen.iter().copied().filter(|e| *e != scheduled).collect()
        };
        if e.can("events", events.span(), Capability::EventCapture) {
            if events.get() == &compared {
                let shown = names(&compared);
                e.compare(true, "events", events.span(), shown.clone(), shown);
            } else {
                let (expected_at, observed_at) = first_difference(events.get(), &compared);
                e.mismatch(
                    "events",
                    events.span(),
                    format!("{}; {expected_at}", names(events.get())),
                    format!("{}; {observed_at}", names(&compared)),
                );
            }
        }
    }
    if let Some(wanted) = &x.events_in_order {
        if e.can("events_in_order", wanted.span(), Capability::EventCapture) {
            // `matched`: how many observed events the earlier items used up.
            let mut matched = 0;
            let missing = wanted.get().iter().enumerate().find(|(_, w)| {
                match seen.iter().skip(matched).position(|s| s == *w) {
                    Some(at) => {
                        matched += at + 1;
                        false
                    }
                    None => true,
                }
            });
            if missing.is_none() {
                e.compare(
                    true,
                    "events_in_order",
                    wanted.span(),
                    format!("{} in this order", names(wanted.get())),
                    names(&seen),
                );
            }
            if let Some((index, event)) = missing {
                let next = seen
                    .get(matched)
                    .map_or_else(|| "nothing more".to_owned(), |s| format!("`{s}`"));
                e.mismatch(
                    "events_in_order",
                    wanted.span(),
                    format!(
                        "{} in this order (item {} `{event}` not found after the earlier ones)",
                        names(wanted.get()),
                        index + 1
                    ),
                    format!(
                        "{}; after the earlier items: event {} is {next}",
                        names(&seen),
                        matched + 1
                    ),
                );
            }
        }
    }
    if let Some(absent) = &x.events_absent {
        if e.can("events_absent", absent.span(), Capability::EventCapture) {
            let present: Vec<&ClientEvent> =
                absent.get().iter().filter(|a| seen.contains(a)).collect();
            let expected = format!("none of {}", names(absent.get()));
            if present.is_empty() {
                e.compare(true, "events_absent", absent.span(), expected, names(&seen));
            } else {
                e.mismatch(
                    "events_absent",
                    absent.span(),
                    expected,
                    format!("{} occurred in {}", names(present), names(&seen)),
                );
            }
        }
    }
}

fn nvm_part(e: &mut Eval<'_>, x: &Expectation, obs: &DeviceObservation) {
    let Some(nvm) = &x.nvm else {
        return;
    };
    if !e.can("nvm", nvm.span(), Capability::NvmInspection) {
        return;
    }
    let Some(listing) = &obs.nvm else {
        e.out.unchecked.push(Unchecked {
            what: format!("{} nvm", e.device),
            span: nvm.span(),
            reason: "the backend did not list the modem's credentials".to_owned(),
        });
        return;
    };
    let show = |entries: &[(u32, crate::scenario::CredentialType)]| {
        names(entries.iter().map(|(tag, kind)| format!("{tag}:{kind}")))
    };
    let missing: Vec<_> = nvm
        .has
        .iter()
        .filter(|c| !listing.contains(c))
        .copied()
        .collect();
    if missing.is_empty() {
        if !nvm.has.is_empty() {
            e.compare(true, "nvm has", nvm.span(), show(&nvm.has), show(listing));
        }
    } else {
        e.mismatch(
            "nvm has",
            nvm.span(),
            show(&nvm.has),
            format!("missing {} in {}", show(&missing), show(listing)),
        );
    }
    let extra: Vec<_> = nvm
        .lacks
        .iter()
        .filter(|c| listing.contains(c))
        .copied()
        .collect();
    if extra.is_empty() {
        if !nvm.lacks.is_empty() {
            let expected = format!("none of {}", show(&nvm.lacks));
            e.compare(true, "nvm lacks", nvm.span(), expected, show(listing));
        }
    } else {
        e.mismatch(
            "nvm lacks",
            nvm.span(),
            format!("none of {}", show(&nvm.lacks)),
            format!("present {} in {}", show(&extra), show(listing)),
        );
    }
}

fn record_parts(e: &mut Eval<'_>, x: &Expectation, obs: &DeviceObservation) {
    let Some(records) = &x.records else {
        return;
    };
    let span = records.span();
    if !e.can("records", span.clone(), Capability::RecordCapture) {
        return;
    }
    let count = |kind| obs.exchanges.iter().filter(|x| x.kind == kind).count() as u32;
    let fetches: Vec<_> = obs
        .exchanges
        .iter()
        .filter(|x| x.kind == ExchangeKind::Fetch)
        .collect();
    if let Some(expected) = records.fetches {
        let n = count(ExchangeKind::Fetch);
        let holds = expected.admits(n);
        e.compare(
            holds,
            "fetches",
            span.clone(),
            expected.to_string(),
            n.to_string(),
        );
    }
    if let Some(expected) = records.reports {
        let n = count(ExchangeKind::Report);
        let holds = expected.admits(n);
        e.compare(
            holds,
            "reports",
            span.clone(),
            expected.to_string(),
            n.to_string(),
        );
    }
    for delivered in &records.delivered {
        let position = *delivered.command.get();
        let n = fetches
            .iter()
            .filter(|f| f.records.iter().any(|r| r.command == Some(position)))
            .count() as u32;
        e.compare(
            delivered.times.admits(n),
            &format!("command {position} deliveries"),
            delivered.command.span(),
            delivered.times.to_string(),
            n.to_string(),
        );
    }
    if let Some(limit) = records.largest_batch {
        if let Some(biggest) = fetches.iter().map(|f| f.records.len()).max() {
            e.compare(
                biggest as u64 <= u64::from(limit),
                "largest batch",
                span.clone(),
                format!("at most {limit} records"),
                format!("{biggest} records"),
            );
        }
    }
    if let Some(limit) = records.largest_body {
        if let Some(biggest) = fetches.iter().map(|f| f.body_len).max() {
            e.compare(
                biggest as u64 <= u64::from(limit),
                "largest body",
                span,
                format!("at most {limit} bytes"),
                format!("{biggest} bytes"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ClientEvent::{Done, Failed, NeedLteActivated, Start, Stop};

    #[test]
    fn first_difference_names_both_sides() {
        let (e, o) = first_difference(
            &[Start, NeedLteActivated, Done, Stop],
            &[Start, NeedLteActivated, Failed, Stop],
        );
        assert_eq!(e, "first difference at event 3: `DONE`");
        assert_eq!(o, "first difference at event 3: `FAILED`");
        let (e, o) = first_difference(&[Start, Done, Stop], &[Start]);
        assert_eq!(e, "first difference at event 2: `DONE`");
        assert_eq!(o, "first difference at event 2: nothing more");
    }
}
