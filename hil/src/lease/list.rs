//! The leases of a lab directory, as rows for `provlab hil leases`.

use std::path::Path;

use super::error::{io, LeaseError};
use super::record::{host_name, now_unix_ms, LeaseInfo};
use super::store::{judge, leases_dir, read, Judgement, StaleReason};

/// The state of one lease file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseState {
    /// Held by a live holder.
    Held,
    /// Would be taken over by the next acquirer, for this reason.
    Stale(StaleReason),
}

/// One lease file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseRow {
    /// The board (from the file name).
    pub board: String,
    /// Its state as seen from this host now.
    pub state: LeaseState,
    /// What the file says (absent when unreadable).
    pub info: Option<LeaseInfo>,
    /// Milliseconds until expiry (0 when expired or unreadable).
    pub remaining_ms: u64,
}

/// The lease files of `lab_dir`, sorted by board; an absent lab directory has none.
pub fn list(lab_dir: &Path) -> Result<Vec<LeaseRow>, LeaseError> {
    let dir = leases_dir(lab_dir);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(&dir)(e)),
    };
    let host = host_name();
    let now = now_unix_ms();
    let mut rows = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io(&dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(board) = name.strip_suffix(".lease") else {
            continue;
        };
        if board.starts_with('.') {
            continue;
        }
        let Some(bytes) = read(&entry.path())? else {
            continue;
        };
        let (state, info) = match judge(&bytes, now, &host) {
            Judgement::Live(info) => (LeaseState::Held, Some(info)),
            Judgement::Stale(reason, info) => (LeaseState::Stale(reason), info),
        };
        let remaining_ms = info
            .as_ref()
            .map_or(0, |i| i.expiry_unix_ms.saturating_sub(now));
        rows.push(LeaseRow {
            board: board.to_owned(),
            state,
            info,
            remaining_ms,
        });
    }
    rows.sort_by(|a, b| a.board.cmp(&b.board));
    Ok(rows)
}
