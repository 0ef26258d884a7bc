//! The HTTPS device endpoint on a real listener: a scripted device fetches, executes and
//! reports until the owner sees the expected statuses; bad input gets the right 4xx with a
//! message, leaves the state unchanged, and the server keeps serving.

#![allow(clippy::unwrap_used)]

use crate::common;
use crate::device_common;

use common::{req, Dev};
use device_common::{foreign_root, http_exchange, http_get, http_post, long_pem, tls_client, Lab};
use provlab_proto::records::{decode_commands, encode_responses, Command};
use provlab_server::domain::commands::CommandStatus;
use provlab_server::domain::registry::FactoryRegistry;
use provlab_server::domain::status::ShownStatus;
use provlab_server::domain::ServiceConfig;

fn query(after: &str) -> String {
    format!(
        "after={after}&rxMaxSize=4096&txMaxSize=4096&mver=mfw_nrf9160_1.3.5&cver=2.8.0&limit=10"
    )
}

/// A service whose factory registry knows `devs`.
fn registry_config(devs: &[&Dev]) -> ServiceConfig {
    let mut config = ServiceConfig::new(42);
    config.verifier.registry = Some(FactoryRegistry::from_entries(
        devs.iter().map(|d| (d.uuid, d.public())),
    ));
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_provisions_over_https_until_provisioned() {
    let dev = Dev::new(1);
    let lab = Lab::start(registry_config(&[&dev])).await;
    let id = lab.claim(&dev);
    lab.add(id, req::client_cert(16842753, &long_pem(12)));
    lab.add(id, req::config(&[("provisioning/interval-sec", "600")]));
    lab.add(id, req::finished());
    let client = tls_client(lab.root());

    // Like the SDK's loop: GET → execute → POST, until 204, each with a fresh JWT, bounded.
    let mut after = String::new();
    let mut rounds = 0;
    loop {
        rounds += 1;
        assert!(rounds <= 5, "the device loop did not end");
        let jwt = dev.jwt(lab.now_s());
        let reply = http_exchange(lab.https, &client, &http_get(&query(&after), Some(&jwt)))
            .await
            .unwrap();
        if reply.status == 204 {
            break;
        }
        assert_eq!(reply.status, 200, "{}", reply.text());
        assert_eq!(reply.header("content-type"), Some("application/cbor"));
        let records = decode_commands(&reply.body, 10).unwrap();
        assert!(!records.is_empty());
        let responses = dev.answer(&records, None);
        if let Some(last) = records.last() {
            after = last.id().to_string();
        }
        let body = encode_responses(&responses).unwrap();
        let jwt = dev.jwt(lab.now_s());
        let posted = http_exchange(
            lab.https,
            &client,
            &http_post(&body, "application/cbor", &jwt),
        )
        .await
        .unwrap();
        assert_eq!(posted.status, 200, "{}", posted.text());
        // The SDK stops after an acknowledged finished; here one more GET must be a 204.
        let _finished = records
            .iter()
            .any(|r| matches!(r, Command::Finished { .. }));
    }
    assert_eq!(lab.status(id), ShownStatus::Provisioned);
    assert_eq!(
        lab.statuses(id),
        vec![CommandStatus::Succeeded; 3],
        "every command succeeded"
    );
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_credentials_get_401_or_403_with_a_reason() {
    let dev = Dev::new(1);
    let stranger = Dev::new(2);
    let unclaimed = Dev::new(3);
    let lab = Lab::start(registry_config(&[&dev, &unclaimed])).await;
    let id = lab.claim(&dev);
    lab.add(id, req::finished());
    let client = tls_client(lab.root());
    let events = lab.events();
    let now = lab.now_s();

    let cases: Vec<(Option<String>, u16, &str)> = vec![
        (None, 401, "missing device JWT"),
        (Some("not-a-jwt".into()), 401, "malformed JWT"),
        // Signed by another key: forged.
        (
            Some(dev.jwt_signed_by(now, &stranger.key)),
            401,
            "signature does not verify",
        ),
        // Issued long ago: expired (300 s lifetime, 60 s leeway).
        (Some(dev.jwt(now - 1000)), 401, "expired"),
        // A device the registry does not know.
        (Some(stranger.jwt(now)), 401, "not in the factory registry"),
        // Valid, but nobody claimed it.
        (Some(unclaimed.jwt(now)), 403, "not claimed"),
    ];
    for (jwt, status, reason) in cases {
        let reply = http_exchange(lab.https, &client, &http_get(&query(""), jwt.as_deref()))
            .await
            .unwrap();
        assert_eq!(reply.status, status, "{jwt:?}: {}", reply.text());
        assert!(
            reply.text().contains(reason),
            "{:?} lacks {reason:?}",
            reply.text()
        );
        if status == 401 {
            assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
        }
    }
    let wrong_scheme = b"GET /v1/provisioning/commands?after=&rxMaxSize=4096&txMaxSize=4096 HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic dXNlcg==\r\nConnection: close\r\n\r\n";
    let reply = http_exchange(lab.https, &client, wrong_scheme)
        .await
        .unwrap();
    assert_eq!(reply.status, 401);
    assert_eq!(lab.events(), events, "refused requests change nothing");

    // The server still serves a good request.
    let reply = http_exchange(
        lab.https,
        &client,
        &http_get(&query(""), Some(&dev.jwt(now))),
    )
    .await
    .unwrap();
    assert_eq!(reply.status, 200);
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_4xx_and_changes_nothing() {
    let dev = Dev::new(1);
    let lab = Lab::start(registry_config(&[&dev])).await;
    let id = lab.claim(&dev);
    lab.add(id, req::config(&[("a/b", "c")]));
    lab.add(id, req::finished());
    let client = tls_client(lab.root());
    let jwt = dev.jwt(lab.now_s());
    let events = lab.events();

    let bad_queries = [
        ("after=&txMaxSize=4096", "rxMaxSize is missing"),
        ("after=&rxMaxSize=4k&txMaxSize=4096", "not a decimal number"),
        ("after=&rxMaxSize=4096&txMaxSize=4096&limit=0", "limit"),
        (
            "after=&rxMaxSize=4096&txMaxSize=4096&limit=1&limit=2",
            "repeated",
        ),
        (
            "after=&rxMaxSize=4096&txMaxSize=4096&color=red",
            "unknown query parameter",
        ),
        ("after=&rxMaxSize=10&txMaxSize=4096", "rxMaxSize"),
    ];
    for (q, reason) in bad_queries {
        let reply = http_exchange(lab.https, &client, &http_get(q, Some(&jwt)))
            .await
            .unwrap();
        assert_eq!(reply.status, 400, "{q}: {}", reply.text());
        assert!(
            reply.text().contains(reason),
            "{q}: {:?} lacks {reason:?}",
            reply.text()
        );
    }

    // Bad CBOR from the device: 400 with the decoder's reason.
    for body in [
        &b""[..],
        &[0x80],
        &[0xff, 0x00],
        &[0x81, 0x82, 0x61, 0x78, 0x18, 0x63],
    ] {
        let reply = http_exchange(
            lab.https,
            &client,
            &http_post(body, "application/cbor", &jwt),
        )
        .await
        .unwrap();
        assert_eq!(reply.status, 400, "{body:02x?}: {}", reply.text());
        assert!(reply.text().contains("invalid body"), "{}", reply.text());
    }
    // Wrong media type: 415.
    let reply = http_exchange(
        lab.https,
        &client,
        &http_post(&[0x80], "application/json", &jwt),
    )
    .await
    .unwrap();
    assert_eq!(reply.status, 415, "{}", reply.text());
    // Unknown route and wrong method.
    let reply = http_exchange(
        lab.https,
        &client,
        b"GET /v1/provisioning/nothing HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await
    .unwrap();
    assert_eq!(reply.status, 404);
    let reply = http_exchange(
        lab.https,
        &client,
        b"DELETE /v1/provisioning/commands HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await
    .unwrap();
    assert_eq!(reply.status, 405);
    assert_eq!(reply.header("allow"), Some("GET"));
    assert_eq!(lab.events(), events, "refused requests change nothing");
    assert_eq!(lab.status(id), ShownStatus::Ready);

    // Still serving.
    let reply = http_exchange(lab.https, &client, &http_get(&query(""), Some(&jwt)))
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_does_not_trust_the_lab_ca_fails_the_handshake() {
    let dev = Dev::new(1);
    let lab = Lab::start(registry_config(&[&dev])).await;
    lab.claim(&dev);
    let (_dir, other_root) = foreign_root();
    let stranger = tls_client(other_root);
    let jwt = dev.jwt(lab.now_s());
    let err = http_exchange(lab.https, &stranger, &http_get(&query(""), Some(&jwt)))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("UnknownIssuer") || err.to_string().contains("certificate"),
        "{err}"
    );
    // The server keeps serving trusting clients.
    let client = tls_client(lab.root());
    let reply = http_exchange(lab.https, &client, &http_get(&query(""), Some(&jwt)))
        .await
        .unwrap();
    assert_eq!(reply.status, 204, "nothing configured yet");
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exempt_device_is_served_without_a_signature_check() {
    // `jwt = "unverified"` in the rack configuration: a real board whose identity key the
    // registry does not have. Its JWT is accepted unchecked (and logged).
    let board = Dev::new(7);
    let signer = Dev::new(8);
    let mut config = ServiceConfig::new(42);
    config.verifier.registry = Some(FactoryRegistry::new());
    config.verifier.exempt.insert(board.uuid);
    let lab = Lab::start(config).await;
    lab.claim(&board);
    let client = tls_client(lab.root());
    let jwt = board.jwt_signed_by(lab.now_s(), &signer.key);
    let reply = http_exchange(lab.https, &client, &http_get(&query(""), Some(&jwt)))
        .await
        .unwrap();
    assert_eq!(reply.status, 204, "{}", reply.text());
    // Still: an expired JWT is refused.
    let old = board.jwt(lab.now_s() - 1000);
    let reply = http_exchange(lab.https, &client, &http_get(&query(""), Some(&old)))
        .await
        .unwrap();
    assert_eq!(reply.status, 401);
    lab.stop().await;
}
