//! COSE_Sign1 (RFC 9052) as the nRF91 modem emits it, with ES256 signing and verification.
//!
//! The modem's COSE part is always the tagged four-element array
//! `18([h'a10126', {4: h'21'}, payload, signature])`:
//! the protected header is the serialized map `{1: -7}` (alg = ES256), the unprotected header
//! carries `kid` (label 4) as a byte string holding one CBOR integer naming the key
//! (`-2` = the device identity key; `-4`/`-5` are Nordic base keys, after the key-type table
//! in nRF Cloud's `modem_credentials_parser.py`, github.com/nRFCloud/utils), the payload is
//! `nil` (attestation token) or a byte string (`%KEYGEN`), and the signature is the 64-byte
//! raw `r || s` of ECDSA P-256 over SHA-256 (RFC 9053 §2.1).
//!
//! What is signed is the RFC 9052 §4.4 `Sig_structure`
//! `["Signature1", protected: bstr, external_aad: h'', payload: bstr]`, CBOR-encoded. When the
//! message carries no payload (`nil`), the payload in the `Sig_structure` is a detached one that
//! the caller supplies (RFC 9052 §2).
//!
//! The decoder accepts exactly this shape and [`CoseSign1::to_bytes`] writes it canonically,
//! so decoding and re-encoding a modem message gives back the same bytes.

use p256::ecdsa::signature::{Signer as _, Verifier as _};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};

use crate::cbor::{CborError, Reader, Writer};

/// CBOR tag of a COSE_Sign1 message (RFC 9052 §2).
pub const COSE_SIGN1_TAG: u64 = 18;
/// COSE algorithm id of ES256 (ECDSA P-256 with SHA-256, RFC 9053 §2.1).
pub const ES256: i64 = -7;
/// The serialized protected header `{1: -7}` (alg = ES256) every modem message carries.
pub const PROTECTED_ES256: [u8; 3] = [0xa1, 0x01, 0x26];
/// COSE header label of `alg`.
const LABEL_ALG: i64 = 1;
/// COSE header label of `kid`.
const LABEL_KID: i64 = 4;

/// Which modem key signed a COSE message (the integer inside the `kid` header).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyId {
    /// `-2`: the device identity key (attestation, `%KEYGEN`).
    Identity,
    /// `-4`: Nordic base production key.
    NordicBaseProduction,
    /// `-5`: Nordic base R&D key.
    NordicBaseRd,
    /// Any other key number, kept as is.
    Other(i64),
}

impl KeyId {
    /// The key number carried in the `kid` header.
    pub fn code(self) -> i64 {
        match self {
            Self::Identity => -2,
            Self::NordicBaseProduction => -4,
            Self::NordicBaseRd => -5,
            Self::Other(n) => n,
        }
    }

    /// The key id for a key number.
    pub fn from_code(code: i64) -> Self {
        match code {
            -2 => Self::Identity,
            -4 => Self::NordicBaseProduction,
            -5 => Self::NordicBaseRd,
            n => Self::Other(n),
        }
    }
}

/// Why a COSE_Sign1 message could not be decoded or verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoseError {
    /// The bytes are not a COSE_Sign1 message of the modem's shape.
    #[error("malformed COSE_Sign1: {0}")]
    Malformed(#[from] CborError),
    /// The protected header is not the serialized `{1: -7}` (ES256).
    #[error("unsupported COSE protected header at byte {offset}: {found} (only ES256 {{1: -7}} is supported)")]
    UnsupportedAlgorithm {
        /// Byte offset of the protected header's byte string.
        offset: usize,
        /// The protected header bytes, hex.
        found: String,
    },
    /// The message has no payload and no detached payload was supplied.
    #[error("COSE_Sign1 has a nil payload and no detached payload was supplied")]
    MissingPayload,
    /// The ES256 signature does not verify with the given key.
    #[error("COSE_Sign1 signature does not verify")]
    BadSignature,
}

/// A COSE_Sign1 message with the modem's header layout (ES256, `kid` in the unprotected map).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoseSign1 {
    /// The signing key named in the unprotected `kid` header (absent: empty unprotected map).
    pub kid: Option<KeyId>,
    /// The embedded payload; `None` encodes as `nil` (detached payload).
    pub payload: Option<Vec<u8>>,
    /// Raw ES256 signature `r || s`.
    pub signature: [u8; 64],
}

/// The CBOR-encoded RFC 9052 `Sig_structure` for a Signature1 with the ES256 protected header
/// and empty external AAD: `["Signature1", h'a10126', h'', payload]`. These are the bytes
/// ES256 signs.
pub fn sig_structure(payload: &[u8]) -> Vec<u8> {
    let mut w = Writer::new();
    w.array(4)
        .text("Signature1")
        .bytes(&PROTECTED_ES256)
        .bytes(&[])
        .bytes(payload);
    w.into_bytes()
}

impl CoseSign1 {
    /// Signs `payload` with ES256 and embeds it (the `%KEYGEN` form). Deterministic (RFC 6979).
    pub fn sign_embedded(payload: Vec<u8>, kid: KeyId, key: &SigningKey) -> Self {
        let signature = es256_sign(key, &payload);
        Self {
            kid: Some(kid),
            payload: Some(payload),
            signature,
        }
    }

    /// Signs `detached` with ES256 and leaves the payload `nil` (the attestation form).
    /// Deterministic (RFC 6979).
    pub fn sign_detached(detached: &[u8], kid: KeyId, key: &SigningKey) -> Self {
        Self {
            kid: Some(kid),
            payload: None,
            signature: es256_sign(key, detached),
        }
    }

