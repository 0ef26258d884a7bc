//! End to end: `provlab serve` (real HTTPS and CoAP/DTLS listeners on 127.0.0.1) and a
//! `provlab board` on a PTY. The board writes its identity into the registry and the lab
//! root CA into its root CA sec tag; the test claims it with the token the console prints,
//! queues key generation, CSR, client and server certificates and finished over REST,
//! types `nrf_provisioning now`, and waits for PROVISIONED with every command SUCCEEDED and
//! the new credentials in the modem (`AT%CMNG=1` on the console, and the NVM file).
//!
//! The registry is read by `serve` only at start, so the board starts first (on device
//! ports reserved beforehand) and the service second. Every wait is bounded.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use provlab_server::device::pki::LabPki;
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_provlab");
const OWNER_KEY: &str = "board-e2e-owner-key-0001";
const SEC_TAG: u32 = 16_842_753;
const STEP: Duration = Duration::from_secs(15);
const PROVISION_DEADLINE: Duration = Duration::from_secs(90);
const CLIENT_PEM: &str =
    "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2xpZW50\n-----END CERTIFICATE-----\n";
const SERVER_PEM: &str =
    "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUU2VydmVy\n-----END CERTIFICATE-----\n";

/// A child process killed on drop.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Lines of a child's stdout, read on a thread.
fn lines(stdout: ChildStdout) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

