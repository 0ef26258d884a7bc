//! Every scheduling rule of device-protocol.md §6, through the whole client in virtual time
//! and on the pure scheduler.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use crate::support;

use provlab_client::schedule::{spread_from_draw, Backoff, Scheduler};
use provlab_client::{
    Action, ApiError, Client, ClientConfig, Errno, Event, Input, StoredSettings, Timestamp,
    TransportFailure,
};
use support::*;

fn scheduled(interval_s: u64, spread_s: u64) -> ClientConfig {
    ClientConfig {
        interval_s,
        spread_s,
        scheduled: true,
        auto_start_on_init: true,
        ..ClientConfig::default()
    }
}

fn is(name: &'static str) -> impl Fn(&Event) -> bool {
    move |e: &Event| e.name() == name
}

const FOREVER: Timestamp = Timestamp(u64::MAX);

#[test]
fn first_attempt_runs_after_the_initial_second_plus_the_spread_only() {
    for seed in 0..50 {
        let mut h = Harness::with_settings(scheduled(86_400, 5), StoredSettings::new(), seed);
        h.init();
        let first = h.scheduled_delays()[0];
        // The SDK's `static time_t retry_s = 1` plus `rand() % SPREAD`: no interval.
        assert!((1..=5).contains(&first), "seed {seed}: {first}");
        assert!(h.run_until_event(is("START"), 1, FOREVER));
        assert_eq!(h.now, Timestamp::from_secs(first));
    }
}

#[test]
fn without_network_time_the_delay_doubles_from_one_second_capped_at_the_interval() {
    let mut h = Harness::new(scheduled(100, 0));
    h.forget_time_on_http = true;
    h.init();
    for n in 1..10 {
        assert!(h.run_until_event(is("SCHEDULED_PROVISIONING"), n + 1, FOREVER));
    }
    assert_eq!(
        h.scheduled_delays(),
        [1, 2, 4, 8, 16, 32, 64, 100, 100, 100]
    );
}

#[test]
fn spread_is_added_to_the_doubling_retry_itself() {
    // The SDK adds the spread to its static retry, so the next doubling includes it.
    let mut s = Scheduler::new();
    let mut interval = 0;
    assert_eq!(s.next_delay(None, true, &mut interval, 1000, 3), 4);
    assert_eq!(s.next_delay(None, true, &mut interval, 1000, 1), 9);
    assert_eq!(s.next_delay(None, true, &mut interval, 1000, 0), 18);
}

#[test]
fn with_network_time_the_next_attempt_is_interval_plus_spread() {
    for seed in 0..20 {
        let mut h = Harness::with_settings(scheduled(600, 7), StoredSettings::new(), seed);
        h.init();
        assert!(h.run_until_event(is("SCHEDULED_PROVISIONING"), 4, FOREVER));
        for &d in &h.scheduled_delays()[1..] {
            assert!((600..607).contains(&d), "seed {seed}: {d}");
        }
        // The attempts start exactly when scheduled.
        let starts = h.start_times();
        let delays = h.scheduled_delays();
        assert_eq!(starts[1] - starts[0], delays[1]);
        assert_eq!(starts[2] - starts[1], delays[2]);
    }
}

#[test]
fn spread_of_zero_adds_nothing() {
    let mut h = Harness::new(scheduled(300, 0));
    h.init();
    assert!(h.run_until_event(is("SCHEDULED_PROVISIONING"), 3, FOREVER));
    assert_eq!(h.scheduled_delays(), [1, 300, 300]);
    assert_eq!(spread_from_draw(u32::MAX, 0), 0);
}

