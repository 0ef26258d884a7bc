//! A device's provisioning configuration: adding commands and the owner's actions on them.

use serde::{Deserialize, Serialize};

use super::{Outcome, Service};
use crate::commands::{
    validate_description, CommandEntry, CommandRequest, CommandRequestExt as _, CommandStatus,
    MAX_COMMANDS,
};
use crate::devices::Device;
use crate::error::{Error, Result};
use crate::events::Event;
use crate::ids::{CommandId, DeviceId, MAX_SEQUENCE};
use crate::permissions::Operation;
use crate::time::Timestamp;

/// The body of `POST /v1/claimed-devices/{id}/provisioning`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewCommand {
    /// Free text.
    #[serde(default)]
    #[cfg_attr(feature = "utoipa", schema(example = "Generate CSR"))]
    pub description: String,
    /// What to do.
    pub request: CommandRequest,
}

/// The correlation sequence the device's next issued command gets.
pub(crate) fn next_seq(device: &Device) -> Result<u32> {
    if device.next_seq > MAX_SEQUENCE {
        Err(Error::conflict(format!(
            "device {} has used every correlation sequence",
            device.id
        )))
    } else {
        Ok(device.next_seq)
    }
}

impl Service {
    /// Appends a command (201 with its id). At most [`MAX_COMMANDS`] per device.
    pub fn add_command(
        &mut self,
        now: Timestamp,
        api_key: Option<&str>,
        device: DeviceId,
        command: &NewCommand,
    ) -> Result<Outcome<CommandId>> {
        let (_, d) = self.authorize_device(api_key, Operation::EditConfiguration, device)?;
        validate_description(&command.description)?;
        command.request.validate()?;
        if d.commands.len() >= MAX_COMMANDS {
            return Err(Error::TooManyCommands {
                device,
                limit: MAX_COMMANDS,
            });
        }
        let seq = next_seq(d)?;
        let id = CommandId(self.ids.uuid(self.state.draws));
        self.transact(|s, events| {
            s.emit(
                events,
                Event::CommandAdded {
                    at: now,
                    device,
                    command: id,
                    seq,
                    description: command.description.clone(),
                    request: command.request.clone(),
                },
            )?;
            Ok(id)
        })
    }

    /// The device's commands, in configuration order.
    pub fn list_commands(
        &self,
        api_key: Option<&str>,
        device: DeviceId,
    ) -> Result<&[CommandEntry]> {
        let (_, d) = self.authorize_device(api_key, Operation::ReadConfiguration, device)?;
        Ok(&d.commands)
    }

    /// One command.
    pub fn get_command(
        &self,
        api_key: Option<&str>,
        device: DeviceId,
        command: CommandId,
    ) -> Result<&CommandEntry> {
        let (_, d) = self.authorize_device(api_key, Operation::ReadConfiguration, device)?;
        d.command(command)
            .ok_or_else(|| Error::not_found(format!("command {command}")))
    }

    /// Skips a `FAILED` command (→ `SKIPPED`); the device is `READY` again. 409 otherwise.
    pub fn skip_command(
        &mut self,
        now: Timestamp,
        api_key: Option<&str>,
        device: DeviceId,
        command: CommandId,
    ) -> Result<Outcome<()>> {
        self.failed_command(api_key, device, command, "skipped")?;
        self.transact(|s, events| {
            s.emit(
                events,
                Event::CommandSkipped {
                    at: now,
                    device,
                    command,
                },
            )
        })
    }

    /// Retries a `FAILED` command (→ `PENDING` under a new correlation sequence, so a late
    /// answer to the failed attempt is not taken for the new one); the device is `READY`.
    pub fn retry_command(
        &mut self,
        now: Timestamp,
        api_key: Option<&str>,
        device: DeviceId,
        command: CommandId,
    ) -> Result<Outcome<()>> {
        let seq = self.failed_command(api_key, device, command, "retried")?;
        self.transact(|s, events| {
            s.emit(
                events,
                Event::CommandRetried {
                    at: now,
                    device,
                    command,
                    seq,
                },
            )
        })
    }

    /// Replaces the request (and, if given, the description) of a `FAILED` or `PENDING`
    /// command; it becomes `PENDING` under a new sequence. A failed command's device is
    /// `READY` again. 409 for `IN_PROGRESS` (the device may be executing it) and for
    /// terminal commands.
    pub fn update_command(
        &mut self,
        now: Timestamp,
        api_key: Option<&str>,
        device: DeviceId,
        command: CommandId,
        request: &CommandRequest,
        description: Option<&str>,
    ) -> Result<Outcome<()>> {
        let (_, d) = self.authorize_device(api_key, Operation::EditConfiguration, device)?;
        let entry = d
            .command(command)
            .ok_or_else(|| Error::not_found(format!("command {command}")))?;
        if !matches!(entry.status, CommandStatus::Failed | CommandStatus::Pending) {
            return Err(Error::conflict(format!(
                "command {command} is {:?}; only PENDING or FAILED commands can be updated",
                entry.status
            )));
        }
        if let Some(text) = description {
            validate_description(text)?;
        }
        request.validate()?;
        let seq = next_seq(d)?;
        self.transact(|s, events| {
            s.emit(
                events,
                Event::CommandUpdated {
                    at: now,
                    device,
                    command,
                    seq,
                    description: description.map(str::to_owned),
                    request: request.clone(),
                },
            )
        })
    }

    /// Checks an owner action on a failed command; returns the sequence a re-issue gets.
    fn failed_command(
        &self,
        api_key: Option<&str>,
        device: DeviceId,
        command: CommandId,
        action: &str,
    ) -> Result<u32> {
        let (_, d) = self.authorize_device(api_key, Operation::EditConfiguration, device)?;
        let entry = d
            .command(command)
            .ok_or_else(|| Error::not_found(format!("command {command}")))?;
        if entry.status != CommandStatus::Failed {
            return Err(Error::conflict(format!(
                "command {command} is {:?}; only a FAILED command can be {action}",
                entry.status
            )));
        }
        next_seq(d)
    }
}
