//! The 16-byte UUIDs the modem reports (device UUID, modem firmware UUID).
//!
//! The modem carries them as raw 16-byte CBOR byte strings and prints them lower-case in the
//! 8-4-4-4-12 form (e.g. `50363154-3931-44f0-8022-121b6401627d`), which is also the device id
//! nRF Cloud uses and the common name of the modem's CSRs.

use core::fmt;
use core::str::FromStr;

/// A 16-byte UUID as the modem carries it; displays lower-case 8-4-4-4-12.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Uuid([u8; 16]);

/// Why a UUID text could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid UUID at byte {offset}: {reason}")]
pub struct UuidError {
    /// Byte offset of the problem within the text.
    pub offset: usize,
    /// What was wrong.
    pub reason: &'static str,
}

/// Byte offsets of the hyphens in the 36-character text form.
const HYPHENS: [usize; 4] = [8, 13, 18, 23];

impl Uuid {
    /// The UUID with these 16 bytes (in wire order).
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// The 16 bytes in wire order.
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The UUID from a 16-byte slice, or `None` if the slice has another length.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; 16]>::try_from(bytes).ok().map(Self)
    }

    /// Parses the 8-4-4-4-12 hex form (either case; always printed lower-case).
    pub fn parse(text: &str) -> Result<Self, UuidError> {
        let bytes = text.as_bytes();
        if bytes.len() != 36 {
            return Err(UuidError {
                offset: bytes.len().min(36),
                reason: "expected 36 characters (8-4-4-4-12)",
            });
        }
        let mut out = [0u8; 16];
        let mut nibble = 0usize;
        for (offset, &c) in bytes.iter().enumerate() {
            if HYPHENS.contains(&offset) {
                if c != b'-' {
                    return Err(UuidError {
                        offset,
                        reason: "expected '-'",
                    });
                }
                continue;
            }
            let value = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' => c - b'A' + 10,
                _ => {
                    return Err(UuidError {
                        offset,
                        reason: "expected a hex digit",
                    })
                }
            };
            // 32 hex digits fill 16 bytes: even digits are high nibbles.
            let byte = &mut out[nibble / 2];
            *byte = if nibble.is_multiple_of(2) {
                value << 4
            } else {
                *byte | value
            };
            nibble += 1;
        }
        Ok(Self(out))
    }
}

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Uuid({self})")
    }
}

impl FromStr for Uuid {
    type Err = UuidError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl From<[u8; 16]> for Uuid {
    fn from(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }
}

impl serde::Serialize for Uuid {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Uuid {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn displays_lower_case_and_parses_back() {
        let text = "50363154-3931-44F0-8022-121B6401627D";
        let uuid = Uuid::parse(text).unwrap();
        assert_eq!(uuid.to_string(), text.to_ascii_lowercase());
        assert_eq!(uuid.as_bytes()[0], 0x50);
        assert_eq!(uuid.as_bytes()[15], 0x7d);
        assert_eq!(Uuid::parse(&uuid.to_string()).unwrap(), uuid);
    }

    #[test]
    fn rejects_bad_text_with_offsets() {
        assert_eq!(Uuid::parse("").unwrap_err().offset, 0);
        let err = Uuid::parse("50363154x3931-44f0-8022-121b6401627d").unwrap_err();
        assert_eq!(err.offset, 8);
        let err = Uuid::parse("50363154-3931-44g0-8022-121b6401627d").unwrap_err();
        assert_eq!(err.offset, 16);
        assert!(Uuid::parse("50363154-3931-44f0-8022-121b6401627d0").is_err());
        // Multi-byte characters never panic.
        assert!(Uuid::parse("é0363154-3931-44f0-8022-121b6401627").is_err());
    }
}
