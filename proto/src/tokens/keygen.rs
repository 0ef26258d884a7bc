//! The `AT%KEYGEN` answer: `"<b64url DER>.<b64url COSE_Sign1>"`.
//!
//! Part 1 is the DER of a CSR (`<response_content>` 0) or of the new key's
//! `SubjectPublicKeyInfo` (`<response_content>` 1, and endorsement keys, key type 8), per the
//! nRF91 AT command reference for `%KEYGEN`. Part 2 is a COSE_Sign1 by the identity key
//! (`kid` -2) whose embedded payload is
//! `55799([msg_type, device_uuid: bstr16, bstr(cbor(sec_tag)), sha256(part 1): bstr32, nonce: bstr16])`
//! with `msg_type` 9 for a CSR and 8 for a public key (`CSR_msg_v1` / `pubkey_msg_v2` in nRF
//! Cloud's `modem_credentials_parser.py`, github.com/nRFCloud/utils, which also shows the digest
//! is over the decoded part 1). That parser turns a negative `sec_tag` back into an unsigned
//! 32-bit one, so the modem writes sec tags as signed 32-bit integers: we write tags above
//! `i32::MAX` as their negative two's-complement value and read both forms.

use p256::ecdsa::{SigningKey, VerifyingKey};
use sha2::{Digest as _, Sha256};

use super::cose::{CoseSign1, KeyId};
use super::csr::{self, build_csr, Csr, CsrError, CsrParams, SignatureAlgorithmForm};
use super::uuid::Uuid;
use super::{join_token, split_token, Nonce, Part, TokenError};
use crate::cbor::{CborError, Reader, Writer};
use crate::tokens::attestation::SELF_DESCRIBE_TAG;

/// What part 1 of a `%KEYGEN` answer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeygenContent {
    /// A PKCS#10 CSR (`<response_content>` 0, COSE message type 9).
    Csr,
    /// A DER `SubjectPublicKeyInfo` (`<response_content>` 1 or key type 8, message type 8).
    PublicKey,
}

impl KeygenContent {
    /// The message type in the COSE payload: 9 (CSR) or 8 (public key).
    pub fn message_type(self) -> i64 {
        match self {
            Self::Csr => 9,
            Self::PublicKey => 8,
        }
    }

    /// The content for a COSE payload message type.
    pub fn from_message_type(msg_type: i64) -> Option<Self> {
        match msg_type {
            9 => Some(Self::Csr),
            8 => Some(Self::PublicKey),
            _ => None,
        }
    }

    /// The content for `%KEYGEN`'s `<response_content>` argument: 0 = CSR, 1 = public key.
    pub fn from_response_content(value: i64) -> Option<Self> {
        match value {
            0 => Some(Self::Csr),
            1 => Some(Self::PublicKey),
            _ => None,
        }
    }
}

/// The CBOR payload of a `%KEYGEN` COSE_Sign1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeygenPayload {
    /// CSR (9) or public key (8).
    pub content: KeygenContent,
    /// The device UUID.
    pub device_uuid: Uuid,
    /// The sec tag the new key was stored at.
    pub sec_tag: u32,
    /// SHA-256 of part 1 (the DER).
    pub digest: [u8; 32],
    /// Device-generated nonce.
    pub nonce: Nonce,
}

impl KeygenPayload {
    /// Encodes the payload canonically.
    pub fn to_cbor(&self) -> Vec<u8> {
        let mut tag = Writer::new();
        // Signed 32-bit view of the tag (see module docs).
        tag.int(i64::from(self.sec_tag as i32));
        let mut w = Writer::new();
        w.tag(SELF_DESCRIBE_TAG)
            .array(5)
            .int(self.content.message_type())
            .bytes(self.device_uuid.as_bytes())
            .bytes(&tag.into_bytes())
            .bytes(&self.digest)
            .bytes(&self.nonce);
        w.into_bytes()
    }

