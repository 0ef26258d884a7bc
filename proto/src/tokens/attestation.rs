//! The `AT%ATTESTTOKEN` answer: `"<b64url attestation>.<b64url COSE_Sign1>"`.
//!
//! Part 1, the device identity attestation message, is
//! `55799([1, device_uuid: bstr16, device_type: int, modem_fw_uuid: bstr16, nonce: bstr16])`
//! (message type 1 = "Device identity message v1" and the device type names follow nRF Cloud's
//! `modem_credentials_parser.py`, github.com/nRFCloud/utils; the nonce is the 16-byte
//! `<challenge>` of `AT%ATTESTTOKEN=<challenge>` when given, per the nRF91 AT command
//! reference). Part 2 is a COSE_Sign1 by the identity key (`kid` -2) with a `nil` payload.
//!
//! What the real modem's signature covers is not public: Nordic's tools only print it and the
//! vector's key is unknown. **Ours:** the signature is over the RFC 9052 `Sig_structure` with
//! the *raw bytes of part 1* as the detached payload, i.e.
//! `["Signature1", h'a10126', h'', <part 1 bytes>]`.

use p256::ecdsa::{SigningKey, VerifyingKey};

use super::cose::{CoseSign1, KeyId};
use super::uuid::Uuid;
use super::{join_token, split_token, Nonce, Part, TokenError};
use crate::cbor::{CborError, Reader, Writer};

/// CBOR self-describe tag (RFC 8949 §3.4.6) that opens the modem's CBOR messages.
pub const SELF_DESCRIBE_TAG: u64 = 55799;
/// Message type of the device identity attestation message.
pub const MSG_TYPE_DEVICE_IDENTITY: i64 = 1;

/// The SiP variant in the attestation message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeviceType {
    /// 1: nRF9160 SIAA.
    Nrf9160Siaa,
    /// 2: nRF9160 SIBA.
    Nrf9160Siba,
    /// 3: nRF9160 SICA.
    Nrf9160Sica,
    /// 4: nRF9161 LACA.
    Nrf9161Laca,
    /// 5: nRF9131 LACA.
    Nrf9131Laca,
    /// 6: nRF9151 LACA.
    Nrf9151Laca,
    /// Any other number, kept as is.
    Unknown(i64),
}

impl DeviceType {
    /// The number carried in the attestation message.
    pub fn code(self) -> i64 {
        match self {
            Self::Nrf9160Siaa => 1,
            Self::Nrf9160Siba => 2,
            Self::Nrf9160Sica => 3,
            Self::Nrf9161Laca => 4,
            Self::Nrf9131Laca => 5,
            Self::Nrf9151Laca => 6,
            Self::Unknown(n) => n,
        }
    }

    /// The device type for a number.
    pub fn from_code(code: i64) -> Self {
        match code {
            1 => Self::Nrf9160Siaa,
            2 => Self::Nrf9160Siba,
            3 => Self::Nrf9160Sica,
            4 => Self::Nrf9161Laca,
            5 => Self::Nrf9131Laca,
            6 => Self::Nrf9151Laca,
            n => Self::Unknown(n),
        }
    }

    /// Human name, e.g. `nRF9160 SICA`; `None` for unknown numbers.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::Nrf9160Siaa => "nRF9160 SIAA",
            Self::Nrf9160Siba => "nRF9160 SIBA",
            Self::Nrf9160Sica => "nRF9160 SICA",
            Self::Nrf9161Laca => "nRF9161 LACA",
            Self::Nrf9131Laca => "nRF9131 LACA",
            Self::Nrf9151Laca => "nRF9151 LACA",
            Self::Unknown(_) => return None,
        })
    }

    /// The chip name used in the modem's JWT `iss`/`jti` claims (e.g. `nRF9160`).
    pub fn chip(self) -> Option<&'static str> {
        self.name().and_then(|n| n.split(' ').next())
    }
}

/// The device identity attestation message (part 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Attestation {
    /// The device UUID (nRF Cloud device id).
    pub device_uuid: Uuid,
    /// The SiP variant.
    pub device_type: DeviceType,
    /// The UUID of the running modem firmware (`AT%XMODEMUUID`).
    pub modem_fw_uuid: Uuid,
    /// Device-generated nonce, or the caller's challenge.
    pub nonce: Nonce,
}

impl Attestation {
    /// Encodes the message canonically (shortest CBOR heads), as the modem does.
    pub fn to_cbor(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.tag(SELF_DESCRIBE_TAG)
            .array(5)
            .int(MSG_TYPE_DEVICE_IDENTITY)
            .bytes(self.device_uuid.as_bytes())
            .int(self.device_type.code())
            .bytes(self.modem_fw_uuid.as_bytes())
            .bytes(&self.nonce);
        w.into_bytes()
    }

