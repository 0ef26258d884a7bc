//! Lease files on disk: exclusive creation, reading, judging, and the recovery of stale
//! ones. No waiting here; [`super::acquire`] loops over these.

use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;

use super::error::{io, LeaseError};
use super::record::{host_name, now_unix_ms, process_alive, LeaseInfo};

/// The folder of lease files inside a lab directory.
pub fn leases_dir(lab_dir: &Path) -> PathBuf {
    lab_dir.join("leases")
}

/// `<lab>/leases/<board>.lease`.
pub fn lease_path(lab_dir: &Path, board: &str) -> Result<PathBuf, LeaseError> {
    let valid = !board.is_empty()
        && !board.starts_with('.')
        && board
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !valid {
        return Err(LeaseError::BadBoardId(board.to_owned()));
    }
    Ok(leases_dir(lab_dir).join(format!("{board}.lease")))
}

/// How long a recovery marker may stay before it counts as abandoned.
const RECOVER_MARKER_STALE: Duration = Duration::from_secs(30);

/// Why a lease file was taken over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StaleReason {
    /// The holder ran on this host and its process is gone (or its pid was reused).
    DeadProcess,
    /// The lease's expiry has passed.
    Expired,
    /// The file is not a lease (garbage, an older format).
    Unreadable,
}

/// What a lease file on disk means for someone who wants the board.
#[derive(Debug, Clone)]
pub(crate) enum Judgement {
    /// Held by a live holder.
    Live(LeaseInfo),
    /// May be taken over.
    Stale(StaleReason, Option<LeaseInfo>),
}

/// Judges a lease file's bytes at `now_ms` from this host.
pub(crate) fn judge(bytes: &[u8], now_ms: u64, this_host: &str) -> Judgement {
    let Ok(info) = serde_json::from_slice::<LeaseInfo>(bytes) else {
        return Judgement::Stale(StaleReason::Unreadable, None);
    };
    if info.expired_at(now_ms) {
        return Judgement::Stale(StaleReason::Expired, Some(info));
    }
    if info.host == this_host && process_alive(info.pid, info.pid_start) == Some(false) {
        return Judgement::Stale(StaleReason::DeadProcess, Some(info));
    }
    Judgement::Live(info)
}

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to a fresh temporary file beside `path` (synced) and returns its path.
fn write_temp(path: &Path, bytes: &[u8]) -> Result<PathBuf, LeaseError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(io(&tmp))?;
    file.write_all(bytes).map_err(io(&tmp))?;
    file.sync_all().map_err(io(&tmp))?;
    Ok(tmp)
}

/// Creates `path` with `bytes` only if it does not exist. The content is written to a
/// temporary file first and linked into place (`link(2)` fails on an existing name, like
/// `O_EXCL`), so a reader never sees a half-written lease. `Ok(false)`: it exists.
pub(crate) fn create_exclusive(path: &Path, bytes: &[u8]) -> Result<bool, LeaseError> {
    let tmp = write_temp(path, bytes)?;
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(io(path)(e)),
    }
}

/// Replaces `path` with `bytes` atomically (write, then rename over it).
pub(crate) fn replace(path: &Path, bytes: &[u8]) -> Result<(), LeaseError> {
    let tmp = write_temp(path, bytes)?;
    fs::rename(&tmp, path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        io(path)(e)
    })
}

/// The bytes of a lease file; `None` when there is none.
pub(crate) fn read(path: &Path) -> Result<Option<Vec<u8>>, LeaseError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(path)(e)),
    }
}

/// Removes the stale lease at `path` if it still holds exactly `stale` (the bytes that
/// were judged). A marker file, created exclusively, makes sure that only one process
/// recovers at a time, so no one deletes a fresh lease written after the judgement.
/// `Ok(true)`: removed (or already gone); `Ok(false)`: someone else is recovering or the
/// file changed.
pub(crate) fn remove_stale(path: &Path, stale: &[u8]) -> Result<bool, LeaseError> {
    let marker = path.with_extension("recover");
    let me = format!("{} {}", std::process::id(), host_name());
    if !create_exclusive(&marker, me.as_bytes())? {
        let abandoned = fs::metadata(&marker)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > RECOVER_MARKER_STALE);
        if abandoned {
            let _ = fs::remove_file(&marker);
        }
        return Ok(false);
    }
    let outcome = match read(path) {
        Ok(Some(current)) if current == stale => match fs::remove_file(path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(true),
            Err(e) => Err(io(path)(e)),
        },
        Ok(None) => Ok(true),
        Ok(Some(_)) => Ok(false),
        Err(e) => Err(e),
    };
    let _ = fs::remove_file(&marker);
    outcome
}

/// One line of `<lab>/leases/recoveries.jsonl`.
#[derive(Serialize)]
struct RecoveryLine<'a> {
    at_unix_ms: u64,
    board: &'a str,
    reason: StaleReason,
    previous: Option<&'a LeaseInfo>,
    by_run: &'a str,
    by_pid: u32,
}

/// Appends a recovery to the lab's recovery log (best effort: a lab whose log cannot be
/// written still gets its board; the recovery is also returned to the caller).
pub(crate) fn log_recovery(
    lab_dir: &Path,
    board: &str,
    reason: StaleReason,
    previous: Option<&LeaseInfo>,
    by_run: &str,
) {
    let line = RecoveryLine {
        at_unix_ms: now_unix_ms(),
        board,
        reason,
        previous,
        by_run,
        by_pid: std::process::id(),
    };
    let Ok(mut text) = serde_json::to_string(&line) else {
        return;
    };
    text.push('\n');
    let path = leases_dir(lab_dir).join("recoveries.jsonl");
    if let Ok(mut file) = fs::OpenOptions::new().create(true).append(true).open(path) {
        let _ = file.write_all(text.as_bytes());
    }
}
