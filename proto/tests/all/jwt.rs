//! ES256 modem JWTs: round trip, expiry, forgery, malformed input, a real modem token.
#![allow(clippy::unwrap_used)]

use p256::ecdsa::SigningKey;
use proptest::prelude::*;
use provlab_proto::b64;
use provlab_proto::jwt::{
    self, decode_unverified, key_id, sign_with_header, verify, verify_with, Claims, Header,
    JwtError, JwtPart, Validation, ES256,
};
use provlab_proto::tokens::Uuid;
use sha2::{Digest as _, Sha256};

/// A JWT answered by a real modem to `AT%JWT` with default parameters (no `exp_delta`, so no
/// `iat`/`exp`; `sub` given), quoted in the nRF Connect SDK's modem_jwt unit test
/// (github.com/nrfconnect/sdk-nrf, tests/lib/modem_jwt/src/main.c). Its key is unknown.
const REAL_MODEM_JWT: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiIsImtpZCI6ImU2YzM1Y2VhMWY1NDFhNGJlNDg1ZmY4ZGIyMWY1MWRmZTcyNDJlN2NhN2I5NDU2YzkwZjY5ODE1ZTc3ZWE2MWYifSAg.eyJpc3MiOiJuUkY5MTYwLjUwMzYzMTU0LTM5MzAtNGQ5Ni04MGY5LTEzMTIxY2YzNWFkYyIsImp0aSI6Im5SRjkxNjAuZjcyZDk3ODktMmU3My00NzgwLTkyNDgtYjM5NTJmODliODcyLjk0MmQ5OWI5MDNhY2EyYzNkZDY0OWI1ZDYxMjMyMmRjIiwic3ViIjoiNTAzNjMxNTQtMzkzMC00ZDk2LTgwZjktMTMxMjFjZjM1YWRjIn0g.tW2wG-sSE01jtrcT9JmFvPVIvEB99jUGGHIUCCH65fG5HtBrisOD1cl0L49cuyo2OE6XXvI9wdKSASxDQPJ8lw";

const NOW: u64 = 1_700_000_000;

fn key(seed: &str) -> SigningKey {
    SigningKey::from_slice(&Sha256::digest(seed.as_bytes())).unwrap()
}

fn device() -> Uuid {
    Uuid::parse("50363154-3931-44f0-8022-121b6401627d").unwrap()
}

fn fw() -> Uuid {
    Uuid::parse("1aff3acb-f1a6-4764-a263-4c2646c1c654").unwrap()
}

fn claims() -> Claims {
    Claims::modem("nRF9160", &device(), &fw(), &[0xab; 16]).with_lifetime(NOW, 300)
}

fn token() -> String {
    jwt::sign(&claims(), &key("identity"))
}

fn malformed_part(err: JwtError) -> (JwtPart, usize) {
    match err {
        JwtError::Malformed { part, offset, .. } => (part, offset),
        other => panic!("expected Malformed, got {other:?}"),
    }
}

#[test]
fn round_trip_with_the_modem_claim_shape() {
    let k = key("identity");
    let t = token();
    assert_eq!(t, jwt::sign(&claims(), &k), "deterministic");
    let got = verify(&t, k.verifying_key(), NOW + 10).unwrap();
    assert_eq!(got, claims());
    assert_eq!(
        got.iss.as_deref(),
        Some("nRF9160.50363154-3931-44f0-8022-121b6401627d")
    );
    assert_eq!(
        got.jti.as_deref(),
        Some("nRF9160.1aff3acb-f1a6-4764-a263-4c2646c1c654.abababababababababababababababab")
    );
    assert_eq!((got.iat, got.exp), (Some(NOW), Some(NOW + 300)));
    assert_eq!((got.sub.as_deref(), got.aud.as_deref()), (None, None));
    assert_eq!(got.device_uuid(), Some(device()));
    assert_eq!(got.modem_fw_uuid(), Some(fw()));
    assert_eq!(got.chip(), Some("nRF9160"));

    let unverified = decode_unverified(&t).unwrap();
    assert_eq!(
        unverified.header,
        Header {
            typ: Some("JWT".into()),
            alg: ES256.into(),
            kid: Some(key_id(k.verifying_key())),
        }
    );
    // Modem layout: no base64 padding anywhere, 64-byte signature.
    let parts: Vec<&str> = t.split('.').collect();
    assert_eq!(parts.len(), 3);
    assert!(!t.contains('='));
    assert_eq!(b64::decode(parts[2]).unwrap().len(), 64);
    let header_json = String::from_utf8(b64::decode(parts[0]).unwrap()).unwrap();
    assert!(header_json.starts_with("{\"typ\":\"JWT\",\"alg\":\"ES256\",\"kid\":\""));
    assert_eq!(header_json.len() % 3, 0);
}

