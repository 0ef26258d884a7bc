//! The transcripts directory: `<scenario>.txt`, `<scenario>.mmd` and `<scenario>.json` per
//! run (the JSON one is what `provlab compare` reads back).

use std::path::{Path, PathBuf};

use super::{write_file, ReportError};
use crate::compare::SavedTranscript;
use crate::runner::ScenarioResult;

/// Writes each result's transcript as text (`<name>.txt`), as a Mermaid diagram
/// (`<name>.mmd`) and as JSON (`<name>.json`, a [`SavedTranscript`]) into `dir` (created if
/// needed); returns the files written. Names are made file-safe; two results with the same
/// name get `-2`, `-3`, … suffixes.
pub fn write_transcripts(
    dir: &Path,
    results: &[ScenarioResult],
) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(dir).map_err(|source| ReportError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut used: Vec<String> = Vec::new();
    let mut written = Vec::new();
    for result in results {
        let base = file_stem(&result.name);
        let mut stem = base.clone();
        let mut n = 2;
        while used.contains(&stem) {
            stem = format!("{base}-{n}");
            n += 1;
        }
        used.push(stem.clone());
        let text = dir.join(format!("{stem}.txt"));
        let header = format!(
            "# {} ({}), seed {}, backend {}\n# replay: {}\n",
            result.name,
            result.file.display(),
            result.seed,
            result.backend,
            result.replay_command()
        );
        write_file(&text, &format!("{header}{}", result.transcript.to_text()))?;
        let mermaid = dir.join(format!("{stem}.mmd"));
        write_file(&mermaid, &result.transcript.to_mermaid())?;
        let json = dir.join(format!("{stem}.json"));
        let saved = SavedTranscript::of(
            &result.name,
            result.seed,
            &result.backend,
            &result.transcript,
        );
        write_file(&json, &serde_json::to_string_pretty(&saved)?)?;
        written.push(text);
        written.push(mermaid);
        written.push(json);
    }
    Ok(written)
}

/// The file stem `write_transcripts` gives a scenario's files (before any `-2` suffix).
pub fn file_stem_of(name: &str) -> String {
    file_stem(name)
}

/// Letters, digits, `-`, `_` and `.` kept; anything else becomes `_`.
fn file_stem(name: &str) -> String {
    let stem: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let stem = stem.trim_start_matches('.').to_owned();
    if stem.is_empty() {
        "scenario".to_owned()
    } else {
        stem
    }
}
