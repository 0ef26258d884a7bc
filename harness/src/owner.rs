//! The service side of a scenario, as the REST calls team members make: the service's
//! starting state (members, tags, rules, claims and configurations) and the owner-action
//! steps (claim, add/update/skip/retry a command, block, unblock, unclaim, create and
//! activate a rule).
//!
//! A backend implements [`OwnerActions`] once, in its own terms: the simulation calls the
//! domain service in process, a HIL backend calls the lab service's REST API. Which call a
//! step makes, who makes it and in what order the starting state is built is decided here,
//! once, by [`set_up_service`] and [`owner_step`], so two backends cannot drift apart on it.

use crate::backend::{BackendError, StepOutcome};
use crate::scenario::request::CommandRequest;
use crate::scenario::service::{Member, RuleSpec};
use crate::scenario::step::Actor;
use crate::scenario::{Scenario, Step};

/// The member who acts when neither the step nor the scenario names one.
pub const FALLBACK_ACTOR: &str = "owner";

/// The service refused a call: its HTTP status and `message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The HTTP status (4xx/5xx).
    pub status: u16,
    /// The service's `message`.
    pub message: String,
}

/// What the service answered a call: `Ok` for a 2xx, else the refusal.
pub type Answer = Result<(), Refused>;

/// The calls a backend makes to the service on a member's behalf.
///
/// `by` is always a member name from the scenario (or [`FALLBACK_ACTOR`]); a backend that
/// has no key for it sends none, so the service answers 401 as it would. Devices and rules
/// are named as in the scenario; the backend maps them to the service's ids. A call the
/// service refuses is `Ok(Err(Refused))`; `Err(BackendError)` means the call could not be
/// made at all (no such device in the backend, a connection that failed, …).
pub trait OwnerActions {
    /// Adds the scenario's `position`th member with its role; the backend issues and keeps
    /// the member's API key. Refusals are setup errors.
    fn add_member(&mut self, position: usize, member: &Member) -> Result<(), BackendError>;

    /// `POST /v1/provisioning/tags`.
    fn create_tag(&mut self, by: &str, tag: &str) -> Result<Answer, BackendError>;

    /// `POST /v1/provisioning-rules`; the backend remembers the rule's id by its name.
    fn create_rule(&mut self, by: &str, rule: &RuleSpec) -> Result<Answer, BackendError>;

    /// `POST /v1/provisioning-rules/{id}/activate` for the rule created as `rule`.
    fn activate_rule(&mut self, by: &str, rule: &str) -> Result<Answer, BackendError>;

    /// `POST /v1/claimed-devices` with the device's own attestation token.
    fn claim(&mut self, by: &str, device: &str, tags: &[String]) -> Result<Answer, BackendError>;

    /// `POST /v1/claimed-devices/{id}/provisioning`: appends a command.
    fn add_command(
        &mut self,
        by: &str,
        device: &str,
        request: &CommandRequest,
        description: Option<&str>,
    ) -> Result<Answer, BackendError>;

    /// `PUT /v1/claimed-devices/{id}/provisioning/{cmd}` for the device's `position`th
    /// command (1-based).
    fn update_command(
        &mut self,
        by: &str,
        device: &str,
        position: u32,
        request: &CommandRequest,
    ) -> Result<Answer, BackendError>;

    /// `POST …/provisioning/{cmd}/skip` for the `position`th command (1-based).
    fn skip_command(
        &mut self,
        by: &str,
        device: &str,
        position: u32,
    ) -> Result<Answer, BackendError>;

    /// `POST …/provisioning/{cmd}/retry` for the `position`th command (1-based).
    fn retry_command(
        &mut self,
        by: &str,
        device: &str,
        position: u32,
    ) -> Result<Answer, BackendError>;

    /// `POST /v1/claimed-devices/{id}/block`.
    fn block(&mut self, by: &str, device: &str) -> Result<Answer, BackendError>;

    /// `POST /v1/claimed-devices/{id}/unblock`.
    fn unblock(&mut self, by: &str, device: &str) -> Result<Answer, BackendError>;

    /// `DELETE /v1/claimed-devices/{id}`.
    fn unclaim(&mut self, by: &str, device: &str) -> Result<Answer, BackendError>;
}

/// Builds the scenario's starting state at the service, in this order: every member; the
/// tags and rules, made by the scenario's default actor; then each device with a
/// `claimed_by` is claimed by that member, who adds its configuration command by command.
/// A refusal anywhere is a [`BackendError::Setup`] naming the call.
pub fn set_up_service(api: &mut dyn OwnerActions, scenario: &Scenario) -> Result<(), BackendError> {
    for (position, member) in scenario.service.members.iter().enumerate() {
        api.add_member(position, member)?;
    }
    let actor = default_actor(scenario);
    for tag in &scenario.service.tags {
        setup(api.create_tag(&actor, tag)?, || format!("tag `{tag}`"))?;
    }
    for rule in &scenario.service.rules {
        let name = rule.name.get();
        setup(api.create_rule(&actor, rule)?, || format!("rule `{name}`"))?;
    }
    for device in &scenario.devices {
        let Some(by) = &device.claimed_by else {
            continue;
        };
        let (by, name) = (by.get(), device.name.get());
        setup(api.claim(by, name, &device.tags)?, || {
            format!("claim of `{name}` by `{by}`")
        })?;
        for (i, command) in device.config.iter().enumerate() {
            let answer =
                api.add_command(by, name, &command.request, command.description.as_deref())?;
            setup(answer, || format!("command {} of `{name}`", i + 1))?;
        }
    }
    Ok(())
}

