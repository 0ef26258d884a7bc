//! Identifiers: members, devices, commands, rules, and the correlation ids on the wire.
//!
//! Command and rule ids are UUIDs minted from the service's seeded generator ([`IdSource`]):
//! draw number `n` is always the same UUID for the same seed, so a run is reproducible and a
//! replayed event log continues where the original stopped (the number of draws so far is
//! part of the folded state). Correlation ids are `<command uuid>.<hex sequence>`, with `.s`
//! appended for the delete sub-step of key generation; they fit the wire's 45 bytes.

use std::fmt;

use provlab_proto::records::CorrelationId;
use provlab_proto::tokens::Uuid;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use serde::{Deserialize, Serialize};

/// A team member's id: the member's name (e.g. `olivia`), unique within the team.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MemberId(String);

impl MemberId {
    /// Longest member name accepted.
    pub const MAX_LEN: usize = 64;
    /// The characters a member name may hold besides ASCII letters and digits (`-` last, so
    /// that the set reads as a regular-expression character class too).
    pub const PUNCTUATION: &'static str = "._@-";

    /// The regular expression (ECMA 262, as in JSON Schema `pattern`) of exactly the names
    /// [`MemberId::new`] accepts; the OpenAPI document states it.
    pub fn pattern() -> String {
        format!("^[A-Za-z0-9{}]{{1,{}}}$", Self::PUNCTUATION, Self::MAX_LEN)
    }

    /// Validates a member name: 1 to 64 characters of letters, digits, `.`, `_`, `-`, `@`.
    pub fn new(name: &str) -> Result<Self, String> {
        if name.is_empty() || name.len() > Self::MAX_LEN {
            return Err(format!(
                "member name must be 1 to {} characters",
                Self::MAX_LEN
            ));
        }
        if let Some(c) = name
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || Self::PUNCTUATION.contains(*c)))
        {
            return Err(format!(
                "member name contains {c:?}; allowed are letters, digits, '.', '_', '-' and '@'"
            ));
        }
        Ok(Self(name.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MemberId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// Parses the lower- or upper-case 8-4-4-4-12 form.
            pub fn parse(text: &str) -> Result<Self, String> {
                Uuid::parse(text).map(Self).map_err(|e| e.to_string())
            }

            /// The UUID.
            pub fn uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

uuid_id!(
    /// A claimed device's id: the device UUID inside its attestation token.
    DeviceId
);
uuid_id!(
    /// A provisioning command's id (the REST `id`, the first part of its correlation ids).
    CommandId
);
uuid_id!(
    /// A provisioning rule's id.
    RuleId
);

/// Largest correlation sequence number: six hex digits keep `<uuid>.<seq>.s` within 45 bytes.
pub const MAX_SEQUENCE: u32 = 0x00ff_ffff;

/// Which record of a command a correlation id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Step {
    /// The `.s` sub-step: `%CMNG` delete of the key before `%KEYGEN`.
    Delete,
    /// The command's main record.
    Main,
}

/// The correlation id of `step` of the command `command` issued with sequence `seq`.
///
/// The service never mints a `seq` above [`MAX_SEQUENCE`], which keeps the id within
/// 36 + 1 + 6 + 2 = 45 bytes; a larger one is refused with the id's length.
pub fn correlation_id(command: CommandId, seq: u32, step: Step) -> Result<CorrelationId, usize> {
    let mut text = format!("{command}.{seq:x}");
    if step == Step::Delete {
        text.push_str(".s");
    }
    CorrelationId::new(text)
}

/// A correlation id taken apart: command uuid, sequence and step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedCorrelation {
    /// The command.
    pub command: CommandId,
    /// The sequence the command was issued with.
    pub seq: u32,
    /// Which record.
    pub step: Step,
}

