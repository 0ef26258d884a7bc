//! The import round trip over the catalogue: every catalogue scenario runs in simulation;
//! each device's console, as the virtual board prints it in every era, is imported together
//! with the service's command history for the device; the imported scenario must load, pass
//! (its expectations are the log's events and the history's statuses), and print the same
//! client events in the same era.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::{Path, PathBuf};

use provlab_harness::transcript::Lane;
use provlab_harness::{load_file, load_str, Outcome};
use provlab_hil::decode::{decode, ClientEvent};
use provlab_hil::import::{import, Input, Inputs};
use provlab_sim::board::Era;

use crate::support;
use support::render::{decode_era, render};
use support::scenarios;

fn devices(entries: &[provlab_harness::Entry]) -> Vec<String> {
    let mut devices: Vec<String> = entries
        .iter()
        .filter_map(|e| match &e.from {
            Lane::Client(d) => Some(d.clone()),
            _ => None,
        })
        .collect();
    devices.sort();
    devices.dedup();
    devices
}

fn events_of(era: Era, bytes: &[u8]) -> Vec<ClientEvent> {
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    decode(decode_era(era), &text)
        .events
        .iter()
        .filter_map(|h| h.value.event())
        .filter(|e| *e != ClientEvent::ScheduledProvisioning)
        .collect()
}

/// The events without SCHEDULED_PROVISIONING (its delay has a random spread).
fn plain(events: &[(ClientEvent, Option<u64>)]) -> Vec<ClientEvent> {
    events
        .iter()
        .map(|(e, _)| *e)
        .filter(|e| *e != ClientEvent::ScheduledProvisioning)
        .collect()
}

/// Whether `small` is a subsequence of `big`.
fn subsequence<T: PartialEq>(small: &[T], big: &[T]) -> bool {
    let mut rest = big.iter();
    small.iter().all(|s| rest.any(|b| b == s))
}

#[test]
fn every_catalogue_scenario_in_every_era_round_trips() {
    let dump = std::env::var_os("IMPORT_DUMP").map(PathBuf::from);
    let mut passed = Vec::new();
    let mut failed = Vec::new();
    for file in scenarios() {
        let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
        let scenario = load_file(&file).unwrap();
        let (result, histories) = support::field::run(&scenario);
        let entries = &result.transcript.entries;
        for device in devices(entries) {
            let history = histories
                .iter()
                .find(|(d, _)| *d == device)
                .map(|(_, json)| json.clone());
            for era in [Era::V2_9, Era::V3_0, Era::Current] {
                let label = format!("{stem}/{device}/{}", era.name());
                let (console, recorded) = render(era, &device, entries);
                let log_name = format!("{stem}.{device}.{}.log", era.name());
                let name = format!("{stem}-{device}-{}", era.name()).replace('.', "");
                let inputs = Inputs {
                    console: Input {
                        name: &log_name,
                        bytes: &console.bytes,
                    },
                    service_history: history.as_deref().map(|h| Input {
                        name: "history.json",
                        bytes: h.as_bytes(),
                    }),
                    at_trace: None,
                    name: &name,
                    device: &device,
                    calibrate: true,
                    allow_unknown: false,
                };
                let imported = match import(&inputs) {
                    Ok(i) => i,
                    Err(e) => {
                        failed.push(format!("{label}: import error: {e}"));
                        continue;
                    }
                };
                if let Some(dir) = &dump {
                    std::fs::write(dir.join(format!("{name}.toml")), &imported.toml).unwrap();
                    std::fs::write(dir.join(&log_name), &console.bytes).unwrap();
                    if let Some(h) = &history {
                        std::fs::write(dir.join(format!("{name}.history.json")), h).unwrap();
                    }
                }
                // Deterministic: the same inputs give the same bytes.
                assert_eq!(import(&inputs).unwrap().toml, imported.toml, "{label}");
                let loaded = match load_str(&imported.toml, Path::new(&format!("{name}.toml"))) {
                    Ok(l) => l,
                    Err(e) => {
                        failed.push(format!(
                            "{label}: the imported scenario does not load: {e}\n{}",
                            imported.toml
                        ));
                        continue;
                    }
                };
                let (replay, _) = support::field::run(&loaded);
                if replay.outcome != Outcome::Passed {
                    failed.push(format!(
                        "{label}: the imported scenario does not pass: {:?}\n{}",
                        replay.outcome, imported.toml
                    ));
                    continue;
                }
                // The client's events of the field run and of the replay: the same (v2.9: the
                // replay's client reboots after DONE, so the field's are a subsequence).
                let (again, replayed) = render(era, &device, &replay.transcript.entries);
                let (recorded, replayed) = (plain(&recorded), plain(&replayed));
                let same = if era == Era::V2_9 {
                    subsequence(&recorded, &replayed)
                } else {
                    recorded == replayed
                };
                if !same {
                    failed.push(format!(
                        "{label}: the imported run's client events differ:\n field:      {recorded:?}\n reproduced: {replayed:?}"
                    ));
                    continue;
                }
                // And the console of the replay shows what the field console shows.
                if era != Era::V2_9 {
                    let field = events_of(era, &console.bytes);
                    let reproduced = events_of(era, &again.bytes);
                    if field != reproduced {
                        failed.push(format!(
                            "{label}: the console of the imported run differs:\n field:      {field:?}\n reproduced: {reproduced:?}"
                        ));
                        continue;
                    }
                }
                passed.push(label);
            }
        }
    }
    eprintln!(
        "round trip: {} passed, {} failed",
        passed.len(),
        failed.len()
    );
    for f in &failed {
        eprintln!("FAILED {f}\n");
    }
    assert!(
        failed.is_empty(),
        "{} of {} failed",
        failed.len(),
        failed.len() + passed.len()
    );
}
