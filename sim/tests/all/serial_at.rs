//! The AT-host front-end, byte for byte: answers, framing, and bad input.
#![allow(clippy::unwrap_used)]

use crate::serial_support;

use std::time::Duration;

use provlab_sim::modem::{FaultAction, FaultRule};
use provlab_sim::serial::{AtHost, AtHostConfig, Emission, FrontEnd};
use serial_support::{at, modem, push, sha_hex, Bytes};

fn host() -> AtHost {
    AtHost::new(modem(7))
}

#[test]
fn answers_without_echo_and_prints_nothing_at_start() {
    let mut h = host();
    assert!(h.start(at(0)).is_empty());
    assert_eq!(push(&mut h, at(0), b"AT\r\n"), "OK\r\n");
    assert_eq!(push(&mut h, at(0), b"at\r"), "OK\r\n");
}

#[test]
fn imei_in_both_forms() {
    let mut h = host();
    let imei = h.modem().identity().imei.clone();
    assert_eq!(imei.len(), 15);
    assert_eq!(
        push(&mut h, at(0), b"AT+CGSN=1\r\n"),
        format!("+CGSN: \"{imei}\"\r\nOK\r\n")
    );
    assert_eq!(
        push(&mut h, at(0), b"AT+CGSN\r\n"),
        format!("{imei}\r\nOK\r\n")
    );
}

#[test]
fn a_command_split_over_reads_is_one_command() {
    let mut h = host();
    assert_eq!(push(&mut h, at(0), b"AT+CG"), "");
    assert_eq!(push(&mut h, at(0), b"MM"), "");
    assert_eq!(push(&mut h, at(0), b"\r"), "nRF9160-SICA\r\nOK\r\n");
    // The LF of that CRLF is an empty command: ignored.
    assert_eq!(push(&mut h, at(0), b"\n"), "");
}

#[test]
fn several_commands_in_one_read_are_answered_in_order() {
    let mut h = host();
    let out = push(
        &mut h,
        at(0),
        b"AT\r\nAT+CMEE=1\r\nAT%CMNG=3,1,0\r\nAT+CMEE?\r\n",
    );
    assert_eq!(out, "OK\r\nOK\r\n+CME ERROR: 513\r\n+CMEE: 1\r\nOK\r\n");
}

#[test]
fn the_shell_mode_probe_fails_fast() {
    let mut h = host();
    for _ in 0..3 {
        let out = h.push(at(0), b"at AT+CGSN\r\n").unwrap();
        assert_eq!(Emission::concat(&out), b"ERROR\r\n");
        assert_eq!(Emission::total_delay(&out), Duration::ZERO);
    }
}

#[test]
fn a_multi_line_pem_in_quotes_is_one_command() {
    let mut h = host();
    let pem = "-----BEGIN CERTIFICATE-----\nMIIB\nAAAA\n-----END CERTIFICATE-----";
    assert_eq!(push(&mut h, at(0), b"AT+CFUN=4\r\n"), "OK\r\n");
    let cmd = format!("AT%CMNG=0,42,0,\"{pem}\"\r\n");
    assert_eq!(push(&mut h, at(0), cmd.as_bytes()), "OK\r\n");
    assert_eq!(
        push(&mut h, at(0), b"AT%CMNG=1\r\n"),
        format!("%CMNG: 42,0,\"{}\"\r\nOK\r\n", sha_hex(pem.as_bytes()))
    );
}

#[test]
fn garbage_gets_error_and_the_modem_keeps_serving() {
    let mut h = host();
    let mut gen = Bytes::new(0x5eed);
    // No quotes, so that every terminator in the garbage ends a (garbage) command.
    for round in 0..20 {
        let garbage = gen.take(300, b"\"");
        let out = push(&mut h, at(round), &garbage);
        let out = out + &push(&mut h, at(round), b"\r\n");
        assert!(!out.is_empty(), "round {round}: garbage got no answer");
        assert!(
            out.split_terminator("\r\n").all(|l| l == "ERROR"),
            "round {round}: unexpected answer {out:?}"
        );
        assert_eq!(
            push(&mut h, at(round), b"AT\r\n"),
            "OK\r\n",
            "round {round}"
        );
    }
}

#[test]
fn garbage_with_quotes_recovers_after_an_idle_pause() {
    let mut h = host();
    let mut gen = Bytes::new(0xbad);
    for round in 0..10u64 {
        let t = round * 10;
        let garbage = gen.take(500, b"");
        let out = push(&mut h, at(t), &garbage);
        assert!(
            out.split_terminator("\r\n").all(|l| l == "ERROR"),
            "round {round}: {out:?}"
        );
        // An odd number of quotes leaves the line open; a pause of 2 s forgets it. A pending
        // line outside quotes is ended by the CR and answered ERROR.
        let end = push(&mut h, at(t + 3), b"\r\n");
        assert!(
            end.is_empty() || end == "ERROR\r\n",
            "round {round}: {end:?}"
        );
        assert_eq!(
            push(&mut h, at(t + 3), b"AT\r\n"),
            "OK\r\n",
            "round {round}"
        );
    }
}

