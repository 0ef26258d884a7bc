//! The JSON shapes of claiming and of claimed devices.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::devices::{Device, MAX_TAGS_PER_DEVICE, MAX_TAG_LEN, TAG_PUNCTUATION};
use crate::domain::registry::Verification;
use crate::domain::service::{BulkClaim, BulkFailure, ClaimCheck};
use crate::domain::status::ShownStatus;
use crate::rest::error::ApiError;

/// The body of `POST /v1/claimed-devices` (JSON form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClaimBody {
    /// The modem's `AT%ATTESTTOKEN` answer, `<b64url attestation>.<b64url COSE>`.
    pub claim_token: String,
    /// Provisioning tags. An entry may hold several comma-separated tags, as nRF Cloud's
    /// `claim_and_provision_device` sends its `--provisioning-tags` text in one entry.
    #[serde(default)]
    pub tags: Option<Vec<String>>,
}

/// Splits comma-separated entries into single tags (blank pieces dropped). The list is
/// either one entry of comma-separated tags (as nRF Cloud's `claim_and_provision_device`
/// sends its `--provisioning-tags`), at most [`MAX_TAGS_PER_DEVICE`] pieces, or up to
/// [`MAX_TAGS_PER_DEVICE`] entries of one tag each; anything else is a 400, as the
/// document's [`tag_entries_schema`] says.
pub fn split_tags(tags: &[String]) -> Result<Vec<String>, ApiError> {
    let bad = |why: String| Err(ApiError::bad_request(format!("invalid tags: {why}")));
    if tags.len() > MAX_TAGS_PER_DEVICE {
        return bad(format!(
            "{} entries; at most {MAX_TAGS_PER_DEVICE}",
            tags.len()
        ));
    }
    for entry in tags {
        let pieces = entry.split(',').count();
        if tags.len() > 1 && pieces > 1 {
            return bad(format!(
                "{entry:?}: comma-separated tags must be the list's only entry"
            ));
        }
        if pieces > MAX_TAGS_PER_DEVICE {
            return bad(format!(
                "{entry:?} has {pieces} comma-separated pieces; at most {MAX_TAGS_PER_DEVICE}"
            ));
        }
    }
    Ok(tags
        .iter()
        .flat_map(|t| t.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect())
}

/// The JSON Schema of a claim's or device's tag list, the lists [`split_tags`] reads: one
/// entry of up to 32 comma-separated tags (blank pieces allowed), or up to 32 entries of one
/// tag each (blanks around it allowed).
pub fn tag_entries_schema() -> serde_json::Value {
    let tag = format!("[A-Za-z0-9{TAG_PUNCTUATION}]{{1,{MAX_TAG_LEN}}}");
    let commas = MAX_TAGS_PER_DEVICE - 1;
    let one_list = format!("^\\s*({tag})?(\\s*,\\s*({tag})?){{0,{commas}}}\\s*$");
    let one_tag = format!("^\\s*({tag})?\\s*$");
    serde_json::json!({"anyOf": [
        {"type": "array", "maxItems": 1, "items": {"type": "string", "pattern": one_list}},
        {"type": "array", "maxItems": MAX_TAGS_PER_DEVICE, "items": {"type": "string", "pattern": one_tag}},
    ]})
}

/// How a device's signature was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum SignatureBody {
    /// Verified with the factory registry's identity key.
    Verified,
    /// Accepted unverified: no registry is configured.
    UnverifiedNoRegistry,
    /// Accepted unverified: the device is exempt (`jwt = "unverified"`).
    UnverifiedExempt,
}

impl From<Verification> for SignatureBody {
    fn from(v: Verification) -> Self {
        match v {
            Verification::Verified => Self::Verified,
            Verification::UnverifiedNoRegistry => Self::UnverifiedNoRegistry,
            Verification::UnverifiedExempt => Self::UnverifiedExempt,
        }
    }
}

/// `202`: the token could be claimed (`?dryrun=true`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DryRunBody {
    /// The device id inside the token.
    pub id: String,
    /// How its signature was accepted.
    pub signature: SignatureBody,
}

impl From<ClaimCheck> for DryRunBody {
    fn from(c: ClaimCheck) -> Self {
        Self {
            id: c.device.to_string(),
            signature: c.verification.into(),
        }
    }
}

/// One failed row of a bulk claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BulkFailureBody {
    /// 1-based row number of the CSV body.
    pub row: usize,
    /// The row's claim token.
    pub claim_token: String,
    /// Why it failed.
    pub message: String,
    /// The status a single claim would have had.
    pub status: u16,
}

impl From<BulkFailure> for BulkFailureBody {
    fn from(f: BulkFailure) -> Self {
        Self {
            row: f.row,
            claim_token: f.claim_token,
            message: f.message,
            status: f.status,
        }
    }
}

/// `{"claimedIds": [...], "failed": [...]}`: the answer to a `text/csv` bulk claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BulkClaimBody {
    /// The devices claimed, in row order.
    pub claimed_ids: Vec<String>,
    /// The rows that failed.
    pub failed: Vec<BulkFailureBody>,
}

impl From<BulkClaim> for BulkClaimBody {
    fn from(b: BulkClaim) -> Self {
        Self {
            claimed_ids: b.claimed_ids.iter().map(|d| d.to_string()).collect(),
            failed: b.failed.into_iter().map(Into::into).collect(),
        }
    }
}

/// A claimed device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeviceBody {
    /// The device id (UUID from its attestation token).
    pub id: String,
    /// The member who claimed it.
    pub claimed_by: String,
    /// When it was claimed (RFC 3339).
    pub claimed_at: String,
    /// The attestation's device type number (3 = nRF9160 SICA, ...).
    pub device_type: i64,
    /// Modem firmware UUID at claim time.
    pub modem_firmware_uuid: String,
    /// How the claim token's signature was accepted.
    pub signature: SignatureBody,
    /// Provisioning tags.
    pub tags: Vec<String>,
    /// Status.
    pub status: ShownStatus,
    /// Number of commands in its configuration.
    pub command_count: usize,
    /// The cloud access key (base64url SPKI DER), once generated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_access_key: Option<String>,
}

impl DeviceBody {
    /// The API's view of a device.
    pub fn from_domain(d: &Device) -> Self {
        Self {
            id: d.id.to_string(),
            claimed_by: d.claimed_by.to_string(),
            claimed_at: d.claimed_at.to_rfc3339(),
            device_type: d.device_type,
            modem_firmware_uuid: d.modem_fw_uuid.to_string(),
            signature: d.claim_verification.into(),
            tags: d.tags.iter().cloned().collect(),
            status: d.shown_status(),
            command_count: d.commands.len(),
            cloud_access_key: d.cloud_access_key.clone(),
        }
    }
}

/// The body of `PUT /v1/claimed-devices/{id}/tags` (ours): the device's new tags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetTagsBody {
    /// The tags (entries may hold comma-separated tags).
    pub tags: Vec<String>,
}
