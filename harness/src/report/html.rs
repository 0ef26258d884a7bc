//! The HTML report: one self-contained page people read after a run (`--html FILE`).
//!
//! A summary table (verdict counts, per scenario its verdict, seed, virtual and wall time
//! and replay command), then per scenario its expectations with expected and observed
//! values and where they are written, what was skipped, its sequence diagrams (inline SVG
//! drawn in Rust, split per device and attempt when large: `transcript/split.rs`) and its
//! transcript with faults highlighted. Inline style, no script, nothing fetched: it works
//! offline. Everything from scenario files and transcripts is escaped. For a given run the
//! page is the same byte for byte except the wall times.

use std::fmt::Write as _;
use std::path::Path;

use super::{format_wall, write_file, ReportError, Summary};
use crate::markup::{escape, BASE_STYLE};
use crate::runner::{Check, Outcome, ScenarioResult};
use crate::transcript::{format_time, EntryKind, Lane};

/// The page's own style rules, after [`BASE_STYLE`].
const STYLE: &str = "h2{margin-top:2em;border-bottom:1px solid #ccc}\
.pass{color:#186a18}.fail,.error{color:#a11}.skip{color:#8a6d00}\
td.v{font-weight:bold;white-space:nowrap}\
tr.unmet{background:#fde2e2}tr.held td.v{color:#186a18}tr.unmet td.v{color:#a11}\
code{font-size:90%}.meta{color:#444}\
pre.transcript{background:#f6f6f6;padding:.5em;font-size:85%;overflow-x:auto}\
pre.transcript .fault{background:#fde2e2;color:#a11;font-weight:bold}\
pre.transcript .event{color:#1565c0}pre.transcript .note{color:#777}\
.diagram{overflow-x:auto;border:1px solid #ddd;margin:.5em 0 1em}\
details>summary{cursor:pointer;margin:.3em 0}";

/// Scenarios with at most this many expectation checks show them all; more (a fleet's)
/// show the unmet ones and fold the whole list.
const OPEN_CHECKS: usize = 30;
/// Scenarios with at most this many diagrams show them open; more start folded.
const OPEN_DIAGRAMS: usize = 3;

