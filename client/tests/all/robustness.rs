//! Arbitrary inputs in arbitrary order never panic the client, and it keeps its one-request
//! discipline.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use crate::support;

use proptest::prelude::*;
use provlab_client::{
    Action, AtReply, AtStatus, Awaiting, Block2, Client, ClientConfig, CoapCode, CoapResponse,
    Errno, Generation, HttpResponse, Input, StoredSettings, Timestamp, TransportFailure,
    TransportKind,
};

#[derive(Debug, Clone)]
enum Op {
    Init,
    Trigger,
    SetInterval(i64),
    Advance(u64),
    FireTimer,
    Raw(Input),
    /// A plausible answer to whatever is outstanding, picked by the number.
    Answer(u8),
}

fn failure() -> impl Strategy<Value = TransportFailure> {
    prop_oneof![
        Just(TransportFailure::Refused),
        Just(TransportFailure::HandshakeFailed),
        Just(TransportFailure::Timeout),
        Just(TransportFailure::Closed),
    ]
}

fn bodies() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..64),
        Just(support::vector("cmds1")),
        Just(support::vector("cmds2")),
        Just(support::vector("cmds3")),
        Just(support::vector("cmds4")),
        Just(vec![0x80]),
        Just(support::many_at_commands(12)),
    ]
}

fn input() -> impl Strategy<Value = Input> {
    let status = prop_oneof![
        Just(AtStatus::Ok),
        Just(AtStatus::Error),
        any::<u16>().prop_map(AtStatus::CmeError),
        Just(AtStatus::Failed(Errno::E2big)),
        Just(AtStatus::Failed(Errno::Eio)),
    ];
    prop_oneof![
        ".{0,40}".prop_map(|s| Input::AtAnswer(AtReply::Raw(s))),
        (status, ".{0,20}")
            .prop_map(|(status, buffer)| Input::AtAnswer(AtReply::Result { status, buffer })),
        (proptest::option::of(any::<u16>()), bodies())
            .prop_map(|(status, body)| Input::Http(HttpResponse { status, body })),
        Just(Input::CoapConnected),
        (
            any::<u8>(),
            bodies(),
            proptest::option::of((any::<u32>(), any::<bool>(), 0u8..8))
        )
            .prop_map(|(code, payload, b)| Input::Coap(CoapResponse {
                code: CoapCode(code),
                payload,
                block2: b.map(|(num, more, szx)| Block2 { num, more, szx }),
            })),
        failure().prop_map(Input::TransportFailed),
        Just(Input::NetworkUp),
        Just(Input::NetworkDown),
        any::<bool>().prop_map(Input::NetworkTime),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => Just(Op::Init),
        1 => Just(Op::Trigger),
        1 => any::<i64>().prop_map(Op::SetInterval),
        2 => (0u64..200_000_000).prop_map(Op::Advance),
        3 => Just(Op::FireTimer),
        3 => input().prop_map(Op::Raw),
        10 => any::<u8>().prop_map(Op::Answer),
    ]
}

fn config() -> impl Strategy<Value = ClientConfig> {
    (
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        0u64..5,
        0u64..3,
        1usize..4000,
    )
        .prop_map(
            |(coap, v29, scheduled, keep_open, save, spread, backoff, rx)| ClientConfig {
                transport: if coap {
                    TransportKind::Coap
                } else {
                    TransportKind::Http
                },
                generation: if v29 {
                    Generation::V2_9
                } else {
                    Generation::Current
                },
                scheduled,
                coap_keep_open: keep_open,
                save_cursor: save,
                spread_s: spread,
                initial_backoff_s: backoff,
                rx_buf_size: rx,
                interval_s: 50,
                valid_datetime_timeout_s: 3,
                ..ClientConfig::default()
            },
        )
}

