//! Command execution, session and input-validation behaviours beyond the checklist.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use crate::support;

use provlab_client::{
    Action, AtReply, AtStatus, Awaiting, Block2, ClientConfig, CoapCode, CoapResponse, Errno,
    Event, Generation, HttpResponse, Input, InputError, StoredSettings, TransportFailure,
    TransportKind,
};
use provlab_proto::records::{CorrelationId, Response};
use support::*;

fn id(text: &str) -> CorrelationId {
    CorrelationId::new(text).unwrap()
}

fn coap() -> ClientConfig {
    ClientConfig {
        transport: TransportKind::Coap,
        ..ClientConfig::default()
    }
}

fn run_http(config: ClientConfig, body: Vec<u8>, setup: impl FnOnce(&mut Harness)) -> Harness {
    let mut h = Harness::manual_with(config);
    h.server.gets.push_back(http(200, body));
    setup(&mut h);
    h.run_once();
    h
}

// --- AT results ---------------------------------------------------------------------------

#[test]
fn at_ok_message_is_the_whole_modem_buffer() {
    let h = run_http(ClientConfig::default(), vector("cmds3"), |_| {});
    let r = responses(&h.posts()[0].body);
    assert_eq!(
        r,
        vec![Response::AtOk {
            id: id(ID3),
            message: "%KEYGEN: \"MIIBCjCBrwIBADA.0oRDoQEmoQRBIfZYQ\"\r\nOK\r\n".into()
        }]
    );
}

#[test]
fn raw_cme_answers_carry_their_buffer() {
    let h = run_http(ClientConfig::default(), vector("cmds2"), |h| {
        h.modem
            .script("AT%CMNG=3", AtReply::Raw("+CME ERROR: 513\r\n".into()));
        h.modem
            .script("AT%KEYGEN", AtReply::Raw("+CME ERROR: 518\r\n".into()));
    });
    let r = responses(&h.posts()[0].body);
    assert_eq!(
        r,
        vec![
            Response::AtOk {
                id: id(ID2S),
                message: "+CME ERROR: 513\r\n".into()
            },
            Response::Error {
                id: id(ID2),
                cme_error: 518,
                message: "+CME ERROR: 518\r\n".into()
            },
        ]
    );
}

#[test]
fn failure_below_the_at_level_is_cme_0() {
    let h = run_http(ClientConfig::default(), vector("cmds3"), |h| {
        h.modem
            .script_result("AT%KEYGEN", AtStatus::Failed(Errno::Eio), "");
    });
    let r = responses(&h.posts()[0].body);
    assert_eq!(
        r,
        vec![Response::Error {
            id: id(ID3),
            cme_error: 0,
            message: String::new()
        }]
    );
}

// --- response buffer growth --------------------------------------------------------------

fn keygen_answer(len: usize) -> AtReply {
    let fill = "A".repeat(len.saturating_sub(20));
    AtReply::Raw(format!("%KEYGEN: \"{fill}\"\r\nOK\r\n"))
}

#[test]
fn keygen_too_big_deletes_the_key_and_retries_with_a_bigger_buffer() {
    let h = run_http(ClientConfig::default(), vector("cmds3"), |h| {
        h.modem.script("AT%KEYGEN", keygen_answer(1500));
        h.modem.script("AT%KEYGEN", keygen_answer(1500));
    });
    let at: Vec<&str> = h
        .modem
        .log
        .iter()
        .map(String::as_str)
        .filter(|l| l.starts_with("AT%"))
        .collect();
    assert!(at.windows(3).any(|w| w
        == [
            "AT%KEYGEN=16842753,8,1",
            "AT%CMNG=3,16842753,8",
            "AT%KEYGEN=16842753,8,1"
        ]));
    assert_eq!(h.modem.sent("AT%KEYGEN"), 2);
    let r = responses(&h.posts()[0].body);
    assert!(matches!(&r[0], Response::AtOk { message, .. } if message.len() > 1024));
}

