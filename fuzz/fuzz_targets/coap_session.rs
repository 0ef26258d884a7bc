//! Fuzzes the CoAP device endpoint as one DTLS session sees it: whole datagrams, parsed by
//! coap-lite, through the sans-IO session (`server::device::coap::session::CoapSession`:
//! framing, deduplication, Block1 reassembly) and the device core (routing, `p/auth-jwt`,
//! `p/cmd` with Block2, `p/rsp`), against an `App` whose domain service has a claimed device
//! (in the factory registry, so JWTs are really verified) with five commands queued, one of
//! them a certificate long enough to need several Block2 blocks.
//!
//! Input: byte 0 = flags (bit 0: the session first authenticates with a valid JWT of the
//! device, as the harness's own `POST p/auth-jwt`); then datagrams, each as
//! `[seconds to advance][length: u16 big-endian][bytes]` (the length is cut to what is left).
//!
//! Invariants: nothing panics; every datagram sent back parses as CoAP version 1; a
//! confirmable request gets an ACK with its message id and token or a Reset with its message
//! id, a non-confirmable one a NON with its token, an ACK or Reset nothing; an unparsable
//! datagram gets at most a 4-byte Reset; a Block2 block is no larger than its size; a whole
//! `p/cmd` body decodes as CBOR records; a request with the message id of one answered
//! within the exchange lifetime gets that answer again, byte for byte (RFC 7252 §4.5, even
//! when the rest differs: a client must not reuse a message id sooner), and so does the same
//! datagram sent twice; after the session, the stored events replay to the service's state.
#![no_main]

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use coap_lite::{
    CoapOption, ContentFormat, MessageClass, MessageType, Packet, RequestType, ResponseType,
};
use libfuzzer_sys::fuzz_target;
use p256::ecdsa::SigningKey;
use provlab_proto::jwt::{self, Claims};
use provlab_proto::records::decode_any;
use provlab_proto::tokens::{Attestation, AttestationToken, DeviceType, Uuid};
use provlab_server::app::{App, ManualClock};
use provlab_server::device::coap::block::BlockOpt;
use provlab_server::device::coap::dedup::EXCHANGE_LIFETIME;
use provlab_server::device::coap::session::CoapSession;
use provlab_server::domain::commands::{
    AtCommandRequest, Certificate, CommandRequest, ConfigRequest, CsrRequest, Finished, Properties,
};
use provlab_server::domain::events::Event;
use provlab_server::domain::registry::FactoryRegistry;
use provlab_server::domain::service::NewCommand;
use provlab_server::domain::{Role, Service, ServiceConfig, Timestamp};
use sha2::{Digest as _, Sha256};

const OWNER: &str = "owner-key-0000000000";
const T0_MS: u64 = 1_714_564_800_000;

/// The service set up once: its configuration, state, the events that built it, and a JWT
/// of the claimed device.
struct Fixture {
    config: ServiceConfig,
    service: Service,
    events: Vec<Event>,
    jwt: String,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let seed = Sha256::digest(b"provlab fuzz device");
        let key = SigningKey::from_slice(&seed).expect("a valid scalar");
        let mut uuid = [0u8; 16];
        uuid.copy_from_slice(&Sha256::digest(seed)[..16]);
        let uuid = Uuid::from_bytes(uuid);
        let fw = Uuid::from_bytes([0xf0; 16]);
        let mut config = ServiceConfig::new(7);
        config.verifier.registry = Some(FactoryRegistry::from_entries([(
            uuid,
            *key.verifying_key(),
        )]));
        let mut service = Service::new(config.clone());
        let now = Timestamp::from_millis(T0_MS);
        let mut events = Vec::new();
        events.extend(
            service
                .setup_member(now, "olivia", Role::Owner, Some(OWNER))
                .expect("owner")
                .events,
        );
        let token = AttestationToken::sign(
            Attestation {
                device_uuid: uuid,
                device_type: DeviceType::Nrf9160Sica,
                modem_fw_uuid: fw,
                nonce: [7; 16],
            },
            &key,
        )
        .encode();
        let claimed = service.claim(now, Some(OWNER), &token, &[]).expect("claim");
        let device = claimed.value.device;
        events.extend(claimed.events);
        let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
        for i in 0..40 {
            pem.push_str(&format!("{i:064}\n"));
        }
        pem.push_str("-----END CERTIFICATE-----");
        let requests = [
            CommandRequest::Config(ConfigRequest {
                properties: Properties(vec![("interval-sec".into(), "60".into())]),
            }),
            CommandRequest::AtCommand(AtCommandRequest {
                set_command: "+CFUN".into(),
                parameters: "4".into(),
                ignore_cme_errors: vec![],
            }),
            CommandRequest::ServerCertificate(Certificate {
                sec_tag: 42,
                content: pem,
            }),
            CommandRequest::CertificateSigningRequest(CsrRequest {
                sec_tag: 43,
                attributes: Some("O=Fuzz".into()),
                key_usage: None,
            }),
            CommandRequest::Finished(Finished {}),
        ];
        for request in requests {
            let added = service
                .add_command(
                    now,
                    Some(OWNER),
                    device,
                    &NewCommand {
                        description: format!("fuzz {}", request.type_name()),
                        request,
                    },
                )
                .expect("add command");
            events.extend(added.events);
        }
        let claims =
            Claims::modem("nRF9160", &uuid, &fw, &[1; 16]).with_lifetime(T0_MS / 1000, 3600);
        Fixture {
            config,
            service,
            events,
            jwt: jwt::sign(&claims, &key),
        }
    })
}

