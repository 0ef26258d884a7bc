//! `provlab schema`: prints the scenario files' JSON Schema.

use std::process::ExitCode;

use clap::Args;

/// Arguments of `provlab schema` (none).
#[derive(Debug, Args)]
pub struct SchemaArgs {}

/// Prints the JSON Schema of scenario files on stdout.
pub fn run(_args: SchemaArgs) -> anyhow::Result<ExitCode> {
    println!("{}", provlab_harness::schema::scenario_schema_json());
    Ok(ExitCode::SUCCESS)
}