#[test]
fn sub_and_aud_are_optional() {
    let k = key("identity");
    let c = claims()
        .with_subject("ClientAuth")
        .with_audience("urn:server");
    let got = verify(&jwt::sign(&c, &k), k.verifying_key(), NOW).unwrap();
    assert_eq!(got.sub.as_deref(), Some("ClientAuth"));
    assert_eq!(got.aud.as_deref(), Some("urn:server"));
    let c = c.with_subject("").with_audience("");
    let t = jwt::sign(&c, &k);
    let json = String::from_utf8(b64::decode(t.split('.').nth(1).unwrap()).unwrap()).unwrap();
    assert!(!json.contains("sub") && !json.contains("aud"), "{json}");
}

#[test]
fn expiry_and_time_checks() {
    let k = key("identity");
    let t = token();
    assert!(verify(&t, k.verifying_key(), NOW + 299).is_ok());
    assert_eq!(
        verify(&t, k.verifying_key(), NOW + 300),
        Err(JwtError::Expired {
            exp: NOW + 300,
            now: NOW + 300
        })
    );
    assert_eq!(
        verify(&t, k.verifying_key(), NOW - 1),
        Err(JwtError::NotYetValid {
            iat: NOW,
            now: NOW - 1
        })
    );
    let lenient = Validation {
        leeway_s: 30,
        ..Validation::at(NOW + 310)
    };
    assert!(verify_with(&t, k.verifying_key(), &lenient).is_ok());

    // No exp_delta: no iat/exp; rejected unless the verifier allows it.
    let open = jwt::sign(&claims().with_lifetime(NOW, 0), &k);
    assert_eq!(
        verify(&open, k.verifying_key(), NOW),
        Err(JwtError::MissingClaim { claim: "exp" })
    );
    let allow = Validation {
        require_exp: false,
        ..Validation::at(NOW)
    };
    assert!(verify_with(&open, k.verifying_key(), &allow).is_ok());
}

#[test]
fn forged_or_tampered_tokens_fail() {
    let k = key("identity");
    let t = token();
    // Signed by another key.
    assert_eq!(
        verify(
            &jwt::sign(&claims(), &key("attacker")),
            k.verifying_key(),
            NOW
        ),
        Err(JwtError::BadSignature)
    );
    // Claims swapped for others (a later exp), signature kept.
    let other = jwt::sign(&claims().with_lifetime(NOW, 360), &key("attacker"));
    let mut parts: Vec<&str> = t.split('.').collect();
    parts[1] = other.split('.').nth(1).unwrap();
    assert_eq!(
        verify(&parts.join("."), k.verifying_key(), NOW),
        Err(JwtError::BadSignature)
    );
    // Signature bits flipped.
    let mut sig = b64::decode(t.rsplit('.').next().unwrap()).unwrap();
    sig[10] ^= 0x40;
    let (head, _) = t.rsplit_once('.').unwrap();
    let flipped = format!("{head}.{}", b64::encode(&sig));
    assert_eq!(
        verify(&flipped, k.verifying_key(), NOW),
        Err(JwtError::BadSignature)
    );
    // Signature of the wrong length.
    let short = format!("{head}.{}", b64::encode(&sig[..63]));
    assert_eq!(
        malformed_part(verify(&short, k.verifying_key(), NOW).unwrap_err()),
        (JwtPart::Signature, head.len() + 1)
    );
}

#[test]
fn other_algorithms_are_rejected() {
    let k = key("identity");
    for alg in ["none", "HS256", "RS256", "es256"] {
        let header = Header {
            typ: Some("JWT".into()),
            alg: alg.into(),
            kid: None,
        };
        let t = sign_with_header(&header, &claims(), &k);
        assert_eq!(
            verify(&t, k.verifying_key(), NOW),
            Err(JwtError::UnsupportedAlgorithm { alg: alg.into() })
        );
    }
}

