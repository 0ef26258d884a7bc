//! The Mermaid `sequenceDiagram` rendering of a transcript.

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
    }
}
