//! Device statuses and their transitions (service.md, "Statuses").
//!
//! ```text
//!            claim
//!              │
//!              ▼            fetch delivers               every command answered,
//!  ┌──────► READY ───────────────────────► PROVISIONING ──── no finished ───► AWAITING
//!  │  owner   ▲ ▲                              │  │                              │
//!  │  action  │ └──── command appended ────────┼──┼────── (AWAITING/PROVISIONED) ─┘
//!  │ (retry,  │                                │  └── finished acked ──► PROVISIONED
//!  │  skip,   │                                │
//!  │  update) └────────────── ERROR ◄──────────┘ a command failed (or could not be sent)
//!  └───────────────────────────┘
//! ```
//! `BLOCKED` is a flag on top of all of these: while it is set the device reads as `BLOCKED`
//! and gets no commands, but results for records it already has keep moving the underlying
//! status, which shows again on unblock.

use serde::{Deserialize, Serialize};

/// The underlying provisioning status of a claimed device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeviceStatus {
    /// Claimed, nothing in flight.
    Ready,
    /// The device fetched commands and has not answered them all.
    Provisioning,
    /// Every command delivered and answered, no `finished` yet: the owner appends more.
    Awaiting,
    /// The device acknowledged `finished`.
    Provisioned,
    /// A command failed; delivery is suspended until the owner acts.
    Error,
}

/// The status the REST API shows: the underlying status, or `BLOCKED` over it. It is the
/// vocabulary's device status; this name tells it from the underlying [`DeviceStatus`].
pub use provlab_vocab::DeviceStatus as ShownStatus;

impl DeviceStatus {
    /// What the REST API shows for this status with the block flag.
    pub fn shown(self, blocked: bool) -> ShownStatus {
        if blocked {
            return ShownStatus::Blocked;
        }
        match self {
            DeviceStatus::Ready => ShownStatus::Ready,
            DeviceStatus::Provisioning => ShownStatus::Provisioning,
            DeviceStatus::Awaiting => ShownStatus::Awaiting,
            DeviceStatus::Provisioned => ShownStatus::Provisioned,
            DeviceStatus::Error => ShownStatus::Error,
        }
    }

    /// After a batch is delivered: `PROVISIONING` (a batch is never built in `ERROR`).
    pub fn on_delivery(self) -> Self {
        match self {
            DeviceStatus::Error => DeviceStatus::Error,
            _ => DeviceStatus::Provisioning,
        }
    }

    /// After a command is appended (by the owner or a rule): a device that was waiting for
    /// more (`AWAITING`) or done (`PROVISIONED`) is `READY` again, so that an owner polling for
    /// `AWAITING` does not append twice.
    pub fn on_append(self) -> Self {
        match self {
            DeviceStatus::Awaiting | DeviceStatus::Provisioned => DeviceStatus::Ready,
            other => other,
        }
    }

    /// After a command failed (on the device or because it could not be sent).
    pub fn on_failure(self) -> Self {
        DeviceStatus::Error
    }

    /// After a success was recorded: `PROVISIONED` when it acknowledged `finished`;
    /// otherwise `AWAITING` when nothing is left to deliver or answer; else unchanged.
    pub fn on_success(self, finished_acked: bool, all_terminal: bool) -> Self {
        match self {
            DeviceStatus::Error => DeviceStatus::Error,
            _ if finished_acked => DeviceStatus::Provisioned,
            DeviceStatus::Provisioning if all_terminal => DeviceStatus::Awaiting,
            other => other,
        }
    }

    /// After an owner's retry, skip or update of a failed command: `READY` once no failed
    /// command is left, else still `ERROR`.
    pub fn on_owner_fix(self, failures_left: bool) -> Self {
        if failures_left {
            DeviceStatus::Error
        } else {
            DeviceStatus::Ready
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DeviceStatus::*;

    #[test]
    fn transitions() {
        for s in [Ready, Provisioning, Awaiting, Provisioned] {
            assert_eq!(s.on_delivery(), Provisioning);
            assert_eq!(s.on_failure(), Error);
            assert_eq!(s.shown(true), ShownStatus::Blocked);
        }
        assert_eq!(Error.on_delivery(), Error);
        assert_eq!(Awaiting.on_append(), Ready);
        assert_eq!(Provisioned.on_append(), Ready);
        assert_eq!(Provisioning.on_append(), Provisioning);
        assert_eq!(Error.on_append(), Error);
        assert_eq!(Provisioning.on_success(false, false), Provisioning);
        assert_eq!(Provisioning.on_success(false, true), Awaiting);
        assert_eq!(Provisioning.on_success(true, false), Provisioned);
        assert_eq!(Error.on_success(true, true), Error);
        assert_eq!(Error.on_owner_fix(false), Ready);
        assert_eq!(Error.on_owner_fix(true), Error);
        assert_eq!(Error.shown(false), ShownStatus::Error);
        assert_eq!(
            serde_json::to_string(&ShownStatus::Provisioned).unwrap(),
            "\"PROVISIONED\""
        );
    }
}
