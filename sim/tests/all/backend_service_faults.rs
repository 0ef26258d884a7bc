//! Service-wide faults (`[[service.fault]]`) on the simulation backend: windows open and
//! close exactly at their instants of virtual time, in memory and over real sockets; what
//! the client does with each answer (an HTTP 503 is a generic failure, so a device waits
//! its whole interval; a 500 is "busy", so it backs off from 60 s); fleets; determinism.
#![allow(clippy::unwrap_used, missing_docs)]

use crate::backend_support;

use backend_support::*;
use provlab_harness::{EntryKind, Lane, LoadedScenario, ScenarioResult, Transcript};
use provlab_sim::backend::fleet;

/// One device with a one-hour interval and a 60 s initial backoff, and a window of
/// `answer` on every request for the first ten minutes. `extra` goes at the end.
fn outage(answer: &str, transport: &str, extra: &str) -> String {
    format!(
        r#"name = "outage"
seed = 5

[service]
members = [{{ name = "olivia", role = "owner" }}]

[[service.fault]]
service = {{ request = "any", answer = {answer} }}
devices = "all"
lasting = "10m"

[[device]]
name = "dk1"
transport = "{transport}"
claimed_by = "olivia"
[device.client]
interval = "1h"
initial_backoff = "60s"
[[device.config]]
request = {{ finished = {{}} }}

[[step]]
wait_until = {{ status = "PROVISIONED", events_in_order = ["DONE", "STOP"], within = "2h" }}
{extra}"#
    )
}

/// A one-device scenario cloned into a fleet of `n`.
fn fleet_of(text: &str, n: usize) -> LoadedScenario {
    let mut loaded = inline(text, "outage.toml");
    loaded.scenario = fleet::expand(&loaded.scenario, n).unwrap();
    loaded
}

/// The instants (ms) of a device's client events whose text starts with `event`.
fn event_times(t: &Transcript, device: &str, event: &str) -> Vec<u64> {
    t.entries
        .iter()
        .filter(|e| {
            e.kind == EntryKind::Event
                && e.from == Lane::Client(device.to_owned())
                && e.text.starts_with(event)
        })
        .map(|e| e.at_ms)
        .collect()
}

/// The service-wide fault entries: `(at_ms, text)`.
fn window_entries(t: &Transcript) -> Vec<(u64, String)> {
    t.entries
        .iter()
        .filter(|e| e.kind == EntryKind::Fault && e.text.starts_with("service-wide fault"))
        .map(|e| (e.at_ms, e.text.clone()))
        .collect()
}

fn passed(result: ScenarioResult) -> Transcript {
    assert_passed(&result);
    result.transcript
}

const WINDOW_MS: u64 = 600_000;
const INTERVAL_MS: u64 = 3_600_000;

/// The window opens at 0 and closes at 10 min, recorded as fault entries on the link lane
/// with what it holds and its devices.
fn assert_window_entries(t: &Transcript, holds: &str) {
    let entries = window_entries(t);
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!(entries[0].0, 0);
    assert_eq!(
        entries[0].1,
        format!("service-wide fault opens (all devices, until 10m): {holds}")
    );
    assert_eq!(entries[1].0, WINDOW_MS);
    assert_eq!(
        entries[1].1,
        format!("service-wide fault closes (all devices): {holds}")
    );
    assert!(t
        .entries
        .iter()
        .filter(|e| e.text.starts_with("service-wide fault"))
        .all(|e| e.from == Lane::Link));
}

