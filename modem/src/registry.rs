//! The factory registry: the identities of simulated devices, as the fake provisioning service
//! loads them to verify attestation tokens, `%KEYGEN` COSE signatures and identity JWTs.
//!
//! JSON document (identity public keys as PEM `SubjectPublicKeyInfo`, `-----BEGIN PUBLIC
//! KEY-----`, so that `openssl pkey -pubin` reads them too):
//!
//! ```json
//! {
//!   "format": "provlab-device-registry",
//!   "version": 1,
//!   "devices": [
//!     {
//!       "device_uuid": "50363154-3931-44f0-8022-121b6401627d",
//!       "imei": "352656100367872",
//!       "model": "nRF9160-SICA",
//!       "device_type": 3,
//!       "firmware": "mfw_nrf9160_1.3.5",
//!       "firmware_uuid": "…",
//!       "identity_public_key": "-----BEGIN PUBLIC KEY-----\n…\n-----END PUBLIC KEY-----\n"
//!     }
//!   ]
//! }
//! ```
//!
//! Device UUIDs are unique within a registry; [`Registry::merge`] replaces entries by UUID.
//! Errors name the file and, for a bad entry, its 0-based index in `devices`.

use std::path::{Path, PathBuf};

use p256::ecdsa::VerifyingKey;
use p256::pkcs8::{DecodePublicKey as _, EncodePublicKey as _, LineEnding};
use provlab_proto::tokens::{DeviceType, Uuid};
use serde::{Deserialize, Serialize};

use super::identity::{device_type_for_model, ModemIdentity};
use super::imei::is_valid_imei;
use super::nvm::{atomic_write, RealFs};

/// The `format` member of a registry document.
pub const FORMAT: &str = "provlab-device-registry";
/// The registry version this build reads and writes.
pub const VERSION: u32 = 1;

/// One simulated device's public identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryEntry {
    /// Device UUID (nRF Cloud device id).
    pub device_uuid: Uuid,
    /// 15-digit IMEI.
    pub imei: String,
    /// Model string.
    pub model: String,
    /// Attestation device type (from the model).
    pub device_type: DeviceType,
    /// Modem firmware version.
    pub firmware: String,
    /// Modem firmware UUID.
    pub firmware_uuid: Uuid,
    /// Identity public key.
    pub identity_public_key: VerifyingKey,
}

impl RegistryEntry {
    /// The entry for a modem identity.
    pub fn for_identity(identity: &ModemIdentity) -> Self {
        Self {
            device_uuid: identity.device_uuid,
            imei: identity.imei.clone(),
            model: identity.model.clone(),
            device_type: identity.device_type,
            firmware: identity.firmware.clone(),
            firmware_uuid: identity.firmware_uuid,
            identity_public_key: *identity.verifying_key(),
        }
    }
}

/// The JSON shape of an entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct EntryJson {
    device_uuid: String,
    imei: String,
    model: String,
    device_type: i64,
    firmware: String,
    firmware_uuid: String,
    identity_public_key: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct RegistryJson {
    format: String,
    version: u32,
    devices: Vec<EntryJson>,
}

/// Why a registry could not be loaded or saved.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The file could not be read.
    #[error("{}: cannot read device registry: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file could not be written.
    #[error("{}: cannot write device registry: {reason}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// What failed.
        reason: String,
    },
    /// The document is not a registry (bad JSON, format or version).
    #[error("{}: not a device registry: {reason}", path.display())]
    Document {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// One entry is invalid.
    #[error("{}: device entry {index} (0-based): {reason}", path.display())]
    Entry {
        /// The file.
        path: PathBuf,
        /// 0-based index in `devices`.
        index: usize,
        /// What is wrong.
        reason: String,
    },
}

