//! Persistence through [`App`] and the SQLite [`Store`]: state survives reopening, every
//! operation's events are one transaction, a failed write leaves nothing behind (in the file
//! or in memory), a panicking operation is rolled back, and bad files get typed errors that
//! name them.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::Arc;

use provlab_server::app::{App, AppError, ManualClock};
use provlab_server::domain::commands::{CommandRequest, Finished};
use provlab_server::domain::service::NewCommand;
use provlab_server::domain::{DeviceId, Role, ServiceConfig, Timestamp};
use provlab_server::store::{Store, StoreError};
use rusqlite::Connection;

use crate::rest_common;
use rest_common::{Dev, OWNER};

const SEED: u64 = 99;

fn open(path: &Path) -> App {
    let clock = Arc::new(ManualClock::new(Timestamp::from_millis(rest_common::T0)));
    App::new(
        ServiceConfig::new(0),
        Store::open_sqlite(path, SEED).unwrap(),
        clock,
    )
    .unwrap()
}

fn state(app: &App) -> serde_json::Value {
    app.read(|svc, _| serde_json::to_value(svc.state()).unwrap())
}

fn finished() -> NewCommand {
    NewCommand {
        description: "f".into(),
        request: CommandRequest::Finished(Finished {}),
    }
}

/// Owner, one claimed device, `n` commands.
fn populate(app: &App, dev: &Dev, n: usize) {
    app.mutate(|s, now| s.setup_member(now, "olivia", Role::Owner, Some(OWNER)))
        .unwrap();
    app.mutate(|s, now| s.claim(now, Some(OWNER), &dev.token(), &["lab".into()]))
        .unwrap();
    for _ in 0..n {
        app.mutate(|s, now| s.add_command(now, Some(OWNER), dev.id(), &finished()))
            .unwrap();
    }
}

fn event_count(path: &Path) -> i64 {
    let conn = Connection::open(path).unwrap();
    conn.query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn state_and_ids_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("svc.db");
    let dev = Dev::new(1);
    let before = {
        let app = open(&path);
        populate(&app, &dev, 3);
        state(&app)
    };
    let reopened = open(&path);
    assert_eq!(state(&reopened), before);
    // The id source continues where it stopped: the next id equals the one an uninterrupted
    // service would have drawn.
    let next = reopened
        .mutate(|s, now| s.add_command(now, Some(OWNER), dev.id(), &finished()))
        .unwrap();
    let memory = App::in_memory(
        ServiceConfig::new(SEED),
        Arc::new(ManualClock::new(Timestamp::from_millis(rest_common::T0))),
    );
    populate(&memory, &dev, 3);
    let expected = memory
        .mutate(|s, now| s.add_command(now, Some(OWNER), dev.id(), &finished()))
        .unwrap();
    assert_eq!(next, expected);
    // The seed is the file's, not the caller's.
    drop(reopened);
    let store = Store::open_sqlite(&path, 12345).unwrap();
    assert_eq!(store.seed(), SEED);
    assert_eq!(store.load().unwrap().len(), 2 + 1 + 4);
}

#[test]
fn the_file_is_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("svc.db");
    let _app = open(&path);
    let conn = Connection::open(&path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn a_failed_write_is_not_applied_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("svc.db");
    let app = open(&path);
    let dev = Dev::new(1);
    populate(&app, &dev, 1);
    let before = state(&app);
    let stored = event_count(&path);
    // Another connection makes every commandAdded insert fail.
    let saboteur = Connection::open(&path).unwrap();
    saboteur
        .execute_batch(
            "CREATE TRIGGER sabotage BEFORE INSERT ON events WHEN NEW.json LIKE '%commandAdded%'
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
        )
        .unwrap();
    let err = app
        .mutate(|s, now| s.add_command(now, Some(OWNER), dev.id(), &finished()))
        .unwrap_err();
    assert!(
        matches!(err, AppError::Store(StoreError::Sqlite { .. })),
        "{err}"
    );
    assert_eq!(err.http_status(), 500);
    assert!(err.to_string().contains("svc.db"), "{err}");
    assert_eq!(state(&app), before, "the in-memory state was restored");
    assert_eq!(event_count(&path), stored);
    // Other operations still work; after the fault is gone, so does adding, with the id
    // the failed attempt would have had (the draw was rolled back too).
    app.mutate(|s, now| s.block(now, Some(OWNER), dev.id()))
        .unwrap();
    saboteur.execute_batch("DROP TRIGGER sabotage").unwrap();
    let id = app
        .mutate(|s, now| s.add_command(now, Some(OWNER), dev.id(), &finished()))
        .unwrap();
    drop(app);
    let reopened = open(&path);
    let listed = reopened.read(|s, _| s.list_commands(Some(OWNER), dev.id()).unwrap().to_vec());
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[1].id, id);
}

