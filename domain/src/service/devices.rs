//! Claiming, unclaiming, tags and blocking.

use std::collections::BTreeSet;

use serde::Serialize;

use super::{owner_of, Outcome, Service};
use crate::devices::{
    check_claim_token, parse_claim_csv, tag_set, validate_tag, CheckedToken, Device, Tag,
    MAX_TAG_DEFINITIONS,
};
use crate::error::{Error, Result};
use crate::events::Event;
use crate::ids::DeviceId;
use crate::members::Caller;
use crate::permissions::{can_see, Operation};
use crate::registry::Verification;
use crate::time::Timestamp;

/// A successful claim or dry run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaimCheck {
    /// The device id from the token.
    pub device: DeviceId,
    /// How the token's signature was accepted (an unverified one is worth a log line).
    pub verification: Verification,
}

/// One row of a bulk claim that failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkFailure {
    /// 1-based row number in the CSV body.
    pub row: usize,
    /// The row's claim token (empty if the row could not be read).
    pub claim_token: String,
    /// Why it failed.
    pub message: String,
    /// The HTTP status a single claim would have had.
    pub status: u16,
}

/// The result of a bulk claim: `{"claimedIds": [...], "failed": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkClaim {
    /// Devices claimed, in row order.
    pub claimed_ids: Vec<DeviceId>,
    /// Rows that failed.
    pub failed: Vec<BulkFailure>,
    /// Claimed devices whose token signature was not verified, for the log.
    #[serde(skip)]
    pub unverified: Vec<(DeviceId, Verification)>,
}

impl Service {
    /// Claims the device of an attestation token (`POST /v1/claimed-devices`, 201).
    /// 400 for an unreadable or unverifiable token or bad tags, 409 if already claimed.
    pub fn claim(
        &mut self,
        now: Timestamp,
        api_key: Option<&str>,
        claim_token: &str,
        tags: &[String],
    ) -> Result<Outcome<ClaimCheck>> {
        let caller = self.authorize(api_key, Operation::Claim)?;
        let tags = tag_set(tags)?;
        let checked = self.check_claimable(claim_token)?;
        self.check_tag_room(&tags)?;
        self.transact(|s, events| s.emit_claim(now, events, &caller, &checked, tags))
    }

    /// Checks that a token could be claimed, changing nothing (`?dryrun=true`, 202).
    pub fn claim_dry_run(
        &self,
        api_key: Option<&str>,
        claim_token: &str,
        tags: &[String],
    ) -> Result<ClaimCheck> {
        self.authorize(api_key, Operation::Claim)?;
        let tags = tag_set(tags)?;
        let checked = self.check_claimable(claim_token)?;
        self.check_tag_room(&tags)?;
        Ok(ClaimCheck {
            device: checked.device,
            verification: checked.verification,
        })
    }

    /// Claims every row of a `text/csv` body (`"<token>","<tag>,<tag>"` per row). Rows fail
    /// independently; the body fails as a whole only when it is empty or too long.
    pub fn claim_bulk_csv(
        &mut self,
        now: Timestamp,
        api_key: Option<&str>,
        csv: &str,
    ) -> Result<Outcome<BulkClaim>> {
        let caller = self.authorize(api_key, Operation::Claim)?;
        let rows = parse_claim_csv(csv)?;
        self.transact(|s, events| {
            let mut result = BulkClaim {
                claimed_ids: Vec::new(),
                failed: Vec::new(),
                unverified: Vec::new(),
            };
            for row in rows {
                let row = match row {
                    Ok(row) => row,
                    Err((row, message)) => {
                        result.failed.push(BulkFailure {
                            row,
                            claim_token: String::new(),
                            message: format!("unreadable CSV row: {message}"),
                            status: 400,
                        });
                        continue;
                    }
                };
                let attempt = tag_set(&row.tags).and_then(|tags| {
                    let checked = s.check_claimable(&row.claim_token)?;
                    s.check_tag_room(&tags)?;
                    Ok((checked, tags))
                });
                match attempt {
                    Ok((checked, tags)) => {
                        let claim = s.emit_claim(now, events, &caller, &checked, tags)?;
                        if !claim.verification.is_verified() {
                            result.unverified.push((claim.device, claim.verification));
                        }
                        result.claimed_ids.push(claim.device);
                    }
                    Err(e) => result.failed.push(BulkFailure {
                        row: row.row,
                        claim_token: row.claim_token.clone(),
                        status: e.http_status(),
                        message: e.to_string(),
                    }),
                }
            }
            Ok(result)
        })
    }

    /// Unclaims a device (`DELETE /v1/claimed-devices/{id}`, 204); its configuration, status
    /// and applied rules are dropped, so a later claim starts afresh.
    pub fn unclaim(
        &mut self,
        now: Timestamp,
        api_key: Option<&str>,
        device: DeviceId,
    ) -> Result<Outcome<()>> {
        self.authorize_device(api_key, Operation::Unclaim, device)?;
        self.transact(|s, events| s.emit(events, Event::DeviceUnclaimed { at: now, device }))
    }

