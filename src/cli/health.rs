//! `provlab health`: asks a running `provlab serve` for `GET /v1/health` and exits 0 when it
//! answers 200 `{"status":"ok"}`, 1 otherwise. It is the container image's health check: a
//! `FROM scratch` image has no curl, and this needs nothing but the binary (no DNS either:
//! the host is an IP address or `localhost`).

use std::io::{Read as _, Write as _};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream, ToSocketAddrs as _};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _};
use clap::Args;

/// The health endpoint's path, used when the URL has none.
const HEALTH_PATH: &str = "/v1/health";
/// The largest response read.
const MAX_RESPONSE: u64 = 64 * 1024;

/// Arguments of `provlab health`.
#[derive(Debug, Args)]
pub struct HealthArgs {
    /// The service's health URL, or its base URL (`/v1/health` is then appended). Only
    /// `http://`; the host is an IP address or `localhost`.
    #[arg(
        long,
        value_name = "URL",
        default_value = "http://127.0.0.1:8080/v1/health"
    )]
    url: String,
    /// Give up after this many seconds (connecting, sending and reading together).
    #[arg(long, value_name = "SECS", default_value_t = 3.0)]
    timeout: f64,
    /// Print nothing when healthy.
    #[arg(long, short)]
    quiet: bool,
}

/// Where to send the probe: the socket address, the `Host` header and the path.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    addr: SocketAddr,
    host: String,
    path: String,
}

/// Parses `http://host[:port][/path]`; `localhost` is 127.0.0.1 without a resolver, other
/// names are resolved by the system (not available in the container image).
fn parse_url(url: &str) -> anyhow::Result<Target> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| anyhow!("{url:?}: only http:// URLs are supported"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let path = match path.trim_end_matches('/') {
        "" => HEALTH_PATH.to_owned(),
        p => p.to_owned(),
    };
    if authority.is_empty() {
        bail!("{url:?} has no host");
    }
    let (host, port) = split_host_port(authority)
        .ok_or_else(|| anyhow!("{url:?}: cannot read the host and port"))?;
    let ip = match host {
        "localhost" => Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        h => h.trim_start_matches('[').trim_end_matches(']').parse().ok(),
    };
    let addr = match ip {
        Some(ip) => SocketAddr::new(ip, port),
        None => (host, port)
            .to_socket_addrs()
            .with_context(|| format!("cannot resolve {host:?}"))?
            .next()
            .ok_or_else(|| anyhow!("{host:?} resolves to no address"))?,
    };
    Ok(Target {
        addr,
        host: authority.to_owned(),
        path,
    })
}

/// Splits `host[:port]` (`[v6]:port` too); port 80 when absent.
fn split_host_port(authority: &str) -> Option<(&str, u16)> {
    if let Some(v6_end) = authority.find(']') {
        let host = &authority[..=v6_end];
        return match &authority[v6_end + 1..] {
            "" => Some((host, 80)),
            port => Some((host, port.strip_prefix(':')?.parse().ok()?)),
        };
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => Some((host, port.parse().ok()?)),
        None => Some((authority, 80)),
    }
}

/// Sends the probe and returns the status code and the body, within `timeout`.
fn probe(target: &Target, timeout: Duration) -> anyhow::Result<(u16, String)> {
    let deadline = Instant::now() + timeout;
    let left = || {
        deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| anyhow!("no answer within {timeout:?}"))
    };
    let mut stream = TcpStream::connect_timeout(&target.addr, left()?)
        .with_context(|| format!("cannot connect to {}", target.addr))?;
    stream.set_write_timeout(Some(left()?))?;
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\nConnection: close\r\n\r\n",
        target.path, target.host
    );
    stream
        .write_all(request.as_bytes())
        .context("cannot send the request")?;
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        stream.set_read_timeout(Some(left()?))?;
        let n = stream.read(&mut buf).context("cannot read the answer")?;
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
        if raw.len() as u64 > MAX_RESPONSE {
            bail!("the answer is larger than {MAX_RESPONSE} bytes");
        }
    }
    parse_response(&raw)
}

/// The status code and body of a `Connection: close` response with a plain body.
fn parse_response(raw: &[u8]) -> anyhow::Result<(u16, String)> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| anyhow!("malformed HTTP answer (no end of headers)"))?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let status = head
        .split("\r\n")
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| anyhow!("malformed HTTP status line"))?;
    Ok((
        status,
        String::from_utf8_lossy(&raw[split + 4..]).into_owned(),
    ))
}

/// Whether the answer says healthy: 200 and `"status": "ok"`.
fn healthy(status: u16, body: &str) -> bool {
    status == 200
        && serde_json::from_str::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v.get("status").and_then(|s| s.as_str()).map(|s| s == "ok"))
            .unwrap_or(false)
}

/// Runs `provlab health`: exit 0 when healthy, 1 (with the reason on stderr) otherwise.
pub fn run(args: HealthArgs) -> anyhow::Result<ExitCode> {
    if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= 3600.0) {
        bail!("--timeout must be between 0 and 3600 seconds");
    }
    let target = parse_url(&args.url)?;
    match probe(&target, Duration::from_secs_f64(args.timeout)) {
        Ok((status, body)) if healthy(status, &body) => {
            if !args.quiet {
                println!("healthy: {} answered {status} {}", args.url, body.trim());
            }
            Ok(ExitCode::SUCCESS)
        }
        Ok((status, body)) => {
            eprintln!("unhealthy: {} answered {status} {}", args.url, body.trim());
            Ok(ExitCode::from(1))
        }
        Err(e) => {
            eprintln!("unhealthy: {}: {e:#}", args.url);
            Ok(ExitCode::from(1))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let t = parse_url("http://127.0.0.1:8080/v1/health").unwrap();
        assert_eq!(t.addr, SocketAddr::from(([127, 0, 0, 1], 8080)));
        assert_eq!(t.path, "/v1/health");
        let t = parse_url("http://localhost:9000").unwrap();
        assert_eq!(t.addr, SocketAddr::from(([127, 0, 0, 1], 9000)));
        assert_eq!(
            (t.host.as_str(), t.path.as_str()),
            ("localhost:9000", HEALTH_PATH)
        );
        let t = parse_url("http://[::1]:81/").unwrap();
        assert_eq!(t.addr.port(), 81);
        assert!(t.addr.ip().is_loopback());
        assert_eq!(parse_url("http://10.0.0.1").unwrap().addr.port(), 80);
        assert!(parse_url("https://127.0.0.1").is_err());
        assert!(parse_url("http://").is_err());
        assert!(parse_url("http://127.0.0.1:port").is_err());
    }

    #[test]
    fn answers() {
        let (status, body) =
            parse_response(b"HTTP/1.1 200 OK\r\ncontent-length: 15\r\n\r\n{\"status\":\"ok\"}")
                .unwrap();
        assert!(healthy(status, &body));
        assert!(!healthy(200, "{\"status\":\"unavailable\"}"));
        assert!(!healthy(503, "{\"status\":\"ok\"}"));
        assert!(!healthy(200, "not json"));
        assert!(parse_response(b"garbage").is_err());
    }

    #[test]
    fn nothing_listening_is_unhealthy() {
        // Bind and drop to find a port that is (very likely) closed.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let target = parse_url(&format!("http://127.0.0.1:{port}")).unwrap();
        assert!(probe(&target, Duration::from_secs(2)).is_err());
    }
}
