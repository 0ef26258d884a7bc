//! Taking leases: one attempt ([`try_acquire`]), waiting for one board ([`acquire`]) or
//! for the first free board of a set ([`acquire_any`]), and the [`Lease`] guard.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::error::{io, LeaseError};
use super::record::{expiry_after, host_name, now_unix_ms, process_start, LeaseInfo};
use super::store::{
    create_exclusive, judge, lease_path, leases_dir, log_recovery, read, remove_stale, replace,
    Judgement, StaleReason,
};
use crate::rack::Board;

/// Who asks for a board and for how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// A name for humans (user, CI job).
    pub owner: String,
    /// The run's id (appears in `provlab hil leases` and in recovery logs).
    pub run_id: String,
    /// How long the lease lasts unless renewed (the rack's scenario timeout is a good
    /// value); a crashed holder on another host blocks the board at most this long.
    pub ttl: Duration,
}

/// How long to keep trying and how often.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait {
    /// When to give up.
    pub deadline: Instant,
    /// The pause between attempts.
    pub poll: Duration,
}

impl Wait {
    /// Keep trying for `timeout`, every 250 ms.
    pub fn for_at_most(timeout: Duration) -> Self {
        Self {
            deadline: Instant::now() + timeout,
            poll: Duration::from_millis(250),
        }
    }

    /// One attempt only.
    pub fn no_wait() -> Self {
        Self::for_at_most(Duration::ZERO)
    }
}

/// A stale lease that was taken over on the way to this one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovered {
    /// Why it was stale.
    pub reason: StaleReason,
    /// What it said (absent when the file was unreadable).
    pub previous: Option<LeaseInfo>,
}

/// The outcome of one attempt.
#[derive(Debug)]
pub enum Attempt {
    /// The board is ours.
    Acquired(Lease),
    /// Someone holds it (`None`: the file is being recovered by someone else).
    Held(Option<LeaseInfo>),
}

/// A held board. Dropping it releases the board (errors ignored); [`Lease::release`]
/// releases and reports errors.
#[derive(Debug)]
pub struct Lease {
    path: PathBuf,
    info: LeaseInfo,
    recovered: Option<Recovered>,
    held: bool,
}

impl Lease {
    /// What the lease file says.
    pub fn info(&self) -> &LeaseInfo {
        &self.info
    }

    /// The board.
    pub fn board(&self) -> &str {
        &self.info.board
    }

    /// The lease file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The stale lease taken over to get this one, if any.
    pub fn recovered(&self) -> Option<&Recovered> {
        self.recovered.as_ref()
    }

    /// Extends the lease to `ttl` from now; fails with [`LeaseError::Lost`] if the file is
    /// no longer ours.
    pub fn renew(&mut self, ttl: Duration) -> Result<(), LeaseError> {
        self.check_ours()?;
        let mut info = self.info.clone();
        info.expiry_unix_ms = expiry_after(now_unix_ms(), ttl);
        replace(&self.path, &encode(&info)?)?;
        self.info = info;
        Ok(())
    }

    /// Releases the board now.
    pub fn release(mut self) -> Result<(), LeaseError> {
        self.held = false;
        self.release_file()
    }

    fn check_ours(&self) -> Result<(), LeaseError> {
        let current = read(&self.path)?
            .and_then(|bytes| serde_json::from_slice::<LeaseInfo>(&bytes).ok())
            .map(Box::new);
        if current.as_ref().is_some_and(|c| self.is_mine(c)) {
            Ok(())
        } else {
            Err(LeaseError::Lost {
                board: self.info.board.clone(),
                current,
            })
        }
    }

    fn is_mine(&self, other: &LeaseInfo) -> bool {
        other.run_id == self.info.run_id
            && other.pid == self.info.pid
            && other.host == self.info.host
            && other.start_unix_ms == self.info.start_unix_ms
    }

