//! What a run yields: the verdict, what was skipped, the transcript.

use std::fmt;
use std::path::PathBuf;

use serde::{Serialize, Serializer};

use crate::loader::Location;
use crate::transcript::{format_time, Transcript};

/// An expectation (or owner action, or wait) that did not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unmet {
    /// Where the expectation is written.
    pub location: Location,
    /// Which step or expectation block: `"step 3 (wait_until)"`, `"[[expect]] #1"`.
    pub context: String,
    /// The part: `"dk1 commands"`.
    pub what: String,
    /// What the scenario expects.
    pub expected: String,
    /// What the backend showed.
    pub observed: String,
    /// When it was checked, in milliseconds.
    pub at_ms: u64,
}

impl fmt::Display for Unmet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: {}: expected {}, observed {} (at t={})",
            self.location,
            self.context,
            self.what,
            self.expected,
            self.observed,
            format_time(self.at_ms)
        )
    }
}

/// One checked part of an expectation (or owner action's status), held or not, with what
/// was observed: the HTML report lists them all, passing ones too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Whether it held.
    pub holds: bool,
    /// Where the part is written.
    pub location: Location,
    /// Which step or expectation block: `"step 3 (wait_until)"`, `"[[expect]] #1"`.
    pub context: String,
    /// The part: `"dk1 commands"`.
    pub what: String,
    /// What the scenario expects.
    pub expected: String,
    /// What the backend showed.
    pub observed: String,
    /// When it was checked, in milliseconds.
    pub at_ms: u64,
}

impl Check {
    /// The check of `part` (an unmet part, or one in the same shape that held).
    pub fn of(holds: bool, part: &Unmet) -> Self {
        Self {
            holds,
            location: part.location.clone(),
            context: part.context.clone(),
            what: part.what.clone(),
            expected: part.expected.clone(),
            observed: part.observed.clone(),
            at_ms: part.at_ms,
        }
    }
}

/// A step, fault or expectation part the backend did not honour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skip {
    /// Where it is written.
    pub location: Location,
    /// What was skipped.
    pub what: String,
    /// Why.
    pub reason: String,
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} skipped: {}",
            self.location, self.what, self.reason
        )
    }
}

/// The verdict of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Outcome {
    /// Every expectation held.
    Passed,
    /// Some did not.
    Failed {
        /// What did not hold, in the order checked.
        unmet: Vec<Unmet>,
    },
    /// The backend cannot run this scenario at all (e.g. it needs a modem fault on
    /// hardware).
    Skipped {
        /// Why.
        reason: String,
    },
    /// The run could not go on (backend failure).
    Error {
        /// What went wrong.
        message: String,
    },
}

/// The result of running one scenario.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScenarioResult {
    /// The scenario's name.
    pub name: String,
    /// Its file.
    pub file: PathBuf,
    /// The backend's name.
    pub backend: String,
    /// The seed used.
    pub seed: u64,
    /// The verdict.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// What was skipped along the way.
    pub skipped: Vec<Skip>,
    /// Wall-clock time of the run.
    #[serde(rename = "wall_ms", serialize_with = "millis")]
    pub wall: std::time::Duration,
    /// Virtual time at the end of the run, in milliseconds.
    pub virtual_ms: u64,
    /// Everything that happened.
    pub transcript: Transcript,
    /// The command that replays this run, when not `provlab run` (e.g. `provlab hil run
    /// --rack lab.toml …`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replay: Option<String>,
    /// What the run attaches to its report (name, value): a HIL run's attempts and the
    /// paths of its console captures.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<(String, String)>,
    /// Every checked expectation part in the order checked, held or not (the HTML report's
    /// expectation tables; the unmet ones are also in [`Outcome::Failed`]). Not in the JSON
    /// report, which keeps its format.
    #[serde(skip)]
    pub checks: Vec<Check>,
}

/// The property that marks a result of a scenario that did not run (its value is
/// [`NotRun::kind`]).
pub const NOT_RUN: &str = "not_run";

/// Why a scenario has a result without having run (or without having finished).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotRun {
    /// The file does not load; an error.
    Load {
        /// The load diagnostics (file:line:col).
        message: String,
    },
    /// The run was interrupted by a signal before this scenario finished; an error.
    Interrupted {
        /// The signal's name, e.g. `SIGINT`.
        signal: String,
    },
    /// `--fail-fast` stopped the run after a failure before this scenario started; a skip.
    FailFast,
}

