//! One test per line of `docs/spec/client-test-checklist.md`, named by its key, using the
//! SDK's vectors byte for byte.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use crate::support;

use provlab_client::schedule::{spread_from_draw, Scheduler};
use provlab_client::{
    Action, ApiError, AtStatus, Client, ClientConfig, CoapCode, CoapMethod, Errno, Event,
    Generation, StoredSettings, Timestamp, TransportFailure, TransportKind, CONTENT_FORMAT_CBOR,
};
use support::*;

fn coap_config() -> ClientConfig {
    ClientConfig {
        transport: TransportKind::Coap,
        ..ClientConfig::default()
    }
}

/// A manual-mode harness whose server answers the first GET with `status` and `body`.
fn http_once(status: u16, body: Vec<u8>) -> Harness {
    let mut h = Harness::manual();
    h.server.gets.push_back(http(status, body));
    h.run_once();
    h
}

/// A manual-mode CoAP harness with a first answer for `path`.
fn coap_once(path: &str, script: CoapScript) -> Harness {
    let mut h = Harness::manual_with(coap_config());
    h.server.script_coap(path, script);
    h.run_once();
    h
}

// ---------------------------------------------------------------------------------------
// HTTP transport and codec
// ---------------------------------------------------------------------------------------

#[test]
fn http_commands_auth_hdr_valid() {
    let h = http_once(204, vec![]);
    let get = h.gets()[0];
    let bearer = format!("Bearer {JWT}");
    let matching = get
        .headers
        .iter()
        .filter(|(n, v)| n == "Authorization" && *v == bearer)
        .count();
    assert_eq!(matching, 1);
    // Header order of the GET, as the SDK sends it.
    let names: Vec<&str> = get.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "Accept",
            "Authorization",
            "Content-Type",
            "User-Agent",
            "Connection"
        ]
    );
    assert_eq!(get.header("Accept"), Some("application/cbor"));
    assert_eq!(get.header("Content-Type"), Some("*/*"));
    assert_eq!(get.header("Connection"), Some("close"));
    // The JWT came from the modem, with the default lifetime, after a time check.
    assert_eq!(h.modem.sent("AT%JWT=0,300,\"\",\"\""), 1);
}

#[test]
fn http_commands_auth_hdr_invalid() {
    let h = http_once(204, vec![]);
    let get = h.gets()[0];
    for (name, value) in &get.headers {
        assert_ne!(value, JWT, "bare token in {name}");
        assert!(!value.contains("att."), "att.-prefixed token in {name}");
        assert!(!name.contains(JWT));
    }
}

#[test]
fn http_commands_url_valid() {
    let h = http_once(204, vec![]);
    let get = h.gets()[0];
    assert_eq!(get.path(), "/v1/provisioning/commands");
    let query = get.query();
    let names: Vec<&str> = query.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["after", "rxMaxSize", "txMaxSize", "mver", "cver", "limit"]
    );
    assert!(query.len() <= 6);
    let c = ClientConfig::default();
    let value = |n: &str| query.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    assert_eq!(value("after").as_deref(), Some(""));
    assert_eq!(value("rxMaxSize"), Some(c.rx_buf_size.to_string()));
    assert_eq!(value("txMaxSize"), Some(c.tx_buf_size.to_string()));
    assert_eq!(value("mver"), Some(c.modem_fw.clone()));
    assert_eq!(value("cver"), Some(c.client_version.clone()));
    assert_eq!(value("limit"), Some(c.records_limit.to_string()));
}

#[test]
fn http_commands_no_content_valid() {
    let h = http_once(204, vec![]);
    assert_eq!(h.server.http_log.len(), 1);
    assert_eq!(h.client.last_result(), Some(Err(Errno::Enodata)));
    assert_eq!(h.main_events(), ["START", "NO_COMMANDS", "STOP"]);
}

#[test]
fn http_commands_internal_server_error_invalid() {
    let h = http_once(500, vec![]);
    assert_eq!(h.client.last_result(), Some(Err(Errno::Ebusy)));
    assert_eq!(h.main_events(), ["START", "FAILED", "STOP"]);
}

