//! Timeline comparison: two runs of one scenario (simulation and HIL, simulation and a field
//! log, two firmware eras, two seeds), aligned on their protocol events and reported as
//! drift.
//!
//! Sans-IO and deterministic: [`compare`] takes two [`Transcript`]s and returns a
//! [`DriftReport`]; the renderers turn that into text, JSON or a self-contained HTML page.
//!
//! 1. [`normalise()`] turns each transcript into protocol events (client events, device
//!    requests with their answers and records, AT commands and results, owner calls,
//!    service notes, faults), each with a key free of times, ids and era wording.
//!    Only the scenario's timeline is compared: what a backend recorded while the
//!    expectations were checked is left out.
//! 2. Categories only one side shows (a HIL transcript has no AT commands) are left out and
//!    listed as not compared.
//! 3. Within each stream (a device, or `owner`) and category, the keys are aligned with a
//!    longest common subsequence ([`align`]); what is left over on both sides with the same
//!    key is an order change, the rest missing (A only) or extra (B only).
//! 4. Aligned events are checked for different answers, and, for client events and device
//!    requests, for the time since the previous aligned event differing by more than the
//!    tolerance (a ratio, gaps under `min_gap_ms` on both sides ignored).

pub mod align;
pub mod drift;
pub mod input;
pub mod normalise;
pub mod render;

use std::collections::BTreeMap;

pub use drift::{Drift, DriftKind, DriftReport, NotCompared, Row, Seen, Side, Verdict};
pub use input::{parse_transcript, read_transcript, ReadError, SavedTranscript};
pub use normalise::{normalise, Category, ProtocolEvent};

use crate::transcript::Transcript;
use align::Pair;

/// How to compare.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareOptions {
    /// What side A is called in the report (`sim`, a file name).
    pub a_label: String,
    /// What side B is called.
    pub b_label: String,
    /// The scenario's name, if known.
    pub scenario: Option<String>,
    /// The largest accepted ratio between the two sides' gaps since the previous common
    /// event (2.0: one side may take up to twice as long).
    pub time_tolerance: f64,
    /// Gaps shorter than this on both sides are not checked (milliseconds): the runners'
    /// polling and the virtual time's instants make short gaps noise.
    pub min_gap_ms: u64,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            a_label: "A".to_owned(),
            b_label: "B".to_owned(),
            scenario: None,
            time_tolerance: 2.0,
            min_gap_ms: 1000,
        }
    }
}

/// Compares run `a` (the reference) with run `b`.
pub fn compare(a: &Transcript, b: &Transcript, options: &CompareOptions) -> DriftReport {
    let events_a = normalise(a);
    let events_b = normalise(b);
    let mut compared = Vec::new();
    let mut not_compared = Vec::new();
    for category in Category::ALL {
        let in_a = events_a.iter().filter(|e| e.category == category).count();
        let in_b = events_b.iter().filter(|e| e.category == category).count();
        match (in_a, in_b) {
            (0, 0) => {}
            (n, 0) => not_compared.push(NotCompared {
                category,
                only_in: "A".to_owned(),
                events: n,
            }),
            (0, n) => not_compared.push(NotCompared {
                category,
                only_in: "B".to_owned(),
                events: n,
            }),
            _ => compared.push(category),
        }
    }
    // The events of each (stream, category), as indices into the normalised lists.
    let mut groups: BTreeMap<(String, Category), (Vec<usize>, Vec<usize>)> = BTreeMap::new();
    for (i, e) in events_a.iter().enumerate() {
        if compared.contains(&e.category) {
            groups
                .entry((e.stream.clone(), e.category))
                .or_default()
                .0
                .push(i);
        }
    }
    for (j, e) in events_b.iter().enumerate() {
        if compared.contains(&e.category) {
            groups
                .entry((e.stream.clone(), e.category))
                .or_default()
                .1
                .push(j);
        }
    }
    let groups: Vec<Group<'_>> = groups
        .iter()
        .map(|((stream, category), (ia, ib))| {
            let a: Vec<(usize, &ProtocolEvent)> = ia
                .iter()
                .filter_map(|&i| events_a.get(i).map(|e| (i, e)))
                .collect();
            let b: Vec<(usize, &ProtocolEvent)> = ib
                .iter()
                .filter_map(|&j| events_b.get(j).map(|e| (j, e)))
                .collect();
            let keys_a: Vec<&str> = a.iter().map(|(_, e)| e.key.as_str()).collect();
            let keys_b: Vec<&str> = b.iter().map(|(_, e)| e.key.as_str()).collect();
            let pairs = align::align(&keys_a, &keys_b);
            Group {
                stream,
                category: *category,
                a,
                b,
                pairs,
            }
        })
        .collect();
    let tails = Tails::of(
        &groups,
        normalise::stopped_when_met(a),
        normalise::stopped_when_met(b),
    );
    let mut drifts = Vec::new();
    let mut rows = Vec::new();
    for group in &groups {
        group.compare(options, &tails, &mut drifts, &mut rows);
    }
    let verdict = if drifts.is_empty() {
        Verdict::NoDrift
    } else {
        Verdict::Drift
    };
    DriftReport {
        scenario: options.scenario.clone(),
        a: Side {
            label: options.a_label.clone(),
            entries: a.entries.len(),
            after_timeline: a.entries.len().saturating_sub(normalise::timeline_end(a)),
            beyond_other_end: tails.a.len(),
            events: events_a.len(),
        },
        b: Side {
            label: options.b_label.clone(),
            entries: b.entries.len(),
            after_timeline: b.entries.len().saturating_sub(normalise::timeline_end(b)),
            beyond_other_end: tails.b.len(),
            events: events_b.len(),
        },
        time_tolerance: options.time_tolerance,
        min_gap_ms: options.min_gap_ms,
        compared,
        not_compared,
        drifts,
        rows,
        verdict,
    }
}

