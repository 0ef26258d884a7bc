//! The HIL run's [`OwnerActions`]: every scenario call goes to the lab service's REST API with
//! the acting member's key, and is logged on the member's lane with the real method, path
//! (ids a reader can paste into curl) and the status the service answered.

use std::collections::BTreeMap;

use provlab_harness::owner::{Answer, OwnerActions, Refused};
use provlab_harness::scenario::request::CommandRequest;
use provlab_harness::scenario::service::{Member, RuleSpec};
use provlab_harness::scenario::Role;
use provlab_harness::transcript::{Entry, EntryKind, Lane};
use provlab_harness::BackendError;
use provlab_proto::tokens::AttestationToken;
use provlab_server::api_client::{ApiClient, ApiError};
use provlab_server::domain::service::NewCommand;
use provlab_server::rest::dto::commands::UpdateCommandBody;
use provlab_server::rest::dto::devices::ClaimBody;
use provlab_server::rest::dto::tags::NewTagBody;
use provlab_server::rest::dto::team::{ChangeRoleBody, NewMemberBody};
use provlab_server::serve::OWNER_NAME;
use provlab_sim::backend::service_rule;

use super::content::LabContent;
use crate::clock::RunClock;

/// The member the run itself acts as for set-up it does on no scenario member's behalf.
pub const OPERATOR: &str = "provlab-hil-operator";

/// Reads a device's attestation token (on a board: `nrf_provisioning token` or
/// `at AT%ATTESTTOKEN` on its console).
pub trait TokenSource {
    /// The token of the scenario device `device`, `<attestation>.<cose>`.
    fn attestation_token(&mut self, device: &str) -> Result<String, BackendError>;
}

/// The lab service as the scenario's team uses it, with what the run has learnt of it.
#[derive(Debug)]
pub struct LabService {
    bootstrap: ApiClient,
    operator: ApiClient,
    keys: BTreeMap<String, String>,
    devices: BTreeMap<String, String>,
    rules: BTreeMap<String, String>,
    content: LabContent,
    clock: RunClock,
    log: Vec<Entry>,
}

impl LabService {
    /// Connects to the service with the first owner's key, and adds the run's operator
    /// (an owner the scenario does not name), whose key does the run's own calls.
    pub fn connect(
        api: ApiClient,
        owner_key: &str,
        content: LabContent,
        clock: RunClock,
    ) -> Result<Self, BackendError> {
        let bootstrap = api.clone().with_key(owner_key);
        let created = bootstrap
            .add_member(&NewMemberBody {
                name: OPERATOR.to_owned(),
                role: Role::Owner,
            })
            .map_err(|e| BackendError::setup_by("adding the run's operator", e))?;
        let operator = api.with_key(created.api_key);
        Ok(Self {
            bootstrap,
            operator,
            keys: BTreeMap::new(),
            devices: BTreeMap::new(),
            rules: BTreeMap::new(),
            content,
            clock,
            log: Vec::new(),
        })
    }

    /// The operator's client (an owner: sees every device).
    pub fn operator(&self) -> &ApiClient {
        &self.operator
    }

    /// The lab credentials of the run.
    pub fn content(&self) -> &LabContent {
        &self.content
    }

    /// The service id of a scenario device, once known (after its claim or token read).
    pub fn device_id(&self, device: &str) -> Option<&str> {
        self.devices.get(device).map(String::as_str)
    }

    /// Remembers a device's service id (from its token).
    pub fn learn_device(&mut self, device: &str, token: &str) -> Result<String, BackendError> {
        let decoded = AttestationToken::decode(token).map_err(|e| {
            BackendError::failed_by(
                format!("device `{device}`: its attestation token does not decode"),
                e,
            )
        })?;
        let id = decoded.attestation().device_uuid.to_string();
        self.devices.insert(device.to_owned(), id.clone());
        Ok(id)
    }

    /// The transcript entries of every call so far.
    pub fn log(&self) -> &[Entry] {
        &self.log
    }

    /// The same service with a token source, as [`OwnerActions`].
    pub fn actions<'a>(&'a mut self, tokens: &'a mut dyn TokenSource) -> RestOwner<'a> {
        RestOwner {
            service: self,
            tokens,
        }
    }

