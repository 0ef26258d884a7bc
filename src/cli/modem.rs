//! `provlab modem`: a simulated nRF91 modem on a pseudo-terminal, for real host tools.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context as _};
use clap::{Args, ValueEnum};
use provlab_proto::tokens::SignatureAlgorithmForm;
use provlab_sim::modem::registry::{Registry, RegistryEntry};
use provlab_sim::modem::{Modem, ModemConfig, NvmStore};
use provlab_sim::serial::{front_end, Mode, PtyServer, Shutdown, Stop};

/// Arguments of `provlab modem`.
#[derive(Debug, Args)]
pub struct ModemArgs {
    /// Serve the modem on a new pseudo-terminal; its path is the first line of stdout.
    #[arg(long)]
    pty: bool,
    /// What sits between the serial line and the modem: a plain AT host, or the sample
    /// firmware's Zephyr shell (`uart:~$ ` prompt, `at <command>`).
    #[arg(long, value_enum, default_value_t = ModeArg::At)]
    mode: ModeArg,
    /// Keep the modem's NVM (credentials) in this file, so they survive restarts; created
    /// when missing. Without it the NVM lives in memory.
    #[arg(long, value_name = "FILE")]
    nvm: Option<PathBuf>,
    /// Model string answered to AT+CGMM (e.g. nRF9160-SICA, nRF9161-LACA).
    #[arg(long, value_name = "M")]
    model: Option<String>,
    /// Modem firmware version answered to AT+CGMR (e.g. mfw_nrf9160_1.3.5).
    #[arg(long, value_name = "VERSION")]
    firmware: Option<String>,
    /// Seed of the modem's identity (device UUID, IMEI, keys) and randomness; random when
    /// not given (the seed used is printed, to reproduce a run).
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Merge this modem's public identity into this factory registry file (JSON, created
    /// when missing), for the fake provisioning service.
    #[arg(long, value_name = "FILE")]
    registry: Option<PathBuf>,
    /// How %KEYGEN CSRs encode their ecdsa-with-SHA256 signature algorithm: `modem` with an
    /// explicit NULL parameter as real modems do (Python cryptography 49 and later refuse
    /// it), or `rfc5758` without parameters.
    #[arg(long, value_enum, default_value_t = CsrFormArg::Modem)]
    csr_form: CsrFormArg,
}

/// The `--csr-form` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CsrFormArg {
    /// OID followed by NULL, as real modems encode it.
    Modem,
    /// OID only (RFC 5758 section 3.2).
    Rfc5758,
}

/// The `--mode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ModeArg {
    /// Plain AT host: AT command lines in, answers out, no echo.
    At,
    /// The sample firmware's Zephyr shell with the NCS AT shell.
    Shell,
}

impl From<ModeArg> for Mode {
    fn from(mode: ModeArg) -> Mode {
        match mode {
            ModeArg::At => Mode::At,
            ModeArg::Shell => Mode::Shell,
        }
    }
}

/// Runs `provlab modem` until SIGINT, SIGTERM or SIGHUP.
pub fn run(args: ModemArgs) -> anyhow::Result<ExitCode> {
    if !args.pty {
        bail!("choose a transport: --pty (the only one so far)");
    }
    // Before anything else, so that no thread can take the signals first.
    let stop = Stop::on_signals().context("cannot set up signal handling")?;
    let seed = args.seed.unwrap_or_else(random_seed);
    let mut config = ModemConfig::from_seed(seed);
    if let Some(model) = &args.model {
        config = config.model(model.clone());
    }
    if let Some(firmware) = &args.firmware {
        config = config.firmware(firmware.clone());
    }
    if let Some(path) = &args.nvm {
        config = config.nvm(NvmStore::File(path.clone()));
    }
    config = config.csr_form(match args.csr_form {
        CsrFormArg::Modem => SignatureAlgorithmForm::LegacyNull,
        CsrFormArg::Rfc5758 => SignatureAlgorithmForm::Plain,
    });
    let modem = Modem::new(config).context("cannot start the simulated modem")?;
    if let Some(path) = &args.registry {
        let mut registry = Registry::new();
        registry.upsert(RegistryEntry::for_identity(modem.identity()));
        Registry::merge_into_file(path, registry)
            .with_context(|| format!("cannot update the registry {}", path.display()))?;
    }
    let mut server = PtyServer::open().context("cannot open a pseudo-terminal")?;
    print_banner(&server, &modem, args.mode, seed).context("cannot write to stdout")?;
    let mut front = front_end(args.mode.into(), modem);
    let shutdown = server
        .serve(front.as_mut(), &stop)
        .context("the simulated modem stopped")?;
    if server.dropped_bytes() > 0 {
        eprintln!(
            "provlab modem: {} bytes of output were dropped because nobody read them",
            server.dropped_bytes()
        );
    }
    match shutdown {
        Shutdown::Signal(signal) => eprintln!("provlab modem: stopped by {signal}"),
        Shutdown::Requested => eprintln!("provlab modem: stopped"),
    }
    Ok(ExitCode::SUCCESS)
}

/// First line: the PTY path (what scripts read); then the identity, one `key: value` a line.
fn print_banner(
    server: &PtyServer,
    modem: &Modem,
    mode: ModeArg,
    seed: u64,
) -> std::io::Result<()> {
    let id = modem.identity();
    let mode = match mode {
        ModeArg::At => "at",
        ModeArg::Shell => "shell",
    };
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", server.path().display())?;
    writeln!(out, "mode: {mode}")?;
    writeln!(out, "device_uuid: {}", id.device_uuid)?;
    writeln!(out, "imei: {}", id.imei)?;
    writeln!(out, "model: {}", id.model)?;
    writeln!(out, "firmware: {}", id.firmware)?;
    writeln!(out, "seed: {seed}")?;
    out.flush()?;
    eprintln!(
        "provlab modem: serving on {} ({mode} mode); stop with Ctrl-C",
        server.path().display()
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
