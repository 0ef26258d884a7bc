//! The store's errors, each naming the file concerned.

use std::path::PathBuf;

/// Why the event store could not be opened, read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused an operation.
    #[error("database {path}: {action}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// What was being done, e.g. `appending events`.
        action: &'static str,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// A file-system operation on the database file failed.
    #[error("database {path}: {action}: {source}")]
    Io {
        /// The database file.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A stored event is not valid JSON for [`crate::domain::Event`].
    #[error("database {path}: event #{seq} is unreadable: {source}")]
    CorruptEvent {
        /// The database file.
        path: PathBuf,
        /// The event's sequence number.
        seq: i64,
        /// The decoding error.
        #[source]
        source: serde_json::Error,
    },
    /// An event could not be encoded (a bug).
    #[error("database {path}: cannot encode an event: {source}")]
    Encode {
        /// The database file.
        path: PathBuf,
        /// The encoding error.
        #[source]
        source: serde_json::Error,
    },
    /// The file was written by a different schema version.
    #[error("database {path}: schema version {found} is not supported (expected {expected})")]
    SchemaVersion {
        /// The database file.
        path: PathBuf,
        /// The version in the file.
        found: String,
        /// The version this build writes.
        expected: u32,
    },
    /// The meta table lacks a value or holds a malformed one.
    #[error("database {path}: meta value {key:?} is missing or malformed")]
    Meta {
        /// The database file.
        path: PathBuf,
        /// The meta key.
        key: &'static str,
    },
}
