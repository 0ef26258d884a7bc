//! The timeline: one action per `[[step]]` table.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::expect::Expectation;
use super::request::CommandRequest;
use super::service::RuleSpec;
use crate::duration::Duration;
use crate::located::Located;

/// One step of the timeline. Each `[[step]]` table has exactly one key, naming the action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// Start a provisioning attempt now (`nrf_provisioning now`): `trigger = "dk1"`.
    Trigger(Located<String>),
    /// Let time pass: `advance = "90s"`.
    Advance(Duration),
    /// Let time pass until the condition holds; fails the scenario after `within`:
    /// `wait_until = { device = "dk1", status = "ERROR", within = "2m" }`.
    WaitUntil(Located<Expectation>),
    /// Check expectations now (or, with `within`, as soon as they hold).
    Expect(Located<Expectation>),
    /// Turn a device off and on again.
    PowerCycle(PowerCycle),
    /// Switch a named fault on: `fault_on = "delete-refused"`.
    FaultOn(Located<String>),
    /// Switch a named fault off.
    FaultOff(Located<String>),
    /// Owner action: append a command to a device's configuration.
    AddCommand(AddCommand),
    /// Owner action: skip a failed command.
    Skip(CommandAction),
    /// Owner action: retry a failed command.
    Retry(CommandAction),
    /// Owner action: replace a failed command's request.
    UpdateCommand(UpdateCommand),
    /// Owner action: block a device.
    Block(DeviceAction),
    /// Owner action: unblock a device.
    Unblock(DeviceAction),
    /// Owner action: create a rule.
    CreateRule(CreateRule),
    /// Owner action: activate a DRAFT rule.
    ActivateRule(RuleAction),
    /// Owner action: claim a device with its attestation token.
    Claim(ClaimAction),
    /// Owner action: unclaim a device.
    Unclaim(DeviceAction),
}

/// Who performs an owner action and what the service should answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor<'a> {
    /// The member named by `by`, if any (else the scenario's first owner or admin).
    pub by: Option<&'a Located<String>>,
    /// The HTTP status the service is expected to answer (`expect_status`); `None`: any 2xx.
    pub expect_status: Option<u16>,
}

impl Step {
    /// The key naming this step's action.
    pub fn keyword(&self) -> &'static str {
        match self {
            Self::Trigger(_) => "trigger",
            Self::Advance(_) => "advance",
            Self::WaitUntil(_) => "wait_until",
            Self::Expect(_) => "expect",
            Self::PowerCycle(_) => "power_cycle",
            Self::FaultOn(_) => "fault_on",
            Self::FaultOff(_) => "fault_off",
            Self::AddCommand(_) => "add_command",
            Self::Skip(_) => "skip",
            Self::Retry(_) => "retry",
            Self::UpdateCommand(_) => "update_command",
            Self::Block(_) => "block",
            Self::Unblock(_) => "unblock",
            Self::CreateRule(_) => "create_rule",
            Self::ActivateRule(_) => "activate_rule",
            Self::Claim(_) => "claim",
            Self::Unclaim(_) => "unclaim",
        }
    }

    /// The actor of an owner action; `None` for the other steps.
    pub fn actor(&self) -> Option<Actor<'_>> {
        let (by, expect_status) = match self {
            Self::AddCommand(a) => (&a.by, a.expect_status),
            Self::Skip(a) | Self::Retry(a) => (&a.by, a.expect_status),
            Self::UpdateCommand(a) => (&a.by, a.expect_status),
            Self::Block(a) | Self::Unblock(a) | Self::Unclaim(a) => (&a.by, a.expect_status),
            Self::CreateRule(a) => (&a.by, a.expect_status),
            Self::ActivateRule(a) => (&a.by, a.expect_status),
            Self::Claim(a) => (&a.by, a.expect_status),
            _ => return None,
        };
        Some(Actor {
            by: by.as_ref(),
            expect_status,
        })
    }

    /// The device names this step refers to (for validation and reports).
    pub fn devices(&self) -> Vec<&Located<String>> {
        match self {
            Self::Trigger(d) => vec![d],
            Self::WaitUntil(e) | Self::Expect(e) => e.device.iter().collect(),
            Self::PowerCycle(p) => vec![&p.device],
            Self::AddCommand(a) => vec![&a.device],
            Self::Skip(a) | Self::Retry(a) => vec![&a.device],
            Self::UpdateCommand(a) => vec![&a.device],
            Self::Block(a) | Self::Unblock(a) | Self::Unclaim(a) => vec![&a.device],
            Self::Claim(a) => vec![&a.device],
            Self::Advance(_)
            | Self::FaultOn(_)
            | Self::FaultOff(_)
            | Self::CreateRule(_)
            | Self::ActivateRule(_) => Vec::new(),
        }
    }

    /// The command requests inside the step (for the loader to resolve content).
    pub fn requests_mut(&mut self) -> Vec<&mut CommandRequest> {
        match self {
            Self::AddCommand(a) => vec![&mut a.request],
            Self::UpdateCommand(a) => vec![&mut a.request],
            Self::CreateRule(a) => a.rule.commands.iter_mut().map(|c| &mut c.request).collect(),
            _ => Vec::new(),
        }
    }
}

