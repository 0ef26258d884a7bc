//! Who may do what: one function, [`decide`], for every (role, operation, device owner).
//!
//! The rules (service.md, "Team members and roles", plus ours where it is silent):
//! * Editors, admins and owners claim; viewers only read.
//! * A device is *visible* to a member who claimed it, to everyone when an editor (or a
//!   viewer, which cannot happen) claimed it, and to admins and owners always. Devices claimed
//!   by an admin or owner are invisible to editors and viewers.
//! * Reading a visible device or its configuration: any role. Changing it (tags, commands,
//!   block, unclaim): editors and up.
//! * Rules: admins and owners create and manage them; editors may list them; viewers may not.
//! * Tags: everyone lists them; editors and up create them.
//! * Members (ours): admins and owners list and manage members, but only an owner may manage
//!   an owner or make someone an owner; every member may issue and revoke their own keys.
//!
//! A denial is a 403; a missing or unknown API key is decided before this (401).

use crate::members::Role;

/// Whose device an operation addresses: the role of the member who claimed it, and whether
/// that member is the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceOwner {
    /// The claiming member is the caller.
    pub by_caller: bool,
    /// The claiming member's role at claim time.
    pub role: Role,
}

/// Every operation of the REST API, as far as permissions go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// List the team's members.
    ListMembers,
    /// Add, change the role of, remove, or issue a key for another member whose role (the
    /// higher of the current and the requested one) is `target`.
    ManageMember {
        /// The role concerned.
        target: Role,
    },
    /// Issue or revoke one's own API keys.
    ManageOwnKeys,
    /// Claim a device (single, dry run or bulk).
    Claim,
    /// List devices (the result is filtered by visibility).
    ListDevices,
    /// Read one device.
    ReadDevice,
    /// Unclaim a device.
    Unclaim,
    /// Change a device's tags.
    EditDeviceTags,
    /// Block or unblock a device.
    BlockDevice,
    /// List provisioning tags.
    ListTags,
    /// Create a provisioning tag.
    CreateTag,
    /// List or read a device's commands.
    ReadConfiguration,
    /// Add, update, skip or retry a device's commands.
    EditConfiguration,
    /// List or read rules.
    ListRules,
    /// Create, edit or activate rules.
    ManageRules,
}

impl Operation {
    /// Whether the operation addresses one device (and so needs its [`DeviceOwner`]).
    pub fn is_device_scoped(self) -> bool {
        matches!(
            self,
            Operation::ReadDevice
                | Operation::Unclaim
                | Operation::EditDeviceTags
                | Operation::BlockDevice
                | Operation::ReadConfiguration
                | Operation::EditConfiguration
        )
    }
}

/// Why an operation was denied (a 403's message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied(pub String);

/// Whether a member with `role` sees a device claimed as `owner` says.
pub fn can_see(role: Role, owner: DeviceOwner) -> bool {
    owner.by_caller || owner.role <= Role::Editor || role >= Role::Admin
}

/// The role with its indefinite article ("an editor", "a viewer"), for refusals in words.
fn with_article(role: Role) -> String {
    let article = match role.to_string().chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        _ => "a",
    };
    format!("{article} {role}")
}

/// Decides whether `role` may perform `op` on `device` (`None` for team-wide operations).
pub fn decide(role: Role, op: Operation, device: Option<DeviceOwner>) -> Result<(), Denied> {
    let at_least = |min: Role, what: &str| {
        if role >= min {
            Ok(())
        } else {
            Err(Denied(format!("{} may not {what}", with_article(role))))
        }
    };
    if op.is_device_scoped() {
        let Some(owner) = device else {
            return Err(Denied("the operation needs a device".into()));
        };
        if !can_see(role, owner) {
            return Err(Denied(format!(
                "devices claimed by {} are not visible to {}",
                with_article(owner.role),
                with_article(role)
            )));
        }
    }
    match op {
        Operation::ListMembers => at_least(Role::Admin, "list team members"),
        Operation::ManageMember { target } => {
            at_least(Role::Admin, "manage team members")?;
            if target == Role::Owner && role != Role::Owner {
                Err(Denied("only an owner may manage owners".into()))
            } else {
                Ok(())
            }
        }
        Operation::ManageOwnKeys
        | Operation::ListDevices
        | Operation::ReadDevice
        | Operation::ListTags
        | Operation::ReadConfiguration => Ok(()),
        Operation::Claim => at_least(Role::Editor, "claim devices"),
        Operation::Unclaim => at_least(Role::Editor, "unclaim devices"),
        Operation::EditDeviceTags => at_least(Role::Editor, "change device tags"),
        Operation::BlockDevice => at_least(Role::Editor, "block or unblock devices"),
        Operation::CreateTag => at_least(Role::Editor, "create tags"),
        Operation::EditConfiguration => {
            at_least(Role::Editor, "change provisioning configurations")
        }
        Operation::ListRules => at_least(Role::Editor, "list provisioning rules"),
        Operation::ManageRules => at_least(Role::Admin, "create or manage provisioning rules"),
    }
}
