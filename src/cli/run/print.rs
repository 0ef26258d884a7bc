//! What `provlab run` prints: one block per run, `--repeat` differences, the fleet rate and
//! the summary line `N passed, N failed, N skipped` (CI parses it).

use std::fmt::Write as _;
use std::time::Duration;

use provlab_harness::report::Summary;
use provlab_harness::runner::replay_command_of;
use provlab_harness::transcript::format_time;
use provlab_harness::{Outcome, ScenarioResult};

use super::Job;

/// The lines of one run: verdict, name, seed, times; for a failure every unmet part and
/// the replay command (with `replay_flags`, the run's options that change the outcome,
/// such as ` --devices 50 --net loopback`).
pub fn result_line(
    r: &ScenarioResult,
    repetition: usize,
    command: &str,
    replay_flags: &str,
) -> String {
    let verdict = match r.outcome {
        Outcome::Passed => "PASS",
        Outcome::Failed { .. } => "FAIL",
        Outcome::Skipped { .. } => "SKIP",
        Outcome::Error { .. } => "ERROR",
    };
    let mut out = format!(
        "{verdict:<5} {} ({}) seed {} · {} virtual · {} ms",
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
            println!(
                "DIFFERS {}: seed {} {} but seed {} {} (replay: {}{replay_flags})",
                r.name,
                r.seed,
                verdict(&r.outcome),
                f.seed,
                verdict(&f.outcome),
                replay_command_of(command, &r.file, r.seed)
            );
        }
    }
}

/// Fleet mode: devices per second of wall time.
pub fn fleet_rate(devices: usize, scenarios: usize, wall: Duration) {
    let total = devices * scenarios;
    let secs = wall.as_secs_f64().max(1e-9);
    println!(
        "fleet: {total} devices in {:.2} s wall ({:.0} devices/s)",
        secs,
        total as f64 / secs
    );
}

/// The closing line. Runs that could not go on count as failed there (and are named on
/// the line before), so the line keeps its exact shape.
pub fn summary(results: &[ScenarioResult]) {
    let s = Summary::of(results);
    if s.errors > 0 {
        println!(
            "({} of the failures could not run: backend errors)",
            s.errors
        );
    }
    println!(
        "{} passed, {} failed, {} skipped",
        s.passed,
        s.failed + s.errors,
        s.skipped
    );
}
