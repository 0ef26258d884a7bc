//! Modem token vectors, build/verify round trips, tampering and robustness of the decoders.
#![allow(clippy::unwrap_used)]

use p256::ecdsa::{SigningKey, VerifyingKey};
use proptest::prelude::*;
use provlab_proto::b64;
use provlab_proto::tokens::csr::{request_info_der, AttributeKind};
use provlab_proto::tokens::keygen::decode_cose_part;
use provlab_proto::tokens::{
    build_csr, Attestation, AttestationToken, CoseError, CoseSign1, Csr, CsrError, CsrParams,
    DeviceType, KeyId, KeyUsageBits, KeygenContent, KeygenOutput, KeygenPayload, KeygenRequest,
    Part, SignatureAlgorithmForm, Subject, TokenError, Uuid,
};
use sha2::{Digest as _, Sha256};

const VECTORS: &str = include_str!("../data/nrf_provisioning_cbor.json");

/// A real `AT%KEYGEN=17,2,0` answer, from the tests of nRF Cloud's modem_credentials_parser
/// (github.com/nRFCloud/utils, tests/test_modem_credentials_parser.py). Its COSE part is our
/// `keygen_cose_part` vector, and sha256 of its CSR is that vector's `csr_sha256`.
const REAL_KEYGEN_CSR: &str = "MIIBCjCBrwIBADAvMS0wKwYDVQQDDCQ1MDM2MzE1NC0zOTMxLTQ0ZjAtODAyMi0xMjFiNjQwMTYyN2QwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQqD6pNfa29o_EXnw62bnQWr8-JqsNh_HZxS3k3bMD4KZ8-qxnvgeoiqQ5zAycEP_Wcmzqypvwyf3qWMrZ2VB5aoB4wHAYJKoZIhvcNAQkOMQ8wDTALBgNVHQ8EBAMCA-gwDAYIKoZIzj0EAwIFAANIADBFAiEAv7OLZ_dXbszfhhjcLMUT72wTmw-z6GlgWxVhyWgR27ACIAvY_lPu3yfYZY5AL6uYTkUFp4GQkbSOUC_lsHyCxOuG.0oRDoQEmoQRBIVhL2dn3hQlQUDYxVDkxRPCAIhIbZAFifUERWCBwKj1W8FsvclMdZQgl4gBB4unZMYw0toU6uQZuXHLoDFAbhyLuHetYFWbiyxNZsnzSWEDUiTl7wwFt0hEsCiEQsxj-hCtpBk8Za8UXfdAycpx2faCOPJIrkfmiSS8-Y6_2tTAoAMN1BiWiTOimY1wZE3Ud";

fn vector(name: &str) -> serde_json::Value {
    let all: serde_json::Value = serde_json::from_str(VECTORS).unwrap();
    all["modem_tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == name)
        .unwrap()
        .clone()
}

fn key(seed: &str) -> SigningKey {
    SigningKey::from_slice(&Sha256::digest(seed.as_bytes())).unwrap()
}

fn identity() -> SigningKey {
    key("identity key of device 50363154")
}

fn uuid() -> Uuid {
    Uuid::parse("50363154-3931-44f0-8022-121b6401627d").unwrap()
}

fn sample_attestation() -> Attestation {
    Attestation {
        device_uuid: uuid(),
        device_type: DeviceType::Nrf9161Laca,
        modem_fw_uuid: Uuid::parse("1aff3acb-f1a6-4764-a263-4c2646c1c654").unwrap(),
        nonce: *b"0123456789abcdef",
    }
}

/// Flips one base64url character of `text` at `index` to another alphabet character.
fn flip_char(text: &str, index: usize) -> String {
    let mut bytes = text.as_bytes().to_vec();
    bytes[index] = if bytes[index] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).unwrap()
}

// ---- vectors ----------------------------------------------------------------------------

