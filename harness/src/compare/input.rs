//! Saved JSON transcripts (what `--transcripts DIR` writes as `<scenario>.json`): the
//! transcript with the run it came from, written and read back for `provlab compare`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::transcript::{Entry, Transcript};

/// A transcript as saved: the run's scenario, seed and backend, and its entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedTranscript {
    /// The scenario's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    /// The seed of the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// The backend that ran it (`sim`, `hil`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
    /// The transcript's entries (the same field as [`Transcript`], so a bare transcript
    /// reads too; not flattened, so that parse errors keep their line and column).
    pub entries: Vec<Entry>,
}

impl SavedTranscript {
    /// A run's transcript with its scenario, seed and backend.
    pub fn of(scenario: &str, seed: u64, backend: &str, transcript: &Transcript) -> Self {
        SavedTranscript {
            scenario: Some(scenario.to_owned()),
            seed: Some(seed),
            backend: Some(backend.to_owned()),
            entries: transcript.entries.clone(),
        }
    }

    /// The transcript.
    pub fn transcript(&self) -> Transcript {
        Transcript {
            entries: self.entries.clone(),
        }
    }
}

/// Why a transcript file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a JSON transcript.
    #[error("{}:{line}:{column}: not a JSON transcript: {message}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser said.
        message: String,
    },
}

/// Reads a saved JSON transcript (a bare `{"entries": [...]}` is accepted too).
pub fn read_transcript(path: &Path) -> Result<SavedTranscript, ReadError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_transcript(path, &text)
}

/// Parses the text of a saved JSON transcript; `path` names it in errors.
pub fn parse_transcript(path: &Path, text: &str) -> Result<SavedTranscript, ReadError> {
    serde_json::from_str(text).map_err(|e| ReadError::Json {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: strip_position(&e.to_string()),
    })
}

/// serde_json appends ` at line L column C`; the error puts the position first instead.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message.get(..at).unwrap_or(message).to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transcript::{EntryKind, Lane};

    #[test]
    fn round_trip_and_errors_name_the_line() {
        let mut t = Transcript::new();
        t.push(Entry::on(
            5,
            Lane::Client("dk1".into()),
            EntryKind::Event,
            "DONE",
        ));
        let saved = SavedTranscript::of("s", 3, "sim", &t);
        let text = serde_json::to_string_pretty(&saved).unwrap_or_default();
        let back = parse_transcript(Path::new("x.json"), &text).ok();
        assert_eq!(back, Some(saved));
        let bad = "{\n  \"entries\": [\n    {\"at_ms\": \"soon\"}\n  ]\n}";
        let err = parse_transcript(Path::new("bad.json"), bad)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.starts_with("bad.json:3:"), "{err}");
    }
}