/// Every device failed once in the window, then waited a whole interval (a 503 is a
/// generic failure: SCHEDULED_PROVISIONING, not a backoff), then provisioned.
fn assert_waited_an_interval(t: &Transcript, devices: &[String]) {
    for device in devices {
        let starts = event_times(t, device, "START");
        let failed = event_times(t, device, "FAILED");
        let done = event_times(t, device, "DONE");
        assert_eq!(
            failed.len(),
            1,
            "{device}: one failed attempt\n{}",
            t.to_text()
        );
        assert!(failed[0] < WINDOW_MS, "{device}: failed in the window");
        assert_eq!(starts.len(), 2, "{device}: no attempt in between");
        assert!(
            starts[1] >= failed[0] + INTERVAL_MS,
            "{device}: the next attempt a whole interval later: {starts:?}"
        );
        assert_eq!(done.len(), 1, "{device}");
        assert!(done[0] > starts[1], "{device}");
        let scheduled = t.entries.iter().any(|e| {
            e.from == Lane::Client(device.clone())
                && e.at_ms == failed[0]
                && e.text.starts_with("SCHEDULED_PROVISIONING(36")
        });
        assert!(
            scheduled,
            "{device}: the interval is scheduled after the 503"
        );
    }
}

/// Every device backed off 60 s, 120 s, 240 s … in the window and provisioned at its first
/// attempt after the window closed, well before an interval passed.
fn assert_backed_off(t: &Transcript, devices: &[String]) {
    for device in devices {
        let starts = event_times(t, device, "START");
        let failed = event_times(t, device, "FAILED");
        let done = event_times(t, device, "DONE");
        assert!(
            failed.iter().all(|&f| f < WINDOW_MS),
            "{device}: {failed:?}"
        );
        assert_eq!(failed.len(), 4, "{device}: 4 busy answers in 10 min");
        let gaps: Vec<u64> = starts
            .windows(2)
            .zip(&failed)
            .map(|(s, &f)| (s[1] - f) / 1000)
            .collect();
        assert_eq!(
            gaps,
            [60, 120, 240, 480],
            "{device}: backoff doubling from 60 s"
        );
        assert_eq!(done.len(), 1, "{device}");
        assert!(
            done[0] > WINDOW_MS && done[0] < WINDOW_MS + 600_000,
            "{device}: provisioned soon after the window closed: {done:?}"
        );
        let scheduled_in_window = t.entries.iter().any(|e| {
            e.from == Lane::Client(device.clone())
                && e.at_ms > 0
                && e.at_ms < WINDOW_MS
                && e.text.starts_with("SCHEDULED_PROVISIONING")
                && e.at_ms > starts[0]
        });
        assert!(
            !scheduled_in_window,
            "{device}: no schedule event while busy"
        );
    }
}

fn clone_names(n: usize) -> Vec<String> {
    fleet::clone_names("dk1", n)
}

#[test]
fn a_503_window_makes_every_device_of_a_fleet_wait_a_whole_interval() {
    let t = passed(run(
        &fleet_of(&outage("{ http = 503 }", "http", ""), 3),
        None,
    ));
    assert_window_entries(&t, "service answers 503 / 5.03 to every request");
    assert_waited_an_interval(&t, &clone_names(3));
}

#[test]
fn a_500_window_makes_every_device_of_a_fleet_back_off_and_provision_after_it() {
    let t = passed(run(
        &fleet_of(&outage("{ http = 500 }", "http", ""), 3),
        None,
    ));
    assert_window_entries(&t, "service answers 500 / 5.00 to every request");
    assert_backed_off(&t, &clone_names(3));
}

#[test]
fn coap_devices_back_off_on_5_03() {
    // The CoAP client maps 5.03 to EBUSY (device-protocol.md §4): a backoff, unlike HTTP.
    let t = passed(run(
        &fleet_of(&outage("{ coap = \"5.03\" }", "coap", ""), 2),
        None,
    ));
    assert_window_entries(&t, "service answers 503 / 5.03 to every request");
    assert_backed_off(&t, &clone_names(2));
}

#[test]
fn windows_act_the_same_over_real_sockets() {
    let http = passed(run_loopback(
        &fleet_of(&outage("{ http = 503 }", "http", ""), 2),
        None,
    ));
    assert_window_entries(&http, "service answers 503 / 5.03 to every request");
    assert_waited_an_interval(&http, &clone_names(2));
    let busy = passed(run_loopback(
        &fleet_of(&outage("{ http = 500 }", "http", ""), 2),
        None,
    ));
    assert_backed_off(&busy, &clone_names(2));
}

