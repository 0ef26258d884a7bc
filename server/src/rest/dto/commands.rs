//! The JSON shapes of provisioning commands the domain has no type for: the update body, the
//! created id, and a command as the API shows it.
//!
//! The `request` object and the status are the vocabulary's own types
//! ([`CommandRequest`], [`CommandStatus`], from `provlab_vocab`, which the domain uses too),
//! and the add body is the domain's [`NewCommand`], so what the server reads and writes, what
//! the domain holds and what the OpenAPI document describes are one definition.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::commands::{CommandEntry, CommandRequest, CommandStatus};
#[cfg(doc)]
use crate::domain::service::NewCommand;

/// The body of `PUT /v1/claimed-devices/{id}/provisioning/{commandId}` (ours): a new request
/// for a `PENDING` or `FAILED` command, and optionally a new description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateCommandBody {
    /// New description; unchanged when absent.
    #[serde(default)]
    pub description: Option<String>,
    /// The new request.
    pub request: CommandRequest,
}

/// `201 {"id": ...}`: the id of a created resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Created {
    /// The new resource's id.
    #[schema(example = "89ed0c1a-7b0e-4f3e-9a55-0e5f5d2c8a11")]
    pub id: String,
}

/// A command as `GET .../provisioning[/{commandId}]` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommandBody {
    /// The command's id.
    pub id: String,
    /// Free text.
    pub description: String,
    /// What was asked.
    pub request: CommandRequest,
    /// Where it stands.
    pub status: CommandStatus,
    /// The device's answer, keyed by the command type (e.g.
    /// `{"certificateSigningRequest": {"message", "csr", "publicKey"}}`; on failure
    /// `{"<type>": {"cmeError", "message"}}`); `null` before any answer.
    #[schema(value_type = Option<Object>)]
    pub response: serde_json::Value,
    /// When it was added (RFC 3339).
    pub created_at: String,
    /// When its status or request last changed (RFC 3339).
    pub updated_at: String,
    /// When the device last answered it (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responded_at: Option<String>,
    /// The rule that appended it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_id: Option<String>,
    /// How many batches carried it.
    pub deliveries: u32,
}

impl CommandBody {
    /// The API's view of a command.
    pub fn from_domain(entry: &CommandEntry) -> Self {
        Self {
            id: entry.id.to_string(),
            description: entry.description.clone(),
            request: entry.request.clone(),
            status: entry.status,
            response: entry.response_json(),
            created_at: entry.created_at.to_rfc3339(),
            updated_at: entry.updated_at.to_rfc3339(),
            responded_at: entry.responded_at.map(|t| t.to_rfc3339()),
            rule_id: entry.rule.map(|r| r.to_string()),
            deliveries: entry.deliveries,
        }
    }
}