#[test]
fn busy_backs_off_from_60_s_doubling_to_24_h_without_scheduled_events() {
    let mut h = Harness::new(scheduled(86_400, 0));
    for _ in 0..14 {
        h.server.gets.push_back(http(500, vec![]));
    }
    h.init();
    assert!(h.run_until_event(is("START"), 15, FOREVER));
    let starts = h.start_times();
    let gaps: Vec<u64> = starts.windows(2).map(|w| w[1] - w[0]).collect();
    assert_eq!(
        gaps,
        [60, 120, 240, 480, 960, 1920, 3840, 7680, 15360, 30720, 61440, 86_400, 86_400, 86_400]
    );
    // Only the initial schedule produced a SCHEDULED_PROVISIONING event before the last
    // attempt; its success (204) ends the backoff, back to scheduling with an event.
    let scheduled_at: Vec<u64> = h
        .events
        .iter()
        .filter(|(_, e)| e.name() == "SCHEDULED_PROVISIONING")
        .map(|(t, _)| t.as_secs())
        .collect();
    assert_eq!(scheduled_at, [0, *starts.last().unwrap()]);
    assert_eq!(h.scheduled_delays(), [1, 86_400]);
}

#[test]
fn timeout_backs_off_like_busy() {
    let mut h = Harness::new(scheduled(86_400, 0));
    for _ in 0..3 {
        h.server
            .gets
            .push_back(HttpScript::Fail(TransportFailure::Timeout));
    }
    h.init();
    assert!(h.run_until_event(is("START"), 4, FOREVER));
    let starts = h.start_times();
    assert_eq!(starts[1] - starts[0], 60);
    assert_eq!(starts[2] - starts[1], 120);
    assert_eq!(starts[3] - starts[2], 240);
    // No SCHEDULED_PROVISIONING between the failures; the final 204 schedules normally.
    assert_eq!(h.scheduled_delays(), [1, 86_400]);
    assert_eq!(
        h.main_events()[..6],
        [
            "SCHEDULED_PROVISIONING",
            "START",
            "FAILED",
            "STOP",
            "START",
            "FAILED"
        ]
    );
}

#[test]
fn every_other_outcome_schedules_with_an_event() {
    let outcomes: Vec<(HttpScript, &str)> = vec![
        (http(204, vec![]), "NO_COMMANDS"),
        (http(403, vec![]), "FAILED_DEVICE_NOT_CLAIMED"),
        (http(200, vector("cmds1")), "DONE"),
        (
            HttpScript::Fail(TransportFailure::HandshakeFailed),
            "FAILED_WRONG_ROOT_CA",
        ),
        (http(400, vec![]), "FAILED"),
        (http(200, vec![0x80]), "FAILED"),
        (http(200, many_at_commands(11)), "FAILED_TOO_MANY_COMMANDS"),
    ];
    for (script, event) in outcomes {
        let mut h = Harness::new(scheduled(500, 0));
        h.server.gets.push_back(script);
        h.init();
        assert!(h.run_until_event(is("STOP"), 1, FOREVER));
        let names = h.event_names();
        assert_eq!(
            names,
            [
                "SCHEDULED_PROVISIONING",
                "START",
                event,
                "STOP",
                "SCHEDULED_PROVISIONING"
            ],
            "{event}"
        );
        assert_eq!(h.scheduled_delays()[1], 500);
    }
}

#[test]
fn no_valid_datetime_does_not_reschedule() {
    let mut h = Harness::new(scheduled(500, 0));
    h.modem.has_time = false;
    h.init();
    assert!(h.run_until_event(is("STOP"), 1, FOREVER));
    h.run_for_secs(10 * 86_400);
    assert_eq!(
        h.event_names(),
        [
            "SCHEDULED_PROVISIONING",
            "START",
            "FAILED_NO_VALID_DATETIME",
            "STOP"
        ]
    );
    assert_eq!(h.client.poll_timeout(), None);
    // A manual trigger still works.
    h.modem.has_time = true;
    h.trigger();
    h.settle();
    assert_eq!(
        h.main_events()[4..],
        ["START", "NO_COMMANDS", "STOP", "SCHEDULED_PROVISIONING"]
    );
}

#[test]
fn losing_the_network_defers_the_attempt_with_backoff() {
    let mut h = Harness::new(scheduled(500, 0));
    h.init();
    h.client.handle(h.now, Input::NetworkDown).unwrap();
    h.run_for_secs(60 + 120 + 240);
    // Due at 1 s, then backoff 60, 120, 240: no attempt and no events meanwhile.
    assert_eq!(h.event_names(), ["SCHEDULED_PROVISIONING"]);
    assert_eq!(
        h.client.poll_timeout(),
        Some(Timestamp::from_secs(1 + 60 + 120 + 240))
    );
    h.run_for_secs(2);
    assert!(h.start_times().is_empty());
    assert_eq!(
        h.client.poll_timeout(),
        Some(Timestamp::from_secs(1 + 60 + 120 + 240 + 480))
    );
}