/// Runs `step` if it is an owner action, as the member it names (else `default_actor`,
/// else [`FALLBACK_ACTOR`]); `None` for every other step. A refusal is
/// [`StepOutcome::Refused`], which the runner checks against `expect_status`.
pub fn owner_step(
    api: &mut dyn OwnerActions,
    step: &Step,
    default_actor: Option<&str>,
) -> Option<Result<StepOutcome, BackendError>> {
    let Actor { by, .. } = step.actor()?;
    let by = by
        .map(|b| b.get().as_str())
        .or(default_actor)
        .unwrap_or(FALLBACK_ACTOR);
    let answer = match step {
        Step::AddCommand(a) => {
            api.add_command(by, a.device.get(), &a.request, a.description.as_deref())
        }
        Step::UpdateCommand(a) => {
            api.update_command(by, a.device.get(), *a.command.get(), &a.request)
        }
        Step::Skip(a) => api.skip_command(by, a.device.get(), *a.command.get()),
        Step::Retry(a) => api.retry_command(by, a.device.get(), *a.command.get()),
        Step::Block(a) => api.block(by, a.device.get()),
        Step::Unblock(a) => api.unblock(by, a.device.get()),
        Step::Unclaim(a) => api.unclaim(by, a.device.get()),
        Step::CreateRule(a) => api.create_rule(by, &a.rule),
        Step::ActivateRule(a) => api.activate_rule(by, a.rule.get()),
        Step::Claim(a) => api.claim(by, a.device.get(), &a.tags),
        Step::Trigger(_)
        | Step::Advance(_)
        | Step::WaitUntil(_)
        | Step::Expect(_)
        | Step::PowerCycle(_)
        | Step::FaultOn(_)
        | Step::FaultOff(_) => return None,
    };
    Some(answer.map(|answer| match answer {
        Ok(()) => StepOutcome::Done,
        Err(Refused { status, message }) => StepOutcome::Refused { status, message },
    }))
}

/// The member who builds the service's tags and rules: the scenario's first owner, else
/// its first admin, else [`FALLBACK_ACTOR`].
pub fn default_actor(scenario: &Scenario) -> String {
    scenario
        .default_actor()
        .map_or_else(|| FALLBACK_ACTOR.to_owned(), |m| m.name.get().clone())
}

