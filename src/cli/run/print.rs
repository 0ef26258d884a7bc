//! What `provlab run` prints: one block per run, `--repeat` differences, the fleet rate and
//! the summary line `N passed, N failed, N skipped` (CI parses it).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use provlab_harness::report::Summary;
use provlab_harness::runner::replay_command_of;
use provlab_harness::transcript::format_time;
use provlab_harness::{NotRun, Outcome, ScenarioResult};

use super::Job;

/// Whether the human lines go to stderr (stdout carries `--json -`).
static TO_STDERR: AtomicBool = AtomicBool::new(false);

/// Sends the human lines to stderr from now on (stdout carries a report).
pub fn to_stderr() {
    TO_STDERR.store(true, Ordering::SeqCst);
}

/// Whether the run's lines are coloured: the stream they go to is a terminal and
/// `NO_COLOR` is unset or empty (no-color.org). Captured output stays plain text.
pub fn colours() -> bool {
    use std::io::IsTerminal as _;
    let terminal = if TO_STDERR.load(Ordering::SeqCst) {
        std::io::stderr().is_terminal()
    } else {
        std::io::stdout().is_terminal()
    };
    terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// A verdict word padded to five columns, in its colour when `colour` is set (green pass,
/// red failure, yellow skip, magenta error).
fn verdict_word(outcome: &Outcome, colour: bool) -> String {
    let (word, code) = match outcome {
        Outcome::Passed => ("PASS", "32"),
        Outcome::Failed { .. } => ("FAIL", "1;31"),
        Outcome::Skipped { .. } => ("SKIP", "33"),
        Outcome::Error { .. } => ("ERROR", "1;35"),
    };
    if colour {
        format!("\x1b[{code}m{word:<5}\x1b[0m")
    } else {
        format!("{word:<5}")
    }
}

/// Prints `text` (without its trailing line break) as a line of the run's report: on
/// stdout, or on stderr after [`to_stderr`].
pub fn line(text: &str) {
    let text = text.trim_end();
    if TO_STDERR.load(Ordering::SeqCst) {
        eprintln!("{text}");
    } else {
        println!("{text}");
    }
}

/// The lines of one run: verdict, name, seed, times; for a failure every unmet part and
/// the replay command (with `replay_flags`, the run's options that change the outcome,
/// such as ` --devices 50 --net loopback`).
pub fn result_line(
    r: &ScenarioResult,
    repetition: usize,
    command: &str,
    replay_flags: &str,
) -> String {
    let verdict = verdict_word(&r.outcome, colours());
    if r.did_not_load() {
        // A file that does not load: its diagnostics, nothing to replay.
        let mut out = format!("{verdict} {}\n", r.file.display());
        if let Outcome::Error { message } = &r.outcome {
            for l in message.lines() {
                let _ = writeln!(out, "      {l}");
            }
        }
        return out;
    }
    let mut out = format!(
        "{verdict} {} ({}) seed {} · {} virtual · {} ms",
        r.name,
        r.file.display(),
        r.seed,
        format_time(r.virtual_ms),
        r.wall.as_millis()
    );
    if repetition > 0 {
        let _ = write!(out, " · repeat {}", repetition + 1);
    }
    out.push('\n');
    match &r.outcome {
        Outcome::Passed => {}
        Outcome::Skipped { reason } => {
            let _ = writeln!(out, "      {reason}");
        }
        Outcome::Failed { unmet } => {
            for u in unmet {
                let _ = writeln!(out, "      {u}");
            }
        }
        Outcome::Error { message } => {
            let _ = writeln!(out, "      {message}");
        }
    }
    for skip in &r.skipped {
        let _ = writeln!(out, "      skipped: {skip}");
    }
    if matches!(r.outcome, Outcome::Failed { .. } | Outcome::Error { .. }) {
        let _ = writeln!(
            out,
            "      replay: {}{replay_flags}",
            replay_command_of(command, &r.file, r.seed)
        );
    }
    out
}

/// Names the verdict for comparisons between seeds.
fn verdict(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Passed => "passed",
        Outcome::Failed { .. } => "failed",
        Outcome::Skipped { .. } => "skipped",
        Outcome::Error { .. } => "error",
    }
}

/// With `--repeat`: every seed whose verdict differs from the first seed's.
pub fn repeat_differences(
    results: &[ScenarioResult],
    jobs: &[Job],
    command: &str,
    replay_flags: &str,
) {
    let mut first: Option<&ScenarioResult> = None;
    for (r, job) in results.iter().zip(jobs) {
        if job.repetition == 0 {
            first = Some(r);
            continue;
        }
        let Some(f) = first else { continue };
        if verdict(&f.outcome) != verdict(&r.outcome) {
            line(&format!(
                "DIFFERS {}: seed {} {} but seed {} {} (replay: {}{replay_flags})",
                r.name,
                r.seed,
                verdict(&r.outcome),
                f.seed,
                verdict(&f.outcome),
                replay_command_of(command, &r.file, r.seed)
            ));
        }
    }
}

/// Fleet mode: devices per second of wall time.
pub fn fleet_rate(devices: usize, scenarios: usize, wall: Duration) {
    let total = devices * scenarios;
    let secs = wall.as_secs_f64().max(1e-9);
    line(&format!(
        "fleet: {total} devices in {:.2} s wall ({:.0} devices/s)",
        secs,
        total as f64 / secs
    ));
}

/// With `--fail-fast`: how many scenarios were not run.
pub fn not_run(results: &[ScenarioResult]) {
    let n = results
        .iter()
        .filter(|r| r.not_run_kind() == Some(NotRun::FailFast.kind()))
        .count();
    if n > 0 {
        line(&format!(
            "--fail-fast: stopped after a failure; {n} scenario(s) not run (reported as skipped)"
        ));
    }
}

/// The closing line. Runs that could not go on count as failed there (and are named on
/// the line before), so the line keeps its exact shape.
pub fn summary(results: &[ScenarioResult]) {
    let s = Summary::of(results);
    if s.errors > 0 {
        line(&format!(
            "({} of the failures could not run: backend errors, load errors or interruptions)",
            s.errors
        ));
    }
    line(&format!(
        "{} passed, {} failed, {} skipped",
        s.passed,
        s.failed + s.errors,
        s.skipped
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_are_padded_and_coloured_only_when_asked() {
        let passed = Outcome::Passed;
        assert_eq!(verdict_word(&passed, false), "PASS ");
        assert_eq!(verdict_word(&passed, true), "\x1b[32mPASS \x1b[0m");
        let error = Outcome::Error {
            message: String::new(),
        };
        assert_eq!(verdict_word(&error, false), "ERROR");
        assert!(verdict_word(&error, true).starts_with("\x1b[1;35m"));
    }
}
