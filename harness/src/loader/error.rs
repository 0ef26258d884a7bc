//! Load errors that name the file, line and column.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

/// A place in a scenario file.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Location {
    /// The file, as it was given to the loader.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// One problem in a scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where.
    pub location: Location,
    /// What is wrong and what was expected.
    pub message: String,
    /// The source line, for display.
    pub source_line: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}: {}", self.location, self.message)?;
        let number = self.location.line.to_string();
        let gutter = " ".repeat(number.len());
        writeln!(f, " {gutter} |")?;
        writeln!(f, " {number} | {}", self.source_line)?;
        write!(
            f,
            " {gutter} | {}^",
            " ".repeat(self.location.column.saturating_sub(1))
        )
    }
}

/// Why scenarios could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A file or directory could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A directory holds no `*.toml` file.
    #[error("{}: no scenario files (*.toml)", path.display())]
    NoScenarios {
        /// The directory.
        path: PathBuf,
    },
    /// One or more scenario files are invalid (syntax, unknown keys, types, references,
    /// semantic rules).
    #[error("{}", render_diagnostics(diagnostics))]
    Invalid {
        /// Every problem found, by file and position.
        diagnostics: Vec<Diagnostic>,
    },
}

/// Every diagnostic, each with its source line, separated by a blank line (how load errors
/// of scenario and rack files print).
pub fn render_diagnostics(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n\n")
}

impl LoadError {
    /// The problems of an [`LoadError::Invalid`] error (empty for the others).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            LoadError::Invalid { diagnostics } => diagnostics,
            _ => &[],
        }
    }
}
