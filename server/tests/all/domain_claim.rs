//! Claiming with and without a factory registry, dry runs, bulk CSV, and device JWT
//! authentication.

#![allow(clippy::unwrap_used)]

use crate::common;

use common::{Dev, World, EDITOR, OWNER, T0};
use p256::ecdsa::SigningKey;
use provlab_server::domain::registry::Verification;
use provlab_server::domain::{Error, Timestamp};

fn t() -> Timestamp {
    Timestamp::from_millis(T0 + 10_000)
}

#[test]
fn claim_without_registry_is_unverified_and_reported() {
    let mut w = World::new();
    let dev = Dev::new(1);
    let out = w
        .svc
        .claim(t(), Some(EDITOR), &dev.token(), &["lab".into()])
        .unwrap();
    assert_eq!(out.value.device, dev.id());
    assert_eq!(out.value.verification, Verification::UnverifiedNoRegistry);
    assert_eq!(out.events.len(), 1);
    let device = w.svc.get_device(Some(EDITOR), dev.id()).unwrap();
    assert_eq!(device.claimed_by.as_str(), "eddie");
    assert_eq!(device.device_type, 3);
    assert!(device.tags.contains("lab"));
    // Even a token signed by the wrong key is accepted without a registry.
    let other = Dev::new(2);
    let forged = other.token_signed_by(&SigningKey::from_slice(&[5; 32]).unwrap());
    assert!(w.svc.claim(t(), Some(EDITOR), &forged, &[]).is_ok());
}

#[test]
fn claim_with_registry_verifies_the_signature() {
    let mut w = World::with_registry(3);
    let dev = Dev::new(1);
    let out = w.svc.claim(t(), Some(OWNER), &dev.token(), &[]).unwrap();
    assert_eq!(out.value.verification, Verification::Verified);
    // Wrong key: 400 naming claimToken.
    let dev2 = Dev::new(2);
    let forged = dev2.token_signed_by(&SigningKey::from_slice(&[5; 32]).unwrap());
    match w.svc.claim(t(), Some(OWNER), &forged, &[]).unwrap_err() {
        Error::Invalid { field, reason } => {
            assert_eq!(field, "claimToken");
            assert!(reason.contains("does not verify"), "{reason}");
        }
        other => panic!("{other}"),
    }
    // Unknown to the registry.
    let stranger = Dev::new(9);
    let err = w
        .svc
        .claim(t(), Some(OWNER), &stranger.token(), &[])
        .unwrap_err();
    assert!(
        err.to_string().contains("not in the factory registry"),
        "{err}"
    );
    // ...unless the rack marks it unverified.
    w.svc.verifier_mut().exempt.insert(stranger.uuid);
    let out = w
        .svc
        .claim(t(), Some(OWNER), &stranger.token(), &[])
        .unwrap();
    assert_eq!(out.value.verification, Verification::UnverifiedExempt);
}

#[test]
fn already_claimed_is_409_and_garbage_is_400() {
    let mut w = World::new();
    let dev = Dev::new(1);
    w.claim(OWNER, &dev, &[]);
    let err = w
        .svc
        .claim(t(), Some(EDITOR), &dev.token(), &[])
        .unwrap_err();
    assert_eq!(err.http_status(), 409);
    for bad in ["", "abc", "a.b.c", "2dn3hQFQ.0oRDoQEm"] {
        let err = w.svc.claim(t(), Some(EDITOR), bad, &[]).unwrap_err();
        assert!(
            matches!(&err, Error::Invalid { field, .. } if field == "claimToken"),
            "{bad}: {err}"
        );
    }
    let err = w
        .svc
        .claim(
            t(),
            Some(EDITOR),
            &Dev::new(2).token(),
            &["no spaces".into()],
        )
        .unwrap_err();
    assert!(
        matches!(&err, Error::Invalid { field, .. } if field == "tags"),
        "{err}"
    );
}

#[test]
fn the_real_modem_vector_decodes_to_its_uuid() {
    // The attestation token from nRF Cloud's utilities tests: no registry, so it is claimable.
    let token = "2dn3hQFQUDYxVDkxRPCAIhIbZAFifQNQGv86y_GmR2SiY0wmRsHGVFDT791_BPH8YOWFiyCHND1q.0oRDoQEmoQRBIfZYQGuXwJliinHc6xDPruiyjsaXyXZbZVpUuOhHG9YS8L05VuglCcJhMN4EUhWVGpaHgNnHHno6ahi-d5tOeZmAcNY";
    let w = World::new();
    let check = w.svc.claim_dry_run(Some(EDITOR), token, &[]).unwrap();
    assert_eq!(
        check.device.to_string(),
        "50363154-3931-44f0-8022-121b6401627d"
    );
}

#[test]
fn dry_run_changes_nothing() {
    let mut w = World::new();
    let dev = Dev::new(1);
    let before = w.svc.state().clone();
    let check = w
        .svc
        .claim_dry_run(Some(EDITOR), &dev.token(), &[])
        .unwrap();
    assert_eq!(check.device, dev.id());
    assert_eq!(w.svc.state(), &before);
    w.claim(OWNER, &dev, &[]);
    assert_eq!(
        w.svc
            .claim_dry_run(Some(EDITOR), &dev.token(), &[])
            .unwrap_err()
            .http_status(),
        409
    );
}