#[test]
fn over_4096_bytes_is_key_or_csr_too_big() {
    let h = run_http(ClientConfig::default(), vector("cmds3"), |h| {
        for _ in 0..3 {
            h.modem.script("AT%KEYGEN", keygen_answer(5000));
        }
    });
    assert_eq!(h.modem.sent("AT%KEYGEN"), 3);
    assert_eq!(h.modem.sent("AT%CMNG=3,16842753,8"), 3);
    assert_eq!(
        responses(&h.posts()[0].body),
        vec![Response::Error {
            id: id(ID3),
            cme_error: 0,
            message: "Key or CSR too big".into()
        }]
    );
}

#[test]
fn other_commands_grow_without_a_delete() {
    let body = commands(&[at_cmd("r", "%CMNG", "2,42,0", &[])]);
    let h = run_http(ClientConfig::default(), body, |h| {
        let big = AtReply::Raw(format!(
            "%CMNG: 42,0,\"AB\",\"{}\"\r\nOK\r\n",
            "x".repeat(1200)
        ));
        h.modem.script("AT%CMNG=2", big.clone());
        h.modem.script("AT%CMNG=2", big);
    });
    assert_eq!(h.modem.sent("AT%CMNG=2,42,0"), 2);
    assert_eq!(h.modem.sent("AT%CMNG=3"), 0);
    assert!(!responses(&h.posts()[0].body)[0].is_error());
}

// --- config commands ------------------------------------------------------------------------

#[test]
fn config_errors_carry_the_negative_errno_as_u32() {
    let small = ClientConfig {
        max_config_key_len: 8,
        max_config_value_len: 4,
        ..ClientConfig::default()
    };
    let cases = [
        (
            config_cmd("c", &[("a/b", "1"), ("a/very-long-key", "1")]),
            "key [1](0-indexed) too big",
        ),
        (
            config_cmd("c", &[("a/b", "12345")]),
            "value [0](0-indexed) too big",
        ),
    ];
    for (cmd, message) in cases {
        let h = run_http(small.clone(), commands(&[cmd, finished("f")]), |_| {});
        assert_eq!(
            responses(&h.posts()[0].body),
            vec![Response::Error {
                id: id("c"),
                cme_error: 4_294_967_284,
                message: message.into()
            }]
        );
    }
    // A store that refuses writes.
    let mut h = Harness::with_settings(
        ClientConfig {
            scheduled: false,
            auto_start_on_init: false,
            ..ClientConfig::default()
        },
        StoredSettings::new().failing_writes(Errno::Enomem),
        1,
    );
    h.server.gets.push_back(http(
        200,
        commands(&[config_cmd("c", &[("x/y", "1")]), finished("f")]),
    ));
    h.run_once();
    assert_eq!(
        responses(&h.posts()[0].body),
        vec![Response::Error {
            id: id("c"),
            cme_error: Errno::Enomem.as_cme_quirk(),
            message: "unable to store [0](0-indexed) key-value-pair".into()
        }]
    );
    assert_eq!(Errno::Enomem.as_cme_quirk(), 4_294_967_284);
    assert!(h.stored.is_empty());
}

// --- stop at first failure, finished last, cursor ----------------------------------------

#[test]
fn processing_stops_at_the_first_failure_and_finished_is_not_acked() {
    let body = commands(&[
        at_cmd("a", "%XA", "1", &[]),
        at_cmd("b", "%XB", "1", &[]),
        at_cmd("c", "%XC", "1", &[]),
        finished("f"),
    ]);
    let h = run_http(ClientConfig::default(), body, |h| {
        h.modem
            .script("AT%XB", AtReply::Raw("+CME ERROR: 514\r\n".into()));
    });
    assert_eq!(h.modem.sent("AT%XC"), 0);
    let r = responses(&h.posts()[0].body);
    assert_eq!(r.len(), 2);
    assert!(!r[0].is_error() && r[1].is_error());
    assert_eq!(h.client.cursor(), "b");
    // Not finished: the loop fetched again after the failed command.
    assert_eq!(h.gets()[1].query()[0], ("after".into(), "b".into()));
    assert_eq!(h.client.last_result(), Some(Err(Errno::Enodata)));
}