#[test]
fn http_commands_unknown_error_invalid() {
    // 501: not a status the library knows.
    let h = http_once(501, vec![]);
    assert_eq!(h.client.last_result(), Some(Err(Errno::Enotsup)));
    assert_eq!(h.main_events(), ["START", "FAILED", "STOP"]);
    // The SDK test's first case is NRF_PROVISIONING_HTTP_STATUS_UNHANDLED (-1), a status the
    // REST client could not make sense of: here, a number that is no HTTP status.
    let h = http_once(999, vec![]);
    assert_eq!(h.client.last_result(), Some(Err(Errno::Enotsup)));
    // No status at all (socket closed, status 0) is ESHUTDOWN per the spec.
    let mut h = Harness::manual();
    h.server
        .gets
        .push_back(HttpScript::Respond(provlab_client::HttpResponse {
            status: None,
            body: vec![],
        }));
    h.run_once();
    assert_eq!(h.client.last_result(), Some(Err(Errno::Eshutdown)));
    assert_eq!(h.main_events(), ["START", "FAILED", "STOP"]);
}

#[test]
fn http_responses_valid() {
    let h = http_once(200, vector("cmds1"));
    let posts = h.posts();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].body, vector("rsps1"));
    let names: Vec<&str> = posts[0].headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "Content-Type",
            "Accept",
            "Authorization",
            "User-Agent",
            "Connection"
        ]
    );
    assert_eq!(posts[0].header("Content-Type"), Some("application/cbor"));
    assert_eq!(posts[0].header("Accept"), Some("*/*"));
    assert_eq!(h.client.last_result(), Some(Ok(())));
    // A fresh JWT for each request.
    assert_eq!(h.modem.sent("AT%JWT="), 2);
}

#[test]
fn codec_finished_valid() {
    let h = http_once(200, vector("cmds1"));
    assert_eq!(h.posts()[0].body, vector("rsps1"));
    assert_eq!(h.client.last_result(), Some(Ok(())));
    assert!(h.main_events().contains(&"DONE"));
    // Only the CMEE handling touched the modem for a finished-only batch.
    assert_eq!(h.modem.sent("AT+CFUN"), 0);
    assert_eq!(h.modem.sent("AT+CMEE?"), 1);
    assert_eq!(h.client.cursor(), ID1);
}

#[test]
fn codec_priv_keygen_valid() {
    let mut h = Harness::manual();
    h.server.gets.push_back(http(200, vector("cmds2")));
    // As the SDK test mocks it: 513 (ignored), then OK with an empty buffer.
    h.modem
        .script_result("AT%CMNG=3,16842753,2", AtStatus::CmeError(513), "");
    h.modem
        .script_result("AT%KEYGEN=16842753,2,1", AtStatus::Ok, "");
    h.run_once();
    assert_eq!(h.posts()[0].body, vector("rsps2"));
    assert_eq!(h.modem.sent("AT%KEYGEN=16842753,2,1"), 1);
}

#[test]
fn codec_priv_keygen_rejected_invalid() {
    let mut h = Harness::manual();
    h.server.gets.push_back(http(200, vector("cmds2")));
    h.modem
        .script_result("AT%CMNG=3,16842753,2", AtStatus::CmeError(514), "");
    h.run_once();
    assert_eq!(h.posts()[0].body, vector("rsps2_cmee514"));
    assert_eq!(h.modem.sent("AT%KEYGEN"), 0);
    // The cursor still moved past the failed command.
    assert_eq!(h.client.cursor(), ID2S);
}

#[test]
fn codec_endorsement_keygen_valid() {
    let mut h = Harness::manual();
    h.server.gets.push_back(http(200, vector("cmds3")));
    h.modem
        .script_result("AT%KEYGEN=16842753,8,1", AtStatus::Ok, "");
    h.run_once();
    assert_eq!(h.posts()[0].body, vector("rsps3"));
}

