//! `provlab hil run`: the scenario files on a rack's boards, reported like `provlab run`
//! (one line per scenario, replay commands, `N passed, N failed, N skipped`, JUnit, JSON,
//! transcripts), with one retry on another board when a run fails for the lab's reasons.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use clap::Args;
use provlab_harness::compare::{compare, render, CompareOptions, DriftReport, SavedTranscript};
use provlab_harness::report::transcripts::file_stem_of;
use provlab_harness::runner::replay_command_of;
use provlab_harness::{BackendFactory as _, LoadedScenario, RunOptions, Runner, ScenarioResult};
use provlab_hil::backend::rack_provider::{ProbeFactory, RackOptions, RackProvider};
use provlab_hil::backend::{BoardProvider as _, HilBackendFactory};
use provlab_hil::decode::Era;
use provlab_sim::backend::{NetMode, SimBackendFactory, SimOptions};

use super::inventory::load;
use crate::cli::run::session::{self, PageArgs, ReportPaths, Session};
use crate::cli::run::{job_infos, load_error_results, load_scenarios, pool, print, Job};

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
    /// Writes every result as JSON to FILE (`-`: to stdout; the human lines then go to
    /// stderr).
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Stops at the first failure (or file that does not load): scenarios not started yet
    /// do not run and are reported as skipped.
    #[arg(long)]
    fail_fast: bool,
    /// Writes `<name>.txt`, `<name>.mmd` and `<name>.json` transcripts into DIR.
    #[arg(long, value_name = "DIR")]
    transcripts: Option<PathBuf>,
    #[command(flatten)]
    pages: PageArgs,
    /// The directory tree `@file:` references may read from (default: each scenario
    /// file's own directory and below).
    #[arg(long, value_name = "DIR")]
    content_root: Option<PathBuf>,
    /// After each scenario, runs it in simulation with the same seed and writes a drift
    /// report (text, JSON, HTML) of the board's run against the simulation's: into the
    /// transcripts directory (`<name>.drift.*`, `<name>.sim.json`) or, without one, into the
    /// scenario's log directory. Drift is reported, not a failure.
    #[arg(long)]
    compare_sim: bool,
    /// With `--compare-sim`: the largest accepted ratio between the times since the
    /// previous common event in simulation and on the board.
    #[arg(long = "time-tolerance", value_name = "X", default_value_t = 2.0)]
    time_tolerance: f64,
    /// With `--compare-sim`: gaps shorter than this (board milliseconds) on both sides are
    /// not checked for timing. Default: 1 s, or 250 ms of wall time at the rack's clock
    /// speed if that is more (5 s at 20x), since the runner's polling and a busy host
    /// shift a fast board's times by that much.
    #[arg(long = "min-gap-ms", value_name = "MS")]
    min_gap_ms: Option<u64>,
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
    let loaded = match load_scenarios(
        &args.paths,
        args.filter.as_deref(),
        args.content_root.as_deref(),
    ) {
        Ok(s) => s,
        Err(message) => {
            eprintln!("{message}");
            return Ok(ExitCode::from(2));
        }
    };
    let scenarios = loaded.scenarios;
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
    print::line(&format!(
        "hil run {run_id}: console logs in {}",
        provider.log_dir().display()
    ));
    let speed = provider.speed();
    if speed > 1 {
        print::line(&format!(
            "the boards' clocks run at {speed}x: deadlines, the scenarios' durations and the lab service's clock are scaled by {speed}; times below are board times"
        ));
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
    let drift = args.compare_sim.then(|| CompareSim {
        dir: args.transcripts.clone(),
        log_dir: provider.log_dir(),
        time_tolerance: args.time_tolerance,
        min_gap_ms: args
            .min_gap_ms
            .unwrap_or_else(|| (250 * u64::from(speed)).max(1000)),
        outcomes: Mutex::new(BTreeMap::new()),
    });
    let session = Arc::new(Session::new(
        reports,
        factory.name(),
        &command,
        &replay_flags,
        load_error_results(&loaded.errors, factory.name(), &command),
        job_infos(&scenarios, &jobs),
        args.fail_fast,
    ));
    session::handle_signals(&session)?;
    for result in session.before() {
        print::line(&print::result_line(result, 0, &command, &replay_flags));
    }
    let results = pool::run_all(
        &session,
        &scenarios,
        &jobs,
        args.boards.get(),
        |loaded, job| {
            let mut result = run_with_retry(&factory, &provider, loaded, job);
            attach(&mut result, &factory, &provider, &command, &replay_flags);
            if let Some(drift) = &drift {
                drift.compare(loaded, &mut result, &provider);
            }
            result
        },
        |result, job| {
            let mut line = print::result_line(result, job.repetition, &command, &replay_flags)
                .trim_end()
                .to_owned();
            if let Some(drift) = &drift {
                line.push_str(&drift.line(&result.name));
            }
            line
        },
    );
    for attempt in factory.attempts().all() {
        if let Some(why) = &attempt.infrastructure {
            print::line(&format!(
                "attempt of {} on {}: infrastructure failure: {why}",
                attempt.scenario,
                attempt.boards.join(", ")
            ));
        }
    }
    if let Some(drift) = &drift {
        print::line(&drift.summary());
    }
    print::not_run(&results);
    session.finish(&session.all_results(results))
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
    // A HIL run keeps to the backend's own scenario budget (scaled to the rack's speed),
    // not the simulation's wall-clock default.
    let options = RunOptions {
        wall_budget: std::time::Duration::MAX,
        ..RunOptions::with_seed(job.seed)
    };
    let runner = Runner::new(factory.clone(), options);
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

/// A scenario's drift report and where its text was written, or why there is none.
type Compared = Result<(DriftReport, PathBuf), String>;

/// `--compare-sim`: each scenario's board run against the same scenario and seed in
/// simulation (in memory), as drift reports.
struct CompareSim {
    /// The transcripts directory, if one was asked for.
    dir: Option<PathBuf>,
    /// The run's log directory (the reports' place without a transcripts directory).
    log_dir: PathBuf,
    time_tolerance: f64,
    min_gap_ms: u64,
    /// By scenario name: the report's summary and where it was written, or why not.
    outcomes: Mutex<BTreeMap<String, Compared>>,
}

impl CompareSim {
    /// Runs `loaded` in simulation with `result`'s seed, compares, writes the reports and
    /// notes the outcome in `result`'s properties.
    fn compare(
        &self,
        loaded: &LoadedScenario,
        result: &mut ScenarioResult,
        provider: &RackProvider,
    ) {
        if matches!(result.outcome, provlab_harness::Outcome::Skipped { .. }) {
            return;
        }
        let sim = Runner::new(
            SimBackendFactory::new(SimOptions {
                net: NetMode::InMemory,
            }),
            RunOptions::with_seed(Some(result.seed)),
        )
        .run(loaded);
        let options = CompareOptions {
            a_label: "sim".to_owned(),
            b_label: "hil".to_owned(),
            scenario: Some(result.name.clone()),
            time_tolerance: self.time_tolerance,
            min_gap_ms: self.min_gap_ms,
        };
        let report = compare(&sim.transcript, &result.transcript, &options);
        let written = self.write(&report, &sim, result, provider);
        let outcome = match written {
            Ok(path) => {
                result
                    .properties
                    .push(("drift_vs_sim".to_owned(), report.summary()));
                result
                    .properties
                    .push(("drift_report".to_owned(), path.display().to_string()));
                Ok((report, path))
            }
            Err(e) => Err(format!("{e:#}")),
        };
        if let Ok(mut outcomes) = self.outcomes.lock() {
            outcomes.insert(result.name.clone(), outcome);
        }
    }

    /// Writes the drift report (text, JSON, HTML) and the simulation's transcript; returns
    /// the text report's path.
    fn write(
        &self,
        report: &DriftReport,
        sim: &ScenarioResult,
        hil: &ScenarioResult,
        provider: &RackProvider,
    ) -> anyhow::Result<PathBuf> {
        let (dir, prefix) = match &self.dir {
            Some(dir) => (dir.clone(), format!("{}.", file_stem_of(&hil.name))),
            None => (
                self.log_dir.join(provider.scenario_dir(&hil.name)),
                String::new(),
            ),
        };
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("{}: cannot create", dir.display()))?;
        let file = |name: &str| dir.join(format!("{prefix}{name}"));
        let saved =
            |r: &ScenarioResult| SavedTranscript::of(&r.name, r.seed, &r.backend, &r.transcript);
        write(
            &file("sim.json"),
            &serde_json::to_string_pretty(&saved(sim))?,
        )?;
        if self.dir.is_none() {
            write(
                &file("hil.json"),
                &serde_json::to_string_pretty(&saved(hil))?,
            )?;
        }
        write(&file("drift.json"), &render::json(report)?)?;
        write(&file("drift.html"), &render::html(report))?;
        let text = file("drift.txt");
        write(&text, &render::text(report))?;
        Ok(text)
    }

    /// The line under a scenario's result line.
    fn line(&self, scenario: &str) -> String {
        let Ok(outcomes) = self.outcomes.lock() else {
            return String::new();
        };
        match outcomes.get(scenario) {
            Some(Ok((report, path))) => {
                let mut line = format!("\n      vs sim: {} ({})", report.summary(), path.display());
                for drift in report.drifts.iter().take(3) {
                    line.push_str(&format!("\n        {}: {}", drift.kind, drift.message));
                }
                if report.drifts.len() > 3 {
                    line.push_str(&format!("\n        … {} more", report.drifts.len() - 3));
                }
                line
            }
            Some(Err(why)) => format!("\n      vs sim: no report: {why}"),
            None => String::new(),
        }
    }

    /// `compare-sim: N without drift, N with drift, N not compared (skipped)`.
    fn summary(&self) -> String {
        let Ok(outcomes) = self.outcomes.lock() else {
            return String::new();
        };
        let clean = outcomes
            .values()
            .filter(|o| matches!(o, Ok((r, _)) if !r.has_drift()))
            .count();
        let drift = outcomes
            .values()
            .filter(|o| matches!(o, Ok((r, _)) if r.has_drift()))
            .count();
        let failed = outcomes.values().filter(|o| o.is_err()).count();
        let mut line = format!("compare-sim: {clean} without drift, {drift} with drift");
        if failed > 0 {
            line.push_str(&format!(", {failed} without a report"));
        }
        line
    }
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    provlab_harness::report::write_atomic(path, text.as_bytes())
        .with_context(|| format!("{}: cannot write", path.display()))
}
