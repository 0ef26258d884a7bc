//! The transcript: every observable message of a run, in order, with virtual timestamps
//! and lanes, rendered as stable text ([`Transcript::to_text`]) or as a Mermaid sequence
//! diagram ([`Transcript::to_mermaid`]).

use std::fmt;
use std::fmt::Write as _;

use sha2::{Digest as _, Sha256};

/// Longest text kept verbatim in an entry; longer texts are abbreviated
/// ([`abbreviate`]).
pub const MAX_TEXT: usize = 200;

/// Who sends or notes something.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lane {
    /// The service's owner (REST operations).
    Owner,
    /// The provisioning service.
    Service,
    /// The network between devices and the service (faults).
    Link,
    /// A device's provisioning client.
    Client(String),
    /// A device's board application (the sample firmware's glue).
    App(String),
    /// A device's modem.
    Modem(String),
    /// A device's power supply.
    Power(String),
}

impl fmt::Display for Lane {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Lane::Owner => f.write_str("owner"),
            Lane::Service => f.write_str("service"),
            Lane::Link => f.write_str("link"),
            Lane::Client(d) => write!(f, "{d}.client"),
            Lane::App(d) => write!(f, "{d}.app"),
            Lane::Modem(d) => write!(f, "{d}.modem"),
            Lane::Power(d) => write!(f, "{d}.power"),
        }
    }
}

impl Lane {
    /// The Mermaid participant this lane is drawn on (the app and power lanes share the
    /// client's participant; the link is drawn on the service).
    fn participant(&self) -> String {
        match self {
            Lane::Owner => "owner".to_owned(),
            Lane::Service | Lane::Link => "service".to_owned(),
            Lane::Client(d) | Lane::App(d) | Lane::Power(d) => format!("{}_client", ident(d)),
            Lane::Modem(d) => format!("{}_modem", ident(d)),
        }
    }
}

/// One transcript line: a message from one lane to another, or a note on one lane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Virtual time in milliseconds.
    pub at_ms: u64,
    /// The sender (or the lane a note is about).
    pub from: Lane,
    /// The receiver; `None` for a note.
    pub to: Option<Lane>,
    /// What was said, already abbreviated.
    pub text: String,
}

impl Entry {
    /// The entry as one line of [`Transcript::to_text`].
    pub fn to_line(&self) -> String {
        let secs = self.at_ms / 1000;
        let millis = self.at_ms % 1000;
        let stamp = format!("[{secs:>5}.{millis:03}s]");
        match &self.to {
            Some(to) => format!(
                "{stamp} {:<24} {}",
                format!("{} -> {to}", self.from),
                self.text
            ),
            None => format!("{stamp} {:<24} {}", self.from.to_string(), self.text),
        }
    }
}

/// Every entry of a run, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transcript {
    entries: Vec<Entry>,
    devices: Vec<String>,
}

impl Transcript {
    /// An empty transcript.
    pub fn new() -> Self {
        Self::default()
    }

    /// Declares a device (its participants appear in the diagram in declaration order).
    pub fn add_device(&mut self, name: &str) {
        if !self.devices.iter().any(|d| d == name) {
            self.devices.push(name.to_owned());
        }
    }

    /// Records a message; the text is abbreviated if long.
    pub fn message(&mut self, at_ms: u64, from: Lane, to: Lane, text: impl AsRef<str>) {
        self.entries.push(Entry {
            at_ms,
            from,
            to: Some(to),
            text: abbreviate(text.as_ref()),
        });
    }

    /// Records a note on a lane; the text is abbreviated if long.
    pub fn note(&mut self, at_ms: u64, lane: Lane, text: impl AsRef<str>) {
        self.entries.push(Entry {
            at_ms,
            from: lane,
            to: None,
            text: abbreviate(text.as_ref()),
        });
    }

    /// The entries, in order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// One line per entry: `[   12.345s] dk1.client -> service  GET /v1/...`.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for e in &self.entries {
            out.push_str(&e.to_line());
            out.push('\n');
        }
        out
    }

    /// A Mermaid `sequenceDiagram` with the participants owner, service, and each
    /// device's client and modem; notes for events, faults and power changes.
    pub fn to_mermaid(&self) -> String {
        let mut out = String::from("sequenceDiagram\n");
        out.push_str("    participant owner\n    participant service\n");
        for d in &self.devices {
            let id = ident(d);
            let _ = writeln!(out, "    participant {id}_client as {d}.client");
            let _ = writeln!(out, "    participant {id}_modem as {d}.modem");
        }
        for e in &self.entries {
            let secs = e.at_ms / 1000;
            let millis = e.at_ms % 1000;
            let text = mermaid_text(&format!("{secs}.{millis:03}s {}", prefix(&e.from, &e.text)));
            match &e.to {
                Some(to) => {
                    let (a, b) = (e.from.participant(), to.participant());
                    if a == b {
                        let _ = writeln!(out, "    Note over {a}: {text}");
                    } else {
                        let _ = writeln!(out, "    {a}->>{b}: {text}");
                    }
                }
                None => {
                    let _ = writeln!(out, "    Note over {}: {text}", e.from.participant());
                }
            }
        }
        out
    }
}

/// The text with the lane name in front for lanes drawn on another lane's participant.
fn prefix(lane: &Lane, text: &str) -> String {
    match lane {
        Lane::App(_) => format!("app: {text}"),
        Lane::Power(_) => format!("power: {text}"),
        Lane::Link => format!("link: {text}"),
        _ => text.to_owned(),
    }
}

/// A Mermaid identifier for a device name.
fn ident(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// Text safe inside a Mermaid message: no `;`, `#` or line breaks, at most 80 characters.
fn mermaid_text(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| match c {
            ';' => ',',
            '#' => '+',
            '\r' | '\n' => ' ',
            c => c,
        })
        .collect();
    if cleaned.chars().count() > 80 {
        let head: String = cleaned.chars().take(77).collect();
        format!("{head}...")
    } else {
        cleaned
    }
}

/// Escapes control characters (`\r`, `\n`, others as `\xNN`) so an entry stays one line.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// The escaped text, or for a text longer than [`MAX_TEXT`] its first 80 and last 24
/// characters around `…[N bytes sha256:xxxxxxxx]…`: stable for the same content.
pub fn abbreviate(text: &str) -> String {
    let escaped = escape(text);
    let count = escaped.chars().count();
    if count <= MAX_TEXT {
        return escaped;
    }
    let head: String = escaped.chars().take(80).collect();
    let tail: String = escaped.chars().skip(count - 24).collect();
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "{head}…[{} bytes sha256:{}]…{tail}",
        text.len(),
        hex::encode(&digest[..4])
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_abbreviation() {
        let mut t = Transcript::new();
        t.add_device("dk1");
        t.message(
            12_345,
            Lane::Client("dk1".into()),
            Lane::Service,
            "GET /v1/x",
        );
        t.note(12_346, Lane::Link, "dropped");
        let text = t.to_text();
        assert!(text.starts_with("[   12.345s] dk1.client -> service"));
        assert!(text.contains("GET /v1/x"));
        let long = "A".repeat(500);
        let short = abbreviate(&long);
        assert!(short.contains("500 bytes sha256:"));
        assert_eq!(short, abbreviate(&long));
        assert_eq!(escape("OK\r\n"), "OK\\r\\n");
        let m = t.to_mermaid();
        assert!(m.contains("participant dk1_client as dk1.client"));
        assert!(m.contains("dk1_client->>service: 12.345s GET /v1/x"));
    }
}
