//! The flashing rules and the fake, end to end without hardware.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::uicr::tests::{elf, image};
use super::*;
use crate::rack::{ProbeMatch, UsbId};

fn dk_row() -> ProbeRow {
    ProbeRow {
        vid: UsbId(0x1366),
        pid: UsbId(0x1055),
        interface: None,
        serial: Some("000960066748".to_owned()),
        name: "J-Link".to_owned(),
        access: Access::Accessible,
    }
}

fn write_image(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn job<'a>(selector: &'a Selector, image: &'a Path) -> FlashJob<'a> {
    FlashJob {
        selector,
        chip: "nRF9160_xxAA",
        image,
        recover: false,
        nrfutil_for_uicr: false,
        rtt: Rtt::Off,
    }
}

#[test]
fn the_board_probe_is_selected_from_the_listing_and_flashed() {
    let dir = tempfile::tempdir().unwrap();
    let hex = write_image(dir.path(), "app.hex", &image(false));
    let mut probe = FakeProbe::new(vec![dk_row()]);
    let rows = probe.list_probes().unwrap();
    let wanted = ProbeMatch {
        vid: UsbId(0x1366),
        pid: None,
        serial: "000960066748".to_owned(),
    };
    let sel = select(&rows, &wanted).unwrap();
    let outcome = flash_image(&mut probe, &job(&sel, &hex)).unwrap();
    assert_eq!(outcome, FlashOutcome::Flashed { events: vec![] });
    assert_eq!(
        probe.calls(),
        [
            FakeCall::List,
            FakeCall::Open("1366:1055:000960066748".into(), "nRF9160_xxAA".into()),
            FakeCall::Flash(hex.clone(), ImageFormat::Hex),
            FakeCall::Reset(Rtt::Off),
        ]
    );
}

#[test]
fn a_uicr_image_is_refused_before_the_probe_is_touched() {
    let dir = tempfile::tempdir().unwrap();
    let hex = write_image(dir.path(), "merged.hex", &image(true));
    let sel = dk_row().selector();
    let mut probe = FakeProbe::new(vec![dk_row()]);
    let err = flash_image(&mut probe, &job(&sel, &hex)).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("0x00FF8000..0x00FF9000"), "{text}");
    assert!(text.contains("nrfutil_for_uicr"), "{text}");
    assert!(probe.calls().is_empty());

    let hand_over = FlashJob {
        nrfutil_for_uicr: true,
        ..job(&sel, &hex)
    };
    match flash_image(&mut probe, &hand_over).unwrap() {
        FlashOutcome::HandToNrfutil { image, uicr } => {
            assert_eq!(image, hex);
            assert_eq!(uicr.span.start, 0x00FF_8000);
        }
        other => panic!("{other:?}"),
    }
    assert!(probe.calls().is_empty());
}

#[test]
fn an_elf_image_with_uicr_is_refused_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("merged.elf");
    std::fs::write(&path, elf(&[(0, 0x100), (0x00FF_8000, 4)])).unwrap();
    let sel = dk_row().selector();
    let mut probe = FakeProbe::new(vec![dk_row()]);
    let err = flash_image(&mut probe, &job(&sel, &path)).unwrap_err();
    assert!(matches!(err, ProbeError::UicrInImage { .. }), "{err}");
    assert!(probe.calls().is_empty());
}

#[test]
fn a_locked_chip_is_recovered_only_when_asked_and_that_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let hex = write_image(dir.path(), "app.hex", &image(false));
    let sel = dk_row().selector();
    let mut probe = FakeProbe::new(vec![dk_row()]);
    probe.fail(FakeFailure::Locked);

    let err = flash_image(&mut probe, &job(&sel, &hex)).unwrap_err();
    assert!(matches!(err, ProbeError::Locked { .. }), "{err}");
    assert!(err.to_string().contains("recover = true"));
    assert!(probe.is_locked());
    assert!(!probe
        .calls()
        .iter()
        .any(|c| matches!(c, FakeCall::Recover(..) | FakeCall::Flash(..))));

    let asked = FlashJob {
        recover: true,
        ..job(&sel, &hex)
    };
    let outcome = flash_image(&mut probe, &asked).unwrap();
    assert_eq!(
        outcome,
        FlashOutcome::Flashed {
            events: vec![ProbeEvent::Recovered {
                probe: "1366:1055:000960066748".into(),
                chip: "nRF9160_xxAA".into(),
            }]
        }
    );
    assert!(!probe.is_locked());
    let tail = &probe.calls()[1..];
    assert!(matches!(tail[0], FakeCall::Open(..)));
    assert!(matches!(tail[1], FakeCall::Recover(..)));
    assert!(matches!(tail[2], FakeCall::Open(..)));
    assert!(matches!(tail[3], FakeCall::Flash(..)));
}