    /// The client acting as `member` (without a key when the run has none for it, so the
    /// service answers 401 as it would).
    fn as_member(&self, member: &str) -> ApiClient {
        match self.keys.get(member) {
            Some(key) => self.operator.clone().with_key(key.clone()),
            None => self.operator.clone().without_key(),
        }
    }

    /// Runs one call as `member`, logging `label` and the answer (`ok` status or the
    /// refusal).
    fn call<T>(
        &mut self,
        member: &str,
        label: String,
        ok: u16,
        op: impl FnOnce(&ApiClient) -> Result<T, ApiError>,
    ) -> Result<Result<T, Refused>, BackendError> {
        let at_ms = self.clock.now_ms();
        let lane = Lane::Owner(member.to_owned());
        self.log.push(Entry::message(
            at_ms,
            lane.clone(),
            Lane::Service,
            EntryKind::Request,
            label,
        ));
        let result = op(&self.as_member(member));
        let (answer, outcome) = match result {
            Ok(value) => (ok.to_string(), Ok(value)),
            Err(ApiError::Refused {
                status, message, ..
            }) => (
                format!("{status} {message}"),
                Err(Refused { status, message }),
            ),
            Err(other) => {
                self.log.push(Entry::message(
                    self.clock.now_ms(),
                    Lane::Service,
                    lane,
                    EntryKind::Response,
                    format!("no answer: {other}"),
                ));
                return Err(BackendError::failed_by("", other));
            }
        };
        self.log.push(Entry::message(
            self.clock.now_ms(),
            Lane::Service,
            lane,
            EntryKind::Response,
            answer,
        ));
        Ok(outcome)
    }

    /// The service id of `device`, or a failure naming it.
    fn known_device(&self, device: &str) -> Result<String, BackendError> {
        self.devices.get(device).cloned().ok_or_else(|| {
            BackendError::failed(format!(
                "device `{device}` has no known service id (it was never claimed nor its token read)"
            ))
        })
    }

    /// The service id of the device's `position`th command (1-based), or a 404 refusal.
    fn command_id(
        &self,
        device_id: &str,
        position: u32,
    ) -> Result<Result<String, Refused>, BackendError> {
        let commands = match self.operator.commands(device_id) {
            Ok(c) => c,
            Err(ApiError::Refused {
                status, message, ..
            }) => return Ok(Err(Refused { status, message })),
            Err(e) => return Err(BackendError::failed_by("", e)),
        };
        Ok(position
            .checked_sub(1)
            .and_then(|i| commands.get(i as usize))
            .map(|c| c.id.clone())
            .ok_or(Refused {
                status: 404,
                message: format!("device {device_id} has no command {position}"),
            }))
    }
}

/// [`LabService`] with the token source claims need: the [`OwnerActions`] of a HIL run.
pub struct RestOwner<'a> {
    service: &'a mut LabService,
    tokens: &'a mut dyn TokenSource,
}

impl RestOwner<'_> {
    /// A command action (`skip` or `retry`) on the `position`th command.
    fn command_action(
        &mut self,
        by: &str,
        device: &str,
        position: u32,
        verb: &'static str,
    ) -> Result<Answer, BackendError> {
        let id = self.service.known_device(device)?;
        let command = match self.service.command_id(&id, position)? {
            Ok(c) => c,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let label = format!("POST /v1/claimed-devices/{id}/provisioning/{command}/{verb}");
        self.service.call(by, label, 204, |api| match verb {
            "retry" => api.retry_command(&id, &command),
            _ => api.skip_command(&id, &command),
        })
    }

    /// A device action with no body (`block`, `unblock`, `unclaim`).
    fn device_action(
        &mut self,
        by: &str,
        device: &str,
        verb: &'static str,
    ) -> Result<Answer, BackendError> {
        let id = self.service.known_device(device)?;
        let label = match verb {
            "unclaim" => format!("DELETE /v1/claimed-devices/{id}"),
            _ => format!("POST /v1/claimed-devices/{id}/{verb}"),
        };
        self.service.call(by, label, 204, |api| match verb {
            "block" => api.block(&id),
            "unblock" => api.unblock(&id),
            _ => api.unclaim(&id),
        })
    }
}

