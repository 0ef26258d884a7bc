//! Runs jobs on worker threads; results come back (and are printed) in job order, with a
//! progress bar on an interactive terminal.

use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicUsize, Ordering};

use indicatif::{ProgressBar, ProgressStyle};
use provlab_harness::{LoadedScenario, ScenarioResult};

use super::session::{Session, Slots};
use super::{print, Job};

/// Runs every job (with `run_one`) on `threads` threads; `report` sees each result in job
/// order. Workers take no new job once `session` is stopped (`--fail-fast`, a signal);
/// the jobs `--fail-fast` kept from running get a skipped result.
pub fn run_all(
    session: &Session,
    scenarios: &[LoadedScenario],
    jobs: &[Job],
    threads: usize,
    run_one: impl Fn(&LoadedScenario, &Job) -> ScenarioResult + Sync,
    report: impl Fn(&ScenarioResult, &Job) -> String + Sync,
) -> Vec<ScenarioResult> {
    let progress = progress_bar(jobs.len());
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads.clamp(1, jobs.len().max(1)) {
            scope.spawn(|| loop {
                if session.stopped() {
                    break;
                }
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(job) = jobs.get(i) else { break };
                let Some(loaded) = scenarios.get(job.scenario) else {
                    break;
                };
                if let Some(bar) = &progress {
                    bar.set_message(loaded.name().to_owned());
                }
                let result = run_one(loaded, job);
                session.note(&result);
                let mut slots = session.lock();
                if let Some(slot) = slots.results.get_mut(i) {
                    *slot = Some(result);
                }
                flush(&mut slots, jobs, &report, progress.as_ref());
            });
        }
    });
    let mut slots = session.lock();
    if !session.interrupted() {
        for i in 0..slots.results.len() {
            if slots.results.get(i).is_some_and(Option::is_none) {
                let placeholder = session.not_run(i);
                if let Some(slot) = slots.results.get_mut(i) {
                    *slot = placeholder;
                }
            }
        }
        flush(&mut slots, jobs, &report, progress.as_ref());
    }
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    slots.results.iter().flatten().cloned().collect()
}

/// Prints every result that is next in order.
fn flush(
    c: &mut Slots,
    jobs: &[Job],
    report: &impl Fn(&ScenarioResult, &Job) -> String,
    progress: Option<&ProgressBar>,
) {
    while let Some(Some(result)) = c.results.get(c.printed) {
        let Some(job) = jobs.get(c.printed) else {
            break;
        };
        let text = report(result, job);
        match progress {
            Some(bar) => {
                bar.println(text.trim_end());
                bar.inc(1);
            }
            None => print::line(&text),
        }
        c.printed += 1;
    }
}

/// A progress bar on stderr when it is a terminal and `CI` is not set.
fn progress_bar(len: usize) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() || std::env::var_os("CI").is_some() {
        return None;
    }
    let bar = ProgressBar::new(len as u64);
    let style = ProgressStyle::with_template("{bar:30} {pos}/{len} {elapsed} {wide_msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    Some(bar)
}
