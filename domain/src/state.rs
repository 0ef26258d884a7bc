//! The service's state and [`State::apply`], the only function that changes it.
//!
//! State is a fold of events: applying the same events to [`State::default`] always gives the
//! same state, which is how persistence restores it. `apply` checks that every id an event
//! names exists, so a corrupt log is reported rather than half-applied.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::commands::{CommandEntry, CommandRequest, CommandStatus, DeviceResult};
use crate::devices::{Device, Tag};
use crate::events::Event;
use crate::ids::{CommandId, DeviceId, MemberId, RuleId, Step};
use crate::members::{ApiKeyRecord, KeyHash, Member};
use crate::rules::{Rule, RuleState};
use crate::status::DeviceStatus;
use crate::time::Timestamp;

/// Why an event could not be applied (a corrupt or reordered log, or a bug).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot apply event #{index} ({kind}): {reason}")]
pub struct ApplyError {
    /// Zero-based number of the event in the log.
    pub index: u64,
    /// The event's type.
    pub kind: String,
    /// What is missing or inconsistent.
    pub reason: String,
}

/// Everything the service knows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct State {
    /// Team members by id.
    pub members: BTreeMap<MemberId, Member>,
    /// Which member each API key hash belongs to.
    pub key_index: BTreeMap<KeyHash, MemberId>,
    /// Provisioning tags.
    pub tags: BTreeMap<String, Tag>,
    /// Claimed devices.
    pub devices: BTreeMap<DeviceId, Device>,
    /// Rules.
    pub rules: BTreeMap<RuleId, Rule>,
    /// Values drawn from the seeded id source so far.
    pub draws: u64,
    /// Events applied so far (also the creation sequence of the next one).
    pub events: u64,
}

type Applied = Result<(), String>;

impl State {
    /// Applies one event. On error the state is unchanged: every arm checks what the event
    /// names before it changes anything.
    pub fn apply(&mut self, event: &Event) -> Result<(), ApplyError> {
        let index = self.events;
        self.apply_in_place(event).map_err(|reason| ApplyError {
            index,
            kind: kind_of(event),
            reason,
        })?;
        self.draws += event.draws();
        self.events += 1;
        Ok(())
    }

    fn device(&mut self, id: &DeviceId) -> Result<&mut Device, String> {
        self.devices
            .get_mut(id)
            .ok_or_else(|| format!("device {id} is not claimed"))
    }

    fn member(&mut self, id: &MemberId) -> Result<&mut Member, String> {
        self.members
            .get_mut(id)
            .ok_or_else(|| format!("member {id} does not exist"))
    }

    fn rule(&mut self, id: &RuleId) -> Result<&mut Rule, String> {
        self.rules
            .get_mut(id)
            .ok_or_else(|| format!("rule {id} does not exist"))
    }

