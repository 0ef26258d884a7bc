//! The JSON report: every result (with its transcript as structured entries) and a summary.

use std::path::Path;

use serde::Serialize;

use super::{write_file, ReportError, Summary};
use crate::runner::ScenarioResult;

/// Format version of the JSON report.
pub const JSON_REPORT_VERSION: u32 = 1;

/// The JSON report's top level.
#[derive(Debug, Serialize)]
pub struct JsonReport<'a> {
    /// [`JSON_REPORT_VERSION`].
    pub version: u32,
    /// Verdict counts.
    pub summary: Summary,
    /// One entry per scenario, with `replay` added.
    pub scenarios: Vec<JsonScenario<'a>>,
}

/// One scenario in the JSON report.
#[derive(Debug, Serialize)]
pub struct JsonScenario<'a> {
    /// The result.
    #[serde(flatten)]
    pub result: &'a ScenarioResult,
    /// The command that replays the run.
    pub replay: String,
}

/// The report for `results`.
pub fn json_report(results: &[ScenarioResult]) -> JsonReport<'_> {
    JsonReport {
        version: JSON_REPORT_VERSION,
        summary: Summary::of(results),
        scenarios: results
            .iter()
            .map(|result| JsonScenario {
                result,
                replay: result.replay_command(),
            })
            .collect(),
    }
}

/// The report as pretty-printed JSON.
pub fn json_string(results: &[ScenarioResult]) -> Result<String, ReportError> {
    let mut text = serde_json::to_string_pretty(&json_report(results))?;
    text.push('\n');
    Ok(text)
}

/// Writes the report to `path` (parent directories are created).
pub fn write_json(path: &Path, results: &[ScenarioResult]) -> Result<(), ReportError> {
    write_file(path, &json_string(results)?)
}
