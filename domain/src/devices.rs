//! Claimed devices, claim tokens, tags and the bulk-claim CSV.
//!
//! The device id is the UUID inside the attestation token (part 1). The token's COSE
//! signature is checked with the identity key from the factory registry when the policy
//! says so ([`crate::registry::Verifier`]).

use std::collections::BTreeSet;

use provlab_proto::tokens::{AttestationToken, Uuid};
use serde::{Deserialize, Serialize};

use crate::commands::{CommandEntry, CommandStatus};
use crate::error::{Error, Result};
use crate::ids::{CommandId, DeviceId, MemberId, RuleId};
use crate::members::Role;
use crate::registry::{KeyDecision, Verification, Verifier};
use crate::status::{DeviceStatus, ShownStatus};
use crate::time::Timestamp;

/// Longest tag accepted.
pub const MAX_TAG_LEN: usize = 64;
/// Most rows one bulk claim may carry (as nRF Cloud's `claim_devices` tool sends at most).
pub const MAX_CSV_ROWS: usize = 1000;
/// Most tags one device (or one rule) may carry; more is a 400.
pub const MAX_TAGS_PER_DEVICE: usize = 32;
/// Most tag definitions a team may hold (created explicitly or by first use); a request
/// that would create more is a 409.
pub const MAX_TAG_DEFINITIONS: usize = 1000;

/// The characters a tag may hold besides ASCII letters and digits (`-` last, so that the set
/// reads as a regular-expression character class too).
pub const TAG_PUNCTUATION: &str = "_.:-";

/// The regular expression (ECMA 262, as in JSON Schema `pattern`) of exactly the tags
/// [`validate_tag`] accepts; the OpenAPI document states it.
pub fn tag_pattern() -> String {
    format!("^[A-Za-z0-9{TAG_PUNCTUATION}]{{1,{MAX_TAG_LEN}}}$")
}

/// Checks a tag: 1 to 64 characters of letters, digits, `-`, `_`, `.`, `:`.
pub fn validate_tag(tag: &str) -> std::result::Result<(), String> {
    if tag.is_empty() || tag.len() > MAX_TAG_LEN {
        return Err(format!("tag {tag:?} must be 1 to {MAX_TAG_LEN} characters"));
    }
    if let Some(c) = tag
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || TAG_PUNCTUATION.contains(*c)))
    {
        return Err(format!(
            "tag {tag:?} contains {c:?}; allowed are letters, digits, '-', '_', '.' and ':'"
        ));
    }
    Ok(())
}

/// Checks a list of tags (each, and at most [`MAX_TAGS_PER_DEVICE`] entries, repeated ones
/// counted: the OpenAPI document's `maxItems`) and returns them as a set.
pub fn tag_set(tags: &[String]) -> Result<BTreeSet<String>> {
    if tags.len() > MAX_TAGS_PER_DEVICE {
        return Err(Error::invalid(
            "tags",
            format!(
                "{} tags; at most {MAX_TAGS_PER_DEVICE} per device or rule",
                tags.len()
            ),
        ));
    }
    let set: BTreeSet<String> = tags
        .iter()
        .map(|t| validate_tag(t).map(|()| t.clone()))
        .collect::<std::result::Result<_, _>>()
        .map_err(|reason| Error::invalid("tags", reason))?;
    if set.len() > MAX_TAGS_PER_DEVICE {
        return Err(Error::invalid(
            "tags",
            format!(
                "{} tags; at most {MAX_TAGS_PER_DEVICE} per device or rule",
                set.len()
            ),
        ));
    }
    Ok(set)
}

/// A provisioning tag (group).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tag {
    /// The tag.
    pub tag: String,
    /// Free text.
    pub description: String,
    /// When it was created (explicitly, or by first use).
    pub created_at: Timestamp,
}