    /// Decodes the payload; errors name the element and its byte offset within the payload.
    pub fn from_cbor(bytes: &[u8]) -> Result<Self, CborError> {
        let mut r = Reader::new(bytes);
        r.tag("self-describe tag", SELF_DESCRIBE_TAG)?;
        r.array("keygen payload", 5)?;
        let at = r.position();
        let msg_type = r.int("msg_type")?;
        let content = KeygenContent::from_message_type(msg_type).ok_or_else(|| CborError {
            element: "msg_type",
            offset: at,
            reason: format!("expected 9 (CSR) or 8 (public key), found {msg_type}"),
        })?;
        let device_uuid = Uuid::from_bytes(r.bytes_n::<16>("device_uuid")?);
        let at = r.position();
        let tag_bytes = r.bytes("sec_tag")?;
        let sec_tag = read_sec_tag(tag_bytes).map_err(|reason| CborError {
            element: "sec_tag",
            offset: at,
            reason,
        })?;
        let digest = r.bytes_n::<32>("digest")?;
        let nonce = r.bytes_n::<16>("nonce")?;
        r.finish("keygen payload")?;
        Ok(Self {
            content,
            device_uuid,
            sec_tag,
            digest,
            nonce,
        })
    }
}

/// Reads `cbor(sec_tag)`: one integer, unsigned 32-bit or its signed 32-bit view.
fn read_sec_tag(bytes: &[u8]) -> Result<u32, String> {
    let mut r = Reader::new(bytes);
    let value = r
        .int("sec_tag")
        .and_then(|v| r.finish("sec_tag").map(|()| v))
        .map_err(|e| format!("must hold one CBOR integer: {}", e.reason))?;
    u32::try_from(value)
        .ok()
        .or_else(|| i32::try_from(value).ok().map(|v| v as u32))
        .ok_or_else(|| format!("sec tag {value} does not fit 32 bits"))
}

/// The `%KEYGEN` arguments that shape the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeygenRequest {
    /// `<sec_tag>`.
    pub sec_tag: u32,
    /// From `<response_content>` (or public key for key type 8).
    pub content: KeygenContent,
    /// `<attributes>` text for the CSR subject (empty or `None`: `CN=<device uuid>`).
    pub attributes: Option<String>,
    /// `<key_usage>` text, nine `0`/`1` characters (empty or `None`: modem default).
    pub key_usage: Option<String>,
    /// CSR signature algorithm encoding (default: the real modems' NULL-parameter form).
    pub form: SignatureAlgorithmForm,
}

impl KeygenRequest {
    /// A CSR request with default subject and key usage.
    pub fn csr(sec_tag: u32) -> Self {
        Self {
            sec_tag,
            content: KeygenContent::Csr,
            attributes: None,
            key_usage: None,
            form: SignatureAlgorithmForm::LegacyNull,
        }
    }

    /// A public key request.
    pub fn public_key(sec_tag: u32) -> Self {
        Self {
            content: KeygenContent::PublicKey,
            ..Self::csr(sec_tag)
        }
    }
}

/// A whole `%KEYGEN` answer: part 1 DER, the decoded COSE payload and the COSE message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeygenOutput {
    body: Vec<u8>,
    payload: KeygenPayload,
    cose: CoseSign1,
}

impl KeygenOutput {
    /// Signs part 1 `body` (a CSR or SPKI DER) with the identity key. Deterministic.
    pub fn sign(
        content: KeygenContent,
        body: Vec<u8>,
        sec_tag: u32,
        device_uuid: Uuid,
        nonce: Nonce,
        identity: &SigningKey,
    ) -> Self {
        let payload = KeygenPayload {
            content,
            device_uuid,
            sec_tag,
            digest: Sha256::digest(&body).into(),
            nonce,
        };
        let cose = CoseSign1::sign_embedded(payload.to_cbor(), KeyId::Identity, identity);
        Self {
            body,
            payload,
            cose,
        }
    }

    /// What a simulated modem answers to `%KEYGEN` once it has the key for the sec tag (a new
    /// one, or the existing endorsement key): builds the CSR or public key DER for `key` and
    /// signs it with the identity key.
    pub fn for_key(
        key: &SigningKey,
        request: &KeygenRequest,
        device_uuid: Uuid,
        nonce: Nonce,
        identity: &SigningKey,
    ) -> Result<Self, CsrError> {
        let body = match request.content {
            KeygenContent::Csr => {
                let params = CsrParams {
                    form: request.form,
                    ..CsrParams::from_keygen_args(
                        &device_uuid,
                        request.attributes.as_deref(),
                        request.key_usage.as_deref(),
                    )?
                };
                build_csr(key, &params)?
            }
            KeygenContent::PublicKey => csr::public_key_der(key.verifying_key())?,
        };
        Ok(Self::sign(
            request.content,
            body,
            request.sec_tag,
            device_uuid,
            nonce,
            identity,
        ))
    }

