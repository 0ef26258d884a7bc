//! Event storage: where each acknowledged operation's events are kept.
//!
//! The service is event-sourced ([`crate::domain::Event`]): a store holds the log and the
//! seed of the id source, and the service is rebuilt at start by replaying the log. Two
//! backends:
//! * [`Store::memory`]: a `Vec`, lost at exit (what `provlab serve` uses without `--db`);
//! * [`Store::open_sqlite`]: a SQLite file (WAL, `synchronous=FULL`), one transaction per
//!   [`Store::append`], so an appended batch is durable when `append` returns and a crash
//!   never leaves half of one.

mod error;
mod sqlite;

pub use error::StoreError;
pub use sqlite::{SqliteStore, SCHEMA_VERSION};

use std::path::Path;

use crate::domain::Event;

/// The event log of one service, in memory or in a SQLite file.
#[derive(Debug)]
pub struct Store {
    seed: u64,
    backend: Backend,
}

#[derive(Debug)]
enum Backend {
    Memory(Vec<Event>),
    Sqlite(SqliteStore),
}

impl Store {
    /// An empty in-memory store whose service draws ids from `seed`.
    pub fn memory(seed: u64) -> Self {
        Self {
            seed,
            backend: Backend::Memory(Vec::new()),
        }
    }

    /// Opens (or creates) the SQLite store at `path`. A new file records `seed_if_new`; an
    /// existing one keeps the seed it was created with.
    pub fn open_sqlite(path: &Path, seed_if_new: u64) -> Result<Self, StoreError> {
        let store = SqliteStore::open(path, seed_if_new)?;
        Ok(Self {
            seed: store.seed(),
            backend: Backend::Sqlite(store),
        })
    }

    /// The seed of the service's id source.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Whether this store lives only in memory.
    pub fn is_memory(&self) -> bool {
        matches!(self.backend, Backend::Memory(_))
    }

    /// Every stored event, in order.
    pub fn load(&self) -> Result<Vec<Event>, StoreError> {
        match &self.backend {
            Backend::Memory(events) => Ok(events.clone()),
            Backend::Sqlite(db) => db.load(),
        }
    }

    /// Appends one operation's events atomically: all of them are stored, durably, or none.
    pub fn append(&mut self, events: &[Event]) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        match &mut self.backend {
            Backend::Memory(log) => {
                log.extend_from_slice(events);
                Ok(())
            }
            Backend::Sqlite(db) => db.append(events),
        }
    }
}
