//! The SQLite backend: an `events(seq, json)` table and a `meta(key, value)` table.
//!
//! The connection runs in WAL mode with `synchronous=FULL`, so a committed transaction
//! survives a crash (of the process or of the machine), and every [`SqliteStore::append`] is
//! one `IMMEDIATE` transaction: after a crash the log holds each operation's events entirely
//! or not at all.
//!
//! The file holds the id seed and the hashes of API keys: it is created with mode 0600 (an
//! existing file with a looser mode is tightened, with a warning), and SQLite gives its WAL
//! the database's mode.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::StoreError;
use crate::domain::Event;

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

/// An open SQLite event store.
#[derive(Debug)]
pub struct SqliteStore {
    path: PathBuf,
    conn: Connection,
    seed: u64,
}

impl SqliteStore {
    /// Opens or creates the store at `path`; a new store records `seed_if_new`.
    pub fn open(path: &Path, seed_if_new: u64) -> Result<Self, StoreError> {
        let path = path.to_path_buf();
        let err = |action: &'static str| {
            let path = path.clone();
            move |source| StoreError::Sqlite {
                path,
                action,
                source,
            }
        };
        make_private(&path).map_err(|source| StoreError::Io {
            path: path.clone(),
            action: "creating the file with mode 0600",
            source,
        })?;
        let mut conn = Connection::open(&path).map_err(err("opening"))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err("enabling WAL"))?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(err("setting synchronous=FULL"))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(err("setting the busy timeout"))?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err("starting the schema transaction"))?;
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, json TEXT NOT NULL);",
        )
        .map_err(err("creating the schema"))?;
        let version: Option<String> = tx
            .query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(err("reading the schema version"))?;
        match version {
            None => {
                tx.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema_version', ?1), ('seed', ?2)",
                    params![SCHEMA_VERSION.to_string(), seed_if_new.to_string()],
                )
                .map_err(err("writing the meta table"))?;
            }
            Some(v) if v == SCHEMA_VERSION.to_string() => {}
            Some(found) => {
                return Err(StoreError::SchemaVersion {
                    path,
                    found,
                    expected: SCHEMA_VERSION,
                })
            }
        }
        let seed: Option<String> = tx
            .query_row("SELECT value FROM meta WHERE key = 'seed'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(err("reading the seed"))?;
        let seed = seed
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or_else(|| StoreError::Meta {
                path: path.clone(),
                key: "seed",
            })?;
        tx.commit().map_err(err("committing the schema"))?;
        Ok(Self { path, conn, seed })
    }

    /// The seed recorded when the store was created.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn sqlite_err(&self, action: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
        let path = self.path.clone();
        move |source| StoreError::Sqlite {
            path,
            action,
            source,
        }
    }

    /// Every event, in `seq` order.
    pub fn load(&self) -> Result<Vec<Event>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT seq, json FROM events ORDER BY seq")
            .map_err(self.sqlite_err("reading events"))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
            .map_err(self.sqlite_err("reading events"))?;
        let mut events = Vec::new();
        for row in rows {
            let (seq, json) = row.map_err(self.sqlite_err("reading events"))?;
            let event = serde_json::from_str(&json).map_err(|source| StoreError::CorruptEvent {
                path: self.path.clone(),
                seq,
                source,
            })?;
            events.push(event);
        }
        Ok(events)
    }

    /// Appends `events` in one transaction, durable when this returns `Ok`.
    pub fn append(&mut self, events: &[Event]) -> Result<(), StoreError> {
        let mut encoded = Vec::with_capacity(events.len());
        for event in events {
            encoded.push(
                serde_json::to_string(event).map_err(|source| StoreError::Encode {
                    path: self.path.clone(),
                    source,
                })?,
            );
        }
        let path = self.path.clone();
        let err = |action: &'static str| {
            let path = path.clone();
            move |source| StoreError::Sqlite {
                path,
                action,
                source,
            }
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err("starting a transaction"))?;
        {
            let mut stmt = tx
                .prepare_cached("INSERT INTO events (json) VALUES (?1)")
                .map_err(err("appending events"))?;
            for json in &encoded {
                stmt.execute([json]).map_err(err("appending events"))?;
            }
        }
        tx.commit().map_err(err("committing events"))
    }
}

/// Creates `path` with mode 0600 when it is missing, and takes group and other permissions
/// away from an existing file (SQLite's WAL and journal files copy the database's mode).
#[cfg(unix)]
fn make_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let mode = std::fs::metadata(path)?.permissions().mode();
            if mode & 0o077 != 0 {
                tracing::warn!(
                    path = %path.display(),
                    mode = format!("{:o}", mode & 0o777),
                    "the database was readable by others; setting its mode to 0600"
                );
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700))?;
            }
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// Elsewhere the file is left to SQLite and the platform's defaults.
#[cfg(not(unix))]
fn make_private(_path: &Path) -> std::io::Result<()> {
    Ok(())
}
