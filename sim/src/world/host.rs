//! The fake service as the world hosts it: the domain [`Service`], the owner's API key,
//! the lab CA the device endpoints present, and the factory registry filled from the
//! devices' identities so JWTs and claim tokens are really verified.

use provlab_server::domain::registry::FactoryRegistry;
use provlab_server::domain::{Role, Service, ServiceConfig, Timestamp};

use super::error::WorldError;
use super::seeds::{derive, WorldRng};
use crate::modem::ModemIdentity;

/// The hosted service.
#[derive(Debug, Clone)]
pub struct ServiceHost {
    /// The domain core.
    pub service: Service,
    /// The owner member's API key.
    pub owner_key: String,
    /// The lab root CA (PEM) the service's endpoints are signed with.
    pub lab_ca: String,
}

impl ServiceHost {
    /// A service seeded from `world_seed`, with an owner member `owner_name` and an empty
    /// factory registry.
    pub fn new(world_seed: u64, now: Timestamp, owner_name: &str) -> Result<Self, WorldError> {
        let mut config = ServiceConfig::new(derive(world_seed, "service", 0));
        config.verifier.registry = Some(FactoryRegistry::new());
        let mut service = Service::new(config);
        let owner_key = format!("provlab-owner-{:016x}", derive(world_seed, "owner-key", 0));
        service
            .setup_member(now, owner_name, Role::Owner, Some(&owner_key))
            .map_err(|e| WorldError::Service(e.to_string()))?;
        Ok(ServiceHost {
            service,
            owner_key,
            lab_ca: lab_ca_pem(world_seed),
        })
    }

    /// Adds a device identity to the factory registry.
    pub fn register(&mut self, identity: &ModemIdentity) {
        let verifier = self.service.verifier_mut();
        let registry = verifier.registry.get_or_insert_with(FactoryRegistry::new);
        registry.insert(identity.device_uuid, *identity.verifying_key());
    }
}

/// A stand-in lab root CA: PEM armour around 512 seeded bytes (the handshake is modelled,
/// so the content is compared, never parsed).
pub fn lab_ca_pem(world_seed: u64) -> String {
    let mut rng = WorldRng::new(world_seed, "lab-ca");
    let mut der = vec![0x30, 0x82, 0x01, 0xfc];
    der.extend((0..508).map(|_| (rng.below(256)) as u8));
    let b64 = standard_b64(&der);
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(chunk));
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    pem
}

/// Standard base64 with padding (PEM bodies).
pub fn standard_b64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                let index = ((n >> (18 - 6 * i)) & 0x3f) as usize;
                out.push(char::from(ALPHABET[index]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_and_ca() {
        assert_eq!(standard_b64(b"Man"), "TWFu");
        assert_eq!(standard_b64(b"Ma"), "TWE=");
        assert_eq!(standard_b64(b"M"), "TQ==");
        let ca = lab_ca_pem(1);
        assert!(ca.starts_with("-----BEGIN CERTIFICATE-----\n"));
        assert_eq!(ca, lab_ca_pem(1));
        assert_ne!(ca, lab_ca_pem(2));
    }
}
