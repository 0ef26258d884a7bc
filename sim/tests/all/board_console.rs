//! The virtual board's console, byte for byte against `sample-console.md`: the Zephyr log
//! format and colours (§1.2), the prompt erase/redraw around log messages (§1.3), the boot
//! banner per era (§1.1), `nrf_provisioning now|token|uuid|interval` (§7, §4.5), and the
//! era differences of the sample's and library's lines (§3–§6, §10, §11).
//!
//! The console is driven through its sans-IO front-end with a synthetic clock, so the
//! timestamps are exact. No network: the service address is a closed loopback port.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use provlab_client::{AttestationToken, Errno, Event};
use provlab_sim::board::log::{line, ticks, timestamp, Level};
use provlab_sim::board::render::{Happening, Message, Renderer};
use provlab_sim::board::{board_shell, BoardConfig, Era, TransportKind};
use provlab_sim::modem::{Modem, ModemConfig};
use provlab_sim::serial::{Emission, FrontEnd, Now, Shell};

const UNIX: u64 = 1_714_564_800;
const PROMPT: &str = "\x1b[1;32muart:~$ \x1b[m";
const ERASE: &str = "\x1b[8D\x1b[J";

fn at(ms: u64) -> Now {
    Now::new(UNIX, Duration::from_millis(ms))
}

fn board(era: Era) -> Shell {
    let modem = Modem::new(ModemConfig::from_seed(11)).unwrap();
    let config = BoardConfig::new(era, TransportKind::Http, "127.0.0.1", 1);
    board_shell(modem, config).unwrap()
}

fn text(emissions: &[Emission]) -> String {
    String::from_utf8(Emission::concat(emissions)).unwrap()
}

/// A log message as printed while the prompt is idle: erase, message, prompt.
fn idle(ts: &str, color: &str, tag: &str, module: &str, msg: &str) -> String {
    format!("{ERASE}{ts}{color}{tag} {module}: {msg}\x1b[0m\r\n{PROMPT}")
}

fn inf(ts: &str, module: &str, msg: &str) -> String {
    idle(ts, "\x1b[0m", "<inf>", module, msg)
}

#[test]
fn timestamps_and_line_layout() {
    // §1.2: `261,352` is 8564 ticks; [MK] `[00:01:03.301,300]`.
    assert_eq!(timestamp(8564), "[00:00:00.261,352] ");
    assert_eq!(timestamp(63 * 32_768 + 9873), "[00:01:03.301,300] ");
    assert_eq!(ticks(Duration::from_millis(500)), 16_384);
    assert_eq!(
        line(0, Level::Wrn, "nrf_provisioning", "x"),
        b"[00:00:00.000,000] \x1b[1;33m<wrn> nrf_provisioning: x\x1b[0m\r\n"
    );
    assert_eq!(
        line(0, Level::Err, "m", "y"),
        b"[00:00:00.000,000] \x1b[1;31m<err> m: y\x1b[0m\r\n"
    );
}

#[test]
fn current_boot_banner_logs_and_attach() {
    let mut shell = board(Era::Current);
    let boot = text(&shell.start(at(0)));
    assert_eq!(
        boot,
        format!(
            "*** Booting nRF Connect SDK v3.3.99-95ed8f7e7406 ***\r\n\
             *** Using Zephyr OS v4.4.0-14033cef1f73 ***\r\n\x1b[m\r\n{PROMPT}"
        )
    );
    let t0 = "[00:00:00.000,000] ";
    let logs = text(&shell.poll(at(0)).unwrap());
    assert_eq!(
        logs,
        format!(
            "{}{}",
            inf(
                t0,
                "nrf_provisioning_sample",
                "nRF Device Provisioning Sample"
            ),
            inf(
                t0,
                "nrf_provisioning_sample",
                "Bringing network interface up and connecting to the network"
            )
        )
    );
    // LTE attaches 500 ms later.
    assert_eq!(text(&shell.poll(at(499)).unwrap()), "");
    let t = "[00:00:00.500,000] ";
    assert_eq!(
        text(&shell.poll(at(500)).unwrap()),
        format!(
            "{}{}{}",
            inf(
                t,
                "nrf_provisioning_sample",
                "Network connectivity established"
            ),
            inf(
                t,
                "nrf_provisioning_sample",
                "IPv4 connectivity established"
            ),
            inf(
                t,
                "nrf_provisioning_sample",
                "IPv6 connectivity established"
            ),
        )
    );
}

