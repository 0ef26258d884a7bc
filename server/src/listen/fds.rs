//! The descriptor budget: the process's open-file limit (`RLIMIT_NOFILE`), raised to the
//! hard limit at start when the soft one is lower, and the connection caps derived from it,
//! so that the listeners together can never use up the descriptors the rest of the process
//! (the store, the PKI files, the DTLS socket, the runtime) needs.
//!
//! | share | of the usable descriptors (limit − [`RESERVED`]) | at most |
//! |---|---|---|
//! | REST connections | ½ | [`REST_MAX`] |
//! | device HTTPS connections | ¼ | [`HTTPS_MAX`] |
//! | left over | ¼ + [`RESERVED`] | |
//!
//! With the common soft limit of 1024 that is 448 REST and 224 HTTPS connections; from a
//! limit of 2,176 up, the ceilings.

use super::table::TableLimits;

/// Descriptors kept out of the connection caps for everything else the process opens.
pub const RESERVED: u64 = 128;
/// The most REST connections held at once, however high the limit.
pub const REST_MAX: usize = 1024;
/// The most device HTTPS connections held at once, however high the limit.
pub const HTTPS_MAX: usize = 256;
/// The soft limit is raised at most to this (the caps never need more).
pub const WANTED: u64 = 65_536;
/// The fewest usable descriptors assumed, so that a tiny limit still serves someone.
const MIN_USABLE: u64 = 32;

/// The open-file limit the caps are derived from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FdBudget {
    /// The soft limit in effect.
    pub limit: u64,
    /// The soft limit found at start, when it was raised.
    pub raised_from: Option<u64>,
}

impl FdBudget {
    /// A budget for a given limit (tests; systems without `RLIMIT_NOFILE`).
    pub fn with_limit(limit: u64) -> Self {
        Self {
            limit,
            raised_from: None,
        }
    }

    /// Reads `RLIMIT_NOFILE`, raises the soft limit towards the hard one (up to [`WANTED`])
    /// when it is lower, and logs the limit in effect.
    pub fn raise() -> Self {
        let budget = raise_nofile();
        match budget.raised_from {
            Some(from) => tracing::info!(
                from,
                to = budget.limit,
                "raised the open-file limit (RLIMIT_NOFILE) to the hard limit"
            ),
            None => tracing::info!(limit = budget.limit, "open-file limit (RLIMIT_NOFILE)"),
        }
        budget
    }

    /// Descriptors the connection caps share.
    fn usable(&self) -> u64 {
        self.limit.saturating_sub(RESERVED).max(MIN_USABLE)
    }

    /// The REST listener's limits.
    pub fn rest(&self) -> TableLimits {
        TableLimits::for_cap(cap(self.usable() / 2, REST_MAX))
    }

    /// The device HTTPS listener's limits.
    pub fn https(&self) -> TableLimits {
        TableLimits::for_cap(cap(self.usable() / 4, HTTPS_MAX))
    }
}

/// `share` descriptors as a connection count, at most `max`.
fn cap(share: u64, max: usize) -> usize {
    usize::try_from(share).unwrap_or(max).min(max)
}

#[cfg(unix)]
fn raise_nofile() -> FdBudget {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let found = getrlimit(Resource::Nofile);
    // `None` is "unlimited".
    let soft = found.current.unwrap_or(u64::MAX);
    let hard = found.maximum.unwrap_or(u64::MAX);
    let wanted = hard.min(WANTED);
    if soft >= wanted {
        return FdBudget::with_limit(soft);
    }
    let raised = Rlimit {
        current: Some(wanted),
        maximum: found.maximum,
    };
    match setrlimit(Resource::Nofile, raised) {
        Ok(()) => FdBudget {
            limit: wanted,
            raised_from: Some(soft),
        },
        Err(e) => {
            tracing::warn!(soft, hard, error = %e, "cannot raise the open-file limit; keeping it");
            FdBudget::with_limit(soft)
        }
    }
}

#[cfg(not(unix))]
fn raise_nofile() -> FdBudget {
    FdBudget::with_limit(WANTED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caps_leave_room_for_the_rest_of_the_process() {
        for limit in [64, 256, 1024, 4096, 1 << 20] {
            let budget = FdBudget::with_limit(limit);
            let held = budget.rest().max_connections + budget.https().max_connections;
            let usable = budget.usable();
            assert!(
                held as u64 <= usable * 3 / 4,
                "limit {limit}: {held} of {usable}"
            );
        }
        let common = FdBudget::with_limit(1024);
        assert_eq!(common.rest().max_connections, 448);
        assert_eq!(common.https().max_connections, 224);
        let high = FdBudget::with_limit(20_000);
        assert_eq!(high.rest().max_connections, REST_MAX);
        assert_eq!(high.https().max_connections, HTTPS_MAX);
    }

    #[cfg(unix)]
    #[test]
    fn raising_never_lowers_the_limit() {
        let before = rustix::process::getrlimit(rustix::process::Resource::Nofile);
        let budget = raise_nofile();
        assert!(budget.limit >= before.current.unwrap_or(u64::MAX).min(WANTED));
    }
}
