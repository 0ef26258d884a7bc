//! `provlab check`: validates scenario files (and a rack file) without running them: every
//! problem with file:line:col; exit 0 when all are valid, 2 otherwise.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use provlab_harness::{load_each_with, LoadOptions};

/// Arguments of `provlab check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Scenario files or directories (every `*.toml` in a directory).
    #[arg(value_name = "PATHS", default_value = "scenarios/")]
    paths: Vec<PathBuf>,
    /// Also validates this rack file (as `provlab hil run --rack` reads it).
    #[arg(long, value_name = "FILE")]
    rack: Option<PathBuf>,
    /// The directory tree `@file:` references may read from (default: each scenario
    /// file's own directory and below).
    #[arg(long, value_name = "DIR")]
    content_root: Option<PathBuf>,
}

/// Runs `provlab check`: `ok <file>` per valid file, every problem of the others, and
/// `N files checked, N with problems`.
pub fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let options = LoadOptions {
        content_root: args.content_root.clone(),
    };
    let mut checked = 0;
    let mut bad = 0;
    for file in load_each_with(&args.paths, &options) {
        checked += 1;
        match file.result {
            Ok(_) => println!("ok    {}", file.path.display()),
            Err(e) => {
                bad += 1;
                println!("error {}\n{e}\n", file.path.display());
            }
        }
    }
    if let Some(rack) = &args.rack {
        checked += 1;
        if !check_rack(rack) {
            bad += 1;
        }
    }
    println!("{checked} files checked, {bad} with problems");
    Ok(if bad == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// Validates a rack file; prints `ok` or its problems; whether it is valid.
fn check_rack(path: &Path) -> bool {
    match provlab_hil::rack::load_file(path) {
        Ok(_) => {
            println!("ok    {} (rack)", path.display());
            true
        }
        Err(e) => {
            println!("error {} (rack)\n{e}\n", path.display());
            false
        }
    }
}
