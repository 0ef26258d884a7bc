//! The plain-text rendering of a transcript.

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

fn headline(entry: &Entry) -> String {
    if entry.from == Lane::Runner {
        return format!("== {}", entry.text);
    }
    if entry.is_local() {
        let label = match entry.kind {
            EntryKind::Event => "event ",
            EntryKind::Fault => "fault: ",
            _ => "",
        };
        return format!("{}  {label}{}", entry.from, entry.text);
    }
    let arrow = if entry.kind == EntryKind::Response {
        "-->"
    } else {
        "->"
    };
    format!("{} {arrow} {}  {}", entry.from, entry.to, entry.text)
}
