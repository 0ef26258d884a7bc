//! Sequence diagrams as SVG, drawn in Rust: a page that shows them needs no JavaScript
//! library, works offline and has no size limit of a diagram engine. The layout follows
//! the Mermaid rendering (`mermaid.rs`): every lane is a participant (owners, service,
//! link, then per device client, app, modem, power), requests are solid arrows, answers
//! dashed ones, events, faults and notes sit on their lane, the runner's notes span the
//! diagram. Faults are red. One entry is one row; its detail lines are the row's tooltip.
//! Large transcripts are cut into several diagrams first (`split.rs`).

use std::fmt::Write as _;

use super::split;
use super::{format_time, Entry, EntryKind, Lane, Transcript};
use crate::markup::escape;

/// Width of one lane's column.
const COLUMN: usize = 150;
/// The time column on the left.
const TIME_WIDTH: usize = 70;
/// Room on the right for labels that run past the last lane.
const LABEL_ROOM: usize = 380;
/// Height of the participant boxes' band.
const HEADER: usize = 40;
/// Height of one row.
const ROW: usize = 22;
/// Characters of a label before it is cut with `…` (the whole text is in the tooltip).
const MAX_LABEL: usize = 72;
/// Characters of a participant's name in its box.
const MAX_NAME: usize = 20;
/// Detail lines in a row's tooltip.
const MAX_DETAIL_LINES: usize = 8;
/// Characters per tooltip line.
const MAX_TOOLTIP_LINE: usize = 160;

/// The diagram's style rules (in the `<svg>` itself, so it stands alone): times, runner
/// notes, notes, events, faults (red), requests and answers (dashed).
const STYLE: &str = "<style>svg.sequence .tm{fill:#777;font-family:monospace;font-size:11px}\
svg.sequence .rn{fill:#f1f1f1}svg.sequence text.rn{fill:#555;font-style:italic}\
svg.sequence .nt{fill:#444}svg.sequence .ev{fill:#1565c0}\
svg.sequence .ft{fill:#c62828;font-weight:bold}svg.sequence line.ft{stroke:#c62828}\
svg.sequence line.rq{stroke:#333}svg.sequence line.rs{stroke:#333;stroke-dasharray:5 3}\
svg.sequence polygon.rq,svg.sequence polygon.rs{fill:#333}\
svg.sequence .ll{stroke:#bbb;stroke-dasharray:4 3}svg.sequence .pt{stroke:#888}\
svg.sequence .pn{font-weight:bold;text-anchor:middle}</style>";

/// One drawn diagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagram {
    /// What it shows: `all lanes`, a device's name, or a part of one (`dk1 · part 2 of 3 ·
    /// attempts 4–6`).
    pub title: String,
    /// The `<svg>` element (no XML declaration: it is meant to be inlined in HTML).
    pub svg: String,
    /// The entries drawn, one row each.
    pub rows: usize,
}

/// The diagrams of `transcript`: one while it is small, else per device and per attempt
/// (see `split.rs`), each at most [`split::MAX_ROWS`] rows.
pub(super) fn diagrams(transcript: &Transcript) -> Vec<Diagram> {
    split::parts(transcript)
        .into_iter()
        .map(|part| Diagram {
            svg: render(&part.transcript, &part.title),
            rows: part.transcript.entries.len(),
            title: part.title,
        })
        .collect()
}

/// One `<svg>` of every entry of `transcript`.
fn render(transcript: &Transcript, title: &str) -> String {
    let lanes = transcript.participants();
    let width = TIME_WIDTH + COLUMN * lanes.len() + LABEL_ROOM;
    let height = HEADER + ROW * transcript.entries.len() + 10;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"sequence\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\" role=\"img\" aria-label=\"sequence diagram: {}\">",
        escape(title)
    );
    out.push_str(STYLE);
    out.push('\n');
    let x = |lane: &Lane| -> usize {
        let index = lanes.iter().position(|l| l == lane).unwrap_or(0);
        TIME_WIDTH + COLUMN * index + COLUMN / 2
    };
    for lane in &lanes {
        header(&mut out, lane, x(lane), height);
    }
    for (row, entry) in transcript.entries.iter().enumerate() {
        let y = HEADER + ROW * row;
        let _ = write!(out, "<g><title>{}</title>", escape(&tooltip(entry)));
        let _ = write!(
            out,
            "<text class=\"tm\" x=\"4\" y=\"{}\">{}</text>",
            y + 15,
            format_time(entry.at_ms)
        );
        if entry.from == Lane::Runner {
            runner_note(&mut out, entry, y, width);
        } else if entry.is_local() {
            on_lane(&mut out, entry, x(&entry.from), y);
        } else {
            arrow(&mut out, entry, x(&entry.from), x(&entry.to), y);
        }
        out.push_str("</g>\n");
    }
    out.push_str("</svg>\n");
    out
}

/// A participant's box at the top and its lifeline.
fn header(out: &mut String, lane: &Lane, x: usize, height: usize) {
    let fill = match lane {
        Lane::Owner(_) => "#fff4c2",
        Lane::Service => "#d8f0d8",
        Lane::Link => "#e6e6e6",
        Lane::Client(_) => "#d6e6fa",
        Lane::App(_) | Lane::Modem(_) | Lane::Power(_) => "#e8f0fb",
        Lane::Runner => "#f1f1f1",
    };
    let name = lane.to_string();
    let _ = writeln!(
        out,
        "<line class=\"ll\" x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\"/>\n<g><title>{}</title><rect class=\"pt\" x=\"{}\" y=\"6\" width=\"{}\" height=\"24\" rx=\"4\" fill=\"{fill}\"/><text class=\"pn\" x=\"{x}\" y=\"22\">{}</text></g>",
        HEADER - 10,
        height - 4,
        escape(&name),
        x - COLUMN / 2 + 6,
        COLUMN - 12,
        escape(&cut(&name, MAX_NAME))
    );
}