#[test]
fn finished_is_acknowledged_last_wherever_it_is() {
    let body = commands(&[finished("f"), at_cmd("a", "%XA", "1", &[])]);
    let h = run_http(ClientConfig::default(), body, |_| {});
    let r = responses(&h.posts()[0].body);
    assert_eq!(
        r,
        vec![
            Response::AtOk {
                id: id("a"),
                message: "OK\r\n".into()
            },
            Response::FinishedAck { id: id("f") },
        ]
    );
    assert_eq!(h.client.cursor(), "a");
    assert_eq!(h.event_names().last(), Some(&"STOP"));
    assert!(h.event_names().contains(&"DONE"));
}

#[test]
fn cursor_is_persisted_only_after_done_and_only_when_configured() {
    let save = ClientConfig {
        save_cursor: true,
        ..ClientConfig::default()
    };
    // A failed batch: cursor advances in memory, nothing persisted.
    let body = commands(&[at_cmd("a", "%XA", "1", &[]), finished("f")]);
    let h = run_http(save.clone(), body.clone(), |h| {
        h.modem.script("AT%XA", AtReply::Raw("ERROR\r\n".into()));
    });
    assert_eq!(h.client.cursor(), "a");
    assert!(h.stored.is_empty());
    // A finished batch: persisted (no NUL).
    let h = run_http(save, body.clone(), |_| {});
    assert_eq!(
        h.stored,
        vec![("provisioning/after-correlation-id".into(), b"f".to_vec())]
    );
    // Not configured: never persisted.
    let h = run_http(ClientConfig::default(), body, |_| {});
    assert!(h.stored.is_empty());
    assert_eq!(h.client.cursor(), "f");
}

#[test]
fn stored_cursor_is_sent_as_after() {
    let stored = StoredSettings::new().with("provisioning/after-correlation-id", "abc.1\0");
    let mut h = Harness::with_settings(
        ClientConfig {
            scheduled: false,
            auto_start_on_init: false,
            ..ClientConfig::default()
        },
        stored,
        1,
    );
    h.run_once();
    assert!(h.gets()[0].path_and_query.contains("?after=abc.1&"));
}

// --- CMEE and LTE ----------------------------------------------------------------------------

#[test]
fn cmee_is_enabled_and_restored() {
    let h = run_http(ClientConfig::default(), vector("cmds3"), |h| {
        h.modem.cmee = 0
    });
    let cmee: Vec<&str> = h
        .modem
        .log
        .iter()
        .map(String::as_str)
        .filter(|l| l.starts_with("AT+CMEE"))
        .collect();
    assert_eq!(cmee, ["AT+CMEE?", "AT+CMEE=1", "AT+CMEE=0"]);
    let h = run_http(ClientConfig::default(), vector("cmds3"), |h| {
        h.modem.cmee = 1
    });
    let cmee: Vec<&str> = h
        .modem
        .log
        .iter()
        .map(String::as_str)
        .filter(|l| l.starts_with("AT+CMEE"))
        .collect();
    assert_eq!(cmee, ["AT+CMEE?", "AT+CMEE=1"]);
}

#[test]
fn an_offline_modem_needs_no_deactivation() {
    let h = run_http(ClientConfig::default(), vector("cmds3"), |h| {
        h.modem.cfun = 4
    });
    assert!(!h.event_names().iter().any(|n| n.starts_with("NEED_LTE")));
}

