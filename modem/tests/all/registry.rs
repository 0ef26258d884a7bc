//! The factory registry: round trip, merge by UUID, typed errors naming file and entry.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use provlab_modem::registry::{Registry, RegistryEntry, RegistryError};
use provlab_modem::{Modem, ModemConfig};
use provlab_proto::tokens::AttestationToken;

fn entry(seed: u64, model: &str) -> RegistryEntry {
    let m = Modem::new(ModemConfig::from_seed(seed).model(model)).unwrap();
    RegistryEntry::for_identity(m.identity())
}

#[test]
fn round_trip_through_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("registry.json");
    let mut registry = Registry::new();
    registry.upsert(entry(1, "nRF9160-SICA"));
    registry.upsert(entry(2, "nRF9161-LACA"));
    registry.save(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("-----BEGIN PUBLIC KEY-----"));
    assert!(text.contains("\"device_type\": 4"));
    let loaded = Registry::load(&path).unwrap();
    assert_eq!(loaded, registry);
    assert!(!dir.path().join("registry.json.tmp").exists());
}

#[test]
fn the_service_side_verifies_a_token_with_the_registry() {
    let mut m = Modem::new(ModemConfig::from_seed(8)).unwrap();
    let mut registry = Registry::new();
    registry.upsert(RegistryEntry::for_identity(m.identity()));
    let bytes = registry.to_json().unwrap();
    let registry = Registry::from_json(&bytes, Path::new("<memory>")).unwrap();
    let reply = m.execute(0, b"AT%ATTESTTOKEN");
    let text = &reply.answer.info[0];
    let token = text
        .strip_prefix("%ATTESTTOKEN: \"")
        .and_then(|t| t.strip_suffix('"'))
        .unwrap();
    let token = AttestationToken::decode(token).unwrap();
    let device = registry.find(&token.attestation().device_uuid).unwrap();
    token.verify(&device.identity_public_key).unwrap();
    assert_eq!(device.firmware_uuid, token.attestation().modem_fw_uuid);
}

#[test]
fn merge_replaces_by_uuid() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reg.json");
    let a = entry(1, "nRF9160-SICA");
    let b = entry(2, "nRF9160-SICA");
    let mut first = Registry::new();
    first.upsert(a.clone());
    first.upsert(b.clone());
    Registry::merge_into_file(&path, first).unwrap();

    let mut changed = a.clone();
    changed.firmware = "mfw_nrf9160_1.3.6".into();
    let c = entry(3, "nRF9151-LACA");
    let mut second = Registry::new();
    second.upsert(changed.clone());
    second.upsert(c.clone());
    let merged = Registry::merge_into_file(&path, second).unwrap();
    assert_eq!(merged.devices(), &[changed, b, c][..]);
    assert_eq!(Registry::load(&path).unwrap(), merged);
}

#[test]
fn bad_input_names_the_file_and_entry() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reg.json");
    let mut registry = Registry::new();
    registry.upsert(entry(1, "nRF9160-SICA"));
    registry.upsert(entry(2, "nRF9160-SICA"));
    let good = String::from_utf8(registry.to_json().unwrap()).unwrap();
    let second_imei = registry.devices()[1].imei.clone();
    let second_uuid = registry.devices()[1].device_uuid.to_string();
    let first_uuid = registry.devices()[0].device_uuid.to_string();

    let cases = [
        (good.replace(&second_imei, "123456789012345"), Some(1)),
        (
            good.replacen("\"device_type\": 3", "\"device_type\": 4", 1),
            Some(0),
        ),
        (good.replace(&second_uuid, &first_uuid), Some(1)),
        (good.replace(&second_uuid, "not-a-uuid"), Some(1)),
        (
            good.replacen("-----BEGIN PUBLIC KEY-----", "-----BEGIN JUNK-----", 1),
            Some(0),
        ),
        (good.replace("provlab-device-registry", "other"), None),
        (good.replace("\"version\": 1", "\"version\": 7"), None),
        (good[..good.len() / 2].to_owned(), None),
    ];
    for (text, index) in cases {
        std::fs::write(&path, text).unwrap();
        let err = Registry::load(&path).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("reg.json"), "{message}");
        match (index, &err) {
            (Some(i), RegistryError::Entry { index, .. }) => {
                assert_eq!(*index, i, "{message}");
                assert!(message.contains(&format!("device entry {i}")));
            }
            (None, RegistryError::Document { .. }) => {}
            _ => panic!("unexpected {err:?}"),
        }
    }
    let missing = Registry::load(&dir.path().join("absent.json")).unwrap_err();
    assert!(matches!(missing, RegistryError::Read { .. }));
    assert!(Registry::load_or_default(&dir.path().join("absent.json"))
        .unwrap()
        .devices()
        .is_empty());
}
