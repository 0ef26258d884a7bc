//! Fuzzes the Zephyr shell front-end (`sim::serial::Shell`, `provlab modem --mode shell` and
//! the virtual board's console): its line editor (echo, backspace, CR/LF pairs, escape
//! sequences, Ctrl-C, wrapping, the bounded line buffer), argument splitting and the `at`,
//! `nrf_provisioning` and `kernel` commands on a modem built as the simulation builds it.
//!
//! Input: byte 0 = number `n` of chunk-size bytes (mod 16), bytes 1..=n = chunk sizes
//! (cycled; 0 means 1), byte n+1 = settings (bits 0-1: line buffer 2048, 64, 16 or 2 bytes;
//! bit 2: `\n` unescaping off; bits 3-4: terminal width 80, 20, 1 or 200), the rest = the
//! bytes typed.
//!
//! Invariants: nothing panics; the line being typed stays within the buffer; everything the
//! shell prints is ASCII (bytes above 127 are dropped on input); splitting the bytes into
//! reads does not change what is printed, unless the board rebooted (bytes after
//! `kernel reboot` in the same read are lost, as on a board).
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use provlab_modem::{Modem, ModemConfig};
use provlab_sim::serial::shell::BANNER_V2_9_0;
use provlab_sim::serial::{Emission, FrontEnd as _, Now, Shell, ShellConfig};

fn shell(settings: u8) -> Shell {
    let modem = Modem::new(ModemConfig::from_seed(7)).expect("a modem in memory starts");
    let config = ShellConfig {
        cmd_buff_size: [2048, 64, 16, 2][usize::from(settings & 3)],
        unescape_lf: settings & 4 == 0,
        terminal_width: [80, 20, 1, 200][usize::from((settings >> 3) & 3)],
        ..ShellConfig::default()
    };
    Shell::with_config(modem, config)
}

fn now() -> Now {
    Now::new(1_714_564_800, Duration::from_secs(1))
}

fn check(shell: &Shell, out: &[u8]) {
    assert!(shell.pending_line().len() < shell.config().cmd_buff_size);
    assert!(
        out.is_ascii(),
        "non-ASCII output {:?}",
        String::from_utf8_lossy(out)
    );
}

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let n = usize::from(n % 16).min(rest.len());
    let (sizes, rest) = rest.split_at(n);
    let Some((&settings, typed)) = rest.split_first() else {
        return;
    };

    let mut whole = shell(settings);
    let mut expected = Emission::concat(&whole.start(now()));
    let Ok(out) = whole.push(now(), typed) else {
        return;
    };
    expected.extend(Emission::concat(&out));
    check(&whole, &expected);

    let mut chunked = shell(settings);
    let mut printed = Emission::concat(&chunked.start(now()));
    let mut at = 0;
    let mut i = 0;
    while at < typed.len() {
        let size = sizes
            .get(i % sizes.len().max(1))
            .map_or(typed.len(), |&s| usize::from(s).max(1));
        let end = (at + size).min(typed.len());
        let Ok(out) = chunked.push(now(), &typed[at..end]) else {
            return;
        };
        printed.extend(Emission::concat(&out));
        check(&chunked, &printed);
        at = end;
        i += 1;
    }
    let banner = BANNER_V2_9_0[0].as_bytes();
    let boots = |out: &[u8]| out.windows(banner.len()).filter(|w| *w == banner).count();
    if boots(&expected) == 1 && boots(&printed) == 1 {
        assert_eq!(
            String::from_utf8_lossy(&printed),
            String::from_utf8_lossy(&expected),
            "the split changed the output"
        );
    }
});
