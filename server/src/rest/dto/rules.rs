//! The JSON shapes of provisioning rules as the API shows them (the body that creates or
//! updates one is the domain's [`RuleSpec`]).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[cfg(doc)]
use crate::domain::rules::RuleSpec;
use crate::domain::rules::{Rule, RuleCommand, RuleState};

/// A rule's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RuleStateBody {
    /// Editable, not applied.
    Draft,
    /// Applied to matching devices; immutable.
    Active,
}

/// A provisioning rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuleBody {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Whether it is in force (`state == ACTIVE`).
    pub active: bool,
    /// Draft or active.
    pub state: RuleStateBody,
    /// Commands appended to matching devices.
    pub commands: Vec<RuleCommand>,
    /// Tags that select devices.
    pub tags: Vec<String>,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// When it last changed (RFC 3339).
    pub updated_at: String,
}

impl RuleBody {
    /// The API's view of a rule.
    pub fn from_domain(r: &Rule) -> Self {
        Self {
            id: r.id.to_string(),
            name: r.name.clone(),
            description: r.description.clone(),
            active: r.state == RuleState::Active,
            state: match r.state {
                RuleState::Draft => RuleStateBody::Draft,
                RuleState::Active => RuleStateBody::Active,
            },
            commands: r.commands.clone(),
            tags: r.tags.iter().cloned().collect(),
            created_at: r.created_at.to_rfc3339(),
            updated_at: r.updated_at.to_rfc3339(),
        }
    }
}
