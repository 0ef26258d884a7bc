//! The PTY server, with the `serialport` crate as the client, in-process and bounded in time.
#![allow(clippy::unwrap_used)]

use crate::serial_support;

use std::io::Write as _;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use provlab_sim::serial::{front_end, Mode, PtyServer, Shutdown, Stop, StopHandle};
use serial_support::modem;

const DEADLINE: Duration = Duration::from_secs(10);

/// Starts a server of `mode` on a new PTY in a thread; returns its path and how to stop it.
fn serve(mode: Mode) -> (String, StopHandle, JoinHandle<Shutdown>) {
    let mut server = PtyServer::open().unwrap();
    let path = server.path().to_str().unwrap().to_owned();
    assert!(path.starts_with("/dev/pts/"), "{path}");
    let stop = Stop::new();
    let handle = stop.handle();
    let thread = std::thread::spawn(move || {
        let mut front = front_end(mode, modem(7));
        server.serve(front.as_mut(), &stop).unwrap()
    });
    (path, handle, thread)
}

fn open(path: &str) -> Box<dyn serialport::SerialPort> {
    let mut port = serialport::new(path, 115_200)
        .timeout(Duration::from_millis(100))
        .open_native()
        .unwrap();
    // serialport opens exclusively (TIOCEXCL); the flag would outlive this client because
    // the server keeps the slave open, and lock out the next non-root client.
    port.set_exclusive(false).unwrap();
    Box::new(port)
}

/// Reads until the received bytes end with `end`, within the deadline.
fn read_until(port: &mut dyn serialport::SerialPort, end: &[u8]) -> Vec<u8> {
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    while !got.ends_with(end) {
        assert!(
            started.elapsed() < DEADLINE,
            "timed out; got {:?}",
            String::from_utf8_lossy(&got)
        );
        match port.read(&mut buf) {
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(e) => panic!("read failed: {e}"),
        }
    }
    got
}

fn stop(handle: StopHandle, thread: JoinHandle<Shutdown>) {
    handle.stop();
    let started = Instant::now();
    while !thread.is_finished() {
        assert!(started.elapsed() < DEADLINE, "server did not stop");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(thread.join().unwrap(), Shutdown::Requested);
}

#[test]
fn at_mode_answers_cgsn_over_the_pty_across_two_client_sessions() {
    let (path, handle, thread) = serve(Mode::At);
    let imei = modem(7).identity().imei.clone();
    for session in 0..2 {
        // The server keeps its own slave descriptor: a second client works after the first
        // one closed the port.
        let mut port = open(&path);
        port.write_all(b"AT+CGSN=1\r\n").unwrap();
        let got = read_until(port.as_mut(), b"OK\r\n");
        assert_eq!(
            String::from_utf8(got).unwrap(),
            format!("+CGSN: \"{imei}\"\r\nOK\r\n"),
            "session {session}"
        );
    }
    stop(handle, thread);
}

#[test]
fn at_mode_survives_a_64_kib_line_over_the_pty() {
    let (path, handle, thread) = serve(Mode::At);
    let mut port = open(&path);
    let mut line = vec![b'A'; 64 * 1024];
    line.extend_from_slice(b"\r\n");
    port.write_all(&line).unwrap();
    assert_eq!(read_until(port.as_mut(), b"\r\n"), b"ERROR\r\n");
    port.write_all(b"AT\r\n").unwrap();
    assert_eq!(read_until(port.as_mut(), b"\r\n"), b"OK\r\n");
    stop(handle, thread);
}

#[test]
fn shell_mode_boots_with_a_prompt_and_runs_at_commands() {
    let (path, handle, thread) = serve(Mode::Shell);
    let mut port = open(&path);
    // The boot banner was written before the client opened the port; it waits in the PTY.
    let boot = read_until(port.as_mut(), b"uart:~$ \x1b[m");
    assert!(boot.starts_with(b"*** Booting nRF Connect SDK"), "{boot:?}");
    port.write_all(b"at AT+CGMM\r\n").unwrap();
    let got = read_until(port.as_mut(), b"uart:~$ \x1b[m");
    assert_eq!(
        String::from_utf8(got).unwrap(),
        "at AT+CGMM\r\nnRF9160-SICA\r\r\nOK\r\r\n\r\n\x1b[1;32muart:~$ \x1b[m"
    );
    stop(handle, thread);
}
