//! The simulated factory's registry of device identity public keys, and how a device's
//! signature was (or was not) checked.
//!
//! The service verifies attestation tokens and device JWTs with the identity key the factory
//! recorded for the device UUID. Any source of such keys implements [`IdentityKeys`]; the
//! in-memory [`FactoryRegistry`] is filled from modem identities directly or read from the
//! simulated factory's registry document ([`FactoryRegistry::from_json`], the
//! `provlab-device-registry` format version 1 that `provlab-sim` writes: only `device_uuid`
//! and the PEM `identity_public_key` of each entry are used here, the factory's other fields
//! are accepted, and any unknown field or a device listed twice is an error; the domain reads no files,
//! the caller passes the bytes). Whether a registry is configured at all, and which devices
//! are exempt, is [`Verifier`] policy.

use std::collections::{BTreeMap, BTreeSet};

use p256::ecdsa::VerifyingKey;
use p256::pkcs8::DecodePublicKey as _;
use provlab_proto::tokens::{Uuid, UuidError};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

/// The `format` member of the simulated factory's registry document.
pub const REGISTRY_FORMAT: &str = "provlab-device-registry";
/// The registry document version read here.
pub const REGISTRY_VERSION: u32 = 1;

/// The registry document: exactly the members `provlab-sim` writes (anything else is an
/// error, so a misspelt field is not silently ignored).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistryDocument {
    format: String,
    version: u32,
    devices: Vec<RegistryDocumentEntry>,
}

/// One device of the document: the service uses `device_uuid` and `identity_public_key`;
/// the factory's other fields are accepted (and not read), any other is an error.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistryDocumentEntry {
    device_uuid: String,
    identity_public_key: String,
    #[serde(default, rename = "imei")]
    _imei: Option<IgnoredAny>,
    #[serde(default, rename = "model")]
    _model: Option<IgnoredAny>,
    #[serde(default, rename = "device_type")]
    _device_type: Option<IgnoredAny>,
    #[serde(default, rename = "firmware")]
    _firmware: Option<IgnoredAny>,
    #[serde(default, rename = "firmware_uuid")]
    _firmware_uuid: Option<IgnoredAny>,
}

/// Why a registry document or key could not be read; each names what it could not use.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The bytes are not a registry document's JSON.
    #[error("not a device registry: {0}")]
    NotARegistry(#[source] serde_json::Error),
    /// The document is of another format.
    #[error("format is {found:?}, expected {REGISTRY_FORMAT:?}")]
    Format {
        /// The document's `format`.
        found: String,
    },
    /// The document is of another version.
    #[error("version {found} is not supported (expected {REGISTRY_VERSION})")]
    Version {
        /// The document's `version`.
        found: u32,
    },
    /// An entry's `device_uuid` is not a UUID.
    #[error("device entry {index}: device_uuid: {source}")]
    DeviceUuid {
        /// The entry (0-based index in `devices`).
        index: usize,
        /// Why.
        #[source]
        source: UuidError,
    },
    /// An entry's `identity_public_key` is not a P-256 PEM public key.
    #[error("device entry {index}: identity_public_key is not a P-256 PEM public key: {source}")]
    PublicKey {
        /// The entry (0-based index in `devices`).
        index: usize,
        /// The decoder's error.
        #[source]
        source: p256::pkcs8::spki::Error,
    },
    /// Two entries have the same device UUID (which key would be the device's?).
    #[error("device entry {index}: device_uuid {uuid} is already entry {first}")]
    Duplicate {
        /// The entry (0-based index in `devices`).
        index: usize,
        /// The earlier entry with the same UUID.
        first: usize,
        /// The UUID.
        uuid: String,
    },
    /// A hex key is not hex.
    #[error("not hex: {0}")]
    NotHex(#[source] hex::FromHexError),
    /// A hex key is not a P-256 SEC1 point.
    #[error("not a P-256 SEC1 point")]
    NotAPoint,
}

/// A source of device identity public keys, by device UUID.
pub trait IdentityKeys {
    /// The identity public key of `device`, if the factory made it.
    fn identity_key(&self, device: &Uuid) -> Option<VerifyingKey>;
}

/// An in-memory registry of identity public keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FactoryRegistry {
    keys: BTreeMap<Uuid, VerifyingKey>,
}

