//! Loading scenario files: parse the TOML, resolve content references, check the rules
//! that the types alone cannot (names that must exist, one device when none is named, …).
//!
//! Every error names the file, line and column and says what was expected.

mod error;
mod lines;
mod parts;
mod refs;
mod validate;

use std::ops::Range;
use std::path::{Path, PathBuf};

pub use error::{render_diagnostics, Diagnostic, LoadError, Location};
pub use lines::LineIndex;
pub use refs::MAX_CONTENT_BYTES;

use crate::scenario::Scenario;

/// A scenario read from a file, with what is needed to point back into that file.
#[derive(Debug, Clone)]
pub struct LoadedScenario {
    /// The file, as given to the loader.
    pub path: PathBuf,
    /// The scenario, content references resolved.
    pub scenario: Scenario,
    source: String,
    lines: LineIndex,
}

impl LoadedScenario {
    /// The scenario's name.
    pub fn name(&self) -> &str {
        self.scenario.name.get()
    }

    /// The file's text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The position of a span of this file.
    pub fn locate(&self, span: &Range<usize>) -> Location {
        location_at(&self.path, &self.source, &self.lines, span)
    }

    /// A diagnostic at a span of this file.
    pub fn diagnostic(&self, span: &Range<usize>, message: impl Into<String>) -> Diagnostic {
        diagnostic_at(&self.path, &self.source, &self.lines, span, message.into())
    }
}

/// Where a byte span of `source` (the text of `path`) starts, as file:line:col. Every
/// TOML file provlab reads (scenarios, racks) names its problems this way.
pub fn location_at(path: &Path, source: &str, lines: &LineIndex, span: &Range<usize>) -> Location {
    let (line, column) = lines.span_start(source, span);
    Location {
        file: path.to_path_buf(),
        line,
        column,
    }
}

/// A problem at a byte span of `source` (the text of `path`), with the line it is on.
pub fn diagnostic_at(
    path: &Path,
    source: &str,
    lines: &LineIndex,
    span: &Range<usize>,
    message: String,
) -> Diagnostic {
    let location = location_at(path, source, lines, span);
    let source_line = lines.line_text(source, location.line).to_owned();
    Diagnostic {
        location,
        message,
        source_line,
    }
}

/// How scenario files are loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// The directory tree `@file:` references must stay in (`None`: each scenario file's
    /// own directory and below).
    pub content_root: Option<PathBuf>,
}

/// Loads one scenario file.
pub fn load_file(path: &Path) -> Result<LoadedScenario, LoadError> {
    load_file_with(path, &LoadOptions::default())
}

/// Loads one scenario file with `options`.
pub fn load_file_with(path: &Path, options: &LoadOptions) -> Result<LoadedScenario, LoadError> {
    let source = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    load_str_with(&source, path, options)
}

/// Loads a file, or every `*.toml` file of a directory (sorted by file name, not
/// recursive). Problems in several files are reported together; two scenarios with the same
/// name are an error.
pub fn load_path(path: &Path) -> Result<Vec<LoadedScenario>, LoadError> {
    load_path_with(path, &LoadOptions::default())
}

/// [`load_path`] with `options`.
pub fn load_path_with(
    path: &Path,
    options: &LoadOptions,
) -> Result<Vec<LoadedScenario>, LoadError> {
    if !path.is_dir() {
        return load_file_with(path, options).map(|s| vec![s]);
    }
    let files = scenario_files(path)?;
    let mut loaded: Vec<LoadedScenario> = Vec::new();
    let mut diagnostics = Vec::new();
    for file in files {
        match load_file_with(&file, options) {
            Ok(scenario) => {
                if let Some(first) = loaded.iter().find(|s| s.name() == scenario.name()) {
                    let message = format!(
                        "scenario name `{}` is already used by {}; names must be unique (reports and transcripts are named after them)",
                        scenario.name(),
                        first.path.display()
                    );
                    diagnostics.push(scenario.diagnostic(&scenario.scenario.name.span(), message));
                } else {
                    loaded.push(scenario);
                }
            }
            Err(LoadError::Invalid { diagnostics: more }) => diagnostics.extend(more),
            Err(other) => return Err(other),
        }
    }
    if diagnostics.is_empty() {
        Ok(loaded)
    } else {
        Err(LoadError::Invalid { diagnostics })
    }
}