    fn ensure_tags<'a>(&mut self, tags: impl IntoIterator<Item = &'a String>, at: Timestamp) {
        for tag in tags {
            self.tags.entry(tag.clone()).or_insert_with(|| Tag {
                tag: tag.clone(),
                description: String::new(),
                created_at: at,
            });
        }
    }

    fn apply_in_place(&mut self, event: &Event) -> Applied {
        match event {
            Event::MemberAdded { at, member, role } => {
                if self.members.contains_key(member) {
                    return Err(format!("member {member} already exists"));
                }
                self.members.insert(
                    member.clone(),
                    Member {
                        id: member.clone(),
                        serial: self.events,
                        role: *role,
                        api_keys: Vec::new(),
                        created_at: *at,
                    },
                );
            }
            Event::MemberRoleChanged { member, role, .. } => self.member(member)?.role = *role,
            Event::MemberRemoved { member, .. } => {
                let removed = self
                    .members
                    .remove(member)
                    .ok_or_else(|| format!("member {member} does not exist"))?;
                for key in removed.api_keys {
                    self.key_index.remove(&key.hash);
                }
            }
            Event::ApiKeyIssued {
                at, member, hash, ..
            } => {
                if self.key_index.contains_key(hash) {
                    return Err("the API key is already in use".into());
                }
                self.member(member)?.api_keys.push(ApiKeyRecord {
                    hash: hash.clone(),
                    created_at: *at,
                });
                self.key_index.insert(hash.clone(), member.clone());
            }
            Event::ApiKeyRevoked { member, hash, .. } => {
                let m = self.member(member)?;
                if !m.api_keys.iter().any(|k| k.hash == *hash) {
                    return Err(format!("member {member} has no such key"));
                }
                m.api_keys.retain(|k| k.hash != *hash);
                self.key_index.remove(hash);
            }
            Event::TagCreated {
                at,
                tag,
                description,
            } => {
                self.tags.insert(
                    tag.clone(),
                    Tag {
                        tag: tag.clone(),
                        description: description.clone(),
                        created_at: *at,
                    },
                );
            }
            Event::DeviceClaimed {
                at,
                device,
                by,
                by_role,
                device_type,
                modem_fw_uuid,
                verification,
                tags,
            } => {
                if self.devices.contains_key(device) {
                    return Err(format!("device {device} is already claimed"));
                }
                self.ensure_tags(tags, *at);
                let claimed_by_serial = self.members.get(by).map(|m| m.serial);
                self.devices.insert(
                    *device,
                    Device {
                        id: *device,
                        claimed_by: by.clone(),
                        claimed_by_serial,
                        claimed_by_role: *by_role,
                        claimed_at: *at,
                        device_type: *device_type,
                        modem_fw_uuid: *modem_fw_uuid,
                        claim_verification: *verification,
                        tags: tags.clone(),
                        status: DeviceStatus::Ready,
                        blocked: false,
                        commands: Vec::new(),
                        applied_rules: BTreeSet::new(),
                        next_seq: 1,
                        cloud_access_key: None,
                        last_cursor: String::new(),
                    },
                );
            }
            Event::DeviceUnclaimed { device, .. } => {
                self.devices
                    .remove(device)
                    .ok_or_else(|| format!("device {device} is not claimed"))?;
            }
            Event::DeviceTagsSet { at, device, tags } => {
                self.device(device)?.tags = tags.clone();
                self.ensure_tags(tags, *at);
            }
            Event::CommandAdded {
                at,
                device,
                command,
                seq,
                description,
                request,
            } => {
                let d = self.device(device)?;
                if d.command(*command).is_some() {
                    return Err(format!("command {command} already exists"));
                }
                d.commands.push(CommandEntry::new(
                    *command,
                    *seq,
                    description.clone(),
                    request.clone(),
                    None,
                    *at,
                ));
                d.next_seq = seq.saturating_add(1);
                d.status = d.status.on_append();
            }
            Event::CommandUpdated {
                at,
                device,
                command,
                seq,
                description,
                request,
            } => {
                let d = self.device(device)?;
                let c = command_mut(d, *command)?;
                let was_failed = c.status == CommandStatus::Failed;
                c.request = request.clone();
                if let Some(text) = description {
                    c.description = text.clone();
                }
                c.reissue(*seq, *at);
                d.next_seq = seq.saturating_add(1);
                if was_failed {
                    d.status = d.status.on_owner_fix(d.has_failure());
                }
            }
            Event::CommandRetried {
                at,
                device,
                command,
                seq,
            } => {
                let d = self.device(device)?;
                command_mut(d, *command)?.reissue(*seq, *at);
                d.next_seq = seq.saturating_add(1);
                d.status = d.status.on_owner_fix(d.has_failure());
            }
            Event::CommandSkipped {
                at,
                device,
                command,
            } => {
                let d = self.device(device)?;
                let c = command_mut(d, *command)?;
                c.status = CommandStatus::Skipped;
                c.updated_at = *at;
                d.status = d.status.on_owner_fix(d.has_failure());
            }
            Event::RecordsDelivered {
                at,
                device,
                after,
                records,
            } => {
                let d = self.device(device)?;
                for r in records {
                    if d.command(r.command).and_then(|c| c.step(r.step)).is_none() {
                        return Err(format!("command {} has no {:?} record", r.command, r.step));
                    }
                }
                let mut counted: BTreeSet<CommandId> = BTreeSet::new();
                for r in records {
                    let c = command_mut(d, r.command)?;
                    let step = c.step_mut(r.step).ok_or_else(|| {
                        format!("command {} has no {:?} record", r.command, r.step)
                    })?;
                    step.delivered = true;
                    if c.status == CommandStatus::Pending {
                        c.status = CommandStatus::InProgress;
                        c.updated_at = *at;
                    }
                    if counted.insert(r.command) {
                        c.deliveries = c.deliveries.saturating_add(1);
                    }
                }
                d.last_cursor = after.clone();
                d.status = d.status.on_delivery();
            }
            Event::ResultRecorded {
                at,
                device,
                command,
                step,
                result,
            } => {
                let d = self.device(device)?;
                let index = d
                    .command_index(*command)
                    .ok_or_else(|| format!("command {command} does not exist"))?;
                record_result(d, index, *step, result, *at)?;
            }
            Event::CommandRejected {
                at,
                device,
                command,
                reason,
            } => {
                let d = self.device(device)?;
                let index = d
                    .command_index(*command)
                    .ok_or_else(|| format!("command {command} does not exist"))?;
                let failure = DeviceResult::Failed {
                    cme_error: 0,
                    message: reason.clone(),
                };
                fail_command(d, index, None, failure, *at);
            }
            Event::DeviceBlocked { device, .. } => self.device(device)?.blocked = true,
            Event::DeviceUnblocked { device, .. } => self.device(device)?.blocked = false,
            Event::RuleCreated { at, rule, spec } => {
                if self.rules.contains_key(rule) {
                    return Err(format!("rule {rule} already exists"));
                }
                let tags: BTreeSet<String> = spec.tags.iter().cloned().collect();
                self.ensure_tags(&tags, *at);
                self.rules.insert(
                    *rule,
                    Rule {
                        id: *rule,
                        name: spec.name.clone(),
                        description: spec.description.clone(),
                        state: if spec.active {
                            RuleState::Active
                        } else {
                            RuleState::Draft
                        },
                        commands: spec.commands.clone(),
                        tags,
                        created_at: *at,
                        created_seq: self.events,
                        updated_at: *at,
                    },
                );
            }
            Event::RuleUpdated { at, rule, spec } => {
                let tags: BTreeSet<String> = spec.tags.iter().cloned().collect();
                let r = self.rule(rule)?;
                if r.state == RuleState::Active {
                    return Err(format!("rule {rule} is active and cannot change"));
                }
                r.name = spec.name.clone();
                r.description = spec.description.clone();
                r.commands = spec.commands.clone();
                r.tags = tags.clone();
                r.updated_at = *at;
                self.ensure_tags(&tags, *at);
            }
            Event::RuleActivated { at, rule } => {
                let r = self.rule(rule)?;
                r.state = RuleState::Active;
                r.updated_at = *at;
            }
            Event::RuleApplied {
                at,
                device,
                rule,
                commands,
            } => {
                let r = self
                    .rules
                    .get(rule)
                    .ok_or_else(|| format!("rule {rule} does not exist"))?
                    .clone();
                if r.commands.len() != commands.len() {
                    return Err(format!(
                        "rule {rule} has {} commands, the event {}",
                        r.commands.len(),
                        commands.len()
                    ));
                }
                let d = self.device(device)?;
                if !d.applied_rules.insert(*rule) {
                    return Err(format!("rule {rule} was already applied to {device}"));
                }
                for (template, minted) in r.commands.iter().zip(commands) {
                    d.commands.push(CommandEntry::new(
                        minted.command,
                        minted.seq,
                        template.description.clone(),
                        template.request.clone(),
                        Some(*rule),
                        *at,
                    ));
                    d.next_seq = minted.seq.saturating_add(1);
                }
                d.status = d.status.on_append();
            }
        }
        Ok(())
    }
}

