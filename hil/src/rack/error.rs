//! Why a rack file could not be loaded.

use std::path::PathBuf;

use provlab_harness::loader::{render_diagnostics, Diagnostic};

/// A rack file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RackError {
    /// The file could not be read.
    #[error("{}: cannot read the rack file: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file has problems (syntax, unknown keys, types, rules); each names file:line:col.
    #[error("{}", render_diagnostics(diagnostics))]
    Invalid {
        /// Every problem found.
        diagnostics: Vec<Diagnostic>,
    },
}

impl RackError {
    /// The problems of an [`RackError::Invalid`] error (empty for the others).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            RackError::Invalid { diagnostics } => diagnostics,
            RackError::Read { .. } => &[],
        }
    }
}
