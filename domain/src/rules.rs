//! Provisioning rules: command lists that active rules append to every claimed device
//! carrying one of their tags, when the device connects.
//!
//! A rule is `DRAFT` until activated and immutable once active. Rules apply in `createdAt`
//! order (ties broken by the event sequence), each at most once per device: the device keeps
//! the ids of the rules applied to it (service.md: "tracked by rule id").

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::commands::{validate_description, CommandRequest, CommandRequestExt as _, MAX_COMMANDS};
use crate::error::{Error, Result};
use crate::ids::RuleId;
use crate::time::Timestamp;

/// Longest rule name accepted.
pub const MAX_RULE_NAME_LEN: usize = 128;

/// One command of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuleCommand {
    /// Description given to the appended command.
    #[serde(default)]
    pub description: String,
    /// What to do.
    pub request: CommandRequest,
}

/// The body of `POST /v1/provisioning-rules` and of `PUT /v1/provisioning-rules/{id}` (a
/// draft's update).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuleSpec {
    /// Name.
    #[cfg_attr(feature = "utoipa", schema(example = "nRF Cloud Onboarding"))]
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Active at once (otherwise `DRAFT`).
    #[serde(default)]
    pub active: bool,
    /// The commands appended to matching devices, in order.
    pub commands: Vec<RuleCommand>,
    /// Devices carrying any of these tags match.
    pub tags: Vec<String>,
}

impl RuleSpec {
    /// Checks every field; errors name it.
    pub fn validate(&self) -> Result<()> {
        if self.name.trim().is_empty() || self.name.chars().count() > MAX_RULE_NAME_LEN {
            return Err(Error::invalid(
                "name",
                format!("must be 1 to {MAX_RULE_NAME_LEN} characters, not all blank"),
            ));
        }
        validate_description(&self.description)?;
        if self.commands.is_empty() || self.commands.len() > MAX_COMMANDS {
            return Err(Error::invalid(
                "commands",
                format!("a rule holds 1 to {MAX_COMMANDS} commands"),
            ));
        }
        for (i, c) in self.commands.iter().enumerate() {
            validate_description(&c.description)
                .map_err(|e| prefix(e, &format!("commands[{i}].")))?;
            c.request
                .validate()
                .map_err(|e| prefix(e, &format!("commands[{i}].")))?;
        }
        if self.tags.is_empty() {
            return Err(Error::invalid("tags", "a rule needs at least one tag"));
        }
        crate::devices::tag_set(&self.tags)?;
        Ok(())
    }
}

fn prefix(error: Error, prefix: &str) -> Error {
    match error {
        Error::Invalid { field, reason } => Error::Invalid {
            field: format!("{prefix}{field}"),
            reason,
        },
        other => other,
    }
}

/// Whether a rule is in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RuleState {
    /// Editable, not applied.
    Draft,
    /// Applied to matching devices; immutable.
    Active,
}

/// A stored rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    /// Id.
    pub id: RuleId,
    /// Name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Draft or active.
    pub state: RuleState,
    /// Commands appended to matching devices.
    pub commands: Vec<RuleCommand>,
    /// Tags that select devices.
    pub tags: BTreeSet<String>,
    /// When it was created.
    pub created_at: Timestamp,
    /// Event sequence of its creation: breaks `createdAt` ties.
    pub created_seq: u64,
    /// When it was last changed.
    pub updated_at: Timestamp,
}

impl Rule {
    /// Whether the rule applies to a device with `tags` that has already had `applied`.
    pub fn applies_to(&self, tags: &BTreeSet<String>, applied: &BTreeSet<RuleId>) -> bool {
        self.state == RuleState::Active
            && !applied.contains(&self.id)
            && !self.tags.is_disjoint(tags)
    }

    /// The ordering key: `createdAt`, then creation sequence.
    pub fn order_key(&self) -> (crate::time::Timestamp, u64) {
        (self.created_at, self.created_seq)
    }
}