/// What a claim token says once decoded and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedToken {
    /// The device.
    pub device: DeviceId,
    /// Attestation device type number.
    pub device_type: i64,
    /// Modem firmware UUID.
    pub modem_fw_uuid: Uuid,
    /// How the signature was accepted.
    pub verification: Verification,
}

/// Decodes a claim token and checks its signature under `verifier`.
/// Errors are [`Error::Invalid`] on the `claimToken` field.
pub fn check_claim_token(token: &str, verifier: &Verifier) -> Result<CheckedToken> {
    let invalid = |reason: String| Error::invalid("claimToken", reason);
    let parsed = AttestationToken::decode(token.trim())
        .map_err(|e| invalid(format!("not an attestation token: {e}")))?;
    let attestation = parsed.attestation();
    let uuid = attestation.device_uuid;
    let verification = match verifier.decide(&uuid) {
        KeyDecision::Skip(v) => v,
        KeyDecision::UnknownDevice => {
            return Err(invalid(format!(
                "device {uuid} is not in the factory registry"
            )))
        }
        KeyDecision::Check(key) => {
            parsed
                .verify(&key)
                .map_err(|e| invalid(format!("signature of device {uuid} does not verify: {e}")))?;
            Verification::Verified
        }
    };
    Ok(CheckedToken {
        device: DeviceId(uuid),
        device_type: attestation.device_type.code(),
        modem_fw_uuid: attestation.modem_fw_uuid,
        verification,
    })
}

/// One row of a bulk-claim CSV: the token and its tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRow {
    /// 1-based row number in the body.
    pub row: usize,
    /// The claim token.
    pub claim_token: String,
    /// Tags from the second field (comma-separated inside it).
    pub tags: Vec<String>,
}

/// Parses the bulk-claim CSV: one row per device, `"<claim token>"[,"<tag>,<tag>…"]`, quotes
/// optional, `""` an escaped quote, blank lines ignored (nRF Cloud's `claim_devices` writes
/// `QUOTE_ALL` rows with `\n` endings). A row that is not valid CSV becomes an `Err` for that
/// row; the body as a whole fails only when it has no rows or too many.
pub fn parse_claim_csv(body: &str) -> Result<Vec<std::result::Result<CsvRow, (usize, String)>>> {
    let rows: Vec<(usize, &str)> = body
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim_end_matches('\r')))
        .filter(|(_, line)| !line.trim().is_empty())
        .collect();
    if rows.is_empty() {
        return Err(Error::invalid("body", "the CSV has no rows"));
    }
    if rows.len() > MAX_CSV_ROWS {
        return Err(Error::invalid(
            "body",
            format!("{} rows; at most {MAX_CSV_ROWS} per request", rows.len()),
        ));
    }
    Ok(rows
        .into_iter()
        .map(|(row, line)| {
            let fields = split_csv_line(line).map_err(|e| (row, e))?;
            let mut fields = fields.into_iter();
            let claim_token = fields.next().unwrap_or_default().trim().to_owned();
            if claim_token.is_empty() {
                return Err((row, "the first field (claim token) is empty".into()));
            }
            let tags = fields
                .flat_map(|f| {
                    f.split(',')
                        .map(|t| t.trim().to_owned())
                        .filter(|t| !t.is_empty())
                        .collect::<Vec<_>>()
                })
                .collect();
            Ok(CsvRow {
                row,
                claim_token,
                tags,
            })
        })
        .collect())
}

fn split_csv_line(line: &str) -> std::result::Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.trim().is_empty() && !was_quoted => {
                field.clear();
                quoted = true;
                was_quoted = true;
            }
            (false, '"') => return Err("a quote inside an unquoted field".into()),
            (false, ',') => {
                fields.push(std::mem::take(&mut field));
                was_quoted = false;
            }
            (false, c) => {
                if was_quoted && !c.is_whitespace() {
                    return Err("text after a closing quote".into());
                }
                field.push(c);
            }
        }
    }
    if quoted {
        return Err("an unterminated quoted field".into());
    }
    fields.push(field);
    Ok(fields)
}