fn free_tcp_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `provlab board`; returns it and its PTY path.
fn start_board(dir: &Path, transport: &str, port: u16, root_ca: &Path) -> (Proc, String) {
    let mut child = Proc(
        Command::new(BIN)
            .args(["board", "--pty", "--service"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["--transport", transport, "--seed", "4242", "--root-ca"])
            .arg(root_ca)
            .arg("--nvm")
            .arg(dir.join("nvm.json"))
            .arg("--registry")
            .arg(dir.join("registry.json"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let out = lines(child.0.stdout.take().unwrap());
    let path = out
        .recv_timeout(STEP)
        .expect("the board prints its PTY path");
    // Keep reading: with the reader gone, the rest of the banner would hit a closed pipe
    // and the board would exit ("cannot write to stdout").
    std::thread::spawn(move || for _ in out {});
    (child, path)
}

/// Starts `provlab serve` with the given device listeners; returns it and the REST address.
fn start_serve(dir: &Path, https: &str, coap: &str) -> (Proc, SocketAddr) {
    let mut child = Proc(
        Command::new(BIN)
            .args([
                "serve",
                "--rest",
                "127.0.0.1:0",
                "--https",
                https,
                "--coap",
                coap,
            ])
            .arg("--pki")
            .arg(dir.join("pki"))
            .args(["--owner-key", OWNER_KEY])
            .arg("--registry")
            .arg(dir.join("registry.json"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let out = lines(child.0.stdout.take().unwrap());
    let started = Instant::now();
    loop {
        assert!(
            started.elapsed() < STEP,
            "serve did not print its REST address"
        );
        let line = out.recv_timeout(STEP).expect("serve output");
        if let Some(addr) = line.strip_prefix("rest listening on http://") {
            // Keep draining stdout so later lines never meet a closed pipe.
            std::thread::spawn(move || for _ in out {});
            return (child, addr.trim().parse().unwrap());
        }
    }
}

/// The console, with everything it printed.
struct Console {
    port: serialport::TTYPort,
    seen: Vec<u8>,
}

impl Console {
    fn open(path: &str) -> Console {
        let mut port = serialport::new(path, 115_200)
            .timeout(Duration::from_millis(100))
            .open_native()
            .unwrap();
        port.set_exclusive(false).unwrap();
        Console {
            port,
            seen: Vec::new(),
        }
    }

    /// Reads until the output since `from` contains `needle`; returns that output.
    fn wait_for(&mut self, from: usize, needle: &str, limit: Duration) -> String {
        let started = Instant::now();
        let mut buf = [0u8; 4096];
        loop {
            let text = String::from_utf8_lossy(self.seen.get(from..).unwrap_or_default());
            if text.contains(needle) {
                return text.into_owned();
            }
            assert!(
                started.elapsed() < limit,
                "timed out waiting for {needle:?}; console: {}",
                String::from_utf8_lossy(&self.seen)
            );
            match self.port.read(&mut buf) {
                Ok(n) => self.seen.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(e) => panic!("console read failed: {e}"),
            }
        }
    }

    /// Types a command line; returns the output offset before it.
    fn type_line(&mut self, line: &str) -> usize {
        let from = self.seen.len();
        self.port.write_all(line.as_bytes()).unwrap();
        self.port.write_all(b"\r\n").unwrap();
        from
    }
}

/// One REST exchange as the owner.
fn rest(addr: SocketAddr, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    let mut stream = TcpStream::connect_timeout(&addr, STEP).unwrap();
    stream.set_read_timeout(Some(STEP)).unwrap();
    stream.set_write_timeout(Some(STEP)).unwrap();
    let body = body.map(Value::to_string).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {OWNER_KEY}\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    };
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

fn dechunk(mut text: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = text.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.push_str(&rest[..size]);
        text = &rest[size + 2..];
    }
    out
}

/// The whole flow over `transport` (`http` or `coap`).
fn provision_over(transport: &str) {
    let dir = tempfile::tempdir().unwrap();
    let pki = LabPki::load_or_create(
        &dir.path().join("pki"),
        &["localhost".to_owned(), "127.0.0.1".to_owned()],
    )
    .unwrap();
    let (https, coap, device_port) = if transport == "http" {
        let port = free_tcp_port();
        (format!("127.0.0.1:{port}"), "off".to_owned(), port)
    } else {
        let port = free_udp_port();
        ("off".to_owned(), format!("127.0.0.1:{port}"), port)
    };
    let (_board, pty) = start_board(dir.path(), transport, device_port, &pki.root_ca_path());
    assert!(dir.path().join("registry.json").exists());
    let (_serve, rest_addr) = start_serve(dir.path(), &https, &coap);

    let mut console = Console::open(&pty);
    console.wait_for(0, "IPv6 connectivity established", STEP);

    // The token, as `nrf_provisioning token` prints it: `<token>\r\n\r\n`.
    let from = console.type_line("nrf_provisioning token");
    let out = console.wait_for(from, "\r\n\r\n", STEP);
    let token = out
        .split("\r\n")
        .nth(1)
        .map(str::trim)
        .filter(|t| t.contains('.'))
        .unwrap_or_else(|| panic!("no token in {out:?}"))
        .to_owned();
    let (status, device) = rest(
        rest_addr,
        "POST",
        "/v1/claimed-devices",
        Some(&json!({"claimToken": token})),
    );
    assert_eq!(status, 201, "claim: {device}");
    let uuid = device["id"].as_str().unwrap().to_owned();

    let commands = [
        json!({"description": "Generate key", "request": {"clientPrivateKeyGeneration": {"secTag": SEC_TAG}}}),
        json!({"description": "Generate CSR", "request": {"certificateSigningRequest": {
            "secTag": SEC_TAG, "attributes": format!("CN={uuid}"), "keyUsage": "101010000"}}}),
        json!({"description": "Client cert", "request": {"clientCertificate": {"secTag": SEC_TAG, "content": CLIENT_PEM}}}),
        json!({"description": "Server cert", "request": {"serverCertificate": {"secTag": SEC_TAG, "content": SERVER_PEM}}}),
        json!({"description": "Done", "request": {"finished": {}}}),
    ];
    for command in &commands {
        let (status, body) = rest(
            rest_addr,
            "POST",
            &format!("/v1/claimed-devices/{uuid}/provisioning"),
            Some(command),
        );
        assert_eq!(status, 201, "queue: {body}");
    }

    let started = Instant::now();
    let from = console.type_line("nrf_provisioning now");
    let out = console.wait_for(
        from,
        "The device can now connect to the provisioned cloud service",
        PROVISION_DEADLINE,
    );
    assert!(out.contains("<inf> nrf_provisioning_sample: Provisioning started"));
    loop {
        let (status, device) = rest(
            rest_addr,
            "GET",
            &format!("/v1/claimed-devices/{uuid}"),
            None,
        );
        assert_eq!(status, 200);
        if device["status"] == "PROVISIONED" {
            break;
        }
        assert!(
            started.elapsed() < PROVISION_DEADLINE,
            "not provisioned: {device}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    eprintln!(
        "{transport}: provisioned {:.1} s after `now`",
        started.elapsed().as_secs_f64()
    );
    let (status, list) = rest(
        rest_addr,
        "GET",
        &format!("/v1/claimed-devices/{uuid}/provisioning"),
        None,
    );
    assert_eq!(status, 200);
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 5, "{list}");
    for item in items {
        assert_eq!(item["status"], "SUCCEEDED", "{item}");
    }

    // The new credentials, through the console and in the NVM file.
    let from = console.type_line("at AT%CMNG=1");
    let out = console.wait_for(from, "OK\r\r\n", STEP);
    for cred_type in [0, 1, 2] {
        assert!(
            out.contains(&format!("%CMNG: {SEC_TAG},{cred_type},")),
            "type {cred_type} missing: {out}"
        );
    }
    let nvm: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("nvm.json")).unwrap()).unwrap();
    let stored = |cred_type: u64| -> Option<String> {
        nvm["credentials"].as_array()?.iter().find_map(|c| {
            (c["sec_tag"] == SEC_TAG && c["type"] == cred_type)
                .then(|| hex::decode(c["content_hex"].as_str()?).ok())
                .flatten()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
        })
    };
    assert!(stored(0).unwrap().contains("MIIBszCCAVmgAwIBAgIUU2VydmVy"));
    assert!(stored(1).unwrap().contains("MIIBszCCAVmgAwIBAgIUQ2xpZW50"));
    assert!(stored(2).is_some(), "private key missing: {nvm}");
}

#[test]
fn provisions_over_https() {
    provision_over("http");
}

#[test]
fn provisions_over_coap_dtls() {
    provision_over("coap");
}

#[test]
fn a_wrong_root_ca_fails_with_wrong_root_ca() {
    let dir = tempfile::tempdir().unwrap();
    LabPki::load_or_create(
        &dir.path().join("pki"),
        &["localhost".to_owned(), "127.0.0.1".to_owned()],
    )
    .unwrap();
    let foreign =
        LabPki::load_or_create(&dir.path().join("other"), &["localhost".to_owned()]).unwrap();
    let port = free_tcp_port();
    let (_board, pty) = start_board(dir.path(), "http", port, &foreign.root_ca_path());
    let (_serve, _rest) = start_serve(dir.path(), &format!("127.0.0.1:{port}"), "off");
    let mut console = Console::open(&pty);
    console.wait_for(0, "IPv6 connectivity established", STEP);
    let from = console.type_line("nrf_provisioning now");
    let out = console.wait_for(
        from,
        "\x1b[1;31m<err> nrf_provisioning_sample: Provisioning failed, wrong root CA certificate for nRF Cloud provisioned\x1b[0m\r\n",
        STEP,
    );
    assert!(
        out.contains("<wrn> nrf_provisioning: Please check the CA certificate stored in sectag 50")
    );
}