#[test]
fn regaining_the_network_runs_a_pending_backoff_at_once() {
    let mut h = Harness::new(scheduled(500, 0));
    h.init();
    h.client.handle(h.now, Input::NetworkDown).unwrap();
    h.run_for_secs(30);
    assert!(h.start_times().is_empty());
    h.client.handle(h.now, Input::NetworkUp).unwrap();
    h.pump();
    assert_eq!(h.start_times(), [30]);
    assert_eq!(
        h.main_events()[..4],
        ["SCHEDULED_PROVISIONING", "START", "NO_COMMANDS", "STOP"]
    );
}

#[test]
fn regaining_the_network_also_cuts_a_server_busy_backoff_short() {
    // `lte_lc_event_handler` only checks `backoff != 0`, whatever caused it.
    let mut h = Harness::new(scheduled(500, 0));
    h.server.gets.push_back(http(500, vec![]));
    h.init();
    assert!(h.run_until_event(is("STOP"), 1, FOREVER));
    let stop = h.now;
    h.run_for_secs(5);
    h.client.handle(h.now, Input::NetworkUp).unwrap();
    h.pump();
    assert_eq!(h.start_times().last().copied(), Some(stop.as_secs() + 5));
}

#[test]
fn network_up_without_backoff_changes_nothing() {
    let mut h = Harness::new(scheduled(500, 0));
    h.init();
    h.client.handle(h.now, Input::NetworkUp).unwrap();
    h.pump();
    assert_eq!(h.client.poll_timeout(), Some(Timestamp::from_secs(1)));
}

#[test]
fn server_provided_interval_takes_precedence() {
    let mut h = Harness::new(scheduled(86_400, 0));
    h.server.gets.push_back(http(200, vector("cmds4"))); // interval-sec = 99
    h.init();
    assert!(h.run_until_event(is("SCHEDULED_PROVISIONING"), 3, FOREVER));
    assert_eq!(h.scheduled_delays(), [1, 99, 99]);
    assert_eq!(h.client.interval_s(), 99);
}

#[test]
fn stored_interval_is_used_from_boot() {
    let stored = StoredSettings::new().with("provisioning/interval-sec", "42");
    let mut h = Harness::with_settings(scheduled(86_400, 0), stored, 1);
    h.init();
    assert!(h.run_until_event(is("SCHEDULED_PROVISIONING"), 2, FOREVER));
    assert_eq!(h.scheduled_delays(), [1, 42]);
}

#[test]
fn invalid_stored_interval_falls_back_to_the_built_in_one() {
    let stored = StoredSettings::new().with("provisioning/interval-sec", "-5");
    let mut h = Harness::with_settings(scheduled(777, 0), stored, 1);
    h.init();
    assert!(h.run_until_event(is("SCHEDULED_PROVISIONING"), 2, FOREVER));
    assert_eq!(h.scheduled_delays(), [1, 777]);
}

#[test]
fn set_interval_stores_and_reschedules() {
    let mut h = Harness::new(scheduled(86_400, 0));
    h.init();
    h.client.handle(h.now, Input::NetworkTime(true)).unwrap();
    h.client.set_interval(h.now, 250).unwrap();
    h.pump();
    assert_eq!(
        h.stored,
        vec![("provisioning/interval-sec".to_owned(), b"250".to_vec())]
    );
    // A reschedule with network time: now + the new interval.
    assert_eq!(h.scheduled_delays(), [1, 250]);
    // The same value again is a no-op.
    h.client.set_interval(h.now, 250).unwrap();
    h.pump();
    assert_eq!(h.scheduled_delays(), [1, 250]);
}

