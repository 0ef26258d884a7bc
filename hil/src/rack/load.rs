//! Reading a rack file: parse the TOML, apply the rules of [`super::check`], resolve paths
//! against the rack file's directory. Every error and warning names file:line:col.

use std::ops::Range;
use std::path::{Path, PathBuf};

use provlab_harness::loader::{diagnostic_at, location_at, Diagnostic, LineIndex, Location};

use super::check::{check, Finding};
use super::error::RackError;
use super::model::{Board, Rack};

/// A rack read from a file, its paths resolved, with the warnings the file earned.
#[derive(Debug, Clone)]
pub struct LoadedRack {
    /// The file, as given to the loader.
    pub path: PathBuf,
    /// The rack; `lab.dir` and firmware paths are resolved against the file's directory.
    pub rack: Rack,
    /// Problems that do not stop a run (e.g. a `/dev/ttyACM*` console, a missing image).
    pub warnings: Vec<Diagnostic>,
    source: String,
    lines: LineIndex,
}

impl LoadedRack {
    /// The lab directory (leases, logs), resolved.
    pub fn lab_dir(&self) -> &Path {
        self.rack.lab.dir.get()
    }

    /// The board with this id.
    pub fn board(&self, id: &str) -> Option<&Board> {
        self.rack.boards.iter().find(|b| b.id.get() == id)
    }

    /// The position of a span of this file (e.g. of a board's `id`, for runtime errors
    /// that concern a board).
    pub fn locate(&self, span: &Range<usize>) -> Location {
        location_at(&self.path, &self.source, &self.lines, span)
    }

    /// A diagnostic at a span of this file.
    pub fn diagnostic(&self, span: &Range<usize>, message: impl Into<String>) -> Diagnostic {
        diagnostic_at(&self.path, &self.source, &self.lines, span, message.into())
    }
}

/// Loads a rack file.
pub fn load_file(path: &Path) -> Result<LoadedRack, RackError> {
    let source = std::fs::read_to_string(path).map_err(|source| RackError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    load_str(&source, path)
}

/// Loads a rack from text; `path` names it in messages and anchors relative paths.
pub fn load_str(source: &str, path: &Path) -> Result<LoadedRack, RackError> {
    let lines = LineIndex::new(source);
    let at = |findings: Vec<Finding>| -> Vec<Diagnostic> {
        let mut findings = findings;
        findings.sort_by_key(|(span, _)| span.start);
        findings
            .into_iter()
            .map(|(span, message)| diagnostic_at(path, source, &lines, &span, message))
            .collect()
    };
    let mut rack: Rack = toml::from_str(source).map_err(|e| RackError::Invalid {
        diagnostics: at(vec![(e.span().unwrap_or(0..0), e.message().to_owned())]),
    })?;
    let findings = check(&rack);
    if !findings.errors.is_empty() {
        return Err(RackError::Invalid {
            diagnostics: at(findings.errors),
        });
    }
    let mut warnings = findings.warnings;
    let base = path.parent().unwrap_or(Path::new("")).to_path_buf();
    resolve(&mut rack, &base, &mut warnings);
    Ok(LoadedRack {
        path: path.to_path_buf(),
        rack,
        warnings: at(warnings),
        source: source.to_owned(),
        lines,
    })
}

/// Makes relative paths relative to the rack file; warns about images that are not there.
fn resolve(rack: &mut Rack, base: &Path, warnings: &mut Vec<Finding>) {
    let dir = rack.lab.dir.get_mut();
    if dir.is_relative() {
        *dir = base.join(&*dir);
    }
    for board in &mut rack.boards {
        for (role, image) in &mut board.firmware {
            let span = image.span();
            let path = image.get_mut();
            if path.is_relative() {
                *path = base.join(&*path);
            }
            if !path.is_file() {
                warnings.push((
                    span,
                    format!(
                        "firmware `{role}`: {} does not exist (yet); flashing it will fail",
                        path.display()
                    ),
                ));
            }
        }
    }
}