/// A plausible answer for the outstanding request.
fn answer(last: &Option<Action>, pick: u8) -> Option<Input> {
    let at = |text: &str| Some(Input::at_raw(text.to_owned()));
    match last.as_ref()? {
        Action::SendAt(line) => match (line.as_str(), pick % 4) {
            (_, 3) => at("ERROR\r\n"),
            ("AT%CCLK?", _) => at("%CCLK: \"x\"\r\nOK\r\n"),
            ("AT+CFUN?", n) => at(&format!("+CFUN: {}\r\nOK\r\n", if n == 0 { 1 } else { 4 })),
            ("AT+CMEE?", n) => at(&format!("+CMEE: {}\r\nOK\r\n", n % 2)),
            ("AT%ATTESTTOKEN", _) => at("%ATTESTTOKEN: \"a.b\"\r\nOK\r\n"),
            (l, _) if l.starts_with("AT%JWT") => at("%JWT: \"h.c.s\"\r\nOK\r\n"),
            (_, 2) => at("+CME ERROR: 513\r\n"),
            (_, 1) => Some(Input::at_raw(format!("{}\r\nOK\r\n", "Z".repeat(1500)))),
            _ => at("OK\r\n"),
        },
        Action::Http(_) => Some(match pick % 6 {
            0 => Input::Http(HttpResponse {
                status: Some(204),
                body: vec![],
            }),
            1 => Input::Http(HttpResponse {
                status: Some(200),
                body: support::vector("cmds1"),
            }),
            2 => Input::Http(HttpResponse {
                status: Some(200),
                body: support::vector("cmds2"),
            }),
            3 => Input::Http(HttpResponse {
                status: Some(500),
                body: vec![],
            }),
            4 => Input::TransportFailed(TransportFailure::Timeout),
            _ => Input::Http(HttpResponse {
                status: Some(200),
                body: support::vector("cmds4"),
            }),
        }),
        Action::CoapConnect(_) => Some(if pick.is_multiple_of(7) {
            Input::TransportFailed(TransportFailure::HandshakeFailed)
        } else {
            Input::CoapConnected
        }),
        Action::Coap(req) => Some(match (req.path.as_str(), pick % 5) {
            (_, 4) => Input::TransportFailed(TransportFailure::Timeout),
            ("p/auth-jwt", _) => Input::Coap(CoapResponse::code(CoapCode::CREATED)),
            ("p/cmd", n) => {
                let body = if n == 0 {
                    vec![]
                } else {
                    support::vector("cmds2")
                };
                Input::Coap(CoapResponse {
                    code: CoapCode::CONTENT,
                    payload: body,
                    block2: req.block2,
                })
            }
            _ => Input::Coap(CoapResponse::code(CoapCode::CHANGED)),
        }),
        _ => None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_inputs_never_panic(
        config in config(),
        seed in any::<u64>(),
        ops in proptest::collection::vec(op(), 0..150),
    ) {
        let mut client = Client::new(config, StoredSettings::new(), seed);
        let mut now = Timestamp::ZERO;
        let mut last_request: Option<Action> = None;
        for op in ops {
            match op {
                Op::Init => { let _ = client.init(now); }
                Op::Trigger => { let _ = client.trigger_manually(now); }
                Op::SetInterval(s) => { let _ = client.set_interval(now, s); }
                Op::Advance(ms) => {
                    now = now.plus_millis(ms);
                    client.handle_timeout(now);
                }
                Op::FireTimer => {
                    if let Some(t) = client.poll_timeout() {
                        now = now.max(t);
                        client.handle_timeout(now);
                    }
                }
                Op::Raw(input) => { let _ = client.handle(now, input); }
                Op::Answer(pick) => {
                    if let Some(input) = answer(&last_request, pick) {
                        let _ = client.handle(now, input);
                    }
                }
            }
            let mut requests = 0;
            while let Some(action) = client.poll_action() {
                if matches!(
                    action,
                    Action::SendAt(_) | Action::Http(_) | Action::Coap(_) | Action::CoapConnect(_)
                ) {
                    requests += 1;
                    last_request = Some(action);
                }
            }
            // One outstanding request at most, and only while an attempt runs.
            prop_assert!(requests <= 1);
            if client.awaiting() != Awaiting::Nothing {
                prop_assert!(client.is_attempt_running());
                prop_assert!(client.poll_timeout().is_none());
            }
        }
    }
}
