//! Renderings of a drift report: plain text, JSON and a self-contained side-by-side HTML
//! page (inline style, no scripts, nothing fetched).

use std::fmt::Write as _;

use super::drift::{at, DriftReport, Row, Seen};
use super::normalise::Category;
use crate::markup::{escape, BASE_STYLE};

/// Plain text: the sides, what was compared, one line per drift, the verdict.
///
/// ```text
/// drift report: happy-path-http · A = sim (61 events) · B = hil (27 events)
/// compared: event, owner, service · not compared: request (only in A: 2), at (only in A: 30)
/// timing: ratio above 2 between gaps over 1.000s
///   order change      dk1 event `DONE` comes later in hil (at 6.700s) than in sim (at 6.606s)
/// verdict: drift: 1 order change
/// ```
pub fn text(report: &DriftReport) -> String {
    let mut out = String::new();
    let scenario = report
        .scenario
        .as_deref()
        .map(|s| format!("{s} · "))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "drift report: {scenario}A = {} ({} events) · B = {} ({} events)",
        report.a.label, report.a.events, report.b.label, report.b.events
    );
    let compared: Vec<&str> = report.compared.iter().map(|c| c.name()).collect();
    let mut line = format!(
        "compared: {}",
        if compared.is_empty() {
            "nothing (no category on both sides)".to_owned()
        } else {
            compared.join(", ")
        }
    );
    if !report.not_compared.is_empty() {
        let parts: Vec<String> = report
            .not_compared
            .iter()
            .map(|n| {
                format!(
                    "{} (only in {}: {})",
                    n.category.name(),
                    n.only_in,
                    n.events
                )
            })
            .collect();
        let _ = write!(line, " · not compared: {}", parts.join(", "));
    }
    let _ = writeln!(out, "{line}");
    let _ = write!(
        out,
        "timing: ratio above {} between gaps over {} (events and requests)",
        report.time_tolerance,
        at(report.min_gap_ms)
    );
    if report.a.after_timeline + report.b.after_timeline > 0 {
        let _ = write!(
            out,
            " · after the timeline, not compared: {} entries in A, {} in B",
            report.a.after_timeline, report.b.after_timeline
        );
    }
    out.push('\n');
    if report.a.beyond_other_end + report.b.beyond_other_end > 0 {
        let tail: Vec<String> = report
            .rows
            .iter()
            .filter(|r| r.beyond_end)
            .map(|r| {
                let side = if r.a.is_some() { "A" } else { "B" };
                format!("{} {} `{}` ({side})", r.stream, r.category.name(), r.key)
            })
            .collect();
        let _ = writeln!(
            out,
            "beyond the other run's end, not compared: {}",
            tail.join(", ")
        );
    }
    for drift in &report.drifts {
        let _ = writeln!(out, "  {:<17} {}", drift.kind.label(), drift.message);
    }
    let _ = writeln!(out, "verdict: {}", report.summary());
    out
}

/// Pretty JSON of the whole report (drifts and aligned rows).
pub fn json(report: &DriftReport) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(report)
}

/// A self-contained HTML page: the summary, the drift list, and per stream and category a
/// table with A's events on the left and B's on the right, drifting rows marked.
pub fn html(report: &DriftReport) -> String {
    let mut out = String::new();
    let title = match &report.scenario {
        Some(s) => format!("Drift report: {s}"),
        None => "Drift report".to_owned(),
    };
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{BASE_STYLE}{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        escape(&title),
        escape(&title)
    );
    let _ = writeln!(
        out,
        "<p class=\"verdict {}\">{}</p>",
        if report.has_drift() { "drift" } else { "ok" },
        escape(&report.summary())
    );
    let _ = writeln!(out, "<pre>{}</pre>", escape(&text(report)));
    let mut sections: Vec<(&str, Category)> = Vec::new();
    for row in &report.rows {
        if !sections.contains(&(row.stream.as_str(), row.category)) {
            sections.push((row.stream.as_str(), row.category));
        }
    }
    for (stream, category) in sections {
        let _ = writeln!(
            out,
            "<h2>{} · {}</h2>\n<table>\n<tr><th>key</th><th>{} t</th><th>{}</th><th>{} t</th><th>{}</th><th>drift</th></tr>",
            escape(stream),
            category.name(),
            escape(&report.a.label),
            escape(&report.a.label),
            escape(&report.b.label),
            escape(&report.b.label)
        );
        for row in report
            .rows
            .iter()
            .filter(|r| r.stream == stream && r.category == category)
        {
            row_html(&mut out, row);
        }
        let _ = writeln!(out, "</table>");
    }
    out.push_str("</body>\n</html>\n");
    out
}

fn row_html(out: &mut String, row: &Row) {
    let class = if row.drifts.is_empty() {
        ""
    } else {
        " class=\"d\""
    };
    let side = |seen: &Option<Seen>| -> (String, String) {
        match seen {
            Some(s) => {
                let mut cell = escape(&s.text);
                if let Some(content) = &s.content {
                    let _ = write!(cell, "<br><small>sent {}</small>", escape(content));
                }
                if let Some(answer) = &s.answer {
                    let _ = write!(cell, "<br><small>→ {}</small>", escape(answer));
                }
                (at(s.at_ms), cell)
            }
            None => (String::new(), "<span class=\"none\">—</span>".to_owned()),
        }
    };
    let (ta, ca) = side(&row.a);
    let (tb, cb) = side(&row.b);
    let mut kinds: Vec<&str> = row.drifts.iter().map(|k| k.label()).collect();
    if row.beyond_end {
        kinds.push("beyond the other run's end");
    }
    let _ = writeln!(
        out,
        "<tr{class}><td><code>{}</code></td><td>{ta}</td><td>{ca}</td><td>{tb}</td><td>{cb}</td><td>{}</td></tr>",
        escape(&row.key),
        escape(&kinds.join(", "))
    );
}

/// The drift page's own rules, after [`BASE_STYLE`].
const STYLE: &str = "tr.d{background:#fde2e2}.verdict.ok{color:#186a18}.verdict.drift{color:#a11}.none{color:#999}pre{background:#f6f6f6;padding:.5em;white-space:pre-wrap}";
