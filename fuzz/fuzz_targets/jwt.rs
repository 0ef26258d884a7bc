//! Fuzzes JWT decoding and verification (`proto::jwt::decode_unverified`, `verify`), what
//! the device endpoints run on every `p/auth-jwt` and HTTPS bearer token.
//!
//! Invariants: nothing panics; a framing or base64 error points inside the token; whatever
//! decodes, re-signed with a fixed key under the same header, decodes to the same header and
//! claims (the modem's JSON writer and the service's JSON reader agree on every string), and
//! verifies exactly when `alg` is ES256 and the time checks pass. The unmodified token never
//! verifies with a key it was not signed with.
#![no_main]

use libfuzzer_sys::fuzz_target;
use p256::ecdsa::SigningKey;
use provlab_proto::jwt::{self, JwtError, Validation, ES256};

fn key() -> SigningKey {
    SigningKey::from_slice(&[0x42; 32]).expect("a valid scalar")
}

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let key = key();
    let decoded = match jwt::decode_unverified(token) {
        Ok(decoded) => decoded,
        Err(JwtError::Malformed { offset, .. }) => {
            assert!(offset <= token.len(), "offset {offset} past the token");
            return;
        }
        Err(e) => panic!("decode_unverified returned a verification error: {e:?}"),
    };
    // A fuzzed token is not signed by our key (the seeds are signed by others).
    let now = decoded.claims.iat.unwrap_or(0);
    assert!(
        jwt::verify(token, key.verifying_key(), now).is_err() || token_is_ours(token),
        "a token not signed with the key verified"
    );

    // Re-sign what was decoded: the writer's JSON must read back the same.
    let resigned = jwt::sign_with_header(&decoded.header, &decoded.claims, &key);
    let again = jwt::decode_unverified(&resigned).expect("a token we signed decodes");
    assert_eq!(again.header, decoded.header);
    assert_eq!(again.claims, decoded.claims);
    let validation = Validation {
        now,
        leeway_s: 0,
        require_exp: false,
    };
    let verified = again.verify(key.verifying_key(), &validation);
    if decoded.header.alg == ES256 {
        assert_eq!(
            verified.map(|_| ()),
            validation.check(&decoded.claims),
            "a token we signed must verify unless its times are out"
        );
    } else {
        assert!(matches!(
            verified,
            Err(JwtError::UnsupportedAlgorithm { .. })
        ));
    }
});

/// Whether `token` is signed by the fuzz key (a mutation could only get there by re-signing).
fn token_is_ours(token: &str) -> bool {
    jwt::decode_unverified(token)
        .map(|d| jwt::sign_with_header(&d.header, &d.claims, &key()) == token)
        .unwrap_or(false)
}