    /// The devices the caller may see, by id.
    pub fn list_devices(&self, api_key: Option<&str>) -> Result<Vec<&Device>> {
        let caller = self.authorize(api_key, Operation::ListDevices)?;
        Ok(self
            .state
            .devices
            .values()
            .filter(|d| can_see(caller.role, owner_of(d, &caller)))
            .collect())
    }

    /// One device.
    pub fn get_device(&self, api_key: Option<&str>, device: DeviceId) -> Result<&Device> {
        self.authorize_device(api_key, Operation::ReadDevice, device)
            .map(|(_, d)| d)
    }

    /// Replaces a device's tags.
    pub fn set_device_tags(
        &mut self,
        now: Timestamp,
        api_key: Option<&str>,
        device: DeviceId,
        tags: &[String],
    ) -> Result<Outcome<()>> {
        self.authorize_device(api_key, Operation::EditDeviceTags, device)?;
        let tags = tag_set(tags)?;
        self.check_tag_room(&tags)?;
        self.transact(|s, events| {
            s.emit(
                events,
                Event::DeviceTagsSet {
                    at: now,
                    device,
                    tags,
                },
            )
        })
    }

    /// Creates a provisioning tag (`POST /v1/provisioning/tags`); 409 if it exists (tags
    /// also come into being when first used on a device or rule).
    pub fn create_tag(
        &mut self,
        now: Timestamp,
        api_key: Option<&str>,
        tag: &str,
        description: &str,
    ) -> Result<Outcome<()>> {
        self.authorize(api_key, Operation::CreateTag)?;
        validate_tag(tag).map_err(|r| Error::invalid("tag", r))?;
        crate::commands::validate_description(description)?;
        if self.state.tags.contains_key(tag) {
            return Err(Error::conflict(format!("tag {tag} already exists")));
        }
        self.check_tag_room([&tag.to_owned()])?;
        self.transact(|s, events| {
            s.emit(
                events,
                Event::TagCreated {
                    at: now,
                    tag: tag.to_owned(),
                    description: description.to_owned(),
                },
            )
        })
    }

    /// All provisioning tags, by name.
    pub fn list_tags(&self, api_key: Option<&str>) -> Result<Vec<&Tag>> {
        self.authorize(api_key, Operation::ListTags)?;
        Ok(self.state.tags.values().collect())
    }

    /// Blocks a device: it gets no commands until unblocked; results for records it already
    /// has are still recorded. Idempotent (no event when already blocked).
    pub fn block(
        &mut self,
        now: Timestamp,
        api_key: Option<&str>,
        device: DeviceId,
    ) -> Result<Outcome<()>> {
        let (_, d) = self.authorize_device(api_key, Operation::BlockDevice, device)?;
        let already = d.blocked;
        self.transact(|s, events| {
            if !already {
                s.emit(events, Event::DeviceBlocked { at: now, device })?;
            }
            Ok(())
        })
    }

    /// Unblocks a device: its underlying status shows again and pending commands go out at
    /// the next connection. Idempotent.
    pub fn unblock(
        &mut self,
        now: Timestamp,
        api_key: Option<&str>,
        device: DeviceId,
    ) -> Result<Outcome<()>> {
        let (_, d) = self.authorize_device(api_key, Operation::BlockDevice, device)?;
        let blocked = d.blocked;
        self.transact(|s, events| {
            if blocked {
                s.emit(events, Event::DeviceUnblocked { at: now, device })?;
            }
            Ok(())
        })
    }

    /// Refuses (409) tags that would take the team's tag definitions past
    /// [`MAX_TAG_DEFINITIONS`] (tags come into being when first used).
    pub(crate) fn check_tag_room<'a>(
        &self,
        tags: impl IntoIterator<Item = &'a String>,
    ) -> Result<()> {
        let new = tags
            .into_iter()
            .filter(|t| !self.state.tags.contains_key(*t))
            .count();
        let held = self.state.tags.len();
        if new > 0 && held + new > MAX_TAG_DEFINITIONS {
            return Err(Error::conflict(format!(
                "the team has {held} tag definitions and {new} new would pass the limit of \
                 {MAX_TAG_DEFINITIONS}: use existing tags"
            )));
        }
        Ok(())
    }

    fn check_claimable(&self, claim_token: &str) -> Result<CheckedToken> {
        let checked = check_claim_token(claim_token, &self.config.verifier)?;
        if self.state.devices.contains_key(&checked.device) {
            return Err(Error::conflict(format!(
                "device {} is already claimed",
                checked.device
            )));
        }
        Ok(checked)
    }

    fn emit_claim(
        &mut self,
        now: Timestamp,
        events: &mut Vec<Event>,
        caller: &Caller,
        checked: &CheckedToken,
        tags: BTreeSet<String>,
    ) -> Result<ClaimCheck> {
        self.emit(
            events,
            Event::DeviceClaimed {
                at: now,
                device: checked.device,
                by: caller.member.clone(),
                by_role: caller.role,
                device_type: checked.device_type,
                modem_fw_uuid: checked.modem_fw_uuid,
                verification: checked.verification,
                tags,
            },
        )?;
        Ok(ClaimCheck {
            device: checked.device,
            verification: checked.verification,
        })
    }
}
