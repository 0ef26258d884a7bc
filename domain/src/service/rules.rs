//! Provisioning rules: create, edit drafts, activate, list.

use super::{Outcome, Service};
use crate::error::{Error, Result};
use crate::events::Event;
use crate::ids::RuleId;
use crate::permissions::Operation;
use crate::rules::{Rule, RuleSpec, RuleState};
use crate::time::Timestamp;

impl Service {
    /// Creates a rule (`POST /v1/provisioning-rules`, admins and owners), `DRAFT` unless
    /// `spec.active`.
    pub fn create_rule(
        &mut self,
        now: Timestamp,
        api_key: Option<&str>,
        spec: &RuleSpec,
    ) -> Result<Outcome<RuleId>> {
        self.authorize(api_key, Operation::ManageRules)?;
        spec.validate()?;
        self.check_tag_room(&spec.tags)?;
        let id = RuleId(self.ids.uuid(self.state.draws));
        self.transact(|s, events| {
            s.emit(
                events,
                Event::RuleCreated {
                    at: now,
                    rule: id,
                    spec: spec.clone(),
                },
            )?;
            Ok(id)
        })
    }

    /// Replaces a draft rule's content; 409 once it is active. `spec.active` activates it
    /// after the edit.
    pub fn update_rule(
        &mut self,
        now: Timestamp,
        api_key: Option<&str>,
        rule: RuleId,
        spec: &RuleSpec,
    ) -> Result<Outcome<()>> {
        self.authorize(api_key, Operation::ManageRules)?;
        self.draft(rule)?;
        spec.validate()?;
        self.check_tag_room(&spec.tags)?;
        self.transact(|s, events| {
            s.emit(
                events,
                Event::RuleUpdated {
                    at: now,
                    rule,
                    spec: spec.clone(),
                },
            )?;
            if spec.active {
                s.emit(events, Event::RuleActivated { at: now, rule })?;
            }
            Ok(())
        })
    }

    /// Activates a draft rule; activating an active rule changes nothing.
    pub fn activate_rule(
        &mut self,
        now: Timestamp,
        api_key: Option<&str>,
        rule: RuleId,
    ) -> Result<Outcome<()>> {
        self.authorize(api_key, Operation::ManageRules)?;
        let state = self.rule_state(rule)?;
        self.transact(|s, events| {
            if state == RuleState::Draft {
                s.emit(events, Event::RuleActivated { at: now, rule })?;
            }
            Ok(())
        })
    }

    /// All rules in `createdAt` order (editors, admins, owners).
    pub fn list_rules(&self, api_key: Option<&str>) -> Result<Vec<&Rule>> {
        self.authorize(api_key, Operation::ListRules)?;
        Ok(self.rules_in_order())
    }

    /// One rule.
    pub fn get_rule(&self, api_key: Option<&str>, rule: RuleId) -> Result<&Rule> {
        self.authorize(api_key, Operation::ListRules)?;
        self.state
            .rules
            .get(&rule)
            .ok_or_else(|| Error::not_found(format!("rule {rule}")))
    }

    /// Rules sorted by (`createdAt`, creation sequence).
    pub(crate) fn rules_in_order(&self) -> Vec<&Rule> {
        let mut rules: Vec<&Rule> = self.state.rules.values().collect();
        rules.sort_by_key(|r| r.order_key());
        rules
    }

    fn rule_state(&self, rule: RuleId) -> Result<RuleState> {
        self.state
            .rules
            .get(&rule)
            .map(|r| r.state)
            .ok_or_else(|| Error::not_found(format!("rule {rule}")))
    }

    fn draft(&self, rule: RuleId) -> Result<()> {
        match self.rule_state(rule)? {
            RuleState::Draft => Ok(()),
            RuleState::Active => Err(Error::conflict(format!(
                "rule {rule} is active and can no longer be edited"
            ))),
        }
    }
}
