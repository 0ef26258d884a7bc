//! The JSON shapes of provisioning tags.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::devices::Tag;

/// The body of `POST /v1/provisioning/tags`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewTagBody {
    /// The tag: 1 to 64 letters, digits, `-`, `_`, `.`, `:`.
    #[schema(example = "nrf-cloud-onboarding")]
    pub tag: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
}

/// A provisioning tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TagBody {
    /// The tag.
    pub tag: String,
    /// Free text.
    pub description: String,
    /// When it was created (RFC 3339).
    pub created_at: String,
}

impl TagBody {
    /// The API's view of a tag.
    pub fn from_domain(t: &Tag) -> Self {
        Self {
            tag: t.tag.clone(),
            description: t.description.clone(),
            created_at: t.created_at.to_rfc3339(),
        }
    }
}
