//! Fuzzes whole AT command execution on the simulated modem (`modem::Modem::execute`), built
//! as the simulation builds it (`ModemConfig::from_seed`, NVM in memory), not just the line
//! parser: a sequence of lines runs on one modem, so credentials written by one command are
//! read, listed, deleted or used for `%KEYGEN`/`%JWT` by the next.
//!
//! Input: lines separated by LF (a CR before it is dropped). A line that is a single `0x00`
//! reboots the modem; a single `0x01` toggles network time.
//!
//! Invariants, after every command: nothing panics; the answer is well framed
//! (`Answer::validate`) and its text ends with `OK`, `ERROR` or `+CME ERROR: <n>` and CR LF;
//! the host-side answer parser reads the text back as exactly that one answer; no delay or
//! reboot without a fault rule; the credentials in force are the ones persisted in NVM. A
//! reboot keeps the credentials.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use provlab_modem::{Modem, ModemConfig};
use provlab_proto::at::{AnswerEvent, AnswerParser};

const NOW: u64 = 1_714_564_800;

fn final_line_ok(text: &str) -> bool {
    let Some(body) = text.strip_suffix("\r\n") else {
        return false;
    };
    let last = body.rsplit("\r\n").next().unwrap_or(body);
    last == "OK"
        || last == "ERROR"
        || last
            .strip_prefix("+CME ERROR: ")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

fuzz_target!(|data: &[u8]| {
    let mut modem = Modem::new(ModemConfig::from_seed(7)).expect("a modem in memory starts");
    for (i, line) in data.split(|&b| b == b'\n').take(64).enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        match line {
            [0] => {
                let before = modem.credentials().clone();
                modem.reboot().expect("a modem in memory reboots");
                assert_eq!(modem.credentials(), &before, "a reboot lost credentials");
                continue;
            }
            [1] => {
                let present = modem.network_time();
                modem.set_network_time(!present);
                continue;
            }
            _ => {}
        }
        let reply = modem.execute(NOW + i as u64, line);
        assert_eq!(reply.delay, Duration::ZERO);
        assert!(!reply.reboot);
        if let Err(e) = reply.answer.validate() {
            panic!("badly framed answer {:?}: {e}", reply.text);
        }
        assert!(final_line_ok(&reply.text), "final line of {:?}", reply.text);
        let mut parser = AnswerParser::with_max_len(reply.text.len() + 1);
        let events = parser.push(reply.text.as_bytes());
        match events.as_slice() {
            [AnswerEvent::Complete { answer, raw }] => {
                assert_eq!(raw, &reply.text);
                assert_eq!(answer.render(modem.cmee()), reply.text);
            }
            other => panic!("{:?} read back as {other:?}", reply.text),
        }
        let persisted = modem.nvm().load().expect("the NVM image loads");
        assert_eq!(
            &persisted,
            modem.credentials(),
            "NVM differs after {line:?}"
        );
    }
});
