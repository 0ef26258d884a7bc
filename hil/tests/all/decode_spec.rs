//! Every console text quoted in `sample-console.md` decodes to the events the document
//! says (the files under `tests/data/`, see its README), the byte-level examples decode
//! with their escapes and redraws, and garbage or truncated input never panics: unknown
//! lines keep their line numbers.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::PathBuf;

use proptest::prelude::*;
use provlab_hil::decode::{
    decode, decode_auto, patterns, Answer, ClientEvent as E, Era, Happening, Milestone, Network,
    Request, StreamDecoder, Transport,
};

fn data(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read_to_string(&path).unwrap()
}

fn events(era: Era, text: &str) -> Vec<(E, Option<u64>)> {
    decode(era, text)
        .events
        .into_iter()
        .filter_map(|h| match h.value {
            Happening::Event {
                event,
                next_attempt_s,
            } => Some((event, next_attempt_s)),
            _ => None,
        })
        .collect()
}

#[test]
fn mk_capture_no_valid_datetime() {
    let text = data("mk-no-valid-datetime.txt");
    let d = decode(Era::Current, &text);
    assert!(d.unknown.is_empty(), "{:?}", d.unknown);
    assert_eq!(
        events(Era::Current, &text),
        [
            (E::ScheduledProvisioning, Some(3)),
            (E::Start, None),
            (E::FailedNoValidDatetime, None),
            (E::Stop, None)
        ]
    );
    // Timestamps are kept: `Provisioning started` at 3.263366 s, on line 4.
    let start = d
        .events
        .iter()
        .find(|h| h.value.event() == Some(E::Start))
        .unwrap();
    assert_eq!(start.line_no, 4);
    assert_eq!(
        start.uptime,
        Some(std::time::Duration::from_micros(3_263_366))
    );
    assert!(d
        .events
        .iter()
        .any(|h| h.value == Happening::Milestone(Milestone::NoValidTime { errno: -116 })));
    assert!(d
        .events
        .iter()
        .any(|h| h.value == Happening::Network(Network::Ipv4Up)));
}

#[test]
fn mk_capture_done() {
    let text = data("mk-done.txt");
    assert!(decode(Era::Current, &text).unknown.is_empty());
    assert_eq!(
        events(Era::Current, &text),
        [
            (E::Done, None),
            (E::Stop, None),
            (E::ScheduledProvisioning, Some(62))
        ]
    );
}

#[test]
fn current_readme_not_claimed() {
    let text = data("c-readme-not-claimed.txt");
    let d = decode(Era::Current, &text);
    assert!(d.unknown.is_empty(), "{:?}", d.unknown);
    assert_eq!(
        events(Era::Current, &text),
        [
            (E::ScheduledProvisioning, Some(3)),
            (E::Start, None),
            (E::FailedDeviceNotClaimed, None),
            (E::Stop, None),
            (E::ScheduledProvisioning, Some(60))
        ]
    );
    assert!(d.events.iter().any(|h| h.value
        == Happening::AttestationToken {
            token: "2dn3hQFQUA.0oRDoQEm".into()
        }));
    assert!(d.events.iter().any(|h| h.value
        == Happening::Answer {
            transport: Transport::Http,
            answer: Answer::Http(403),
            records: None
        }));
}

#[test]
fn v3_0_readme_not_claimed_has_stop_before_the_result() {
    let text = data("b-readme-not-claimed.txt");
    let d = decode(Era::V3_0, &text);
    assert!(d.unknown.is_empty(), "{:?}", d.unknown);
    assert_eq!(
        events(Era::V3_0, &text),
        [
            (E::ScheduledProvisioning, Some(1)),
            (E::Start, None),
            (E::Stop, None),
            (E::FailedDeviceNotClaimed, None),
            (E::ScheduledProvisioning, Some(86401))
        ]
    );
    assert!(d
        .events
        .iter()
        .any(|h| h.value == Happening::Milestone(Milestone::Checking { in_s: 86401 })));
}

