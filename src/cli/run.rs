//! `provlab run`: loads scenario files, plays them on the simulation backend (in parallel),
//! prints one line per scenario and the summary, and writes the reports.

pub(crate) mod pool;
pub(crate) mod print;

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use provlab_harness::report::json::write_json;
use provlab_harness::report::junit::write_junit;
use provlab_harness::report::transcripts::write_transcripts;
use provlab_harness::report::ExitStatus;
use provlab_harness::{load_path_with, Duration, LoadOptions, LoadedScenario, RunOptions, Runner};
use provlab_sim::backend::fleet;
use provlab_sim::backend::{NetMode, SimBackendFactory, SimOptions};

/// Arguments of `provlab run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario files or directories (every `*.toml` in a directory, sorted by name).
    #[arg(value_name = "PATHS", default_value = "scenarios/")]
    paths: Vec<PathBuf>,
    /// Scenarios run in parallel (default: the available parallelism).
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<NonZeroUsize>,
    /// Overrides every scenario's seed.
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// The most virtual time one scenario's timeline may ask for (its `advance` and
    /// `within` durations summed); more is an error before it runs.
    #[arg(long, value_name = "DURATION", default_value = "365d")]
    max_virtual_time: Duration,
    /// The most wall-clock time one scenario may take; a run over it ends as an error.
    #[arg(long, value_name = "DURATION", default_value = "10m")]
    wall_budget: Duration,
    /// Only scenarios whose name contains this text.
    #[arg(long, value_name = "SUBSTR")]
    filter: Option<String>,
    /// Runs each scenario N times with seeds seed, seed+1, …; reports seeds whose outcome
    /// differs from the first.
    #[arg(long, value_name = "N", default_value_t = NonZeroUsize::MIN)]
    repeat: NonZeroUsize,
    /// Writes JUnit XML (one testcase per run) to FILE.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Writes every result as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// The directory tree `@file:` references may read from (default: each scenario
    /// file's own directory and below).
    #[arg(long, value_name = "DIR")]
    content_root: Option<PathBuf>,
    /// Writes `<name>.txt` and `<name>.mmd` transcripts into DIR.
    #[arg(long, value_name = "DIR")]
    transcripts: Option<PathBuf>,
    /// Fleet mode: clones each scenario's single device N times (`<name>-0001` …) on one
    /// service, repeating its steps and expectations for every clone.
    #[arg(long, value_name = "N")]
    devices: Option<NonZeroUsize>,
    /// Where devices talk to the service: the in-memory link (deterministic), or real
    /// TLS/DTLS sockets on 127.0.0.1 to the service's real device endpoints (both in
    /// virtual time, with every fault).
    #[arg(long, value_enum, default_value_t = NetArg::Memory)]
    net: NetArg,
}

/// `--net`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum NetArg {
    /// The world's in-memory link (virtual time).
    Memory,
    /// Real sockets on 127.0.0.1 to the real HTTPS and CoAP/DTLS endpoints.
    Loopback,
}

/// One run to do: a scenario (index into the loaded list) with a seed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Job {
    pub(crate) scenario: usize,
    pub(crate) seed: Option<u64>,
    /// 0 for the first of a `--repeat` series.
    pub(crate) repetition: usize,
}

/// Runs `provlab run`.
pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let scenarios = match load(&args) {
        Ok(s) => s,
        Err(message) => {
            eprintln!("{message}");
            return Ok(ExitCode::from(2));
        }
    };
    let net = match args.net {
        NetArg::Memory => NetMode::InMemory,
        NetArg::Loopback => NetMode::Loopback,
    };
    let mut replay_flags = String::new();
    if let Some(n) = args.devices {
        replay_flags.push_str(&format!(" --devices {n}"));
    }
    if net == NetMode::Loopback {
        replay_flags.push_str(" --net loopback");
    }
    let jobs = jobs_for(&scenarios, &args);
    let threads = args
        .jobs
        .or_else(|| std::thread::available_parallelism().ok())
        .map_or(1, NonZeroUsize::get);
    let started = Instant::now();
    let factory = SimBackendFactory::new(SimOptions { net });
    let results = pool::run_all(
        &scenarios,
        &jobs,
        threads,
        |loaded, job| {
            let options = RunOptions {
                seed: job.seed,
                max_virtual_time: args.max_virtual_time,
                wall_budget: args.wall_budget.to_std(),
            };
            Runner::new(factory.clone(), options).run(loaded)
        },
        |result, job| print::result_line(result, job.repetition, "provlab run", &replay_flags),
    );
    let wall = started.elapsed();
    print::repeat_differences(&results, &jobs, "provlab run", &replay_flags);
    if let Some(n) = args.devices {
        print::fleet_rate(n.get(), scenarios.len(), wall);
    }
    write_reports(&args, &results)?;
    print::summary(&results);
    let status = ExitStatus::of(&results);
    Ok(ExitCode::from(u8::try_from(status.code()).unwrap_or(1)))
}