#[test]
fn activation_waits_for_the_network_then_settles_two_seconds() {
    let mut h = Harness::manual();
    h.lte_up_on_activate = false;
    h.server.gets.push_back(http(200, vector("cmds3")));
    h.server.gets.push_back(http(200, vector("cmds1")));
    h.init();
    h.trigger();
    let activated = h.now;
    h.run_for_secs(9);
    assert!(h.client.is_attempt_running());
    assert!(h.posts().is_empty());
    h.client.handle(h.now, Input::NetworkUp).unwrap();
    h.settle();
    // Back at 9 s, seen at the 10 s check, then 2 s to settle before the POST.
    assert_eq!(h.now.millis_since(activated), 12_000);
    assert_eq!(h.posts().len(), 2);
    assert_eq!(h.client.last_result(), Some(Ok(())));

    // Never back: ETIMEDOUT after 120 checks, nothing posted.
    let mut h = Harness::manual();
    h.lte_up_on_activate = false;
    h.server.gets.push_back(http(200, vector("cmds3")));
    h.run_once();
    assert_eq!(h.client.last_result(), Some(Err(Errno::Etimedout)));
    assert!(h.posts().is_empty());
}

// --- HTTP session ---------------------------------------------------------------------------

#[test]
fn a_lost_post_is_swallowed_and_the_loop_gets_again() {
    for failure in [
        http(500, vec![]),
        HttpScript::Fail(TransportFailure::Timeout),
    ] {
        let mut h = Harness::manual();
        h.server.gets.push_back(http(200, vector("cmds1")));
        h.server.posts.push_back(failure);
        h.run_once();
        assert_eq!(h.gets().len(), 2);
        assert_eq!(h.gets()[1].query()[0], ("after".into(), ID1.into()));
        assert_eq!(h.client.last_result(), Some(Err(Errno::Enodata)));
        assert_eq!(h.event_names(), ["START", "NO_COMMANDS", "STOP"]);
    }
}

#[test]
fn a_post_without_jwt_is_swallowed_too() {
    let mut h = Harness::manual();
    h.server.gets.push_back(http(200, vector("cmds1")));
    h.init();
    // CCLK for the wait, CCLK + JWT for the GET, then the CCLK of the POST's JWT fails.
    h.modem
        .script("AT%CCLK?", AtReply::Raw("%CCLK: \"x\"\r\nOK\r\n".into()));
    h.modem
        .script("AT%CCLK?", AtReply::Raw("%CCLK: \"x\"\r\nOK\r\n".into()));
    h.modem.script("AT%CCLK?", AtReply::Raw("ERROR\r\n".into()));
    h.trigger();
    h.settle();
    assert!(h.posts().is_empty());
    assert_eq!(h.gets().len(), 2);
    assert_eq!(h.client.last_result(), Some(Err(Errno::Enodata)));
}

#[test]
fn no_time_for_the_jwt_is_etime() {
    let mut h = Harness::manual();
    h.init();
    h.modem
        .script("AT%CCLK?", AtReply::Raw("%CCLK: \"x\"\r\nOK\r\n".into()));
    h.modem.script("AT%CCLK?", AtReply::Raw("ERROR\r\n".into()));
    h.trigger();
    h.settle();
    assert_eq!(h.client.last_result(), Some(Err(Errno::Etime)));
    assert_eq!(h.event_names(), ["START", "FAILED", "STOP"]);
}

#[test]
fn jwt_sec_tag_and_lifetime() {
    let h = run_http(
        ClientConfig {
            jwt_sec_tag: 7,
            jwt_lifetime_s: 500,
            ..ClientConfig::default()
        },
        vec![],
        |_| {},
    );
    assert_eq!(h.modem.sent("AT%JWT=0,360,\"\",\"\",7,2"), 1);
}

#[test]
fn a_body_larger_than_the_rx_buffer_is_too_many_commands() {
    let h = run_http(ClientConfig::default(), vec![0x80; 1025], |_| {});
    assert_eq!(h.client.last_result(), Some(Err(Errno::Enomem)));
}

