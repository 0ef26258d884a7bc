//! Reports of a set of runs: JUnit XML, JSON, transcript files, and the exit status.

pub mod json;
pub mod junit;
pub mod transcripts;

use std::path::PathBuf;

use serde::Serialize;

use crate::runner::{Outcome, ScenarioResult};

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file could not be written.
    #[error("{}: cannot write: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The XML writer failed.
    #[error("cannot write JUnit XML: {0}")]
    Xml(String),
    /// The JSON serialiser failed.
    #[error("cannot write the JSON report: {0}")]
    Json(#[from] serde_json::Error),
}

/// Counts of verdicts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Scenarios run.
    pub total: usize,
    /// Passed.
    pub passed: usize,
    /// Failed (an expectation did not hold).
    pub failed: usize,
    /// Skipped as a whole.
    pub skipped: usize,
    /// Could not run (backend errors).
    pub errors: usize,
}

impl Summary {
    /// Counts the verdicts of `results`.
    pub fn of(results: &[ScenarioResult]) -> Self {
        let mut s = Summary {
            total: results.len(),
            ..Summary::default()
        };
        for r in results {
            match r.outcome {
                Outcome::Passed => s.passed += 1,
                Outcome::Failed { .. } => s.failed += 1,
                Outcome::Skipped { .. } => s.skipped += 1,
                Outcome::Error { .. } => s.errors += 1,
            }
        }
        s
    }

    /// The closing line: `N passed, N failed, N skipped` (plus errors when any).
    pub fn line(&self) -> String {
        let mut line = format!(
            "{} passed, {} failed, {} skipped",
            self.passed, self.failed, self.skipped
        );
        if self.errors > 0 {
            line.push_str(&format!(", {} errors", self.errors));
        }
        line
    }
}

/// The process exit status of `provlab run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: every scenario passed or was skipped.
    Pass,
    /// 1: a scenario failed or could not run.
    Fail,
    /// 2: bad usage or a scenario that does not load.
    Usage,
}

impl ExitStatus {
    /// The verdict of a set of runs (never [`ExitStatus::Usage`]: that is the CLI's, for
    /// argument and load errors).
    pub fn of(results: &[ScenarioResult]) -> Self {
        let s = Summary::of(results);
        if s.failed + s.errors > 0 {
            ExitStatus::Fail
        } else {
            ExitStatus::Pass
        }
    }

    /// The numeric exit code.
    pub fn code(self) -> i32 {
        match self {
            ExitStatus::Pass => 0,
            ExitStatus::Fail => 1,
            ExitStatus::Usage => 2,
        }
    }
}

fn write_file(path: &std::path::Path, contents: &str) -> Result<(), ReportError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| ReportError::Io {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    std::fs::write(path, contents).map_err(|source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    })
}
