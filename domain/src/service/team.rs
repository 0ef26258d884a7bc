//! Team members and API keys.

use super::{Outcome, Service};
use crate::error::{Error, Result};
use crate::events::Event;
use crate::ids::MemberId;
use crate::members::{
    validate_api_key, Caller, KeyHash, KeyMaterial, Member, Role, MAX_KEYS_PER_MEMBER,
};
use crate::permissions::{decide, Operation};
use crate::time::Timestamp;

impl Service {
    /// Adds a member without authentication, for configuration and scenario set-up (the REST
    /// API never exposes it). `api_key` becomes the member's first key (it must satisfy
    /// [`validate_api_key`]); with `None` the member starts without a key, and one can be
    /// issued later.
    pub fn setup_member(
        &mut self,
        now: Timestamp,
        name: &str,
        role: Role,
        api_key: Option<&str>,
    ) -> Result<Outcome<()>> {
        let member = MemberId::new(name).map_err(|r| Error::invalid("name", r))?;
        if let Some(key) = api_key {
            validate_api_key(key).map_err(|r| Error::invalid("apiKey", r))?;
        }
        if self.state.members.contains_key(&member) {
            return Err(Error::conflict(format!("member {member} already exists")));
        }
        if api_key.is_some_and(|k| self.state.key_index.contains_key(&KeyHash::of(k))) {
            return Err(Error::conflict("that API key is already in use"));
        }
        self.transact(|s, events| {
            s.emit(
                events,
                Event::MemberAdded {
                    at: now,
                    member: member.clone(),
                    role,
                },
            )?;
            match api_key {
                Some(key) => s
                    .issue_key(now, events, &member, NewKey::Chosen(key))
                    .map(drop),
                None => Ok(()),
            }
        })
    }

    /// Adds a member with a key generated from `new_key` (random bytes the caller drew from
    /// the OS; admins and owners; only owners add owners). The key text is returned once.
    pub fn add_member(
        &mut self,
        now: Timestamp,
        api_key: Option<&str>,
        name: &str,
        role: Role,
        new_key: &KeyMaterial,
    ) -> Result<Outcome<String>> {
        self.authorize(api_key, Operation::ManageMember { target: role })?;
        let member = MemberId::new(name).map_err(|r| Error::invalid("name", r))?;
        if self.state.members.contains_key(&member) {
            return Err(Error::conflict(format!("member {member} already exists")));
        }
        self.transact(|s, events| {
            s.emit(
                events,
                Event::MemberAdded {
                    at: now,
                    member: member.clone(),
                    role,
                },
            )?;
            s.issue_key(now, events, &member, NewKey::Generated(new_key))
        })
    }

    /// Changes a member's role. The team keeps at least one owner.
    pub fn change_role(
        &mut self,
        now: Timestamp,
        api_key: Option<&str>,
        member: &MemberId,
        role: Role,
    ) -> Result<Outcome<()>> {
        let caller = self.authenticate(api_key)?;
        let current = self.member_role(member)?;
        decide(
            caller.role,
            Operation::ManageMember {
                target: current.max(role),
            },
            None,
        )
        .map_err(|d| Error::forbidden(d.0))?;
        if current == Role::Owner && role != Role::Owner {
            self.keep_an_owner_key(Some(member), None)?;
        }
        self.transact(|s, events| {
            s.emit(
                events,
                Event::MemberRoleChanged {
                    at: now,
                    member: member.clone(),
                    role,
                },
            )
        })
    }

    /// Removes a member and their keys. The team keeps at least one owner.
    pub fn remove_member(
        &mut self,
        now: Timestamp,
        api_key: Option<&str>,
        member: &MemberId,
    ) -> Result<Outcome<()>> {
        let caller = self.authenticate(api_key)?;
        let current = self.member_role(member)?;
        decide(
            caller.role,
            Operation::ManageMember { target: current },
            None,
        )
        .map_err(|d| Error::forbidden(d.0))?;
        if current == Role::Owner {
            self.keep_an_owner_key(Some(member), None)?;
        }
        self.transact(|s, events| {
            s.emit(
                events,
                Event::MemberRemoved {
                    at: now,
                    member: member.clone(),
                },
            )
        })
    }

    /// Issues a new API key, made of `new_key` (random bytes the caller drew from the OS), to
    /// `member` (oneself: any role; others: as for managing them). The key text is returned
    /// once; only its hash is kept. A member holds at most [`MAX_KEYS_PER_MEMBER`] keys (409).
    pub fn issue_api_key(
        &mut self,
        now: Timestamp,
        api_key: Option<&str>,
        member: &MemberId,
        new_key: &KeyMaterial,
    ) -> Result<Outcome<String>> {
        let caller = self.authenticate(api_key)?;
        self.check_key_management(&caller, member)?;
        let held = self
            .state
            .members
            .get(member)
            .map_or(0, |m| m.api_keys.len());
        if held >= MAX_KEYS_PER_MEMBER {
            return Err(Error::conflict(format!(
                "{member} already holds {held} API keys, the most allowed is \
                 {MAX_KEYS_PER_MEMBER}: revoke one first"
            )));
        }
        self.transact(|s, events| s.issue_key(now, events, member, NewKey::Generated(new_key)))
    }

