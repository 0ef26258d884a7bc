//! The modem's factory identity: device UUID, IMEI, model, firmware, firmware UUID and the
//! device identity key that signs attestation tokens, `%KEYGEN` output and JWTs.

use std::fmt;

use p256::ecdsa::{SigningKey, VerifyingKey};
use provlab_proto::tokens::{DeviceType, Uuid};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use sha2::{Digest as _, Sha256};

use super::error::ModemError;
use super::imei;

/// Default model string (`AT+CGMM`).
pub const DEFAULT_MODEL: &str = "nRF9160-SICA";
/// Default modem firmware version (`AT+CGMR`).
pub const DEFAULT_FIRMWARE: &str = "mfw_nrf9160_1.3.5";

/// Known model strings and their attestation device types (numbering per `modem.md`, "Token
/// formats", and nRF Cloud's `modem_credentials_parser.py`).
const MODELS: [(&str, DeviceType); 6] = [
    ("nRF9160-SIAA", DeviceType::Nrf9160Siaa),
    ("nRF9160-SIBA", DeviceType::Nrf9160Siba),
    ("nRF9160-SICA", DeviceType::Nrf9160Sica),
    ("nRF9161-LACA", DeviceType::Nrf9161Laca),
    ("nRF9131-LACA", DeviceType::Nrf9131Laca),
    ("nRF9151-LACA", DeviceType::Nrf9151Laca),
];

/// The device type for a model string.
///
/// Exact (case-insensitive) matches of the six known models first; otherwise, so that a test
/// can present an odd model string to host tools, the chip prefix decides (`nRF9160…` → SICA,
/// `nRF9161…` → LACA, `nRF9131…`, `nRF9151…`). Anything else is an error.
pub fn device_type_for_model(model: &str) -> Result<DeviceType, ModemError> {
    if let Some((_, t)) = MODELS.iter().find(|(m, _)| m.eq_ignore_ascii_case(model)) {
        return Ok(*t);
    }
    let prefix = model.get(..7).unwrap_or("");
    let by_chip = [
        ("nRF9160", DeviceType::Nrf9160Sica),
        ("nRF9161", DeviceType::Nrf9161Laca),
        ("nRF9131", DeviceType::Nrf9131Laca),
        ("nRF9151", DeviceType::Nrf9151Laca),
    ];
    by_chip
        .iter()
        .find(|(chip, _)| chip.eq_ignore_ascii_case(prefix))
        .map(|(_, t)| *t)
        .ok_or_else(|| ModemError::UnknownModel {
            model: model.to_owned(),
        })
}

/// A modem's factory identity. Everything a verifier needs is public; the identity private key
/// is not (only [`ModemIdentity::verifying_key`] is exposed).
#[derive(Clone)]
pub struct ModemIdentity {
    /// The device UUID (`%XMODEMUUID` is the *firmware* UUID; this one is the nRF Cloud device
    /// id and the CSR common name).
    pub device_uuid: Uuid,
    /// 15-digit IMEI (`AT+CGSN`).
    pub imei: String,
    /// Model string (`AT+CGMM`), e.g. `nRF9160-SICA`.
    pub model: String,
    /// Modem firmware version (`AT+CGMR`), e.g. `mfw_nrf9160_1.3.5`.
    pub firmware: String,
    /// UUID of the modem firmware build (`AT%XMODEMUUID`).
    pub firmware_uuid: Uuid,
    /// Attestation device type, derived from the model.
    pub device_type: DeviceType,
    identity_key: SigningKey,
}

impl fmt::Debug for ModemIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModemIdentity")
            .field("device_uuid", &self.device_uuid)
            .field("imei", &self.imei)
            .field("model", &self.model)
            .field("firmware", &self.firmware)
            .field("firmware_uuid", &self.firmware_uuid)
            .field("device_type", &self.device_type)
            .field("identity_key", &"<private>")
            .finish()
    }
}

impl PartialEq for ModemIdentity {
    fn eq(&self, other: &Self) -> bool {
        self.device_uuid == other.device_uuid
            && self.imei == other.imei
            && self.model == other.model
            && self.firmware == other.firmware
            && self.firmware_uuid == other.firmware_uuid
            && self.device_type == other.device_type
            && self.identity_key.to_bytes() == other.identity_key.to_bytes()
    }
}

impl Eq for ModemIdentity {}

impl ModemIdentity {
    /// An explicit identity. Checks the IMEI (15 digits, Luhn) and derives the device type
    /// from the model.
    pub fn new(
        device_uuid: Uuid,
        imei: impl Into<String>,
        model: impl Into<String>,
        firmware: impl Into<String>,
        firmware_uuid: Uuid,
        identity_key: SigningKey,
    ) -> Result<Self, ModemError> {
        let imei = imei.into();
        if !imei::is_valid_imei(&imei) {
            return Err(ModemError::InvalidIdentity {
                reason: format!("IMEI {imei:?} is not 15 digits with a valid Luhn check digit"),
            });
        }
        let model = model.into();
        Ok(Self {
            device_uuid,
            imei,
            device_type: device_type_for_model(&model)?,
            model,
            firmware: firmware.into(),
            firmware_uuid,
            identity_key,
        })
    }