#[test]
fn a_64_kib_line_gets_one_error_and_the_next_command_works() {
    let mut h = host();
    let mut line = b"AT+CGSN=".to_vec();
    line.extend(std::iter::repeat_n(b'1', 64 * 1024));
    line.extend_from_slice(b"\r\n");
    assert_eq!(push(&mut h, at(0), &line), "ERROR\r\n");
    assert_eq!(push(&mut h, at(0), b"AT\r\n"), "OK\r\n");
    // The same line in small reads: still exactly one ERROR.
    let mut out = String::new();
    for chunk in line.chunks(100) {
        out += &push(&mut h, at(1), chunk);
    }
    assert_eq!(out, "ERROR\r\n");
    assert_eq!(push(&mut h, at(1), b"AT\r\n"), "OK\r\n");
}

#[test]
fn the_error_for_a_long_line_is_plain_error_even_with_cmee() {
    let mut h = host();
    assert_eq!(push(&mut h, at(0), b"AT+CMEE=1\r\n"), "OK\r\n");
    let line = vec![b'A'; 10_000];
    assert_eq!(push(&mut h, at(0), &line), "ERROR\r\n");
    assert_eq!(push(&mut h, at(0), b"\r\nAT\r\n"), "OK\r\n");
}

#[test]
fn an_unterminated_quote_and_a_newline_flood_is_bounded() {
    let mut h = host();
    let mut input = b"AT%CMNG=0,42,0,\"".to_vec();
    input.extend(std::iter::repeat_n(b'\n', 100_000));
    assert_eq!(push(&mut h, at(0), &input), "ERROR\r\n");
    // Still inside the quote: a command sent at once is data of the dropped line.
    assert_eq!(push(&mut h, at(1), b"AT\r\n"), "");
    assert!(h.has_partial_line());
    // After 2 s without input the open quote is forgotten.
    assert_eq!(push(&mut h, at(3), b"AT\r\n"), "OK\r\n");
    assert!(!h.has_partial_line());
}

#[test]
fn closing_the_quote_also_recovers_at_once() {
    let mut h = host();
    let mut input = b"AT%CMNG=0,42,0,\"".to_vec();
    input.extend(std::iter::repeat_n(b'\n', 20_000));
    assert_eq!(push(&mut h, at(0), &input), "ERROR\r\n");
    assert_eq!(push(&mut h, at(0), b"\"\r\nAT\r\n"), "OK\r\n");
}

#[test]
fn a_pause_inside_a_quote_shorter_than_the_limit_keeps_the_line() {
    let config = AtHostConfig {
        quote_idle_reset: Duration::from_secs(5),
        ..AtHostConfig::default()
    };
    let mut h = AtHost::with_config(modem(7), config);
    assert_eq!(h.config().quote_idle_reset, Duration::from_secs(5));
    assert_eq!(push(&mut h, at(0), b"AT+CFUN=4\r\n"), "OK\r\n");
    assert_eq!(push(&mut h, at(0), b"AT%CMNG=0,7,0,\"ab\n"), "");
    assert_eq!(push(&mut h, at(4), b"cd\"\r\n"), "OK\r\n");
    assert_eq!(
        push(&mut h, at(4), b"AT%CMNG=1,7\r\n"),
        format!("%CMNG: 7,0,\"{}\"\r\nOK\r\n", sha_hex(b"ab\ncd"))
    );
}

#[test]
fn a_small_line_limit_is_honoured() {
    let config = AtHostConfig {
        max_line_len: 8,
        ..AtHostConfig::default()
    };
    let mut h = AtHost::with_config(modem(7), config);
    assert_eq!(
        push(&mut h, at(0), b"AT+CGMM\r\n"),
        "nRF9160-SICA\r\nOK\r\n"
    );
    assert_eq!(push(&mut h, at(0), b"AT+CGSN=1\r\n"), "ERROR\r\n");
}

#[test]
fn delays_and_reboots_of_the_modem_are_passed_on() {
    let mut h = host();
    h.modem_mut().faults().add(FaultRule::new(
        "+CGMR",
        FaultAction::Delay(Duration::from_millis(1500)),
    ));
    h.modem_mut()
        .faults()
        .add(FaultRule::new("+CMEE", FaultAction::Reboot).nth(1));
    let out = h.push(at(0), b"AT\r\nAT+CGMR\r\nAT\r\n").unwrap();
    assert_eq!(
        out,
        vec![
            Emission {
                delay: Duration::ZERO,
                bytes: b"OK\r\n".to_vec()
            },
            Emission {
                delay: Duration::from_millis(1500),
                bytes: b"mfw_nrf9160_1.3.5\r\nOK\r\nOK\r\n".to_vec()
            },
        ]
    );
    // A reboot after AT+CMEE=1 puts CMEE back to 0.
    assert_eq!(push(&mut h, at(0), b"AT+CMEE=1\r\n"), "OK\r\n");
    assert!(!h.modem().cmee());
    assert_eq!(push(&mut h, at(0), b"AT+CMEE?\r\n"), "+CMEE: 0\r\nOK\r\n");
}
