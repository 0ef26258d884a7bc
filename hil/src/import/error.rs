//! Why an import fails: an input that cannot be read, or a log the decoder cannot make
//! sense of. Every error names the file and, where there is one, the line.

use thiserror::Error;

/// An import that cannot produce a scenario.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ImportError {
    /// A console log line the decoder cannot read (binary data, a cut line, a line of the
    /// provisioning modules no pattern of the era knows).
    #[error("{file}:{line}: {reason}")]
    UnreadableLine {
        /// The log file as given.
        file: String,
        /// 1-based line.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// A console log with no line of the `nrf_provisioning` sample at all.
    #[error("{file}:{line}: not a console log of the nrf_provisioning sample: {reason}")]
    NotAConsoleLog {
        /// The log file as given.
        file: String,
        /// The first line that is not blank (1 for an empty file).
        line: usize,
        /// What was found instead.
        reason: String,
    },
    /// The log ends in the middle of a provisioning attempt.
    #[error(
        "{file}:{line}: the provisioning attempt that starts here never ends (no \
         `Provisioning stopped`, no reboot): the log is truncated; capture until the attempt \
         ends, or cut the log before this line"
    )]
    Truncated {
        /// The log file as given.
        file: String,
        /// The line of the attempt's START.
        line: usize,
    },
    /// The service history is not the JSON `GET .../provisioning` returns.
    #[error("{file}:{line}:{column}: service history: {reason}")]
    History {
        /// The history file as given.
        file: String,
        /// 1-based line (0 when unknown).
        line: usize,
        /// 1-based column (0 when unknown).
        column: usize,
        /// What is wrong.
        reason: String,
    },
    /// An AT trace line that cannot be read.
    #[error("{file}:{line}: AT trace: {reason}")]
    AtTrace {
        /// The trace file as given.
        file: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        reason: String,
    },
}