    /// Revokes the key of `member` whose key id ([`KeyHash::key_id`]) is `key_id`. The team's
    /// last owner key is not revoked (409): nothing could manage the team afterwards
    /// (`provlab serve --reset-owner-key` is the offline way back).
    pub fn revoke_api_key(
        &mut self,
        now: Timestamp,
        api_key: Option<&str>,
        member: &MemberId,
        key_id: &str,
    ) -> Result<Outcome<()>> {
        let caller = self.authenticate(api_key)?;
        self.check_key_management(&caller, member)?;
        let hash = self
            .state
            .members
            .get(member)
            .and_then(|m| m.api_keys.iter().find(|k| k.hash.key_id() == key_id))
            .map(|k| k.hash.clone())
            .ok_or_else(|| Error::not_found(format!("API key {key_id} of {member}")))?;
        if self.member_role(member)? == Role::Owner {
            self.keep_an_owner_key(None, Some(&hash))?;
        }
        self.transact(|s, events| {
            s.emit(
                events,
                Event::ApiKeyRevoked {
                    at: now,
                    member: member.clone(),
                    hash,
                },
            )
        })
    }

    /// Lists the team's members (admins and owners).
    pub fn list_members(&self, api_key: Option<&str>) -> Result<Vec<&Member>> {
        self.authorize(api_key, Operation::ListMembers)?;
        Ok(self.state.members.values().collect())
    }

    fn member_role(&self, member: &MemberId) -> Result<Role> {
        self.state
            .members
            .get(member)
            .map(|m| m.role)
            .ok_or_else(|| Error::not_found(format!("member {member}")))
    }

    /// Refuses (409) a change after which no owner would hold an API key: `leaving` is an
    /// owner who stops being one, `revoked` a key that goes.
    fn keep_an_owner_key(
        &self,
        leaving: Option<&MemberId>,
        revoked: Option<&KeyHash>,
    ) -> Result<()> {
        let kept = self
            .state
            .members
            .values()
            .filter(|m| m.role == Role::Owner && Some(&m.id) != leaving)
            .flat_map(|m| &m.api_keys)
            .any(|k| Some(&k.hash) != revoked);
        if kept {
            Ok(())
        } else {
            Err(Error::conflict(
                "the team must keep at least one owner with an API key",
            ))
        }
    }

    /// Offline recovery of a team that cannot be managed any more (`provlab serve
    /// --reset-owner-key`; the REST API never exposes it): the first owner by name loses
    /// every key and gets `api_key` (which must satisfy [`validate_api_key`]); without any
    /// owner, a member `fallback_name` is added as one. Returns the owner's id.
    pub fn reset_owner_key(
        &mut self,
        now: Timestamp,
        fallback_name: &str,
        api_key: &str,
    ) -> Result<Outcome<MemberId>> {
        validate_api_key(api_key).map_err(|r| Error::invalid("apiKey", r))?;
        let hash = KeyHash::of(api_key);
        let owner = self
            .state
            .members
            .values()
            .find(|m| m.role == Role::Owner)
            .cloned();
        let Some(owner) = owner else {
            let member = MemberId::new(fallback_name).map_err(|r| Error::invalid("name", r))?;
            if self.state.members.contains_key(&member) {
                return Err(Error::conflict(format!(
                    "the team has no owner and member {member} exists with another role"
                )));
            }
            let out = self.setup_member(now, fallback_name, Role::Owner, Some(api_key))?;
            return Ok(Outcome {
                value: member,
                events: out.events,
            });
        };
        if let Some(holder) = self.state.key_index.get(&hash) {
            if *holder != owner.id {
                return Err(Error::conflict("that API key is already in use"));
            }
        }
        self.transact(|s, events| {
            let mut kept = false;
            for key in &owner.api_keys {
                if key.hash == hash {
                    kept = true;
                    continue;
                }
                s.emit(
                    events,
                    Event::ApiKeyRevoked {
                        at: now,
                        member: owner.id.clone(),
                        hash: key.hash.clone(),
                    },
                )?;
            }
            if !kept {
                s.issue_key(now, events, &owner.id, NewKey::Chosen(api_key))?;
            }
            Ok(owner.id.clone())
        })
    }

    fn check_key_management(&self, caller: &Caller, member: &MemberId) -> Result<()> {
        let op = if *member == caller.member {
            Operation::ManageOwnKeys
        } else {
            Operation::ManageMember {
                target: self.member_role(member)?,
            }
        };
        decide(caller.role, op, None).map_err(|d| Error::forbidden(d.0))?;
        self.member_role(member).map(|_| ())
    }

    fn issue_key(
        &mut self,
        now: Timestamp,
        events: &mut Vec<Event>,
        member: &MemberId,
        new_key: NewKey<'_>,
    ) -> Result<String> {
        let (key, generated) = match new_key {
            NewKey::Chosen(k) => (k.to_owned(), false),
            NewKey::Generated(material) => (material.to_key(), true),
        };
        let hash = KeyHash::of(&key);
        if self.state.key_index.contains_key(&hash) {
            return Err(Error::conflict("that API key is already in use"));
        }
        self.emit(
            events,
            Event::ApiKeyIssued {
                at: now,
                member: member.clone(),
                hash,
                generated,
            },
        )?;
        Ok(key)
    }
}

/// Where a new key's text comes from.
#[derive(Debug, Clone, Copy)]
enum NewKey<'a> {
    /// Chosen by the caller (set-up, `--owner-key`).
    Chosen(&'a str),
    /// Made of random bytes the caller drew.
    Generated(&'a KeyMaterial),
}
