//! Transcripts: the ordered messages of a run across lanes (owner, service, device client,
//! modem), with virtual timestamps and decoded records, rendered as text or as a Mermaid
//! `sequenceDiagram`.
//!
//! Both backends produce this same type, so both render the same way; the simulation's own
//! recorder is converted by the glue backend.

mod mermaid;
mod text;

use std::fmt;

use serde::{Deserialize, Serialize};

/// A participant of the sequence.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "lane", content = "name", rename_all = "snake_case")]
pub enum Lane {
    /// A team member using the REST API (by member name).
    Owner(String),
    /// The Provisioning Service.
    Service,
    /// A device's provisioning client (by device name).
    Client(String),
    /// A device's modem (by device name).
    Modem(String),
    /// The runner's own notes (step boundaries, verdicts); drawn across every lane.
    Runner,
}

impl fmt::Display for Lane {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Lane::Owner(name) => write!(f, "{name}"),
            Lane::Service => f.write_str("service"),
            Lane::Client(device) => write!(f, "{device}.client"),
            Lane::Modem(device) => write!(f, "{device}.modem"),
            Lane::Runner => f.write_str("runner"),
        }
    }
}

/// What an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A request or command (owner → service, client → service, client → modem).
    Request,
    /// Its answer.
    Response,
    /// A client event (`from` and `to` are the client).
    Event,
    /// A fault that fired (`from` and `to` are where it acted).
    Fault,
    /// A remark (runner step boundaries and verdicts, backend notes).
    Note,
}

/// One message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// When, in (virtual) milliseconds since setup.
    pub at_ms: u64,
    /// The sender (for events, faults and notes: the lane it concerns).
    pub from: Lane,
    /// The receiver (the same lane for events, faults and notes).
    pub to: Lane,
    /// What it is.
    pub kind: EntryKind,
    /// One line: the request line, the AT command, the status, the event name.
    pub text: String,
    /// Further lines: decoded records, one per line.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub detail: Vec<String>,
}

impl Entry {
    /// A message between two lanes.
    pub fn message(
        at_ms: u64,
        from: Lane,
        to: Lane,
        kind: EntryKind,
        text: impl Into<String>,
    ) -> Self {
        Self {
            at_ms,
            from,
            to,
            kind,
            text: text.into(),
            detail: Vec::new(),
        }
    }

    /// Something that happened on one lane (an event, a fault, a note).
    pub fn on(at_ms: u64, lane: Lane, kind: EntryKind, text: impl Into<String>) -> Self {
        Self::message(at_ms, lane.clone(), lane, kind, text)
    }

    /// The same entry with detail lines.
    pub fn with_detail(mut self, detail: Vec<String>) -> Self {
        self.detail = detail;
        self
    }

    /// Whether the entry stays on one lane.
    pub fn is_local(&self) -> bool {
        self.from == self.to
    }
}

/// The ordered entries of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transcript {
    /// The entries, in the order they happened.
    pub entries: Vec<Entry>,
}

impl Transcript {
    /// An empty transcript.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends an entry.
    pub fn push(&mut self, entry: Entry) {
        self.entries.push(entry);
    }

    /// Plain text, one line per entry (detail lines indented beneath).
    pub fn to_text(&self) -> String {
        text::render(self)
    }

    /// A Mermaid `sequenceDiagram`.
    pub fn to_mermaid(&self) -> String {
        mermaid::render(self)
    }

    /// The lanes that take part, in diagram order: owners, the service, then each device's
    /// client and modem, each group in order of first appearance.
    pub fn participants(&self) -> Vec<Lane> {
        let mut seen: Vec<Lane> = Vec::new();
        for entry in &self.entries {
            for lane in [&entry.from, &entry.to] {
                if *lane != Lane::Runner && !seen.contains(lane) {
                    seen.push(lane.clone());
                }
            }
        }
        let mut devices: Vec<&str> = Vec::new();
        for lane in &seen {
            if let Lane::Client(d) | Lane::Modem(d) = lane {
                if !devices.contains(&d.as_str()) {
                    devices.push(d);
                }
            }
        }
        let rank = |lane: &Lane| -> (usize, usize, usize) {
            let first = seen.iter().position(|l| l == lane).unwrap_or(usize::MAX);
            let device = |d: &str| devices.iter().position(|x| *x == d).unwrap_or(usize::MAX);
            match lane {
                Lane::Owner(_) => (0, 0, first),
                Lane::Service => (1, 0, first),
                Lane::Client(d) => (2, device(d), 0),
                Lane::Modem(d) => (2, device(d), 1),
                Lane::Runner => (3, 0, first),
            }
        };
        let mut ordered = seen.clone();
        ordered.sort_by_key(|l| rank(l));
        ordered
    }
}

/// Formats milliseconds as seconds with three decimals (`"12.345s"`).
pub fn format_time(ms: u64) -> String {
    format!("{}.{:03}s", ms / 1000, ms % 1000)
}