#[test]
fn a_window_run_is_deterministic() {
    let scenario = fleet_of(&outage("{ http = 503 }", "http", ""), 3);
    let first = run(&scenario, Some(11)).transcript.to_text();
    let second = run(&scenario, Some(11)).transcript.to_text();
    assert_eq!(first, second);
}

#[test]
fn a_window_concerns_only_the_devices_it_lists() {
    let text = r#"name = "partial"
seed = 3
[service]
members = [{ name = "olivia", role = "owner" }]

[[service.fault]]
service = { request = "fetch", answer = { http = 503 } }
devices = ["dk1"]
after = "1s"
lasting = "10m"

[[service.fault]]                    # dk2's handshakes fail later, for a minute
handshake = {}
devices = ["dk2"]
after = "20m"
lasting = "1m"

[[device]]
name = "dk1"
claimed_by = "olivia"
[device.client]
interval = "1h"
[[device.config]]
request = { finished = {} }

[[device]]
name = "dk2"
claimed_by = "olivia"
[device.client]
interval = "1h"
[[device.config]]
request = { finished = {} }

[[step]]
wait_until = { device = "dk2", status = "PROVISIONED", events_in_order = ["DONE", "STOP"], within = "1m" }
[[step]]
advance = "20m"
[[step]]
trigger = "dk2"
[[step]]
wait_until = { device = "dk2", events_in_order = ["DONE", "STOP", "START", "FAILED_WRONG_ROOT_CA", "STOP"], within = "1m" }
[[step]]
wait_until = { device = "dk1", status = "PROVISIONED", events_in_order = ["DONE", "STOP"], within = "2h" }
"#;
    let t = passed(run(&inline(text, "partial.toml"), None));
    let entries = window_entries(&t);
    let at: Vec<u64> = entries.iter().map(|(at, _)| *at).collect();
    assert_eq!(at, [1_000, 601_000, 1_200_000, 1_260_000], "{entries:?}");
    assert_eq!(
        entries[0].1,
        "service-wide fault opens (dk1, until 10m1s): service answers 503 / 5.03 to every fetch"
    );
    assert_eq!(
        entries[3].1,
        "service-wide fault closes (dk2): every handshake fails"
    );
    // dk1 met the 503 and waited its interval; dk2 provisioned at once.
    assert!(event_times(&t, "dk1", "DONE")[0] > INTERVAL_MS);
    assert!(event_times(&t, "dk2", "DONE")[0] < 60_000);
}

/// The README's example (`harness/tests/data/service-outage.toml`).
fn readme_example() -> LoadedScenario {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../harness/tests/data/service-outage.toml");
    provlab_harness::load_file(&path).unwrap()
}

#[test]
fn the_readme_example_passes_in_memory_and_over_real_sockets_alone_and_as_a_fleet() {
    let one = readme_example();
    let t = passed(run(&one, None));
    let entries = window_entries(&t);
    assert_eq!(
        entries.iter().map(|(at, _)| *at).collect::<Vec<_>>(),
        [30_000, 630_000]
    );
    passed(run_loopback(&one, None));
    let mut fleet = readme_example();
    fleet.scenario = fleet::expand(&fleet.scenario, 3).unwrap();
    passed(run(&fleet, None));
    passed(run_loopback(&fleet, None));
}

#[test]
fn a_link_window_that_loses_everything_times_out_and_backs_off() {
    // Nothing gets through: TCP gives up after ~63 s (ETIMEDOUT), a backoff.
    let text = outage("{ http = 503 }", "http", "").replace(
        "service = { request = \"any\", answer = { http = 503 } }",
        "link = { loss_percent = 100 }",
    );
    let t = passed(run(&inline(&text, "lossy.toml"), None));
    assert_window_entries(&t, "link: loss rate 1");
    let starts = event_times(&t, "dk1", "START");
    let failed = event_times(&t, "dk1", "FAILED");
    assert!(failed[0] - starts[0] >= 63_000, "{starts:?} {failed:?}");
    assert_eq!(starts[1] - failed[0], 60_000, "backoff, not the interval");
    assert!(event_times(&t, "dk1", "DONE")[0] < WINDOW_MS + 600_000);
}
