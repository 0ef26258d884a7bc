//! The store's errors, each naming the file concerned.

use std::path::PathBuf;

/// Why the event store could not be opened, read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused an operation.
    #[error("database {path}: {action}: {source}{}", read_only_hint(self.is_read_only()))]
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
    #[error("database {path}: {action}: {source}{}", read_only_hint(self.is_read_only()))]
    Io {
        /// The database file.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The file exists but is empty: not a store (a failed copy, say); refused rather than
    /// started as a new empty store.
    #[error(
        "database {path} is an empty file, not a provlab store: restore it from a backup, or \
         remove it to start a new, empty store"
    )]
    Empty {
        /// The database file.
        path: PathBuf,
    },
    /// The file is an SQLite database without the store's tables and meta values.
    #[error(
        "database {path} has no provlab tables: it is not a provlab store, or a copy made \
         without its -wal file before the schema reached the database file"
    )]
    NotAStore {
        /// The database file.
        path: PathBuf,
    },
    /// The file was open in a service (not closed cleanly) and its `-wal` file is missing:
    /// recent events would be lost, so it is refused.
    #[error(
        "database {path} was in use when it was copied and its write-ahead log ({path}-wal) \
         is missing, so recent events would be lost: copy the -wal file with it, or make \
         backups with `sqlite3 FILE \".backup COPY\"` or after stopping the service"
    )]
    MissingWal {
        /// The database file.
        path: PathBuf,
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

impl StoreError {
    /// Whether the failure is a read-only database file or file system.
    pub fn is_read_only(&self) -> bool {
        match self {
            StoreError::Sqlite {
                source: rusqlite::Error::SqliteFailure(e, _),
                ..
            } => e.code == rusqlite::ErrorCode::ReadOnly,
            StoreError::Io { source, .. } => {
                source.kind() == std::io::ErrorKind::ReadOnlyFilesystem
            }
            _ => false,
        }
    }

    /// What failed, for an API client: no file paths or SQLite details (the server's log has
    /// them, from the `Display` text).
    pub fn public_message(&self) -> &'static str {
        if self.is_read_only() {
            "the service's database is read-only (a read-only file or file system on the server)"
        } else {
            "the service's database could not be read or written (the server's log has the details)"
        }
    }
}

/// The hint appended to a read-only failure's text.
fn read_only_hint(read_only: bool) -> &'static str {
    if read_only {
        " (the database or its file system is read-only; the service must be able to write it)"
    } else {
        ""
    }
}