/// A set of device identities, unique by device UUID, in insertion order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Registry {
    devices: Vec<RegistryEntry>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// The entries.
    pub fn devices(&self) -> &[RegistryEntry] {
        &self.devices
    }

    /// The entry with this device UUID.
    pub fn find(&self, device_uuid: &Uuid) -> Option<&RegistryEntry> {
        self.devices.iter().find(|d| d.device_uuid == *device_uuid)
    }

    /// Adds an entry, replacing one with the same device UUID (in place).
    pub fn upsert(&mut self, entry: RegistryEntry) {
        match self
            .devices
            .iter_mut()
            .find(|d| d.device_uuid == entry.device_uuid)
        {
            Some(slot) => *slot = entry,
            None => self.devices.push(entry),
        }
    }

    /// Merges `other` into this registry by device UUID: its entries replace ours.
    pub fn merge(&mut self, other: Registry) {
        for entry in other.devices {
            self.upsert(entry);
        }
    }

    /// Parses a registry document; `origin` names it in errors (a path, or e.g. `<stdin>`).
    pub fn from_json(bytes: &[u8], origin: &Path) -> Result<Self, RegistryError> {
        let doc_err = |reason: String| RegistryError::Document {
            path: origin.to_owned(),
            reason,
        };
        let doc: RegistryJson =
            serde_json::from_slice(bytes).map_err(|e| doc_err(e.to_string()))?;
        if doc.format != FORMAT {
            return Err(doc_err(format!(
                "format is {:?}, expected {FORMAT:?}",
                doc.format
            )));
        }
        if doc.version != VERSION {
            return Err(doc_err(format!(
                "version {} is not supported (this build reads {VERSION})",
                doc.version
            )));
        }
        let mut registry = Registry::new();
        for (index, json) in doc.devices.into_iter().enumerate() {
            let entry = parse_entry(json).map_err(|reason| RegistryError::Entry {
                path: origin.to_owned(),
                index,
                reason,
            })?;
            if registry.find(&entry.device_uuid).is_some() {
                return Err(RegistryError::Entry {
                    path: origin.to_owned(),
                    index,
                    reason: format!("duplicate device_uuid {}", entry.device_uuid),
                });
            }
            registry.devices.push(entry);
        }
        Ok(registry)
    }

    /// The registry as a pretty-printed JSON document.
    pub fn to_json(&self) -> Result<Vec<u8>, String> {
        let mut devices = Vec::with_capacity(self.devices.len());
        for (index, d) in self.devices.iter().enumerate() {
            let pem = d
                .identity_public_key
                .to_public_key_pem(LineEnding::LF)
                .map_err(|e| format!("device entry {index}: cannot encode the public key: {e}"))?;
            devices.push(EntryJson {
                device_uuid: d.device_uuid.to_string(),
                imei: d.imei.clone(),
                model: d.model.clone(),
                device_type: d.device_type.code(),
                firmware: d.firmware.clone(),
                firmware_uuid: d.firmware_uuid.to_string(),
                identity_public_key: pem,
            });
        }
        let doc = RegistryJson {
            format: FORMAT.to_owned(),
            version: VERSION,
            devices,
        };
        let mut out = serde_json::to_vec_pretty(&doc).map_err(|e| e.to_string())?;
        out.push(b'\n');
        Ok(out)
    }

    /// Loads a registry file.
    pub fn load(path: &Path) -> Result<Self, RegistryError> {
        let bytes = std::fs::read(path).map_err(|source| RegistryError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_json(&bytes, path)
    }

    /// Loads a registry file, or an empty registry when the file does not exist.
    pub fn load_or_default(path: &Path) -> Result<Self, RegistryError> {
        if path.exists() {
            Self::load(path)
        } else {
            Ok(Self::new())
        }
    }

    /// Saves the registry atomically (temp file, fsync, rename, fsync directory).
    pub fn save(&self, path: &Path) -> Result<(), RegistryError> {
        let write_err = |reason: String| RegistryError::Write {
            path: path.to_owned(),
            reason,
        };
        let bytes = self.to_json().map_err(write_err)?;
        atomic_write(&mut RealFs::new(), path, &bytes)
            .map_err(|(step, e)| write_err(format!("{step}: {e}")))
    }

    /// Loads `path` (empty if missing), merges `other` into it by device UUID and saves it.
    pub fn merge_into_file(path: &Path, other: Registry) -> Result<Self, RegistryError> {
        let mut registry = Self::load_or_default(path)?;
        registry.merge(other);
        registry.save(path)?;
        Ok(registry)
    }
}

fn parse_entry(json: EntryJson) -> Result<RegistryEntry, String> {
    let device_uuid = Uuid::parse(&json.device_uuid).map_err(|e| format!("device_uuid: {e}"))?;
    let firmware_uuid =
        Uuid::parse(&json.firmware_uuid).map_err(|e| format!("firmware_uuid: {e}"))?;
    if !is_valid_imei(&json.imei) {
        return Err(format!(
            "imei {:?} is not 15 digits with a valid Luhn check digit",
            json.imei
        ));
    }
    let model_type = device_type_for_model(&json.model).map_err(|e| format!("model: {e}"))?;
    if model_type.code() != json.device_type {
        return Err(format!(
            "device_type {} does not match model {:?} (expected {})",
            json.device_type,
            json.model,
            model_type.code()
        ));
    }
    let identity_public_key = VerifyingKey::from_public_key_pem(json.identity_public_key.trim())
        .map_err(|e| format!("identity_public_key is not a P-256 public key PEM: {e}"))?;
    Ok(RegistryEntry {
        device_uuid,
        imei: json.imei,
        model: json.model,
        device_type: model_type,
        firmware: json.firmware,
        firmware_uuid,
        identity_public_key,
    })
}
