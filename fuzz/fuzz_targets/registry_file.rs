//! Fuzzes the factory registry file, read by the modem side (`modem::registry::Registry::
//! from_json`, `provlab modem --registry`) and by the service (`domain::registry::
//! FactoryRegistry::from_json`, `provlab serve --registry`).
//!
//! Invariants: nothing panics; a registry the modem side reads, written back, reads to the
//! same registry; what the modem side writes the service reads, with the same key for every
//! device; a registry the service reads has at most as many devices as the document lists.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use provlab_domain::registry::{FactoryRegistry, IdentityKeys as _};
use provlab_modem::registry::Registry;

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
        // Lossy: serde_json skips an ignored member's string without checking its UTF-8.
        let listed = serde_json::from_str::<serde_json::Value>(&String::from_utf8_lossy(data))
            .ok()
            .and_then(|v| v.get("devices")?.as_array().map(Vec::len))
            .unwrap_or(0);
        assert!(service.len() <= listed);
    }
});
