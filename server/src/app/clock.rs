//! Where the server's `now` comes from: the wall clock, or a hand-set clock in tests.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::domain::Timestamp;

/// A source of the current time for the domain's operations.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The system's wall clock (what `provlab serve` uses).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        Timestamp::from_millis(millis)
    }
}

/// The wall clock running `speed` times faster from the moment it was made: the lab
/// service of a HIL run whose virtual boards run their clocks faster (their JWTs and the
/// service's checks of them must agree on the time).
#[derive(Debug, Clone, Copy)]
pub struct ScaledClock {
    origin_ms: u64,
    started: std::time::Instant,
    speed: u32,
}

impl ScaledClock {
    /// A clock at the wall clock's time now, running `speed` times faster (0 is 1).
    pub fn new(speed: u32) -> Self {
        Self {
            origin_ms: SystemClock.now().as_millis(),
            started: std::time::Instant::now(),
            speed: speed.max(1),
        }
    }
}

impl Clock for ScaledClock {
    fn now(&self) -> Timestamp {
        let elapsed = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        Timestamp::from_millis(
            self.origin_ms
                .saturating_add(elapsed.saturating_mul(u64::from(self.speed))),
        )
    }
}

/// A clock that only moves when told to, for deterministic tests.
#[derive(Debug, Default)]
pub struct ManualClock {
    millis: AtomicU64,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: Timestamp) -> Self {
        Self {
            millis: AtomicU64::new(start.as_millis()),
        }
    }

    /// Sets the time.
    pub fn set(&self, to: Timestamp) {
        self.millis.store(to.as_millis(), Ordering::SeqCst);
    }

    /// Moves the time forward by `millis`.
    pub fn advance_millis(&self, millis: u64) {
        self.millis.fetch_add(millis, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_millis(self.millis.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scaled_clock_runs_faster_than_the_wall_clock() {
        let clock = ScaledClock::new(50);
        let start = clock.now().as_millis();
        std::thread::sleep(std::time::Duration::from_millis(40));
        let moved = clock.now().as_millis() - start;
        assert!(moved >= 2_000, "{moved} ms");
        assert!(start.abs_diff(SystemClock.now().as_millis()) < 1_000);
    }
}
