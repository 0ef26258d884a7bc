//! The scenario an import infers, before it is written: TOML fragments, each with the input
//! lines it came from and a note. Kept as text because every item carries a comment, which
//! the scenario model's types cannot hold.

use super::source::{Src, Warning};

/// One inferred item: a TOML fragment (`key = value`, or a table body of such lines), the
/// input lines it came from, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The TOML text (one `key = value` line, or several for a table body).
    pub toml: String,
    /// The lines it was inferred from (empty: a default the import chose, see `note`).
    pub from: Vec<Src>,
    /// What the lines show, in a few words.
    pub note: String,
}

impl Item {
    /// An item from one line.
    pub fn new(toml: impl Into<String>, from: &Src, note: impl Into<String>) -> Self {
        Item {
            toml: toml.into(),
            from: vec![from.clone()],
            note: note.into(),
        }
    }

    /// An item from several lines (or none).
    pub fn from_many(toml: impl Into<String>, from: Vec<Src>, note: impl Into<String>) -> Self {
        Item {
            toml: toml.into(),
            from,
            note: note.into(),
        }
    }
}

/// Everything the scenario file will hold.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Draft {
    /// The scenario's name.
    pub name: String,
    /// The inputs, for the header comment.
    pub inputs: Vec<String>,
    /// A few lines of prose about the field run.
    pub description: Vec<String>,
    /// The device's name.
    pub device: String,
    /// `key = value` lines of `[[device]]` after `name`.
    pub device_keys: Vec<Item>,
    /// `key = value` lines of `[device.client]`.
    pub client_keys: Vec<Item>,
    /// `request = {...}` (and `description = ...`) bodies of `[[device.config]]`.
    pub config: Vec<Item>,
    /// Bodies of `[[fault]]` tables.
    pub faults: Vec<Item>,
    /// One `key = value` line per `[[step]]`.
    pub steps: Vec<Item>,
    /// `key = value` lines of the final `[[expect]]`.
    pub expect: Vec<Item>,
    /// What could not be inferred, or was inferred with doubt.
    pub warnings: Vec<Warning>,
}