#[test]
fn recover_is_not_used_on_an_unlocked_chip() {
    let dir = tempfile::tempdir().unwrap();
    let hex = write_image(dir.path(), "app.hex", &image(false));
    let sel = dk_row().selector();
    let mut probe = FakeProbe::new(vec![dk_row()]);
    let asked = FlashJob {
        recover: true,
        ..job(&sel, &hex)
    };
    assert_eq!(
        flash_image(&mut probe, &asked).unwrap(),
        FlashOutcome::Flashed { events: vec![] }
    );
    assert!(!probe
        .calls()
        .iter()
        .any(|c| matches!(c, FakeCall::Recover(..))));
}

#[test]
fn injected_flash_errors_and_a_vanished_probe_surface() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = elf(&[(0, 0x100)]);
    let elf = dir.path().join("app.elf");
    std::fs::write(&elf, bytes).unwrap();
    let sel = dk_row().selector();
    let mut probe = FakeProbe::new(vec![dk_row()]);
    probe.fail(FakeFailure::FlashError("verify failed at 0x1000".into()));
    let err = flash_image(&mut probe, &job(&sel, &elf)).unwrap_err();
    assert_eq!(err.to_string(), "flash: verify failed at 0x1000");
    assert!(flash_image(&mut probe, &job(&sel, &elf)).is_ok());

    probe.fail(FakeFailure::Vanished);
    assert!(probe.list_probes().unwrap().is_empty());
    let err = flash_image(&mut probe, &job(&sel, &elf)).unwrap_err();
    assert!(matches!(err, ProbeError::Vanished { .. }), "{err}");
    assert!(matches!(
        probe.reset(Rtt::Off),
        Err(ProbeError::Vanished { .. })
    ));
    probe.plug_in();
    assert!(flash_image(&mut probe, &job(&sel, &elf)).is_ok());
}

#[test]
fn rtt_capture_drops_bytes_from_before_the_reset() {
    let sel = dk_row().selector();
    let mut probe = FakeProbe::new(vec![dk_row()]);
    probe.open(&sel, "nRF9160_xxAA").unwrap();
    let mut buf = [0u8; 16];
    assert!(matches!(
        probe.read_rtt(&mut buf),
        Err(ProbeError::RttNotAttached)
    ));
    probe.push_rtt(b"old run");
    probe
        .reset(Rtt::Capture {
            attach_timeout: Duration::from_secs(1),
        })
        .unwrap();
    probe.push_rtt(b"*** Booting");
    let n = probe.read_rtt(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"*** Booting");
    assert_eq!(probe.read_rtt(&mut buf).unwrap(), 0);
    probe.close();
    assert!(matches!(probe.read_rtt(&mut buf), Err(ProbeError::NotOpen)));
}

#[test]
fn images_must_be_hex_or_elf_and_readable() {
    let sel = dk_row().selector();
    let mut probe = FakeProbe::new(vec![]);
    let err = flash_image(&mut probe, &job(&sel, Path::new("app.bin"))).unwrap_err();
    assert!(matches!(err, ProbeError::UnknownFormat { .. }));
    let err = flash_image(&mut probe, &job(&sel, Path::new("/nonexistent/app.HEX"))).unwrap_err();
    assert!(matches!(err, ProbeError::ReadImage { .. }), "{err}");
    assert!(probe.calls().is_empty());
}
