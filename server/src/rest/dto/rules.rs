//! The JSON shapes of provisioning rules.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::commands::CommandRequest;
use crate::domain::rules::{Rule, RuleCommand, RuleSpec, RuleState};

/// One command of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuleCommandBody {
    /// Description given to the appended command.
    #[serde(default)]
    pub description: String,
    /// What to do.
    pub request: CommandRequest,
}

/// The body of `POST /v1/provisioning-rules` and of `PUT /v1/provisioning-rules/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuleSpecBody {
    /// Name.
    #[schema(example = "nRF Cloud Onboarding")]
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Active at once (otherwise `DRAFT`).
    #[serde(default)]
    pub active: bool,
    /// Commands appended to matching devices, in order.
    pub commands: Vec<RuleCommandBody>,
    /// Devices carrying any of these tags match.
    pub tags: Vec<String>,
}

impl RuleSpecBody {
    /// The domain's form.
    pub fn into_domain(self) -> RuleSpec {
        RuleSpec {
            name: self.name,
            description: self.description,
            active: self.active,
            commands: self
                .commands
                .into_iter()
                .map(|c| RuleCommand {
                    description: c.description,
                    request: c.request,
                })
                .collect(),
            tags: self.tags,
        }
    }
}

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
    pub commands: Vec<RuleCommandBody>,
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
            commands: r
                .commands
                .iter()
                .map(|c| RuleCommandBody {
                    description: c.description.clone(),
                    request: c.request.clone(),
                })
                .collect(),
            tags: r.tags.iter().cloned().collect(),
            created_at: r.created_at.to_rfc3339(),
            updated_at: r.updated_at.to_rfc3339(),
        }
    }
}
