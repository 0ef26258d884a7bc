//! The service's starting state: team members, tags and rules; and its service-wide faults.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::fault::FaultWindow;
use super::request::ConfigCommand;
use super::vocab::Role;
use crate::located::Located;

/// The fake Provisioning Service before the timeline starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceState {
    /// Team members (each has an API key with one role). Default: one owner, `owner`.
    #[serde(default = "default_members")]
    pub members: Vec<Member>,
    /// Provisioning tags that exist before any claim.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Provisioning rules, in creation order.
    #[serde(default, rename = "rule", skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RuleSpec>,
    /// Service-wide faults (`[[service.fault]]`): a fault of the service or the network
    /// held over a window of the timeline for every device or a list of them.
    #[serde(default, rename = "fault", skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<FaultWindow>,
}

impl Default for ServiceState {
    fn default() -> Self {
        Self {
            members: default_members(),
            tags: Vec::new(),
            rules: Vec::new(),
            faults: Vec::new(),
        }
    }
}

fn default_members() -> Vec<Member> {
    vec![Member {
        name: Located::new("owner".to_owned()),
        role: Role::Owner,
    }]
}

/// A team member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Member {
    /// The name steps use to act as this member (`by = "olivia"`).
    pub name: Located<String>,
    /// The member's role.
    pub role: Role,
}

/// A provisioning rule (service.md, "Rules").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// The rule's name (steps refer to it by this name).
    pub name: Located<String>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Devices carrying any of these tags get the rule's commands.
    pub tags: Vec<String>,
    /// `true`: active; `false`: DRAFT until an `activate_rule` step.
    #[serde(default = "yes")]
    pub active: bool,
    /// The commands appended to a matching device's configuration.
    pub commands: Vec<ConfigCommand>,
}

fn yes() -> bool {
    true
}
