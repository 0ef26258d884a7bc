//! The domain events: every change of state is one of these.
//!
//! Operations validate, then build events and apply them one by one through
//! [`crate::State::apply`], the only code that mutates state; they return the events
//! they applied. A persistence layer stores each operation's events in one transaction and
//! rebuilds the state at start by applying them again in order. Events carry everything drawn
//! from the seeded id source (command and rule ids, API key hashes), so replay needs no
//! randomness, and they are serde-serializable (JSON: `{"type": "commandAdded", ...}`).

use std::collections::BTreeSet;

use provlab_proto::tokens::Uuid;
use serde::{Deserialize, Serialize};

use crate::commands::{CommandRequest, DeviceResult};
use crate::ids::{CommandId, DeviceId, MemberId, RuleId, Step};
use crate::members::{KeyHash, Role};
use crate::registry::Verification;
use crate::rules::RuleSpec;
use crate::time::Timestamp;

/// One record sent in a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveredRecord {
    /// The command.
    pub command: CommandId,
    /// Which of its records.
    pub step: Step,
}

/// A command appended by a rule: its minted id and sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppliedCommand {
    /// The new command's id.
    pub command: CommandId,
    /// Its correlation sequence.
    pub seq: u32,
}

/// A change of state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Event {
    /// A member joined the team.
    MemberAdded {
        /// When.
        at: Timestamp,
        /// Who.
        member: MemberId,
        /// With which role.
        role: Role,
    },
    /// A member's role changed.
    MemberRoleChanged {
        /// When.
        at: Timestamp,
        /// Who.
        member: MemberId,
        /// The new role.
        role: Role,
    },
    /// A member left the team; their keys stop working.
    MemberRemoved {
        /// When.
        at: Timestamp,
        /// Who.
        member: MemberId,
    },
    /// An API key was issued to a member (only its hash is kept).
    ApiKeyIssued {
        /// When.
        at: Timestamp,
        /// The key's owner.
        member: MemberId,
        /// The key's hash.
        hash: KeyHash,
        /// The key was drawn from the id source (two draws) rather than given by the caller.
        generated: bool,
    },
    /// An API key was revoked.
    ApiKeyRevoked {
        /// When.
        at: Timestamp,
        /// The key's owner.
        member: MemberId,
        /// The key's hash.
        hash: KeyHash,
    },
    /// A provisioning tag was created explicitly.
    TagCreated {
        /// When.
        at: Timestamp,
        /// The tag.
        tag: String,
        /// Free text.
        description: String,
    },
    /// A device was claimed (status `READY`).
    DeviceClaimed {
        /// When.
        at: Timestamp,
        /// The device.
        device: DeviceId,
        /// The claiming member.
        by: MemberId,
        /// Their role at claim time.
        by_role: Role,
        /// Attestation device type number.
        device_type: i64,
        /// Modem firmware UUID.
        modem_fw_uuid: Uuid,
        /// How the token's signature was accepted.
        verification: Verification,
        /// Initial tags.
        tags: BTreeSet<String>,
    },
    /// A device was unclaimed; its configuration and history are dropped.
    DeviceUnclaimed {
        /// When.
        at: Timestamp,
        /// The device.
        device: DeviceId,
    },
    /// A device's tags were replaced.
    DeviceTagsSet {
        /// When.
        at: Timestamp,
        /// The device.
        device: DeviceId,
        /// The new tags.
        tags: BTreeSet<String>,
    },
    /// A command was appended by the owner (one draw).
    CommandAdded {
        /// When.
        at: Timestamp,
        /// The device.
        device: DeviceId,
        /// The new command's id.
        command: CommandId,
        /// Its correlation sequence.
        seq: u32,
        /// Free text.
        description: String,
        /// The request.
        request: CommandRequest,
    },
    /// A pending or failed command's request was replaced; it is `PENDING` under a new sequence.
    CommandUpdated {
        /// When.
        at: Timestamp,
        /// The device.
        device: DeviceId,
        /// The command.
        command: CommandId,
        /// Its new correlation sequence.
        seq: u32,
        /// New description, if given.
        description: Option<String>,
        /// The new request.
        request: CommandRequest,
    },
    /// A failed command was reset to `PENDING` under a new sequence.
    CommandRetried {
        /// When.
        at: Timestamp,
        /// The device.
        device: DeviceId,
        /// The command.
        command: CommandId,
        /// Its new correlation sequence.
        seq: u32,
    },
    /// A failed command was skipped.
    CommandSkipped {
        /// When.
        at: Timestamp,
        /// The device.
        device: DeviceId,
        /// The command.
        command: CommandId,
    },
    /// A batch was sent to the device.
    RecordsDelivered {
        /// When.
        at: Timestamp,
        /// The device.
        device: DeviceId,
        /// The `after` cursor the device sent.
        after: String,
        /// The records, in batch order.
        records: Vec<DeliveredRecord>,
    },
    /// The device answered one record.
    ResultRecorded {
        /// When.
        at: Timestamp,
        /// The device.
        device: DeviceId,
        /// The command.
        command: CommandId,
        /// Which record.
        step: Step,
        /// The answer.
        result: DeviceResult,
    },
    /// The service failed a command it cannot deliver (larger than the device's `rxMaxSize`).
    CommandRejected {
        /// When.
        at: Timestamp,
        /// The device.
        device: DeviceId,
        /// The command.
        command: CommandId,
        /// Why.
        reason: String,
    },
    /// The device was blocked.
    DeviceBlocked {
        /// When.
        at: Timestamp,
        /// The device.
        device: DeviceId,
    },
    /// The device was unblocked.
    DeviceUnblocked {
        /// When.
        at: Timestamp,
        /// The device.
        device: DeviceId,
    },
    /// A rule was created (one draw).
    RuleCreated {
        /// When.
        at: Timestamp,
        /// The new rule's id.
        rule: RuleId,
        /// Its content.
        spec: RuleSpec,
    },
    /// A draft rule was edited.
    RuleUpdated {
        /// When.
        at: Timestamp,
        /// The rule.
        rule: RuleId,
        /// Its new content (`active` in it is ignored: activation is its own event).
        spec: RuleSpec,
    },
    /// A draft rule became active.
    RuleActivated {
        /// When.
        at: Timestamp,
        /// The rule.
        rule: RuleId,
    },
    /// An active rule's commands were appended to a device at connect time (one draw per
    /// command).
    RuleApplied {
        /// When.
        at: Timestamp,
        /// The device.
        device: DeviceId,
        /// The rule.
        rule: RuleId,
        /// The appended commands, in the rule's order.
        commands: Vec<AppliedCommand>,
    },
}