/// `power_cycle = { device = "dk1", off_for = "5s" }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PowerCycle {
    /// The device.
    pub device: Located<String>,
    /// How long power stays off (default: at once back on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub off_for: Option<Duration>,
}

/// `add_command = { device = "dk1", request = { finished = {} } }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddCommand {
    /// The device whose configuration grows.
    pub device: Located<String>,
    /// The command's request.
    pub request: CommandRequest,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The acting member (default: the first owner or admin).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<Located<String>>,
    /// The HTTP status the service must answer (default: any 2xx).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_status: Option<u16>,
}

/// `skip = { device = "dk1", command = 2 }` (also `retry`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandAction {
    /// The device.
    pub device: Located<String>,
    /// The command's position in the device's configuration, 1-based.
    pub command: Located<u32>,
    /// The acting member (default: the first owner or admin).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<Located<String>>,
    /// The HTTP status the service must answer (default: any 2xx).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_status: Option<u16>,
}

/// `update_command = { device = "dk1", command = 2, request = { … } }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCommand {
    /// The device.
    pub device: Located<String>,
    /// The command's position in the device's configuration, 1-based.
    pub command: Located<u32>,
    /// The new request.
    pub request: CommandRequest,
    /// The acting member (default: the first owner or admin).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<Located<String>>,
    /// The HTTP status the service must answer (default: any 2xx).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_status: Option<u16>,
}

/// `block = { device = "dk1" }` (also `unblock`, `unclaim`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceAction {
    /// The device.
    pub device: Located<String>,
    /// The acting member (default: the first owner or admin).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<Located<String>>,
    /// The HTTP status the service must answer (default: any 2xx).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_status: Option<u16>,
}

/// `create_rule = { rule = { name = "lab", tags = ["lab"], commands = [ … ] } }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRule {
    /// The rule.
    pub rule: RuleSpec,
    /// The acting member (default: the first owner or admin).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<Located<String>>,
    /// The HTTP status the service must answer (default: any 2xx).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_status: Option<u16>,
}

/// `activate_rule = { rule = "lab" }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleAction {
    /// The rule's name.
    pub rule: Located<String>,
    /// The acting member (default: the first owner or admin).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<Located<String>>,
    /// The HTTP status the service must answer (default: any 2xx).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_status: Option<u16>,
}

/// `claim = { device = "dk1", tags = ["lab"] }`: claim with the device's attestation token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimAction {
    /// The device.
    pub device: Located<String>,
    /// Tags given at claim time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The acting member (default: the first owner or admin).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<Located<String>>,
    /// The HTTP status the service must answer (default: any 2xx).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_status: Option<u16>,
}
