//! `provlab serve`: the fake nRF Cloud Provisioning Service (REST API, device HTTPS and
//! CoAP/DTLS endpoints) as one process.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;

use anyhow::Context as _;
use clap::Args;
use provlab_server::serve::{self, ServeConfig, DEFAULT_COAP, DEFAULT_HTTPS, DEFAULT_REST};

/// Arguments of `provlab serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Keep the service's state in this SQLite file (created when missing); without it the
    /// state lives in memory and is lost at exit.
    #[arg(long, value_name = "FILE")]
    db: Option<PathBuf>,
    /// Address of the REST API (`/v1/...`); port 0 picks a free port.
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_REST)]
    rest: SocketAddr,
    /// Address of the device HTTPS endpoint, or `off`.
    #[arg(long, value_name = "ADDR|off", default_value = DEFAULT_HTTPS)]
    https: Listen,
    /// Address of the device CoAP/DTLS endpoint (UDP), or `off`.
    #[arg(long, value_name = "ADDR|off", default_value = DEFAULT_COAP)]
    coap: Listen,
    /// Directory of the lab PKI (root CA and server certificate), created when missing.
    /// Default: `<db>.pki` next to the database, or a fresh temporary directory.
    #[arg(long, value_name = "DIR")]
    pki: Option<PathBuf>,
    /// Host name or IP address the server certificate must cover (repeatable; default
    /// `localhost` and `127.0.0.1`).
    #[arg(long = "hostname", value_name = "NAME")]
    hostnames: Vec<String>,
    /// The simulated factory's device registry (JSON, as `provlab modem --registry`
    /// writes). Without it attestation tokens and device JWTs are accepted unverified, and
    /// every such acceptance is logged.
    #[arg(long, value_name = "FILE")]
    registry: Option<PathBuf>,
    /// The owner's API key (16 to 128 printable characters). Visible to other local users
    /// in the process list: prefer the PROVLAB_OWNER_KEY environment variable or
    /// --owner-key-file. Without any of them a key is generated on first start and written
    /// to a 0600 file (`<db>.owner-key`, or --owner-key-out), never printed.
    #[arg(long, value_name = "KEY", conflicts_with = "owner_key_file")]
    owner_key: Option<String>,
    /// A file whose first line is the owner's API key.
    #[arg(long, value_name = "FILE")]
    owner_key_file: Option<PathBuf>,
    /// Where a generated owner key is written (mode 0600); default `<db>.owner-key`, or a
    /// new file in the temporary directory without --db.
    #[arg(long, value_name = "FILE")]
    owner_key_out: Option<PathBuf>,
    /// Offline recovery of a team that lost its owner keys: the first owner's keys are all
    /// revoked and the owner key (given, or generated) becomes their only one. Logged.
    #[arg(long)]
    reset_owner_key: bool,
}

/// The environment variable holding the owner's API key when neither `--owner-key` nor
/// `--owner-key-file` is given.
pub const OWNER_KEY_ENV: &str = "PROVLAB_OWNER_KEY";

/// The owner key from `--owner-key`, `--owner-key-file` or [`OWNER_KEY_ENV`], in that order.
fn owner_key(args: &ServeArgs) -> anyhow::Result<Option<String>> {
    if let Some(key) = &args.owner_key {
        tracing::warn!(
            "--owner-key is visible to other local users in the process list; prefer {OWNER_KEY_ENV} or --owner-key-file"
        );
        return Ok(Some(key.clone()));
    }
    if let Some(path) = &args.owner_key_file {
        return Ok(Some(serve::read_key_file(path)?));
    }
    match std::env::var(OWNER_KEY_ENV) {
        Ok(key) if !key.trim().is_empty() => Ok(Some(key.trim().to_owned())),
        Ok(_) | Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => {
            anyhow::bail!("{OWNER_KEY_ENV} is not valid UTF-8")
        }
    }
}

/// A listener address or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Listen(Option<SocketAddr>);

impl FromStr for Listen {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.eq_ignore_ascii_case("off") {
            return Ok(Listen(None));
        }
        text.parse().map(|addr| Listen(Some(addr))).map_err(|e| {
            format!("{text:?} is neither `off` nor an address like 127.0.0.1:8443: {e}")
        })
    }
}

/// Logs to stderr (`RUST_LOG` filters; default `info`), keeping stdout for the addresses.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// A future resolving on SIGINT or SIGTERM. The handlers are installed before this
/// returns, so a signal sent as soon as the addresses are printed is not missed.
#[cfg(unix)]
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => tracing::info!("SIGINT received"),
            _ = terminate.recv() => tracing::info!("SIGTERM received"),
        }
    })
}

/// A future resolving on Ctrl-C.
#[cfg(not(unix))]
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

/// Runs `provlab serve` until SIGINT or SIGTERM.
pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    init_logging();
    let owner_key = owner_key(&args)?;
    let mut config = ServeConfig {
        db: args.db,
        rest: args.rest,
        https: args.https.0,
        coap: args.coap.0,
        pki: args.pki,
        registry: args.registry,
        owner_key,
        owner_key_out: args.owner_key_out,
        reset_owner_key: args.reset_owner_key,
        ..ServeConfig::default()
    };
    if !args.hostnames.is_empty() {
        config.hostnames = args.hostnames;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let shutdown = shutdown_signal()?;
        serve::run(config, shutdown)
            .await
            .context("provlab serve failed")
    })?;
    Ok(ExitCode::SUCCESS)
}