#[test]
fn v3_0_readme_prose_sequences() {
    // §6.1 "No commands" and "Commands", written out from the prose.
    let lines = [
        "<inf> nrf_provisioning_http: No commands to process on server side",
        "<inf> nrf_provisioning_sample: Provisioning stopped",
        "<inf> nrf_provisioning_sample: Provisioning done, no commands received from the server",
        "<inf> nrf_provisioning: Checking for provisioning commands in 86401 seconds",
        "<inf> nrf_provisioning_sample: Provisioning scheduled, next attempt in 86401 seconds",
        "<inf> nrf_provisioning_http: Processing commands",
        "<inf> nrf_provisioning_sample: nRF Provisioning requires device to deactivate network",
        "<inf> nrf_provisioning: Disconnected from network - provisioning paused",
        "<inf> nrf_provisioning_sample: Network connectivity lost",
        "<inf> nrf_provisioning_sample: nRF Provisioning requires device to activate network",
        "<inf> nrf_provisioning: Connected; home network - provisioning resumed",
        "<inf> nrf_provisioning_sample: Network connectivity established",
        "<inf> nrf_provisioning_http: Sending response to server",
        "<inf> nrf_provisioning_sample: Provisioning stopped",
        "<inf> nrf_provisioning_sample: Provisioning done",
        "<inf> nrf_provisioning_sample: The device can now connect to the provisionined cloud service",
    ];
    let text = lines.join("\n");
    let d = decode(Era::V3_0, &text);
    assert!(d.unknown.is_empty(), "{:?}", d.unknown);
    assert_eq!(
        d.client_events(),
        [
            E::Stop,
            E::NoCommands,
            E::ScheduledProvisioning,
            E::NeedLteDeactivated,
            E::NeedLteActivated,
            E::Stop,
            E::Done
        ]
    );
    // The current spelling is not a 3.0 line.
    let other = "<inf> nrf_provisioning_sample: The device can now connect to the provisioned cloud service";
    assert_eq!(decode(Era::V3_0, other).unknown.len(), 1);
}

#[test]
fn v2_9_not_claimed_with_banner() {
    let text = data("a-not-claimed.txt");
    let (era, d) = decode_auto(Era::Current, &text);
    assert_eq!(era, Era::V2_9);
    assert!(d.unknown.is_empty(), "{:?}", d.unknown);
    assert_eq!(
        events(Era::V2_9, &text),
        [
            (E::ScheduledProvisioning, Some(3)),
            (E::Start, None),
            (E::Stop, None),
            (E::FailedDeviceNotClaimed, None),
            (E::ScheduledProvisioning, Some(86402))
        ]
    );
    assert_eq!(
        d.events.first().map(|h| &h.value),
        Some(&Happening::Boot {
            image: "nRF Connect SDK".into(),
            version: "2.9.0-7787b2649840".into()
        })
    );
    assert!(d
        .events
        .iter()
        .any(|h| h.value == Happening::LibraryError { errno: -13 }));
    assert!(d
        .events
        .iter()
        .any(|h| h.value == Happening::Milestone(Milestone::CertificateWritten)));
}

#[test]
fn v2_9_commands_finished_then_reboot() {
    let text = data("a-commands-finished.txt");
    let d = decode(Era::V2_9, &text);
    assert!(d.unknown.is_empty(), "{:?}", d.unknown);
    assert_eq!(d.client_events(), [E::Start, E::Stop, E::Done]);
    let kinds: Vec<&Happening> = d.events.iter().map(|h| &h.value).collect();
    assert!(kinds.contains(&&Happening::Request {
        transport: Transport::Http,
        request: Request::SendResponses
    }));
    assert!(matches!(kinds.last(), Some(Happening::Banner { .. })));
    assert!(kinds.iter().any(|h| matches!(h, Happening::Boot { .. })));
}

