//! A team member's role (service.md, "Team members and roles").

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::spelling::spelled;

/// A member's role in the team, from least to most privileged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads what it may see.
    Viewer,
    /// Claims devices and edits configurations of devices claimed by editors.
    Editor,
    /// Sees and edits every device; manages rules and members.
    Admin,
    /// Like an admin, and the only role that may manage owners.
    Owner,
}
spelled!(Role { Viewer => "viewer", Editor => "editor", Admin => "admin", Owner => "owner" });

impl Role {
    /// All roles, least privileged first.
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Editor, Role::Admin, Role::Owner];
}

/// A text that names no role.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}; expected viewer, editor, admin or owner")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_read_back_and_order_by_privilege() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse(), Ok(role));
            assert_eq!(
                serde_json::to_value(role).ok(),
                Some(serde_json::Value::from(role.as_str()))
            );
        }
        assert!(Role::Viewer < Role::Editor && Role::Admin < Role::Owner);
        assert_eq!("root".parse::<Role>(), Err(UnknownRole("root".into())));
    }
}
