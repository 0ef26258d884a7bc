//! Errors of the simulated modem's setup and persistence (not AT answers: those are
//! [`provlab_proto::at::Answer`]s).

use std::path::PathBuf;

use super::nvm::NvmError;

/// Why a [`super::Modem`] could not be created or rebooted.
#[derive(Debug, thiserror::Error)]
pub enum ModemError {
    /// The NVM image could not be read or is corrupt.
    #[error("modem NVM: {0}")]
    Nvm(#[from] NvmError),
    /// The configured model is not an nRF91 model the simulator knows.
    #[error(
        "unknown modem model {model:?}: expected nRF9160-SIAA, -SIBA, -SICA, nRF9161-LACA, \
         nRF9131-LACA or nRF9151-LACA"
    )]
    UnknownModel {
        /// The model string given.
        model: String,
    },
    /// An explicit identity is inconsistent (e.g. an IMEI that is not 15 digits with a valid
    /// Luhn check digit).
    #[error("invalid modem identity: {reason}")]
    InvalidIdentity {
        /// What is wrong.
        reason: String,
    },
    /// A file given in the configuration could not be used.
    #[error("{path}: {reason}")]
    Path {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}