#[test]
fn byte_level_examples() {
    // §1.2 example and §1.3 idle unit.
    let bytes = b"\x1b[1;32muart:~$ \x1b[m\x1b[8D\x1b[J[00:00:05.123,456] \x1b[0m<inf> nrf_provisioning_sample: Provisioning started\x1b[0m\r\n\x1b[1;32muart:~$ \x1b[m";
    let mut s = StreamDecoder::new(Era::Current);
    let mut d = s.feed(bytes);
    let tail = s.finish();
    d.events.extend(tail.events);
    assert_eq!(d.client_events(), [E::Start]);
    assert!(d.unknown.is_empty());
    // The token WRN with its own CR LF LF and CR LF (§5.1), fed one byte at a time.
    let token = b"[00:00:02.000,000] \x1b[1;33m<wrn> nrf_provisioning_sample: Attestation token:\r\n\n2dn3hQFQUA.0oRDoQEm\r\n\x1b[0m\r\n";
    let mut s = StreamDecoder::new(Era::Current);
    let mut got = Vec::new();
    for b in token {
        got.extend(s.feed(&[*b]).events);
    }
    assert_eq!(
        got.iter().map(|h| h.value.clone()).collect::<Vec<_>>(),
        [
            Happening::Milestone(Milestone::TokenFollows),
            Happening::AttestationToken {
                token: "2dn3hQFQUA.0oRDoQEm".into()
            }
        ]
    );
    assert_eq!(got[1].line_no, 3);
    // The serial-modem host tests' line (§1.2): another application's module is unknown,
    // kept with its line number.
    let text = "\n[00:00:06.659,161] \x1b[0m<inf> main: Cloud connected\x1b[0m\r\n";
    let d = decode(Era::Current, text);
    assert_eq!(d.unknown.len(), 1);
    assert_eq!(d.unknown[0].line_no, 2);
    // AT shell output (§8) and shell errors (§1.4).
    let d = decode(
        Era::Current,
        "+CME ERROR: 514\r\r\nERROR\r\nfoo: command not found\r\nprovlab-run-42: command not found\r\n",
    );
    assert_eq!(
        d.events.iter().map(|h| h.value.clone()).collect::<Vec<_>>(),
        [
            Happening::AtError(provlab_hil::decode::AtFailure::Cme(514)),
            Happening::AtError(provlab_hil::decode::AtFailure::Error),
            Happening::ShellError {
                text: "foo: command not found".into()
            },
            Happening::RunMarker { id: "42".into() },
        ]
    );
}

#[test]
fn pattern_table_sizes() {
    let counts: Vec<usize> = Era::ALL.iter().map(|e| patterns::count(*e)).collect();
    eprintln!("patterns per era (v2.9, 3.0, current): {counts:?}");
    assert!(counts.iter().all(|c| *c > 30));
}

#[test]
fn truncated_captures_never_panic() {
    for name in [
        "mk-no-valid-datetime.txt",
        "c-readme-not-claimed.txt",
        "b-readme-not-claimed.txt",
        "a-not-claimed.txt",
    ] {
        let text = data(name);
        let full = decode_auto(Era::Current, &text).1.events;
        for cut in 0..=text.len() {
            let Some(prefix) = text.get(..cut) else {
                continue;
            };
            let part = decode_auto(Era::Current, prefix).1.events;
            // Everything but the cut line is a prefix of the whole.
            let keep = part.len().saturating_sub(1);
            assert_eq!(part.get(..keep), full.get(..keep), "{name} cut at {cut}");
        }
    }
}

proptest! {
    #[test]
    fn garbage_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        for era in Era::ALL {
            let mut s = StreamDecoder::auto(era);
            let mut d = s.feed(&bytes);
            let tail = s.finish();
            d.unknown.extend(tail.unknown);
            d.events.extend(tail.events);
            let lines = bytes.iter().filter(|b| **b == b'\n').count() + 1;
            for u in &d.unknown {
                prop_assert!(u.line_no >= 1 && u.line_no <= lines);
            }
            let numbers: Vec<usize> = d.unknown.iter().map(|u| u.line_no).collect();
            prop_assert!(numbers.windows(2).all(|w| w[0] <= w[1]));
        }
    }

    #[test]
    fn log_like_garbage_never_panics(
        parts in proptest::collection::vec(
            prop_oneof![
                Just("[00:00:01.000,000] ".to_owned()),
                Just("\x1b[1;32muart:~$ \x1b[m".to_owned()),
                Just("\x1b[8D\x1b[J".to_owned()),
                Just("<inf> nrf_provisioning_sample: ".to_owned()),
                Just("<err> nrf_provisioning: Provisioning failed, error: ".to_owned()),
                Just("Provisioning scheduled, next attempt in ".to_owned()),
                Just("99999999999999999999999".to_owned()),
                Just("-".to_owned()),
                Just(" seconds".to_owned()),
                Just("\r\n".to_owned()),
                Just("*** Booting nRF Connect SDK v".to_owned()),
                Just(" ***".to_owned()),
                "[ -~]{0,12}",
            ],
            0..64,
        )
    ) {
        let text: String = parts.concat();
        for era in Era::ALL {
            let _ = decode(era, &text);
        }
        let _ = decode_auto(Era::V2_9, &text);
    }
}
