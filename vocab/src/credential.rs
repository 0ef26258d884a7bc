//! Modem credential types, as `%CMNG` numbers them.

use serde::{Deserialize, Serialize};

use crate::spelling::spelled;

/// A modem credential type (`%CMNG` `<type>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
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
spelled!(CredentialType {
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
