//! The simulation's [`OwnerActions`]: each call goes to the domain service in process with
//! the acting member's API key, logged on the member's lane with the service's answer. The
//! lines name the REST call the service accepts, with the ids a reader can paste into curl
//! (as the HIL backend's calls over REST do).
//! Which call a step makes, and the order of the starting state, is the harness's
//! ([`provlab_harness::owner`]).

use provlab_harness::owner::{Answer, OwnerActions, Refused};
use provlab_harness::scenario::request::CommandRequest;
use provlab_harness::scenario::service::{Member, RuleSpec};
use provlab_harness::BackendError;
use provlab_proto::text::quote_list;
use provlab_server::domain::service::NewCommand;
use provlab_server::domain::{CommandId, DeviceId as ServiceDeviceId};

use super::content::domain_request;
use super::setup::service_rule;
use super::Sim;
use crate::world::seeds::derive;

impl Sim {
    /// The device's id at the service (its UUID, known whether claimed or not).
    fn service_id(&self, device: &str) -> Result<ServiceDeviceId, BackendError> {
        let id = self.device(device)?;
        self.world
            .service_device_id(id)
            .map_err(|e| BackendError::failed_by("", e))
    }

    /// The id of the device's `position`th command, or a 404 refusal.
    fn command_id(
        &self,
        device: &str,
        position: u32,
    ) -> Result<Result<CommandId, Refused>, BackendError> {
        let id = self.device(device)?;
        Ok(self
            .world
            .command_id(id, position as usize)
            .map_err(|e| Refused {
                status: 404,
                message: e.to_string(),
            }))
    }

    /// Runs a command action (`skip` or `retry`) on the `position`th command.
    fn command_action(
        &mut self,
        by: &str,
        device: &str,
        position: u32,
        verb: &str,
    ) -> Result<Answer, BackendError> {
        let id = self.service_id(device)?;
        let command = match self.command_id(device, position)? {
            Ok(c) => c,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let label = format!("POST /v1/claimed-devices/{id}/provisioning/{command}/{verb}");
        let retry = verb == "retry";
        Ok(self.act(Some(by), &label, |s, now, key| {
            if retry {
                s.retry_command(now, key, id, command).map(|_| ())
            } else {
                s.skip_command(now, key, id, command).map(|_| ())
            }
        }))
    }

    /// Runs a device action (`block`, `unblock` or `unclaim`).
    fn device_action(
        &mut self,
        by: &str,
        device: &str,
        verb: &str,
    ) -> Result<Answer, BackendError> {
        let id = self.service_id(device)?;
        let label = match verb {
            "unclaim" => format!("DELETE /v1/claimed-devices/{id}"),
            _ => format!("POST /v1/claimed-devices/{id}/{verb}"),
        };
        let verb = verb.to_owned();
        Ok(self.act(Some(by), &label, |s, now, key| {
            match verb.as_str() {
                "block" => s.block(now, key, id),
                "unblock" => s.unblock(now, key, id),
                _ => s.unclaim(now, key, id),
            }
            .map(|_| ())
        }))
    }
}

impl OwnerActions for Sim {
    fn add_member(&mut self, position: usize, member: &Member) -> Result<(), BackendError> {
        let name = member.name.get();
        let key = format!(
            "provlab-member-{:016x}",
            derive(self.seed, "member-key", position as u64)
        );
        let role = member.role;
        let now = self.world.service_time();
        self.world
            .service_mut()
            .setup_member(now, name, role, Some(&key))
            .map_err(|e| BackendError::setup_by(format!("member `{name}`"), e))?;
        self.members.insert(name.clone(), key);
        Ok(())
    }

    fn create_tag(&mut self, by: &str, tag: &str) -> Result<Answer, BackendError> {
        let label = format!("POST /v1/provisioning/tags {tag}");
        Ok(self.act(Some(by), &label, |s, now, key| {
            s.create_tag(now, key, tag, "").map(|_| ())
        }))
    }

    fn create_rule(&mut self, by: &str, rule: &RuleSpec) -> Result<Answer, BackendError> {
        let spec = service_rule(rule, |r| domain_request(r, &self.lab, 0))?;
        let rule_name = rule.name.get().clone();
        let label = format!("POST /v1/provisioning-rules {rule_name}");
        let result = self.act(Some(by), &label, |s, now, key| {
            s.create_rule(now, key, &spec).map(|o| o.value)
        });
        Ok(result.map(|id| {
            self.rules.insert(rule_name, id);
        }))
    }

    fn activate_rule(&mut self, by: &str, rule: &str) -> Result<Answer, BackendError> {
        let Some(id) = self.rules.get(rule).copied() else {
            return Ok(Err(Refused {
                status: 404,
                message: format!("no rule named `{rule}` was created"),
            }));
        };
        let label = format!("POST /v1/provisioning-rules/{id}/activate");
        Ok(self.act(Some(by), &label, |s, now, key| {
            s.activate_rule(now, key, id).map(|_| ())
        }))
    }

    fn claim(&mut self, by: &str, device: &str, tags: &[String]) -> Result<Answer, BackendError> {
        let service_id = self.service_id(device)?;
        let id = self.device(device)?;
        let token = self
            .world
            .attestation_token(id)
            .map_err(|e| BackendError::failed_by("", e))?;
        let label = format!(
            "POST /v1/claimed-devices ({device} = {service_id}, tags {})",
            quote_list(tags)
        );
        Ok(self.act(Some(by), &label, |s, now, key| {
            s.claim(now, key, &token, tags).map(|_| ())
        }))
    }

    fn add_command(
        &mut self,
        by: &str,
        device: &str,
        request: &CommandRequest,
        description: Option<&str>,
    ) -> Result<Answer, BackendError> {
        let request = domain_request(request, &self.lab, self.index_of(device))?;
        let id = self.service_id(device)?;
        let label = format!(
            "POST /v1/claimed-devices/{id}/provisioning {}",
            request.type_name()
        );
        let new = NewCommand {
            description: description.unwrap_or_default().to_owned(),
            request,
        };
        Ok(self.act(Some(by), &label, |s, now, key| {
            s.add_command(now, key, id, &new).map(|_| ())
        }))
    }

    fn update_command(
        &mut self,
        by: &str,
        device: &str,
        position: u32,
        request: &CommandRequest,
    ) -> Result<Answer, BackendError> {
        let request = domain_request(request, &self.lab, self.index_of(device))?;
        let id = self.service_id(device)?;
        let command = match self.command_id(device, position)? {
            Ok(c) => c,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let label = format!(
            "PUT /v1/claimed-devices/{id}/provisioning/{command} {}",
            request.type_name()
        );
        Ok(self.act(Some(by), &label, |s, now, key| {
            s.update_command(now, key, id, command, &request, None)
                .map(|_| ())
        }))
    }

    fn skip_command(
        &mut self,
        by: &str,
        device: &str,
        position: u32,
    ) -> Result<Answer, BackendError> {
        self.command_action(by, device, position, "skip")
    }

    fn retry_command(
        &mut self,
        by: &str,
        device: &str,
        position: u32,
    ) -> Result<Answer, BackendError> {
        self.command_action(by, device, position, "retry")
    }

    fn block(&mut self, by: &str, device: &str) -> Result<Answer, BackendError> {
        self.device_action(by, device, "block")
    }

    fn unblock(&mut self, by: &str, device: &str) -> Result<Answer, BackendError> {
        self.device_action(by, device, "unblock")
    }

    fn unclaim(&mut self, by: &str, device: &str) -> Result<Answer, BackendError> {
        self.device_action(by, device, "unclaim")
    }
}