    fn release_file(&self) -> Result<(), LeaseError> {
        match self.check_ours() {
            Ok(()) => match std::fs::remove_file(&self.path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(&self.path)(e)),
                _ => Ok(()),
            },
            Err(LeaseError::Lost { current: None, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if self.held {
            let _ = self.release_file();
        }
    }
}

fn encode(info: &LeaseInfo) -> Result<Vec<u8>, LeaseError> {
    serde_json::to_vec_pretty(info).map_err(|source| LeaseError::Encode {
        board: info.board.clone(),
        source,
    })
}

/// One attempt to take `board`, recovering a stale lease (dead holder on this host,
/// expired, unreadable) on the way; the recovery is appended to
/// `<lab>/leases/recoveries.jsonl` and returned in [`Lease::recovered`].
pub fn try_acquire(lab_dir: &Path, board: &str, holder: &Holder) -> Result<Attempt, LeaseError> {
    let path = lease_path(lab_dir, board)?;
    let dir = leases_dir(lab_dir);
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let host = host_name();
    let mut recovered = None;
    // A few rounds: the file may vanish or be recovered between our steps.
    for _ in 0..3 {
        let now = now_unix_ms();
        let pid = std::process::id();
        let info = LeaseInfo {
            board: board.to_owned(),
            owner: holder.owner.clone(),
            run_id: holder.run_id.clone(),
            pid,
            pid_start: process_start(pid),
            host: host.clone(),
            start_unix_ms: now,
            expiry_unix_ms: expiry_after(now, holder.ttl),
        };
        if create_exclusive(&path, &encode(&info)?)? {
            return Ok(Attempt::Acquired(Lease {
                path,
                info,
                recovered,
                held: true,
            }));
        }
        let Some(bytes) = read(&path)? else {
            continue;
        };
        match judge(&bytes, now, &host) {
            Judgement::Live(info) => return Ok(Attempt::Held(Some(info))),
            Judgement::Stale(reason, previous) => {
                if !remove_stale(&path, &bytes)? {
                    return Ok(Attempt::Held(None));
                }
                log_recovery(lab_dir, board, reason, previous.as_ref(), &holder.run_id);
                recovered = Some(Recovered { reason, previous });
            }
        }
    }
    Ok(Attempt::Held(None))
}

/// Takes `board`, trying until `wait.deadline`.
pub fn acquire(
    lab_dir: &Path,
    board: &str,
    holder: &Holder,
    wait: Wait,
) -> Result<Lease, LeaseError> {
    acquire_first(lab_dir, &[board], holder, wait)
}

/// Takes the first free board of `boards` (in rack order) that passes `filter`, trying
/// until `wait.deadline`.
pub fn acquire_any(
    lab_dir: &Path,
    boards: &[Board],
    filter: impl Fn(&Board) -> bool,
    holder: &Holder,
    wait: Wait,
) -> Result<Lease, LeaseError> {
    let ids: Vec<&str> = boards
        .iter()
        .filter(|b| filter(b))
        .map(|b| b.id.get().as_str())
        .collect();
    if ids.is_empty() {
        return Err(LeaseError::NoMatchingBoard(boards.len()));
    }
    acquire_first(lab_dir, &ids, holder, wait)
}

fn acquire_first(
    lab_dir: &Path,
    ids: &[&str],
    holder: &Holder,
    wait: Wait,
) -> Result<Lease, LeaseError> {
    loop {
        let mut holders = Vec::new();
        for id in ids {
            match try_acquire(lab_dir, id, holder)? {
                Attempt::Acquired(lease) => return Ok(lease),
                Attempt::Held(Some(info)) => holders.push(info),
                Attempt::Held(None) => {}
            }
        }
        let now = Instant::now();
        if now >= wait.deadline {
            return Err(LeaseError::Timeout {
                boards: ids.iter().map(|s| (*s).to_owned()).collect(),
                holders,
            });
        }
        std::thread::sleep(wait.poll.min(wait.deadline - now));
    }
}