/// A setup call's answer as a setup error naming `what` when the service refused it.
fn setup(answer: Answer, what: impl FnOnce() -> String) -> Result<(), BackendError> {
    answer.map_err(|Refused { status, message }| {
        BackendError::setup(format!(
            "{}: the service answered {status}: {message}",
            what()
        ))
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::loader::load_str;

    /// Records every call as one line and refuses the calls listed in `refuse`.
    #[derive(Default)]
    struct Recorder {
        calls: Vec<String>,
        refuse: Vec<&'static str>,
    }

    impl Recorder {
        fn answer(&mut self, call: String) -> Result<Answer, BackendError> {
            let refused = self.refuse.iter().any(|r| call.starts_with(r));
            self.calls.push(call);
            Ok(if refused {
                Err(Refused {
                    status: 403,
                    message: "forbidden".to_owned(),
                })
            } else {
                Ok(())
            })
        }
    }

    impl OwnerActions for Recorder {
        fn add_member(&mut self, position: usize, member: &Member) -> Result<(), BackendError> {
            self.calls.push(format!(
                "member {position} {} {:?}",
                member.name.get(),
                member.role
            ));
            Ok(())
        }
        fn create_tag(&mut self, by: &str, tag: &str) -> Result<Answer, BackendError> {
            self.answer(format!("tag {by} {tag}"))
        }
        fn create_rule(&mut self, by: &str, rule: &RuleSpec) -> Result<Answer, BackendError> {
            self.answer(format!("rule {by} {}", rule.name.get()))
        }
        fn activate_rule(&mut self, by: &str, rule: &str) -> Result<Answer, BackendError> {
            self.answer(format!("activate {by} {rule}"))
        }
        fn claim(
            &mut self,
            by: &str,
            device: &str,
            tags: &[String],
        ) -> Result<Answer, BackendError> {
            self.answer(format!("claim {by} {device} {tags:?}"))
        }
        fn add_command(
            &mut self,
            by: &str,
            device: &str,
            request: &CommandRequest,
            description: Option<&str>,
        ) -> Result<Answer, BackendError> {
            let kind = request.type_name();
            self.answer(format!("add {by} {device} {kind} {description:?}"))
        }
        fn update_command(
            &mut self,
            by: &str,
            device: &str,
            position: u32,
            _request: &CommandRequest,
        ) -> Result<Answer, BackendError> {
            self.answer(format!("update {by} {device} {position}"))
        }
        fn skip_command(
            &mut self,
            by: &str,
            device: &str,
            position: u32,
        ) -> Result<Answer, BackendError> {
            self.answer(format!("skip {by} {device} {position}"))
        }
        fn retry_command(
            &mut self,
            by: &str,
            device: &str,
            position: u32,
        ) -> Result<Answer, BackendError> {
            self.answer(format!("retry {by} {device} {position}"))
        }
        fn block(&mut self, by: &str, device: &str) -> Result<Answer, BackendError> {
            self.answer(format!("block {by} {device}"))
        }
        fn unblock(&mut self, by: &str, device: &str) -> Result<Answer, BackendError> {
            self.answer(format!("unblock {by} {device}"))
        }
        fn unclaim(&mut self, by: &str, device: &str) -> Result<Answer, BackendError> {
            self.answer(format!("unclaim {by} {device}"))
        }
    }

    const SCENARIO: &str = r#"
name = "owner-dispatch"
seed = 1
[service]
members = [{ name = "vic", role = "viewer" }, { name = "ada", role = "admin" }, { name = "olivia", role = "owner" }]
tags = ["lab", "field"]
[[service.rule]]
name = "r1"
tags = ["lab"]
active = false
commands = [{ request = { finished = {} } }]

[[device]]
name = "dk1"
transport = "http"
claimed_by = "ada"
tags = ["lab"]
[[device.config]]
request = { clientPrivateKeyGeneration = { secTag = 16842753 } }
description = "key"
[[device.config]]
request = { finished = {} }

[[device]]
name = "dk2"
transport = "coap"

[[step]]
claim = { device = "dk2", tags = ["field"], by = "vic", expect_status = 403 }
[[step]]
block = { device = "dk1" }
[[step]]
skip = { device = "dk1", command = 2, by = "ada" }
[[step]]
activate_rule = { rule = "r1" }
[[step]]
advance = "1s"
"#;

    fn scenario() -> Scenario {
        load_str(SCENARIO, Path::new("owner.toml"))
            .expect("the test scenario loads")
            .scenario
    }

    #[test]
    fn the_starting_state_is_built_in_one_order_by_the_right_members() {
        let mut api = Recorder::default();
        set_up_service(&mut api, &scenario()).expect("setup");
        assert_eq!(
            api.calls,
            [
                "member 0 vic Viewer",
                "member 1 ada Admin",
                "member 2 olivia Owner",
                "tag olivia lab",
                "tag olivia field",
                "rule olivia r1",
                "claim ada dk1 [\"lab\"]",
                "add ada dk1 clientPrivateKeyGeneration Some(\"key\")",
                "add ada dk1 finished None",
            ]
        );
    }

    #[test]
    fn a_refused_setup_call_is_a_setup_error_naming_it() {
        let mut api = Recorder {
            refuse: vec!["add ada dk1 finished"],
            ..Recorder::default()
        };
        let e = set_up_service(&mut api, &scenario()).unwrap_err();
        assert_eq!(
            e,
            BackendError::setup("command 2 of `dk1`: the service answered 403: forbidden")
        );
    }

    #[test]
    fn owner_steps_go_to_the_named_member_or_the_default_actor() {
        let scenario = scenario();
        let mut api = Recorder {
            refuse: vec!["claim vic"],
            ..Recorder::default()
        };
        let outcomes: Vec<_> = scenario
            .steps
            .iter()
            .map(|s| owner_step(&mut api, s.get(), Some("olivia")))
            .collect();
        assert_eq!(
            api.calls,
            [
                "claim vic dk2 [\"field\"]",
                "block olivia dk1",
                "skip ada dk1 2",
                "activate olivia r1",
            ]
        );
        assert_eq!(
            outcomes[0],
            Some(Ok(StepOutcome::Refused {
                status: 403,
                message: "forbidden".to_owned()
            }))
        );
        assert_eq!(outcomes[1], Some(Ok(StepOutcome::Done)));
        assert_eq!(outcomes[4], None, "advance is not an owner action");
    }

    #[test]
    fn without_any_owner_or_admin_the_fallback_member_acts() {
        let mut scenario = scenario();
        scenario.service.members.retain(|m| m.name.get() == "vic");
        assert_eq!(default_actor(&scenario), FALLBACK_ACTOR);
        let mut api = Recorder::default();
        let step = &scenario.steps[1];
        owner_step(&mut api, step.get(), None);
        assert_eq!(api.calls, ["block owner dk1"]);
    }
}