#[test]
fn attesttoken_vector_decodes_to_documented_values() {
    let v = vector("attesttoken");
    let text = v["value"].as_str().unwrap();
    let token = AttestationToken::decode(text).unwrap();
    let a = token.attestation();
    let d = &v["decoded"];
    assert_eq!(d["msg_type"], 1);
    assert_eq!(
        a.device_uuid.to_string(),
        d["device_uuid"].as_str().unwrap()
    );
    assert_eq!(a.device_type.code(), d["device_type"].as_i64().unwrap());
    assert_eq!(a.device_type, DeviceType::Nrf9160Sica);
    assert_eq!(a.device_type.name(), Some("nRF9160 SICA"));
    assert_eq!(
        a.modem_fw_uuid.to_string(),
        d["modem_fw_uuid"].as_str().unwrap()
    );
    assert_eq!(hex::encode(a.nonce), d["nonce_hex"].as_str().unwrap());
    assert_eq!(token.cose().kid, Some(KeyId::Identity));
    assert_eq!(token.cose().payload, None);

    // Re-encoding is byte-identical: the message from its fields, and the whole token.
    assert_eq!(a.to_cbor(), token.body());
    let (body_text, cose_text) = text.split_once('.').unwrap();
    assert_eq!(b64::encode(&a.to_cbor()), body_text);
    assert_eq!(b64::encode(&token.cose().to_bytes()), cose_text);
    assert_eq!(token.encode(), text);
    assert_eq!(token.to_string(), text);

    // Its signature cannot be checked (no key); with ours it must fail cleanly.
    assert_eq!(
        token.verify(identity().verifying_key()),
        Err(TokenError::BadSignature)
    );
}

#[test]
fn keygen_cose_vector_decodes_and_reencodes() {
    let v = vector("keygen_cose_part");
    let cose_hex = v["cose_hex"].as_str().unwrap();
    let bytes = hex::decode(cose_hex).unwrap();
    let (cose, payload) = decode_cose_part(&bytes).unwrap();
    let d = &v["decoded"];
    assert_eq!(payload.content, KeygenContent::Csr);
    assert_eq!(payload.content.message_type(), 9);
    assert_eq!(
        payload.device_uuid.to_string(),
        d["device_uuid"].as_str().unwrap()
    );
    assert_eq!(u64::from(payload.sec_tag), d["sec_tag"].as_u64().unwrap());
    assert_eq!(
        hex::encode(payload.digest),
        d["csr_sha256"].as_str().unwrap()
    );
    assert_eq!(cose.kid, Some(KeyId::Identity));
    assert_eq!(hex::encode(cose.to_bytes()), cose_hex);
    assert_eq!(cose.payload.as_deref(), Some(&payload.to_cbor()[..]));
    // The canonical layout the vector shows.
    assert!(cose_hex.starts_with("d28443a10126a1044121584bd9d9f785"));
}

#[test]
fn real_modem_keygen_output_parses_and_its_csr_verifies() {
    let out = KeygenOutput::decode(REAL_KEYGEN_CSR).unwrap();
    assert_eq!(out.encode(), REAL_KEYGEN_CSR);
    assert_eq!(out.content(), KeygenContent::Csr);
    assert_eq!(out.sec_tag(), 17);
    assert_eq!(out.payload().device_uuid, uuid());
    let v = vector("keygen_cose_part");
    assert_eq!(
        hex::encode(out.cose().to_bytes()),
        v["cose_hex"].as_str().unwrap()
    );

    let csr = out.csr().unwrap();
    csr.verify().unwrap();
    assert_eq!(
        csr.common_name(),
        Some("50363154-3931-44f0-8022-121b6401627d")
    );
    assert_eq!(csr.form(), SignatureAlgorithmForm::LegacyNull);
    assert_eq!(csr.key_usage(), Some(KeyUsageBits::MODEM_DEFAULT));
    assert_eq!(out.public_key().unwrap(), *csr.public_key());

    // Our builder produces the real modem's CertificationRequestInfo byte for byte.
    let ours = request_info_der(
        csr.public_key(),
        &Subject::for_device(&uuid(), None).unwrap(),
        KeyUsageBits::default(),
    )
    .unwrap();
    assert_eq!(ours, csr.info_der());
}