impl FactoryRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records (or replaces) the identity key of `device`.
    pub fn insert(&mut self, device: Uuid, key: VerifyingKey) {
        self.keys.insert(device, key);
    }

    /// Builds a registry from `(device, key)` pairs.
    pub fn from_entries(entries: impl IntoIterator<Item = (Uuid, VerifyingKey)>) -> Self {
        Self {
            keys: entries.into_iter().collect(),
        }
    }

    /// Parses a key given as hex SEC1 (compressed or uncompressed point), the textual form a
    /// registry file can carry.
    pub fn parse_key_hex(text: &str) -> Result<VerifyingKey, RegistryError> {
        let bytes = hex::decode(text.trim()).map_err(RegistryError::NotHex)?;
        VerifyingKey::from_sec1_bytes(&bytes).map_err(|_| RegistryError::NotAPoint)
    }

    /// Reads the simulated factory's registry document (JSON bytes). Errors name the entry
    /// (0-based index in `devices`) and the problem.
    pub fn from_json(bytes: &[u8]) -> Result<Self, RegistryError> {
        let doc: RegistryDocument =
            serde_json::from_slice(bytes).map_err(RegistryError::NotARegistry)?;
        if doc.format != REGISTRY_FORMAT {
            return Err(RegistryError::Format { found: doc.format });
        }
        if doc.version != REGISTRY_VERSION {
            return Err(RegistryError::Version { found: doc.version });
        }
        let mut registry = Self::new();
        let mut first_entry: BTreeMap<Uuid, usize> = BTreeMap::new();
        for (index, entry) in doc.devices.iter().enumerate() {
            let uuid = Uuid::parse(&entry.device_uuid)
                .map_err(|source| RegistryError::DeviceUuid { index, source })?;
            if let Some(&first) = first_entry.get(&uuid) {
                return Err(RegistryError::Duplicate {
                    index,
                    first,
                    uuid: entry.device_uuid.clone(),
                });
            }
            first_entry.insert(uuid, index);
            let key = VerifyingKey::from_public_key_pem(&entry.identity_public_key)
                .map_err(|source| RegistryError::PublicKey { index, source })?;
            registry.insert(uuid, key);
        }
        Ok(registry)
    }

    /// Number of devices known.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no device is known.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

impl IdentityKeys for FactoryRegistry {
    fn identity_key(&self, device: &Uuid) -> Option<VerifyingKey> {
        self.keys.get(device).copied()
    }
}

/// How a device's signature (claim token or JWT) was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Verification {
    /// The signature verified with the registry's identity key.
    Verified,
    /// Accepted without checking the signature because no registry is configured. Worth a
    /// log line every time.
    UnverifiedNoRegistry,
    /// Accepted without checking the signature because the rack configuration marks the
    /// device `jwt = "unverified"` (a real board whose identity key is unknown). Worth a log
    /// line every time.
    UnverifiedExempt,
}

impl Verification {
    /// Whether the signature was actually checked.
    pub fn is_verified(self) -> bool {
        self == Verification::Verified
    }
}

/// The verification policy: the registry (if any) and the devices exempt from it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verifier {
    /// The factory registry; `None` accepts every signature unverified.
    pub registry: Option<FactoryRegistry>,
    /// Devices whose signatures are never checked (`jwt = "unverified"` in the rack config).
    pub exempt: BTreeSet<Uuid>,
}

/// What the policy says about one device's signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyDecision {
    /// Check the signature with this key.
    Check(VerifyingKey),
    /// Accept without checking, for this reason.
    Skip(Verification),
    /// A registry is configured but does not know the device: reject.
    UnknownDevice,
}

