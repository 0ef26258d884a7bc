//! The Zephyr-shell front-end, byte for byte as `sample-console.md` describes the console.
#![allow(clippy::unwrap_used)]

use crate::serial_support;

use std::time::Duration;

use provlab_sim::modem::{FaultAction, FaultRule};
use provlab_sim::serial::shell::{Shell, ShellConfig, PROMPT_DRAWN};
use provlab_sim::serial::{Emission, FrontEnd};
use serial_support::{at, modem, push, sha_hex, Bytes};

const BOOT: &str = "*** Booting nRF Connect SDK v2.9.0-7787b2649840 ***\r\n\
                    *** Using Zephyr OS v3.7.99-1f8f3dc29142 ***\r\n\
                    \x1b[m\r\n\x1b[1;32muart:~$ \x1b[m";
const RED: &str = "\x1b[1;31m";
const OFF: &str = "\x1b[m";

fn shell() -> Shell {
    let mut s = Shell::new(modem(7));
    s.start(at(0));
    s
}

/// What the console shows for one typed line: the echo (with a line break whenever prompt and
/// line fill an 80-column row), Enter, `output`, the prompt.
fn typed(line: &str, output: &str) -> String {
    let mut echo = String::new();
    for (i, c) in line.chars().enumerate() {
        echo.push(c);
        if (8 + i + 1) % 80 == 0 {
            echo.push_str("\r\n");
        }
    }
    let enter = if (8 + line.len()).is_multiple_of(80) {
        ""
    } else {
        "\r\n"
    };
    format!("{echo}{enter}{output}{PROMPT_DRAWN}")
}

#[test]
fn boots_with_the_banner_and_a_green_prompt() {
    let mut s = Shell::new(modem(7));
    let out = s.start(at(0));
    assert_eq!(String::from_utf8(Emission::concat(&out)).unwrap(), BOOT);
    assert_eq!(PROMPT_DRAWN, "\x1b[1;32muart:~$ \x1b[m");
}

#[test]
fn at_command_output_is_the_modem_answer_with_olf_crlf() {
    let mut s = shell();
    let imei = s.modem().identity().imei.clone();
    assert_eq!(
        push(&mut s, at(0), b"at AT+CGSN\r\n"),
        typed("at AT+CGSN", &format!("{imei}\r\r\nOK\r\r\n\r\n"))
    );
    assert_eq!(
        push(&mut s, at(0), b"at AT+CGSN=1\r"),
        typed(
            "at AT+CGSN=1",
            &format!("+CGSN: \"{imei}\"\r\r\nOK\r\r\n\r\n")
        )
    );
}

#[test]
fn modem_errors_are_printed_as_the_modem_sent_them() {
    let mut s = shell();
    assert_eq!(
        push(&mut s, at(0), b"at AT+NOPE\r\n"),
        typed("at AT+NOPE", "ERROR\r\r\n\r\n")
    );
    push(&mut s, at(0), b"at AT+CMEE=1\r\n");
    assert_eq!(
        push(&mut s, at(0), b"at AT%CMNG=3,1,0\r\n"),
        typed("at AT%CMNG=3,1,0", "+CME ERROR: 513\r\r\n\r\n")
    );
}

#[test]
fn echo_comes_byte_by_byte_and_enter_runs_the_line() {
    let mut s = shell();
    let mut echo = String::new();
    for b in b"at AT" {
        echo += &push(&mut s, at(0), &[*b]);
    }
    assert_eq!(echo, "at AT");
    assert_eq!(s.pending_line(), b"at AT");
    assert_eq!(
        push(&mut s, at(0), b"\r"),
        format!("\r\nOK\r\r\n\r\n{PROMPT_DRAWN}")
    );
    // The LF of the CRLF is swallowed, and so is every further LF after that CR.
    assert_eq!(push(&mut s, at(0), b"\n\n\n"), "");
    // An empty line: a new line and the prompt.
    assert_eq!(push(&mut s, at(0), b"\r"), format!("\r\n{PROMPT_DRAWN}"));
    assert_eq!(push(&mut s, at(0), b"\r"), format!("\r\n{PROMPT_DRAWN}"));
    // LF alone works too; then CR after LF is swallowed.
    assert_eq!(push(&mut s, at(0), b"x"), "x");
    assert_eq!(
        push(&mut s, at(0), b"\n\r"),
        format!("\r\n{RED}x: command not found\r\n{OFF}{PROMPT_DRAWN}")
    );
}