#[test]
fn codec_endorsement_keygen_invalid() {
    let mut h = Harness::manual();
    h.server.gets.push_back(http(200, vector("cmds3")));
    h.modem
        .script_result("AT%KEYGEN=16842753,8,1", AtStatus::Error, "ERROR");
    h.run_once();
    assert_eq!(h.posts()[0].body, vector("rsps3_at_failure"));
}

#[test]
fn codec_config_store1_valid() {
    for (generation, stored) in [
        (Generation::Current, b"99".to_vec()),
        (Generation::V2_9, b"99\0".to_vec()),
    ] {
        let mut h = Harness::manual_with(ClientConfig {
            generation,
            ..ClientConfig::default()
        });
        h.server.gets.push_back(http(200, vector("cmds4")));
        h.run_once();
        assert_eq!(
            h.stored,
            vec![("provisioning/interval-sec".to_owned(), stored.clone())]
        );
        assert_eq!(
            h.client.settings().get("provisioning/interval-sec"),
            Some(&stored[..])
        );
        assert_eq!(h.posts()[0].body, vector("rsps4"));
        // Config commands do not need the modem offline.
        assert!(!h.event_names().contains(&"NEED_LTE_DEACTIVATED"));
    }
}

#[test]
fn codec_empty_array_invalid() {
    assert_eq!(vector("empty_array"), vec![0x80]);
    for body in [vector("empty_array"), Vec::new()] {
        let h = http_once(200, body);
        assert_eq!(h.client.last_result(), Some(Err(Errno::Einval)));
        assert!(h.posts().is_empty());
        assert_eq!(h.main_events(), ["START", "FAILED", "STOP"]);
    }
}

#[test]
fn codec_modem_unresponsive_invalid() {
    let mut h = Harness::manual();
    h.app_handles_lte = false; // the modem never goes offline
    h.server.gets.push_back(http(200, vector("cmds3")));
    h.init();
    h.trigger();
    let start = h.now;
    h.settle();
    assert_eq!(h.client.last_result(), Some(Err(Errno::Etimedout)));
    assert!(h.posts().is_empty(), "nothing encoded, nothing sent");
    assert_eq!(h.modem.sent("AT%KEYGEN"), 0);
    assert_eq!(h.now.millis_since(start), 120_000);
    assert_eq!(
        h.event_names(),
        ["START", "NEED_LTE_DEACTIVATED", "FAILED", "STOP"]
    );
}

// ---------------------------------------------------------------------------------------
// State machine (events)
// ---------------------------------------------------------------------------------------

#[test]
fn manual_uninitialized_invalid() {
    let mut c = Client::new(ClientConfig::default(), StoredSettings::new(), 0);
    let err = c.trigger_manually(Timestamp::ZERO).unwrap_err();
    assert_eq!(err, ApiError::NotInitialized);
    assert_eq!(err.errno(), Errno::Efault);
    assert_eq!(c.poll_action(), None);
}

#[test]
fn init_wo_cert_change_valid() {
    let mut h = Harness::manual();
    h.init();
    assert!(h.events.is_empty());
    h.trigger();
    h.settle();
    assert_eq!(h.event_names(), ["START", "NO_COMMANDS", "STOP"]);
    h.run_for_secs(10 * 86_400);
    assert_eq!(h.event_names(), ["START", "NO_COMMANDS", "STOP"]);
    assert_eq!(h.client.poll_timeout(), None);
}

#[test]
fn task_valid() {
    let h = http_once(204, vec![]);
    assert_eq!(h.event_names(), ["START", "NO_COMMANDS", "STOP"]);
}

#[test]
fn task_server_busy_invalid() {
    let mut h = Harness::manual();
    h.server.gets.push_back(http(500, vec![]));
    h.server.gets.push_back(http(204, vec![]));
    h.run_once();
    h.trigger();
    h.settle();
    assert_eq!(
        h.event_names(),
        ["START", "FAILED", "STOP", "START", "NO_COMMANDS", "STOP"]
    );
    assert_eq!(h.gets().len(), 2);
}