/// The scenario files `path` names: the file itself, or every `*.toml` file of a directory
/// (sorted by file name, not recursive; none is an error).
pub fn scenario_files(path: &Path) -> Result<Vec<PathBuf>, LoadError> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let read_err = |source| LoadError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).map_err(read_err)? {
        let entry = entry.map_err(read_err)?;
        let file = entry.path();
        if file.is_file() && file.extension().is_some_and(|e| e == "toml") {
            files.push(file);
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(LoadError::NoScenarios {
            path: path.to_path_buf(),
        });
    }
    Ok(files)
}

/// One file's (or unreadable path's) outcome in [`load_each_with`].
#[derive(Debug)]
pub struct FileLoad {
    /// The file (or the path that could not be listed).
    pub path: PathBuf,
    /// The scenario, or why it does not load.
    pub result: Result<LoadedScenario, LoadError>,
}

/// Loads every file `paths` name (directories as in [`load_path`]), each on its own: one
/// file's problems do not keep the others from loading. A scenario whose name an earlier
/// one already has is an error of its own file.
pub fn load_each_with(paths: &[PathBuf], options: &LoadOptions) -> Vec<FileLoad> {
    let mut out: Vec<FileLoad> = Vec::new();
    for path in paths {
        let files = match scenario_files(path) {
            Ok(files) => files,
            Err(e) => {
                out.push(FileLoad {
                    path: path.clone(),
                    result: Err(e),
                });
                continue;
            }
        };
        for file in files {
            let mut result = load_file_with(&file, options);
            if let Ok(scenario) = &result {
                let first = out.iter().find_map(|f| {
                    f.result
                        .as_ref()
                        .ok()
                        .filter(|s| s.name() == scenario.name())
                });
                if let Some(first) = first {
                    let message = format!(
                        "scenario name `{}` is already used by {}; names must be unique (reports and transcripts are named after them)",
                        scenario.name(),
                        first.path.display()
                    );
                    let diagnostic = scenario.diagnostic(&scenario.scenario.name.span(), message);
                    result = Err(LoadError::Invalid {
                        diagnostics: vec![diagnostic],
                    });
                }
            }
            out.push(FileLoad { path: file, result });
        }
    }
    out
}

/// Loads a scenario from text; `path` names it in errors and anchors `@file:` references.
pub fn load_str(source: &str, path: &Path) -> Result<LoadedScenario, LoadError> {
    load_str_with(source, path, &LoadOptions::default())
}

/// [`load_str`] with `options`.
pub fn load_str_with(
    source: &str,
    path: &Path,
    options: &LoadOptions,
) -> Result<LoadedScenario, LoadError> {
    let lines = LineIndex::new(source);
    let at =
        |span: &Range<usize>, message: String| diagnostic_at(path, source, &lines, span, message);
    let mut scenario: Scenario = match toml::from_str(source) {
        Ok(scenario) => scenario,
        Err(e) => {
            // The first error, and every other the file's parts have on their own.
            let mut problems = parts::problems(source);
            if problems.is_empty() {
                problems.push((e.span().unwrap_or(0..0), explain(e.message())));
            }
            return Err(LoadError::Invalid {
                diagnostics: problems
                    .into_iter()
                    .map(|(span, message)| at(&span, message))
                    .collect(),
            });
        }
    };

    let mut problems = validate::check(&scenario);
    let base = path.parent().unwrap_or(Path::new(""));
    problems.extend(refs::resolve(
        &mut scenario,
        base,
        options.content_root.as_deref(),
    ));
    if !problems.is_empty() {
        problems.sort_by_key(|(span, _)| span.start);
        return Err(LoadError::Invalid {
            diagnostics: problems
                .into_iter()
                .map(|(span, message)| at(&span, message))
                .collect(),
        });
    }
    Ok(LoadedScenario {
        path: path.to_path_buf(),
        scenario,
        source: source.to_owned(),
        lines,
    })
}

/// Rewords the TOML/serde messages that do not say what the scenario format expects.
fn explain(message: &str) -> String {
    if message.starts_with("wanted exactly 1 element") {
        format!(
            "expected exactly one key naming the action (e.g. one `trigger`, `wait_until`, `skip` … per [[step]], one request type per `request`); {message}"
        )
    } else if message.contains("did not match any variant of untagged enum Count") {
        "expected a count: a number (`3`) or `{ at_least = 1, at_most = 4 }`".to_owned()
    } else {
        message.to_owned()
    }
}