impl Event {
    /// When the event happened.
    pub fn at(&self) -> Timestamp {
        match self {
            Event::MemberAdded { at, .. }
            | Event::MemberRoleChanged { at, .. }
            | Event::MemberRemoved { at, .. }
            | Event::ApiKeyIssued { at, .. }
            | Event::ApiKeyRevoked { at, .. }
            | Event::TagCreated { at, .. }
            | Event::DeviceClaimed { at, .. }
            | Event::DeviceUnclaimed { at, .. }
            | Event::DeviceTagsSet { at, .. }
            | Event::CommandAdded { at, .. }
            | Event::CommandUpdated { at, .. }
            | Event::CommandRetried { at, .. }
            | Event::CommandSkipped { at, .. }
            | Event::RecordsDelivered { at, .. }
            | Event::ResultRecorded { at, .. }
            | Event::CommandRejected { at, .. }
            | Event::DeviceBlocked { at, .. }
            | Event::DeviceUnblocked { at, .. }
            | Event::RuleCreated { at, .. }
            | Event::RuleUpdated { at, .. }
            | Event::RuleActivated { at, .. }
            | Event::RuleApplied { at, .. } => *at,
        }
    }

    /// How many values this event drew from the seeded id source.
    pub fn draws(&self) -> u64 {
        match self {
            Event::CommandAdded { .. } | Event::RuleCreated { .. } => 1,
            Event::ApiKeyIssued {
                generated: true, ..
            } => 2,
            Event::RuleApplied { commands, .. } => commands.len() as u64,
            _ => 0,
        }
    }
}
