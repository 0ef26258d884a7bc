//! Fuzzes the factory registry file, read by the modem side (`modem::registry::Registry::
//! from_json`, `provlab modem --registry`) and by the service (`domain::registry::
//! FactoryRegistry::from_json`, `provlab serve --registry`).
//!
//! Invariants: nothing panics; a registry the modem side reads, written back, reads to the
//! same registry; what the modem side writes the service reads, with the same key for every
//! device; a registry the service reads has as many devices as the document lists (each is
//! used or the document refused).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use provlab_domain::registry::{FactoryRegistry, IdentityKeys as _};
use provlab_modem::registry::Registry;
use serde::de::IgnoredAny;
use serde::Deserialize;

/// The document's device list, each entry skipped.
#[derive(Deserialize)]
struct Listed {
    devices: Vec<IgnoredAny>,
}

fuzz_target!(|data: &[u8]| {
    if let Ok(registry) = Registry::from_json(data, Path::new("fuzz.json")) {
        let written = registry.to_json().expect("a registry read is written");
        let again = Registry::from_json(&written, Path::new("written.json"))
            .expect("a registry written is read");
        assert_eq!(again, registry);
        let service = FactoryRegistry::from_json(&written).expect("the service reads it");
        assert_eq!(service.len(), registry.devices().len());
        for entry in registry.devices() {
            assert_eq!(
                service.identity_key(&entry.device_uuid),
                Some(entry.identity_public_key)
            );
        }
    }
    if let Ok(service) = FactoryRegistry::from_json(data) {
        // Counted the way the service skips what it does not use (serde_json does not check
        // an ignored string's UTF-8 or escapes, so a `Value` may not parse where it did).
        let listed: Listed = serde_json::from_slice(data).expect("a registry read is listed");
        assert_eq!(service.len(), listed.devices.len());
    }
});