#[test]
fn responses_larger_than_the_tx_buffer_end_with_enodata() {
    let tiny = ClientConfig {
        tx_buf_size: 64,
        at_cmd_max_len: 64,
        ..ClientConfig::default()
    };
    let h = run_http(tiny, vector("cmds3"), |_| {});
    assert_eq!(h.client.last_result(), Some(Err(Errno::Enodata)));
    assert!(h.posts().is_empty());
    assert!(h.event_names().contains(&"NO_COMMANDS"));
}

#[test]
fn v2_9_http_query() {
    let h = run_http(
        ClientConfig {
            generation: Generation::V2_9,
            modem_fw: "mfw_nrf9160_1.3.2-FOTA-TEST".into(),
            ..ClientConfig::default()
        },
        vec![],
        |_| {},
    );
    assert_eq!(
        h.server.http_log[0].path_and_query,
        "/v1/provisioning/commands?after=&rxMaxSize=1024&txMaxSize=2048&mver=1.3.2&cver=1"
    );
}

#[test]
fn v2_9_decode_errors_are_all_einval() {
    let h = run_http(
        ClientConfig {
            generation: Generation::V2_9,
            ..ClientConfig::default()
        },
        many_at_commands(11),
        |_| {},
    );
    assert_eq!(h.client.last_result(), Some(Err(Errno::Einval)));
}

#[test]
fn the_sample_takes_lte_off_around_the_batch_and_v2_9_reboots_after_done() {
    for (generation, reboots, app_lines) in [
        (Generation::Current, 0, &["AT+CFUN=4", "AT+CFUN=1"][..]),
        (
            Generation::V2_9,
            1,
            // Off and on around the batch; off before the reboot, on again after it.
            &["AT+CFUN=4", "AT+CFUN=1", "AT+CFUN=4", "AT+CFUN=1"][..],
        ),
    ] {
        let h = run_http(
            ClientConfig {
                generation,
                ..ClientConfig::default()
            },
            commands(&[at_cmd(ID1, "%XMODEMUUID", "", &[]), finished(ID2)]),
            |_| {},
        );
        assert!(h.main_events().contains(&"DONE"), "{generation:?}");
        assert_eq!(h.reboots, reboots, "{generation:?}");
        assert_eq!(h.modem.app_log, app_lines, "{generation:?}");
        assert_eq!(h.modem.cfun, 1, "{generation:?}");
    }
}

// --- CoAP session ---------------------------------------------------------------------------

fn big_commands() -> Vec<u8> {
    let params = format!("0,42,0,\"{}\"", "C".repeat(200));
    commands(&[
        at_cmd("one", "%CMNG", &params, &[]),
        at_cmd("two", "%CMNG", &params, &[]),
        at_cmd("three", "%CMNG", &params, &[]),
        finished("end"),
    ])
}

#[test]
fn coap_block2_transfer_is_reassembled() {
    let body = big_commands();
    assert!(body.len() > 512 && body.len() < 768);
    let mut h = Harness::manual_with(coap());
    h.server.script_coap("p/cmd", CoapScript::Body(body));
    h.run_once();
    let blocks: Vec<u32> = h
        .server
        .coap_log
        .iter()
        .filter(|r| r.path == "p/cmd")
        .map(|r| r.block2.unwrap().num)
        .collect();
    assert_eq!(blocks, [0, 1, 2]);
    assert_eq!(h.modem.sent("AT%CMNG=0,42,0"), 3);
    assert_eq!(h.client.last_result(), Some(Ok(())));
}

#[test]
fn coap_rx_overflow_is_enomem() {
    let mut h = Harness::manual_with(ClientConfig {
        rx_buf_size: 512,
        ..coap()
    });
    h.server
        .script_coap("p/cmd", CoapScript::Body(big_commands()));
    h.run_once();
    assert_eq!(h.client.last_result(), Some(Err(Errno::Enomem)));
    assert_eq!(h.main_events()[1], "FAILED_TOO_MANY_COMMANDS");
}

