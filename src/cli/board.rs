//! `provlab board`: a virtual nRF91 board (simulated modem + provisioning client behind the
//! sample firmware's console) on a pseudo-terminal, in real time, talking to a real service.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context as _};
use clap::{Args, ValueEnum};
use provlab_sim::board::{board_shell, BoardConfig, Era, TransportKind};
use provlab_sim::modem::registry::{Registry, RegistryEntry};
use provlab_sim::modem::{Modem, ModemConfig, NvmStore};
use provlab_sim::serial::{PtyServer, Shutdown, Stop};

/// Arguments of `provlab board`.
#[derive(Debug, Args)]
pub struct BoardArgs {
    /// Serve the board's console on a new pseudo-terminal; its path is the first line of
    /// stdout.
    #[arg(long)]
    pty: bool,
    /// The service's device endpoint, `HOST:PORT` (HTTPS, or CoAP/DTLS with
    /// `--transport coap`); HOST is also the TLS server name.
    #[arg(long, value_name = "HOST:PORT")]
    service: String,
    /// The provisioning transport.
    #[arg(long, value_enum, default_value_t = TransportArg::Http)]
    transport: TransportArg,
    /// The firmware's built-in root CA (PEM), written into the root CA sec tag (50 for
    /// HTTP; 42 or 42384 for CoAP) when that tag is empty, as the sample firmware does.
    #[arg(long, value_name = "FILE")]
    root_ca: Option<PathBuf>,
    /// Run scheduled provisioning with this interval in seconds; without it only
    /// `nrf_provisioning now` starts an attempt.
    #[arg(long, value_name = "S")]
    interval: Option<u64>,
    /// Keep the modem's NVM (credentials) in this file; created when missing.
    #[arg(long, value_name = "FILE")]
    nvm: Option<PathBuf>,
    /// Seed of the modem's identity and of the client; random when not given (printed).
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Merge this board's public identity into this factory registry file (JSON, created
    /// when missing), for the service's `--registry`.
    #[arg(long, value_name = "FILE")]
    registry: Option<PathBuf>,
    /// The sample firmware era whose console (and client generation) to reproduce.
    #[arg(long, value_enum, default_value_t = FirmwareArg::Current)]
    firmware: FirmwareArg,
    /// Run the board's clock this many times faster than the wall clock (backoff,
    /// intervals and log timestamps), as a HIL rack's virtual boards may.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    speed: u32,
}

/// The `--transport` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TransportArg {
    /// HTTPS REST.
    Http,
    /// CoAP over DTLS 1.2.
    Coap,
}

/// The `--firmware` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FirmwareArg {
    /// NCS v2.9.0.
    #[value(name = "v2.9")]
    V2_9,
    /// About NCS 3.0.
    #[value(name = "3.0")]
    V3_0,
    /// NCS 3.1 and later.
    Current,
}

impl From<FirmwareArg> for Era {
    fn from(arg: FirmwareArg) -> Era {
        match arg {
            FirmwareArg::V2_9 => Era::V2_9,
            FirmwareArg::V3_0 => Era::V3_0,
            FirmwareArg::Current => Era::Current,
        }
    }
}

/// Splits `HOST:PORT` (IPv6 hosts in brackets).
fn split_service(service: &str) -> anyhow::Result<(String, u16)> {
    let Some((host, port)) = service.rsplit_once(':') else {
        bail!("--service {service:?}: expected HOST:PORT");
    };
    let port: u16 = port
        .parse()
        .with_context(|| format!("--service {service:?}: bad port"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        bail!("--service {service:?}: empty host");
    }
    Ok((host.to_owned(), port))
}

/// Runs `provlab board` until SIGINT, SIGTERM or SIGHUP.
pub fn run(args: BoardArgs) -> anyhow::Result<ExitCode> {
    if !args.pty {
        bail!("choose a transport for the console: --pty (the only one so far)");
    }
    let stop = Stop::on_signals().context("cannot set up signal handling")?;
    let (host, port) = split_service(&args.service)?;
    let seed = args.seed.unwrap_or_else(random_seed);
    let root_ca = match &args.root_ca {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the root CA {}", path.display()))?,
        ),
        None => None,
    };
    let mut modem_config = ModemConfig::from_seed(seed);
    if let Some(path) = &args.nvm {
        modem_config = modem_config.nvm(NvmStore::File(path.clone()));
    }
    let modem = Modem::new(modem_config).context("cannot start the simulated modem")?;
    if let Some(path) = &args.registry {
        let mut registry = Registry::new();
        registry.upsert(RegistryEntry::for_identity(modem.identity()));
        Registry::merge_into_file(path, registry)
            .with_context(|| format!("cannot update the registry {}", path.display()))?;
    }
    let transport = match args.transport {
        TransportArg::Http => TransportKind::Http,
        TransportArg::Coap => TransportKind::Coap,
    };
    let era = Era::from(args.firmware);
    let mut config = BoardConfig::new(era, transport, host, port);
    config.root_ca = root_ca;
    config.interval_s = args.interval;
    config.seed = seed;
    let mut server = PtyServer::open()
        .context("cannot open a pseudo-terminal")?
        .with_speed(args.speed);
    print_banner(&server, &modem, &args, &config).context("cannot write to stdout")?;
    let mut shell = board_shell(modem, config).context("cannot start the board")?;
    let shutdown = server
        .serve(&mut shell, &stop)
        .context("the virtual board stopped")?;
    match shutdown {
        Shutdown::Signal(signal) => eprintln!("provlab board: stopped by {signal}"),
        Shutdown::Requested => eprintln!("provlab board: stopped"),
    }
    Ok(ExitCode::SUCCESS)
}

/// First line: the PTY path; then the identity and setup, one `key: value` a line.
fn print_banner(
    server: &PtyServer,
    modem: &Modem,
    args: &BoardArgs,
    config: &BoardConfig,
) -> std::io::Result<()> {
    let id = modem.identity();
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", server.path().display())?;
    writeln!(out, "firmware: {}", config.era.name())?;
    writeln!(out, "service: {}:{}", config.host, config.port)?;
    writeln!(
        out,
        "transport: {}",
        match config.transport {
            TransportKind::Http => "http",
            TransportKind::Coap => "coap",
        }
    )?;
    writeln!(out, "root_ca_sec_tag: {}", config.root_ca_sec_tag())?;
    writeln!(out, "device_uuid: {}", id.device_uuid)?;
    writeln!(out, "imei: {}", id.imei)?;
    writeln!(out, "seed: {}", config.seed)?;
    writeln!(out, "speed: {}", args.speed)?;
    out.flush()?;
    eprintln!(
        "provlab board: console on {} ({} firmware, {:?}); stop with Ctrl-C",
        server.path().display(),
        config.era.name(),
        args.transport
    );
    Ok(())
}

/// A seed that differs between runs: wall-clock nanoseconds mixed with the process id.
fn random_seed() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    nanos ^ (u64::from(std::process::id()) << 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_addresses_split() {
        assert_eq!(
            split_service("127.0.0.1:8443").unwrap(),
            ("127.0.0.1".to_owned(), 8443)
        );
        assert_eq!(
            split_service("[::1]:5684").unwrap(),
            ("::1".to_owned(), 5684)
        );
        assert!(split_service("localhost").is_err());
        assert!(split_service(":1").is_err());
    }
}