#[test]
fn event_failed_device_not_claimed() {
    let h = http_once(403, vec![]);
    assert_eq!(
        h.event_names(),
        ["START", "FAILED_DEVICE_NOT_CLAIMED", "STOP"]
    );
    let token = h.events.iter().find_map(|(_, e)| match e {
        Event::FailedDeviceNotClaimed { token } => token.clone(),
        _ => None,
    });
    assert_eq!(token.map(|t| t.claim_token()), Some(attest_token_vector()));
    // 401 is not-claimed too.
    let h = http_once(401, vec![]);
    assert_eq!(h.main_events()[1], "FAILED_DEVICE_NOT_CLAIMED");
}

#[test]
fn event_failed_too_many_commands() {
    let limit = ClientConfig::default().records_limit;
    let h = http_once(200, many_at_commands(limit + 1));
    assert_eq!(
        h.event_names(),
        ["START", "FAILED_TOO_MANY_COMMANDS", "STOP"]
    );
    assert_eq!(h.client.last_result(), Some(Err(Errno::Enomem)));
    assert!(h.posts().is_empty());
}

#[test]
fn event_failed_wrong_root_ca() {
    let mut h = Harness::manual();
    h.server
        .gets
        .push_back(HttpScript::Fail(TransportFailure::HandshakeFailed));
    h.run_once();
    assert_eq!(h.event_names(), ["START", "FAILED_WRONG_ROOT_CA", "STOP"]);
    assert_eq!(h.client.last_result(), Some(Err(Errno::Econnrefused)));
}

#[test]
fn event_failed_no_valid_datetime() {
    let mut h = Harness::manual();
    h.modem.has_time = false;
    h.init();
    h.trigger();
    let start = h.now;
    h.settle();
    assert_eq!(
        h.event_names(),
        ["START", "FAILED_NO_VALID_DATETIME", "STOP"]
    );
    assert_eq!(h.now.millis_since(start), 60_000);
    assert_eq!(h.modem.sent("AT%CCLK?"), 60);
    assert!(h.server.http_log.is_empty());
}

#[test]
fn event_failed_timeout() {
    let mut h = Harness::manual();
    h.server
        .gets
        .push_back(HttpScript::Fail(TransportFailure::Timeout));
    h.run_once();
    assert_eq!(h.event_names(), ["START", "FAILED", "STOP"]);
    assert_eq!(h.client.last_result(), Some(Err(Errno::Etimedout)));
}

#[test]
fn event_done() {
    let h = http_once(200, vector("cmds1"));
    assert_eq!(h.event_names(), ["START", "DONE", "STOP"]);
}

#[test]
fn event_lte_deactivation_activation() {
    let mut h = Harness::manual();
    h.server.gets.push_back(http(200, vector("cmds3")));
    h.run_once();
    let deact = h
        .index_of(&Action::Event(Event::NeedLteDeactivated))
        .unwrap();
    let keygen = h
        .index_of(&Action::SendAt("AT%KEYGEN=16842753,8,1".into()))
        .unwrap();
    let act = h.index_of(&Action::Event(Event::NeedLteActivated)).unwrap();
    assert!(deact < keygen && keygen < act);
    assert_eq!(
        h.event_names(),
        [
            "START",
            "NEED_LTE_DEACTIVATED",
            "NEED_LTE_ACTIVATED",
            "NO_COMMANDS",
            "STOP"
        ]
    );
    // The batch had no finished: the next GET came back empty.
    assert_eq!(h.client.last_result(), Some(Err(Errno::Enodata)));
}

#[test]
fn event_failed_device_not_claimed_with_token() {
    let h = http_once(403, vec![]);
    let token = h
        .events
        .iter()
        .find_map(|(_, e)| match e {
            Event::FailedDeviceNotClaimed { token } => token.clone(),
            _ => None,
        })
        .unwrap();
    let full = attest_token_vector();
    let (attest, cose) = full.split_once('.').unwrap();
    assert_eq!(token.attest, attest);
    assert_eq!(token.cose, cose);
    assert_eq!(h.modem.sent("AT%ATTESTTOKEN"), 1);
}

// ---------------------------------------------------------------------------------------
// CoAP transport
// ---------------------------------------------------------------------------------------

