//! The CoAP-over-DTLS device endpoint on a real listener: a scripted device authenticates,
//! fetches a body larger than one block with Block2, reports, and the owner sees the
//! expected statuses; bad input gets the right 4.xx with a diagnostic, changes nothing, and
//! the server keeps serving; retransmissions are answered from the dedup cache.

#![allow(clippy::unwrap_used)]

use crate::common;
use crate::device_common;

use coap_lite::{CoapOption, MessageClass, MessageType, Packet, RequestType};
use common::{req, Dev};
use device_common::{cmd_query, code, dtls_connect, foreign_root, long_pem, CoapClient, Lab};
use provlab_proto::records::{decode_commands, encode_responses};
use provlab_server::device::coap::block::BlockOpt;
use provlab_server::domain::commands::CommandStatus;
use provlab_server::domain::registry::FactoryRegistry;
use provlab_server::domain::status::ShownStatus;
use provlab_server::domain::ServiceConfig;
use webrtc_dtls::cipher_suite::CipherSuiteId;

fn registry_config(devs: &[&Dev]) -> ServiceConfig {
    let mut config = ServiceConfig::new(42);
    config.verifier.registry = Some(FactoryRegistry::from_entries(
        devs.iter().map(|d| (d.uuid, d.public())),
    ));
    config
}

fn strs(items: &[String]) -> Vec<&str> {
    items.iter().map(String::as_str).collect()
}

