//! Crash durability of `provlab serve --db`: a child server gets a bounded stream of REST
//! mutations from four concurrent clients, is killed with SIGKILL at a random point, and is
//! restarted on the same file. Every acknowledged mutation must be there; a mutation that was
//! in flight at the kill may or may not be, but never half; nothing never sent may appear.
//!
//! The kill point and the mutation mix come from a seed, printed at the start (set
//! `PROVLAB_DURABILITY_SEED` to replay one). Loopback only; bounded in count and time.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use p256::ecdsa::SigningKey;
use provlab_proto::tokens::{Attestation, AttestationToken, DeviceType, Uuid};
use serde_json::{json, Value};

const OWNER_KEY: &str = "durability-owner-key-0001";
/// Most mutations sent in a run.
const MAX_MUTATIONS: usize = 300;
const WORKERS: usize = 4;
const DEVICES_PER_WORKER: usize = 10;
/// Bound on one request and on the whole run.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// splitmix64: a small seeded generator, so the test needs no extra crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// A device identity from a fixed seed.
fn device(n: usize) -> (String, String) {
    let mut seed = [0x42u8; 32];
    seed[0] = u8::try_from(n).unwrap() + 1;
    let key = SigningKey::from_slice(&seed).unwrap();
    let mut uuid = [0u8; 16];
    uuid[0] = 0xdd;
    uuid[6] = 0x40;
    uuid[8] = 0x80;
    uuid[15] = u8::try_from(n).unwrap();
    let uuid = Uuid::from_bytes(uuid);
    let token = AttestationToken::sign(
        Attestation {
            device_uuid: uuid,
            device_type: DeviceType::Nrf9160Sica,
            modem_fw_uuid: Uuid::from_bytes([0xf0; 16]),
            nonce: [1; 16],
        },
        &key,
    )
    .encode();
    (uuid.to_string(), token)
}

/// What a request's fate was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    /// A 2xx answer arrived.
    Acked,
    /// The request was (at least partly) sent, no answer came: the kill hit it.
    InFlight,
}

/// One mutation as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Mutation {
    Claim { device: String, tags: Vec<String> },
    AddCommand { device: String, description: String },
    SetTags { device: String, tags: Vec<String> },
    Block { device: String, blocked: bool },
    CreateTag { tag: String },
}

/// The outcome of one HTTP exchange.
enum Exchange {
    /// Could not connect: nothing was sent.
    NotSent,
    /// Sent, no complete answer.
    Lost,
    /// Status and body.
    Answer(u16, Value),
}

fn exchange(addr: SocketAddr, method: &str, path: &str, body: Option<&Value>) -> Exchange {
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, IO_TIMEOUT) else {
        return Exchange::NotSent;
    };
    let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
    let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {OWNER_KEY}\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    if stream.write_all(request.as_bytes()).is_err() {
        return Exchange::Lost;
    }
    let mut raw = Vec::new();
    if stream.read_to_end(&mut raw).is_err() {
        return Exchange::Lost;
    }
    let text = String::from_utf8_lossy(&raw);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return Exchange::Lost;
    };
    let Some(status) = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()) else {
        return Exchange::Lost;
    };
    Exchange::Answer(status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// A request that must succeed (checks after the restart).
fn get(addr: SocketAddr, path: &str) -> Value {
    match exchange(addr, "GET", path, None) {
        Exchange::Answer(200, body) => body,
        Exchange::Answer(status, body) => panic!("GET {path}: {status} {body}"),
        _ => panic!("GET {path}: no answer"),
    }
}

/// Every item of a paginated list.
fn get_all(addr: SocketAddr, path: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut url = format!("{path}?pageLimit=100");
    for _ in 0..100 {
        let page = get(addr, &url);
        items.extend(page["items"].as_array().cloned().unwrap_or_default());
        match page.get("pageNextToken").and_then(Value::as_str) {
            Some(t) => url = format!("{path}?pageLimit=100&pageNextToken={t}"),
            None => return items,
        }
    }
    panic!("{path}: the pages did not end");
}

/// Starts the server on `db`; returns the child and its REST address.
fn start(db: &std::path::Path) -> (Child, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_provlab"))
        .args(["serve", "--db"])
        .arg(db)
        .args([
            "--rest",
            "127.0.0.1:0",
            "--https",
            "off",
            "--coap",
            "off",
            "--owner-key",
            OWNER_KEY,
        ])
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("rest listening on http://") {
                let _ = tx.send(url.trim().to_owned());
            }
        }
    });
    let addr = rx
        .recv_timeout(IO_TIMEOUT)
        .expect("the server did not print its REST address")
        .parse()
        .unwrap();
    (child, addr)
}

