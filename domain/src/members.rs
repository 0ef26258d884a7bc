//! Team members, their roles and their API keys.
//!
//! An API key belongs to exactly one member. Only the SHA-256 of a key is stored (in state and
//! in events), so neither a database file nor an event log gives keys away. A generated key
//! is made of [`KeyMaterial`] the caller drew from the operating system's CSPRNG (the domain
//! draws no entropy itself, and the seeded id stream is for ids only): nothing stored in the
//! database, the seed included, lets anyone recompute it.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::ids::MemberId;
use crate::time::Timestamp;

pub use provlab_vocab::{Role, UnknownRole};

/// The stored form of an API key: lower-case hex SHA-256 of the key text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct KeyHash(String);

impl KeyHash {
    /// Hashes a presented key.
    pub fn of(key: &str) -> Self {
        Self(hex::encode(Sha256::digest(key.as_bytes())))
    }

    /// The hex digest.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A short public handle for the key (first 16 hex digits of the hash), used to name a
    /// key for revocation without showing the key.
    pub fn key_id(&self) -> &str {
        self.0.get(..16).unwrap_or(&self.0)
    }
}

/// Random bytes a generated API key is made of: 32 bytes (256 bits), drawn by the caller
/// from the operating system's CSPRNG (`provlab serve`), or from a seeded generator where a
/// run must be reproducible (the simulation). The key text is their lower-case hex.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyMaterial([u8; KeyMaterial::LEN]);

impl KeyMaterial {
    /// How many random bytes a generated key holds (at least 16 are needed for 128 bits).
    pub const LEN: usize = 32;

    /// Wraps bytes the caller drew; they must be unpredictable outside a simulation.
    pub fn from_bytes(bytes: [u8; Self::LEN]) -> Self {
        Self(bytes)
    }

    /// The key text: 64 lower-case hex digits.
    pub fn to_key(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Debug for KeyMaterial {
    /// Never prints the bytes: they are a secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyMaterial(..)")
    }
}

/// Most API keys one member may hold at a time; issuing another is a 409 (revoke one first).
pub const MAX_KEYS_PER_MEMBER: usize = 10;

/// One API key of a member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyRecord {
    /// The key's hash.
    pub hash: KeyHash,
    /// When it was issued.
    pub created_at: Timestamp,
}

/// A team member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    /// The member's id (name).
    pub id: MemberId,
    /// The member's identity: the sequence number of the event that added them. Unique for
    /// the life of the log, so a member added under a removed member's name is not them.
    #[serde(default)]
    pub serial: u64,
    /// The member's role.
    pub role: Role,
    /// The member's API keys (hashes only).
    pub api_keys: Vec<ApiKeyRecord>,
    /// When the member was added.
    pub created_at: Timestamp,
}

/// Who is calling, once an API key has been authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The member.
    pub member: MemberId,
    /// The member's identity ([`Member::serial`]).
    pub serial: u64,
    /// The member's role at the time of the call.
    pub role: Role,
}

/// Checks a caller-chosen API key: 16 to 128 printable ASCII characters without spaces, so
/// that it fits an `Authorization: Bearer` header unchanged.
pub fn validate_api_key(key: &str) -> Result<(), String> {
    if !(16..=128).contains(&key.len()) {
        return Err("an API key must be 16 to 128 characters long".into());
    }
    if !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("an API key may only contain printable ASCII without spaces".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_hashed() {
        let h = KeyHash::of("secret-key-0123456789");
        assert_eq!(h.as_str().len(), 64);
        assert!(!h.as_str().contains("secret"));
        assert_eq!(h.key_id().len(), 16);
        assert!(validate_api_key("short").is_err());
        assert!(validate_api_key("with space 0123456789").is_err());
        assert!(validate_api_key("olivia-key-0123456789").is_ok());
    }
}
