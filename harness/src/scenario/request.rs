//! Provisioning command requests in the REST shapes of service.md: the vocabulary's
//! [`provlab_vocab::CommandRequest`], with certificate content a [`ContentRef`] (a backend
//! resolves it with `try_map_content` into the text the service takes).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::content::ContentRef;

pub use provlab_vocab::request::COMMAND_TYPES;
pub use provlab_vocab::{
    AtCommandRequest, ConfigRequest, CsrRequest, Finished, KeyGeneration, Properties,
};

/// A provisioning command request as a scenario writes it: exactly one of the REST request
/// types, certificate content given as text or a reference (`@lab-root-ca`, `@file:…`).
pub type CommandRequest = provlab_vocab::CommandRequest<ContentRef>;

/// `{ secTag, content }` of the certificate requests, content as a scenario writes it.
pub type Certificate = provlab_vocab::Certificate<ContentRef>;

/// One command of a device's provisioning configuration (or of a rule): what the owner
/// `POST`s to `/v1/claimed-devices/{id}/provisioning`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigCommand {
    /// The request, e.g. `{ clientPrivateKeyGeneration = { secTag = 16842753 } }`.
    pub request: CommandRequest,
    /// Free text shown in the service's listing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}