// ---- attestation round trips --------------------------------------------------------------

#[test]
fn attestation_sign_decode_verify() {
    let token = AttestationToken::sign(sample_attestation(), &identity());
    let text = token.encode();
    // Deterministic.
    assert_eq!(
        AttestationToken::sign(sample_attestation(), &identity()).encode(),
        text
    );
    let back = AttestationToken::decode(&text).unwrap();
    assert_eq!(back, token);
    assert_eq!(*back.attestation(), sample_attestation());
    back.verify(identity().verifying_key()).unwrap();
    assert_eq!(
        back.verify(key("someone else").verifying_key()),
        Err(TokenError::BadSignature)
    );
}

#[test]
fn attestation_tampering_is_detected() {
    let text = AttestationToken::sign(sample_attestation(), &identity()).encode();
    let dot = text.find('.').unwrap();
    let pk: VerifyingKey = *identity().verifying_key();

    // A changed nonce (last characters of part 1) still decodes, but fails verification.
    let tampered = flip_char(&text, dot - 3);
    let token = AttestationToken::decode(&tampered).unwrap();
    assert_eq!(token.verify(&pk), Err(TokenError::BadSignature));

    // A changed signature byte.
    let tampered = flip_char(&text, text.len() - 5);
    let token = AttestationToken::decode(&tampered).unwrap();
    assert_eq!(token.verify(&pk), Err(TokenError::BadSignature));
}

#[test]
fn attestation_decode_errors_point_at_the_problem() {
    let text = AttestationToken::sign(sample_attestation(), &identity()).encode();
    let dot = text.find('.').unwrap();
    assert!(matches!(
        AttestationToken::decode(&text[..dot]),
        Err(TokenError::Framing { .. })
    ));
    assert!(matches!(
        AttestationToken::decode(&format!("{text}.x")),
        Err(TokenError::Framing { offset, .. }) if offset == text.len()
    ));
    let mut bad = text.clone();
    bad.replace_range(dot + 3..dot + 4, "+");
    assert!(matches!(
        AttestationToken::decode(&bad),
        Err(TokenError::Base64 { part: Part::Cose, source }) if source.offset == dot + 3
    ));
    // Wrong message type in part 1 (element and offset named).
    let mut body = sample_attestation().to_cbor();
    body[4] = 0x07;
    let cose_text = &text[dot + 1..];
    let err = AttestationToken::decode(&format!("{}.{cose_text}", b64::encode(&body))).unwrap_err();
    match err {
        TokenError::Cbor { part, source } => {
            assert_eq!(part, Part::Body);
            assert_eq!(source.element, "msg_type");
            assert_eq!(source.offset, 4);
        }
        other => panic!("unexpected {other:?}"),
    }
    // A KEYGEN output is not an attestation token.
    let keygen = KeygenOutput::sign(
        KeygenContent::PublicKey,
        vec![1, 2, 3],
        1,
        uuid(),
        [0; 16],
        &identity(),
    );
    let mixed = format!(
        "{}.{}",
        b64::encode(&sample_attestation().to_cbor()),
        b64::encode(&keygen.cose().to_bytes())
    );
    assert!(matches!(
        AttestationToken::decode(&mixed),
        Err(TokenError::Payload(_))
    ));
}

// ---- keygen round trips --------------------------------------------------------------------

