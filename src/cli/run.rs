//! `provlab run`: loads scenario files, plays them on the simulation backend (in parallel),
//! prints one line per scenario and the summary, and writes the reports.

pub(crate) mod pool;
pub(crate) mod print;
pub(crate) mod session;

use std::io::Write as _;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use provlab_harness::report::html::write_html;
use provlab_harness::report::json::{json_string, write_json};
use provlab_harness::report::junit::write_junit;
use provlab_harness::report::markdown::{markdown_report, write_markdown};
use provlab_harness::report::transcripts::write_transcripts;
use provlab_harness::{
    load_each_with, BackendFactory as _, Duration, LoadOptions, LoadedScenario, NotRun, RunOptions,
    Runner, ScenarioResult,
};
use provlab_sim::backend::fleet;
use provlab_sim::backend::{NetMode, SimBackendFactory, SimOptions};
use session::{JobInfo, PageArgs, ReportPaths, Session};

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
    /// Writes every result as JSON to FILE (`-`: to stdout; the human lines then go to
    /// stderr).
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Stops at the first failure (or file that does not load): scenarios not started yet
    /// do not run and are reported as skipped.
    #[arg(long)]
    fail_fast: bool,
    /// The directory tree `@file:` references may read from (default: each scenario
    /// file's own directory and below).
    #[arg(long, value_name = "DIR")]
    content_root: Option<PathBuf>,
    /// Writes `<name>.txt` and `<name>.mmd` transcripts into DIR.
    #[arg(long, value_name = "DIR")]
    transcripts: Option<PathBuf>,
    #[command(flatten)]
    pages: PageArgs,
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
    let reports = ReportPaths {
        junit: args.junit.clone(),
        json: args.json.clone(),
        transcripts: args.transcripts.clone(),
        html: args.pages.html.clone(),
        markdown: args.pages.markdown.clone(),
    };
    if let Some(message) = reports.usage_error() {
        eprintln!("{message}");
        return Ok(ExitCode::from(2));
    }
    if reports.stdout_taken() {
        print::to_stderr();
    }
    let net = match args.net {
        NetArg::Memory => NetMode::InMemory,
        NetArg::Loopback => NetMode::Loopback,
    };
    let factory = SimBackendFactory::new(SimOptions { net });
    let command = "provlab run";
    let loaded = match load(&args) {
        Ok(s) => s,
        Err(message) => {
            eprintln!("{message}");
            return Ok(ExitCode::from(2));
        }
    };
    let scenarios = loaded.scenarios;
    let mut replay_flags = String::new();
    if let Some(n) = args.devices {
        replay_flags.push_str(&format!(" --devices {n}"));
    }
    if net == NetMode::Loopback {
        replay_flags.push_str(" --net loopback");
    }
    let jobs = jobs_for(&scenarios, &args);
    let session = Arc::new(Session::new(
        reports,
        factory.name(),
        command,
        &replay_flags,
        load_error_results(&loaded.errors, factory.name(), command),
        job_infos(&scenarios, &jobs),
        args.fail_fast,
    ));
    session::handle_signals(&session)?;
    for result in session.before() {
        print::line(&print::result_line(result, 0, command, &replay_flags));
    }
    let threads = args
        .jobs
        .or_else(|| std::thread::available_parallelism().ok())
        .map_or(1, NonZeroUsize::get);
    let started = Instant::now();
    let results = pool::run_all(
        &session,
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
        |result, job| print::result_line(result, job.repetition, command, &replay_flags),
    );
    let wall = started.elapsed();
    print::repeat_differences(&results, &jobs, command, &replay_flags);
    if let Some(n) = args.devices {
        print::fleet_rate(n.get(), scenarios.len(), wall);
    }
    print::not_run(&results);
    session.finish(&session.all_results(results))
}

/// The scenarios that load, and the files that do not (with their diagnostics).
pub(crate) struct Loaded {
    /// The scenarios to run (after `--filter`).
    pub(crate) scenarios: Vec<LoadedScenario>,
    /// Each file (or path) that does not load, and why (file:line:col diagnostics).
    pub(crate) errors: Vec<(PathBuf, String)>,
}

