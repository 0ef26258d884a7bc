//! `provlab list`: the scenarios of some files or directories, with their devices,
//! transports and the backend capabilities they need, as a table or JSON.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use provlab_harness::{load_each_with, Capability, LoadOptions, LoadedScenario};
use serde::Serialize;

/// Arguments of `provlab list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Scenario files or directories (every `*.toml` in a directory).
    #[arg(value_name = "PATHS", default_value = "scenarios/")]
    paths: Vec<PathBuf>,
    /// Prints a JSON array instead of the table.
    #[arg(long)]
    json: bool,
    /// The directory tree `@file:` references may read from (default: each scenario
    /// file's own directory and below).
    #[arg(long, value_name = "DIR")]
    content_root: Option<PathBuf>,
}

/// One scenario as `provlab list` shows it.
#[derive(Debug, Serialize)]
struct Listed {
    name: String,
    file: PathBuf,
    devices: Vec<String>,
    transports: Vec<String>,
    /// What a backend must be able to do: fault kinds, power cycling, network time
    /// control.
    needs: Vec<String>,
}

impl Listed {
    fn of(loaded: &LoadedScenario) -> Self {
        let scenario = &loaded.scenario;
        let transports: BTreeSet<String> = scenario
            .devices
            .iter()
            .map(|d| d.transport.to_string())
            .collect();
        let mut needs: BTreeSet<Capability> = scenario
            .faults
            .iter()
            .map(|f| Capability::for_fault(f.kind.get()))
            .collect();
        needs.extend(
            scenario
                .service
                .faults
                .iter()
                .flat_map(Capability::for_fault_window),
        );
        needs.extend(
            scenario
                .steps
                .iter()
                .filter_map(|s| Capability::for_step(s.get())),
        );
        if scenario.devices.iter().any(|d| !d.network_time) {
            needs.insert(Capability::NetworkTimeControl);
        }
        Self {
            name: loaded.name().to_owned(),
            file: loaded.path.clone(),
            devices: scenario
                .devices
                .iter()
                .map(|d| d.name.get().clone())
                .collect(),
            transports: transports.into_iter().collect(),
            needs: needs.iter().map(ToString::to_string).collect(),
        }
    }
}

/// Runs `provlab list`: exit 0, or 2 when a file does not load (its problems on stderr;
/// the others are still listed).
pub fn run(args: ListArgs) -> anyhow::Result<ExitCode> {
    let options = LoadOptions {
        content_root: args.content_root.clone(),
    };
    let mut listed = Vec::new();
    let mut bad = 0;
    for file in load_each_with(&args.paths, &options) {
        match file.result {
            Ok(loaded) => listed.push(Listed::of(&loaded)),
            Err(e) => {
                bad += 1;
                eprintln!("{e}\n");
            }
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&listed)?);
    } else {
        print!("{}", table(&listed));
    }
    Ok(if bad == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// The table: a header and one row per scenario, columns padded to their widest cell.
fn table(listed: &[Listed]) -> String {
    let header = ["NAME", "FILE", "DEVICES", "TRANSPORT", "NEEDS"].map(str::to_owned);
    let mut rows: Vec<[String; 5]> = vec![header];
    for l in listed {
        rows.push([
            l.name.clone(),
            l.file.display().to_string(),
            format!("{} ({})", l.devices.len(), l.devices.join(", ")),
            l.transports.join(", "),
            if l.needs.is_empty() {
                "-".to_owned()
            } else {
                l.needs.join(", ")
            },
        ]);
    }
    let mut widths = [0usize; 5];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<w$}  "));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