#[test]
fn log_lines_redraw_a_half_typed_command() {
    let mut shell = board(Era::Current);
    shell.start(at(0));
    shell.poll(at(0)).unwrap();
    assert_eq!(text(&shell.push(at(100), b"nrf_prov").unwrap()), "nrf_prov");
    let out = text(&shell.poll(at(500)).unwrap());
    let first = format!(
        "\x1b[16D\x1b[J[00:00:00.500,000] \x1b[0m<inf> nrf_provisioning_sample: \
         Network connectivity established\x1b[0m\r\n{PROMPT}nrf_prov"
    );
    assert!(out.starts_with(&first), "{out:?}");
    assert_eq!(out.matches("\x1b[16D\x1b[J").count(), 3);
    assert!(out.ends_with(&format!("{PROMPT}nrf_prov")));
}

#[test]
fn v2_9_banner_boot_lines_and_now_in_command_context() {
    let mut shell = board(Era::V2_9);
    let boot = text(&shell.start(at(0)));
    assert!(boot.starts_with(
        "*** Booting nRF Connect SDK v2.9.0-7787b2649840 ***\r\n\
         *** Using Zephyr OS v3.7.99-1f8f3dc29142 ***\r\n"
    ));
    // §1.4: the first sample line is lost under LOG_MODE_IMMEDIATE.
    assert_eq!(
        text(&shell.poll(at(0)).unwrap()),
        inf(
            "[00:00:00.000,000] ",
            "nrf_provisioning_sample",
            "Establishing LTE link ..."
        )
    );
    // Attached, initialised (no built-in CA given, so no certificate lines).
    assert_eq!(text(&shell.poll(at(500)).unwrap()), "");
    // §4.5: echo, CRLF, the library line in command context (no erase), the prompt.
    let out = text(&shell.push(at(1000), b"nrf_provisioning now\r").unwrap());
    assert_eq!(
        out,
        format!(
            "nrf_provisioning now\r\n[00:00:01.000,000] \x1b[0m<inf> nrf_provisioning: \
             Externally initiated provisioning\x1b[0m\r\n{PROMPT}"
        )
    );
    let next = text(&shell.poll(at(1000)).unwrap());
    assert!(next.starts_with(&inf(
        "[00:00:01.000,000] ",
        "nrf_provisioning_sample",
        "Provisioning started"
    )));
}

#[test]
fn now_in_3_0_is_deferred_and_in_current_is_silent() {
    let mut shell = board(Era::V3_0);
    shell.start(at(0));
    shell.poll(at(0)).unwrap();
    shell.poll(at(500)).unwrap();
    let out = text(&shell.push(at(1000), b"nrf_provisioning now\r").unwrap());
    assert_eq!(out, format!("nrf_provisioning now\r\n{PROMPT}"));
    let next = text(&shell.poll(at(1000)).unwrap());
    assert!(next.starts_with(&inf(
        "[00:00:01.000,000] ",
        "nrf_provisioning",
        "Externally initiated provisioning"
    )));

    let mut shell = board(Era::Current);
    shell.start(at(0));
    shell.poll(at(0)).unwrap();
    shell.poll(at(500)).unwrap();
    let out = text(&shell.push(at(1000), b"nrf_provisioning now\r").unwrap());
    assert_eq!(out, format!("nrf_provisioning now\r\n{PROMPT}"));
    let next = text(&shell.poll(at(1000)).unwrap());
    assert!(!next.contains("Externally initiated provisioning"));
    assert!(next.starts_with(&inf(
        "[00:00:01.000,000] ",
        "nrf_provisioning_sample",
        "Provisioning started"
    )));
}

#[test]
fn token_uuid_interval_and_help() {
    let mut shell = board(Era::Current);
    shell.start(at(0));
    let uuid = shell.modem_mut().identity().device_uuid.to_string();
    let out = text(&shell.push(at(10), b"nrf_provisioning uuid\r").unwrap());
    assert_eq!(
        out,
        format!("nrf_provisioning uuid\r\n{uuid}\r\n\r\n{PROMPT}")
    );
    let out = text(&shell.push(at(10), b"nrf_provisioning token\r").unwrap());
    let token = out
        .strip_prefix("nrf_provisioning token\r\n")
        .and_then(|t| t.strip_suffix(&format!("\r\n\r\n{PROMPT}")))
        .unwrap();
    assert_eq!(token.split('.').count(), 2, "{token}");
    let out = text(&shell.push(at(10), b"nrf_provisioning interval\r").unwrap());
    assert_eq!(
        out,
        format!(
            "nrf_provisioning interval\r\n\x1b[1;31mNo interval provided\r\n\x1b[m\
             Usage: nrf_provisioning interval <seconds>\r\n{PROMPT}"
        )
    );
    let out = text(&shell.push(at(10), b"nrf_provisioning\r").unwrap());
    assert_eq!(
        out,
        format!(
            "nrf_provisioning\r\nnrf_provisioning - nRF Provisioning commands\r\n\
             Subcommands:\r\n\
             \x20 now       : Do provisioning now\r\n\
             \x20 token     : Get the attestation token\r\n\
             \x20 uuid      : Get device UUID\r\n\
             \x20 interval  : Set provisioning interval\r\n{PROMPT}"
        )
    );
    let mut old = board(Era::V2_9);
    old.start(at(0));
    let out = text(&old.push(at(10), b"nrf_provisioning\r").unwrap());
    assert!(out.contains("\r\n  init      : Start the client\r\n  now       : "));
}

