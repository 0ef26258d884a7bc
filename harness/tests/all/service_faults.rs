//! Service-wide faults (`[[service.fault]]`): what loads, what the loader refuses (each
//! problem with its file:line:col and all of them at once), the JSON Schema's agreement,
//! fleet expansion and the runner's capability skip.
#![allow(clippy::unwrap_used)]

use crate::support;

use std::path::Path;

use provlab_harness::loader::{load_str, Diagnostic};
use provlab_harness::scenario::{fleet, DeviceSet, FaultClass, FaultKind, ServiceAnswer};
use provlab_harness::schema::scenario_schema;
use provlab_harness::{Capabilities, Capability, Duration, Outcome, RunOptions, Runner};

const DEVICES: &str = r#"name = "outage"

[[device]]
name = "dk1"
claimed_by = "owner"

[[device]]
name = "dk2"
claimed_by = "owner"

[[device]]
name = "dk3"
claimed_by = "owner"
"#;

/// The 1-based line and column where `needle` first occurs in `source`.
fn position_of(source: &str, needle: &str) -> (usize, usize) {
    let offset = source.find(needle).expect("needle in source");
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.chars().rev().take_while(|c| *c != '\n').count() + 1;
    (line, column)
}

fn problems(source: &str) -> Vec<Diagnostic> {
    match load_str(source, Path::new("outage.toml")) {
        Ok(_) => panic!("expected load errors"),
        Err(e) => e.diagnostics().to_vec(),
    }
}

#[test]
fn a_service_wide_fault_loads_with_its_window_and_devices() {
    let source = format!(
        r#"{DEVICES}
[[service.fault]]
service = {{ request = "any", answer = {{ http = 503 }} }}
devices = "all"
after = "30s"
lasting = "5m"

[[service.fault]]
handshake = {{}}
devices = ["dk1", "dk3"]
after = "1h"

[[service.fault]]
link = {{ loss_percent = 100 }}
"#
    );
    let loaded = load_str(&source, Path::new("outage.toml")).unwrap();
    let windows = &loaded.scenario.service.faults;
    assert_eq!(windows.len(), 3);
    let outage = &windows[0];
    assert_eq!(outage.devices.get(), &DeviceSet::All);
    assert_eq!(*outage.after.get(), Duration::from_secs(30));
    assert_eq!(outage.closes(), Some(Duration::from_secs(330)));
    match outage.kind.get() {
        FaultKind::Service(s) => assert_eq!(s.answer, ServiceAnswer::Http(503)),
        other => panic!("unexpected {other:?}"),
    }
    let handshakes = &windows[1];
    assert!(handshakes.devices.get().contains("dk3"));
    assert!(!handshakes.devices.get().contains("dk2"));
    assert_eq!(handshakes.closes(), None, "no `lasting`: open to the end");
    // Defaults: every device, from the start.
    assert_eq!(windows[2].devices.get(), &DeviceSet::All);
    assert_eq!(*windows[2].after.get(), Duration::ZERO);
    // Written back, it reads the same.
    let text = toml::to_string(&loaded.scenario).unwrap();
    let again = load_str(&text, Path::new("again.toml")).unwrap();
    assert_eq!(again.scenario, loaded.scenario);
}

#[test]
fn each_bad_service_fault_is_named_where_it_stands_and_all_at_once() {
    let source = format!(
        r#"{DEVICES}
[[service.fault]]
service = {{ request = "fetch", times = 2, answer = {{ http = 503 }} }}
devices = ["dk1", "dk9", "dk1"]
lasting = "0s"

[[service.fault]]
modem = {{ command = "%CMNG", action = "error" }}

[[service.fault]]
service = {{ request = "any", answer = {{ http = 500 }} }}
devices = ["dk2", "dk3"]
after = "1m"
lasting = "5m"

[[service.fault]]
service = {{ request = "report", answer = {{ http = 503 }} }}
after = "3m"

[[service.fault]]
link = {{ partition = {{ lasting = "1m" }} }}

[[service.fault]]
handshake = {{ nth = 2 }}

[[step]]
trigger = "dk7"
"#
    );
    let found = problems(&source);
    let expected: &[(&str, &str)] = &[
        ("{ request = \"fetch\"", "`times` is not allowed here: a service-wide fault acts on every matching occurrence while its window is open"),
        ("\"dk9\"", "unknown device `dk9`: expected one of the [[device]] names (`dk1`, `dk2`, `dk3`)"),
        ("\"dk1\"]", "device `dk1` is listed twice in `devices`"),
        ("\"0s\"", "`lasting` must be longer than 0s"),
        ("{ command", "a `modem` fault acts in one device, not in the service or the network, so it cannot be service-wide: a [[service.fault]] is one of link, service or handshake"),
        ("\"3m\"", "this `service` window (from 3m on) overlaps the `service` window from 1m until 6m on `dk2`, `dk3`"),
        ("{ partition", "`partition` is not allowed here"),
        ("{ nth", "`nth` is not allowed here"),
        ("\"dk7\"", "unknown device `dk7`"),
    ];
    assert_eq!(found.len(), expected.len(), "{found:#?}");
    for ((needle, message), d) in expected.iter().zip(&found) {
        assert_eq!(
            (d.location.line, d.location.column),
            position_of(&source, needle),
            "{message}: {d}"
        );
        assert!(d.message.contains(message), "{}", d.message);
    }
}

