//! Fuzzes the modem's NVM image (`modem::nvm::image::decode`, read at every modem start
//! from `--nvm FILE`).
//!
//! The image carries a SHA-256 over its credential list, which a fuzzer cannot forge; so each
//! input is decoded as is and, when it is JSON with a `credentials` list of the image's
//! shape, a second time with the checksum set to what that list hashes to (computed here as
//! the image does; an image that decodes as is must carry the same checksum, which keeps
//! this copy honest).
//!
//! Invariants: nothing panics; a decoded store encodes to an image that decodes to the
//! same store.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provlab_modem::nvm::image::{decode, encode};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// The checksum the image format computes: SHA-256 of the compact JSON of the credential
/// list with members in the order `sec_tag`, `type`, `content_hex`.
fn checksum(credentials: &Value) -> Option<String> {
    let mut list = Vec::new();
    for entry in credentials.as_array()? {
        let sec_tag = u32::try_from(entry.get("sec_tag")?.as_u64()?).ok()?;
        let cred_type = u8::try_from(entry.get("type")?.as_u64()?).ok()?;
        let content_hex = entry.get("content_hex")?.as_str()?;
        list.push(format!(
            "{{\"sec_tag\":{sec_tag},\"type\":{cred_type},\"content_hex\":{}}}",
            serde_json::to_string(content_hex).ok()?
        ));
    }
    Some(hex::encode(Sha256::digest(format!("[{}]", list.join(",")))))
}

fn round_trip(bytes: &[u8]) -> bool {
    let Ok(store) = decode(bytes) else {
        return false;
    };
    let image = encode(&store).expect("a decoded store encodes");
    assert_eq!(decode(&image).as_ref(), Ok(&store));
    true
}

fuzz_target!(|data: &[u8]| {
    let decoded = round_trip(data);
    let Ok(mut value) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let Some(sum) = value.get("credentials").and_then(checksum) else {
        return;
    };
    if decoded {
        let stored = value
            .get("sha256")
            .and_then(Value::as_str)
            .unwrap_or_default();
        assert!(
            stored.eq_ignore_ascii_case(&sum),
            "checksum copy out of date"
        );
        return;
    }
    if let Some(object) = value.as_object_mut() {
        object.insert("sha256".into(), Value::String(sum));
        if let Ok(fixed) = serde_json::to_vec(&value) {
            round_trip(&fixed);
        }
    }
});
