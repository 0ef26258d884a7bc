//! Statuses as the REST API shows them (service.md, "Statuses"), and as scenarios expect them.

use serde::{Deserialize, Serialize};

use crate::spelling::spelled;

/// A provisioning command's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CommandStatus {
    /// Waiting to be delivered.
    Pending,
    /// Delivered; not every record answered yet.
    InProgress,
    /// Every record answered with success.
    Succeeded,
    /// A record failed on the device, or the service could not deliver it.
    Failed,
    /// The owner skipped it after it failed.
    Skipped,
}
spelled!(CommandStatus {
    Pending => "PENDING",
    InProgress => "IN_PROGRESS",
    Succeeded => "SUCCEEDED",
    Failed => "FAILED",
    Skipped => "SKIPPED",
});

impl CommandStatus {
    /// Whether the status is final (only an owner action moves it on).
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Skipped)
    }
}

/// A claimed device's status as shown: its provisioning status, or `BLOCKED` over it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeviceStatus {
    /// Claimed, nothing in flight.
    Ready,
    /// The device fetched commands and has not answered them all.
    Provisioning,
    /// Every command answered, no `finished` yet.
    Awaiting,
    /// `finished` acknowledged.
    Provisioned,
    /// A command failed; delivery suspended until the owner acts.
    Error,
    /// Blocked by the owner: gets no commands.
    Blocked,
}
spelled!(DeviceStatus {
    Ready => "READY",
    Provisioning => "PROVISIONING",
    Awaiting => "AWAITING",
    Provisioned => "PROVISIONED",
    Error => "ERROR",
    Blocked => "BLOCKED",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_agree_with_serde() {
        for s in [
            CommandStatus::Pending,
            CommandStatus::InProgress,
            CommandStatus::Succeeded,
            CommandStatus::Failed,
            CommandStatus::Skipped,
        ] {
            assert_eq!(
                serde_json::to_value(s).ok(),
                Some(serde_json::Value::from(s.as_str()))
            );
        }
        for s in [
            DeviceStatus::Ready,
            DeviceStatus::Provisioning,
            DeviceStatus::Awaiting,
            DeviceStatus::Provisioned,
            DeviceStatus::Error,
            DeviceStatus::Blocked,
        ] {
            assert_eq!(
                serde_json::to_value(s).ok(),
                Some(serde_json::Value::from(s.to_string()))
            );
        }
        assert!(CommandStatus::Skipped.is_terminal());
        assert!(!CommandStatus::InProgress.is_terminal());
    }
}