#[test]
fn set_interval_without_network_time_keeps_doubling() {
    // The reschedule goes through the same scheduler: without time it doubles.
    let mut h = Harness::new(scheduled(86_400, 0));
    h.init();
    h.client.set_interval(h.now, 250).unwrap();
    h.pump();
    assert_eq!(h.scheduled_delays(), [1, 2]);
}

#[test]
fn set_interval_errors() {
    let mut c = Client::new(scheduled(100, 0), StoredSettings::new(), 0);
    assert_eq!(
        c.set_interval(Timestamp::ZERO, 5),
        Err(ApiError::NotInitialized)
    );
    c.init(Timestamp::ZERO).unwrap();
    let err = c.set_interval(Timestamp::ZERO, -1).unwrap_err();
    assert_eq!(err, ApiError::InvalidInterval(-1));
    assert_eq!(err.errno(), Errno::Einval);
    let mut manual = Client::new(
        ClientConfig {
            scheduled: false,
            ..ClientConfig::default()
        },
        StoredSettings::new(),
        0,
    );
    manual.init(Timestamp::ZERO).unwrap();
    assert_eq!(
        manual.set_interval(Timestamp::ZERO, 5).unwrap_err().errno(),
        Errno::Enotsup
    );
    let mut failing = Client::new(
        scheduled(100, 0),
        StoredSettings::new().failing_writes(Errno::Enospc),
        0,
    );
    failing.init(Timestamp::ZERO).unwrap();
    assert_eq!(
        failing.set_interval(Timestamp::ZERO, 5),
        Err(ApiError::StoreFailed(Errno::Enospc))
    );
}

#[test]
fn init_twice_is_ealready() {
    let mut c = Client::new(ClientConfig::default(), StoredSettings::new(), 0);
    c.init(Timestamp::ZERO).unwrap();
    let err = c.init(Timestamp::ZERO).unwrap_err();
    assert_eq!(err, ApiError::AlreadyInitialized);
    assert_eq!(err.errno(), Errno::Ealready);
    assert!(c.is_initialized());
}

#[test]
fn trigger_before_init_is_an_error_and_after_init_runs_now() {
    let mut h = Harness::new(scheduled(86_400, 0));
    assert!(h.client.trigger_manually(h.now).is_err());
    h.init();
    h.run_until(Timestamp::from_secs(1));
    h.settle();
    h.now = Timestamp::from_secs(500);
    h.trigger();
    h.settle();
    assert_eq!(h.start_times(), [1, 500]);
}

#[test]
fn without_auto_start_nothing_happens_until_triggered() {
    let mut h = Harness::new(ClientConfig {
        auto_start_on_init: false,
        ..scheduled(100, 0)
    });
    h.init();
    h.run_for_secs(86_400);
    assert!(h.events.is_empty());
    h.trigger();
    h.settle();
    assert_eq!(
        h.event_names(),
        ["START", "NO_COMMANDS", "STOP", "SCHEDULED_PROVISIONING"]
    );
}

#[test]
fn backoff_arithmetic() {
    let mut b = Backoff::default();
    let seq: Vec<u64> = (0..4).map(|_| b.next_delay(10, 25)).collect();
    assert_eq!(seq, [10, 20, 25, 25]);
}

#[test]
fn the_seed_decides_the_spread() {
    let run = |seed| {
        let mut h = Harness::with_settings(scheduled(1000, 60), StoredSettings::new(), seed);
        h.init();
        assert!(h.run_until_event(is("SCHEDULED_PROVISIONING"), 6, FOREVER));
        h.scheduled_delays()
    };
    assert_eq!(run(3), run(3));
    assert_ne!(run(3), run(4));
}

#[test]
fn scheduled_event_carries_the_seconds_to_the_next_attempt() {
    let mut h = Harness::new(scheduled(321, 0));
    h.init();
    assert!(h.run_until_event(is("SCHEDULED_PROVISIONING"), 2, FOREVER));
    let stop = h.now;
    assert_eq!(h.client.poll_timeout(), Some(stop.plus_secs(321)));
    assert!(h
        .actions
        .contains(&Action::Event(Event::ScheduledProvisioning {
            next_attempt_s: 321
        })));
}
