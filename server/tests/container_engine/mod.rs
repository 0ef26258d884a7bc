//! The container engine seen from the container tests: where its Docker API is
//! (`DOCKER_HOST`), whether it answers, whether the image is there, and whether a container
//! is healthy, each with one small blocking HTTP/1.0 request (no chunked answers) bounded
//! by a timeout.

#![allow(dead_code, clippy::unwrap_used)]

use std::io::Read as _;
use std::net::{SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::Value;
use testcontainers::bollard::models::HostConfig;

/// The image under test unless `PROVLAB_IMAGE` names another.
pub const DEFAULT_IMAGE: &str = "localhost/provlab:dev";
/// Bound on one request to the engine.
const ENGINE_STEP: Duration = Duration::from_secs(10);
/// The largest engine answer read.
const MAX_ANSWER: u64 = 4 * 1024 * 1024;

/// The image under test: `PROVLAB_IMAGE` or [`DEFAULT_IMAGE`].
pub fn image_name() -> String {
    std::env::var("PROVLAB_IMAGE")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| DEFAULT_IMAGE.to_owned())
}

/// The image's repository and tag (`latest` when none is given).
pub fn image_name_and_tag() -> (String, String) {
    let image = image_name();
    let last_slash = image.rfind('/').map_or(0, |i| i + 1);
    match image[last_slash..].rfind(':') {
        Some(i) => (
            image[..last_slash + i].to_owned(),
            image[last_slash + i + 1..].to_owned(),
        ),
        None => (image, "latest".to_owned()),
    }
}

/// Binds every published port to 127.0.0.1 only (testcontainers leaves the host IP empty,
/// which means every interface).
pub fn bind_ports_to_loopback(config: &mut HostConfig) {
    if let Some(bindings) = config.port_bindings.as_mut() {
        for binding in bindings.values_mut().flatten().flatten() {
            binding.host_ip = Some("127.0.0.1".to_owned());
        }
    }
}

/// How the engine is reached.
#[derive(Debug, Clone)]
enum Transport {
    Unix(PathBuf),
    Tcp(SocketAddr),
    Unsupported(String),
}

/// Whether the engine answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// `GET /_ping` answered 200.
    Up,
    /// It did not, and why.
    Down(String),
}

/// The container engine's Docker API endpoint.
#[derive(Debug, Clone)]
pub struct Engine {
    host: String,
    transport: Transport,
}