#[test]
fn keygen_csr_and_public_key_round_trips() {
    let new_key = key("client key at sec tag 16842753");
    for request in [
        KeygenRequest::csr(16842753),
        KeygenRequest::public_key(16842753),
    ] {
        let out = KeygenOutput::for_key(&new_key, &request, uuid(), [9; 16], &identity()).unwrap();
        let text = out.encode();
        let back = KeygenOutput::decode(&text).unwrap();
        assert_eq!(back, out);
        back.verify(identity().verifying_key()).unwrap();
        assert_eq!(back.content(), request.content);
        assert_eq!(back.sec_tag(), 16842753);
        assert_eq!(back.payload().device_uuid, uuid());
        assert_eq!(back.payload().nonce, [9; 16]);
        assert_eq!(back.public_key().unwrap(), *new_key.verifying_key());
        let expected_type = match request.content {
            KeygenContent::Csr => 9,
            KeygenContent::PublicKey => 8,
        };
        assert_eq!(back.content().message_type(), expected_type);
        match request.content {
            KeygenContent::Csr => {
                let csr = back.csr().unwrap();
                csr.verify().unwrap();
                assert_eq!(csr.common_name(), Some(uuid().to_string().as_str()));
            }
            KeygenContent::PublicKey => {
                assert!(matches!(back.csr(), Err(TokenError::Payload(_))));
            }
        }
    }
}

#[test]
fn keygen_tampering_is_detected() {
    let out = KeygenOutput::for_key(
        &key("k"),
        &KeygenRequest::csr(17),
        uuid(),
        [1; 16],
        &identity(),
    )
    .unwrap();
    let text = out.encode();
    let pk = *identity().verifying_key();

    // Part 1 changed: the digest no longer matches.
    let tampered = flip_char(&text, 40);
    assert!(matches!(
        KeygenOutput::decode(&tampered),
        Err(TokenError::DigestMismatch { .. })
    ));

    // Signature changed.
    let tampered = flip_char(&text, text.len() - 3);
    let back = KeygenOutput::decode(&tampered).unwrap();
    assert_eq!(back.verify(&pk), Err(TokenError::BadSignature));

    // COSE payload changed (the nonce; the digest still matches).
    let mut cose = out.cose().clone();
    let mut payload = KeygenPayload::from_cbor(cose.payload.as_deref().unwrap()).unwrap();
    payload.nonce[0] ^= 1;
    cose.payload = Some(payload.to_cbor());
    let forged = format!(
        "{}.{}",
        b64::encode(out.body()),
        b64::encode(&cose.to_bytes())
    );
    let back = KeygenOutput::decode(&forged).unwrap();
    assert_eq!(back.verify(&pk), Err(TokenError::BadSignature));

    // Wrong identity key.
    assert_eq!(
        out.verify(key("other").verifying_key()),
        Err(TokenError::BadSignature)
    );
}

#[test]
fn keygen_rejects_other_cose_algorithms_with_offset() {
    let out = KeygenOutput::sign(
        KeygenContent::Csr,
        vec![0x30, 0],
        1,
        uuid(),
        [0; 16],
        &identity(),
    );
    let mut cose = out.cose().to_bytes();
    cose[5] = 0x38; // alg -25
    let text = format!("{}.{}", b64::encode(out.body()), b64::encode(&cose));
    assert!(matches!(
        KeygenOutput::decode(&text),
        Err(TokenError::Cose(CoseError::UnsupportedAlgorithm {
            offset: 2,
            ..
        }))
    ));
}

// ---- CSRs ---------------------------------------------------------------------------------

/// ecdsa-with-SHA256 AlgorithmIdentifier followed by the signature BIT STRING's tag and the
/// first digit of its length (a DER P-256 signature is 70..=72 bytes: `03 46`..`03 48`):
/// with the NULL parameter `05 00` right after the OID, and without.
const ALG_LEGACY: &str = "300c06082a8648ce3d0403020500034";
const ALG_PLAIN: &str = "300a06082a8648ce3d040302034";

