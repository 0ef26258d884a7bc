//! The Mermaid `sequenceDiagram` rendering of a transcript: the one diagram renderer of
//! the workspace. Every lane is a participant of its own (a device's app and power supply
//! too, and the link); the runner's notes span the diagram.

use std::fmt::Write;

use super::{format_time, Entry, EntryKind, Lane, Transcript};

/// Detail lines shown per message; the text rendering keeps all of them.
const MAX_DETAIL_LINES: usize = 8;
/// Characters per shown line before it is cut with `…`.
const MAX_LINE_CHARS: usize = 120;

pub(super) fn render(transcript: &Transcript) -> String {
    let mut participants: Vec<(Lane, String)> = Vec::new();
    for lane in transcript.participants() {
        let mut id = participant_id(&lane);
        let base = id.clone();
        let mut n = 2;
        while participants.iter().any(|(_, taken)| *taken == id) {
            id = format!("{base}_{n}");
            n += 1;
        }
        participants.push((lane, id));
    }
    let has_runner_notes = transcript.entries.iter().any(|e| e.from == Lane::Runner);
    if participants.is_empty() && has_runner_notes {
        participants.push((Lane::Runner, "runner".to_owned()));
    }
    let id_of = |lane: &Lane| -> &str {
        participants
            .iter()
            .find(|(l, _)| l == lane)
            .map_or("runner", |(_, id)| id.as_str())
    };

    let mut out = String::from("sequenceDiagram\n");
    for (lane, id) in &participants {
        let _ = writeln!(out, "    participant {id} as {}", escape(&lane.to_string()));
    }
    let span = match (participants.first(), participants.last()) {
        (Some((_, first)), Some((_, last))) if first != last => format!("{first},{last}"),
        (Some((_, only)), _) => only.clone(),
        _ => "runner".to_owned(),
    };
    for entry in &transcript.entries {
        let text = message_text(entry);
        if entry.from == Lane::Runner {
            let _ = writeln!(out, "    Note over {span}: {text}");
        } else if entry.is_local() {
            let _ = writeln!(out, "    Note over {}: {text}", id_of(&entry.from));
        } else {
            let arrow = if entry.kind == EntryKind::Response {
                "-->>"
            } else {
                "->>"
            };
            let _ = writeln!(
                out,
                "    {}{arrow}{}: {text}",
                id_of(&entry.from),
                id_of(&entry.to)
            );
        }
    }
    out
}

/// A participant id: letters, digits and `_` only, prefixed by the lane kind.
fn participant_id(lane: &Lane) -> String {
    let raw = match lane {
        Lane::Owner(name) => format!("owner_{name}"),
        Lane::Service => "service".to_owned(),
        Lane::Client(device) => format!("{device}_client"),
        Lane::Modem(device) => format!("{device}_modem"),
        Lane::App(device) => format!("{device}_app"),
        Lane::Power(device) => format!("{device}_power"),
        Lane::Link => "link".to_owned(),
        Lane::Runner => "runner".to_owned(),
    };
    let id: String = raw
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if id.starts_with(|c: char| c.is_ascii_digit()) {
        format!("d_{id}")
    } else {
        id
    }
}

fn message_text(entry: &Entry) -> String {
    let label = match entry.kind {
        EntryKind::Event if entry.from != Lane::Runner => "event ",
        EntryKind::Fault => "fault: ",
        _ => "",
    };
    let mut lines = vec![format!(
        "{} {label}{}",
        format_time(entry.at_ms),
        cut(&entry.text)
    )];
    let detail: Vec<&str> = entry.detail.iter().flat_map(|d| d.lines()).collect();
    for line in detail.iter().take(MAX_DETAIL_LINES) {
        lines.push(cut(line));
    }
    if detail.len() > MAX_DETAIL_LINES {
        lines.push(format!("… {} more lines", detail.len() - MAX_DETAIL_LINES));
    }
    lines
        .iter()
        .map(|l| escape(l))
        .collect::<Vec<_>>()
        .join("<br/>")
}

fn cut(line: &str) -> String {
    let line = line.lines().next().unwrap_or("");
    if line.chars().count() > MAX_LINE_CHARS {
        let kept: String = line.chars().take(MAX_LINE_CHARS).collect();
        format!("{kept}…")
    } else {
        line.to_owned()
    }
}