fn texts(messages: &[Message]) -> Vec<String> {
    messages
        .iter()
        .map(|m| format!("{} {}: {}", m.level.tag(), m.module, m.text))
        .collect()
}

fn run(renderer: &mut Renderer, happenings: &[Happening]) -> Vec<String> {
    happenings
        .iter()
        .flat_map(|h| texts(&renderer.render(h)))
        .collect()
}

#[test]
fn not_claimed_in_3_0_prints_stop_first_then_the_token() {
    let token = AttestationToken {
        attest: "AAAA".into(),
        cose: "BBBB".into(),
    };
    let mut r = Renderer::new(Era::V3_0, 50);
    let lines = run(
        &mut r,
        &[
            Happening::Event(Event::Start, None),
            Happening::HttpFetch,
            Happening::HttpFetched(Some(403), false),
            Happening::Event(
                Event::FailedDeviceNotClaimed { token: Some(token) },
                Some(Errno::Eacces),
            ),
            Happening::Event(Event::Stop, None),
            Happening::Event(
                Event::ScheduledProvisioning {
                    next_attempt_s: 86401,
                },
                None,
            ),
        ],
    );
    // README @ 03cc4522 (§6.1).
    assert_eq!(
        lines,
        [
            "<inf> nrf_provisioning_sample: Provisioning started",
            "<inf> nrf_provisioning_http: Requesting commands",
            "<inf> nrf_provisioning_http: Connected",
            "<err> nrf_provisioning_http: Device provided wrong auth credentials",
            "<inf> nrf_provisioning_sample: Provisioning stopped",
            "<wrn> nrf_provisioning: Unauthorized access: device is not yet claimed.",
            "<wrn> nrf_provisioning_sample: Provisioning failed, device not claimed",
            "<wrn> nrf_provisioning_sample: Claim the device using the device's attestation token on nrfcloud.com",
            "<wrn> nrf_provisioning_sample: Attestation token:\r\n\nAAAA.BBBB\r\n",
            "<inf> nrf_provisioning: Checking for provisioning commands in 86401 seconds",
            "<inf> nrf_provisioning_sample: Provisioning scheduled, next attempt in 86401 seconds",
        ]
    );
}

#[test]
fn the_token_warning_bytes() {
    // §5.1: `[ts] \x1B[1;33m<wrn> …: Attestation token:\r\n\n<attest>.<cose>\r\n\x1B[0m\r\n`.
    let mut r = Renderer::new(Era::Current, 50);
    let token = AttestationToken {
        attest: "at".into(),
        cose: "co".into(),
    };
    let messages = r.render(&Happening::Event(
        Event::FailedDeviceNotClaimed { token: Some(token) },
        Some(Errno::Eacces),
    ));
    let last = messages.last().unwrap();
    assert_eq!(
        line(0, last.level, last.module, &last.text),
        b"[00:00:00.000,000] \x1b[1;33m<wrn> nrf_provisioning_sample: Attestation token:\r\n\nat.co\r\n\x1b[0m\r\n"
    );
}

#[test]
fn done_per_era() {
    let flow = [
        Happening::Event(Event::Start, None),
        Happening::Event(Event::Done, None),
        Happening::Event(Event::Stop, None),
    ];
    // [C]: result before STOP (§6.2, §10).
    assert_eq!(
        run(&mut Renderer::new(Era::Current, 50), &flow),
        [
            "<inf> nrf_provisioning_sample: Provisioning started",
            "<inf> nrf_provisioning_sample: Provisioning done",
            "<inf> nrf_provisioning_sample: The device can now connect to the provisioned cloud service",
            "<inf> nrf_provisioning_sample: Provisioning stopped",
        ]
    );
    // [B]: STOP first, and the "provisionined" typo (§11.2).
    assert_eq!(
        run(&mut Renderer::new(Era::V3_0, 50), &flow),
        [
            "<inf> nrf_provisioning_sample: Provisioning started",
            "<inf> nrf_provisioning_sample: Provisioning stopped",
            "<inf> nrf_provisioning_sample: Provisioning done",
            "<inf> nrf_provisioning_sample: The device can now connect to the provisionined cloud service",
        ]
    );
    // [A]: STOP, then the reboot line (§3.4, §10).
    assert_eq!(
        run(&mut Renderer::new(Era::V2_9, 50), &flow),
        [
            "<inf> nrf_provisioning_sample: Provisioning started",
            "<inf> nrf_provisioning_sample: Provisioning stopped",
            "<inf> nrf_provisioning_sample: Provisioning done, rebooting...",
        ]
    );
}