#[test]
fn csr_forms_parse_verify_and_carry_the_device_uuid() {
    let k = key("csr key");
    for (form, alg, other) in [
        (SignatureAlgorithmForm::LegacyNull, ALG_LEGACY, ALG_PLAIN),
        (SignatureAlgorithmForm::Plain, ALG_PLAIN, ALG_LEGACY),
    ] {
        let params = CsrParams {
            form,
            ..CsrParams::from_keygen_args(&uuid(), None, None).unwrap()
        };
        let der = build_csr(&k, &params).unwrap();
        let der_hex = hex::encode(&der);
        assert!(der_hex.contains(alg), "{form:?}: {der_hex}");
        assert!(!der_hex.contains(other), "{form:?}: {der_hex}");
        let csr = Csr::parse(&der).unwrap();
        csr.verify().unwrap();
        assert_eq!(csr.form(), form);
        assert_eq!(
            csr.common_name(),
            Some("50363154-3931-44f0-8022-121b6401627d")
        );
        assert_eq!(csr.public_key(), k.verifying_key());
        assert_eq!(csr.key_usage(), Some(KeyUsageBits::MODEM_DEFAULT));
    }
}

#[test]
fn csr_uses_the_attributes_cn_and_key_usage() {
    let params = CsrParams::from_keygen_args(
        &uuid(),
        Some("O=Nordic Semiconductor,L=Trondheim,C=no,CN=my-device"),
        Some("101000000"),
    )
    .unwrap();
    let der = build_csr(&key("k2"), &params).unwrap();
    let csr = Csr::parse(&der).unwrap();
    csr.verify().unwrap();
    assert_eq!(csr.common_name(), Some("my-device"));
    assert_eq!(csr.key_usage(), Some(KeyUsageBits::from_bits(0b101)));
    let kinds: Vec<_> = csr.subject().attributes.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        kinds,
        [
            AttributeKind::Organization,
            AttributeKind::Locality,
            AttributeKind::Country,
            AttributeKind::CommonName
        ]
    );
    assert!(matches!(
        CsrParams::from_keygen_args(&uuid(), Some("O=x;CN=y"), None),
        Err(CsrError::Attributes { offset: 0, .. })
    ));
    assert!(matches!(
        CsrParams::from_keygen_args(&uuid(), None, Some("12")),
        Err(CsrError::KeyUsage { offset: 1, .. })
    ));
}

#[test]
fn csr_with_a_foreign_signature_fails_verification() {
    let params = CsrParams::from_keygen_args(&uuid(), None, None).unwrap();
    let a = build_csr(&key("a"), &params).unwrap();
    let b = build_csr(&key("b"), &params).unwrap();
    // Swap in b's signature (same layout lengths are not guaranteed, so rebuild via x509 types).
    use der::{Decode as _, Encode as _};
    let mut req_a = x509_cert::request::CertReq::from_der(&a).unwrap();
    let req_b = x509_cert::request::CertReq::from_der(&b).unwrap();
    req_a.signature = req_b.signature;
    let forged = req_a.to_der().unwrap();
    assert_eq!(
        Csr::parse(&forged).unwrap().verify(),
        Err(CsrError::BadSignature)
    );
}

// ---- robustness ---------------------------------------------------------------------------

fn valid_texts() -> Vec<String> {
    vec![
        AttestationToken::sign(sample_attestation(), &identity()).encode(),
        KeygenOutput::for_key(
            &key("p"),
            &KeygenRequest::csr(5),
            uuid(),
            [2; 16],
            &identity(),
        )
        .unwrap()
        .encode(),
        REAL_KEYGEN_CSR.to_owned(),
    ]
}