    /// Decodes the message; errors name the element and its byte offset.
    pub fn from_cbor(bytes: &[u8]) -> Result<Self, CborError> {
        let mut r = Reader::new(bytes);
        r.tag("self-describe tag", SELF_DESCRIBE_TAG)?;
        r.array("attestation message", 5)?;
        let at = r.position();
        let msg_type = r.int("msg_type")?;
        if msg_type != MSG_TYPE_DEVICE_IDENTITY {
            return Err(CborError {
                element: "msg_type",
                offset: at,
                reason: format!("expected 1 (device identity message), found {msg_type}"),
            });
        }
        let device_uuid = Uuid::from_bytes(r.bytes_n::<16>("device_uuid")?);
        let device_type = DeviceType::from_code(r.int("device_type")?);
        let modem_fw_uuid = Uuid::from_bytes(r.bytes_n::<16>("modem_fw_uuid")?);
        let nonce = r.bytes_n::<16>("nonce")?;
        r.finish("attestation message")?;
        Ok(Self {
            device_uuid,
            device_type,
            modem_fw_uuid,
            nonce,
        })
    }
}

/// A whole `%ATTESTTOKEN` answer: the message, its exact bytes and the COSE signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestationToken {
    attestation: Attestation,
    body: Vec<u8>,
    cose: CoseSign1,
}

impl AttestationToken {
    /// What a simulated modem answers to `AT%ATTESTTOKEN`: the message signed with the
    /// identity key (ours: detached payload = part 1 bytes). Deterministic.
    pub fn sign(attestation: Attestation, identity: &SigningKey) -> Self {
        let body = attestation.to_cbor();
        let cose = CoseSign1::sign_detached(&body, KeyId::Identity, identity);
        Self {
            attestation,
            body,
            cose,
        }
    }

    /// Decodes `"<b64url>.<b64url>"` (without the surrounding quotes). Does not verify.
    pub fn decode(text: &str) -> Result<Self, TokenError> {
        let (body, cose_bytes) = split_token(text)?;
        let attestation = Attestation::from_cbor(&body).map_err(|source| TokenError::Cbor {
            part: Part::Body,
            source,
        })?;
        let cose = CoseSign1::from_bytes(&cose_bytes)?;
        if cose.payload.is_some() {
            return Err(TokenError::Payload(
                "the attestation token's COSE payload must be nil",
            ));
        }
        Ok(Self {
            attestation,
            body,
            cose,
        })
    }

    /// Checks the COSE signature with the device's identity public key (over the exact part 1
    /// bytes as received).
    pub fn verify(&self, identity: &VerifyingKey) -> Result<(), TokenError> {
        Ok(self.cose.verify(identity, Some(&self.body))?)
    }

    /// The attestation message.
    pub fn attestation(&self) -> &Attestation {
        &self.attestation
    }

    /// The exact part 1 bytes (CBOR).
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The COSE_Sign1 message (part 2).
    pub fn cose(&self) -> &CoseSign1 {
        &self.cose
    }

    /// The token text `"<b64url>.<b64url>"` (without quotes), as the modem prints it.
    pub fn encode(&self) -> String {
        join_token(&self.body, &self.cose.to_bytes())
    }
}

impl core::fmt::Display for AttestationToken {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.encode())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn device_types() {
        for code in 1..=6 {
            assert_eq!(DeviceType::from_code(code).code(), code);
            assert!(DeviceType::from_code(code).name().is_some());
        }
        assert_eq!(DeviceType::from_code(42), DeviceType::Unknown(42));
        assert_eq!(DeviceType::Nrf9160Sica.chip(), Some("nRF9160"));
        assert_eq!(DeviceType::Nrf9151Laca.chip(), Some("nRF9151"));
        assert_eq!(DeviceType::Unknown(7).chip(), None);
    }

    #[test]
    fn rejects_wrong_message_type() {
        let mut bytes = Attestation {
            device_uuid: Uuid::from_bytes([1; 16]),
            device_type: DeviceType::Nrf9161Laca,
            modem_fw_uuid: Uuid::from_bytes([2; 16]),
            nonce: [3; 16],
        }
        .to_cbor();
        bytes[4] = 0x02;
        let err = Attestation::from_cbor(&bytes).unwrap_err();
        assert_eq!((err.element, err.offset), ("msg_type", 4));
    }
}
