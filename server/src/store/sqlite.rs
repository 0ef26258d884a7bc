//! The SQLite backend: an `events(seq, json)` table and a `meta(key, value)` table.
//!
//! The connection runs in WAL mode with `synchronous=FULL`, so a committed transaction
//! survives a crash (of the process or of the machine), and every [`SqliteStore::append`] is
//! one `IMMEDIATE` transaction: after a crash the log holds each operation's events entirely
//! or not at all.
//!
//! A new file is built under a temporary name and renamed into place, so a file at the
//! database's path always holds the schema and the seed; an existing file that does not is
//! refused (see [`SqliteStore::open`]). Back-ups: `sqlite3 FILE ".backup COPY"` while the
//! service runs, or copy the file after a clean shutdown (its `-wal` is then gone).
//!
//! The file holds the id seed and the hashes of API keys: it is created with mode 0600 (an
//! existing file with a looser mode is tightened, with a warning), and SQLite gives its WAL
//! the database's mode.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use super::StoreError;
use crate::domain::Event;

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

/// The meta key that is `1` while a service has the store open and `0` after a clean close.
/// The file alone is complete only when it says `0`; with `1` the recent events may still
/// be in the `-wal` file.
const IN_USE: &str = "in_use";

/// An open SQLite event store.
#[derive(Debug)]
pub struct SqliteStore {
    path: PathBuf,
    conn: Connection,
    seed: u64,
}

impl SqliteStore {
    /// Opens the store at `path`, or creates it when the file does not exist (recording
    /// `seed_if_new`).
    ///
    /// An existing file must be a whole provlab store: a 0-byte file, a file without the
    /// store's tables, and a file that was in use and has no `-wal` next to it (a copy taken
    /// without its write-ahead log, missing the recent events) are refused rather than
    /// opened as a new empty store with a new seed.
    pub fn open(path: &Path, seed_if_new: u64) -> Result<Self, StoreError> {
        let path = path.to_path_buf();
        let io_err = |action: &'static str| {
            let path = path.clone();
            move |source| StoreError::Io {
                path,
                action,
                source,
            }
        };
        match std::fs::metadata(&path) {
            Ok(meta) if meta.len() == 0 => return Err(StoreError::Empty { path }),
            Ok(_) => make_private(&path).map_err(io_err("setting the mode to 0600"))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                create(&path, seed_if_new)?;
            }
            Err(e) => return Err(io_err("reading the file's metadata")(e)),
        }
        let wal_present = wal_path(&path).exists();
        let err = |action: &'static str| {
            let path = path.clone();
            move |source| StoreError::Sqlite {
                path,
                action,
                source,
            }
        };
        // Never create here: a file that vanished since the check is an error, not a new store.
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(&path, flags).map_err(err("opening"))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err("enabling WAL"))?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(err("setting synchronous=FULL"))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(err("setting the busy timeout"))?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err("starting the schema transaction"))?;
        let tables: i64 = tx
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('meta', 'events')",
                [],
                |r| r.get(0),
            )
            .map_err(err("reading the schema"))?;
        if tables != 2 {
            return Err(StoreError::NotAStore { path });
        }
        let meta = |key: &str| -> Result<Option<String>, StoreError> {
            tx.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .optional()
                .map_err(err("reading the meta table"))
        };
        match meta("schema_version")? {
            Some(v) if v == SCHEMA_VERSION.to_string() => {}
            Some(found) => {
                return Err(StoreError::SchemaVersion {
                    path,
                    found,
                    expected: SCHEMA_VERSION,
                })
            }
            None => return Err(StoreError::NotAStore { path }),
        }
        let seed = meta("seed")?
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or_else(|| StoreError::Meta {
                path: path.clone(),
                key: "seed",
            })?;
        if meta(IN_USE)?.as_deref() == Some("1") && !wal_present {
            return Err(StoreError::MissingWal { path });
        }
        if wal_present {
            tracing::info!(path = %path.display(), "opening the database with its write-ahead log");
        }
        tx.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, '1')",
            [IN_USE],
        )
        .map_err(err("marking the database in use"))?;
        tx.commit().map_err(err("committing the schema"))?;
        // Put the in-use mark into the database file itself, so that a copy of the file
        // alone taken from now on is recognised.
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(err("checkpointing the write-ahead log"))?;
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

impl Drop for SqliteStore {
    /// Marks a clean close: every event is then in the database file once SQLite has
    /// checkpointed the WAL (closing the last connection does).
    fn drop(&mut self) {
        let marked = self.conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, '0')",
            [IN_USE],
        );
        if let Err(e) = marked {
            tracing::warn!(path = %self.path.display(), error = %e, "cannot mark the database closed");
        }
    }
}

/// The write-ahead log next to `db`: `<db>-wal`.
fn wal_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

/// Creates a new store at `path`: schema and seed are written to `<path>.new` (mode 0600),
/// which is then renamed to `path`, so a crash never leaves a half-made store behind.
fn create(path: &Path, seed: u64) -> Result<(), StoreError> {
    let mut name = path.as_os_str().to_owned();
    name.push(".new");
    let tmp = PathBuf::from(name);
    let io_err = |action: &'static str| {
        let path = path.to_path_buf();
        move |source| StoreError::Io {
            path,
            action,
            source,
        }
    };
    match std::fs::remove_file(&tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_err("removing a half-made new store")(e)),
    }
    make_private(&tmp).map_err(io_err("creating the file with mode 0600"))?;
    let err = |action: &'static str| {
        let path = path.to_path_buf();
        move |source| StoreError::Sqlite {
            path,
            action,
            source,
        }
    };
    let mut conn = Connection::open(&tmp).map_err(err("creating"))?;
    let tx = conn.transaction().map_err(err("creating the schema"))?;
    tx.execute_batch(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
         CREATE TABLE events (seq INTEGER PRIMARY KEY, json TEXT NOT NULL);",
    )
    .map_err(err("creating the schema"))?;
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ('schema_version', ?1), ('seed', ?2)",
        params![SCHEMA_VERSION.to_string(), seed.to_string()],
    )
    .map_err(err("writing the meta table"))?;
    tx.commit().map_err(err("committing the schema"))?;
    conn.close()
        .map_err(|(_, e)| err("closing the new file")(e))?;
    std::fs::rename(&tmp, path).map_err(io_err("renaming the new store into place"))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        // Make the rename durable; not every platform can open a directory, so best effort.
        if let Ok(handle) = std::fs::File::open(dir) {
            let _ = handle.sync_all();
        }
    }
    tracing::info!(path = %path.display(), "created a new database");
    Ok(())
}

/// Creates `path` with mode 0600 when it is missing, and takes group and other permissions
/// away from an existing file, or warns when it cannot (SQLite's WAL and journal files copy
/// the database's mode).
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
                let tightened =
                    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700));
                match tightened {
                    Ok(()) => tracing::warn!(
                        path = %path.display(),
                        mode = format!("{:o}", mode & 0o777),
                        "the database was readable by others; its mode is now 0600"
                    ),
                    // Not ours to change (another owner, a read-only mount): say so, go on.
                    Err(e) => tracing::warn!(
                        path = %path.display(),
                        mode = format!("{:o}", mode & 0o777),
                        error = %e,
                        "the database is readable by others and its mode cannot be changed; chmod 600 it"
                    ),
                }
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