/// A runner note: a grey band across the diagram.
fn runner_note(out: &mut String, entry: &Entry, y: usize, width: usize) {
    let _ = write!(
        out,
        "<rect class=\"rn\" x=\"{TIME_WIDTH}\" y=\"{}\" width=\"{}\" height=\"{}\"/><text class=\"rn\" x=\"{}\" y=\"{}\">{}</text>",
        y + 2,
        width - TIME_WIDTH - 4,
        ROW - 4,
        TIME_WIDTH + 6,
        y + 15,
        escape(&cut(&entry.text, MAX_LABEL * 2))
    );
}

/// An event, fault or note on one lane: a mark on the lifeline and the text beside it.
fn on_lane(out: &mut String, entry: &Entry, x: usize, y: usize) {
    let (class, label) = match entry.kind {
        EntryKind::Fault => ("ft", "fault: "),
        EntryKind::Event => ("ev", "event "),
        _ => ("nt", ""),
    };
    let _ = write!(
        out,
        "<rect class=\"{class}\" x=\"{}\" y=\"{}\" width=\"8\" height=\"8\"/><text class=\"{class}\" x=\"{}\" y=\"{}\">{}</text>",
        x - 4,
        y + 7,
        x + 8,
        y + 15,
        escape(&format!("{label}{}", cut(&entry.text, MAX_LABEL)))
    );
}

/// A request (solid) or answer (dashed) from one lane to another, its text above.
fn arrow(out: &mut String, entry: &Entry, from: usize, to: usize, y: usize) {
    let fault = entry.kind == EntryKind::Fault;
    let class = match entry.kind {
        EntryKind::Fault => "ft",
        EntryKind::Response => "rs",
        _ => "rq",
    };
    let line_y = y + 17;
    // The arrowhead points at `to`.
    let head = if to >= from {
        format!(
            "{},{} {},{} {},{}",
            to,
            line_y,
            to - 7,
            line_y - 4,
            to - 7,
            line_y + 4
        )
    } else {
        format!(
            "{},{} {},{} {},{}",
            to,
            line_y,
            to + 7,
            line_y - 4,
            to + 7,
            line_y + 4
        )
    };
    let label = if fault {
        format!("fault: {}", cut(&entry.text, MAX_LABEL))
    } else {
        cut(&entry.text, MAX_LABEL)
    };
    let _ = write!(
        out,
        "<line class=\"{class}\" x1=\"{from}\" y1=\"{line_y}\" x2=\"{to}\" y2=\"{line_y}\"/><polygon class=\"{class}\" points=\"{head}\"/><text class=\"{class}\" x=\"{}\" y=\"{}\">{}</text>",
        from.min(to) + 6,
        y + 12,
        escape(&label)
    );
}

/// The row's tooltip: time, lanes, kind, the whole text and the first detail lines.
fn tooltip(entry: &Entry) -> String {
    let kind = match entry.kind {
        EntryKind::Request => "request",
        EntryKind::Response => "response",
        EntryKind::Event => "event",
        EntryKind::Fault => "fault",
        EntryKind::Note => "note",
    };
    let lanes = if entry.is_local() {
        entry.from.to_string()
    } else {
        format!("{} → {}", entry.from, entry.to)
    };
    let mut text = format!(
        "{} {lanes} ({kind}): {}",
        format_time(entry.at_ms),
        cut(&entry.text, MAX_TOOLTIP_LINE)
    );
    let detail: Vec<&str> = entry.detail.iter().flat_map(|d| d.lines()).collect();
    for line in detail.iter().take(MAX_DETAIL_LINES) {
        text.push('\n');
        text.push_str(&cut(line, MAX_TOOLTIP_LINE));
    }
    if detail.len() > MAX_DETAIL_LINES {
        let _ = write!(text, "\n… {} more lines", detail.len() - MAX_DETAIL_LINES);
    }
    text
}

/// The first line of `text`, cut to `max` characters with `…`.
fn cut(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() > max {
        let kept: String = line.chars().take(max).collect();
        format!("{kept}…")
    } else {
        line.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_cut() {
        let mut t = Transcript::new();
        t.push(Entry::message(
            0,
            Lane::Client("<dk>".into()),
            Lane::Service,
            EntryKind::Request,
            format!("GET /x?a=1&b=<script>{}", "y".repeat(100)),
        ));
        let svg = render(&t, "t & u");
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(svg.contains("GET /x?a=1&amp;b=&lt;script&gt;"), "{svg}");
        assert!(svg.contains("aria-label=\"sequence diagram: t &amp; u\""));
        assert!(svg.contains("&lt;dk&gt;.client"));
        assert!(svg.contains("y…</text>"), "{svg}");
    }

    #[test]
    fn an_empty_transcript_is_an_empty_diagram() {
        let svg = render(&Transcript::new(), "nothing");
        assert!(svg.starts_with("<svg "));
        assert!(svg.ends_with("</svg>\n"));
    }
}
