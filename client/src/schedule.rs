//! Pure scheduling arithmetic: when the next attempt runs.
//!
//! Reproduces `nrf_provisioning_schedule` and `schedule_backoff` of nrfconnect/sdk-nrf
//! `subsys/net/lib/nrf_provisioning/src/nrf_provisioning.c` (event-callback generation):
//!
//! * The first call returns the initial retry of 1 s plus the spread (the SDK's
//!   `static time_t retry_s = 1`, then `goto out`), and fixes the interval to the built-in
//!   one if none was stored.
//! * Without network time the retry doubles from its previous value, capped at the
//!   built-in interval (`CONFIG_NRF_PROVISIONING_INTERVAL_S`, not the stored one).
//! * With network time the deadline becomes now + interval (the stored, server-provided
//!   interval takes precedence over the built-in one) whenever it has passed or a
//!   reschedule was requested, and the retry is the time left.
//! * A random `0..spread` is always added — and, as in the SDK, it is added to the static
//!   `retry_s` itself, so the next doubling starts from the value including the spread.
//! * Backoff (`EBUSY`, `ETIMEDOUT`, no network): starts at the initial backoff, doubles,
//!   capped at 24 h (`SRV_TIMEOUT_BACKOFF_MAX_S`); a reschedule resets it.

/// The state `nrf_provisioning_schedule` keeps in function-local statics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scheduler {
    first: bool,
    retry_s: u64,
    deadline_s: u64,
}

impl Default for Scheduler {
    fn default() -> Self {
        Self::new()
    }
}

impl Scheduler {
    /// The state at boot: first call pending, retry 1 s, no deadline.
    pub const fn new() -> Self {
        Scheduler {
            first: true,
            retry_s: 1,
            deadline_s: 0,
        }
    }

    /// Seconds until the next attempt.
    ///
    /// * `time_now_s`: network time in seconds, `None` when there is none
    ///   (`date_time_now` returning `-ENODATA`).
    /// * `reschedule`: a reschedule was requested (always true when called from the work
    ///   item, as the SDK only schedules then).
    /// * `interval_s`: the library's current interval (0 = none stored); the first call
    ///   replaces 0 by `builtin_interval_s`, as the SDK does.
    /// * `spread`: the random spread already drawn, `0..spread_s`.
    pub fn next_delay(
        &mut self,
        time_now_s: Option<u64>,
        reschedule: bool,
        interval_s: &mut u64,
        builtin_interval_s: u64,
        spread: u64,
    ) -> u64 {
        if self.first {
            self.first = false;
            if *interval_s == 0 {
                *interval_s = builtin_interval_s;
            }
        } else if let Some(now_s) = time_now_s {
            if now_s > self.deadline_s || reschedule {
                let interval = if *interval_s != 0 {
                    *interval_s
                } else {
                    builtin_interval_s
                };
                self.deadline_s = now_s.saturating_add(interval);
            }
            self.retry_s = self.deadline_s.saturating_sub(now_s);
        } else {
            self.retry_s = self.retry_s.saturating_mul(2).min(builtin_interval_s);
        }
        self.retry_s = self.retry_s.saturating_add(spread);
        self.retry_s
    }

    /// Whether the first call is still to come.
    pub const fn is_first(&self) -> bool {
        self.first
    }
}

/// Reduces a random draw to the spread: `rand() % (spread ? spread : 1)`.
pub const fn spread_from_draw(draw: u32, spread_s: u64) -> u64 {
    let modulus = if spread_s == 0 { 1 } else { spread_s };
    draw as u64 % modulus
}

/// The backoff of `schedule_backoff`: 0 means inactive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Backoff {
    next_s: u64,
}

impl Backoff {
    /// The delay to wait now, advancing the backoff: initial on first use, then doubling,
    /// capped at `max_s`.
    pub fn next_delay(&mut self, initial_s: u64, max_s: u64) -> u64 {
        if self.next_s == 0 {
            self.next_s = initial_s;
        }
        let delay = self.next_s;
        self.next_s = self.next_s.saturating_mul(2).min(max_s);
        delay
    }

    /// Back to inactive (`trigger_reschedule` sets `backoff = 0`).
    pub fn reset(&mut self) {
        self.next_s = 0;
    }

    /// Whether a backoff is pending (the network-regain shortcut checks this).
    pub const fn is_active(&self) -> bool {
        self.next_s != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_call_is_one_second_plus_spread() {
        let mut s = Scheduler::new();
        let mut interval = 0;
        assert_eq!(s.next_delay(Some(1000), true, &mut interval, 120, 2), 3);
        assert_eq!(interval, 120);
        assert!(!s.is_first());
    }

    #[test]
    fn no_time_doubles_and_caps() {
        let mut s = Scheduler::new();
        let mut i = 0;
        let seq: Vec<u64> = (0..10)
            .map(|_| s.next_delay(None, true, &mut i, 100, 0))
            .collect();
        assert_eq!(seq, vec![1, 2, 4, 8, 16, 32, 64, 100, 100, 100]);
    }

    #[test]
    fn time_uses_stored_interval() {
        let mut s = Scheduler::new();
        let mut i = 30;
        s.next_delay(Some(0), true, &mut i, 100, 0);
        assert_eq!(s.next_delay(Some(50), true, &mut i, 100, 1), 31);
        // Not due and no reschedule: the time left to the deadline.
        assert_eq!(s.next_delay(Some(60), false, &mut i, 100, 0), 20);
    }

    #[test]
    fn backoff_doubles_to_the_cap() {
        let mut b = Backoff::default();
        assert!(!b.is_active());
        let seq: Vec<u64> = (0..13).map(|_| b.next_delay(60, 86_400)).collect();
        assert_eq!(&seq[..5], &[60, 120, 240, 480, 960]);
        assert_eq!(seq[11], 86_400);
        assert!(b.is_active());
        b.reset();
        assert_eq!(b.next_delay(60, 86_400), 60);
    }

    #[test]
    fn spread_draw() {
        assert_eq!(spread_from_draw(7, 0), 0);
        assert_eq!(spread_from_draw(7, 5), 2);
    }
}
