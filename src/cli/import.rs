//! `provlab import`: a field run (console log, service history, AT trace) to a scenario
//! file that reproduces it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use clap::Args;
use provlab_hil::import::calibrate::Verdict;
use provlab_hil::import::{import, Input, Inputs};

/// Arguments of `provlab import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The device's console log: a UART or RTT capture of the nrf_provisioning sample
    /// (NCS v2.9, 3.0 or current).
    #[arg(long, value_name = "LOG")]
    console: PathBuf,
    /// The service's command history for the device: the JSON of
    /// `GET /v1/claimed-devices/{id}/provisioning` (nRF Cloud or `provlab serve`).
    #[arg(long, value_name = "JSON")]
    service_history: Option<PathBuf>,
    /// An AT trace (commands and the modem's answers, one per line).
    #[arg(long, value_name = "FILE")]
    at_trace: Option<PathBuf>,
    /// Where to write the scenario (`-` for stdout).
    #[arg(short = 'o', long = "output", value_name = "SCENARIO.toml")]
    output: PathBuf,
    /// The scenario's name (default: the output file's stem).
    #[arg(long)]
    name: Option<String>,
    /// The device's name in the scenario.
    #[arg(long, default_value = "dk1")]
    device: String,
    /// Do not run the scenario in simulation to check it and calibrate the client's buffer
    /// sizes (which the console does not show).
    #[arg(long)]
    no_calibrate: bool,
    /// Pass over lines of the provisioning library the decoder does not know (each with a
    /// warning) instead of stopping at the first.
    #[arg(long)]
    allow_unknown_lines: bool,
}

/// Runs `provlab import`: writes the scenario, prints the warnings on stderr. Exit 0 when
/// the simulation reproduces the log, 1 when it parts from it (the file is still written,
/// with the difference as a warning), 2 when the inputs cannot be read.
pub fn run(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let read = |path: &Path| {
        std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
    };
    let console = read(&args.console)?;
    let history = args.service_history.as_deref().map(read).transpose()?;
    let trace = args.at_trace.as_deref().map(read).transpose()?;
    let shown = |p: &Path| p.display().to_string();
    let (console_name, history_name, trace_name) = (
        shown(&args.console),
        args.service_history.as_deref().map(shown),
        args.at_trace.as_deref().map(shown),
    );
    let name = match &args.name {
        Some(n) => n.clone(),
        None => args
            .output
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .filter(|s| s != "-")
            .unwrap_or_else(|| "imported".to_owned()),
    };
    let inputs = Inputs {
        console: Input {
            name: &console_name,
            bytes: &console,
        },
        service_history: history
            .as_deref()
            .zip(history_name.as_deref())
            .map(|(bytes, name)| Input { name, bytes }),
        at_trace: trace
            .as_deref()
            .zip(trace_name.as_deref())
            .map(|(bytes, name)| Input { name, bytes }),
        name: &name,
        device: &args.device,
        calibrate: !args.no_calibrate,
        allow_unknown: args.allow_unknown_lines,
    };
    let imported = match import(&inputs) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    if args.output.as_os_str() == "-" {
        print!("{}", imported.toml);
    } else {
        std::fs::write(&args.output, &imported.toml)
            .with_context(|| format!("cannot write {}", args.output.display()))?;
        eprintln!("wrote {}", args.output.display());
    }
    for w in &imported.warnings {
        eprintln!("warning: {w}");
    }
    match imported.verdict {
        None => Ok(ExitCode::SUCCESS),
        Some(Verdict::Reproduces) => {
            eprintln!("the simulation reproduces the log's events");
            Ok(ExitCode::SUCCESS)
        }
        Some(Verdict::Differs(difference)) => {
            eprintln!("the simulation parts from the log: {difference}");
            Ok(ExitCode::from(1))
        }
        Some(Verdict::Broken(reason)) => {
            bail!("the imported scenario does not run (a bug of the importer): {reason}")
        }
    }
}
