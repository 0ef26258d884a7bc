//! The plain-text rendering of a transcript.
//!
//! A device's app and power lanes are written on its client's line, and the link on the
//! service's, with `app: `, `power: ` or `link: ` in front of the text: the text form
//! reads as it did before those lanes had lanes of their own (the catalogue's snapshots
//! are in this form). The Mermaid rendering draws them on participants of their own.

use std::fmt::Write;

use super::{format_time, Entry, EntryKind, Lane, Transcript};

/// One line per entry: time, lanes, text; detail lines indented beneath.
///
/// ```text
/// 0.000s  == step 1 · trigger dk1
/// 1.200s  dk1.client -> service  GET /v1/provisioning/commands?after=
/// 1.250s  service --> dk1.client  200 application/cbor, 2 records
///           [0] c1.1 AT %CMNG 0,42,0,"…"
/// 1.300s  dk1.client  event NEED_LTE_DEACTIVATED
/// 1.400s  dk1.client -> dk1.modem  app: AT+CFUN=4
/// ```
pub(super) fn render(transcript: &Transcript) -> String {
    let width = transcript
        .entries
        .iter()
        .map(|e| format_time(e.at_ms).len())
        .max()
        .unwrap_or(0);
    let indent = " ".repeat(width + 4);
    let mut out = String::new();
    for entry in &transcript.entries {
        let _ = writeln!(
            out,
            "{:>width$}  {}",
            format_time(entry.at_ms),
            headline(entry)
        );
        for line in entry.detail.iter().flat_map(|d| d.lines()) {
            let _ = writeln!(out, "{indent}{line}");
        }
    }
    out
}

/// The lane an entry is written on in the text form, and what goes in front of its text.
fn written_on(lane: &Lane) -> (Lane, &'static str) {
    match lane {
        Lane::App(device) => (Lane::Client(device.clone()), "app: "),
        Lane::Power(device) => (Lane::Client(device.clone()), "power: "),
        Lane::Link => (Lane::Service, "link: "),
        other => (other.clone(), ""),
    }
}

pub(super) fn headline(entry: &Entry) -> String {
    if entry.from == Lane::Runner {
        return format!("== {}", entry.text);
    }
    let (from, from_prefix) = written_on(&entry.from);
    let (to, to_prefix) = written_on(&entry.to);
    if from == to {
        let label = match entry.kind {
            EntryKind::Event => "event ",
            EntryKind::Fault => "fault: ",
            _ => "",
        };
        // Between a client and its app: the app's side is named.
        let prefix = if from_prefix.is_empty() {
            to_prefix
        } else {
            from_prefix
        };
        return format!("{from}  {label}{prefix}{}", entry.text);
    }
    let arrow = if entry.kind == EntryKind::Response {
        "-->"
    } else {
        "->"
    };
    format!("{from} {arrow} {to}  {from_prefix}{}", entry.text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(entry: Entry) -> String {
        let mut t = Transcript::new();
        t.push(entry);
        t.to_text()
    }

    #[test]
    fn app_power_and_link_are_written_on_their_hosts() {
        let app = Lane::App("dk1".into());
        let modem = Lane::Modem("dk1".into());
        let client = Lane::Client("dk1".into());
        assert_eq!(
            one(Entry::message(
                0,
                app.clone(),
                modem.clone(),
                EntryKind::Request,
                "AT+CFUN=1"
            )),
            "0.000s  dk1.client -> dk1.modem  app: AT+CFUN=1\n"
        );
        assert_eq!(
            one(Entry::message(
                5,
                modem,
                app.clone(),
                EntryKind::Response,
                "OK"
            )),
            "0.005s  dk1.modem --> dk1.client  OK\n"
        );
        assert_eq!(
            one(Entry::message(
                0,
                client,
                app.clone(),
                EntryKind::Request,
                "store setting k = v"
            )),
            "0.000s  dk1.client  app: store setting k = v\n"
        );
        assert_eq!(
            one(Entry::on(
                0,
                Lane::Power("dk1".into()),
                EntryKind::Fault,
                "power cut"
            )),
            "0.000s  dk1.client  fault: power: power cut\n"
        );
        assert_eq!(
            one(Entry::on(
                0,
                Lane::Link,
                EntryKind::Note,
                "retransmit #1: x"
            )),
            "0.000s  service  link: retransmit #1: x\n"
        );
        assert_eq!(
            one(Entry::on(0, app, EntryKind::Note, "LTE attached")),
            "0.000s  dk1.client  app: LTE attached\n"
        );
    }
}
