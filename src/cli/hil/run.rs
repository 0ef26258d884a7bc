//! `provlab hil run`: the scenario files on a rack's boards, reported like `provlab run`
//! (one line per scenario, replay commands, `N passed, N failed, N skipped`, JUnit, JSON,
//! transcripts), with one retry on another board when a run fails for the lab's reasons.

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::Args;
use provlab_harness::report::ExitStatus;
use provlab_harness::runner::replay_command_of;
use provlab_harness::{LoadedScenario, RunOptions, Runner, ScenarioResult};
use provlab_hil::backend::rack_provider::{ProbeFactory, RackOptions, RackProvider};
use provlab_hil::backend::{BoardProvider as _, HilBackendFactory};
use provlab_hil::decode::Era;

use super::inventory::load;
use crate::cli::run::{load_scenarios, pool, print, write_report_files, Job};

/// Arguments of `provlab hil run`.
#[derive(Debug, Args)]
pub struct HilRunArgs {
    /// The rack file.
    #[arg(long, value_name = "FILE")]
    rack: PathBuf,
    /// Scenario files or directories.
    #[arg(value_name = "PATHS", default_value = "scenarios/")]
    paths: Vec<PathBuf>,
    /// Scenarios run at once, each on its own boards (default 1).
    #[arg(long, value_name = "N", default_value_t = NonZeroUsize::MIN)]
    boards: NonZeroUsize,
    /// Overrides every scenario's seed.
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Only scenarios whose name contains this text.
    #[arg(long, value_name = "SUBSTR")]
    filter: Option<String>,
    /// The console era of every virtual board (`v2.9`, `3.0`, `current`); default: each
    /// board's own.
    #[arg(long, value_name = "ERA", value_parser = parse_era)]
    era: Option<Era>,
    /// Only boards that carry every one of these tags.
    #[arg(long = "tag", value_name = "TAG")]
    tags: Vec<String>,
    /// Erase a locked chip (APPROTECT) to unlock it before flashing; logged.
    #[arg(long)]
    recover: bool,
    /// Writes JUnit XML (one testcase per scenario) to FILE.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Writes every result as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Writes `<name>.txt` and `<name>.mmd` transcripts into DIR.
    #[arg(long, value_name = "DIR")]
    transcripts: Option<PathBuf>,
}

fn parse_era(text: &str) -> Result<Era, String> {
    Era::parse(text).ok_or_else(|| format!("{text:?}: expected v2.9, 3.0 or current"))
}

/// Runs `provlab hil run`.
pub fn run(args: HilRunArgs) -> anyhow::Result<ExitCode> {
    init_logging();
    let rack = match load(&args.rack) {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    let scenarios = match load_scenarios(&args.paths, args.filter.as_deref()) {
        Ok(s) => s,
        Err(message) => {
            eprintln!("{message}");
            return Ok(ExitCode::from(2));
        }
    };
    let run_id = run_id();
    let provider = Arc::new(RackProvider::new(
        rack,
        RackOptions {
            owner: std::env::var("USER").unwrap_or_else(|_| "provlab".to_owned()),
            run_id: run_id.clone(),
            virtual_era: args.era,
            tags: args.tags.clone(),
            recover: args.recover,
            pull_plug: None,
            probes: ProbeFactory::probe_rs(),
        },
    ));
    println!(
        "hil run {run_id}: console logs in {}",
        provider.log_dir().display()
    );
    let speed = provider.speed();
    if speed > 1 {
        println!(
            "the boards' clocks run at {speed}x: deadlines, the scenarios' durations and the lab service's clock are scaled by {speed}; times below are board times"
        );
    }
    let factory = HilBackendFactory::new(provider.clone());
    let jobs: Vec<Job> = (0..scenarios.len())
        .map(|scenario| Job {
            scenario,
            seed: args.seed,
            repetition: 0,
        })
        .collect();
    let command = format!("provlab hil run --rack {}", args.rack.display());
    let mut replay_flags = String::new();
    if let Some(era) = args.era {
        replay_flags.push_str(&format!(" --era {}", era.name()));
    }
    let results = pool::run_all(
        &scenarios,
        &jobs,
        args.boards.get(),
        |loaded, job| {
            let mut result = run_with_retry(&factory, &provider, loaded, job);
            attach(&mut result, &factory, &provider, &command, &replay_flags);
            result
        },
        |result, job| print::result_line(result, job.repetition, &command, &replay_flags),
    );
    for attempt in factory.attempts().all() {
        if let Some(why) = &attempt.infrastructure {
            println!(
                "attempt of {} on {}: infrastructure failure: {why}",
                attempt.scenario,
                attempt.boards.join(", ")
            );
        }
    }
    write_report_files(
        args.junit.as_deref(),
        args.json.as_deref(),
        args.transcripts.as_deref(),
        &results,
    )?;
    print::summary(&results);
    let status = ExitStatus::of(&results);
    Ok(ExitCode::from(u8::try_from(status.code()).unwrap_or(1)))
}

/// The lab service's log on stderr (`RUST_LOG` filters; default: errors only, so the
/// run's report stays readable).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// Runs one scenario; when it failed for the lab's reasons, leaves those boards out and
/// runs it once more on others.
fn run_with_retry(
    factory: &HilBackendFactory,
    provider: &RackProvider,
    loaded: &LoadedScenario,
    job: &Job,
) -> ScenarioResult {
    let runner = Runner::new(factory.clone(), RunOptions { seed: job.seed });
    let first = runner.run(loaded);
    let failed = factory
        .attempts()
        .last_of(loaded.name())
        .filter(|a| a.infrastructure.is_some());
    let Some(failed) = failed else {
        return first;
    };
    for board in &failed.boards {
        provider.exclude(board);
    }
    eprintln!(
        "{}: infrastructure failure on {}; retrying once on another board",
        loaded.name(),
        failed.boards.join(", ")
    );
    runner.run(loaded)
}

/// The HIL replay command and the run's attempts and console captures, for the reports.
fn attach(
    result: &mut ScenarioResult,
    factory: &HilBackendFactory,
    provider: &RackProvider,
    command: &str,
    replay_flags: &str,
) {
    result
        .properties
        .push(("clock_speed".to_owned(), provider.speed().to_string()));
    result.replay = Some(format!(
        "{}{replay_flags}",
        replay_command_of(command, &result.file, result.seed)
    ));
    let attempts = factory.attempts().all();
    for (n, attempt) in attempts
        .iter()
        .filter(|a| a.scenario == result.name)
        .enumerate()
    {
        let end = attempt.infrastructure.as_deref().map_or_else(
            || "ran".to_owned(),
            |why| format!("infrastructure failure: {why}"),
        );
        result.properties.push((
            "attempt".to_owned(),
            format!("{} on {}: {end}", n + 1, attempt.boards.join(", ")),
        ));
        for board in &attempt.boards {
            let log = provider
                .log_dir()
                .join(provider.scenario_dir(&result.name))
                .join(format!("{board}.console.log"));
            result
                .properties
                .push(("console_log".to_owned(), log.display().to_string()));
        }
    }
}

/// A run id: the start time and the process id (letters, digits and `-` only).
fn run_id() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!("{secs}-{}", std::process::id())
}