    /// The identity derived from `seed` for this model and firmware (deterministic).
    ///
    /// A ChaCha20 generator seeded with `seed` (stream 0) draws, in this order: the device
    /// UUID (16 bytes, shaped as a version 4 / RFC 4122 variant UUID like real nRF91 device
    /// UUIDs), the IMEI serial ([`imei::random_imei`]) and the identity key. The firmware UUID
    /// is *not* drawn: it identifies a firmware build, so it is derived from the firmware
    /// version string ([`firmware_uuid_for`]) and equal for all devices on that firmware.
    pub fn from_seed(seed: u64, model: &str, firmware: &str) -> Result<Self, ModemError> {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let mut uuid = [0u8; 16];
        rng.fill_bytes(&mut uuid);
        let device_uuid = v4_shaped(uuid);
        let imei = imei::random_imei(&mut rng);
        let identity_key = SigningKey::random(&mut rng);
        Self::new(
            device_uuid,
            imei,
            model,
            firmware,
            firmware_uuid_for(firmware),
            identity_key,
        )
    }

    /// The identity public key: what a verifier of attestation tokens, `%KEYGEN` COSE
    /// signatures and identity-key JWTs needs.
    pub fn verifying_key(&self) -> &VerifyingKey {
        self.identity_key.verifying_key()
    }

    /// The chip name used in JWT `iss`/`jti` (e.g. `nRF9160`), from the device type.
    pub fn chip(&self) -> &'static str {
        self.device_type.chip().unwrap_or("nRF9160")
    }

    /// The identity private key, for the modem's own signing only.
    pub(crate) fn signing_key(&self) -> &SigningKey {
        &self.identity_key
    }

    /// The same identity with another model (and the device type derived from it).
    pub(crate) fn with_model(mut self, model: &str) -> Result<Self, ModemError> {
        self.device_type = device_type_for_model(model)?;
        self.model = model.to_owned();
        Ok(self)
    }

    /// The same identity with another firmware version (the firmware UUID is kept: an explicit
    /// identity's firmware UUID is the caller's).
    pub(crate) fn with_firmware(mut self, firmware: &str) -> Self {
        self.firmware = firmware.to_owned();
        self
    }
}

/// Sets the version (4) and variant (RFC 4122) bits, so random bytes look like a v4 UUID.
fn v4_shaped(mut bytes: [u8; 16]) -> Uuid {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    Uuid::from_bytes(bytes)
}

/// The simulator's firmware UUID for a firmware version string (ours): the first 16 bytes of
/// `SHA-256("provlab modem firmware " + version)`, v4-shaped. Real firmware UUIDs are build
/// ids published with each modem firmware release; this only keeps "same firmware, same UUID".
pub fn firmware_uuid_for(firmware: &str) -> Uuid {
    let digest = Sha256::digest(format!("provlab modem firmware {firmware}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    v4_shaped(bytes)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn models_map_to_device_types() {
        let cases = [
            ("nRF9160-SICA", 3),
            ("nRF9160-SIBA", 2),
            ("nRF9160-SIAA", 1),
            ("nRF9161-LACA", 4),
            ("nRF9131-LACA", 5),
            ("nRF9151-LACA", 6),
            ("NRF9160-sica", 3),
            ("nRF9160-XYZW", 3),
        ];
        for (model, code) in cases {
            assert_eq!(
                device_type_for_model(model).unwrap().code(),
                code,
                "{model}"
            );
        }
        assert!(matches!(
            device_type_for_model("ESP32"),
            Err(ModemError::UnknownModel { .. })
        ));
        assert!(device_type_for_model("").is_err());
        assert!(device_type_for_model("nRF9é").is_err());
    }

    #[test]
    fn seeded_identity_is_deterministic_and_well_formed() {
        let a = ModemIdentity::from_seed(42, DEFAULT_MODEL, DEFAULT_FIRMWARE).unwrap();
        let b = ModemIdentity::from_seed(42, DEFAULT_MODEL, DEFAULT_FIRMWARE).unwrap();
        let c = ModemIdentity::from_seed(43, DEFAULT_MODEL, DEFAULT_FIRMWARE).unwrap();
        assert_eq!(a, b);
        assert_ne!(a.device_uuid, c.device_uuid);
        assert_ne!(a.verifying_key(), c.verifying_key());
        assert_eq!(a.firmware_uuid, c.firmware_uuid);
        let text = a.device_uuid.to_string();
        assert_eq!(&text[14..15], "4");
        assert!(matches!(&text[19..20], "8" | "9" | "a" | "b"));
        assert!(imei::is_valid_imei(&a.imei));
        assert_eq!(a.chip(), "nRF9160");
        assert!(!format!("{a:?}").contains("SigningKey"));
    }

    #[test]
    fn explicit_identity_checks_imei() {
        let key = SigningKey::from_slice(&[5u8; 32]).unwrap();
        let uuid = Uuid::from_bytes([1; 16]);
        let err = ModemIdentity::new(uuid, "123", DEFAULT_MODEL, DEFAULT_FIRMWARE, uuid, key);
        assert!(matches!(err, Err(ModemError::InvalidIdentity { .. })));
    }
}
