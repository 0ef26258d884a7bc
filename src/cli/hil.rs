//! `provlab hil`: the HIL runner. `run` plays scenario files on a rack's boards (real
//! nRF91 boards, or virtual boards on PTYs) against a lab service it starts; `leases` shows
//! who holds which board; `probes` lists the debug probes and why one cannot be opened;
//! `check` validates a rack file; `schema` prints the rack file's JSON Schema.

mod inventory;
mod run;

use std::process::ExitCode;

use clap::{Args, Subcommand};

/// Arguments of `provlab hil`.
#[derive(Debug, Args)]
pub struct HilArgs {
    #[command(subcommand)]
    command: HilCommand,
}

#[derive(Debug, Subcommand)]
enum HilCommand {
    /// Run scenario files on the rack's boards and report like `provlab run`.
    Run(Box<run::HilRunArgs>),
    /// List the board leases of a rack's lab directory.
    Leases(inventory::LeasesArgs),
    /// List the attached debug probes, with what to do about one that cannot be opened.
    Probes,
    /// Validate a rack file (errors and warnings with file:line:col).
    Check(inventory::CheckArgs),
    /// Print the JSON Schema of rack files (for editor validation).
    Schema,
}

/// Runs `provlab hil`.
pub fn run(args: HilArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        HilCommand::Run(args) => run::run(*args),
        HilCommand::Leases(args) => inventory::leases(args),
        HilCommand::Probes => inventory::probes(),
        HilCommand::Check(args) => inventory::check(args),
        HilCommand::Schema => {
            println!(
                "{}",
                serde_json::to_string_pretty(&provlab_hil::rack::schema())?
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