/// One client: claims its devices and mutates them until `stop` or an error.
fn worker(
    w: usize,
    seed: u64,
    addr: SocketAddr,
    budget: Arc<AtomicUsize>,
    acked: Arc<AtomicUsize>,
    log: Arc<Mutex<Vec<(Mutation, Fate)>>>,
) {
    let mut rng = Rng(seed ^ (w as u64).wrapping_mul(0xa076_1d64_78bd_642f));
    let devices: Vec<(String, String)> = (0..DEVICES_PER_WORKER)
        .map(|i| device(w * DEVICES_PER_WORKER + i))
        .collect();
    let mut claimed: Vec<usize> = Vec::new();
    let mut commands: BTreeMap<usize, usize> = BTreeMap::new();
    let mut blocked: BTreeSet<usize> = BTreeSet::new();
    for n in 0.. {
        if budget
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |b| b.checked_sub(1))
            .is_err()
        {
            return;
        }
        let unclaimed = claimed.len() < devices.len();
        let roll = rng.below(100);
        let (mutation, method, path, body) = if claimed.is_empty() || (unclaimed && roll < 15) {
            let d = claimed.len();
            let tags = vec![format!("w{w}")];
            (
                Mutation::Claim {
                    device: devices[d].0.clone(),
                    tags: tags.clone(),
                },
                "POST",
                "/v1/claimed-devices".to_owned(),
                json!({"claimToken": devices[d].1, "tags": tags}),
            )
        } else {
            let d = claimed[usize::try_from(rng.below(claimed.len() as u64)).unwrap()];
            let id = devices[d].0.clone();
            let full = commands.get(&d).copied().unwrap_or(0) >= 20;
            match roll {
                15..=64 if !full => {
                    let description = format!("w{w}-m{n}");
                    (
                        Mutation::AddCommand {
                            device: id.clone(),
                            description: description.clone(),
                        },
                        "POST",
                        format!("/v1/claimed-devices/{id}/provisioning"),
                        json!({"description": description, "request": {"atCommand": {"setCommand": "+CFUN", "parameters": format!("{n}")}}}),
                    )
                }
                65..=84 => {
                    let tags = vec![format!("w{w}"), format!("s{w}-{n}")];
                    (
                        Mutation::SetTags {
                            device: id.clone(),
                            tags: tags.clone(),
                        },
                        "PUT",
                        format!("/v1/claimed-devices/{id}/tags"),
                        json!({"tags": tags}),
                    )
                }
                85..=94 => {
                    let block = !blocked.contains(&d);
                    let action = if block { "block" } else { "unblock" };
                    (
                        Mutation::Block {
                            device: id.clone(),
                            blocked: block,
                        },
                        "POST",
                        format!("/v1/claimed-devices/{id}/{action}"),
                        Value::Null,
                    )
                }
                _ => {
                    let tag = format!("w{w}-t{n}");
                    (
                        Mutation::CreateTag { tag: tag.clone() },
                        "POST",
                        "/v1/provisioning/tags".to_owned(),
                        json!({"tag": tag}),
                    )
                }
            }
        };
        let body = (!body.is_null()).then_some(body);
        match exchange(addr, method, &path, body.as_ref()) {
            Exchange::NotSent => return,
            Exchange::Lost => {
                log.lock().unwrap().push((mutation, Fate::InFlight));
                return;
            }
            Exchange::Answer(status, answer) => {
                assert!(
                    (200..300).contains(&status),
                    "{method} {path}: {status} {answer}"
                );
                match &mutation {
                    Mutation::Claim { .. } => claimed.push(claimed.len()),
                    Mutation::AddCommand { device, .. } => {
                        let d = devices.iter().position(|(id, _)| id == device).unwrap();
                        *commands.entry(d).or_default() += 1;
                    }
                    Mutation::Block { device, blocked: b } => {
                        let d = devices.iter().position(|(id, _)| id == device).unwrap();
                        if *b {
                            blocked.insert(d);
                        } else {
                            blocked.remove(&d);
                        }
                    }
                    _ => {}
                }
                log.lock().unwrap().push((mutation, Fate::Acked));
                acked.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
}

/// The last acknowledged value of something and the value in flight at the kill.
type Candidates<T> = (Option<T>, Option<T>);

/// Reads the restarted service's state and checks it against the log of mutations; returns
/// the figures of the run.
fn check(addr: SocketAddr, log: &[(Mutation, Fate)]) -> BTreeMap<&'static str, usize> {
    let devices: BTreeMap<String, Value> = get_all(addr, "/v1/claimed-devices")
        .into_iter()
        .map(|d| (d["id"].as_str().unwrap().to_owned(), d))
        .collect();
    let tags: BTreeSet<String> = get_all(addr, "/v1/provisioning/tags")
        .iter()
        .map(|t| t["tag"].as_str().unwrap().to_owned())
        .collect();
    let mut figures = BTreeMap::new();
    let mut sent_descriptions: BTreeMap<String, Fate> = BTreeMap::new();
    // The last acknowledged value and the in-flight one, per device, for tags and block.
    let mut tag_state: BTreeMap<String, Candidates<Vec<String>>> = BTreeMap::new();
    let mut block_state: BTreeMap<String, (bool, Option<bool>)> = BTreeMap::new();
    for (mutation, fate) in log {
        *figures
            .entry(if *fate == Fate::Acked {
                "acked"
            } else {
                "in flight"
            })
            .or_default() += 1;
        match mutation {
            Mutation::Claim { device, tags } => {
                let present = devices.contains_key(device);
                match fate {
                    Fate::Acked => assert!(present, "acknowledged claim of {device} lost"),
                    Fate::InFlight => {
                        *figures
                            .entry(if present {
                                "in-flight applied"
                            } else {
                                "in-flight not applied"
                            })
                            .or_default() += 1;
                    }
                }
                let entry = tag_state.entry(device.clone()).or_default();
                match fate {
                    Fate::Acked => entry.0 = Some(tags.clone()),
                    Fate::InFlight => entry.1 = Some(tags.clone()),
                }
            }
            Mutation::AddCommand { description, .. } => {
                sent_descriptions.insert(description.clone(), *fate);
            }
            Mutation::SetTags { device, tags } => {
                let entry = tag_state.entry(device.clone()).or_default();
                match fate {
                    Fate::Acked => entry.0 = Some(tags.clone()),
                    Fate::InFlight => entry.1 = Some(tags.clone()),
                }
            }
            Mutation::Block { device, blocked } => {
                let entry = block_state.entry(device.clone()).or_insert((false, None));
                match fate {
                    Fate::Acked => entry.0 = *blocked,
                    Fate::InFlight => entry.1 = Some(*blocked),
                }
            }
            Mutation::CreateTag { tag } => match fate {
                Fate::Acked => assert!(tags.contains(tag), "acknowledged tag {tag} lost"),
                Fate::InFlight => {}
            },
        }
    }
    // No device that was never sent.
    let sent_claims: BTreeSet<&String> = log
        .iter()
        .filter_map(|(m, _)| match m {
            Mutation::Claim { device, .. } => Some(device),
            _ => None,
        })
        .collect();
    for id in devices.keys() {
        assert!(sent_claims.contains(id), "device {id} was never claimed");
    }
    // Commands: every acknowledged one exactly once, in-flight at most once, nothing else,
    // and in the order they were acknowledged.
    let mut found = BTreeSet::new();
    for (id, device) in &devices {
        let commands = get_all(addr, &format!("/v1/claimed-devices/{id}/provisioning"));
        assert_eq!(
            device["commandCount"].as_u64().unwrap() as usize,
            commands.len()
        );
        let mut order = Vec::new();
        for c in &commands {
            let description = c["description"].as_str().unwrap().to_owned();
            assert!(
                sent_descriptions.contains_key(&description),
                "command {description} on {id} was never sent"
            );
            assert!(
                found.insert(description.clone()),
                "command {description} twice"
            );
            assert_eq!(c["status"], "PENDING");
            order.push(description);
        }
        let acked_order: Vec<&String> = log
            .iter()
            .filter_map(|(m, f)| match m {
                Mutation::AddCommand {
                    device,
                    description,
                } if device == id && *f == Fate::Acked => Some(description),
                _ => None,
            })
            .collect();
        let present_acked: Vec<&String> = order
            .iter()
            .filter(|d| sent_descriptions.get(*d) == Some(&Fate::Acked))
            .collect();
        assert_eq!(present_acked, acked_order, "commands of {id} out of order");
        // Tags: the last acknowledged set, or the in-flight one.
        if let Some((acked_tags, in_flight)) = tag_state.get(id) {
            let mut shown: Vec<String> = device["tags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap().to_owned())
                .collect();
            shown.sort();
            let sorted = |t: &Vec<String>| {
                let mut t = t.clone();
                t.sort();
                t
            };
            let ok = acked_tags.as_ref().map(sorted) == Some(shown.clone())
                || in_flight.as_ref().map(sorted) == Some(shown.clone());
            assert!(
                ok,
                "tags of {id}: {shown:?}, acked {acked_tags:?}, in flight {in_flight:?}"
            );
        }
        let (acked_block, in_flight) = block_state.get(id).copied().unwrap_or((false, None));
        let is_blocked = device["status"] == "BLOCKED";
        assert!(
            is_blocked == acked_block || Some(is_blocked) == in_flight,
            "block state of {id}: {is_blocked}, acked {acked_block}, in flight {in_flight:?}"
        );
    }
    for (description, fate) in &sent_descriptions {
        match fate {
            Fate::Acked => assert!(
                found.contains(description),
                "acknowledged command {description} lost"
            ),
            Fate::InFlight => {
                let key = if found.contains(description) {
                    "in-flight applied"
                } else {
                    "in-flight not applied"
                };
                *figures.entry(key).or_default() += 1;
            }
        }
    }
    figures.insert("devices", devices.len());
    figures.insert("commands", found.len());
    figures
}

#[test]
fn sigkill_loses_no_acknowledged_mutation() {
    let started = Instant::now();
    let seed = std::env::var("PROVLAB_DURABILITY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        });
    println!("durability seed: {seed} (PROVLAB_DURABILITY_SEED={seed} to replay)");
    let mut rng = Rng(seed);
    let kill_after = 20 + usize::try_from(rng.below((MAX_MUTATIONS - 40) as u64)).unwrap();
    let kill_delay = Duration::from_micros(rng.below(3000));

    let dir =
        std::env::temp_dir().join(format!("provlab-durability-{}-{seed}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("svc.db");
    let (mut child, addr) = start(&db);

    let budget = Arc::new(AtomicUsize::new(MAX_MUTATIONS));
    let acked = Arc::new(AtomicUsize::new(0));
    let log = Arc::new(Mutex::new(Vec::new()));
    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let (budget, acked, log) = (budget.clone(), acked.clone(), log.clone());
            std::thread::spawn(move || worker(w, seed, addr, budget, acked, log))
        })
        .collect();
    while acked.load(Ordering::SeqCst) < kill_after && started.elapsed() < RUN_TIMEOUT {
        std::thread::sleep(Duration::from_micros(200));
    }
    std::thread::sleep(kill_delay);
    let acked_at_kill = acked.load(Ordering::SeqCst);
    child.kill().unwrap(); // SIGKILL
    let _ = child.wait();
    for w in workers {
        w.join().unwrap();
    }
    let log = log.lock().unwrap().clone();
    println!(
        "killed after {acked_at_kill} acknowledged mutations (target {kill_after}, +{kill_delay:?}); {} logged",
        log.len()
    );

    let (mut child, addr) = start(&db);
    let figures = check(addr, &log);
    println!(
        "after restart: {figures:?}; elapsed {:?}",
        started.elapsed()
    );
    assert!(started.elapsed() < RUN_TIMEOUT, "the run took too long");
    // The restarted server works and stops gracefully on SIGTERM.
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + IO_TIMEOUT;
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(Instant::now() < deadline, "no exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "exit after SIGTERM: {exit}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `provlab team --url <addr> --key <key> <args>`; returns (success, stdout, stderr).
fn team(addr: SocketAddr, key: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_provlab"))
        .args(["team", "--url", &format!("http://{addr}"), "--key", key])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Not about crashes, but about the same binary: `provlab serve` writes a generated owner
/// key to a file it names once (never printing the key), and `provlab team` manages members
/// through the REST API.
#[test]
fn serve_prints_the_owner_key_once_and_team_manages_members() {
    let dir = std::env::temp_dir().join(format!("provlab-team-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("svc.db");
    let spawn = || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_provlab"))
            .args(["serve", "--db"])
            .arg(&db)
            .args(["--rest", "127.0.0.1:0", "--https", "off", "--coap", "off"])
            .env("RUST_LOG", "error")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut addr = None;
        let mut key = None;
        while let Ok(line) = rx.recv_timeout(Duration::from_millis(500)) {
            if let Some(a) = line.strip_prefix("rest listening on http://") {
                addr = Some(a.trim().parse::<SocketAddr>().unwrap());
            }
            if let Some(rest) = line.strip_prefix("owner api key written to ") {
                let file = rest.split(" (mode 0600").next().unwrap();
                let text = std::fs::read_to_string(file).unwrap();
                assert!(!line.contains(text.trim()), "the key itself is not printed");
                key = Some(text.trim().to_owned());
            }
        }
        (child, addr.expect("no REST address printed"), key)
    };
    let stop = |mut child: Child| {
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + IO_TIMEOUT;
        loop {
            if let Some(exit) = child.try_wait().unwrap() {
                assert!(exit.success(), "{exit}");
                break;
            }
            assert!(Instant::now() < deadline, "no exit after SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    };

    let (child, addr, key) = spawn();
    let key = key.expect("the first start prints the owner key");
    // `provlab health` (the container's health check) sees it healthy.
    let health = Command::new(env!("CARGO_BIN_EXE_provlab"))
        .args(["health", "--url", &format!("http://{addr}/v1/health")])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&health.stdout);
    assert!(health.status.success(), "{said}");
    assert!(said.starts_with("healthy: "), "{said}");
    let (ok, out, err) = team(addr, &key, &["add", "--role", "editor"]);
    assert!(ok, "{err}");
    assert!(out.contains("added editor-1 (editor)"), "{out}");
    let editor_key = out
        .lines()
        .find_map(|l| l.strip_prefix("api key (shown once, store it now): "))
        .unwrap()
        .to_owned();
    let (ok, out, _) = team(addr, &editor_key, &["me"]);
    assert!(ok);
    assert!(out.contains("\"editor\""), "{out}");
    // An editor may not add members: the service's message is shown.
    let (ok, _, err) = team(
        addr,
        &editor_key,
        &["add", "--role", "viewer", "--name", "v"],
    );
    assert!(!ok);
    assert!(err.contains("403") && err.contains("may not"), "{err}");
    let (ok, _, err) = team(
        addr,
        &key,
        &["role", "--name", "editor-1", "--role", "admin"],
    );
    assert!(ok, "{err}");
    let (ok, out, _) = team(addr, &key, &["list"]);
    assert!(ok);
    let members: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(members.as_array().unwrap().len(), 2);
    assert!(!out.contains(&editor_key), "keys are never listed");
    stop(child);

    // The second start prints no key; the old ones still work.
    let (child, addr, again) = spawn();
    assert_eq!(again, None);
    let (ok, _, err) = team(addr, &key, &["remove", "--name", "editor-1"]);
    assert!(ok, "{err}");
    let (ok, _, err) = team(addr, &editor_key, &["me"]);
    assert!(!ok && err.contains("401"), "{err}");
    stop(child);
    let _ = std::fs::remove_dir_all(&dir);
}
