//! The Markdown summary (`--markdown FILE`): a compact table and the failures with their
//! replay commands, for a CI job page (`$GITHUB_STEP_SUMMARY`) or a pull-request comment.
//!
//! Long runs stay short: passing scenarios are listed only when the run has at most
//! [`LIST_PASSING_UP_TO`] results, and at most [`MAX_FAILURES`] failures are spelled out,
//! each with at most [`MAX_UNMET`] unmet expectations. Text from scenario files is escaped
//! so it cannot become Markdown or HTML.

use std::fmt::Write as _;
use std::path::Path;

use super::html::verdict;
use super::{format_wall, write_file, ReportError, Summary};
use crate::runner::{Outcome, ScenarioResult};
use crate::transcript::format_time;

/// Runs with at most this many results list their passing scenarios in the table.
pub const LIST_PASSING_UP_TO: usize = 30;
/// Failures (and errors) spelled out with their unmet expectations and replay command.
pub const MAX_FAILURES: usize = 20;
/// Unmet expectations shown per failure.
pub const MAX_UNMET: usize = 5;

/// The summary of `results` under `title` (e.g. `provlab run`).
pub fn markdown_report(results: &[ScenarioResult], title: &str) -> String {
    let summary = Summary::of(results);
    let mut out = String::new();
    let mark = if summary.failed + summary.errors > 0 {
        "❌"
    } else {
        "✅"
    };
    let _ = writeln!(
        out,
        "### {mark} {}: {}\n",
        escape(title),
        escape(&summary.line())
    );
    let listed: Vec<&ScenarioResult> = if results.len() <= LIST_PASSING_UP_TO {
        results.iter().collect()
    } else {
        results.iter().filter(|r| !r.passed()).collect()
    };
    if !listed.is_empty() {
        out.push_str(
            "| verdict | scenario | file | seed | virtual | wall |\n|---|---|---|---|---|---|\n",
        );
        for r in &listed {
            let (word, _) = verdict(&r.outcome);
            let _ = writeln!(
                out,
                "| {word} | {} | {} | {} | {} | {} |",
                escape(&r.name),
                code_span(&r.file.display().to_string()),
                r.seed,
                format_time(r.virtual_ms),
                format_wall(r.wall)
            );
        }
    }
    if listed.len() < results.len() {
        let _ = writeln!(
            out,
            "\n{} passing scenarios not listed.",
            results.len() - listed.len()
        );
    }
    let failures: Vec<&ScenarioResult> = results
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Failed { .. } | Outcome::Error { .. }))
        .collect();
    if failures.is_empty() {
        return out;
    }
    out.push_str("\n#### Failures\n");
    for r in failures.iter().take(MAX_FAILURES) {
        failure(&mut out, r);
    }
    if failures.len() > MAX_FAILURES {
        let _ = writeln!(
            out,
            "\n… and {} more (see the full report).",
            failures.len() - MAX_FAILURES
        );
    }
    out
}

/// Writes [`markdown_report`] to `path` atomically (parent directories are created).
pub fn write_markdown(
    path: &Path,
    results: &[ScenarioResult],
    title: &str,
) -> Result<(), ReportError> {
    write_file(path, &markdown_report(results, title))
}

fn failure(out: &mut String, r: &ScenarioResult) {
    let (word, _) = verdict(&r.outcome);
    let _ = writeln!(
        out,
        "\n**{word} {}** ({}, seed {})\n",
        escape(&r.name),
        code_span(&r.file.display().to_string()),
        r.seed
    );
    match &r.outcome {
        Outcome::Failed { unmet } => {
            for u in unmet.iter().take(MAX_UNMET) {
                let _ = writeln!(
                    out,
                    "- {} {}: {}: expected {}, observed {} (at t={})",
                    code_span(&u.location.to_string()),
                    escape(&u.context),
                    escape(&u.what),
                    escape(&u.expected),
                    escape(&u.observed),
                    format_time(u.at_ms)
                );
            }
            if unmet.len() > MAX_UNMET {
                let _ = writeln!(out, "- … {} more unmet", unmet.len() - MAX_UNMET);
            }
        }
        Outcome::Error { message } => {
            let first = message.lines().next().unwrap_or("");
            let _ = writeln!(out, "- {}", escape(first));
        }
        Outcome::Passed | Outcome::Skipped { .. } => {}
    }
    out.push('\n');
    out.push_str(&code_block(&r.replay_command()));
}

/// Escapes text for Markdown (and the HTML it may carry): punctuation Markdown reads as
/// syntax gets a backslash, line breaks become spaces.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '<' | '>' | '(' | ')' | '#' | '+'
            | '!' | '|' | '~' | '&' => {
                out.push('\\');
                out.push(c);
            }
            '\r' | '\n' => out.push(' '),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A code span around `text`, with a fence longer than any run of backticks in it
/// (`|` still escaped: GitHub splits table cells on it even inside code).
fn code_span(text: &str) -> String {
    let text = text.replace(['\r', '\n'], " ").replace('|', "\\|");
    let fence = "`".repeat(longest_backtick_run(&text) + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// A fenced `sh` code block of `text`, fenced longer than any backtick run in it.
fn code_block(text: &str) -> String {
    let fence = "`".repeat((longest_backtick_run(text) + 1).max(3));
    format!("{fence}sh\n{text}\n{fence}\n")
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_syntax_is_escaped() {
        assert_eq!(
            escape("a|b *c* <img src=x> [l](u)\nnext"),
            "a\\|b \\*c\\* \\<img src=x\\> \\[l\\]\\(u\\) next"
        );
    }

    #[test]
    fn code_spans_and_blocks_outlast_backticks() {
        assert_eq!(code_span("a.toml"), "`a.toml`");
        assert_eq!(code_span("a`b.toml"), "``a`b.toml``");
        assert_eq!(code_span("`x"), "`` `x ``");
        assert_eq!(code_span("a|b"), "`a\\|b`");
        assert_eq!(code_block("run x"), "```sh\nrun x\n```\n");
        assert_eq!(code_block("a ```` b"), "`````sh\na ```` b\n`````\n");
    }
}
