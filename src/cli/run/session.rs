//! What one `provlab run` (or `provlab hil run`) shares between its worker threads, its
//! main thread and its signal handler: the results so far, the stop flag (`--fail-fast`,
//! signals) and the reports to write. On SIGINT/SIGTERM the handler writes the reports of
//! what has finished, with every scenario that has not as an error ("interrupted"), and
//! exits 130 / 143.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use anyhow::Context as _;
use provlab_harness::report::ExitStatus;
use provlab_harness::runner::replay_command_of;
use provlab_harness::{NotRun, Outcome, ScenarioResult};

use super::{print, write_report_files};

/// The reports for people, shared by `provlab run` and `provlab hil run`: `--html` and
/// `--markdown`.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct PageArgs {
    /// Writes one self-contained HTML page to FILE: a summary table, and per scenario its
    /// expectations with observed values, sequence diagrams (inline SVG, per device and
    /// attempt when large) and transcript with faults highlighted. Works offline.
    #[arg(long, value_name = "FILE")]
    pub(crate) html: Option<PathBuf>,
    /// Writes a Markdown summary (a table, the failures with their replay commands) to FILE,
    /// for a CI job summary or a pull-request comment (`-`: to stdout; the human lines then
    /// go to stderr).
    #[arg(long, value_name = "FILE")]
    pub(crate) markdown: Option<PathBuf>,
}

/// The report files asked for (`--junit`, `--json`, `--transcripts`, `--html`,
/// `--markdown`).
#[derive(Debug, Clone, Default)]
pub(crate) struct ReportPaths {
    pub(crate) junit: Option<PathBuf>,
    pub(crate) json: Option<PathBuf>,
    pub(crate) transcripts: Option<PathBuf>,
    pub(crate) html: Option<PathBuf>,
    pub(crate) markdown: Option<PathBuf>,
}

/// Whether `path` is `-` (stdout).
fn is_stdout(path: Option<&std::path::Path>) -> bool {
    path.is_some_and(|p| p.as_os_str() == "-")
}

impl ReportPaths {
    /// Whether a report goes to stdout (`--json -` or `--markdown -`): the human lines then
    /// go to stderr.
    pub(crate) fn stdout_taken(&self) -> bool {
        is_stdout(self.json.as_deref()) || is_stdout(self.markdown.as_deref())
    }

    /// A usage error: two reports asked for on stdout, or the HTML page there.
    pub(crate) fn usage_error(&self) -> Option<&'static str> {
        if is_stdout(self.json.as_deref()) && is_stdout(self.markdown.as_deref()) {
            return Some("error: only one of --json and --markdown can be `-` (stdout)");
        }
        if is_stdout(self.html.as_deref()) {
            return Some("error: --html needs a file (the page is not written to stdout)");
        }
        None
    }

    /// Writes every report asked for; `title` heads the HTML and Markdown ones.
    pub(crate) fn write(&self, results: &[ScenarioResult], title: &str) -> anyhow::Result<()> {
        write_report_files(self, results, title)
    }
}

/// A job's scenario as the reports name it when it has no result of its own.
#[derive(Debug, Clone)]
pub(crate) struct JobInfo {
    pub(crate) name: String,
    pub(crate) file: PathBuf,
    pub(crate) seed: u64,
}

/// The results so far, by job index, and how many have been printed.
#[derive(Debug)]
pub(crate) struct Slots {
    pub(crate) results: Vec<Option<ScenarioResult>>,
    pub(crate) printed: usize,
    /// The reports are being (or have been) written; nobody else may.
    finished: bool,
}

/// One run's shared state.
#[derive(Debug)]
pub(crate) struct Session {
    reports: ReportPaths,
    backend: String,
    /// `provlab run` or `provlab hil run --rack …`, for replay lines.
    command: String,
    replay_flags: String,
    /// Results that exist before any job runs: files that do not load.
    before: Vec<ScenarioResult>,
    jobs: Vec<JobInfo>,
    fail_fast: bool,
    /// Take no more jobs (`--fail-fast` after a failure, or a signal).
    stop: AtomicBool,
    /// The signal that interrupted the run: its name and the exit code.
    signal: OnceLock<(&'static str, u8)>,
    slots: Mutex<Slots>,
}

impl Session {
    /// A session for `jobs`, with `before` (load errors) reported first.
    pub(crate) fn new(
        reports: ReportPaths,
        backend: &str,
        command: &str,
        replay_flags: &str,
        before: Vec<ScenarioResult>,
        jobs: Vec<JobInfo>,
        fail_fast: bool,
    ) -> Self {
        let stop = fail_fast && before.iter().any(is_failure);
        let slots = Slots {
            results: vec![None; jobs.len()],
            printed: 0,
            finished: false,
        };
        Self {
            reports,
            backend: backend.to_owned(),
            command: command.to_owned(),
            replay_flags: replay_flags.to_owned(),
            before,
            jobs,
            fail_fast,
            stop: AtomicBool::new(stop),
            signal: OnceLock::new(),
            slots: Mutex::new(slots),
        }
    }

    /// The load errors, reported before the jobs' results.
    pub(crate) fn before(&self) -> &[ScenarioResult] {
        &self.before
    }

