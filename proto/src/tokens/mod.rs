//! The modem's signed tokens: the `%ATTESTTOKEN` attestation token, the `%KEYGEN` output
//! (CSR or public key plus a COSE_Sign1 over its digest) and the CSRs themselves.
//!
//! Both token kinds are `"<base64url part 1>.<base64url COSE_Sign1>"` (base64url without
//! padding). Part 1 is the attestation message (CBOR) or the DER of a CSR / public key; part 2
//! is signed with the device identity key. A simulated modem builds them with
//! [`AttestationToken::sign`] and [`KeygenOutput::for_key`]; a service decodes them with
//! [`AttestationToken::decode`] / [`KeygenOutput::decode`] and checks them with `verify`
//! given the device's identity public key.
//!
//! Everything is deterministic: keys, nonces and randomness come from the caller, and ES256
//! signatures use RFC 6979 nonces.

pub mod attestation;
pub mod cose;
pub mod csr;
pub mod keygen;
pub mod uuid;

use core::fmt;

pub use crate::cbor::CborError;
pub use attestation::{Attestation, AttestationToken, DeviceType};
pub use cose::{CoseError, CoseSign1, KeyId};
pub use csr::{build_csr, Csr, CsrError, CsrParams, KeyUsageBits, SignatureAlgorithmForm, Subject};
pub use keygen::{KeygenContent, KeygenOutput, KeygenPayload, KeygenRequest};
pub use uuid::{Uuid, UuidError};

use crate::b64::{self, B64Error};

/// A 16-byte nonce (attestation challenge or `%KEYGEN` nonce).
pub type Nonce = [u8; 16];

/// Which dot-separated part of a token an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    /// Part 1: the attestation message, or the DER CSR / public key of `%KEYGEN`.
    Body,
    /// Part 2: the COSE_Sign1 message.
    Cose,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Body => "part 1",
            Self::Cose => "part 2 (COSE_Sign1)",
        })
    }
}

/// Why an attestation token or `%KEYGEN` output could not be decoded or verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// The text is not two non-empty parts joined by one `.`.
    #[error("expected `<part 1>.<part 2>`: {reason} (at byte {offset})")]
    Framing {
        /// Byte offset in the token text.
        offset: usize,
        /// What was wrong.
        reason: &'static str,
    },
    /// A part is not base64url; the offset is within the whole token text.
    #[error("{part}: {source}")]
    Base64 {
        /// Which part.
        part: Part,
        /// The decoding error, its offset relative to the start of the token text.
        source: B64Error,
    },
    /// The attestation message (part 1) or the `%KEYGEN` COSE payload is malformed CBOR or has
    /// the wrong shape; the offset is within that CBOR item.
    #[error("{part}: {source}")]
    Cbor {
        /// Which part.
        part: Part,
        /// The element, its offset and the problem.
        source: CborError,
    },
    /// The COSE_Sign1 message (part 2) is malformed or uses another algorithm.
    #[error("part 2 (COSE_Sign1): {0}")]
    Cose(CoseError),
    /// The COSE payload is present where the modem sends `nil`, or the other way round.
    #[error("part 2 (COSE_Sign1): {0}")]
    Payload(&'static str),
    /// The `%KEYGEN` COSE payload's digest is not the SHA-256 of part 1.
    #[error("part 2 (COSE_Sign1): payload digest {in_payload} is not sha256(part 1) = {computed}")]
    DigestMismatch {
        /// Hex digest carried in the COSE payload.
        in_payload: String,
        /// Hex SHA-256 of the decoded part 1.
        computed: String,
    },
    /// Part 1 of a `%KEYGEN` output is not the DER the message type announces.
    #[error("part 1: {0}")]
    Der(#[from] CsrError),
    /// The COSE signature does not verify with the given identity key.
    #[error("part 2 (COSE_Sign1): signature does not verify with the identity key")]
    BadSignature,
}

impl From<CoseError> for TokenError {
    fn from(e: CoseError) -> Self {
        match e {
            CoseError::BadSignature => Self::BadSignature,
            other => Self::Cose(other),
        }
    }
}

/// Splits `<b64url>.<b64url>` and decodes both parts.
fn split_token(text: &str) -> Result<(Vec<u8>, Vec<u8>), TokenError> {
    let Some(dot) = text.find('.') else {
        return Err(TokenError::Framing {
            offset: text.len(),
            reason: "no '.' separator",
        });
    };
    let (first, rest) = (&text[..dot], &text[dot + 1..]);
    if let Some(extra) = rest.find('.') {
        return Err(TokenError::Framing {
            offset: dot + 1 + extra,
            reason: "more than one '.'",
        });
    }
    if first.is_empty() {
        return Err(TokenError::Framing {
            offset: 0,
            reason: "part 1 is empty",
        });
    }
    if rest.is_empty() {
        return Err(TokenError::Framing {
            offset: dot + 1,
            reason: "part 2 is empty",
        });
    }
    let decode = |part: Part, text: &str, start: usize| {
        b64::decode(text).map_err(|e| TokenError::Base64 {
            part,
            source: B64Error {
                offset: start + e.offset,
                reason: e.reason,
            },
        })
    };
    Ok((
        decode(Part::Body, first, 0)?,
        decode(Part::Cose, rest, dot + 1)?,
    ))
}

/// Joins two byte parts as `<b64url>.<b64url>`.
fn join_token(body: &[u8], cose: &[u8]) -> String {
    let mut out = b64::encode(body);
    out.push('.');
    out.push_str(&b64::encode(cose));
    out
}
