//! The world's errors.

use std::time::Duration;

/// Why a world operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorldError {
    /// No device with this id.
    #[error("no device #{0}")]
    NoDevice(usize),
    /// A device name is used twice.
    #[error("a device named {0:?} already exists")]
    DuplicateName(String),
    /// The modem could not be built or rebooted.
    #[error("modem of {device}: {reason}")]
    Modem {
        /// The device name.
        device: String,
        /// What failed.
        reason: String,
    },
    /// A service operation failed.
    #[error("service: {0}")]
    Service(String),
    /// The device is not claimed (or not yet known to the service).
    #[error("device {0} is not claimed")]
    NotClaimed(String),
    /// The modem gave no attestation token.
    #[error("no attestation token from {device}: {answer}")]
    NoToken {
        /// The device name.
        device: String,
        /// The modem's answer.
        answer: String,
    },
    /// The client refused an API call.
    #[error("client of {device}: {reason}")]
    Client {
        /// The device name.
        device: String,
        /// What the client said.
        reason: String,
    },
}

/// [`super::World::run_until`] reached its deadline before the condition held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("condition not met within {waited:?} (virtual time now {now:?})")]
pub struct TimedOut {
    /// How long it waited.
    pub waited: Duration,
    /// Virtual time at the deadline.
    pub now: Duration,
}