proptest! {
    #[test]
    fn decoders_never_panic_on_arbitrary_text(text in ".{0,300}") {
        let _ = AttestationToken::decode(&text);
        let _ = KeygenOutput::decode(&text);
        let _ = Uuid::parse(&text);
        let _ = Subject::parse_attributes(&text);
        let _ = KeyUsageBits::parse(&text);
    }

    #[test]
    fn decoders_never_panic_on_arbitrary_bytes(a in proptest::collection::vec(any::<u8>(), 0..400),
                                               b in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = Attestation::from_cbor(&a);
        let _ = KeygenPayload::from_cbor(&a);
        let _ = CoseSign1::from_bytes(&a);
        let _ = decode_cose_part(&a);
        let _ = Csr::parse(&a).map(|c| c.verify());
        let text = format!("{}.{}", b64::encode(&a), b64::encode(&b));
        let _ = AttestationToken::decode(&text);
        let _ = KeygenOutput::decode(&text).map(|o| (o.csr().map(|c| c.verify()), o.public_key()));
    }

    #[test]
    fn decoders_never_panic_on_mutated_tokens(which in 0usize..3, edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6)) {
        let text = &valid_texts()[which];
        let (p1, p2) = text.split_once('.').unwrap();
        let mut parts = [b64::decode(p1).unwrap(), b64::decode(p2).unwrap()];
        for (i, (pos, byte)) in edits.into_iter().enumerate() {
            let part = &mut parts[i % 2];
            let len = part.len();
            part[pos % len] = byte;
        }
        let text = format!("{}.{}", b64::encode(&parts[0]), b64::encode(&parts[1]));
        let _ = AttestationToken::decode(&text).map(|t| t.verify(identity().verifying_key()));
        if let Ok(out) = KeygenOutput::decode(&text) {
            let _ = out.verify(identity().verifying_key());
            let _ = out.csr().map(|c| c.verify());
            let _ = out.public_key();
        }
        let _ = Csr::parse(&parts[0]).map(|c| c.verify());
    }

    #[test]
    fn attestation_round_trips(dev in any::<[u8; 16]>(), fw in any::<[u8; 16]>(),
                               nonce in any::<[u8; 16]>(), device_type in any::<i64>()) {
        let attestation = Attestation {
            device_uuid: Uuid::from_bytes(dev),
            device_type: DeviceType::from_code(device_type),
            modem_fw_uuid: Uuid::from_bytes(fw),
            nonce,
        };
        prop_assert_eq!(Attestation::from_cbor(&attestation.to_cbor()).unwrap(), attestation);
        let token = AttestationToken::sign(attestation, &identity());
        let back = AttestationToken::decode(&token.encode()).unwrap();
        prop_assert_eq!(back.attestation(), &attestation);
        prop_assert!(back.verify(identity().verifying_key()).is_ok());
    }

    #[test]
    fn keygen_round_trips(dev in any::<[u8; 16]>(), nonce in any::<[u8; 16]>(),
                          sec_tag in any::<u32>(), public_key in any::<bool>(),
                          body in proptest::collection::vec(any::<u8>(), 1..200)) {
        let content = if public_key { KeygenContent::PublicKey } else { KeygenContent::Csr };
        let out = KeygenOutput::sign(content, body.clone(), sec_tag, Uuid::from_bytes(dev), nonce, &identity());
        let back = KeygenOutput::decode(&out.encode()).unwrap();
        prop_assert_eq!(back.body(), &body[..]);
        prop_assert_eq!(back.sec_tag(), sec_tag);
        prop_assert_eq!(back.payload().device_uuid, Uuid::from_bytes(dev));
        prop_assert_eq!(back.payload().nonce, nonce);
        prop_assert_eq!(back.content(), content);
        prop_assert!(back.verify(identity().verifying_key()).is_ok());
    }

    #[test]
    fn uuid_text_round_trips(bytes in any::<[u8; 16]>()) {
        let uuid = Uuid::from_bytes(bytes);
        let text = uuid.to_string();
        prop_assert_eq!(text.len(), 36);
        prop_assert_eq!(text.to_ascii_lowercase(), text.clone());
        prop_assert_eq!(Uuid::parse(&text).unwrap(), uuid);
        prop_assert_eq!(Uuid::parse(&text.to_ascii_uppercase()).unwrap(), uuid);
    }
}