#[test]
fn an_operation_with_several_events_is_one_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("svc.db");
    let app = open(&path);
    let saboteur = Connection::open(&path).unwrap();
    // setup_member stores memberAdded then apiKeyIssued: fail the second.
    saboteur
        .execute_batch(
            "CREATE TRIGGER sabotage BEFORE INSERT ON events WHEN NEW.json LIKE '%apiKeyIssued%'
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
        )
        .unwrap();
    let err = app
        .mutate(|s, now| s.setup_member(now, "olivia", Role::Owner, Some(OWNER)))
        .unwrap_err();
    assert!(matches!(err, AppError::Store(_)));
    assert_eq!(event_count(&path), 0, "no half of the operation was stored");
    assert!(app.read(|s, _| s.state().members.is_empty()));
    saboteur.execute_batch("DROP TRIGGER sabotage").unwrap();
    app.mutate(|s, now| s.setup_member(now, "olivia", Role::Owner, Some(OWNER)))
        .unwrap();
    assert_eq!(event_count(&path), 2);
}

#[test]
fn a_panicking_operation_is_rolled_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("svc.db");
    let app = open(&path);
    populate(&app, &Dev::new(1), 0);
    let before = state(&app);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = app.mutate(|s, now| -> Result<provlab_server::domain::Outcome<()>, _> {
            s.setup_member(now, "mallory", Role::Admin, None)?;
            panic!("a bug after the events were applied");
        });
    }));
    assert!(result.is_err());
    // The poisoned lock is recovered by replaying the store: mallory never happened.
    assert_eq!(state(&app), before);
    app.mutate(|s, now| s.setup_member(now, "eve", Role::Viewer, None))
        .unwrap();
}

#[test]
fn memory_store_rolls_back_a_panic_too() {
    let app = App::in_memory(
        ServiceConfig::new(1),
        Arc::new(ManualClock::new(Timestamp::from_millis(0))),
    );
    populate(&app, &Dev::new(2), 1);
    let before = state(&app);
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = app.mutate(|s, now| -> Result<provlab_server::domain::Outcome<()>, _> {
            s.block(now, Some(OWNER), DeviceId(Dev::new(2).uuid))?;
            panic!("bug");
        });
    }));
    assert_eq!(state(&app), before);
}

#[test]
fn bad_files_get_errors_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("svc.db");
    {
        let _app = open(&path);
    }
    let conn = Connection::open(&path).unwrap();
    conn.execute(
        "INSERT INTO events (json) VALUES ('{\"type\": \"nonsense\"}')",
        [],
    )
    .unwrap();
    let err = App::new(
        ServiceConfig::new(0),
        Store::open_sqlite(&path, 1).unwrap(),
        Arc::new(ManualClock::default()),
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("svc.db") && text.contains("event #1"),
        "{text}"
    );
    conn.execute("DELETE FROM events", []).unwrap();
    conn.execute(
        "UPDATE meta SET value = '7' WHERE key = 'schema_version'",
        [],
    )
    .unwrap();
    let err = Store::open_sqlite(&path, 1).unwrap_err();
    assert!(matches!(err, StoreError::SchemaVersion { .. }));
    assert!(err.to_string().contains("svc.db"), "{err}");
    let not_a_db = dir.path().join("text.db");
    std::fs::write(
        &not_a_db,
        "this is not a database, just text that is long enough",
    )
    .unwrap();
    let err = Store::open_sqlite(&not_a_db, 1).unwrap_err();
    assert!(err.to_string().contains("text.db"), "{err}");
    let missing_dir = dir.path().join("no/such/dir/x.db");
    let err = Store::open_sqlite(&missing_dir, 1).unwrap_err();
    assert!(err.to_string().contains("x.db"), "{err}");
}

#[test]
fn an_event_log_that_does_not_replay_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("svc.db");
    {
        let app = open(&path);
        populate(&app, &Dev::new(1), 1);
    }
    // Drop the claim: the command event then names an unknown device.
    let conn = Connection::open(&path).unwrap();
    conn.execute("DELETE FROM events WHERE json LIKE '%deviceClaimed%'", [])
        .unwrap();
    let err = App::new(
        ServiceConfig::new(0),
        Store::open_sqlite(&path, 1).unwrap(),
        Arc::new(ManualClock::default()),
    )
    .unwrap_err();
    assert!(matches!(err, AppError::Replay(_)), "{err}");
}