impl NotRun {
    /// The short kind: `load error`, `interrupted`, `fail-fast` (JUnit's error type).
    pub fn kind(&self) -> &'static str {
        match self {
            NotRun::Load { .. } => "load error",
            NotRun::Interrupted { .. } => "interrupted",
            NotRun::FailFast => "fail-fast",
        }
    }

    /// The outcome it gives: an error, or a skip for [`NotRun::FailFast`].
    pub fn outcome(&self) -> Outcome {
        match self {
            NotRun::Load { message } => Outcome::Error {
                message: format!("does not load: {message}"),
            },
            NotRun::Interrupted { signal } => Outcome::Error {
                message: format!("interrupted ({signal}) before it finished"),
            },
            NotRun::FailFast => Outcome::Skipped {
                reason: "not run: --fail-fast stopped the run after a failure".to_owned(),
            },
        }
    }
}

fn millis<S: Serializer>(d: &std::time::Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl ScenarioResult {
    /// The result of a scenario that did not run (or did not finish), for `why`: no
    /// transcript, no time, marked with the [`NOT_RUN`] property.
    pub fn not_run(
        name: impl Into<String>,
        file: impl Into<PathBuf>,
        backend: impl Into<String>,
        seed: u64,
        why: &NotRun,
    ) -> Self {
        Self {
            name: name.into(),
            file: file.into(),
            backend: backend.into(),
            seed,
            outcome: why.outcome(),
            skipped: Vec::new(),
            wall: std::time::Duration::ZERO,
            virtual_ms: 0,
            transcript: Transcript::new(),
            replay: None,
            properties: vec![(NOT_RUN.to_owned(), why.kind().to_owned())],
            checks: Vec::new(),
        }
    }

    /// Whether this is the result of a file that does not load ([`NotRun::Load`]).
    pub fn did_not_load(&self) -> bool {
        self.not_run_kind() == Some("load error")
    }

    /// [`NotRun::kind`] when the scenario did not run (or did not finish).
    pub fn not_run_kind(&self) -> Option<&str> {
        self.properties
            .iter()
            .find(|(k, _)| k == NOT_RUN)
            .map(|(_, v)| v.as_str())
    }

    /// The command that replays this run.
    pub fn replay_command(&self) -> String {
        self.replay
            .clone()
            .unwrap_or_else(|| replay_command(&self.file, self.seed))
    }

    /// Whether the scenario passed.
    pub fn passed(&self) -> bool {
        self.outcome == Outcome::Passed
    }

    /// A failure or error message: the first unmet expectation (and how many more), the
    /// seed and the replay command. `None` when it passed or was skipped.
    pub fn failure_message(&self) -> Option<String> {
        let head = match &self.outcome {
            Outcome::Passed | Outcome::Skipped { .. } => return None,
            Outcome::Failed { unmet } => {
                let first = unmet.first().map_or_else(String::new, ToString::to_string);
                match unmet.len() {
                    0 | 1 => first,
                    n => format!("{first} (and {} more unmet)", n - 1),
                }
            }
            Outcome::Error { message } => message.clone(),
        };
        if self.did_not_load() {
            return Some(format!("{head}; replay: {}", self.replay_command()));
        }
        Some(format!(
            "{head}; seed {}; replay: {}",
            self.seed,
            self.replay_command()
        ))
    }
}

/// `provlab run <file> --seed <seed>`.
pub fn replay_command(file: &std::path::Path, seed: u64) -> String {
    replay_command_of("provlab run", file, seed)
}

/// The command that replays a run of `file` with `seed` through `command` (`provlab run`,
/// `provlab hil run --rack lab.toml`), the file quoted for a POSIX shell when needed.
pub fn replay_command_of(command: &str, file: &std::path::Path, seed: u64) -> String {
    let file = file.display().to_string();
    let quoted = if file
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+,:=@".contains(c))
    {
        file
    } else {
        format!("'{}'", file.replace('\'', "'\\''"))
    };
    format!("{command} {quoted} --seed {seed}")
}
