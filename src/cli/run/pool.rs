//! Runs jobs on worker threads; results come back (and are printed) in job order, with a
//! progress bar on an interactive terminal.

use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};
use provlab_harness::{LoadedScenario, ScenarioResult};

use super::Job;

/// Results so far, by job index, and how many have been printed.
struct Collected {
    results: Vec<Option<ScenarioResult>>,
    printed: usize,
}

/// Runs every job (with `run_one`) on `threads` threads; `report` sees each result in job
/// order.
pub fn run_all(
    scenarios: &[LoadedScenario],
    jobs: &[Job],
    threads: usize,
    run_one: impl Fn(&LoadedScenario, &Job) -> ScenarioResult + Sync,
    report: impl Fn(&ScenarioResult, &Job) -> String + Sync,
) -> Vec<ScenarioResult> {
    let progress = progress_bar(jobs.len());
    let next = AtomicUsize::new(0);
    let collected = Mutex::new(Collected {
        results: vec![None; jobs.len()],
        printed: 0,
    });
    std::thread::scope(|scope| {
        for _ in 0..threads.clamp(1, jobs.len().max(1)) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(job) = jobs.get(i) else { break };
                let Some(loaded) = scenarios.get(job.scenario) else {
                    break;
                };
                if let Some(bar) = &progress {
                    bar.set_message(loaded.name().to_owned());
                }
                let result = run_one(loaded, job);
                let Ok(mut c) = collected.lock() else { break };
                if let Some(slot) = c.results.get_mut(i) {
                    *slot = Some(result);
                }
                flush(&mut c, jobs, &report, progress.as_ref());
            });
        }
    });
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    collected
        .into_inner()
        .map(|c| c.results.into_iter().flatten().collect())
        .unwrap_or_default()
}

/// Prints every result that is next in order.
fn flush(
    c: &mut Collected,
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
            None => println!("{}", text.trim_end()),
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