impl Engine {
    /// The engine at `DOCKER_HOST` (`unix://PATH` or `tcp://IP:PORT`), or the default Docker
    /// socket.
    pub fn from_env() -> Engine {
        let host = std::env::var("DOCKER_HOST")
            .ok()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "unix:///var/run/docker.sock".to_owned());
        let transport = if let Some(path) = host.strip_prefix("unix://") {
            Transport::Unix(PathBuf::from(path))
        } else if let Some(addr) = host.strip_prefix("tcp://") {
            match addr.trim_end_matches('/').parse() {
                Ok(addr) => Transport::Tcp(addr),
                Err(_) => Transport::Unsupported(format!("{host:?} is not tcp://IP:PORT")),
            }
        } else {
            Transport::Unsupported(format!("{host:?} is neither unix:// nor tcp://"))
        };
        Engine { host, transport }
    }

    /// `DOCKER_HOST` as given (or the default).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// One `GET path` (HTTP/1.0); the status and the body.
    fn get(&self, path: &str) -> Result<(u16, String), String> {
        let request = format!("GET {path} HTTP/1.0\r\nHost: engine\r\n\r\n");
        let raw = match &self.transport {
            Transport::Unix(socket) => {
                let mut stream = UnixStream::connect(socket)
                    .map_err(|e| format!("cannot connect to {}: {e}", socket.display()))?;
                stream.set_read_timeout(Some(ENGINE_STEP)).ok();
                stream.set_write_timeout(Some(ENGINE_STEP)).ok();
                exchange(&mut stream, &request)?
            }
            Transport::Tcp(addr) => {
                let mut stream = TcpStream::connect_timeout(addr, ENGINE_STEP)
                    .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
                stream.set_read_timeout(Some(ENGINE_STEP)).ok();
                stream.set_write_timeout(Some(ENGINE_STEP)).ok();
                exchange(&mut stream, &request)?
            }
            Transport::Unsupported(why) => return Err(why.clone()),
        };
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text
            .split_once("\r\n\r\n")
            .ok_or_else(|| format!("malformed answer to GET {path}"))?;
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("malformed status line in the answer to GET {path}"))?;
        Ok((status, body.to_owned()))
    }

    /// Whether the engine answers `GET /_ping` with 200.
    pub fn ping(&self) -> Reach {
        match self.get("/_ping") {
            Ok((200, _)) => Reach::Up,
            Ok((status, body)) => Reach::Down(format!("/_ping answered {status} {body}")),
            Err(e) => Reach::Down(e),
        }
    }

    /// Whether the engine has the image.
    pub fn has_image(&self, image: &str) -> bool {
        matches!(self.get(&format!("/images/{image}/json")), Ok((200, _)))
    }

    /// The container's health status as the engine reports it (`starting`, `healthy`,
    /// `unhealthy`), and whether it is still running.
    fn health(&self, id: &str) -> Result<(Option<String>, bool), String> {
        let (status, body) = self.get(&format!("/containers/{id}/json"))?;
        if status != 200 {
            return Err(format!("inspect answered {status}: {body}"));
        }
        let value: Value =
            serde_json::from_str(&body).map_err(|e| format!("inspect is not JSON: {e}"))?;
        let state = &value["State"];
        let health = state["Health"]["Status"]
            .as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        Ok((health, state["Running"].as_bool().unwrap_or(false)))
    }

    /// Podman only: runs the container's HEALTHCHECK now (libpod API; podman answers 404
    /// to unversioned libpod paths) and returns the resulting status. Podman schedules health checks with systemd timers, which a
    /// machine without systemd does not have; `None` when the engine has no such endpoint
    /// (Docker runs them itself).
    fn run_healthcheck(&self, id: &str) -> Option<String> {
        match self.get(&format!("/v4.0.0/libpod/containers/{id}/healthcheck")) {
            Ok((200, body)) => serde_json::from_str::<Value>(&body)
                .ok()
                .and_then(|v| v["Status"].as_str().map(str::to_owned)),
            _ => None,
        }
    }

    /// Waits (bounded by `within`) until the engine reports the container healthy, i.e. the
    /// image's own HEALTHCHECK (`provlab health`) passed inside it.
    pub fn wait_healthy(&self, id: &str, within: Duration) -> Result<(), String> {
        let deadline = Instant::now() + within;
        let mut last = String::from("no answer yet");
        while Instant::now() < deadline {
            let (health, running) = self.health(id)?;
            if !running {
                return Err(format!("the container stopped (health {health:?})"));
            }
            match health.as_deref() {
                Some("healthy") => return Ok(()),
                None => return Err("the image has no HEALTHCHECK".into()),
                Some(other) => last = other.to_owned(),
            }
            if let Some(status) = self.run_healthcheck(id) {
                if status == "healthy" {
                    return Ok(());
                }
                last = status;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Err(format!("still {last:?} after {within:?}"))
    }
}

/// Writes the request and reads the whole answer (the engine closes after an HTTP/1.0
/// answer).
fn exchange(
    stream: &mut (impl std::io::Read + std::io::Write),
    request: &str,
) -> Result<Vec<u8>, String> {
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("cannot send to the engine: {e}"))?;
    let mut raw = Vec::new();
    stream
        .take(MAX_ANSWER)
        .read_to_end(&mut raw)
        .map_err(|e| format!("cannot read the engine's answer: {e}"))?;
    Ok(raw)
}
