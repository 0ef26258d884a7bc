//! The JSON shapes of team members and API keys (ours: nRF Cloud manages teams in its
//! portal; `provlab team` uses these).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::members::{KeyHash, Member, Role};

/// The body of `POST /v1/team/members`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewMemberBody {
    /// The member's name: 1 to 64 letters, digits, `.`, `_`, `-`, `@`.
    #[schema(example = "eddie")]
    pub name: String,
    /// The role.
    pub role: Role,
}

/// The body of `PUT /v1/team/members/{name}`: a new role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangeRoleBody {
    /// The new role.
    pub role: Role,
}

/// `201`: a new member and their API key (shown this once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewMemberCreated {
    /// The member's name.
    pub name: String,
    /// The role.
    pub role: Role,
    /// The API key; only its hash is kept, so this is the only time it is shown.
    pub api_key: String,
    /// The key's public handle (for revocation).
    pub key_id: String,
}

/// `201`: a new API key (shown this once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyCreated {
    /// The API key.
    pub api_key: String,
    /// Its public handle (for revocation).
    pub key_id: String,
}

impl ApiKeyCreated {
    /// The answer for a freshly issued `key`.
    pub fn new(key: String) -> Self {
        let key_id = KeyHash::of(&key).key_id().to_owned();
        Self {
            api_key: key,
            key_id,
        }
    }
}

/// One API key of a member (its handle, never the key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyInfo {
    /// The key's public handle.
    pub key_id: String,
    /// When it was issued (RFC 3339).
    pub created_at: String,
}

/// A team member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemberBody {
    /// The member's name.
    pub name: String,
    /// The role.
    pub role: Role,
    /// Their API keys' handles.
    pub api_keys: Vec<ApiKeyInfo>,
    /// When they joined (RFC 3339).
    pub created_at: String,
}

impl MemberBody {
    /// The API's view of a member.
    pub fn from_domain(m: &Member) -> Self {
        Self {
            name: m.id.to_string(),
            role: m.role,
            api_keys: m
                .api_keys
                .iter()
                .map(|k| ApiKeyInfo {
                    key_id: k.hash.key_id().to_owned(),
                    created_at: k.created_at.to_rfc3339(),
                })
                .collect(),
            created_at: m.created_at.to_rfc3339(),
        }
    }
}
