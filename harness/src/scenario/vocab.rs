//! The service's and the device's own words: statuses, events, roles and credential types
//! are the vocabulary's (`provlab_vocab`, shared with the domain and the REST API); the
//! transport and the client generation are the scenario's own.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use provlab_vocab::{ClientEvent, CommandStatus, CredentialType, DeviceStatus, Role};

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