#[test]
fn windows_that_touch_or_concern_other_devices_or_kinds_may_follow_each_other() {
    let source = format!(
        r#"{DEVICES}
[[service.fault]]
service = {{ request = "any", answer = {{ http = 503 }} }}
lasting = "10m"

[[service.fault]]               # opens as the first closes
service = {{ request = "any", answer = {{ http = 500 }} }}
after = "10m"

[[service.fault]]               # another kind at the same time
handshake = {{}}
lasting = "1h"
"#
    );
    load_str(&source, Path::new("outage.toml")).unwrap();
    // Different devices of one kind at the same time.
    let source = format!(
        r#"{DEVICES}
[[service.fault]]
service = {{ request = "any", answer = {{ http = 503 }} }}
devices = ["dk1"]

[[service.fault]]
service = {{ request = "any", answer = {{ http = 500 }} }}
devices = ["dk2", "dk3"]
"#
    );
    load_str(&source, Path::new("outage.toml")).unwrap();
}

#[test]
fn type_errors_in_several_service_faults_come_together_with_the_rest() {
    let source = format!(
        r#"{DEVICES}
[[service.fault]]
service = {{ request = "any", answer = {{ http = 503 }} }}
devices = "dk1"

[[service.fault]]
handshake = {{}}
lasting = "5 minutes"

[[service.fault]]
handshake = {{}}
devices = []

[[step]]
trigger = "dk7"
"#
    );
    let found = problems(&source);
    let messages: Vec<String> = found.iter().map(|d| d.to_string()).collect();
    assert_eq!(found.len(), 4, "{messages:#?}");
    assert!(messages[0].contains("expected \"all\" or a list of device names, found `dk1`"));
    assert!(messages[1].contains("expected a unit"), "{}", messages[1]);
    assert!(messages[2].contains("an empty `devices` list concerns no device"));
    assert!(messages[3].contains("unknown device `dk7`"));
    assert_eq!(
        (found[0].location.line, found[0].location.column),
        position_of(&source, "\"dk1\"\n\n")
    );
}