/// Loads every file of every path, each on its own (one file's problems do not keep the
/// others from running), and applies a name filter. An error (the text to print) only when
/// the filter leaves nothing and every file loaded. Shared by `provlab run` and `provlab
/// hil run`.
pub(crate) fn load_scenarios(
    paths: &[PathBuf],
    filter: Option<&str>,
    content_root: Option<&Path>,
) -> Result<Loaded, String> {
    let options = LoadOptions {
        content_root: content_root.map(Path::to_path_buf),
    };
    let mut scenarios: Vec<LoadedScenario> = Vec::new();
    let mut errors = Vec::new();
    for file in load_each_with(paths, &options) {
        match file.result {
            Ok(loaded) => scenarios.push(loaded),
            Err(e) => errors.push((file.path, e.to_string())),
        }
    }
    if let Some(filter) = filter {
        scenarios.retain(|s| s.name().contains(filter));
        if scenarios.is_empty() && errors.is_empty() {
            return Err(format!("no scenario name contains `{filter}`"));
        }
    }
    Ok(Loaded { scenarios, errors })
}

/// The errored results of the files that do not load.
pub(crate) fn load_error_results(
    errors: &[(PathBuf, String)],
    backend: &str,
    command: &str,
) -> Vec<ScenarioResult> {
    errors
        .iter()
        .map(|(path, message)| {
            let mut result = ScenarioResult::not_run(
                path.display().to_string(),
                path.clone(),
                backend,
                0,
                &NotRun::Load {
                    message: message.clone(),
                },
            );
            result.replay = Some(format!("{command} {}", path.display()));
            result
        })
        .collect()
}

/// What the reports name each job by when it has no result of its own.
pub(crate) fn job_infos(scenarios: &[LoadedScenario], jobs: &[Job]) -> Vec<JobInfo> {
    jobs.iter()
        .filter_map(|job| {
            let loaded = scenarios.get(job.scenario)?;
            Some(JobInfo {
                name: loaded.name().to_owned(),
                file: loaded.path.clone(),
                seed: job.seed.unwrap_or_else(|| loaded.scenario.seed()),
            })
        })
        .collect()
}

/// Loads every path, applies `--filter` and `--devices`; the error text is what to print.
fn load(args: &RunArgs) -> Result<Loaded, String> {
    let mut loaded = load_scenarios(
        &args.paths,
        args.filter.as_deref(),
        args.content_root.as_deref(),
    )?;
    if let Some(n) = args.devices {
        for loaded in &mut loaded.scenarios {
            let mut expanded =
                fleet::expand(&loaded.scenario, n.get()).map_err(|e| e.to_string())?;
            *expanded.name.get_mut() = fleet::fleet_name(loaded.name(), n.get());
            loaded.scenario = expanded;
        }
    }
    Ok(loaded)
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

/// Writes the JUnit, JSON and Markdown (`-`: to stdout), transcript and HTML reports that
/// were asked for, each file atomically; `title` heads the HTML and Markdown ones. Shared by
/// `provlab run` and `provlab hil run`.
pub(crate) fn write_report_files(
    reports: &ReportPaths,
    results: &[provlab_harness::ScenarioResult],
    title: &str,
) -> anyhow::Result<()> {
    if let Some(path) = &reports.junit {
        write_junit(path, results).context("writing the JUnit report")?;
    }
    if let Some(path) = &reports.json {
        if path.as_os_str() == "-" {
            let text = json_string(results).context("writing the JSON report")?;
            to_stdout(&text).context("writing the JSON report to stdout")?;
        } else {
            write_json(path, results).context("writing the JSON report")?;
        }
    }
    if let Some(dir) = &reports.transcripts {
        write_transcripts(dir, results).context("writing the transcripts")?;
    }
    if let Some(path) = &reports.html {
        write_html(path, results, title).context("writing the HTML report")?;
    }
    if let Some(path) = &reports.markdown {
        if path.as_os_str() == "-" {
            to_stdout(&markdown_report(results, title))
                .context("writing the Markdown summary to stdout")?;
        } else {
            write_markdown(path, results, title).context("writing the Markdown summary")?;
        }
    }
    Ok(())
}

fn to_stdout(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}