#[test]
fn coap_auth_valid() {
    let h = coap_once("p/cmd", CoapScript::Body(vec![]));
    let auth = &h.server.coap_log[0];
    let c = ClientConfig::default();
    assert_eq!(
        auth.path_and_query(),
        format!("p/auth-jwt?mver={}&cver={}", c.modem_fw, c.client_version)
    );
    assert_eq!(auth.payload, JWT.as_bytes());
    assert_eq!(auth.method, CoapMethod::Post);
    assert!(auth.confirmable);
    assert_eq!(auth.content_format, CONTENT_FORMAT_CBOR);
    // One JWT for the whole session.
    assert_eq!(h.modem.sent("AT%JWT="), 1);
}

#[test]
fn coap_auth_failed() {
    let h = coap_once("p/auth-jwt", CoapScript::Code(CoapCode::FORBIDDEN));
    assert_eq!(h.client.last_result(), Some(Err(Errno::Eperm)));
    assert_eq!(h.event_names(), ["START", "FAILED", "STOP"]);
    let mut h = Harness::manual_with(ClientConfig {
        generation: Generation::V2_9,
        ..coap_config()
    });
    h.server
        .script_coap("p/auth-jwt", CoapScript::Code(CoapCode::FORBIDDEN));
    h.run_once();
    assert_eq!(h.client.last_result(), Some(Err(Errno::Eacces)));
    assert_eq!(h.main_events()[1], "FAILED_DEVICE_NOT_CLAIMED");
}

#[test]
fn coap_auth_server_error() {
    let h = coap_once("p/auth-jwt", CoapScript::Code(CoapCode::INTERNAL_ERROR));
    assert_eq!(h.client.last_result(), Some(Err(Errno::Ebusy)));
}

#[test]
fn coap_auth_unsupported_code() {
    let h = coap_once("p/auth-jwt", CoapScript::Code(CoapCode(10)));
    assert_eq!(h.client.last_result(), Some(Err(Errno::Enotsup)));
}

#[test]
fn coap_no_more_commands() {
    let h = coap_once("p/cmd", CoapScript::Body(vec![]));
    assert_eq!(h.client.last_result(), Some(Err(Errno::Enodata)));
    assert_eq!(h.event_names(), ["START", "NO_COMMANDS", "STOP"]);
    assert_eq!(h.server.coap_paths(), ["p/auth-jwt", "p/cmd"]);
}

#[test]
fn coap_cmds_valid_path() {
    let h = coap_once("p/cmd", CoapScript::Body(vec![]));
    let get = &h.server.coap_log[1];
    let c = ClientConfig::default();
    assert_eq!(
        get.path_and_query(),
        format!(
            "p/cmd?after=&rxMaxSize={}&txMaxSize={}&limit={}",
            c.rx_buf_size, c.tx_buf_size, c.records_limit
        )
    );
    assert_eq!(get.method, CoapMethod::Get);
    assert_eq!(get.content_format, CONTENT_FORMAT_CBOR);
    assert_eq!(get.block2.map(|b| b.num), Some(0));
}

#[test]
fn coap_cmds_bad_request() {
    let h = coap_once("p/cmd", CoapScript::Code(CoapCode::BAD_REQUEST));
    assert_eq!(h.client.last_result(), Some(Err(Errno::Einval)));
}

#[test]
fn coap_cmds_server_error() {
    let h = coap_once("p/cmd", CoapScript::Code(CoapCode::INTERNAL_ERROR));
    assert_eq!(h.client.last_result(), Some(Err(Errno::Ebusy)));
}

#[test]
fn coap_cmds_unsupported_code() {
    let h = coap_once("p/cmd", CoapScript::Code(CoapCode(10)));
    assert_eq!(h.client.last_result(), Some(Err(Errno::Enotsup)));
}