/// Issue 15, item 1: the database holds the id seed and key hashes; it and its WAL are
/// readable by their owner only, whatever the umask.
#[cfg(unix)]
#[test]
fn the_database_and_its_wal_are_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("svc.db");
    let app = open(&path);
    populate(&app, &Dev::new(1), 1);
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let wal = dir.path().join("svc.db-wal");
    assert!(wal.exists(), "the WAL exists while the store is open");
    assert_eq!(mode(&path), 0o600, "database mode");
    assert_eq!(mode(&wal), 0o600, "WAL mode");
    // A file made by an earlier version (0644) is tightened when opened.
    drop(app);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let _app = open(&path);
    assert_eq!(mode(&path), 0o600, "tightened");
}

/// Issue 15, item 5: an empty file is not a new store (it is, e.g., a failed copy).
#[test]
fn a_zero_byte_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("svc.db");
    std::fs::write(&path, b"").unwrap();
    let err = Store::open_sqlite(&path, 1).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("svc.db") && text.contains("empty"), "{text}");
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0, "left untouched");
}

/// Issue 15, item 5: a database file copied while the service ran, without its `-wal`, misses
/// the recent events (here: all of them); it is refused, not opened as an empty store with a
/// new seed. A copy taken after a clean shutdown is complete and opens.
#[test]
fn a_database_copied_without_its_wal_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("svc.db");
    let app = open(&path);
    populate(&app, &Dev::new(1), 2);
    let copy = dir.path().join("copy.db");
    std::fs::copy(&path, &copy).unwrap();
    assert!(!dir.path().join("copy.db-wal").exists());
    let err = Store::open_sqlite(&copy, 1).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("copy.db") && text.contains("-wal"), "{text}");

    // With its WAL, the copy is whole.
    std::fs::copy(
        dir.path().join("svc.db-wal"),
        dir.path().join("copy.db-wal"),
    )
    .unwrap();
    let store = Store::open_sqlite(&copy, 1).unwrap();
    assert_eq!(store.seed(), SEED);
    assert_eq!(store.load().unwrap().len(), 5);
    drop(store);

    // After a clean shutdown the file alone is complete.
    let before = state(&app);
    drop(app);
    let clean = dir.path().join("clean.db");
    std::fs::copy(&path, &clean).unwrap();
    let store = Store::open_sqlite(&clean, 1).unwrap();
    assert_eq!(store.seed(), SEED);
    let reopened = App::new(
        ServiceConfig::new(0),
        store,
        Arc::new(ManualClock::new(Timestamp::from_millis(0))),
    )
    .unwrap();
    assert_eq!(state(&reopened), before);
}

/// Issue 15, item 5: after a crash (the process died with the store open) the WAL is there
/// and the store reopens with everything acknowledged.
#[test]
fn a_crashed_store_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("svc.db");
    let app = open(&path);
    populate(&app, &Dev::new(1), 1);
    let before = state(&app);
    std::mem::forget(app);
    let reopened = open(&path);
    assert_eq!(state(&reopened), before);
}

/// Issue 15, item 10: a storage failure answers 500 with a message that says what failed
/// without the server's file paths (they are in the server's log).
#[tokio::test]
async fn a_storage_error_does_not_show_server_paths_to_clients() {
    use provlab_server::domain::Role;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("svc.db");
    let clock = Arc::new(ManualClock::new(Timestamp::from_millis(rest_common::T0)));
    let app = Arc::new(
        App::new(
            ServiceConfig::new(0),
            Store::open_sqlite(&path, SEED).unwrap(),
            clock.clone(),
        )
        .unwrap(),
    );
    app.mutate(|s, now| s.setup_member(now, "olivia", Role::Owner, Some(OWNER)))
        .unwrap();
    let saboteur = Connection::open(&path).unwrap();
    saboteur
        .execute_batch(
            "CREATE TRIGGER sabotage BEFORE INSERT ON events
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
        )
        .unwrap();
    let router = provlab_server::rest::router(app.clone());
    let rest = rest_common::Rest { app, clock, router };
    let r = rest
        .post(
            "/v1/provisioning/tags",
            Some(OWNER),
            serde_json::json!({"tag": "lab", "description": ""}),
        )
        .await;
    r.expect(500);
    let dir_text = dir.path().display().to_string();
    assert!(!r.text.contains(&dir_text), "{}", r.text);
    assert!(!r.text.contains("svc.db"), "{}", r.text);
    assert!(r.message().contains("not applied"), "{}", r.text);
}
