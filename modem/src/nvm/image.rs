//! The on-disk NVM image: versioned JSON with a SHA-256 checksum over the credential list.
//!
//! ```json
//! {
//!   "format": "provlab-modem-nvm",
//!   "version": 1,
//!   "sha256": "<lower-case hex SHA-256 of the compact JSON of `credentials`>",
//!   "credentials": [ { "sec_tag": 16842753, "type": 0, "content_hex": "2d2d2d…" } ]
//! }
//! ```
//!
//! Contents are stored as hex so that the exact bytes survive whatever they are. Only
//! credentials persist: CFUN and CMEE are volatile on a real modem too.

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::credentials::{CredKey, CredentialStore};

/// The `format` member of every image.
pub const FORMAT: &str = "provlab-modem-nvm";
/// The image version this build writes and reads.
pub const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct ImageFile {
    format: String,
    version: u32,
    sha256: String,
    credentials: Vec<Entry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    sec_tag: u32,
    #[serde(rename = "type")]
    cred_type: u8,
    content_hex: String,
}

/// Why image bytes are not a valid NVM image (the caller adds the file name).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// Not JSON of the image's shape (serde's message carries line and column).
    #[error("not a modem NVM image (truncated or not JSON): {0}")]
    Json(String),
    /// The `format` member names another format.
    #[error("format is {found:?}, expected {FORMAT:?}")]
    Format {
        /// The format found.
        found: String,
    },
    /// A version this build cannot read.
    #[error("image version {found} is not supported (this build reads version {VERSION})")]
    Version {
        /// The version found.
        found: u32,
    },
    /// The checksum does not match the credential list.
    #[error("checksum mismatch: the image says {stored}, its credentials hash to {computed}")]
    Checksum {
        /// The checksum in the image.
        stored: String,
        /// The checksum of the credentials as read.
        computed: String,
    },
    /// An entry is invalid.
    #[error("credential entry {index} (0-based): {reason}")]
    Entry {
        /// 0-based index in `credentials`.
        index: usize,
        /// What is wrong.
        reason: String,
    },
}

fn checksum(entries: &[Entry]) -> Result<String, ImageError> {
    let bytes = serde_json::to_vec(entries).map_err(|e| ImageError::Json(e.to_string()))?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

/// Encodes the credential store as an image.
pub fn encode(store: &CredentialStore) -> Result<Vec<u8>, ImageError> {
    let credentials: Vec<Entry> = store
        .iter()
        .map(|(key, content)| Entry {
            sec_tag: key.sec_tag,
            cred_type: key.cred_type,
            content_hex: hex::encode(content),
        })
        .collect();
    let image = ImageFile {
        format: FORMAT.to_owned(),
        version: VERSION,
        sha256: checksum(&credentials)?,
        credentials,
    };
    let mut out = serde_json::to_vec_pretty(&image).map_err(|e| ImageError::Json(e.to_string()))?;
    out.push(b'\n');
    Ok(out)
}

/// Decodes an image, checking format, version, checksum and every entry.
pub fn decode(bytes: &[u8]) -> Result<CredentialStore, ImageError> {
    let image: ImageFile =
        serde_json::from_slice(bytes).map_err(|e| ImageError::Json(e.to_string()))?;
    if image.format != FORMAT {
        return Err(ImageError::Format {
            found: image.format,
        });
    }
    if image.version != VERSION {
        return Err(ImageError::Version {
            found: image.version,
        });
    }
    let computed = checksum(&image.credentials)?;
    if !computed.eq_ignore_ascii_case(&image.sha256) {
        return Err(ImageError::Checksum {
            stored: image.sha256,
            computed,
        });
    }
    let mut store = CredentialStore::new();
    for (index, entry) in image.credentials.into_iter().enumerate() {
        let key = CredKey::new(entry.sec_tag, entry.cred_type);
        let content = hex::decode(&entry.content_hex).map_err(|e| ImageError::Entry {
            index,
            reason: format!("content_hex is not hex: {e}"),
        })?;
        if store.contains(key) {
            return Err(ImageError::Entry {
                index,
                reason: format!(
                    "duplicate credential (sec_tag {}, type {})",
                    key.sec_tag, key.cred_type
                ),
            });
        }
        store.insert(key, content);
    }
    Ok(store)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn sample() -> CredentialStore {
        let mut s = CredentialStore::new();
        s.insert(CredKey::new(1, 0), b"-----BEGIN\r\nx\n".to_vec());
        s.insert(CredKey::new(2, 2), vec![0, 255, 34]);
        s
    }

    #[test]
    fn round_trip() {
        let bytes = encode(&sample()).unwrap();
        assert_eq!(decode(&bytes).unwrap(), sample());
        assert_eq!(
            decode(&encode(&CredentialStore::new()).unwrap()).unwrap(),
            CredentialStore::new()
        );
    }

    #[test]
    fn truncation_and_tampering_are_detected() {
        let bytes = encode(&sample()).unwrap();
        for len in 0..bytes.len() - 1 {
            assert!(decode(&bytes[..len]).is_err(), "prefix of {len} bytes");
        }
        let text = String::from_utf8(bytes).unwrap();
        let tampered = text.replace("\"type\": 2", "\"type\": 3");
        assert!(matches!(
            decode(tampered.as_bytes()),
            Err(ImageError::Checksum { .. })
        ));
        let other = text.replace("\"version\": 1", "\"version\": 9");
        assert_eq!(
            decode(other.as_bytes()),
            Err(ImageError::Version { found: 9 })
        );
    }
}