#[test]
fn scheduling_and_failure_lines_per_era() {
    let scheduled = [Happening::Event(
        Event::ScheduledProvisioning { next_attempt_s: 3 },
        None,
    )];
    // §11.1: the stray `s` of v2.9.
    assert_eq!(
        run(&mut Renderer::new(Era::V2_9, 50), &scheduled),
        ["<inf> nrf_provisioning: Checking for provisioning commands in 3s seconds"]
    );
    assert_eq!(
        run(&mut Renderer::new(Era::Current, 50), &scheduled),
        ["<inf> nrf_provisioning_sample: Provisioning scheduled, next attempt in 3 seconds"]
    );
    let wrong_ca = [Happening::Event(
        Event::FailedWrongRootCa,
        Some(Errno::Econnrefused),
    )];
    assert_eq!(
        run(&mut Renderer::new(Era::Current, 42384), &wrong_ca),
        [
            "<err> nrf_provisioning: Connection refused",
            "<wrn> nrf_provisioning: Please check the CA certificate stored in sectag 42384",
            "<err> nrf_provisioning_sample: Provisioning failed, wrong root CA certificate for nRF Cloud provisioned",
        ]
    );
    // [A] held until STOP, with the errno (picolibc numbers, §1.6).
    let mut old = Renderer::new(Era::V2_9, 50);
    let lines = run(
        &mut old,
        &[
            Happening::Event(
                Event::FailedDeviceNotClaimed { token: None },
                Some(Errno::Eacces),
            ),
            Happening::Event(Event::Stop, None),
        ],
    );
    assert_eq!(
        lines,
        [
            "<inf> nrf_provisioning_sample: Provisioning stopped",
            "<wrn> nrf_provisioning: Unauthorized access: device is not yet claimed.",
            "<err> nrf_provisioning: Provisioning failed, error: -13",
        ]
    );
    // [MK]: the newest no-valid-time wording.
    assert_eq!(
        run(
            &mut Renderer::new(Era::Current, 50),
            &[Happening::Event(
                Event::FailedNoValidDatetime,
                Some(Errno::Etimedout)
            )]
        ),
        [
            "<err> nrf_provisioning: Failed to get valid modem time, err -116",
            "<err> nrf_provisioning_sample: Provisioning failed, no valid datetime reference",
        ]
    );
}

#[test]
fn commands_batch_lines_per_era() {
    let batch = [
        Happening::HttpFetch,
        Happening::HttpFetched(Some(200), true),
        Happening::Event(Event::NeedLteDeactivated, None),
        Happening::Event(Event::NeedLteActivated, None),
        Happening::Attached { first: false },
        Happening::HttpReport,
    ];
    // §6 [MK]/[C] per-batch sequence.
    assert_eq!(
        run(&mut Renderer::new(Era::Current, 50), &batch),
        [
            "<inf> nrf_provisioning_http: Requesting commands",
            "<inf> nrf_provisioning_http: Connected",
            "<inf> nrf_provisioning_http: Processing commands",
            "<inf> nrf_provisioning_sample: nRF Provisioning requires device to deactivate network",
            "<inf> nrf_provisioning_sample: Network connectivity lost",
            "<inf> nrf_provisioning_sample: nRF Provisioning requires device to activate network",
            "<inf> nrf_provisioning_sample: Network connectivity established",
            "<inf> nrf_provisioning_sample: IPv4 connectivity established",
            "<inf> nrf_provisioning_sample: IPv6 connectivity established",
            "<inf> nrf_provisioning_http: Sending response to server",
        ]
    );
    // §4.5 [A] per-batch sequence.
    assert_eq!(
        run(&mut Renderer::new(Era::V2_9, 50), &batch),
        [
            "<inf> nrf_provisioning_http: Requesting commands",
            "<inf> nrf_provisioning_http: Connected",
            "<inf> nrf_provisioning_http: Processing commands",
            "<inf> nrf_provisioning: Disconnected from network - provisioning paused",
            "<inf> nrf_provisioning: Connected; home network - provisioning resumed",
            "<inf> nrf_provisioning_sample: Modem connection restored",
            "<inf> nrf_provisioning_sample: Waiting for modem to acquire network time...",
            "<inf> nrf_provisioning_sample: Network time obtained",
            "<inf> nrf_provisioning_http: Sending response to server",
        ]
    );
}