fn command_mut(device: &mut Device, id: CommandId) -> Result<&mut CommandEntry, String> {
    device
        .commands
        .iter_mut()
        .find(|c| c.id == id)
        .ok_or_else(|| format!("command {id} does not exist"))
}

/// Records the device's answer for `step` of command `index`.
fn record_result(
    device: &mut Device,
    index: usize,
    step: Step,
    result: &DeviceResult,
    at: Timestamp,
) -> Applied {
    let Some(command) = device.commands.get_mut(index) else {
        return Err(format!("no command at index {index}"));
    };
    if command.step(step).is_none() {
        return Err(format!("command {} has no {step:?} record", command.id));
    }
    match result {
        DeviceResult::Failed { .. } => {
            fail_command(device, index, Some(step), result.clone(), at);
        }
        DeviceResult::Succeeded { keygen, .. } => {
            if let Some(progress) = command.step_mut(step) {
                progress.done = true;
            }
            match step {
                Step::Delete => command.delete_result = Some(result.clone()),
                Step::Main => command.result = Some(result.clone()),
            }
            command.responded_at = Some(at);
            command.updated_at = at;
            let all_done = command.steps.iter().all(|s| s.done);
            if all_done {
                command.status = CommandStatus::Succeeded;
            }
            let finished_acked = all_done && command.request.is_finished();
            if let (CommandRequest::CloudAccessKeyGeneration(_), Step::Main, Some(k)) =
                (&command.request, step, keygen)
            {
                if let Some(key) = &k.public_key {
                    device.cloud_access_key = Some(key.clone());
                }
            }
            device.status = device
                .status
                .on_success(finished_acked, device.all_terminal());
        }
    }
    Ok(())
}

/// Fails command `index` (at `step`, or service-side when `None`); the delivered commands
/// after it were not executed by the device, so they go back to `PENDING`.
fn fail_command(
    device: &mut Device,
    index: usize,
    step: Option<Step>,
    failure: DeviceResult,
    at: Timestamp,
) {
    if let Some(command) = device.commands.get_mut(index) {
        if step == Some(Step::Delete) {
            command.delete_result = Some(failure.clone());
        }
        command.result = Some(failure);
        command.status = CommandStatus::Failed;
        command.responded_at = Some(at);
        command.updated_at = at;
    }
    for later in device.commands.iter_mut().skip(index + 1) {
        if later.status == CommandStatus::InProgress {
            later.status = CommandStatus::Pending;
            later.updated_at = at;
            for s in &mut later.steps {
                s.delivered = false;
            }
        }
    }
    device.status = device.status.on_failure();
}

fn kind_of(event: &Event) -> String {
    serde_json::to_value(event)
        .ok()
        .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned))
        .unwrap_or_else(|| "unknown".into())
}