#[test]
fn malformed_tokens_give_typed_errors() {
    let k = key("identity");
    let t = token();
    let (h, rest) = t.split_once('.').unwrap();
    let (c, _s) = rest.split_once('.').unwrap();

    // Missing dots.
    assert_eq!(
        malformed_part(decode_unverified("abc").unwrap_err()),
        (JwtPart::Token, 3)
    );
    assert_eq!(
        malformed_part(decode_unverified(&format!("{h}.{c}")).unwrap_err()),
        (JwtPart::Token, h.len() + c.len() + 1)
    );
    // Too many dots.
    assert_eq!(
        malformed_part(decode_unverified(&format!("{t}.x")).unwrap_err()),
        (JwtPart::Token, t.len())
    );
    // Empty part.
    assert_eq!(
        malformed_part(decode_unverified(&format!("{h}..x")).unwrap_err()),
        (JwtPart::Claims, h.len() + 1)
    );
    // Bad base64 (standard alphabet, padding), offsets in the token text.
    let bad = format!("{h}.{}+{}", &c[..5], &c[6..]);
    let bad = format!("{bad}.{}", t.rsplit('.').next().unwrap());
    assert_eq!(
        malformed_part(verify(&bad, k.verifying_key(), NOW).unwrap_err()),
        (JwtPart::Claims, h.len() + 1 + 5)
    );
    assert_eq!(
        malformed_part(decode_unverified(&format!("{t}=")).unwrap_err()).0,
        JwtPart::Signature
    );
    // Bad JSON.
    let not_json = b64::encode(b"{\"alg\":");
    assert_eq!(
        malformed_part(decode_unverified(&format!("{not_json}.{c}.AAAA")).unwrap_err()),
        (JwtPart::Header, 0)
    );
    let wrong_type = b64::encode(b"{\"iss\":\"x\",\"exp\":\"soon\"}");
    assert_eq!(
        malformed_part(decode_unverified(&format!("{h}.{wrong_type}.AAAA")).unwrap_err()),
        (JwtPart::Claims, h.len() + 1)
    );
    let no_alg = b64::encode(b"{\"typ\":\"JWT\"}");
    assert_eq!(
        malformed_part(decode_unverified(&format!("{no_alg}.{c}.AAAA")).unwrap_err()),
        (JwtPart::Header, 0)
    );
}

#[test]
fn reads_a_real_modem_jwt() {
    let jwt = decode_unverified(REAL_MODEM_JWT).unwrap();
    assert_eq!(jwt.header.typ.as_deref(), Some("JWT"));
    assert_eq!(jwt.header.alg, ES256);
    assert_eq!(
        jwt.header.kid.as_deref(),
        Some("e6c35cea1f541a4be485ff8db21f51dfe7242e7ca7b9456c90f69815e77ea61f")
    );
    let c = &jwt.claims;
    assert_eq!(
        c.device_uuid(),
        Uuid::parse("50363154-3930-4d96-80f9-13121cf35adc").ok()
    );
    assert_eq!(
        c.modem_fw_uuid(),
        Uuid::parse("f72d9789-2e73-4780-9248-b3952f89b872").ok()
    );
    assert_eq!(c.chip(), Some("nRF9160"));
    assert_eq!((c.iat, c.exp), (None, None));
    assert_eq!(
        c.sub.as_deref(),
        Some("50363154-3930-4d96-80f9-13121cf35adc")
    );

    // Our encoder reproduces its header and claims parts exactly.
    let header = Header {
        kid: jwt.header.kid.clone(),
        ..Header::modem(key("x").verifying_key())
    };
    let ours = sign_with_header(&header, &jwt.claims, &key("x"));
    let (ours_head, _) = ours.rsplit_once('.').unwrap();
    let (real_head, _) = REAL_MODEM_JWT.rsplit_once('.').unwrap();
    assert_eq!(ours_head, real_head);

    // The key is unknown, so any key fails on the signature (checked before the claims).
    assert_eq!(
        verify(REAL_MODEM_JWT, key("x").verifying_key(), NOW),
        Err(JwtError::BadSignature)
    );
}

proptest! {
    #[test]
    fn decoder_never_panics(text in ".{0,400}") {
        let _ = decode_unverified(&text);
        let _ = verify(&text, key("identity").verifying_key(), NOW);
    }

    #[test]
    fn decoder_never_panics_on_dotted_base64(a in proptest::collection::vec(any::<u8>(), 0..120),
                                             b in proptest::collection::vec(any::<u8>(), 0..200),
                                             c in proptest::collection::vec(any::<u8>(), 0..80)) {
        let text = format!("{}.{}.{}", b64::encode(&a), b64::encode(&b), b64::encode(&c));
        let _ = verify(&text, key("identity").verifying_key(), NOW);
    }

    #[test]
    fn arbitrary_claims_round_trip(sub in ".{0,40}", aud in ".{0,40}", rnd in any::<[u8; 16]>(),
                                   dev in any::<[u8; 16]>(), iat in 0u64..4_000_000_000, delta in 1u64..100_000) {
        let k = key("identity");
        let c = Claims::modem("nRF9161", &Uuid::from_bytes(dev), &fw(), &rnd)
            .with_lifetime(iat, delta)
            .with_subject(&sub)
            .with_audience(&aud);
        let got = verify(&jwt::sign(&c, &k), k.verifying_key(), iat).unwrap();
        prop_assert_eq!(got.device_uuid(), Some(Uuid::from_bytes(dev)));
        prop_assert_eq!(got, c);
    }
}
