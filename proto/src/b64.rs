//! Base64url without padding, the text encoding of every modem token.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// Why a base64url text could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid base64url (no padding) at byte {offset}: {reason}")]
pub struct B64Error {
    /// Byte offset of the problem within the text, as far as it is known.
    pub offset: usize,
    /// What was wrong.
    pub reason: String,
}

/// Encodes bytes as base64url without padding, as the modem prints them.
pub fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url text without padding.
pub fn decode(text: &str) -> Result<Vec<u8>, B64Error> {
    URL_SAFE_NO_PAD.decode(text).map_err(|e| {
        let offset = match e {
            base64::DecodeError::InvalidByte(o, _) => o,
            base64::DecodeError::InvalidLastSymbol(o, _) => o,
            _ => text.len(),
        };
        B64Error {
            offset,
            reason: e.to_string(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_without_padding() {
        let text = encode(b"\x00\x01\xfe\xff!");
        assert!(!text.contains('='));
        assert_eq!(decode(&text).unwrap(), b"\x00\x01\xfe\xff!");
    }

    #[test]
    fn rejects_padding_and_standard_alphabet() {
        assert!(decode("AA==").is_err());
        let err = decode("ab+c").unwrap_err();
        assert_eq!(err.offset, 2);
    }
}
