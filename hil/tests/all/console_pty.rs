//! The console driver on a real serial port: `SerialStream` (the `serialport` crate) opened
//! on the pseudo-terminal of a virtual board (`provlab_sim::serial::PtyServer` serving
//! `board_shell`, as `provlab board --pty` does), one board per era.
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::{Duration, Instant};

use provlab_hil::console::{
    Capture, Console, ConsoleConfig, ConsoleError, SerialSettings, SerialStream,
};
use provlab_hil::decode::{decode_auto, ClientEvent, Era as DecodeEra, Happening};
use provlab_sim::board::{board_shell, BoardConfig, Era, TransportKind};
use provlab_sim::modem::{Modem, ModemConfig};
use provlab_sim::serial::{PtyServer, Stop};

const STEP: Duration = Duration::from_secs(15);

#[test]
fn a_virtual_board_on_a_pty_in_every_era() {
    for (era, expected) in [
        (Era::V2_9, DecodeEra::V2_9),
        (Era::V3_0, DecodeEra::V3_0),
        (Era::Current, DecodeEra::Current),
    ] {
        let mut server = PtyServer::open().unwrap();
        let path = server.path().to_str().unwrap().to_owned();
        // The port is open before the board starts (on a rack: before the reset).
        let stream = SerialStream::open(&path, &SerialSettings::pty()).unwrap();
        let stop = Stop::new();
        let handle = stop.handle();
        let thread = std::thread::spawn(move || {
            let modem = Modem::new(ModemConfig::from_seed(5)).unwrap();
            let config = BoardConfig::new(era, TransportKind::Http, "127.0.0.1", 1);
            let mut shell = board_shell(modem, config).unwrap();
            server.serve(&mut shell, &stop).unwrap();
        });
        let mut c = Console::new(stream, Capture::in_memory(), ConsoleConfig::default());
        c.wait_for("boot banner", STEP, |h| matches!(h, Happening::Boot { .. }))
            .unwrap();
        c.start_run("pty", STEP).unwrap();
        assert_eq!(c.era(), expected);
        assert_eq!(c.uuid(STEP).unwrap().len(), 36);
        let imei = c.at("AT+CGSN", STEP).unwrap();
        assert_eq!(imei.lines.first().map(String::len), Some(15), "{imei:?}");
        let until = Instant::now() + STEP;
        loop {
            match c.provision_now(STEP) {
                Ok(_) => break,
                Err(ConsoleError::UnexpectedAnswer { .. }) if Instant::now() < until => {
                    c.pump(Duration::from_millis(200)).unwrap();
                }
                Err(e) => panic!("{}: {e}", era.name()),
            }
        }
        c.wait_for("START", STEP, |h| h.event() == Some(ClientEvent::Start))
            .unwrap();
        // The whole capture decodes with the era from its banner.
        let text = String::from_utf8_lossy(c.capture().bytes()).into_owned();
        let (detected, decoded) = decode_auto(DecodeEra::Current, &text);
        assert_eq!(detected, expected);
        assert!(decoded.client_events().contains(&ClientEvent::Start));
        handle.stop();
        thread.join().unwrap();
    }
}
