//! `provlab hil leases`, `probes` and `check`: what is in the lab and who holds it.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use provlab_hil::lease::{list, LeaseState};
use provlab_hil::probe::{Access, Probe as _, ProbeRs};
use provlab_hil::rack;

/// Arguments of `provlab hil leases`.
#[derive(Debug, Args)]
pub struct LeasesArgs {
    /// The rack file (its `[lab] dir` holds the leases).
    #[arg(long, value_name = "FILE")]
    rack: PathBuf,
}

/// Arguments of `provlab hil check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The rack file.
    #[arg(long, value_name = "FILE")]
    rack: PathBuf,
}

/// Loads a rack, printing its warnings; a load error is printed and gives exit status 2.
pub fn load(path: &std::path::Path) -> Result<rack::LoadedRack, ExitCode> {
    match rack::load_file(path) {
        Ok(loaded) => {
            for warning in &loaded.warnings {
                eprintln!("warning: {warning}");
            }
            Ok(loaded)
        }
        Err(e) => {
            eprintln!("{e}");
            Err(ExitCode::from(2))
        }
    }
}

/// `provlab hil leases`.
pub fn leases(args: LeasesArgs) -> anyhow::Result<ExitCode> {
    let loaded = match load(&args.rack) {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let rows = list(loaded.lab_dir())?;
    if rows.is_empty() {
        println!("no leases in {}", loaded.lab_dir().display());
    }
    for row in rows {
        let state = match row.state {
            LeaseState::Held => "held".to_owned(),
            LeaseState::Stale(reason) => format!("stale ({reason:?})"),
        };
        match &row.info {
            Some(info) => println!(
                "{:<16} {state:<24} owner {} run {} pid {} on {} · {} s left",
                row.board,
                info.owner,
                info.run_id,
                info.pid,
                info.host,
                row.remaining_ms / 1000
            ),
            None => println!("{:<16} {state:<24} (unreadable lease file)", row.board),
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `provlab hil probes`.
pub fn probes() -> anyhow::Result<ExitCode> {
    let rows = ProbeRs::new().list_probes()?;
    if rows.is_empty() {
        println!("no debug probes attached");
    }
    for row in rows {
        match &row.access {
            Access::Accessible => println!("{:<32} {}  ok", row.id(), row.name),
            Access::PermissionDenied { explanation } => {
                println!("{:<32} {}  PERMISSION DENIED", row.id(), row.name);
                for line in explanation.lines() {
                    println!("    {line}");
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `provlab hil check`.
pub fn check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    Ok(match load(&args.rack) {
        Ok(loaded) => {
            println!(
                "{}: {} boards, lab service {} ({} warnings)",
                loaded.path.display(),
                loaded.rack.boards.len(),
                loaded.rack.lab.hostname.get(),
                loaded.warnings.len()
            );
            ExitCode::SUCCESS
        }
        Err(code) => code,
    })
}
