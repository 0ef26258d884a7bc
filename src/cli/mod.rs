//! Command-line surface: argument parsing and dispatch to the subcommands.

mod board;
mod check;
mod compare;
mod decode;
mod decode_tokens;
mod health;
mod hil;
mod import;
mod list;
mod modem;
mod run;
mod schema;
mod serve;
mod team;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// End-to-end simulator and HIL test harness for nRF91 device provisioning.
#[derive(Debug, Parser)]
#[command(name = "provlab", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a virtual nRF91 board (simulated modem + provisioning client behind the sample
    /// firmware's console) on a pseudo-terminal, in real time, against a real service.
    Board(board::BoardArgs),
    /// Validate scenario files (and a rack file with `--rack`) without running them: every
    /// problem with file:line:col. Exit 0 all valid, 2 not.
    Check(check::CheckArgs),
    /// Compare two saved runs of a scenario (JSON transcripts, or console logs): events
    /// missing or extra, order changes, different answers and timing beyond a tolerance.
    /// Exit 0 no drift, 1 drift, 2 unreadable input.
    Compare(compare::CompareArgs),
    /// Decode a provisioning payload: CBOR records (hex, raw file or stdin), an
    /// attestation token, a %KEYGEN answer or a JWT, as pasted from a field log.
    Decode(decode::DecodeArgs),
    /// Ask a running `provlab serve` for `GET /v1/health`: exit 0 when healthy, 1 if not
    /// (the container image's health check).
    Health(health::HealthArgs),
    /// The HIL runner: run scenario files on a rack's boards (real nRF91 boards or virtual
    /// ones), and inspect the rack's leases and probes.
    Hil(hil::HilArgs),
    /// Write a scenario that reproduces a field run, from the device's console log (and the
    /// service's command history for it, and an AT trace): device, configuration, faults,
    /// steps and expectations, each with the input line it came from.
    Import(import::ImportArgs),
    /// List scenarios: name, file, devices, transports and the backend capabilities they
    /// need (fault kinds, power cycling, network time control), as a table or `--json`.
    List(list::ListArgs),
    /// Run a simulated nRF91 modem on a pseudo-terminal, behind a plain AT host or the
    /// sample firmware's Zephyr shell, for host tools such as nrfcredstore.
    Modem(modem::ModemArgs),
    /// Run scenario files in simulation (virtual time, seeded) and report: one line per
    /// scenario, the replay command of each failure, and `N passed, N failed, N skipped`.
    Run(run::RunArgs),
    /// Print the JSON Schema of scenario files (for editor validation).
    Schema(schema::SchemaArgs),
    /// Run the fake nRF Cloud Provisioning Service: REST API, device HTTPS and CoAP/DTLS
    /// endpoints; prints the bound addresses (and, on first start, the owner's API key).
    Serve(serve::ServeArgs),
    /// Manage the fake service's team members and API keys through its REST API.
    Team(team::TeamArgs),
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Board(args) => board::run(args),
        Command::Check(args) => check::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Decode(args) => decode::run(args),
        Command::Health(args) => health::run(args),
        Command::Hil(args) => hil::run(args),
        Command::Import(args) => import::run(args),
        Command::List(args) => list::run(args),
        Command::Modem(args) => modem::run(args),
        Command::Run(args) => run::run(args),
        Command::Schema(args) => schema::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Team(args) => team::run(args),
    }
}