    /// Decodes `"<b64url>.<b64url>"` (without quotes) and checks that the payload digest is
    /// SHA-256 of part 1. Does not verify the signature or parse the DER.
    pub fn decode(text: &str) -> Result<Self, TokenError> {
        let (body, cose_bytes) = split_token(text)?;
        let (cose, payload) = decode_cose_part(&cose_bytes)?;
        let computed: [u8; 32] = Sha256::digest(&body).into();
        if computed != payload.digest {
            return Err(TokenError::DigestMismatch {
                in_payload: hex::encode(payload.digest),
                computed: hex::encode(computed),
            });
        }
        Ok(Self {
            body,
            payload,
            cose,
        })
    }

    /// Checks the COSE signature with the device's identity public key.
    pub fn verify(&self, identity: &VerifyingKey) -> Result<(), TokenError> {
        Ok(self.cose.verify(identity, None)?)
    }

    /// Part 1: the DER CSR or public key.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The decoded COSE payload.
    pub fn payload(&self) -> &KeygenPayload {
        &self.payload
    }

    /// The COSE_Sign1 message (part 2).
    pub fn cose(&self) -> &CoseSign1 {
        &self.cose
    }

    /// What part 1 holds.
    pub fn content(&self) -> KeygenContent {
        self.payload.content
    }

    /// The sec tag of the new key.
    pub fn sec_tag(&self) -> u32 {
        self.payload.sec_tag
    }

    /// Parses part 1 as a CSR (when the message type says CSR).
    pub fn csr(&self) -> Result<Csr, TokenError> {
        match self.payload.content {
            KeygenContent::Csr => Ok(Csr::parse(&self.body)?),
            KeygenContent::PublicKey => Err(TokenError::Payload(
                "message type 8 (public key) carries no CSR",
            )),
        }
    }

    /// The new public key, from the CSR or the SPKI in part 1.
    pub fn public_key(&self) -> Result<VerifyingKey, TokenError> {
        match self.payload.content {
            KeygenContent::Csr => Ok(*self.csr()?.public_key()),
            KeygenContent::PublicKey => Ok(csr::parse_public_key_der(&self.body)?),
        }
    }

    /// The answer text `"<b64url>.<b64url>"` (without quotes), as the modem prints it.
    pub fn encode(&self) -> String {
        join_token(&self.body, &self.cose.to_bytes())
    }
}

impl core::fmt::Display for KeygenOutput {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.encode())
    }
}

/// Decodes a `%KEYGEN` COSE part (bytes, after base64url) and its embedded payload.
pub fn decode_cose_part(bytes: &[u8]) -> Result<(CoseSign1, KeygenPayload), TokenError> {
    let cose = CoseSign1::from_bytes(bytes)?;
    let payload_bytes = cose.payload.as_deref().ok_or(TokenError::Payload(
        "the %KEYGEN COSE payload must not be nil",
    ))?;
    let payload = KeygenPayload::from_cbor(payload_bytes).map_err(|source| TokenError::Cbor {
        part: Part::Cose,
        source,
    })?;
    Ok((cose, payload))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sec_tag_forms() {
        for tag in [0u32, 17, 16842753, i32::MAX as u32, 0x8000_0000, u32::MAX] {
            let payload = KeygenPayload {
                content: KeygenContent::Csr,
                device_uuid: Uuid::from_bytes([0; 16]),
                sec_tag: tag,
                digest: [0; 32],
                nonce: [0; 16],
            };
            assert_eq!(
                KeygenPayload::from_cbor(&payload.to_cbor()).unwrap(),
                payload
            );
        }
        assert_eq!(read_sec_tag(&[0x11]), Ok(17));
        assert_eq!(read_sec_tag(&[0x20]), Ok(u32::MAX));
        assert!(read_sec_tag(&[0x1b, 1, 0, 0, 0, 0, 0, 0, 0]).is_err());
        assert!(read_sec_tag(&[0x11, 0x11]).is_err());
    }

    #[test]
    fn content_codes() {
        assert_eq!(
            KeygenContent::from_response_content(0),
            Some(KeygenContent::Csr)
        );
        assert_eq!(
            KeygenContent::from_response_content(1),
            Some(KeygenContent::PublicKey)
        );
        assert_eq!(KeygenContent::from_response_content(2), None);
        assert_eq!(KeygenContent::Csr.message_type(), 9);
        assert_eq!(KeygenContent::PublicKey.message_type(), 8);
    }
}