    /// Verifies the signature with `key` over the embedded payload, or over `detached` when the
    /// payload is `nil`. A detached payload is ignored when the message embeds one.
    pub fn verify(&self, key: &VerifyingKey, detached: Option<&[u8]>) -> Result<(), CoseError> {
        let payload = self
            .payload
            .as_deref()
            .or(detached)
            .ok_or(CoseError::MissingPayload)?;
        let signature =
            Signature::from_slice(&self.signature).map_err(|_| CoseError::BadSignature)?;
        key.verify(&sig_structure(payload), &signature)
            .map_err(|_| CoseError::BadSignature)
    }

    /// Encodes the message canonically: `18([h'a10126', {4: bstr(kid)}, payload, sig])`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.tag(COSE_SIGN1_TAG).array(4).bytes(&PROTECTED_ES256);
        match self.kid {
            Some(kid) => {
                let mut inner = Writer::new();
                inner.int(kid.code());
                w.map(1).int(LABEL_KID).bytes(&inner.into_bytes());
            }
            None => {
                w.map(0);
            }
        }
        match &self.payload {
            Some(p) => w.bytes(p),
            None => w.nil(),
        };
        w.bytes(&self.signature);
        w.into_bytes()
    }

    /// Decodes a modem COSE_Sign1 message. Errors name the element and its byte offset.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CoseError> {
        let mut r = Reader::new(bytes);
        r.tag("COSE_Sign1 tag", COSE_SIGN1_TAG)?;
        r.array("COSE_Sign1", 4)?;
        let at = r.position();
        let protected = r.bytes("protected header")?;
        if protected != PROTECTED_ES256 {
            return Err(CoseError::UnsupportedAlgorithm {
                offset: at,
                found: hex::encode(protected),
            });
        }
        let kid = read_unprotected(&mut r)?;
        let payload = r.bytes_or_nil("payload")?.map(<[u8]>::to_vec);
        let signature = r.bytes_n::<64>("signature")?;
        r.finish("COSE_Sign1")?;
        Ok(Self {
            kid,
            payload,
            signature,
        })
    }
}

/// Reads the unprotected header map; only `kid` (4) is understood.
fn read_unprotected(r: &mut Reader<'_>) -> Result<Option<KeyId>, CborError> {
    let pairs = r.map("unprotected header")?;
    let mut kid = None;
    for _ in 0..pairs {
        let at = r.position();
        let label = r.int("unprotected header label")?;
        match label {
            LABEL_KID if kid.is_none() => {
                let at = r.position();
                let inner = r.bytes("kid")?;
                let mut ir = Reader::new(inner);
                let code = ir.int("kid").and_then(|c| ir.finish("kid").map(|()| c));
                let code = code.map_err(|e| CborError {
                    element: "kid",
                    offset: at,
                    reason: format!("kid must hold one CBOR integer: {}", e.reason),
                })?;
                kid = Some(KeyId::from_code(code));
            }
            LABEL_ALG => {
                return Err(CborError {
                    element: "unprotected header label",
                    offset: at,
                    reason: "alg must be in the protected header".into(),
                })
            }
            other => {
                return Err(CborError {
                    element: "unprotected header label",
                    offset: at,
                    reason: format!("unsupported or repeated label {other}"),
                })
            }
        }
    }
    Ok(kid)
}

/// ES256 over the `Sig_structure` of `payload`; returns raw `r || s`.
fn es256_sign(key: &SigningKey, payload: &[u8]) -> [u8; 64] {
    let signature: Signature = key.sign(&sig_structure(payload));
    signature.to_bytes().into()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::from_slice(&[7u8; 32]).unwrap()
    }

    #[test]
    fn sig_structure_layout() {
        assert_eq!(
            hex::encode(sig_structure(&[1, 2])),
            "846a5369676e61747572653143a101264042 0102".replace(' ', "")
        );
    }

    #[test]
    fn embedded_round_trip_and_tamper() {
        let msg = CoseSign1::sign_embedded(vec![1, 2, 3], KeyId::Identity, &key());
        let bytes = msg.to_bytes();
        assert_eq!(&bytes[..8], &hex::decode("d28443a10126a104").unwrap()[..]);
        let back = CoseSign1::from_bytes(&bytes).unwrap();
        assert_eq!(back, msg);
        back.verify(key().verifying_key(), None).unwrap();
        let mut tampered = back.clone();
        tampered.payload = Some(vec![1, 2, 4]);
        assert_eq!(
            tampered.verify(key().verifying_key(), None),
            Err(CoseError::BadSignature)
        );
    }

    #[test]
    fn detached_needs_payload() {
        let msg = CoseSign1::sign_detached(b"abc", KeyId::Identity, &key());
        assert_eq!(
            msg.verify(key().verifying_key(), None),
            Err(CoseError::MissingPayload)
        );
        msg.verify(key().verifying_key(), Some(b"abc")).unwrap();
        assert_eq!(
            msg.verify(key().verifying_key(), Some(b"abd")),
            Err(CoseError::BadSignature)
        );
    }

    #[test]
    fn rejects_other_algorithms_and_trailing_bytes() {
        let mut bytes = CoseSign1::sign_embedded(vec![], KeyId::Identity, &key()).to_bytes();
        bytes[5] = 0x38; // {1: -25}
        assert!(matches!(
            CoseSign1::from_bytes(&bytes),
            Err(CoseError::UnsupportedAlgorithm { offset: 2, .. })
        ));
        let mut bytes = CoseSign1::sign_embedded(vec![], KeyId::Identity, &key()).to_bytes();
        bytes.push(0);
        assert!(matches!(
            CoseSign1::from_bytes(&bytes),
            Err(CoseError::Malformed(CborError { offset, .. })) if offset == bytes.len() - 1
        ));
    }
}