/// A claimed device: who claimed it, its tags, status and provisioning configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    /// The device id (UUID from the attestation token).
    pub id: DeviceId,
    /// The member who claimed it (their name; the member may since have been removed).
    pub claimed_by: MemberId,
    /// The claiming member's identity ([`crate::members::Member::serial`]): a member added
    /// later under the same name has another serial and does not own the device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_by_serial: Option<u64>,
    /// That member's role when claiming (decides visibility).
    pub claimed_by_role: Role,
    /// When it was claimed.
    pub claimed_at: Timestamp,
    /// Attestation device type number.
    pub device_type: i64,
    /// Modem firmware UUID at claim time.
    pub modem_fw_uuid: Uuid,
    /// How the claim token's signature was accepted.
    pub claim_verification: Verification,
    /// Tags.
    pub tags: BTreeSet<String>,
    /// Underlying status (see [`Device::shown_status`]).
    pub status: DeviceStatus,
    /// Blocked by the owner.
    pub blocked: bool,
    /// The configuration, in order.
    pub commands: Vec<CommandEntry>,
    /// Rules already applied to this device.
    pub applied_rules: BTreeSet<RuleId>,
    /// Next correlation sequence to mint.
    pub next_seq: u32,
    /// The cloud access key (base64url SPKI DER) from a `cloudAccessKeyGeneration` answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_access_key: Option<String>,
    /// The `after` cursor of the device's last fetch that delivered records.
    #[serde(default)]
    pub last_cursor: String,
}

impl Device {
    /// The status the REST API shows (`BLOCKED` over the underlying one).
    pub fn shown_status(&self) -> ShownStatus {
        self.status.shown(self.blocked)
    }

    /// The command with `id`.
    pub fn command(&self, id: CommandId) -> Option<&CommandEntry> {
        self.commands.iter().find(|c| c.id == id)
    }

    /// Index of the command with `id`.
    pub fn command_index(&self, id: CommandId) -> Option<usize> {
        self.commands.iter().position(|c| c.id == id)
    }

    /// Whether some command is `FAILED`.
    pub fn has_failure(&self) -> bool {
        self.commands
            .iter()
            .any(|c| c.status == CommandStatus::Failed)
    }

    /// Whether every command is terminal.
    pub fn all_terminal(&self) -> bool {
        self.commands.iter().all(|c| c.status.is_terminal())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags() {
        assert!(validate_tag("nrf-cloud-onboarding").is_ok());
        assert!(validate_tag("lab:rack_1.a").is_ok());
        assert!(validate_tag("").is_err());
        assert!(validate_tag("a b").is_err());
        assert!(validate_tag(&"t".repeat(65)).is_err());
        assert!(tag_set(&["a".into(), "a".into()]).unwrap().len() == 1);
    }

    #[test]
    fn csv_rows() {
        let rows = parse_claim_csv("\"tok1\",\"lab,ci\"\ntok2\n\n\"tok3\"\r\n\"bad\"x\n").unwrap();
        assert_eq!(rows.len(), 4);
        let first = rows[0].as_ref().unwrap();
        assert_eq!(first.claim_token, "tok1");
        assert_eq!(first.tags, vec!["lab".to_string(), "ci".to_string()]);
        assert_eq!(rows[1].as_ref().unwrap().tags, Vec::<String>::new());
        assert_eq!(rows[2].as_ref().unwrap().row, 4);
        assert_eq!(rows[3].as_ref().unwrap_err().0, 5);
        assert_eq!(split_csv_line("\"a\"\"b\",c").unwrap(), vec!["a\"b", "c"]);
        assert!(split_csv_line("\"open").is_err());
        assert!(parse_claim_csv("\n\n").is_err());
        assert!(parse_claim_csv(&"t\n".repeat(MAX_CSV_ROWS + 1)).is_err());
    }
}