#[test]
fn single_quotes_are_unwrapped_and_backslash_n_is_a_line_break_for_cmng_writes() {
    let mut s = shell();
    push(&mut s, at(0), b"at AT+CFUN=4\r\n");
    let line =
        r#"at 'AT%CMNG=0,42,0,"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"'"#;
    let out = push(&mut s, at(0), format!("{line}\r\n").as_bytes());
    assert_eq!(out, typed(line, "OK\r\r\n\r\n"));
    let stored = "-----BEGIN CERTIFICATE-----\r\nMIIB\r\n-----END CERTIFICATE-----";
    assert_eq!(
        push(&mut s, at(0), b"at 'AT%CMNG=1,42'\r\n"),
        typed(
            "at 'AT%CMNG=1,42'",
            &format!(
                "%CMNG: 42,0,\"{}\"\r\r\nOK\r\r\n\r\n",
                sha_hex(stored.as_bytes())
            )
        )
    );
}

#[test]
fn backslash_n_stays_literal_in_other_commands_and_without_unescaping() {
    let config = ShellConfig {
        unescape_lf: false,
        ..ShellConfig::default()
    };
    let mut s = Shell::with_config(modem(7), config);
    push(&mut s, at(0), b"at AT+CFUN=4\r\n");
    push(&mut s, at(0), br#"at 'AT%CMNG=0,5,0,"a\nb"'"#);
    push(&mut s, at(0), b"\r\n");
    let out = push(&mut s, at(0), b"at AT%CMNG=1,5\r\n");
    assert!(out.contains(&sha_hex(br"a\nb")), "{out:?}");
}

#[test]
fn double_quotes_outside_single_quotes_are_removed_like_zephyr_does() {
    let mut s = shell();
    // `at AT+CGSN="1"` reaches the modem as AT+CGSN=1.
    let imei = s.modem().identity().imei.clone();
    assert_eq!(
        push(&mut s, at(0), b"at AT+CGSN=\"1\"\r\n"),
        typed(
            "at AT+CGSN=\"1\"",
            &format!("+CGSN: \"{imei}\"\r\r\nOK\r\r\n\r\n")
        )
    );
}

#[test]
fn unknown_commands_unterminated_quotes_and_too_many_arguments() {
    let mut s = shell();
    assert_eq!(
        push(&mut s, at(0), b"foo bar\r\n"),
        typed("foo bar", &format!("{RED}foo: command not found\r\n{OFF}"))
    );
    assert_eq!(
        push(&mut s, at(0), b"at 'AT+CGSN\r\n"),
        typed("at 'AT+CGSN", &format!("{RED}not terminated: '\r\n{OFF}"))
    );
    let many = format!("at{}", " x".repeat(20));
    assert_eq!(
        push(&mut s, at(0), format!("{many}\r").as_bytes()),
        typed(
            &many,
            &format!("{RED}Too many arguments in the command.\r\n{OFF}")
        )
    );
    // Only spaces: nothing runs.
    assert_eq!(push(&mut s, at(0), b"   \r"), typed("   ", ""));
}

#[test]
fn at_alone_prints_the_usage() {
    let mut s = shell();
    let usage = "Usage: at <subcommand>\r\n\r\nSubcommands:\r\n  \
                 events_enable     Enable AT event handler which prints AT notifications\r\n  \
                 events_disable    Disable AT event handler\r\n\r\n\
                 Any other subcommand is interpreted as AT command and sent to the modem.\r\n\r\n";
    assert_eq!(push(&mut s, at(0), b"at\r\n"), typed("at", usage));
    assert_eq!(
        push(&mut s, at(0), b"at events_enable\r\n"),
        typed("at events_enable", "AT command event handler enabled\r\n")
    );
    assert!(s.events_enabled());
}

#[test]
fn nrf_provisioning_prints_help_and_says_the_client_is_not_there_yet() {
    let mut s = shell();
    let help = "nrf_provisioning - nRF Provisioning commands\r\nSubcommands:\r\n\
                \x20 init      : Start the client\r\n\
                \x20 now       : Do provisioning now\r\n\
                \x20 token     : Get the attestation token\r\n\
                \x20 uuid      : Get device UUID\r\n\
                \x20 interval  : Set provisioning interval\r\n";
    assert_eq!(
        push(&mut s, at(0), b"nrf_provisioning\r\n"),
        typed("nrf_provisioning", help)
    );
    assert_eq!(
        push(&mut s, at(0), b"nrf_provisioning bogus\r\n"),
        typed("nrf_provisioning bogus", help)
    );
    for sub in ["init", "now", "token", "uuid", "interval 60"] {
        let line = format!("nrf_provisioning {sub}");
        let out = push(&mut s, at(0), format!("{line}\r\n").as_bytes());
        let name = sub.split(' ').next().unwrap();
        assert_eq!(
            out,
            typed(
                &line,
                &format!(
                    "{RED}nrf_provisioning {name}: the provisioning client is not part of \
                     this simulation yet\r\n{OFF}"
                )
            )
        );
    }
}

#[test]
fn kernel_reboot_warm_prints_nothing_then_boots_again() {
    let mut s = shell();
    push(&mut s, at(0), b"at AT+CFUN=4\r\nat AT+CMEE=1\r\n");
    assert_eq!(s.modem().cfun(), 4);
    // Bytes after the reboot command in the same read are lost with the reboot.
    let out = push(&mut s, at(0), b"kernel reboot warm\r\nat AT\r\n");
    assert_eq!(out, format!("kernel reboot warm\r\n{BOOT}"));
    assert_eq!(s.modem().cfun(), 0);
    assert!(!s.modem().cmee());
    assert_eq!(
        push(&mut s, at(0), b"at AT\r\n"),
        typed("at AT", "OK\r\r\n\r\n")
    );
    let out = push(&mut s, at(0), b"kernel reboot cold\r\n");
    assert_eq!(out, format!("kernel reboot cold\r\n{BOOT}"));
}

#[test]
fn backspace_erases_and_control_bytes_are_ignored() {
    let mut s = shell();
    assert_eq!(push(&mut s, at(0), b"att"), "att");
    assert_eq!(push(&mut s, at(0), b"\x7f"), "\x1b[1D\x1b[J");
    assert_eq!(
        push(&mut s, at(0), b"\x08\x08\x08"),
        "\x1b[1D\x1b[J\x1b[1D\x1b[J"
    );
    assert_eq!(s.pending_line(), b"");
    // Tab, NUL, bytes above 127 and an arrow key: nothing.
    assert_eq!(push(&mut s, at(0), b"\t\0\xc3\xa9\x1b[A\x1b[3~"), "");
    assert_eq!(
        push(&mut s, at(0), b"at AT\r"),
        typed("at AT", "OK\r\r\n\r\n")
    );
    // Ctrl-C drops the line.
    assert_eq!(
        push(&mut s, at(0), b"at\x03"),
        format!("at\r\n{PROMPT_DRAWN}")
    );
}

#[test]
fn the_echo_wraps_at_80_columns_like_zephyr() {
    let mut s = shell();
    // 8 prompt columns + 72 characters fill the first row.
    let line = format!("at AT+CGMM{}", " ".repeat(62));
    assert_eq!(line.len(), 72);
    let echo = push(&mut s, at(0), line.as_bytes());
    assert_eq!(echo, format!("{line}\r\n"));
    // Enter at the start of a row adds no second line break.
    assert_eq!(
        push(&mut s, at(0), b"\r"),
        format!("nRF9160-SICA\r\r\nOK\r\r\n\r\n{PROMPT_DRAWN}")
    );
    // Backspace at the start of a row goes up to the end of the previous one.
    push(&mut s, at(0), line.as_bytes());
    assert_eq!(push(&mut s, at(0), b"\x7f"), "\x1b[1A\x1b[79C\x1b[J");
}

#[test]
fn a_too_long_answer_fails_with_e2big_as_the_at_shell_does() {
    let mut s = shell();
    push(&mut s, at(0), b"at AT+CFUN=4\r\n");
    for tag in 0..40 {
        push(
            &mut s,
            at(0),
            format!("at 'AT%CMNG=0,{tag},0,\"x\"'\r\n").as_bytes(),
        );
    }
    assert_eq!(s.modem().credentials().len(), 40);
    assert_eq!(
        push(&mut s, at(0), b"at AT%CMNG=1\r\n"),
        typed(
            "at AT%CMNG=1",
            "Sending AT command failed with error code -7\r\n"
        )
    );
}

#[test]
fn the_answer_delay_of_the_modem_comes_before_the_answer() {
    let mut s = shell();
    s.modem_mut().faults().add(FaultRule::new(
        "+CGMM",
        FaultAction::Delay(Duration::from_secs(2)),
    ));
    let out = s.push(at(0), b"at AT+CGMM\r\n").unwrap();
    assert_eq!(
        out,
        vec![
            Emission {
                delay: Duration::ZERO,
                bytes: b"at AT+CGMM\r\n".to_vec()
            },
            Emission {
                delay: Duration::from_secs(2),
                bytes: format!("nRF9160-SICA\r\r\nOK\r\r\n\r\n{PROMPT_DRAWN}").into_bytes()
            },
        ]
    );
}

#[test]
fn garbage_is_filtered_and_the_shell_keeps_serving() {
    let mut s = shell();
    let mut gen = Bytes::new(42);
    for round in 0..20 {
        let garbage = gen.take(400, b"");
        let out = push(&mut s, at(round), &garbage);
        // Only printable echo, line breaks, escape sequences and red error lines.
        assert!(
            out.bytes()
                .all(|b| b == b'\r' || b == b'\n' || b == 0x1b || (0x20..0x7f).contains(&b)),
            "round {round}: {out:?}"
        );
        // Ctrl-C clears whatever is left (the first one may end an escape sequence the
        // garbage started), then the shell answers.
        push(&mut s, at(round), b"\x03\x03");
        assert_eq!(
            push(&mut s, at(round), b"at AT\r"),
            typed("at AT", "OK\r\r\n\r\n"),
            "round {round}"
        );
    }
}

#[test]
fn a_64_kib_line_is_cut_at_the_command_buffer_and_the_shell_keeps_serving() {
    let mut s = shell();
    let mut line = b"at AT+CGSN=".to_vec();
    line.extend(std::iter::repeat_n(b'1', 64 * 1024));
    let echo = push(&mut s, at(0), &line);
    // 2047 bytes are kept and echoed (with a line break every 80 columns); the rest is
    // dropped without echo.
    assert_eq!(s.pending_line().len(), 2047);
    let echoed: String = echo.chars().filter(|c| *c != '\r' && *c != '\n').collect();
    assert_eq!(echoed.len(), 2047);
    // The truncated command reaches the modem, which refuses it.
    let out = push(&mut s, at(0), b"\r\n");
    assert!(
        out.ends_with(&format!("ERROR\r\r\n\r\n{PROMPT_DRAWN}")),
        "{out:?}"
    );
    assert_eq!(
        push(&mut s, at(0), b"at AT\r\n"),
        typed("at AT", "OK\r\r\n\r\n")
    );
}

#[test]
fn an_unterminated_quote_and_a_newline_flood_are_bounded() {
    let mut s = shell();
    let mut input = b"at 'AT%CMNG=0,1,0,\"".to_vec();
    input.extend(std::iter::repeat_n(b'\n', 10_000));
    let out = push(&mut s, at(0), &input);
    // The shell ends lines at LF whatever the quotes: one error, then an empty line each.
    let first = typed(
        "at 'AT%CMNG=0,1,0,\"",
        &format!("{RED}not terminated: '\r\n{OFF}"),
    );
    assert!(out.starts_with(&first), "{:?}", &out[..200.min(out.len())]);
    let empty = format!("\r\n{PROMPT_DRAWN}");
    assert_eq!(out.len(), first.len() + 9_999 * empty.len());
    assert_eq!(
        push(&mut s, at(0), b"at AT\r\n"),
        typed("at AT", "OK\r\r\n\r\n")
    );
}
