//! The virtual board's console for every catalogue scenario, in every era, decodes to the
//! client events the simulation recorded.
//!
//! Each scenario runs on the simulation backend in virtual time (no PTY). Its transcript
//! (client events, requests and answers, power-ons, attaches, `nrf_provisioning now`) is
//! turned into the virtual board's [`Happening`]s and printed by the board's own
//! [`Renderer`] in Zephyr's log format with the prompt erase/redraw and the era's boot
//! banner, exactly as `provlab board` prints them. The decoded client events must equal the
//! recorded ones as the era shows them: v2.9 has no NO_COMMANDS / NEED_LTE_* lines and
//! prints FAILED_NO_VALID_DATETIME as a plain failure; v2.9 and 3.0 print the result lines
//! after STOP (and drop them when no STOP follows before a reboot).
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::PathBuf;

use provlab_harness::transcript::Lane;
use provlab_harness::{load_file, RunOptions, Runner};
use provlab_hil::decode::{decode, decode_auto, ClientEvent, Era as DecodeEra};
use provlab_sim::backend::SimBackendFactory;
use provlab_sim::board::Era;

use crate::support;
use support::render::{decode_era, render};
use support::scenarios;

#[test]
fn every_catalogue_scenario_in_every_era_decodes_to_the_recorded_events() {
    let mut checked = 0;
    let mut with_events = 0;
    for file in scenarios() {
        let scenario = load_file(&file).unwrap();
        let result =
            Runner::new(SimBackendFactory::default(), RunOptions::with_seed(None)).run(&scenario);
        let entries = &result.transcript.entries;
        let mut devices: Vec<String> = entries
            .iter()
            .filter_map(|e| match &e.from {
                Lane::Client(d) => Some(d.clone()),
                _ => None,
            })
            .collect();
        devices.sort();
        devices.dedup();
        eprintln!(
            "{}: devices {devices:?}",
            file.file_name().unwrap().to_string_lossy()
        );
        for device in &devices {
            for era in [Era::V2_9, Era::V3_0, Era::Current] {
                let (console, recorded) = render(era, device, entries);
                let text = String::from_utf8(console.bytes.clone()).unwrap();
                if let Some(dir) = std::env::var_os("HIL_DUMP") {
                    // Debugging aid: the rendered consoles, one file each.
                    let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
                    let name = format!("{stem}.{device}.{}.txt", era.name());
                    std::fs::write(PathBuf::from(dir).join(name), &console.bytes).unwrap();
                }
                let decoded = decode(decode_era(era), &text);
                let got: Vec<(ClientEvent, Option<u64>)> = decoded
                    .events
                    .iter()
                    .filter_map(|h| match &h.value {
                        provlab_hil::decode::Happening::Event {
                            event,
                            next_attempt_s,
                        } => Some((*event, *next_attempt_s)),
                        _ => None,
                    })
                    .collect();
                assert_eq!(
                    got,
                    console.expected,
                    "{} / {device} / {}:\n{text}",
                    file.display(),
                    era.name()
                );
                if era == Era::Current {
                    assert_eq!(
                        got,
                        recorded,
                        "{}: current shows every event",
                        file.display()
                    );
                }
                assert!(
                    decoded.unknown.is_empty(),
                    "{} / {device} / {}: unknown lines {:?}",
                    file.display(),
                    era.name(),
                    decoded.unknown
                );
                let (detected, auto) = decode_auto(DecodeEra::Current, &text);
                if !text.is_empty() {
                    assert_eq!(detected, decode_era(era), "banner detection");
                    assert_eq!(auto, decoded);
                }
                checked += 1;
                if !recorded.is_empty() {
                    with_events += 1;
                }
            }
        }
    }
    eprintln!("decoded {checked} device consoles ({with_events} with events)");
    assert!(checked >= 18 * 3, "{checked}");
}