fn diagnostic(p: &Packet) -> String {
    String::from_utf8_lossy(&p.payload).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_provisions_over_coap_with_block_wise_transfer() {
    let dev = Dev::new(1);
    let lab = Lab::start(registry_config(&[&dev])).await;
    let id = lab.claim(&dev);
    lab.add(id, req::client_cert(16842753, &long_pem(24)));
    lab.add(id, req::keygen(16842753));
    lab.add(id, req::finished());

    // Like the SDK: one session to authenticate and fetch, a new one to report.
    let mut after = String::new();
    let mut rounds = 0;
    loop {
        rounds += 1;
        assert!(rounds <= 5, "the device loop did not end");
        let mut coap = CoapClient::connect(&lab).await;
        let created = coap.auth(&dev.jwt(lab.now_s())).await;
        assert_eq!(code(&created), "2.01", "{}", diagnostic(&created));
        assert_eq!(created.header.get_type(), MessageType::Acknowledgement);
        // 512-byte blocks (SZX 5).
        let (last, body, blocks) = coap.fetch(&strs(&cmd_query(&after)), 5).await;
        coap.close().await;
        assert_eq!(code(&last), "2.05", "{}", diagnostic(&last));
        if body.is_empty() {
            break;
        }
        if rounds == 1 {
            assert!(body.len() > 512, "the first body needs several blocks");
            assert_eq!(blocks, body.len().div_ceil(512));
        }
        let records = decode_commands(&body, 10).unwrap();
        after = records.last().unwrap().id().to_string();
        let responses = dev.answer(&records, None);
        let mut coap = CoapClient::connect(&lab).await;
        assert_eq!(code(&coap.auth(&dev.jwt(lab.now_s())).await), "2.01");
        let changed = coap.report(&encode_responses(&responses).unwrap()).await;
        assert_eq!(code(&changed), "2.04", "{}", diagnostic(&changed));
        coap.close().await;
    }
    assert_eq!(lab.status(id), ShownStatus::Provisioned);
    assert_eq!(lab.statuses(id), vec![CommandStatus::Succeeded; 3]);
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_jwts_and_unclaimed_devices_get_4_01() {
    let dev = Dev::new(1);
    let stranger = Dev::new(2);
    let unclaimed = Dev::new(3);
    let lab = Lab::start(registry_config(&[&dev, &unclaimed])).await;
    let id = lab.claim(&dev);
    lab.add(id, req::finished());
    let events = lab.events();
    let now = lab.now_s();

    let mut coap = CoapClient::connect(&lab).await;
    // Nothing before p/auth-jwt.
    let p = coap.request(RequestType::Get, "p/cmd", &strs(&cmd_query("")), &[]);
    let refused = coap.exchange(&p).await;
    assert_eq!(code(&refused), "4.01");
    assert!(diagnostic(&refused).contains("not authenticated"));
    for (jwt, reason) in [
        (
            dev.jwt_signed_by(now, &stranger.key),
            "signature does not verify",
        ),
        (dev.jwt(now - 1000), "expired"),
        ("garbage".to_string(), "malformed JWT"),
        (stranger.jwt(now), "not in the factory registry"),
        (unclaimed.jwt(now), "not claimed"),
    ] {
        let refused = coap.auth(&jwt).await;
        assert_eq!(code(&refused), "4.01", "{reason}");
        assert!(
            diagnostic(&refused).contains(reason),
            "{:?}",
            diagnostic(&refused)
        );
        // A refused auth leaves the session unauthenticated.
        let p = coap.request(RequestType::Get, "p/cmd", &strs(&cmd_query("")), &[]);
        assert_eq!(code(&coap.exchange(&p).await), "4.01");
    }
    assert_eq!(lab.events(), events);
    // The same session can still authenticate properly.
    assert_eq!(code(&coap.auth(&dev.jwt(now)).await), "2.01");
    let (last, body, _) = coap.fetch(&strs(&cmd_query("")), 6).await;
    assert_eq!(code(&last), "2.05");
    assert!(!body.is_empty());
    coap.close().await;
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_their_codes_and_change_nothing() {
    let dev = Dev::new(1);
    let lab = Lab::start(registry_config(&[&dev])).await;
    let id = lab.claim(&dev);
    lab.add(id, req::config(&[("a/b", "c")]));
    let mut coap = CoapClient::connect(&lab).await;
    assert_eq!(code(&coap.auth(&dev.jwt(lab.now_s())).await), "2.01");
    let events = lab.events();

    // Bad CBOR from the device.
    for body in [
        &b""[..],
        &[0x80],
        &[0xff],
        &[0x81, 0x82, 0x61, 0x78, 0x18, 0x63],
    ] {
        let refused = coap.report(body).await;
        assert_eq!(code(&refused), "4.00", "{body:02x?}");
        assert!(
            diagnostic(&refused).contains("invalid body"),
            "{}",
            diagnostic(&refused)
        );
    }
    // Wrong Content-Format.
    let mut p = coap.request(RequestType::Post, "p/rsp", &[], &[0x80]);
    p.clear_option(CoapOption::ContentFormat);
    p.add_option(CoapOption::ContentFormat, vec![50]);
    assert_eq!(code(&coap.exchange(&p).await), "4.15");
    // Bad queries.
    for q in [
        vec!["after=", "txMaxSize=4096"],
        vec!["after=", "rxMaxSize=x", "txMaxSize=4096"],
        vec!["after=", "rxMaxSize=4096", "txMaxSize=4096", "limit=0"],
        vec!["after=", "rxMaxSize=4096", "txMaxSize=4096", "colour=red"],
    ] {
        let p = coap.request(RequestType::Get, "p/cmd", &q, &[]);
        let refused = coap.exchange(&p).await;
        assert_eq!(code(&refused), "4.00", "{q:?}");
        assert!(!refused.payload.is_empty());
    }
    // A later block with no transfer in progress.
    let mut p = coap.request(RequestType::Get, "p/cmd", &strs(&cmd_query("")), &[]);
    p.add_option(
        CoapOption::Block2,
        BlockOpt {
            num: 3,
            more: false,
            szx: 4,
        }
        .encode(),
    );
    assert_eq!(code(&coap.exchange(&p).await), "4.00");
    // Unknown resources, wrong methods, session suspension, critical options.
    let p = coap.request(RequestType::Get, "p/nothing", &[], &[]);
    assert_eq!(code(&coap.exchange(&p).await), "4.04");
    let p = coap.request(RequestType::Put, "p/cmd", &[], &[]);
    assert_eq!(code(&coap.exchange(&p).await), "4.05");
    let mut p = coap.request(RequestType::Post, "/.dtls/suspend", &[], &[]);
    p.header.set_type(MessageType::NonConfirmable);
    let suspended = coap.exchange(&p).await;
    assert_eq!(code(&suspended), "4.04");
    assert_eq!(suspended.header.get_type(), MessageType::NonConfirmable);
    assert_eq!(suspended.get_token(), p.get_token());
    let mut p = coap.request(RequestType::Get, "p/cmd", &strs(&cmd_query("")), &[]);
    p.add_option(CoapOption::IfMatch, vec![1]);
    assert_eq!(code(&coap.exchange(&p).await), "4.02");
    // A CoAP ping gets a Reset; an unparsable CON too.
    let pong = coap.exchange_raw(&[0x40, 0x00, 0x12, 0x34]).await;
    assert_eq!(pong, vec![0x70, 0x00, 0x12, 0x34]);
    let reset = coap.exchange_raw(&[0x48, 0x01, 0x12, 0x35, 1]).await;
    assert_eq!(reset, vec![0x70, 0x00, 0x12, 0x35]);

    assert_eq!(lab.events(), events, "refused requests change nothing");
    assert_eq!(lab.status(id), ShownStatus::Ready);
    // Still serving, on the same session.
    let (last, body, _) = coap.fetch(&strs(&cmd_query("")), 6).await;
    assert_eq!(code(&last), "2.05");
    assert!(!body.is_empty());
    coap.close().await;
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retransmitted_request_is_answered_again_without_running_again() {
    let dev = Dev::new(1);
    let lab = Lab::start(registry_config(&[&dev])).await;
    let id = lab.claim(&dev);
    lab.add(id, req::config(&[("a/b", "c")]));
    lab.add(id, req::finished());
    let mut coap = CoapClient::connect(&lab).await;
    assert_eq!(code(&coap.auth(&dev.jwt(lab.now_s())).await), "2.01");

    // The fetch, sent twice with the same message id (our ACK was "lost").
    let p = coap.request(RequestType::Get, "p/cmd", &strs(&cmd_query("")), &[]);
    let bytes = p.to_bytes().unwrap();
    let first = coap.exchange_raw(&bytes).await;
    let events = lab.events();
    let again = coap.exchange_raw(&bytes).await;
    assert_eq!(first, again, "the same response, byte for byte");
    assert_eq!(lab.events(), events, "the fetch did not run twice");
    let records = decode_commands(&Packet::from_bytes(&first).unwrap().payload, 10).unwrap();
    assert_eq!(records.len(), 2);

    // The report, sent twice with the same message id.
    let body = encode_responses(&dev.answer(&records, None)).unwrap();
    let p = coap.request(RequestType::Post, "p/rsp", &[], &body);
    let bytes = p.to_bytes().unwrap();
    let first = coap.exchange_raw(&bytes).await;
    assert_eq!(code(&Packet::from_bytes(&first).unwrap()), "2.04");
    let events = lab.events();
    let again = coap.exchange_raw(&bytes).await;
    assert_eq!(first, again);
    assert_eq!(lab.events(), events, "the report did not run twice");
    assert_eq!(lab.status(id), ShownStatus::Provisioned);
    coap.close().await;
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_report_arrives_in_block1_blocks() {
    let dev = Dev::new(1);
    let lab = Lab::start(registry_config(&[&dev])).await;
    let id = lab.claim(&dev);
    lab.add(id, req::csr(16842753, "CN=dev"));
    lab.add(id, req::finished());
    let mut coap = CoapClient::connect(&lab).await;
    assert_eq!(code(&coap.auth(&dev.jwt(lab.now_s())).await), "2.01");
    let (_, body, _) = coap.fetch(&strs(&cmd_query("")), 6).await;
    let records = decode_commands(&body, 10).unwrap();
    let report = encode_responses(&dev.answer(&records, None)).unwrap();
    assert!(
        report.len() > 64,
        "the CSR answer spans several 64-byte blocks"
    );

    let chunks: Vec<&[u8]> = report.chunks(64).collect();
    for (num, chunk) in chunks.iter().enumerate() {
        let more = num + 1 < chunks.len();
        let mut p = coap.request(RequestType::Post, "p/rsp", &[], chunk);
        p.add_option(
            CoapOption::Block1,
            BlockOpt {
                num: num as u32,
                more,
                szx: 2,
            }
            .encode(),
        );
        let answer = coap.exchange(&p).await;
        let echoed =
            BlockOpt::decode(answer.get_first_option(CoapOption::Block1).unwrap()).unwrap();
        assert_eq!(echoed.num, num as u32);
        assert_eq!(echoed.more, more);
        let expected = if more { "2.31" } else { "2.04" };
        assert_eq!(code(&answer), expected, "{}", diagnostic(&answer));
    }
    assert_eq!(lab.status(id), ShownStatus::Provisioned);

    // Out of order: 4.08.
    let mut p = coap.request(RequestType::Post, "p/rsp", &[], &[0u8; 64]);
    p.add_option(
        CoapOption::Block1,
        BlockOpt {
            num: 5,
            more: true,
            szx: 2,
        }
        .encode(),
    );
    assert_eq!(code(&coap.exchange(&p).await), "4.08");
    coap.close().await;
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dtls_clients_that_do_not_trust_the_lab_ca_fail_and_the_server_keeps_serving() {
    let dev = Dev::new(1);
    let lab = Lab::start(registry_config(&[&dev])).await;
    lab.claim(&dev);
    let (_dir, other_root) = foreign_root();
    let refused = dtls_connect(
        lab.coap,
        other_root,
        vec![CipherSuiteId::Tls_Ecdhe_Ecdsa_With_Aes_128_Ccm_8],
    )
    .await;
    assert!(refused.is_err(), "the handshake must fail");
    // The next client, trusting the lab CA, is served; no commands yet → empty 2.05.
    let mut coap = CoapClient::connect(&lab).await;
    assert_eq!(code(&coap.auth(&dev.jwt(lab.now_s())).await), "2.01");
    let (last, body, _) = coap.fetch(&strs(&cmd_query("")), 6).await;
    assert_eq!(code(&last), "2.05");
    assert!(body.is_empty());
    assert!(last.get_first_option(CoapOption::Block2).is_none());
    assert_eq!(
        last.header.code,
        MessageClass::Response(coap_lite::ResponseType::Content)
    );
    coap.close().await;
    lab.stop().await;
}
