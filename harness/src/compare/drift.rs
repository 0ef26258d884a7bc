//! The drift report: what differs between two runs of a scenario, and the aligned rows the
//! side-by-side view shows.

use std::fmt;

use serde::Serialize;

use super::normalise::{Category, ProtocolEvent};
use crate::transcript::format_time;

/// What kind of difference a drift is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftKind {
    /// In A, not in B.
    Missing,
    /// In B, not in A.
    Extra,
    /// In both, but in another order relative to the rest.
    OrderChange,
    /// The same request (or command) answered differently, or sent with other records.
    DifferentAnswer,
    /// The time since the previous common event differs by more than the tolerance.
    Timing,
}

impl DriftKind {
    /// Every kind, in report order.
    pub const ALL: [DriftKind; 5] = [
        DriftKind::Missing,
        DriftKind::Extra,
        DriftKind::OrderChange,
        DriftKind::DifferentAnswer,
        DriftKind::Timing,
    ];

    /// The label used in text reports.
    pub fn label(self) -> &'static str {
        match self {
            DriftKind::Missing => "missing in B",
            DriftKind::Extra => "extra in B",
            DriftKind::OrderChange => "order change",
            DriftKind::DifferentAnswer => "different answer",
            DriftKind::Timing => "timing",
        }
    }
}

impl fmt::Display for DriftKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One side's view of an event in a drift or a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Seen {
    /// The index of the protocol event in that side's normalised list.
    pub index: usize,
    /// The index of its entry in that side's transcript.
    pub entry: usize,
    /// When, in milliseconds since setup.
    pub at_ms: u64,
    /// The entry's text.
    pub text: String,
    /// The normalised answer (with records), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    /// The normalised records sent, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

impl Seen {
    /// The view of `event`, the `index`th of its side.
    pub fn of(index: usize, event: &ProtocolEvent) -> Self {
        Seen {
            index,
            entry: event.entry,
            at_ms: event.at_ms,
            text: event.text.clone(),
            answer: event.answer_text(),
            content: event.content.clone(),
        }
    }
}

/// One difference.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Drift {
    /// What kind.
    pub kind: DriftKind,
    /// The device (or `owner`).
    pub stream: String,
    /// The category.
    pub category: Category,
    /// The event's key.
    pub key: String,
    /// A's side, if A has it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub a: Option<Seen>,
    /// B's side, if B has it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub b: Option<Seen>,
    /// One line saying what differs.
    pub message: String,
}

/// A row of the side-by-side view: an event of A, of B, or of both.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// The device (or `owner`).
    pub stream: String,
    /// The category.
    pub category: Category,
    /// The key.
    pub key: String,
    /// A's event, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub a: Option<Seen>,
    /// B's event, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub b: Option<Seen>,
    /// The drifts of this row (by kind).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub drifts: Vec<DriftKind>,
    /// An event of one side after the other run's end (see `Side::beyond_other_end`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub beyond_end: bool,
}

/// A category only one side shows (the other backend cannot see it), so not compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotCompared {
    /// The category.
    pub category: Category,
    /// `"A"` or `"B"`: the side that has it.
    pub only_in: String,
    /// How many events that side has in it.
    pub events: usize,
}

/// The verdict of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Nothing differs beyond the tolerance.
    NoDrift,
    /// At least one drift.
    Drift,
}

/// One side of a comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Side {
    /// What it is (`sim`, `hil`, a file name).
    pub label: String,
    /// Its transcript's entries.
    pub entries: usize,
    /// Entries after the end of the scenario's timeline, not compared.
    pub after_timeline: usize,
    /// Events after the other run's end: in their stream, after the last event both runs
    /// have, when the other run has nothing after it (it stopped looking sooner). Shown, not
    /// counted as drift.
    pub beyond_other_end: usize,
    /// Its protocol events.
    pub events: usize,
}

/// The result of comparing two runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftReport {
    /// The scenario, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    /// Side A (the reference).
    pub a: Side,
    /// Side B.
    pub b: Side,
    /// The timing tolerance (ratio) used.
    pub time_tolerance: f64,
    /// Gaps shorter than this on both sides are not checked for timing, in milliseconds.
    pub min_gap_ms: u64,
    /// The categories both sides show, compared.
    pub compared: Vec<Category>,
    /// The categories only one side shows.
    pub not_compared: Vec<NotCompared>,
    /// The differences, by stream, category and order.
    pub drifts: Vec<Drift>,
    /// The aligned events, by stream and category, for the side-by-side view.
    pub rows: Vec<Row>,
    /// Drift or not.
    pub verdict: Verdict,
}

impl DriftReport {
    /// How many drifts of `kind`.
    pub fn count(&self, kind: DriftKind) -> usize {
        self.drifts.iter().filter(|d| d.kind == kind).count()
    }

    /// Whether any drift was found.
    pub fn has_drift(&self) -> bool {
        self.verdict == Verdict::Drift
    }

    /// One line: `no drift (42 events compared)` or `drift: 1 order change, 2 missing in B`.
    pub fn summary(&self) -> String {
        if !self.has_drift() {
            let common = self.rows.iter().filter(|r| r.a.is_some() && r.b.is_some());
            return format!("no drift ({} events in common)", common.count());
        }
        let parts: Vec<String> = DriftKind::ALL
            .iter()
            .filter_map(|k| match self.count(*k) {
                0 => None,
                n => Some(format!("{n} {}", k.label())),
            })
            .collect();
        format!("drift: {}", parts.join(", "))
    }
}

/// `1.234s`.
pub(super) fn at(ms: u64) -> String {
    format_time(ms)
}
