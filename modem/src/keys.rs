//! Private keys as the credential store holds them: PEM text.
//!
//! `%KEYGEN` stores its new key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`, LF line ends;
//! ours: the real modem's internal key format is not visible, and `%CMNG=2` refuses to
//! return private keys anyway, so only its SHA in `%CMNG=1` depends on this choice). `%JWT`
//! with a `<sec_tag>,<key_type>` reads PKCS#8 or SEC1 (`-----BEGIN EC PRIVATE KEY-----`) PEM,
//! the two forms a host writes with `%CMNG=0,<tag>,2,"<pem>"`.

use p256::ecdsa::SigningKey;
use p256::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, LineEnding};
use p256::SecretKey;

/// Why a key could not be written or read as PEM.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key could not be encoded (p256's PKCS#8 encoder refused it).
    #[error("cannot encode the key as PKCS#8 PEM: {0}")]
    Encode(#[source] p256::pkcs8::Error),
    /// The content is not UTF-8 text.
    #[error("key is not UTF-8 text: {0}")]
    NotText(#[source] std::str::Utf8Error),
    /// The text is neither form of P-256 private key PEM.
    #[error("key is neither PKCS#8 nor SEC1 P-256 PEM: {0}")]
    NotPem(#[source] p256::elliptic_curve::Error),
}

/// The PKCS#8 PEM text of `key`.
pub fn to_pem(key: &SigningKey) -> Result<String, KeyError> {
    key.to_pkcs8_pem(LineEnding::LF)
        .map(|pem| pem.as_str().to_owned())
        .map_err(KeyError::Encode)
}

/// A P-256 private key from PKCS#8 or SEC1 PEM content.
pub fn from_pem(content: &[u8]) -> Result<SigningKey, KeyError> {
    let text = std::str::from_utf8(content).map_err(KeyError::NotText)?;
    let text = text.trim_matches(|c: char| c.is_ascii_whitespace());
    if let Ok(key) = SigningKey::from_pkcs8_pem(text) {
        return Ok(key);
    }
    SecretKey::from_sec1_pem(text)
        .map(SigningKey::from)
        .map_err(KeyError::NotPem)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn pem_round_trip() {
        let key = SigningKey::from_slice(&[9u8; 32]).unwrap();
        let pem = to_pem(&key).unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        assert_eq!(from_pem(pem.as_bytes()).unwrap(), key);
        let sec1 = SecretKey::from(&key).to_sec1_pem(LineEnding::CRLF).unwrap();
        assert_eq!(from_pem(sec1.as_bytes()).unwrap(), key);
        assert!(from_pem(b"junk").is_err());
        assert!(from_pem(&[0xff]).is_err());
    }
}