/// The page for `results` under `title` (e.g. `provlab run`).
pub fn html_report(results: &[ScenarioResult], title: &str) -> String {
    let summary = Summary::of(results);
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{BASE_STYLE}{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        escape(&format!("{title}: {}", summary.line())),
        escape(title)
    );
    let wall: std::time::Duration = results.iter().map(|r| r.wall).sum();
    let virtual_ms: u64 = results.iter().map(|r| r.virtual_ms).sum();
    let _ = writeln!(
        out,
        "<p class=\"totals\"><b>{}</b> of {} scenarios · {} virtual · {} wall (summed over scenarios)</p>",
        escape(&summary.line()),
        summary.total,
        format_time(virtual_ms),
        format_wall(wall)
    );
    summary_table(&mut out, results);
    for (index, result) in results.iter().enumerate() {
        scenario(&mut out, index, result);
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// Writes [`html_report`] to `path` atomically (parent directories are created).
pub fn write_html(path: &Path, results: &[ScenarioResult], title: &str) -> Result<(), ReportError> {
    write_file(path, &html_report(results, title))
}

/// `PASS`, `FAIL`, `SKIP` or `ERROR`, and the CSS class of it.
pub(super) fn verdict(outcome: &Outcome) -> (&'static str, &'static str) {
    match outcome {
        Outcome::Passed => ("PASS", "pass"),
        Outcome::Failed { .. } => ("FAIL", "fail"),
        Outcome::Skipped { .. } => ("SKIP", "skip"),
        Outcome::Error { .. } => ("ERROR", "error"),
    }
}

fn summary_table(out: &mut String, results: &[ScenarioResult]) {
    out.push_str("<table class=\"summary\">\n<tr><th>verdict</th><th>scenario</th><th>file</th><th>backend</th><th>seed</th><th>virtual time</th><th>wall time</th><th>replay</th></tr>\n");
    for (index, r) in results.iter().enumerate() {
        let (word, class) = verdict(&r.outcome);
        let _ = writeln!(
            out,
            "<tr><td class=\"v {class}\">{word}</td><td><a href=\"#s{}\">{}</a></td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            index + 1,
            escape(&r.name),
            escape(&r.file.display().to_string()),
            escape(&r.backend),
            r.seed,
            format_time(r.virtual_ms),
            format_wall(r.wall),
            escape(&r.replay_command())
        );
    }
    out.push_str("</table>\n");
}

fn scenario(out: &mut String, index: usize, r: &ScenarioResult) {
    let (word, class) = verdict(&r.outcome);
    let _ = writeln!(
        out,
        "<section id=\"s{}\" class=\"scenario\">\n<h2><span class=\"{class}\">{word}</span> {}</h2>\n<p class=\"meta\"><code>{}</code> · backend {} · seed {} · {} virtual · {} wall</p>\n<p>replay: <code>{}</code></p>",
        index + 1,
        escape(&r.name),
        escape(&r.file.display().to_string()),
        escape(&r.backend),
        r.seed,
        format_time(r.virtual_ms),
        format_wall(r.wall),
        escape(&r.replay_command())
    );
    match &r.outcome {
        Outcome::Skipped { reason } => {
            let _ = writeln!(out, "<p class=\"skip\">skipped: {}</p>", escape(reason));
        }
        Outcome::Error { message } => {
            let _ = writeln!(
                out,
                "<pre class=\"error\">{}</pre>",
                escape(message.trim_end())
            );
        }
        Outcome::Passed | Outcome::Failed { .. } => {}
    }
    for (name, value) in r.properties.iter().filter(|(k, _)| k != "not_run") {
        let _ = writeln!(
            out,
            "<p class=\"meta\">{}: <code>{}</code></p>",
            escape(name),
            escape(value)
        );
    }
    expectations(out, r);
    if !r.skipped.is_empty() {
        out.push_str("<h3>Skipped along the way</h3>\n<ul>\n");
        for skip in &r.skipped {
            let _ = writeln!(out, "<li>{}</li>", escape(&skip.to_string()));
        }
        out.push_str("</ul>\n");
    }
    diagrams(out, r);
    transcript(out, r);
    out.push_str("</section>\n");
}

/// Every checked part, held or not, with expected and observed values; the unmet ones of a
/// result without checks (built elsewhere than by the runner) from its outcome.
fn expectations(out: &mut String, r: &ScenarioResult) {
    let rows: Vec<Check> = match (&r.outcome, r.checks.is_empty()) {
        (Outcome::Failed { unmet }, true) => unmet.iter().map(|u| Check::of(false, u)).collect(),
        _ => r.checks.clone(),
    };
    if rows.is_empty() {
        return;
    }
    let held = rows.iter().filter(|c| c.holds).count();
    let _ = writeln!(out, "<h3>Expectations ({held} of {} held)</h3>", rows.len());
    if rows.len() <= OPEN_CHECKS {
        check_table(out, &rows);
        return;
    }
    // A fleet's many checks: the unmet ones shown, all of them folded.
    let unmet: Vec<Check> = rows.iter().filter(|c| !c.holds).cloned().collect();
    if !unmet.is_empty() {
        check_table(out, &unmet);
    }
    let _ = writeln!(
        out,
        "<details class=\"checks\"><summary>all {} checks</summary>",
        rows.len()
    );
    check_table(out, &rows);
    out.push_str("</details>\n");
}

fn check_table(out: &mut String, rows: &[Check]) {
    out.push_str("<table class=\"expectations\">\n<tr><th></th><th>where</th><th>check</th><th>part</th><th>expected</th><th>observed</th><th>at</th></tr>\n");
    for c in rows {
        let class = if c.holds { "held" } else { "unmet" };
        let _ = writeln!(
            out,
            "<tr class=\"{class}\"><td class=\"v\">{class}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&c.location.to_string()),
            escape(&c.context),
            escape(&c.what),
            escape(&c.expected),
            escape(&c.observed),
            format_time(c.at_ms)
        );
    }
    out.push_str("</table>\n");
}

fn diagrams(out: &mut String, r: &ScenarioResult) {
    if r.transcript.entries.is_empty() {
        return;
    }
    let diagrams = r.transcript.to_svg_diagrams();
    let _ = writeln!(out, "<h3>Sequence diagrams ({})</h3>", diagrams.len());
    let open = if diagrams.len() <= OPEN_DIAGRAMS {
        " open"
    } else {
        ""
    };
    for diagram in &diagrams {
        let _ = write!(
            out,
            "<details class=\"diagram-part\"{open}><summary>{} ({})</summary>\n<div class=\"diagram\">\n{}</div>\n</details>\n",
            escape(&diagram.title),
            count(diagram.rows, "row"),
            diagram.svg
        );
    }
}

/// `1 row`, `2 rows`; `1 entry`, `2 entries`.
fn count(n: usize, noun: &str) -> String {
    match (n, noun.strip_suffix('y')) {
        (1, _) => format!("1 {noun}"),
        (_, Some(stem)) => format!("{n} {stem}ies"),
        (_, None) => format!("{n} {noun}s"),
    }
}

/// The text form, one line per entry, faults, events and runner notes marked.
fn transcript(out: &mut String, r: &ScenarioResult) {
    let entries = &r.transcript.entries;
    if entries.is_empty() {
        return;
    }
    let faults = entries
        .iter()
        .filter(|e| e.kind == EntryKind::Fault)
        .count();
    let width = entries
        .iter()
        .map(|e| format_time(e.at_ms).len())
        .max()
        .unwrap_or(0);
    let indent = " ".repeat(width + 4);
    let open = if matches!(r.outcome, Outcome::Failed { .. } | Outcome::Error { .. }) {
        " open"
    } else {
        ""
    };
    let _ = write!(
        out,
        "<details class=\"transcript\"{open}><summary>Transcript ({}, {})</summary>\n<pre class=\"transcript\">",
        count(entries.len(), "entry"),
        count(faults, "fault")
    );
    for entry in entries {
        let class = match entry.kind {
            EntryKind::Fault => Some("fault"),
            EntryKind::Event => Some("event"),
            _ if entry.from == Lane::Runner => Some("note"),
            _ => None,
        };
        let line = format!("{:>width$}  {}", format_time(entry.at_ms), entry.headline());
        match class {
            Some(class) => {
                let _ = writeln!(out, "<span class=\"{class}\">{}</span>", escape(&line));
            }
            None => {
                let _ = writeln!(out, "{}", escape(&line));
            }
        }
        for detail in entry.detail.iter().flat_map(|d| d.lines()) {
            let _ = writeln!(out, "{indent}{}", escape(detail));
        }
    }
    out.push_str("</pre>\n</details>\n");
}
