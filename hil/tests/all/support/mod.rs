//! Shared fixtures of the HIL tests: the catalogue's files, attestation tokens of made-up
//! boards.

#![allow(dead_code, clippy::unwrap_used)]

use std::path::PathBuf;

use p256::ecdsa::SigningKey;
use provlab_proto::tokens::{Attestation, AttestationToken, DeviceType, Uuid};

/// The token of a made-up board whose identity key and UUID come from `name` (the service
/// has no registry, so it accepts the signature unverified, as for real boards of unknown
/// identity).
pub fn token_for(name: &str) -> String {
    let n = name
        .bytes()
        .fold(0u8, |a, b| a.wrapping_mul(31).wrapping_add(b));
    let mut seed = [0x33u8; 32];
    seed[0] = n.max(1);
    let key = SigningKey::from_slice(&seed).unwrap();
    let mut uuid = [0u8; 16];
    uuid[0] = 0xb0;
    uuid[6] = 0x40;
    uuid[8] = 0x80;
    uuid[15] = n;
    AttestationToken::sign(
        Attestation {
            device_uuid: Uuid::from_bytes(uuid),
            device_type: DeviceType::Nrf9160Sica,
            modem_fw_uuid: Uuid::from_bytes([0xf0; 16]),
            nonce: [1; 16],
        },
        &key,
    )
    .encode()
}
/// The catalogue's scenario files (`scenarios/*.toml`), sorted by name.
pub fn scenarios() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

pub mod field;
pub mod render;
