//! Where an inferred item came from (`file:line`), and the warnings an import gives about
//! what it could not infer.

use std::fmt;

/// A line of one of the inputs: the provenance every inferred item carries.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Src {
    /// The file as the user named it.
    pub file: String,
    /// 1-based line.
    pub line: usize,
}

impl Src {
    /// `file:line`.
    pub fn new(file: &str, line: usize) -> Self {
        Src {
            file: file.to_owned(),
            line,
        }
    }
}

impl fmt::Display for Src {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// Something the import could not infer, or inferred with doubt: printed by the CLI and
/// written into the scenario as a `# WARNING:` comment, never silently guessed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The input line it concerns, if one.
    pub at: Option<Src>,
    /// What the engineer should check.
    pub message: String,
}

impl Warning {
    /// A warning about line `at`.
    pub fn at(at: &Src, message: impl Into<String>) -> Self {
        Warning {
            at: Some(at.clone()),
            message: message.into(),
        }
    }

    /// A warning about the inputs as a whole.
    pub fn general(message: impl Into<String>) -> Self {
        Warning {
            at: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.at {
            Some(at) => write!(f, "{at}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}