/// The events of one stream and category on both sides, aligned.
struct Group<'a> {
    stream: &'a str,
    category: Category,
    a: Vec<(usize, &'a ProtocolEvent)>,
    b: Vec<(usize, &'a ProtocolEvent)>,
    pairs: Vec<Pair>,
}

/// The events of one side that come after the other side's run ended: in their stream,
/// after the last event both sides have, when the other side has nothing after it and its
/// timeline ended the moment its last `wait_until` held. Such an event says when each run
/// stopped (a simulation stops at the instant a `wait_until` holds; a board's last poll
/// reads a little further), not how the device behaved, so it is shown but not counted as
/// drift.
struct Tails {
    /// Indices into A's normalised events.
    a: Vec<usize>,
    /// Indices into B's.
    b: Vec<usize>,
}

impl Tails {
    fn of(groups: &[Group<'_>], a_stopped_when_met: bool, b_stopped_when_met: bool) -> Tails {
        // Per stream: the last common event's index on each side, and the unmatched ones.
        #[derive(Default)]
        struct Stream {
            last_a: Option<usize>,
            last_b: Option<usize>,
            only_a: Vec<usize>,
            only_b: Vec<usize>,
        }
        let mut streams: BTreeMap<&str, Stream> = BTreeMap::new();
        for group in groups {
            let stream = streams.entry(group.stream).or_default();
            for pair in &group.pairs {
                match *pair {
                    Pair::Same(i, j) | Pair::Moved(i, j) => {
                        if let (Some((ia, _)), Some((jb, _))) = (group.a.get(i), group.b.get(j)) {
                            stream.last_a = stream.last_a.max(Some(*ia));
                            stream.last_b = stream.last_b.max(Some(*jb));
                        }
                    }
                    Pair::OnlyA(i) => stream.only_a.extend(group.a.get(i).map(|(ia, _)| *ia)),
                    Pair::OnlyB(j) => stream.only_b.extend(group.b.get(j).map(|(jb, _)| *jb)),
                }
            }
        }
        let mut tails = Tails {
            a: Vec::new(),
            b: Vec::new(),
        };
        for stream in streams.values() {
            let (Some(last_a), Some(last_b)) = (stream.last_a, stream.last_b) else {
                continue;
            };
            let after_a: Vec<usize> = stream
                .only_a
                .iter()
                .copied()
                .filter(|&i| i > last_a)
                .collect();
            let after_b: Vec<usize> = stream
                .only_b
                .iter()
                .copied()
                .filter(|&j| j > last_b)
                .collect();
            match (after_a.is_empty(), after_b.is_empty()) {
                (false, true) if b_stopped_when_met => tails.a.extend(after_a),
                (true, false) if a_stopped_when_met => tails.b.extend(after_b),
                _ => {}
            }
        }
        tails
    }
}

impl Group<'_> {
    fn compare(
        &self,
        options: &CompareOptions,
        tails: &Tails,
        drifts: &mut Vec<Drift>,
        rows: &mut Vec<Row>,
    ) {
        // The previous common (in-order) pair, for timing.
        let mut previous: Option<(&ProtocolEvent, &ProtocolEvent)> = None;
        for &pair in &self.pairs {
            let (a, b) = match pair {
                Pair::Same(i, j) | Pair::Moved(i, j) => (self.a.get(i), self.b.get(j)),
                Pair::OnlyA(i) => (self.a.get(i), None),
                Pair::OnlyB(j) => (None, self.b.get(j)),
            };
            let seen_a = a.map(|(i, e)| Seen::of(*i, e));
            let seen_b = b.map(|(j, e)| Seen::of(*j, e));
            let key = a.or(b).map(|(_, e)| e.key.clone()).unwrap_or_default();
            let mut kinds = Vec::new();
            let mut push = |kind: DriftKind, message: String| {
                kinds.push(kind);
                drifts.push(Drift {
                    kind,
                    stream: self.stream.to_owned(),
                    category: self.category,
                    key: key.clone(),
                    a: seen_a.clone(),
                    b: seen_b.clone(),
                    message,
                });
            };
            let name = format!("{} {} `{key}`", self.stream, self.category.name());
            let beyond_end = match (pair, a, b) {
                (Pair::OnlyA(_), Some((i, _)), _) => tails.a.contains(i),
                (Pair::OnlyB(_), _, Some((j, _))) => tails.b.contains(j),
                _ => false,
            };
            match (pair, a, b) {
                _ if beyond_end => {}
                (Pair::OnlyA(_), Some((_, ea)), _) => push(
                    DriftKind::Missing,
                    format!(
                        "{name} at {} in {} is missing in {}",
                        drift::at(ea.at_ms),
                        options.a_label,
                        options.b_label
                    ),
                ),
                (Pair::OnlyB(_), _, Some((_, eb))) => push(
                    DriftKind::Extra,
                    format!(
                        "{name} at {} in {} is not in {}",
                        drift::at(eb.at_ms),
                        options.b_label,
                        options.a_label
                    ),
                ),
                (Pair::Moved(i, j), Some((_, ea)), Some((_, eb))) => {
                    push(
                        DriftKind::OrderChange,
                        format!(
                            "{name} comes {} in {} (at {}) than in {} (at {})",
                            if j < i { "earlier" } else { "later" },
                            options.b_label,
                            drift::at(eb.at_ms),
                            options.a_label,
                            drift::at(ea.at_ms)
                        ),
                    );
                    if let Some(message) = answer_drift(&name, ea, eb, options) {
                        push(DriftKind::DifferentAnswer, message);
                    }
                }
                (Pair::Same(..), Some((_, ea)), Some((_, eb))) => {
                    if let Some(message) = answer_drift(&name, ea, eb, options) {
                        push(DriftKind::DifferentAnswer, message);
                    }
                    if self.category.timed() {
                        if let Some((pa, pb)) = previous {
                            if let Some(message) = timing_drift(&name, (pa, pb), (ea, eb), options)
                            {
                                push(DriftKind::Timing, message);
                            }
                        }
                    }
                    previous = Some((ea, eb));
                }
                _ => {}
            }
            rows.push(Row {
                stream: self.stream.to_owned(),
                category: self.category,
                key,
                a: seen_a,
                b: seen_b,
                drifts: kinds,
                beyond_end,
            });
        }
    }
}

/// A different answer: statuses differ, or both sides list the answer's records and they
/// differ, or both list the records sent and they differ. A side that does not tell the
/// records (a console log) is not held against the other.
fn answer_drift(
    name: &str,
    a: &ProtocolEvent,
    b: &ProtocolEvent,
    options: &CompareOptions,
) -> Option<String> {
    let status_differs = a.answer.is_some() && b.answer.is_some() && a.answer != b.answer;
    let records_differ = !a.records.is_empty() && !b.records.is_empty() && a.records != b.records;
    if status_differs || records_differ {
        return Some(format!(
            "{name} is answered `{}` in {} but `{}` in {}",
            a.answer_text().unwrap_or_default(),
            options.a_label,
            b.answer_text().unwrap_or_default(),
            options.b_label
        ));
    }
    if a.content.is_some() && b.content.is_some() && a.content != b.content {
        return Some(format!(
            "{name} sends `{}` in {} but `{}` in {}",
            a.content.clone().unwrap_or_default(),
            options.a_label,
            b.content.clone().unwrap_or_default(),
            options.b_label
        ));
    }
    None
}

fn timing_drift(
    name: &str,
    previous: (&ProtocolEvent, &ProtocolEvent),
    now: (&ProtocolEvent, &ProtocolEvent),
    options: &CompareOptions,
) -> Option<String> {
    let gap_a = now.0.at_ms.saturating_sub(previous.0.at_ms);
    let gap_b = now.1.at_ms.saturating_sub(previous.1.at_ms);
    let (long, short) = (gap_a.max(gap_b), gap_a.min(gap_b));
    if long < options.min_gap_ms {
        return None;
    }
    let ratio = long as f64 / short.max(1) as f64;
    if ratio <= options.time_tolerance {
        return None;
    }
    Some(format!(
        "{name} comes {} after `{}` in {} but {} after it in {} (ratio {}, tolerance {})",
        drift::at(gap_a),
        previous.0.key,
        options.a_label,
        drift::at(gap_b),
        options.b_label,
        if short == 0 {
            "∞".to_owned()
        } else {
            format!("{ratio:.2}")
        },
        options.time_tolerance
    ))
}
