//! `provlab`: the command-line entry point that wires the workspace together.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("provlab: {err:#}");
            ExitCode::from(1)
        }
    }
}