    /// Whether workers should take no more jobs.
    pub(crate) fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Whether a signal interrupted the run.
    pub(crate) fn interrupted(&self) -> bool {
        self.signal.get().is_some()
    }

    /// Notes a finished result: with `--fail-fast`, a failure stops the run.
    pub(crate) fn note(&self, result: &ScenarioResult) {
        if self.fail_fast && is_failure(result) {
            self.stop.store(true, Ordering::SeqCst);
        }
    }

    /// The slots, also after a worker panicked while holding them.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Slots> {
        self.slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The result of job `index` that `--fail-fast` kept from running.
    pub(crate) fn not_run(&self, index: usize) -> Option<ScenarioResult> {
        self.placeholder(index, &NotRun::FailFast)
    }

    fn placeholder(&self, index: usize, why: &NotRun) -> Option<ScenarioResult> {
        let job = self.jobs.get(index)?;
        let mut result = ScenarioResult::not_run(
            job.name.clone(),
            job.file.clone(),
            self.backend.clone(),
            job.seed,
            why,
        );
        result.replay = Some(format!(
            "{}{}",
            replay_command_of(&self.command, &job.file, job.seed),
            self.replay_flags
        ));
        Some(result)
    }

    /// Every result to report: the load errors, then the jobs' results.
    pub(crate) fn all_results(&self, jobs: Vec<ScenarioResult>) -> Vec<ScenarioResult> {
        let mut all = self.before.clone();
        all.extend(jobs);
        all
    }

    /// Writes the reports and prints the summary of a run that ended by itself; returns its
    /// exit code. A signal that came first wins: its handler writes the reports and exits.
    pub(crate) fn finish(&self, results: &[ScenarioResult]) -> anyhow::Result<ExitCode> {
        let mut slots = self.lock();
        if self.interrupted() {
            self.write_interrupted(&mut slots);
        }
        slots.finished = true;
        self.reports.write(results, &self.command)?;
        print::summary(results);
        let status = ExitStatus::of(results);
        Ok(ExitCode::from(u8::try_from(status.code()).unwrap_or(1)))
    }

    /// The signal handler's part: no more jobs; unless the reports are written already,
    /// writes them with every unfinished scenario as interrupted; exits with `code`.
    fn interrupt(&self, name: &'static str, code: u8) -> ! {
        let _ = self.signal.set((name, code));
        self.stop.store(true, Ordering::SeqCst);
        let mut slots = self.lock();
        if slots.finished {
            exit(code);
        }
        self.write_interrupted(&mut slots)
    }

    /// Writes the reports of the finished results plus the unfinished ones as
    /// interrupted, prints them and the summary, and exits. Holds the slots throughout, so
    /// no worker prints or stores anything meanwhile.
    fn write_interrupted(&self, slots: &mut Slots) -> ! {
        let (name, code) = self.signal.get().copied().unwrap_or(("SIGINT", 130));
        slots.finished = true;
        let why = NotRun::Interrupted {
            signal: name.to_owned(),
        };
        let mut unfinished = 0;
        let mut jobs = Vec::with_capacity(slots.results.len());
        for (index, slot) in slots.results.iter().enumerate() {
            match slot {
                Some(result) => jobs.push(result.clone()),
                None => {
                    unfinished += 1;
                    if let Some(result) = self.placeholder(index, &why) {
                        jobs.push(result);
                    }
                }
            }
        }
        for result in jobs.iter().skip(slots.printed) {
            print::line(&print::result_line(
                result,
                0,
                &self.command,
                &self.replay_flags,
            ));
        }
        print::line(&format!(
            "interrupted by {name}: {unfinished} of {} scenarios did not finish",
            jobs.len()
        ));
        let results = self.all_results(jobs);
        if let Err(e) = self.reports.write(&results, &self.command) {
            eprintln!("error: {e:#}");
        }
        print::summary(&results);
        exit(code)
    }
}

/// Failed, or could not run.
fn is_failure(result: &ScenarioResult) -> bool {
    matches!(
        result.outcome,
        Outcome::Failed { .. } | Outcome::Error { .. }
    )
}

fn exit(code: u8) -> ! {
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    std::process::exit(i32::from(code))
}

/// Handles SIGINT and SIGTERM for `session` from now on (on a thread of its own, with
/// tokio's signal support): see [`Session::interrupt`].
pub(crate) fn handle_signals(session: &Arc<Session>) -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .context("starting the signal handler")?;
    let (mut int, mut term) = {
        let _entered = runtime.enter();
        (
            signal(SignalKind::interrupt()).context("handling SIGINT")?,
            signal(SignalKind::terminate()).context("handling SIGTERM")?,
        )
    };
    let session = Arc::clone(session);
    std::thread::Builder::new()
        .name("signals".to_owned())
        .spawn(move || {
            let (name, code) = runtime.block_on(async {
                tokio::select! {
                    _ = int.recv() => ("SIGINT", 130),
                    _ = term.recv() => ("SIGTERM", 143),
                }
            });
            session.interrupt(name, code)
        })
        .context("starting the signal handler")?;
    Ok(())
}