#[test]
fn coap_task_valid() {
    let mut h = Harness::manual_with(ClientConfig {
        save_cursor: true,
        ..coap_config()
    });
    h.server
        .script_coap("p/cmd", CoapScript::Body(vector("cmds1")));
    h.run_once();
    assert_eq!(
        h.server.coap_paths(),
        ["p/auth-jwt", "p/cmd", "p/auth-jwt", "p/rsp"]
    );
    assert_eq!(h.server.coap_log[3].payload, vector("rsps1"));
    assert_eq!(
        h.stored,
        vec![(
            "provisioning/after-correlation-id".to_owned(),
            ID1.as_bytes().to_vec()
        )]
    );
    assert_eq!(h.event_names(), ["START", "DONE", "STOP"]);
    assert_eq!(h.server.connect_count, 2);
    assert_eq!(h.closes, 2);
}

#[test]
fn coap_commands() {
    let mut h = Harness::manual_with(coap_config());
    h.server
        .script_coap("p/cmd", CoapScript::Body(vector("cmds2")));
    h.modem
        .script_result("AT%CMNG=3,16842753,2", AtStatus::CmeError(513), "");
    h.modem
        .script_result("AT%KEYGEN=16842753,2,1", AtStatus::Ok, "");
    h.run_once();
    assert_eq!(
        h.server.coap_paths(),
        [
            "p/auth-jwt",
            "p/cmd",
            "p/auth-jwt",
            "p/rsp",
            "p/auth-jwt",
            "p/cmd"
        ]
    );
    assert_eq!(h.server.coap_log[3].payload, vector("rsps2"));
    assert_eq!(h.main_events(), ["START", "NO_COMMANDS", "STOP"]);
    // The second GET asks after the last executed command.
    assert!(h.server.coap_log[5]
        .query
        .starts_with(&format!("after={ID2}&")));
}

#[test]
fn coap_rsp_bad_request() {
    let mut h = Harness::manual_with(coap_config());
    h.server
        .script_coap("p/cmd", CoapScript::Body(vector("cmds1")));
    h.server
        .script_coap("p/rsp", CoapScript::Code(CoapCode::BAD_REQUEST));
    h.run_once();
    assert_eq!(h.client.last_result(), Some(Err(Errno::Einval)));
}

#[test]
fn coap_rsp_server_error() {
    let mut h = Harness::manual_with(coap_config());
    h.server
        .script_coap("p/cmd", CoapScript::Body(vector("cmds1")));
    h.server
        .script_coap("p/rsp", CoapScript::Code(CoapCode::INTERNAL_ERROR));
    h.run_once();
    assert_eq!(h.client.last_result(), Some(Err(Errno::Ebusy)));
}

#[test]
fn coap_rsp_unsupported_code() {
    let mut h = Harness::manual_with(coap_config());
    h.server
        .script_coap("p/cmd", CoapScript::Body(vector("cmds1")));
    h.server
        .script_coap("p/rsp", CoapScript::Code(CoapCode(10)));
    h.run_once();
    assert_eq!(h.client.last_result(), Some(Err(Errno::Enotsup)));
}

// ---------------------------------------------------------------------------------------
// Scheduling
// ---------------------------------------------------------------------------------------

#[test]
fn schedule_valid() {
    // The SDK test's second `nrf_provisioning_schedule` call with network time.
    let c = ClientConfig {
        spread_s: 5,
        ..ClientConfig::default()
    };
    for draw in 0..100u32 {
        let spread = spread_from_draw(draw.wrapping_mul(2_654_435_761), c.spread_s);
        let mut s = Scheduler::new();
        let mut interval = 0;
        let _ = s.next_delay(
            Some(1_700_000_000),
            true,
            &mut interval,
            c.interval_s,
            spread,
        );
        let t = s.next_delay(
            Some(1_700_000_010),
            true,
            &mut interval,
            c.interval_s,
            spread,
        );
        assert!(t <= c.interval_s + c.spread_s, "{t}");
    }
}

