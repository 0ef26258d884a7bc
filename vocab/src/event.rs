//! The device client's events (device-protocol.md §6), by their SDK names.

use serde::{Deserialize, Serialize};

use crate::spelling::spelled;

/// A client event (device-protocol.md §6), by its SDK name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ClientEvent {
    /// 1: an attempt starts.
    Start,
    /// 2: an attempt ends.
    Stop,
    /// 3: the configuration finished.
    Done,
    /// 4: the attempt failed.
    Failed,
    /// 5: the service had no commands.
    NoCommands,
    /// 6: more commands than the client can take (`ENOMEM`).
    FailedTooManyCommands,
    /// 7: the device is not claimed (carries the attestation token).
    FailedDeviceNotClaimed,
    /// 8: the TLS/DTLS handshake was refused (wrong root CA).
    FailedWrongRootCa,
    /// 9: no valid date-time within 60 s.
    FailedNoValidDatetime,
    /// 10: the client needs LTE off.
    NeedLteDeactivated,
    /// 11: the client needs LTE back on.
    NeedLteActivated,
    /// 12: the next attempt is scheduled (carries seconds).
    ScheduledProvisioning,
    /// 13: unrecoverable error.
    FatalError,
}
spelled!(ClientEvent {
    Start => "START",
    Stop => "STOP",
    Done => "DONE",
    Failed => "FAILED",
    NoCommands => "NO_COMMANDS",
    FailedTooManyCommands => "FAILED_TOO_MANY_COMMANDS",
    FailedDeviceNotClaimed => "FAILED_DEVICE_NOT_CLAIMED",
    FailedWrongRootCa => "FAILED_WRONG_ROOT_CA",
    FailedNoValidDatetime => "FAILED_NO_VALID_DATETIME",
    NeedLteDeactivated => "NEED_LTE_DEACTIVATED",
    NeedLteActivated => "NEED_LTE_ACTIVATED",
    ScheduledProvisioning => "SCHEDULED_PROVISIONING",
    FatalError => "FATAL_ERROR",
});

impl ClientEvent {
    /// The SDK's event number (1 START … 13 FATAL_ERROR).
    pub fn number(self) -> u8 {
        match self {
            Self::Start => 1,
            Self::Stop => 2,
            Self::Done => 3,
            Self::Failed => 4,
            Self::NoCommands => 5,
            Self::FailedTooManyCommands => 6,
            Self::FailedDeviceNotClaimed => 7,
            Self::FailedWrongRootCa => 8,
            Self::FailedNoValidDatetime => 9,
            Self::NeedLteDeactivated => 10,
            Self::NeedLteActivated => 11,
            Self::ScheduledProvisioning => 12,
            Self::FatalError => 13,
        }
    }
}