/// The harness's own `POST p/auth-jwt` (message id 0, token `a5`).
fn auth_request(jwt: &str) -> Vec<u8> {
    let mut p = Packet::new();
    p.header.set_version(1);
    p.header.set_type(MessageType::Confirmable);
    p.header.code = MessageClass::Request(RequestType::Post);
    p.header.message_id = 0;
    p.set_token(vec![0xa5]);
    p.add_option(CoapOption::UriPath, b"p".to_vec());
    p.add_option(CoapOption::UriPath, b"auth-jwt".to_vec());
    p.payload = jwt.as_bytes().to_vec();
    p.to_bytes().expect("the auth request encodes")
}

fn check_reply(datagram: &[u8], reply: Option<&[u8]>) {
    let request = Packet::from_bytes(datagram)
        .ok()
        .filter(|p| p.header.get_version() == 1);
    let Some(request) = request else {
        if let Some(reply) = reply {
            assert_eq!(
                reply.len(),
                4,
                "a reply to an unparsable datagram: {reply:?}"
            );
            assert_eq!(reply[0], 0x70);
        }
        return;
    };
    let kind = request.header.get_type();
    let Some(bytes) = reply else {
        return;
    };
    assert!(
        !matches!(kind, MessageType::Acknowledgement | MessageType::Reset),
        "an ACK or RST was answered"
    );
    let reply = Packet::from_bytes(bytes).expect("a reply parses");
    assert_eq!(reply.header.get_version(), 1);
    match (kind, reply.header.get_type()) {
        (MessageType::Confirmable, MessageType::Reset) => {
            assert_eq!(reply.header.message_id, request.header.message_id);
            return;
        }
        (MessageType::Confirmable, MessageType::Acknowledgement) => {
            assert_eq!(reply.header.message_id, request.header.message_id);
        }
        (MessageType::NonConfirmable, MessageType::NonConfirmable) => {}
        other => panic!("reply type for a request: {other:?}"),
    }
    assert_eq!(reply.get_token(), request.get_token());
    let MessageClass::Response(code) = reply.header.code else {
        panic!("a reply that is not a response: {:?}", reply.header.code);
    };
    let block2 = reply
        .get_first_option(CoapOption::Block2)
        .map(|v| BlockOpt::decode(v).expect("our Block2 decodes"));
    if let Some(b) = block2 {
        assert!(
            reply.payload.len() <= b.size(),
            "block {b:?} of {}",
            reply.payload.len()
        );
    }
    let cbor = reply.get_content_format() == Some(ContentFormat::ApplicationCBOR);
    let whole = block2.is_none_or(|b| b.num == 0 && !b.more);
    if code == ResponseType::Content && cbor && whole {
        assert!(decode_any(&reply.payload, 1000).is_ok(), "p/cmd body");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, mut rest)) = data.split_first() else {
        return;
    };
    let fixture = fixture();
    let clock = Arc::new(ManualClock::new(Timestamp::from_millis(T0_MS)));
    let app = App::in_memory(fixture.config.clone(), clock.clone());
    let mut service = fixture.service.clone();
    app.swap_service(&mut service);
    let mut session = CoapSession::new("fuzz");
    let mut now = Instant::now();
    // Answers the session must remember: (message id, when, bytes).
    let mut answered: Vec<(u16, Instant, Vec<u8>)> = Vec::new();

    if flags & 1 == 1 {
        let reply = session
            .handle(&app, now, &auth_request(&fixture.jwt))
            .expect("the auth request is answered");
        answered.push((0, now, reply.clone()));
        let reply = Packet::from_bytes(&reply).expect("a reply parses");
        assert_eq!(
            reply.header.code,
            MessageClass::Response(ResponseType::Created),
            "the fixture's JWT is refused: {:?}",
            String::from_utf8_lossy(&reply.payload)
        );
    }

    for _ in 0..32 {
        let [dt, hi, lo, tail @ ..] = rest else {
            break;
        };
        let len = usize::from(u16::from_be_bytes([*hi, *lo])).min(tail.len());
        let (datagram, next) = tail.split_at(len);
        rest = next;
        now += Duration::from_secs(u64::from(*dt));
        clock.advance_millis(u64::from(*dt) * 1000);

        let reply = session.handle(&app, now, datagram);
        let request = Packet::from_bytes(datagram)
            .ok()
            .filter(|p| p.header.get_version() == 1)
            .filter(|p| {
                matches!(
                    p.header.get_type(),
                    MessageType::Confirmable | MessageType::NonConfirmable
                )
            });
        let earlier = request.as_ref().and_then(|p| {
            answered
                .iter()
                .find(|(mid, _, _)| *mid == p.header.message_id)
                .map(|(mid, at, bytes)| (*mid, now - *at, bytes.clone()))
        });
        match earlier {
            Some((_, age, bytes)) if age + Duration::from_secs(1) < EXCHANGE_LIFETIME => {
                assert_eq!(
                    reply.as_ref(),
                    Some(&bytes),
                    "a duplicate got another answer"
                );
            }
            // Around the end of the lifetime either is right.
            Some((_, age, _)) if age <= EXCHANGE_LIFETIME + Duration::from_secs(1) => {}
            _ => {
                check_reply(datagram, reply.as_deref());
                if let (Some(p), Some(bytes)) = (&request, &reply) {
                    answered.retain(|(mid, _, _)| *mid != p.header.message_id);
                    answered.push((p.header.message_id, now, bytes.clone()));
                }
            }
        }
        let again = session.handle(&app, now, datagram);
        assert_eq!(again, reply, "a retransmission got another answer");
    }

    let stored = app.stored_events().expect("the memory store loads");
    let replayed = Service::replay(
        fixture.config.clone(),
        fixture.events.iter().chain(stored.iter()),
    )
    .expect("the events replay");
    assert!(
        app.read(|s, _| s.state() == replayed.state()),
        "the stored events do not replay to the service's state"
    );
});