#[test]
fn the_schema_allows_the_service_wide_kinds_and_refuses_what_the_loader_refuses() {
    let schema = scenario_schema();
    let defs = schema["$defs"].as_object().unwrap();
    let service = &defs["ServiceState"]["properties"]["fault"];
    assert_eq!(service["type"], "array");
    assert_eq!(service["items"]["$ref"], "#/$defs/ServiceWideFault");
    let window = &defs["ServiceWideFault"];
    assert_eq!(window["additionalProperties"], false);
    let properties = window["properties"].as_object().unwrap();
    let wide: Vec<&str> = FaultClass::ALL
        .iter()
        .filter(|c| c.service_wide())
        .map(|c| c.key())
        .collect();
    assert_eq!(wide, ["link", "service", "handshake"]);
    for class in FaultClass::ALL {
        assert_eq!(
            properties.contains_key(class.key()),
            class.service_wide(),
            "{}",
            class.key()
        );
    }
    assert_eq!(window["oneOf"].as_array().unwrap().len(), wide.len());
    // The counts and a partition of its own are refused where the loader refuses them.
    let refused = |key: &str| -> Vec<String> {
        properties[key]["not"]["anyOf"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|r| r["required"][0].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(refused("service"), ["nth", "times"]);
    assert_eq!(refused("handshake"), ["nth", "times"]);
    assert_eq!(refused("link"), ["partition"]);
    // `devices`: "all" or a non-empty list; `lasting`: not zero.
    let devices = &defs["DeviceSet"]["oneOf"];
    assert_eq!(devices[0]["const"], "all");
    assert_eq!(devices[1]["minItems"], 1);
    let zero = regex_lite_matches(
        properties["lasting"]["not"]["pattern"].as_str().unwrap(),
        &["0s", "0m0s", "0ms"],
        &["5m", "10s", "1ms"],
    );
    assert!(zero, "the zero-duration pattern");
}

/// Whether `pattern` (the schema's zero-duration pattern) matches each of `yes` and none of
/// `no`: checked by hand, as the test has no regex engine: the pattern is anchored groups of
/// zeros with a unit.
fn regex_lite_matches(pattern: &str, yes: &[&str], no: &[&str]) -> bool {
    assert_eq!(pattern, "^\\s*(0+(d|h|m|s|ms))*\\s*$");
    let zero = |text: &str| {
        let mut rest = text.trim();
        while !rest.is_empty() {
            let digits = rest.len() - rest.trim_start_matches('0').len();
            if digits == 0 {
                return false;
            }
            rest = &rest[digits..];
            let unit = ["ms", "d", "h", "m", "s"]
                .iter()
                .find(|u| rest.starts_with(*u));
            match unit {
                Some(u) => rest = &rest[u.len()..],
                None => return false,
            }
        }
        true
    };
    yes.iter().all(|t| zero(t)) && no.iter().all(|t| !zero(t))
}

#[test]
fn a_fleet_lists_every_clone_where_the_template_was_named() {
    let source = r#"name = "one"
[[device]]
name = "dk1"
[[service.fault]]
service = { request = "fetch", answer = { http = 503 } }
devices = ["dk1"]
lasting = "10m"
[[service.fault]]
handshake = {}
after = "10m"
"#;
    let loaded = load_str(source, Path::new("one.toml")).unwrap();
    let fleet = fleet::expand(&loaded.scenario, 3).unwrap();
    let windows = &fleet.service.faults;
    assert_eq!(
        windows.len(),
        2,
        "one window for the fleet, not one per clone"
    );
    match windows[0].devices.get() {
        DeviceSet::Named(names) => {
            let names: Vec<&str> = names.iter().map(|n| n.get().as_str()).collect();
            assert_eq!(names, ["dk1-0001", "dk1-0002", "dk1-0003"]);
            // Spans still point at the name in the file.
            let span = loaded.scenario.service.faults[0].devices.get();
            let DeviceSet::Named(original) = span else {
                panic!("named")
            };
            assert_eq!(
                windows[0].devices.get(),
                &DeviceSet::Named(
                    ["dk1-0001", "dk1-0002", "dk1-0003"]
                        .iter()
                        .map(|n| provlab_harness::Located::with_span(
                            (*n).to_owned(),
                            original[0].span()
                        ))
                        .collect()
                )
            );
        }
        DeviceSet::All => panic!("named devices stay named"),
    }
    assert_eq!(windows[1].devices.get(), &DeviceSet::All);
    assert_eq!(windows[0].closes(), Some(Duration::from_secs(600)));
}

#[test]
fn a_backend_without_fault_windows_skips_the_scenario_with_the_reason() {
    let source = r#"name = "outage"
[[device]]
name = "dk1"
[[service.fault]]
service = { request = "any", answer = { http = 503 } }
lasting = "10m"
"#;
    let loaded = load_str(source, Path::new("outage.toml")).unwrap();
    let mut backend = support::MockBackend::default();
    backend.caps = Capabilities::all().without(Capability::FaultWindow, "no windows here");
    let factory = support::MockFactory(backend);
    let result = Runner::new(factory, RunOptions::default()).run(&loaded);
    match &result.outcome {
        Outcome::Skipped { reason } => {
            assert!(reason.starts_with("outage.toml:5:11:"), "{reason}");
            assert!(
                reason.contains(
                    "service-wide service fault needs service-wide fault windows: no windows here"
                ),
                "{reason}"
            );
        }
        other => panic!("expected a skip, got {other:?}"),
    }
    // The kind's own capability is needed too.
    let mut backend = support::MockBackend::default();
    backend.caps = Capabilities::all().without(Capability::Fault(FaultClass::Service), "scripted");
    let factory = support::MockFactory(backend);
    let result = Runner::new(factory, RunOptions::default()).run(&loaded);
    assert!(
        matches!(&result.outcome, Outcome::Skipped { reason } if reason.contains("service-wide service fault needs service answer faults: scripted")),
        "{:?}",
        result.outcome
    );
}

#[test]
fn the_readme_example_is_the_service_outage_fixture() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("../scenarios/README.md")).unwrap();
    let section = readme
        .split("## `[[service.fault]]`")
        .nth(1)
        .expect("the README has the section");
    let example = section
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a TOML example");
    let fixture = root.join("tests/data/service-outage.toml");
    let text = std::fs::read_to_string(&fixture).unwrap();
    assert!(
        text.contains(example),
        "the fixture carries the README's example:\n{example}"
    );
    let loaded = provlab_harness::load_file(&fixture).unwrap();
    assert_eq!(loaded.scenario.service.faults.len(), 1);
}
