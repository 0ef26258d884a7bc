//! Errors of the serial front-ends and the PTY server.

use crate::modem::ModemError;

/// Why a serial front-end or the PTY server stopped.
#[derive(Debug, thiserror::Error)]
pub enum SerialError {
    /// The modem asked for a reboot (or the shell ran `kernel reboot`) and did not come back.
    #[error("the simulated modem failed to reboot: {0}")]
    Reboot(#[from] ModemError),
    /// A system call on the pseudo-terminal or the signal descriptor failed.
    #[error("pseudo-terminal: {op} failed: {source}")]
    Pty {
        /// What was being done.
        op: &'static str,
        /// The OS error.
        #[source]
        source: nix::Error,
    },
}

impl SerialError {
    /// A [`SerialError::Pty`] for `op`.
    pub(crate) fn pty(op: &'static str) -> impl FnOnce(nix::Error) -> SerialError {
        move |source| SerialError::Pty { op, source }
    }
}
