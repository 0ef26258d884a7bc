//! The content of a lease file and the facts about this process that go into it.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// What a lease file says: who holds the board, since when and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseInfo {
    /// The board.
    pub board: String,
    /// Who holds it (a user or CI job name, for humans).
    pub owner: String,
    /// The run that holds it.
    pub run_id: String,
    /// The holding process.
    pub pid: u32,
    /// When that process started (Linux `/proc/<pid>/stat` field 22, clock ticks since
    /// boot), to tell a reused pid from the holder; absent where `/proc` is missing.
    #[serde(default)]
    pub pid_start: Option<u64>,
    /// The host the holding process runs on.
    pub host: String,
    /// When the lease was taken, milliseconds since the Unix epoch.
    pub start_unix_ms: u64,
    /// When the lease lapses unless renewed, milliseconds since the Unix epoch.
    pub expiry_unix_ms: u64,
}

impl LeaseInfo {
    /// Whether the lease has lapsed at `now_ms`.
    pub fn expired_at(&self, now_ms: u64) -> bool {
        now_ms >= self.expiry_unix_ms
    }
}

/// Milliseconds since the Unix epoch (0 if the clock is before 1970).
pub fn now_unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// `now + ttl` in Unix milliseconds, saturating.
pub(crate) fn expiry_after(now_ms: u64, ttl: Duration) -> u64 {
    now_ms.saturating_add(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX))
}

/// This machine's host name (`/proc/sys/kernel/hostname`, else `$HOSTNAME`, else
/// `unknown-host`).
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "unknown-host".to_owned())
}

/// The start time of process `pid` from `/proc/<pid>/stat` (field 22), if readable.
pub(crate) fn process_start(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: skip past its end.
    let after = stat.get(stat.rfind(')')? + 1..)?;
    // Fields from 3 on; starttime is field 22, i.e. index 19 here.
    after.split_whitespace().nth(19)?.parse().ok()
}

/// Whether a process on this host is alive: `None` when this host cannot tell (no
/// `/proc`). A pid whose start time differs from the recorded one is a reused pid: dead.
pub(crate) fn process_alive(pid: u32, recorded_start: Option<u64>) -> Option<bool> {
    if !Path::new("/proc/self").exists() {
        return None;
    }
    if !Path::new(&format!("/proc/{pid}")).exists() {
        return Some(false);
    }
    match (recorded_start, process_start(pid)) {
        (Some(recorded), Some(now)) => Some(recorded == now),
        _ => Some(true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_huge_pid_is_not() {
        let me = std::process::id();
        let start = process_start(me);
        assert!(start.is_some());
        assert_eq!(process_alive(me, start), Some(true));
        assert_eq!(process_alive(me, start.map(|s| s + 1)), Some(false));
        assert_eq!(process_alive(0x7fff_fff0, None), Some(false));
        assert!(!host_name().is_empty());
    }
}