/// Escapes what Mermaid would read as syntax: `;` ends a statement, `#` starts an entity
/// code, `<`/`>`/`&` are HTML, line breaks end the message.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '#' => out.push_str("#35;"),
            ';' => out.push_str("#59;"),
            '<' => out.push_str("#60;"),
            '>' => out.push_str("#62;"),
            '&' => out.push_str("#38;"),
            '\r' | '\n' => out.push(' '),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_mermaid_syntax() {
        assert_eq!(escape("a;b#c<d>&\ne"), "a#59;b#35;c#60;d#62;#38; e");
    }

    #[test]
    fn ids_are_safe() {
        assert_eq!(participant_id(&Lane::Client("dk-1".into())), "dk_1_client");
        assert_eq!(participant_id(&Lane::Modem("9x".into())), "d_9x_modem");
        assert_eq!(
            participant_id(&Lane::Owner("olivia".into())),
            "owner_olivia"
        );
        assert_eq!(participant_id(&Lane::App("dk-1".into())), "dk_1_app");
        assert_eq!(participant_id(&Lane::Power("dk1".into())), "dk1_power");
        assert_eq!(participant_id(&Lane::Link), "link");
    }

    /// A device's boot, its app's AT command, a dropped request and a power cut.
    fn device_run() -> Transcript {
        let (client, app) = (Lane::Client("dk1".into()), Lane::App("dk1".into()));
        let (modem, power) = (Lane::Modem("dk1".into()), Lane::Power("dk1".into()));
        let mut t = Transcript::new();
        t.push(Entry::on(
            0,
            power.clone(),
            EntryKind::Note,
            "power on (boot 1)",
        ));
        t.push(Entry::message(
            0,
            app.clone(),
            modem.clone(),
            EntryKind::Request,
            "AT+CFUN=1",
        ));
        t.push(Entry::message(
            0,
            modem,
            app.clone(),
            EntryKind::Response,
            "OK",
        ));
        t.push(Entry::on(1, app, EntryKind::Note, "LTE attached"));
        t.push(Entry::message(
            2,
            client.clone(),
            Lane::Service,
            EntryKind::Request,
            "GET /v1/provisioning/commands",
        ));
        t.push(Entry::on(2, Lane::Link, EntryKind::Fault, "dropped (loss)"));
        t.push(Entry::on(3, client, EntryKind::Event, "START"));
        t.push(Entry::on(
            4,
            power,
            EntryKind::Fault,
            "cut before the report",
        ));
        t
    }

    #[test]
    fn app_power_and_link_are_participants_of_their_own() {
        let mermaid = device_run().to_mermaid();
        let participants: Vec<&str> = mermaid
            .lines()
            .filter(|l| l.trim_start().starts_with("participant"))
            .collect();
        assert_eq!(
            participants,
            [
                "    participant service as service",
                "    participant link as link",
                "    participant dk1_client as dk1.client",
                "    participant dk1_app as dk1.app",
                "    participant dk1_modem as dk1.modem",
                "    participant dk1_power as dk1.power",
            ]
        );
        assert!(
            mermaid.contains("    dk1_app->>dk1_modem: 0.000s AT+CFUN=1\n"),
            "{mermaid}"
        );
        assert!(
            mermaid.contains("    dk1_modem-->>dk1_app: 0.000s OK\n"),
            "{mermaid}"
        );
        assert!(
            mermaid.contains("    Note over dk1_app: 0.001s LTE attached\n"),
            "{mermaid}"
        );
        assert!(
            mermaid.contains("    Note over dk1_power: 0.000s power on (boot 1)\n"),
            "{mermaid}"
        );
    }

    #[test]
    fn faults_are_labelled_from_their_kind() {
        let t = device_run();
        let faults: Vec<&Entry> = t
            .entries
            .iter()
            .filter(|e| e.kind == EntryKind::Fault)
            .collect();
        assert_eq!(faults.len(), 2);
        assert!(faults.iter().all(|e| !e.text.starts_with("fault")));
        let mermaid = t.to_mermaid();
        assert!(
            mermaid.contains("    Note over link: 0.002s fault: dropped (loss)\n"),
            "{mermaid}"
        );
        assert!(
            mermaid.contains("    Note over dk1_power: 0.004s fault: cut before the report\n"),
            "{mermaid}"
        );
        // A note whose text merely starts like a fault stays a note.
        let mut note = Transcript::new();
        note.push(Entry::on(0, Lane::Link, EntryKind::Note, "dropped nothing"));
        assert!(note
            .to_mermaid()
            .contains("Note over link: 0.000s dropped nothing\n"));
    }
}