#[test]
fn coap_keep_open_suspends_instead_of_reconnecting() {
    let mut h = Harness::manual_with(ClientConfig {
        coap_keep_open: true,
        ..coap()
    });
    h.server
        .script_coap("p/cmd", CoapScript::Body(vector("cmds1")));
    h.run_once();
    assert_eq!(
        h.server.coap_paths(),
        ["p/auth-jwt", "p/cmd", "/.dtls/suspend", "p/rsp"]
    );
    assert!(!h.server.coap_log[2].confirmable);
    assert_eq!(h.server.connect_count, 1);
    assert_eq!(h.closes, 1);
    assert_eq!(h.client.last_result(), Some(Ok(())));
}

#[test]
fn coap_suspend_not_found_turns_keep_open_off() {
    let mut h = Harness::manual_with(ClientConfig {
        coap_keep_open: true,
        ..coap()
    });
    h.server
        .script_coap("p/cmd", CoapScript::Body(vector("cmds1")));
    h.server
        .script_coap("/.dtls/suspend", CoapScript::Code(CoapCode::NOT_FOUND));
    h.run_once();
    assert_eq!(
        h.server.coap_paths(),
        [
            "p/auth-jwt",
            "p/cmd",
            "/.dtls/suspend",
            "p/auth-jwt",
            "p/rsp"
        ]
    );
    assert_eq!(h.server.connect_count, 2);
}

#[test]
fn coap_keep_open_retries_a_failed_response_once_on_a_new_session() {
    let mut h = Harness::manual_with(ClientConfig {
        coap_keep_open: true,
        ..coap()
    });
    h.server
        .script_coap("p/cmd", CoapScript::Body(vector("cmds1")));
    h.server
        .script_coap("p/rsp", CoapScript::Code(CoapCode::INTERNAL_ERROR));
    h.run_once();
    assert_eq!(
        h.server.coap_paths(),
        [
            "p/auth-jwt",
            "p/cmd",
            "/.dtls/suspend",
            "p/rsp",
            "p/auth-jwt",
            "p/rsp"
        ]
    );
    assert_eq!(h.client.last_result(), Some(Ok(())));
    // A second failure is final.
    let mut h = Harness::manual_with(ClientConfig {
        coap_keep_open: true,
        ..coap()
    });
    h.server
        .script_coap("p/cmd", CoapScript::Body(vector("cmds1")));
    for _ in 0..2 {
        h.server
            .script_coap("p/rsp", CoapScript::Code(CoapCode::INTERNAL_ERROR));
    }
    h.run_once();
    assert_eq!(h.client.last_result(), Some(Err(Errno::Ebusy)));
}

#[test]
fn coap_unanswered_requests_are_retried_ten_times() {
    let mut h = Harness::manual_with(coap());
    for _ in 0..3 {
        h.server
            .script_coap("p/cmd", CoapScript::Fail(TransportFailure::Timeout));
    }
    h.init();
    h.trigger();
    let start = h.now;
    h.settle();
    assert_eq!(h.client.last_result(), Some(Err(Errno::Enodata)));
    assert_eq!(h.now.millis_since(start), 3 * 2000);

    let mut h = Harness::manual_with(coap());
    for _ in 0..11 {
        h.server
            .script_coap("p/cmd", CoapScript::Fail(TransportFailure::Timeout));
    }
    h.run_once();
    assert_eq!(h.client.last_result(), Some(Err(Errno::Eagain)));
    let gets = h
        .server
        .coap_log
        .iter()
        .filter(|r| r.path == "p/cmd")
        .count();
    assert_eq!(gets, 11);
    assert_eq!(h.event_names(), ["START", "FAILED", "STOP"]);
}

#[test]
fn coap_connect_failures() {
    for (failure, event, errno) in [
        (
            TransportFailure::HandshakeFailed,
            "FAILED_WRONG_ROOT_CA",
            Errno::Econnrefused,
        ),
        (
            TransportFailure::Refused,
            "FAILED_WRONG_ROOT_CA",
            Errno::Econnrefused,
        ),
        (TransportFailure::Timeout, "FAILED", Errno::Etimedout),
    ] {
        let mut h = Harness::manual_with(coap());
        h.server.connects.push_back(Err(failure));
        h.run_once();
        assert_eq!(h.client.last_result(), Some(Err(errno)));
        assert_eq!(h.main_events()[1], event);
        assert_eq!(h.modem.sent("AT%JWT"), 0, "the JWT comes after the connect");
        assert_eq!(h.closes, 0);
    }
}