#[test]
fn schedule_no_nw_time_valid() {
    // The second call without network time (`date_time_now` fails).
    let c = ClientConfig {
        spread_s: 5,
        ..ClientConfig::default()
    };
    for draw in 0..100u32 {
        let spread = spread_from_draw(draw.wrapping_mul(2_654_435_761), c.spread_s);
        let mut s = Scheduler::new();
        let mut interval = 0;
        let _ = s.next_delay(
            Some(1_700_000_000),
            true,
            &mut interval,
            c.interval_s,
            spread,
        );
        let t = s.next_delay(None, true, &mut interval, c.interval_s, spread);
        assert!(t > 0 && t <= c.interval_s + c.spread_s, "{t}");
    }
}

#[test]
fn init_should_start_provisioning() {
    let config = ClientConfig {
        interval_s: 120,
        initial_backoff_s: 10,
        spread_s: 2,
        scheduled: true,
        auto_start_on_init: true,
        ..ClientConfig::default()
    };
    let max = config.interval_s + config.spread_s;
    let mut h = Harness::with_settings(config, StoredSettings::new(), 42);
    h.init();
    let is = |name: &'static str| move |e: &Event| e.name() == name;
    for round in 0..100usize {
        let scenario = round % 6;
        // Script the server for this round before it is due.
        match scenario {
            0 => h.server.gets.push_back(http(204, vec![])),
            1 => h.server.gets.push_back(http(403, vec![])),
            2 => h.server.gets.push_back(http(
                200,
                many_at_commands(ClientConfig::default().records_limit + 1),
            )),
            3 => h.server.gets.push_back(http(200, vector("cmds1"))),
            4 => h
                .server
                .gets
                .push_back(HttpScript::Fail(TransportFailure::HandshakeFailed)),
            _ => {
                h.server
                    .gets
                    .push_back(HttpScript::Fail(TransportFailure::Timeout));
                h.server.gets.push_back(http(204, vec![]));
            }
        }
        assert!(h.run_until_event(is("SCHEDULED_PROVISIONING"), round + 1, Timestamp(u64::MAX)));
        let delay = *h.scheduled_delays().last().unwrap();
        assert!(delay <= max, "round {round}: {delay}");
        assert_eq!(h.scheduled_delays().len(), round + 1);
        // Silence until due, then START.
        let events_before = h.events.len();
        let scheduled_at = h.now;
        h.run_until(scheduled_at.plus_secs(delay));
        let starts = h.events[events_before..]
            .iter()
            .filter(|(_, e)| *e == Event::Start)
            .count();
        assert_eq!(starts, 1, "round {round}");
        assert_eq!(h.events[events_before].0, scheduled_at.plus_secs(delay));
        assert_eq!(h.events[events_before].1, Event::Start);
        h.settle();
        let names: Vec<&str> = h.events[events_before..]
            .iter()
            .map(|(_, e)| e.name())
            .filter(|n| !n.starts_with("NEED_LTE"))
            .collect();
        let expected: &[&str] = match scenario {
            0 => &["START", "NO_COMMANDS", "STOP"],
            1 => &["START", "FAILED_DEVICE_NOT_CLAIMED", "STOP"],
            2 => &["START", "FAILED_TOO_MANY_COMMANDS", "STOP"],
            3 => &["START", "DONE", "STOP"],
            4 => &["START", "FAILED_WRONG_ROOT_CA", "STOP"],
            _ => &["START", "FAILED", "STOP"],
        };
        assert_eq!(&names[..3], expected, "round {round}");
        if scenario == 5 {
            // Automatic backoff retry after 10 s, without a SCHEDULED event.
            let stop_at = h.now;
            let stop_index = h.events.len();
            assert!(h.run_until_event(is("START"), h.start_times().len() + 1, Timestamp(u64::MAX)));
            h.settle();
            let retry: Vec<(Timestamp, &str)> = h.events[stop_index..]
                .iter()
                .map(|(t, e)| (*t, e.name()))
                .collect();
            assert_eq!(
                retry,
                [
                    (stop_at.plus_secs(10), "START"),
                    (stop_at.plus_secs(10), "NO_COMMANDS"),
                    (stop_at.plus_secs(10), "STOP"),
                    (stop_at.plus_secs(10), "SCHEDULED_PROVISIONING"),
                ]
            );
        }
    }
}
