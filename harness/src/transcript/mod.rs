//! Transcripts: the ordered messages of a run across lanes (owner, service, link, and each
//! device's client, application, modem and power supply), with virtual timestamps and
//! decoded records, rendered as text, as a Mermaid `sequenceDiagram`, or as SVG sequence
//! diagrams (split per device and attempt when large).
//!
//! This is the one transcript model: the simulation's world records these entries as it
//! runs, the HIL backend builds them from the boards' consoles, and both render the same
//! way. Every entry's [`EntryKind`] is set where the entry is made, so renderers and
//! comparisons never guess it from the text.

mod mermaid;
mod split;
mod svg;
mod text;

pub use split::{MAX_DEVICES_TOGETHER, MAX_ROWS};
pub use svg::Diagram;

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
    /// A device's application (the sample firmware around the client: shell commands, LTE
    /// on and off, its own AT commands, stored settings), by device name.
    App(String),
    /// A device's power supply (power on, cuts, cycles, reboots), by device name.
    Power(String),
    /// The network between the devices and the service (drops, retransmissions, link
    /// faults).
    Link,
}

impl Lane {
    /// The device a device lane (client, app, modem, power) belongs to.
    pub fn device(&self) -> Option<&str> {
        match self {
            Lane::Client(d) | Lane::App(d) | Lane::Modem(d) | Lane::Power(d) => Some(d),
            Lane::Owner(_) | Lane::Service | Lane::Runner | Lane::Link => None,
        }
    }
}

impl fmt::Display for Lane {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Lane::Owner(name) => write!(f, "{name}"),
            Lane::Service => f.write_str("service"),
            Lane::Client(device) => write!(f, "{device}.client"),
            Lane::Modem(device) => write!(f, "{device}.modem"),
            Lane::Runner => f.write_str("runner"),
            Lane::App(device) => write!(f, "{device}.app"),
            Lane::Power(device) => write!(f, "{device}.power"),
            Lane::Link => f.write_str("link"),
        }
    }
}

/// What an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A request or command (owner → service, client → service, client or app → modem,
    /// client → app).
    Request,
    /// Its answer.
    Response,
    /// A client event (`from` and `to` are the client).
    Event,
    /// A fault that fired or was switched on (`from` and `to` are where it acted: a modem,
    /// a power supply, the link, the service). The text does not repeat `fault:`; renderers
    /// add it from the kind.
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

    /// The entry's line in the text form, without its time: lanes and text, e.g.
    /// `dk1.client -> service  GET /v1/provisioning/commands` or `dk1.client  event START`.
    pub fn headline(&self) -> String {
        text::headline(self)
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

    /// SVG sequence diagrams of the transcript: one while it is small (at most
    /// [`MAX_DEVICES_TOGETHER`] devices and [`MAX_ROWS`] entries), else one per device plus
    /// one of the service side, a device's cut between attempts when it has more than
    /// [`MAX_ROWS`] entries. Each is at most [`MAX_ROWS`] rows.
    pub fn to_svg_diagrams(&self) -> Vec<Diagram> {
        svg::diagrams(self)
    }

    /// The lanes that take part, in diagram order: owners, the service, the link, then each
    /// device's client, app, modem and power supply, each group in order of first appearance.
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
            if let Some(d) = lane.device() {
                if !devices.contains(&d) {
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
                Lane::Link => (1, 1, first),
                Lane::Client(d) => (2, device(d), 0),
                Lane::App(d) => (2, device(d), 1),
                Lane::Modem(d) => (2, device(d), 2),
                Lane::Power(d) => (2, device(d), 3),
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn new_lanes_round_trip_through_json() {
        let mut t = Transcript::new();
        t.push(Entry::on(
            1,
            Lane::App("dk1".into()),
            EntryKind::Note,
            "LTE attached",
        ));
        t.push(Entry::on(
            2,
            Lane::Power("dk1".into()),
            EntryKind::Fault,
            "power cycle",
        ));
        t.push(Entry::on(
            3,
            Lane::Link,
            EntryKind::Fault,
            "dropped (loss): x",
        ));
        let json = serde_json::to_string(&t).unwrap();
        assert!(
            json.contains(r#""from":{"lane":"app","name":"dk1"}"#),
            "{json}"
        );
        assert!(
            json.contains(r#""from":{"lane":"power","name":"dk1"}"#),
            "{json}"
        );
        assert!(json.contains(r#""from":{"lane":"link"}"#), "{json}");
        assert!(json.contains(r#""kind":"fault""#), "{json}");
        let back: Transcript = serde_json::from_str(&json).unwrap();
        assert_eq!(back, t);
    }

    #[test]
    fn an_entry_in_the_earlier_json_shape_still_reads() {
        let json = r#"{"entries":[{"at_ms":5,"from":{"lane":"client","name":"dk1"},
            "to":{"lane":"service"},"kind":"request","text":"GET /v1/x"}]}"#;
        let t: Transcript = serde_json::from_str(json).unwrap();
        assert_eq!(
            t.entries,
            [Entry::message(
                5,
                Lane::Client("dk1".into()),
                Lane::Service,
                EntryKind::Request,
                "GET /v1/x"
            )]
        );
    }

    #[test]
    fn device_lanes_name_their_device_and_sit_together() {
        assert_eq!(Lane::App("dk1".into()).device(), Some("dk1"));
        assert_eq!(Lane::Power("dk2".into()).device(), Some("dk2"));
        assert_eq!(Lane::Link.device(), None);
        assert_eq!(Lane::App("dk1".into()).to_string(), "dk1.app");
        assert_eq!(Lane::Power("dk1".into()).to_string(), "dk1.power");
        let mut t = Transcript::new();
        t.push(Entry::on(
            0,
            Lane::Power("dk2".into()),
            EntryKind::Note,
            "on",
        ));
        t.push(Entry::on(
            0,
            Lane::Power("dk1".into()),
            EntryKind::Note,
            "on",
        ));
        t.push(Entry::on(0, Lane::Link, EntryKind::Note, "up"));
        t.push(Entry::on(
            0,
            Lane::Client("dk1".into()),
            EntryKind::Event,
            "START",
        ));
        t.push(Entry::on(0, Lane::Service, EntryKind::Note, "up"));
        assert_eq!(
            t.participants(),
            [
                Lane::Service,
                Lane::Link,
                Lane::Power("dk2".into()),
                Lane::Client("dk1".into()),
                Lane::Power("dk1".into()),
            ]
        );
    }
}
