//! Scenario time on hardware: wall time since the run started, times the rack's speed
//! factor (1 for real boards; a virtual board may run its clock faster so that minutes of
//! backoff pass in seconds, and the runner scales every deadline by the same factor).

use std::time::{Duration, Instant};

/// The clock of one HIL run.
#[derive(Debug, Clone, Copy)]
pub struct RunClock {
    started: Instant,
    speed: u32,
}

impl RunClock {
    /// A clock starting now that runs `speed` times faster than the wall clock (0 is 1).
    pub fn start(speed: u32) -> Self {
        Self {
            started: Instant::now(),
            speed: speed.max(1),
        }
    }

    /// The speed factor.
    pub fn speed(&self) -> u32 {
        self.speed
    }

    /// Scenario milliseconds since the start.
    pub fn now_ms(&self) -> u64 {
        let wall = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        wall.saturating_mul(u64::from(self.speed))
    }

    /// How long `scenario` time takes on the wall clock.
    pub fn wall(&self, scenario: Duration) -> Duration {
        scenario / self.speed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fast_clock_scales_both_ways() {
        let clock = RunClock::start(8);
        assert_eq!(clock.wall(Duration::from_secs(80)), Duration::from_secs(10));
        assert_eq!(RunClock::start(0).speed(), 1);
        std::thread::sleep(Duration::from_millis(20));
        assert!(clock.now_ms() >= 160);
    }
}