#[test]
fn bulk_claim_reports_claimed_and_failed_rows() {
    let mut w = World::with_registry(4);
    let (a, b, c) = (Dev::new(1), Dev::new(2), Dev::new(3));
    w.claim(OWNER, &c, &[]);
    let forged = Dev::new(0).token_signed_by(&SigningKey::from_slice(&[5; 32]).unwrap());
    let csv = format!(
        "\"{}\",\"lab,ci\"\n\"{}\"\n\"{}\"\n\"{}\"\n\"{}\"\n\"not a token\"\n",
        a.token(),
        b.token(),
        b.token(),
        c.token(),
        forged
    );
    let out = w.svc.claim_bulk_csv(t(), Some(EDITOR), &csv).unwrap();
    assert_eq!(out.value.claimed_ids, vec![a.id(), b.id()]);
    let failed: Vec<(usize, u16)> = out.value.failed.iter().map(|f| (f.row, f.status)).collect();
    assert_eq!(failed, vec![(3, 409), (4, 409), (5, 400), (6, 400)]);
    assert_eq!(out.events.len(), 2);
    let json = serde_json::to_value(&out.value).unwrap();
    assert_eq!(json["claimedIds"].as_array().unwrap().len(), 2);
    assert_eq!(json["failed"][0]["row"], 3);
    let device = w.svc.get_device(Some(EDITOR), a.id()).unwrap();
    assert_eq!(
        device.tags.iter().cloned().collect::<Vec<_>>(),
        vec!["ci".to_string(), "lab".to_string()]
    );
    assert!(w.svc.claim_bulk_csv(t(), Some(EDITOR), "\n").is_err());
}

#[test]
fn jwt_authentication_without_registry() {
    let mut w = World::new();
    let dev = Dev::new(1);
    let now_s = T0 / 1000 + 100;
    let now = Timestamp::from_secs(now_s);
    let jwt = dev.jwt(now_s);
    // Valid JWT, device not claimed: NotClaimed (HTTP 403, CoAP 4.01).
    let err = w.svc.authenticate_jwt(now, Some(&jwt)).unwrap_err();
    assert_eq!(err, Error::NotClaimed { device: dev.id() });
    assert_eq!(err.http_status(), 403);
    w.claim(OWNER, &dev, &[]);
    let auth = w.svc.authenticate_jwt(now, Some(&jwt)).unwrap();
    assert_eq!(auth.device, dev.id());
    assert_eq!(
        auth.verification,
        Verification::UnverifiedNoRegistry,
        "reported for the log"
    );
    // Missing, empty, malformed, expired: 401 in every mode.
    for token in [None, Some(""), Some("x.y"), Some("a.b.c")] {
        assert_eq!(
            w.svc
                .authenticate_jwt(now, token)
                .unwrap_err()
                .http_status(),
            401,
            "{token:?}"
        );
    }
    let late = Timestamp::from_secs(now_s + 300 + 61);
    assert_eq!(
        w.svc
            .authenticate_jwt(late, Some(&jwt))
            .unwrap_err()
            .http_status(),
        401
    );
    let within_leeway = Timestamp::from_secs(now_s + 300 + 30);
    assert!(w.svc.authenticate_jwt(within_leeway, Some(&jwt)).is_ok());
}

#[test]
fn jwt_authentication_with_registry() {
    let mut w = World::with_registry(3);
    let dev = Dev::new(1);
    w.claim(OWNER, &dev, &[]);
    let now_s = T0 / 1000 + 100;
    let now = Timestamp::from_secs(now_s);
    let auth = w.svc.authenticate_jwt(now, Some(&dev.jwt(now_s))).unwrap();
    assert_eq!(auth.verification, Verification::Verified);
    let forged = dev.jwt_signed_by(now_s, &SigningKey::from_slice(&[5; 32]).unwrap());
    let err = w.svc.authenticate_jwt(now, Some(&forged)).unwrap_err();
    assert_eq!(err.http_status(), 401, "{err}");
    // A device unknown to the registry: 401, unless exempt (then reported unverified).
    let stranger = Dev::new(7);
    let err = w
        .svc
        .authenticate_jwt(now, Some(&stranger.jwt(now_s)))
        .unwrap_err();
    assert_eq!(err.http_status(), 401);
    w.svc.verifier_mut().exempt.insert(stranger.uuid);
    let err = w
        .svc
        .authenticate_jwt(now, Some(&stranger.jwt(now_s)))
        .unwrap_err();
    assert_eq!(
        err,
        Error::NotClaimed {
            device: stranger.id()
        }
    );
    w.claim(OWNER, &stranger, &[]);
    let auth = w
        .svc
        .authenticate_jwt(now, Some(&stranger.jwt(now_s)))
        .unwrap();
    assert_eq!(auth.verification, Verification::UnverifiedExempt);
    // An exempt device's JWT must still be current.
    let late = Timestamp::from_secs(now_s + 1000);
    assert_eq!(
        w.svc
            .authenticate_jwt(late, Some(&stranger.jwt(now_s)))
            .unwrap_err()
            .http_status(),
        401
    );
}
