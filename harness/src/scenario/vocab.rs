//! The service's and the device's own words: statuses, events, roles, credential types.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Writes the serde spelling of a unit enum variant.
macro_rules! display_as {
    ($ty:ty { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            /// The spelling used in scenario files and reports.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// A team member's role (service.md, "Team members and roles").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads what it may see.
    Viewer,
    /// Claims and configures its own devices; lists rules.
    Editor,
    /// Manages rules and sees every device.
    Admin,
    /// Like admin.
    Owner,
}
display_as!(Role { Viewer => "viewer", Editor => "editor", Admin => "admin", Owner => "owner" });

/// A device's status in the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeviceStatus {
    /// Claimed, nothing in flight.
    Ready,
    /// The device fetched commands.
    Provisioning,
    /// Every command answered, no `finished` yet.
    Awaiting,
    /// `finished` acknowledged.
    Provisioned,
    /// A command failed; delivery suspended until the owner acts.
    Error,
    /// Blocked by the owner.
    Blocked,
}
display_as!(DeviceStatus {
    Ready => "READY",
    Provisioning => "PROVISIONING",
    Awaiting => "AWAITING",
    Provisioned => "PROVISIONED",
    Error => "ERROR",
    Blocked => "BLOCKED",
});

/// A provisioning command's status in the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CommandStatus {
    /// Not delivered yet.
    Pending,
    /// Delivered, no result yet.
    InProgress,
    /// The device reported success.
    Succeeded,
    /// The device reported a failure.
    Failed,
    /// Skipped by an owner action.
    Skipped,
}
display_as!(CommandStatus {
    Pending => "PENDING",
    InProgress => "IN_PROGRESS",
    Succeeded => "SUCCEEDED",
    Failed => "FAILED",
    Skipped => "SKIPPED",
});

/// A client event (device-protocol.md §6), by its SDK name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
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
display_as!(ClientEvent {
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

/// A modem credential type (`%CMNG` `<type>`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CredentialType {
    /// 0: root CA certificate.
    RootCa,
    /// 1: client certificate.
    ClientCert,
    /// 2: client private key.
    PrivateKey,
    /// 3: pre-shared key.
    Psk,
    /// 4: PSK identity.
    PskIdentity,
    /// 5: public key.
    PublicKey,
    /// 6: device identity public key.
    IdentityPublicKey,
    /// 8: endorsement key.
    EndorsementKey,
}
display_as!(CredentialType {
    RootCa => "root_ca",
    ClientCert => "client_cert",
    PrivateKey => "private_key",
    Psk => "psk",
    PskIdentity => "psk_identity",
    PublicKey => "public_key",
    IdentityPublicKey => "identity_public_key",
    EndorsementKey => "endorsement_key",
});

impl CredentialType {
    /// The `%CMNG` type number.
    pub fn number(self) -> u8 {
        match self {
            Self::RootCa => 0,
            Self::ClientCert => 1,
            Self::PrivateKey => 2,
            Self::Psk => 3,
            Self::PskIdentity => 4,
            Self::PublicKey => 5,
            Self::IdentityPublicKey => 6,
            Self::EndorsementKey => 8,
        }
    }

    /// The type for a `%CMNG` type number, if it names one.
    pub fn from_number(number: u8) -> Option<Self> {
        [
            Self::RootCa,
            Self::ClientCert,
            Self::PrivateKey,
            Self::Psk,
            Self::PskIdentity,
            Self::PublicKey,
            Self::IdentityPublicKey,
            Self::EndorsementKey,
        ]
        .into_iter()
        .find(|t| t.number() == number)
    }
}

/// The transport between the device client and the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// HTTPS REST.
    #[default]
    Http,
    /// CoAP over DTLS.
    Coap,
}
display_as!(Transport { Http => "http", Coap => "coap" });

/// Which SDK generation of the client to reproduce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
pub enum Generation {
    /// The current event-callback generation.
    #[default]
    #[serde(rename = "current")]
    Current,
    /// NCS v2.9.
    #[serde(rename = "v2.9")]
    V2_9,
}
display_as!(Generation { Current => "current", V2_9 => "v2.9" });