impl OwnerActions for RestOwner<'_> {
    fn add_member(&mut self, _position: usize, member: &Member) -> Result<(), BackendError> {
        let name = member.name.get();
        let role = member.role;
        let setup = |e: ApiError| BackendError::setup_by(format!("member `{name}`"), e);
        let key = if name == OWNER_NAME {
            // The service's first owner is already there: give it the scenario's role.
            if role != Role::Owner {
                self.service
                    .operator
                    .change_role(OWNER_NAME, &ChangeRoleBody { role })
                    .map_err(setup)?;
            }
            self.service
                .bootstrap
                .issue_key(OWNER_NAME)
                .map_err(setup)?
                .api_key
        } else {
            self.service
                .operator
                .add_member(&NewMemberBody {
                    name: name.clone(),
                    role,
                })
                .map_err(setup)?
                .api_key
        };
        self.service.keys.insert(name.clone(), key);
        Ok(())
    }

    fn create_tag(&mut self, by: &str, tag: &str) -> Result<Answer, BackendError> {
        let body = NewTagBody {
            tag: tag.to_owned(),
            description: String::new(),
        };
        let label = format!("POST /v1/provisioning/tags {tag}");
        self.service
            .call(by, label, 201, |api| api.create_tag(&body).map(|_| ()))
    }

    fn create_rule(&mut self, by: &str, rule: &RuleSpec) -> Result<Answer, BackendError> {
        let content = &self.service.content;
        let body = service_rule(rule, |r| content.rest_request(r))?;
        let label = format!("POST /v1/provisioning-rules {}", rule.name.get());
        let created = self
            .service
            .call(by, label, 201, |api| api.create_rule(&body))?;
        Ok(created.map(|created| {
            self.service
                .rules
                .insert(rule.name.get().clone(), created.id);
        }))
    }

    fn activate_rule(&mut self, by: &str, rule: &str) -> Result<Answer, BackendError> {
        let Some(id) = self.service.rules.get(rule).cloned() else {
            return Ok(Err(Refused {
                status: 404,
                message: format!("no rule named `{rule}` was created"),
            }));
        };
        let label = format!("POST /v1/provisioning-rules/{id}/activate");
        self.service
            .call(by, label, 200, |api| api.activate_rule(&id).map(|_| ()))
    }

    fn claim(&mut self, by: &str, device: &str, tags: &[String]) -> Result<Answer, BackendError> {
        let token = self.tokens.attestation_token(device)?;
        let id = self.service.learn_device(device, &token)?;
        let body = ClaimBody {
            claim_token: token,
            tags: (!tags.is_empty()).then(|| tags.to_vec()),
        };
        let label = format!(
            "POST /v1/claimed-devices ({device} = {id}, tags {})",
            provlab_proto::text::quote_list(tags)
        );
        self.service
            .call(by, label, 201, |api| api.claim(&body).map(|_| ()))
    }

    fn add_command(
        &mut self,
        by: &str,
        device: &str,
        request: &CommandRequest,
        description: Option<&str>,
    ) -> Result<Answer, BackendError> {
        let body = NewCommand {
            description: description.unwrap_or_default().to_owned(),
            request: self.service.content.rest_request(request)?,
        };
        let id = self.service.known_device(device)?;
        let label = format!(
            "POST /v1/claimed-devices/{id}/provisioning {}",
            request.type_name()
        );
        self.service.call(by, label, 201, |api| {
            api.add_command(&id, &body).map(|_| ())
        })
    }

    fn update_command(
        &mut self,
        by: &str,
        device: &str,
        position: u32,
        request: &CommandRequest,
    ) -> Result<Answer, BackendError> {
        let body = UpdateCommandBody {
            description: None,
            request: self.service.content.rest_request(request)?,
        };
        let id = self.service.known_device(device)?;
        let command = match self.service.command_id(&id, position)? {
            Ok(c) => c,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let label = format!(
            "PUT /v1/claimed-devices/{id}/provisioning/{command} {}",
            request.type_name()
        );
        self.service.call(by, label, 204, |api| {
            api.update_command(&id, &command, &body)
        })
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
