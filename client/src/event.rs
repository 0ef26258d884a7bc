//! The events the library reports to the application, numbered as in the SDK.
//!
//! Source: `include/net/nrf_provisioning.h` (`enum nrf_provisioning_event`) and
//! `subsys/net/lib/nrf_provisioning/src/nrf_provisioning.c` (`check_return_code_and_notify`),
//! nrfconnect/sdk-nrf, event-callback generation.

use std::fmt;

/// The attestation token the modem returns for `AT%ATTESTTOKEN`, split at its `.` like
/// `struct nrf_attestation_token` (`attest` and `cose` parts, base64url text).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttestationToken {
    /// The attestation part (before the `.`).
    pub attest: String,
    /// The COSE part (after the `.`).
    pub cose: String,
}

impl AttestationToken {
    /// The token as the modem prints it and the service's claim API takes it:
    /// `<attest>.<cose>`.
    pub fn claim_token(&self) -> String {
        format!("{}.{}", self.attest, self.cose)
    }
}

/// One event of the provisioning client.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Event {
    /// 1: an attempt starts.
    Start,
    /// 2: an attempt ends.
    Stop,
    /// 3: the server's `finished` was acknowledged and reported.
    Done,
    /// 4: the attempt failed (busy, timeout, invalid exchange, any other error).
    Failed,
    /// 5: the server had no commands.
    NoCommands,
    /// 6: more commands than the device can take (`-ENOMEM`).
    FailedTooManyCommands,
    /// 7: the device is not claimed (`-EACCES`); carries the attestation token when the
    /// modem gave one.
    FailedDeviceNotClaimed {
        /// The token to claim the device with.
        token: Option<AttestationToken>,
    },
    /// 8: the handshake was refused: wrong root CA (`-ECONNREFUSED`).
    FailedWrongRootCa,
    /// 9: no valid date and time within the timeout.
    FailedNoValidDatetime,
    /// 10: the application must take LTE offline (CFUN=4) so the modem accepts writes.
    NeedLteDeactivated,
    /// 11: the application must bring LTE back.
    NeedLteActivated,
    /// 12: the next attempt is scheduled.
    ScheduledProvisioning {
        /// Seconds until the next attempt.
        next_attempt_s: u64,
    },
    /// 13: irrecoverable error. The SDK raises it when settings cannot be initialised or
    /// `nrf_provisioning_schedule` fails; neither can happen in this model, so the client
    /// never emits it (it exists for transcripts and the numbering).
    FatalError,
}

impl Event {
    /// The SDK's event number (1 START … 13 FATAL_ERROR).
    pub const fn number(&self) -> u8 {
        match self {
            Event::Start => 1,
            Event::Stop => 2,
            Event::Done => 3,
            Event::Failed => 4,
            Event::NoCommands => 5,
            Event::FailedTooManyCommands => 6,
            Event::FailedDeviceNotClaimed { .. } => 7,
            Event::FailedWrongRootCa => 8,
            Event::FailedNoValidDatetime => 9,
            Event::NeedLteDeactivated => 10,
            Event::NeedLteActivated => 11,
            Event::ScheduledProvisioning { .. } => 12,
            Event::FatalError => 13,
        }
    }

    /// The SDK's name without the `NRF_PROVISIONING_EVENT_` prefix, e.g. `"NO_COMMANDS"`.
    pub const fn name(&self) -> &'static str {
        match self {
            Event::Start => "START",
            Event::Stop => "STOP",
            Event::Done => "DONE",
            Event::Failed => "FAILED",
            Event::NoCommands => "NO_COMMANDS",
            Event::FailedTooManyCommands => "FAILED_TOO_MANY_COMMANDS",
            Event::FailedDeviceNotClaimed { .. } => "FAILED_DEVICE_NOT_CLAIMED",
            Event::FailedWrongRootCa => "FAILED_WRONG_ROOT_CA",
            Event::FailedNoValidDatetime => "FAILED_NO_VALID_DATETIME",
            Event::NeedLteDeactivated => "NEED_LTE_DEACTIVATED",
            Event::NeedLteActivated => "NEED_LTE_ACTIVATED",
            Event::ScheduledProvisioning { .. } => "SCHEDULED_PROVISIONING",
            Event::FatalError => "FATAL_ERROR",
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::ScheduledProvisioning { next_attempt_s } => {
                write!(f, "SCHEDULED_PROVISIONING({next_attempt_s}s)")
            }
            Event::FailedDeviceNotClaimed { token: Some(_) } => {
                f.write_str("FAILED_DEVICE_NOT_CLAIMED(token)")
            }
            other => f.write_str(other.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_sdk() {
        let all = [
            Event::Start,
            Event::Stop,
            Event::Done,
            Event::Failed,
            Event::NoCommands,
            Event::FailedTooManyCommands,
            Event::FailedDeviceNotClaimed { token: None },
            Event::FailedWrongRootCa,
            Event::FailedNoValidDatetime,
            Event::NeedLteDeactivated,
            Event::NeedLteActivated,
            Event::ScheduledProvisioning { next_attempt_s: 3 },
            Event::FatalError,
        ];
        for (i, e) in all.iter().enumerate() {
            assert_eq!(usize::from(e.number()), i + 1);
        }
        assert_eq!(all[11].to_string(), "SCHEDULED_PROVISIONING(3s)");
    }
}