impl Verifier {
    /// How to treat a signature by `device`.
    pub fn decide(&self, device: &Uuid) -> KeyDecision {
        if self.exempt.contains(device) {
            return KeyDecision::Skip(Verification::UnverifiedExempt);
        }
        match &self.registry {
            None => KeyDecision::Skip(Verification::UnverifiedNoRegistry),
            Some(registry) => match registry.identity_key(device) {
                Some(key) => KeyDecision::Check(key),
                None => KeyDecision::UnknownDevice,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::SigningKey;

    #[test]
    fn policy() {
        let key = *SigningKey::from_slice(&[9u8; 32]).unwrap().verifying_key();
        let known = Uuid::from_bytes([1; 16]);
        let other = Uuid::from_bytes([2; 16]);
        let mut v = Verifier::default();
        assert_eq!(
            v.decide(&known),
            KeyDecision::Skip(Verification::UnverifiedNoRegistry)
        );
        v.registry = Some(FactoryRegistry::from_entries([(known, key)]));
        assert_eq!(v.decide(&known), KeyDecision::Check(key));
        assert_eq!(v.decide(&other), KeyDecision::UnknownDevice);
        v.exempt.insert(other);
        assert_eq!(
            v.decide(&other),
            KeyDecision::Skip(Verification::UnverifiedExempt)
        );
        let hex_key = hex::encode(key.to_encoded_point(true).as_bytes());
        assert_eq!(FactoryRegistry::parse_key_hex(&hex_key).unwrap(), key);
        assert!(FactoryRegistry::parse_key_hex("zz").is_err());
        assert!(FactoryRegistry::parse_key_hex("0102").is_err());
    }

    #[test]
    fn reads_the_simulated_factory_registry_document() {
        use p256::pkcs8::{EncodePublicKey as _, LineEnding};
        let key = *SigningKey::from_slice(&[9u8; 32]).unwrap().verifying_key();
        let pem = key.to_public_key_pem(LineEnding::LF).unwrap();
        let doc = serde_json::json!({
            "format": "provlab-device-registry",
            "version": 1,
            "devices": [{
                "device_uuid": "50363154-3931-44f0-8022-121b6401627d",
                "imei": "352656100367872",
                "model": "nRF9160-SICA",
                "device_type": 3,
                "firmware": "mfw_nrf9160_1.3.5",
                "firmware_uuid": "1aff3acb-f1a6-4764-a263-4c2646c1c654",
                "identity_public_key": pem,
            }]
        });
        let registry = FactoryRegistry::from_json(doc.to_string().as_bytes()).unwrap();
        let uuid = Uuid::parse("50363154-3931-44f0-8022-121b6401627d").unwrap();
        assert_eq!(registry.identity_key(&uuid), Some(key));
        assert_eq!(registry.len(), 1);
        let mut bad = doc.clone();
        bad["version"] = 2.into();
        assert!(matches!(
            FactoryRegistry::from_json(bad.to_string().as_bytes()),
            Err(RegistryError::Version { found: 2 })
        ));
        let mut bad = doc.clone();
        bad["devices"][0]["identity_public_key"] = "nope".into();
        let e = FactoryRegistry::from_json(bad.to_string().as_bytes()).unwrap_err();
        assert!(
            matches!(e, RegistryError::PublicKey { index: 0, .. }),
            "{e}"
        );
        assert!(e.to_string().contains("entry 0"), "{e}");
        assert!(FactoryRegistry::from_json(b"[]").is_err());
        // The same device twice: which key would be its own? Refused, naming both entries.
        let mut twice = doc.clone();
        let entry = twice["devices"][0].clone();
        twice["devices"].as_array_mut().unwrap().push(entry);
        let e = FactoryRegistry::from_json(twice.to_string().as_bytes()).unwrap_err();
        assert!(
            matches!(
                e,
                RegistryError::Duplicate {
                    index: 1,
                    first: 0,
                    ..
                }
            ),
            "{e}"
        );
    }

    /// Issue 15, item 10: a misspelt or foreign field is an error, not silently ignored; the
    /// fields the simulation writes that the service does not use are accepted.
    #[test]
    fn refuses_unknown_fields_and_duplicate_devices() {
        use p256::pkcs8::{EncodePublicKey as _, LineEnding};
        let key = *SigningKey::from_slice(&[9u8; 32]).unwrap().verifying_key();
        let pem = key.to_public_key_pem(LineEnding::LF).unwrap();
        let entry = serde_json::json!({
            "device_uuid": "50363154-3931-44f0-8022-121b6401627d",
            "imei": "352656100367872",
            "model": "nRF9160-SICA",
            "device_type": 3,
            "firmware": "mfw_nrf9160_1.3.5",
            "firmware_uuid": "1aff3acb-f1a6-4764-a263-4c2646c1c654",
            "identity_public_key": pem,
        });
        let doc = serde_json::json!({
            "format": "provlab-device-registry",
            "version": 1,
            "devices": [entry],
        });
        assert!(FactoryRegistry::from_json(doc.to_string().as_bytes()).is_ok());
        let mut bad = doc.clone();
        bad["devices"][0]["identity_public_keys"] = pem.clone().into();
        let err = FactoryRegistry::from_json(bad.to_string().as_bytes())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unknown field `identity_public_keys`"),
            "{err}"
        );
        let mut bad = doc.clone();
        bad["exempt"] = serde_json::json!([]);
        let err = FactoryRegistry::from_json(bad.to_string().as_bytes())
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `exempt`"), "{err}");
        let mut bad = doc.clone();
        bad["devices"] = serde_json::json!([entry.clone(), entry]);
        let err = FactoryRegistry::from_json(bad.to_string().as_bytes()).unwrap_err();
        assert!(
            matches!(
                err,
                RegistryError::Duplicate {
                    index: 1,
                    first: 0,
                    ..
                }
            ),
            "{err}"
        );
    }
}