#[test]
fn coap_v2_9_paths() {
    let mut h = Harness::manual_with(ClientConfig {
        generation: Generation::V2_9,
        modem_fw: "mfw_nrf9161_2.0.1".into(),
        ..coap()
    });
    h.run_once();
    assert_eq!(
        h.server.coap_log[0].path_and_query(),
        "p/auth-jwt?mver=2.0.1&cver=1"
    );
    assert_eq!(
        h.server.coap_log[1].path_and_query(),
        "p/cmd?after=&rxMaxSize=1024&txMaxSize=2048"
    );
}

#[test]
fn coap_block_out_of_order_is_invalid() {
    let mut h = Harness::manual_with(coap());
    h.server.script_coap(
        "p/cmd",
        CoapScript::Response(CoapResponse {
            code: CoapCode::CONTENT,
            payload: vec![1, 2, 3],
            block2: Some(Block2 {
                num: 2,
                more: false,
                szx: 4,
            }),
        }),
    );
    h.run_once();
    assert_eq!(h.client.last_result(), Some(Err(Errno::Einval)));
}

// --- inputs -----------------------------------------------------------------------------------

#[test]
fn mismatched_inputs_are_typed_errors_and_change_nothing() {
    let mut h = Harness::manual();
    h.init();
    h.client.trigger_manually(h.now).unwrap();
    assert_eq!(h.client.poll_action(), Some(Action::Event(Event::Start)));
    assert_eq!(
        h.client.poll_action(),
        Some(Action::SendAt("AT%CCLK?".into()))
    );
    assert_eq!(h.client.awaiting(), Awaiting::AtAnswer);
    let err = h
        .client
        .handle(h.now, Input::Http(HttpResponse::default()))
        .unwrap_err();
    assert_eq!(
        err,
        InputError::Unexpected {
            awaiting: Awaiting::AtAnswer,
            got: "HTTP response"
        }
    );
    assert!(matches!(
        h.client.handle(h.now, Input::at_raw("garbage")),
        Err(InputError::MalformedAtAnswer(_))
    ));
    assert!(h.client.handle(h.now, Input::CoapConnected).is_err());
    assert_eq!(h.client.awaiting(), Awaiting::AtAnswer);
    assert_eq!(h.client.poll_action(), None);
    // The right answer still works.
    h.client
        .handle(h.now, Input::at_result(AtStatus::Ok, "OK\r\n"))
        .unwrap();
    assert_eq!(
        h.client.poll_action(),
        Some(Action::SendAt("AT%CCLK?".into()))
    );
}

#[test]
fn answers_without_a_request_are_refused() {
    let mut h = Harness::manual();
    h.init();
    assert!(h.client.handle(h.now, Input::at_raw("OK\r\n")).is_err());
    assert!(h
        .client
        .handle(h.now, Input::TransportFailed(TransportFailure::Closed))
        .is_err());
    assert!(h.client.handle(h.now, Input::NetworkDown).is_ok());
    assert!(h.client.handle(h.now, Input::NetworkTime(true)).is_ok());
}

#[test]
fn parsed_answers_are_accepted() {
    use provlab_proto::at::Answer;
    let mut h = Harness::manual();
    h.init();
    h.client.trigger_manually(h.now).unwrap();
    while h.client.poll_action().is_some() {}
    h.client
        .handle(
            h.now,
            Input::at_answer(&Answer::ok().with_info("%CCLK: \"x\"")),
        )
        .unwrap();
    assert_eq!(
        h.client.poll_action(),
        Some(Action::SendAt("AT%CCLK?".into()))
    );
}
