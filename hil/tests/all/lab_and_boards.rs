//! The lab service in process and virtual boards on PTYs: the service answers REST with the
//! run's owner key and presents a certificate of its lab PKI; a virtual board's console is a
//! PTY that exists while it runs and hangs up once its plug is pulled.

#![allow(clippy::unwrap_used)]

use std::io::Read as _;
use std::net::SocketAddr;
use std::os::unix::fs::OpenOptionsExt as _;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::OFlag;

use provlab_hil::lab::{LabServer, LabServiceConfig};
use provlab_hil::virtual_board::{VirtualBoard, VirtualBoardSpec};
use provlab_server::api_client::ApiClient;
use provlab_sim::board::{Era, TransportKind};

fn any() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

#[test]
fn the_lab_service_starts_with_its_own_owner_key_and_lab_root() {
    let dir = tempfile::tempdir().unwrap();
    let lab = LabServer::start(&LabServiceConfig {
        rest: any(),
        https: any(),
        coap: any(),
        hostnames: vec!["provlab-lab.local".to_owned(), "127.0.0.1".to_owned()],
        pki: dir.path().join("pki"),
        clock_speed: 1,
    })
    .unwrap();
    assert!(lab.root_ca().starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(lab.bound().https.is_some() && lab.bound().coap.is_some());
    let api = ApiClient::new(&lab.rest_url()).unwrap();
    assert_eq!(api.health().unwrap().status, "ok");
    let me = api.with_key(lab.owner_key()).me().unwrap();
    assert_eq!(me.name, "owner");
    // The same PKI directory gives the same root on the next run (boards keep trusting it).
    let root = lab.root_ca().to_owned();
    drop(lab);
    let again = LabServer::start(&LabServiceConfig {
        rest: any(),
        https: any(),
        coap: any(),
        hostnames: vec!["provlab-lab.local".to_owned()],
        pki: dir.path().join("pki"),
        clock_speed: 1,
    })
    .unwrap();
    assert_eq!(again.root_ca(), root);
}

#[test]
fn a_virtual_board_console_is_a_pty_until_its_plug_is_pulled() {
    let mut board = VirtualBoard::start(&VirtualBoardSpec {
        era: Era::Current,
        transport: TransportKind::Http,
        host: "127.0.0.1".to_owned(),
        port: 9,
        seed: 7,
        root_ca: None,
        speed: 1,
        client: None,
    })
    .unwrap();
    let path = board.console().to_path_buf();
    assert!(path.exists(), "{}", path.display());
    assert_eq!(board.device_uuid().len(), 36);
    // Opened the way a host tool opens it (not as our controlling terminal, not blocking).
    // The path itself is no proof once the plug is pulled: another process on the machine
    // may be given the same /dev/pts number at once.
    let mut console = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags((OFlag::O_NOCTTY | OFlag::O_NONBLOCK).bits())
        .open(&path)
        .unwrap();
    board.pull_plug();
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut buf = [0u8; 256];
    loop {
        assert!(
            Instant::now() < deadline,
            "{} did not hang up after the plug was pulled",
            path.display()
        );
        match console.read(&mut buf) {
            // Hung up: end of file, or EIO on Linux.
            Ok(0) => break,
            Err(e) if e.raw_os_error() == Some(Errno::EIO as i32) => break,
            // Bytes the board wrote before the plug came out, or none yet.
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("reading {}: {e}", path.display()),
        }
    }
}

/// The seconds of the first Zephyr log timestamp `[hh:mm:ss.mmm,uuu]` in `text`.
fn first_log_seconds(text: &str) -> Option<u64> {
    text.split('[').skip(1).find_map(|rest| {
        let stamp = rest.get(..8)?;
        let mut parts = stamp.split(':');
        let h: u64 = parts.next()?.parse().ok()?;
        let m: u64 = parts.next()?.parse().ok()?;
        let s: u64 = parts.next()?.parse().ok()?;
        (rest.as_bytes().get(8) == Some(&b'.')).then_some(h * 3600 + m * 60 + s)
    })
}

#[test]
fn a_fast_virtual_board_logs_in_its_own_faster_time() {
    use std::io::{Read as _, Write as _};
    use std::time::{Duration, Instant};

    let board = VirtualBoard::start(&VirtualBoardSpec {
        era: Era::Current,
        transport: TransportKind::Http,
        host: "127.0.0.1".to_owned(),
        port: 9,
        seed: 8,
        root_ca: None,
        speed: 20,
        client: None,
    })
    .unwrap();
    let mut port = serialport::new(board.console().to_str().unwrap(), 115_200)
        .timeout(Duration::from_millis(100))
        .open_native()
        .unwrap();
    port.set_exclusive(false).unwrap();
    std::thread::sleep(Duration::from_millis(1000));
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    // Drain the boot output, then ask for an attempt, whose log lines carry the time.
    let drain_until = Instant::now() + Duration::from_millis(300);
    while Instant::now() < drain_until {
        let _ = port.read(&mut buf);
    }
    port.write_all(b"nrf_provisioning now\r").unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let seconds = loop {
        assert!(
            Instant::now() < deadline,
            "no log line; got {:?}",
            String::from_utf8_lossy(&got)
        );
        if let Ok(n) = port.read(&mut buf) {
            got.extend_from_slice(&buf[..n]);
        }
        if let Some(s) = first_log_seconds(&String::from_utf8_lossy(&got)) {
            break s;
        }
    };
    // 1.3 s of wall time at 20x is ~26 s of board time (not 1 s).
    assert!(
        (15..=120).contains(&seconds),
        "{seconds} s; {:?}",
        String::from_utf8_lossy(&got)
    );
}
