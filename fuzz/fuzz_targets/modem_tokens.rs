//! Fuzzes the modem token decoders a service runs on device input: the `%ATTESTTOKEN`
//! claim token, the `%KEYGEN` output (text and its COSE part), the COSE_Sign1 message and
//! the CBOR messages inside them (`proto::tokens::{attestation, keygen, cose}`), and
//! base64url.
//!
//! Invariants: nothing panics; error offsets point inside the input; whatever decodes
//! re-encodes to text or bytes that decode to the same value; a decoded attestation or
//! `%KEYGEN` payload signed again with a fixed key verifies with that key and with no other.
//! The bytes go through every decoder (text ones when they are UTF-8).
#![no_main]

use libfuzzer_sys::fuzz_target;
use p256::ecdsa::SigningKey;
use provlab_proto::b64;
use provlab_proto::tokens::keygen::decode_cose_part;
use provlab_proto::tokens::{
    Attestation, AttestationToken, CoseSign1, KeygenOutput, KeygenPayload, TokenError,
};

fn keys() -> (SigningKey, SigningKey) {
    (
        SigningKey::from_slice(&[0x42; 32]).expect("a valid scalar"),
        SigningKey::from_slice(&[0x43; 32]).expect("a valid scalar"),
    )
}

fn check_token_error(e: &TokenError, len: usize) {
    match e {
        TokenError::Framing { offset, .. } => assert!(*offset <= len),
        TokenError::Base64 { source, .. } => assert!(source.offset <= len),
        _ => {}
    }
}

fn bytes(data: &[u8]) {
    if let Ok(cose) = CoseSign1::from_bytes(data) {
        let bytes = cose.to_bytes();
        assert_eq!(CoseSign1::from_bytes(&bytes).as_ref(), Ok(&cose));
    }
    match Attestation::from_cbor(data) {
        Ok(attestation) => {
            assert_eq!(
                Attestation::from_cbor(&attestation.to_cbor()),
                Ok(attestation)
            );
            let (key, other) = keys();
            let token = AttestationToken::sign(attestation, &key);
            let decoded = AttestationToken::decode(&token.encode()).expect("our token decodes");
            assert_eq!(decoded, token);
            assert!(decoded.verify(key.verifying_key()).is_ok());
            assert!(decoded.verify(other.verifying_key()).is_err());
        }
        Err(e) => assert!(e.offset <= data.len(), "{e:?}"),
    }
    match KeygenPayload::from_cbor(data) {
        Ok(payload) => {
            assert_eq!(KeygenPayload::from_cbor(&payload.to_cbor()), Ok(payload));
        }
        Err(e) => assert!(e.offset <= data.len(), "{e:?}"),
    }
    if let Ok((cose, payload)) = decode_cose_part(data) {
        assert_eq!(
            decode_cose_part(&cose.to_bytes()),
            Ok((cose.clone(), payload))
        );
        // Signed again over the same part 1 shape: verifies with our key only.
        let (key, other) = keys();
        let body = data.to_vec();
        let out = KeygenOutput::sign(
            payload.content,
            body,
            payload.sec_tag,
            payload.device_uuid,
            payload.nonce,
            &key,
        );
        let decoded = KeygenOutput::decode(&out.encode()).expect("our output decodes");
        assert_eq!(decoded.sec_tag(), payload.sec_tag);
        assert!(decoded.verify(key.verifying_key()).is_ok());
        assert!(decoded.verify(other.verifying_key()).is_err());
    }
}

fn text(text: &str) {
    if let Ok(decoded) = b64::decode(text) {
        // Canonical base64url: what decodes encodes back to the same text.
        assert_eq!(b64::encode(&decoded), text);
    }
    match AttestationToken::decode(text) {
        Ok(token) => {
            let again = AttestationToken::decode(&token.encode()).expect("re-encoded decodes");
            assert_eq!(again, token);
            let (key, _) = keys();
            let _ = token.verify(key.verifying_key());
        }
        Err(e) => check_token_error(&e, text.len()),
    }
    match KeygenOutput::decode(text) {
        Ok(out) => {
            let again = KeygenOutput::decode(&out.encode()).expect("re-encoded decodes");
            assert_eq!(again, out);
            let _ = out.csr();
            let _ = out.public_key();
            let (key, _) = keys();
            let _ = out.verify(key.verifying_key());
        }
        Err(e) => check_token_error(&e, text.len()),
    }
}

fuzz_target!(|data: &[u8]| {
    bytes(data);
    if let Ok(t) = std::str::from_utf8(data) {
        text(t);
    }
});