/// Loads every path (every error, with file:line:col) and applies a name filter; the
/// error text is what to print. Shared by `provlab run` and `provlab hil run`.
pub(crate) fn load_scenarios(
    paths: &[PathBuf],
    filter: Option<&str>,
    content_root: Option<&Path>,
) -> Result<Vec<LoadedScenario>, String> {
    let options = LoadOptions {
        content_root: content_root.map(Path::to_path_buf),
    };
    let mut scenarios: Vec<LoadedScenario> = Vec::new();
    let mut problems: Vec<String> = Vec::new();
    for path in paths {
        match load_path_with(path, &options) {
            Ok(loaded) => scenarios.extend(loaded),
            Err(e) => problems.push(e.to_string()),
        }
    }
    if !problems.is_empty() {
        return Err(problems.join("\n\n"));
    }
    if let Some(filter) = filter {
        scenarios.retain(|s| s.name().contains(filter));
        if scenarios.is_empty() {
            return Err(format!("no scenario name contains `{filter}`"));
        }
    }
    Ok(scenarios)
}

/// Loads every path, applies `--filter` and `--devices`; the error text is what to print
/// (load diagnostics with file:line:col).
fn load(args: &RunArgs) -> Result<Vec<LoadedScenario>, String> {
    let mut scenarios = load_scenarios(
        &args.paths,
        args.filter.as_deref(),
        args.content_root.as_deref(),
    )?;
    if let Some(n) = args.devices {
        for loaded in &mut scenarios {
            let mut expanded =
                fleet::expand(&loaded.scenario, n.get()).map_err(|e| e.to_string())?;
            *expanded.name.get_mut() = fleet::fleet_name(loaded.name(), n.get());
            loaded.scenario = expanded;
        }
    }
    Ok(scenarios)
}

/// Every run: each scenario `--repeat` times with consecutive seeds.
fn jobs_for(scenarios: &[LoadedScenario], args: &RunArgs) -> Vec<Job> {
    let mut jobs = Vec::new();
    for (index, loaded) in scenarios.iter().enumerate() {
        let first = args.seed.unwrap_or_else(|| loaded.scenario.seed());
        for repetition in 0..args.repeat.get() {
            let seed = if args.repeat.get() == 1 && args.seed.is_none() {
                None
            } else {
                Some(first.wrapping_add(repetition as u64))
            };
            jobs.push(Job {
                scenario: index,
                seed,
                repetition,
            });
        }
    }
    jobs
}

fn write_reports(
    args: &RunArgs,
    results: &[provlab_harness::ScenarioResult],
) -> anyhow::Result<()> {
    write_report_files(
        args.junit.as_deref(),
        args.json.as_deref(),
        args.transcripts.as_deref(),
        results,
    )
}

/// Writes the JUnit, JSON and transcript reports that were asked for. Shared by `provlab
/// run` and `provlab hil run`.
pub(crate) fn write_report_files(
    junit: Option<&std::path::Path>,
    json: Option<&std::path::Path>,
    transcripts: Option<&std::path::Path>,
    results: &[provlab_harness::ScenarioResult],
) -> anyhow::Result<()> {
    if let Some(path) = junit {
        write_junit(path, results).context("writing the JUnit report")?;
    }
    if let Some(path) = json {
        write_json(path, results).context("writing the JSON report")?;
    }
    if let Some(dir) = transcripts {
        write_transcripts(dir, results).context("writing the transcripts")?;
    }
    Ok(())
}