/// Parses `<uuid>.<hex>` or `<uuid>.<hex>.s`; `None` for anything else.
pub fn parse_correlation(text: &str) -> Option<ParsedCorrelation> {
    let (uuid, rest) = (text.get(..36)?, text.get(36..)?);
    let command = CommandId(Uuid::parse(uuid).ok()?);
    let rest = rest.strip_prefix('.')?;
    let (hex, step) = match rest.strip_suffix(".s") {
        Some(hex) => (hex, Step::Delete),
        None => (rest, Step::Main),
    };
    if hex.is_empty() || hex.len() > 8 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let seq = u32::from_str_radix(hex, 16).ok()?;
    Some(ParsedCorrelation { command, seq, step })
}

/// The seeded source of minted UUIDs (command and rule ids).
///
/// It is for ids only: its seed is stored in clear with the event log, so anything drawn from
/// it can be recomputed by whoever reads the database. API keys are made of OS randomness
/// ([`crate::members::KeyMaterial`]).
///
/// Draw `n` is the 16 bytes at word position `4 n` of a ChaCha20 stream seeded with the
/// service seed, shaped as a version 4 UUID. Being addressed by draw number, it needs no
/// mutable generator: the count of draws is state folded from events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdSource {
    seed: u64,
}

impl IdSource {
    /// The source for `seed`.
    pub fn new(seed: u64) -> Self {
        Self { seed }
    }

    /// The raw 16 bytes of draw `n`.
    pub fn bytes(&self, n: u64) -> [u8; 16] {
        let mut rng = ChaCha20Rng::seed_from_u64(self.seed);
        rng.set_word_pos(u128::from(n) * 4);
        let mut out = [0u8; 16];
        rng.fill_bytes(&mut out);
        out
    }

    /// Draw `n` as a version 4 UUID.
    pub fn uuid(&self, n: u64) -> Uuid {
        let mut bytes = self.bytes(n);
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        Uuid::from_bytes(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correlation_ids_round_trip_and_fit() {
        let command = CommandId::parse("89ed369b-0fed-4194-a703-aabb7fe8130b").unwrap();
        let main = correlation_id(command, 0xe, Step::Main).unwrap();
        assert_eq!(main.as_str(), "89ed369b-0fed-4194-a703-aabb7fe8130b.e");
        let del = correlation_id(command, 0xe, Step::Delete).unwrap();
        assert_eq!(del.as_str(), "89ed369b-0fed-4194-a703-aabb7fe8130b.e.s");
        let longest = correlation_id(command, MAX_SEQUENCE, Step::Delete).unwrap();
        assert_eq!(longest.as_str().len(), 45);
        for id in [&main, &del, &longest] {
            let parsed = parse_correlation(id.as_str()).unwrap();
            assert_eq!(parsed.command, command);
            assert_eq!(
                correlation_id(command, parsed.seq, parsed.step).unwrap(),
                *id
            );
        }
        for bad in [
            "",
            "89ed369b-0fed-4194-a703-aabb7fe8130b",
            "89ed369b-0fed-4194-a703-aabb7fe8130b.",
            "89ed369b-0fed-4194-a703-aabb7fe8130b.x",
            "89ed369b-0fed-4194-a703-aabb7fe8130b.e.t",
            "89ed369b-0fed-4194-a703-aabb7fe8130bé.e",
            "zzed369b-0fed-4194-a703-aabb7fe8130b.e",
        ] {
            assert_eq!(parse_correlation(bad), None, "{bad}");
        }
    }

    #[test]
    fn id_source_is_addressed_by_draw() {
        let a = IdSource::new(7);
        assert_eq!(a.uuid(3), IdSource::new(7).uuid(3));
        assert_ne!(a.uuid(3), a.uuid(4));
        assert_ne!(a.uuid(3), IdSource::new(8).uuid(3));
        assert_eq!(&a.uuid(0).to_string()[14..15], "4");
    }

    #[test]
    fn member_names() {
        assert!(MemberId::new("olivia").is_ok());
        assert!(MemberId::new("o.l-i_v@x").is_ok());
        assert!(MemberId::new("").is_err());
        assert!(MemberId::new("a b").is_err());
        assert!(MemberId::new(&"x".repeat(65)).is_err());
    }
}
