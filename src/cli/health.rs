//! `provlab health`: asks a running `provlab serve` for `GET /v1/health` and exits 0 when it
//! answers 200 `{"status":"ok"}`, 1 otherwise. It is the container image's health check: a
//! `FROM scratch` image has no curl, and this needs nothing but the binary (no DNS either:
//! the host is an IP address or `localhost`).

use std::process::ExitCode;
use std::time::Duration;

use anyhow::bail;
use clap::Args;
use provlab_server::api_client::{ApiClient, BaseUrl};

/// The health endpoint's path, used when the URL has none.
const HEALTH_PATH: &str = "/v1/health";

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

/// The service's base URL from a health URL or a base URL; `localhost` becomes 127.0.0.1
/// so that no resolver is needed (a `FROM scratch` image has none).
fn base_url(url: &str) -> anyhow::Result<BaseUrl> {
    let trimmed = url.trim_end_matches('/');
    let base = trimmed.strip_suffix(HEALTH_PATH).unwrap_or(trimmed);
    let mut base = BaseUrl::parse(base)?;
    if let Some(port) = base.authority.strip_prefix("localhost:") {
        base.authority = format!("127.0.0.1:{port}");
    }
    Ok(base)
}

/// Runs `provlab health`: exit 0 when healthy, 1 (with the reason on stderr) otherwise.
pub fn run(args: HealthArgs) -> anyhow::Result<ExitCode> {
    if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= 3600.0) {
        bail!("--timeout must be between 0 and 3600 seconds");
    }
    let api = ApiClient::with_base(base_url(&args.url)?, Duration::from_secs_f64(args.timeout));
    match api.health() {
        Ok(health) if health.status == "ok" => {
            if !args.quiet {
                println!("healthy: {} answered 200 {{\"status\":\"ok\"}}", args.url);
            }
            Ok(ExitCode::SUCCESS)
        }
        Ok(health) => {
            eprintln!(
                "unhealthy: {} answered 200 with status {:?}",
                args.url, health.status
            );
            Ok(ExitCode::from(1))
        }
        Err(e) => {
            eprintln!("unhealthy: {}: {e}", args.url);
            Ok(ExitCode::from(1))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_health_url_or_a_base_url_gives_the_base() {
        let base = base_url("http://127.0.0.1:8080/v1/health").unwrap();
        assert_eq!(base.to_string(), "http://127.0.0.1:8080");
        let base = base_url("http://localhost:9000/").unwrap();
        assert_eq!(base.authority, "127.0.0.1:9000");
        let base = base_url("http://[::1]:81/svc/v1/health").unwrap();
        assert_eq!(
            (base.authority.as_str(), base.prefix.as_str()),
            ("[::1]:81", "/svc")
        );
        assert!(base_url("https://127.0.0.1").is_err());
        assert!(base_url("http://").is_err());
        assert!(base_url("http://127.0.0.1:port").is_err());
    }

    #[test]
    fn nothing_listening_is_unhealthy() {
        // Bind and drop to find a port that is (very likely) closed.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let args = HealthArgs {
            url: format!("http://127.0.0.1:{port}"),
            timeout: 2.0,
            quiet: true,
        };
        assert_eq!(run(args).unwrap(), ExitCode::from(1));
    }
}
