//! Reports of a set of runs: JUnit XML, JSON, transcript files, the HTML page and the
//! Markdown summary, and the exit status.

pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod transcripts;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

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
    /// 2: bad usage (a scenario file that does not load is a [`ExitStatus::Fail`] of its
    /// own, reported as an errored result).
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

/// A wall-clock duration as the reports show it: `11 ms` under ten seconds, else seconds
/// with one decimal (`12.3 s`).
pub fn format_wall(wall: std::time::Duration) -> String {
    let ms = wall.as_millis();
    if ms < 10_000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", wall.as_secs_f64())
    }
}

fn write_file(path: &std::path::Path, contents: &str) -> Result<(), ReportError> {
    write_atomic(path, contents.as_bytes())
}

/// Writes `contents` to `path` atomically: into a temporary file in the same directory
/// (created if needed), flushed to disk, then renamed over `path`. A reader sees the old
/// file or the whole new one, never a part; on error no temporary file is left.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), ReportError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ReportError::Io { path, source }
    };
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(parent) = parent {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    let name = path
        .file_name()
        .map_or_else(|| "report".into(), |n| n.to_string_lossy().into_owned());
    let temp_name = format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let temp = parent.map_or_else(|| PathBuf::from(&temp_name), |p| p.join(&temp_name));
    let written = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temp, path)
    })();
    if let Err(source) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(ReportError::Io {
            path: path.to_path_buf(),
            source,
        });
    }
    Ok(())
}
