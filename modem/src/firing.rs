//! The one firing rule of every counted fault (a modem rule, a forced service answer, a
//! failed handshake, a power cut at a point): count the occurrences a fault matches, from
//! 1, and fire on occurrences `skip + 1 ..= skip + times` (every one from `skip + 1` on
//! when `times` is `None`). A scenario's `nth = n` is `skip = n - 1` with `times = 1`
//! unless `times` says otherwise.

/// A counted firing rule and its count so far (see the module docs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Firing {
    skip: u32,
    times: Option<u32>,
    seen: u32,
}

impl Firing {
    /// Fires on every occurrence.
    pub fn every() -> Self {
        Self::default()
    }

    /// The rule of a scenario's `nth` / `times` keys: from the `nth` occurrence on
    /// (default 1), `times` of them (default: 1 with `nth`, else every one); `nth = 0`
    /// counts as 1.
    pub fn counts(nth: Option<u32>, times: Option<u32>) -> Self {
        let mut firing = Self::every();
        if let Some(n) = nth {
            firing = firing.only_nth(n);
        }
        if let Some(t) = times {
            firing = firing.times(t);
        }
        firing
    }

    /// Only the `n`th occurrence (1-based; 0 counts as 1).
    pub fn only_nth(mut self, n: u32) -> Self {
        self.skip = n.saturating_sub(1);
        self.times = Some(1);
        self
    }

    /// `times` occurrences, after the skipped ones.
    pub fn times(mut self, times: u32) -> Self {
        self.times = Some(times);
        self
    }

    /// Lets the first `n` occurrences pass.
    pub fn after(mut self, n: u32) -> Self {
        self.skip = n;
        self
    }

    /// Every occurrence after the skipped ones.
    pub fn always(mut self) -> Self {
        self.times = None;
        self
    }

    /// Counts one occurrence; whether the fault fires on it.
    pub fn count(&mut self) -> bool {
        self.seen = self.seen.saturating_add(1);
        self.fires_on(self.seen)
    }

    /// Whether the fault fires on occurrence `n` (1-based), whatever has been counted.
    pub fn fires_on(&self, n: u32) -> bool {
        n > self.skip && self.times.is_none_or(|t| n - self.skip <= t)
    }

    /// The occurrences counted so far.
    pub fn seen(&self) -> u32 {
        self.seen
    }

    /// Whether `other` is the same rule, whatever either has counted.
    pub fn same_rule(&self, other: &Firing) -> bool {
        self.skip == other.skip && self.times == other.times
    }

    /// Which occurrences, in words, `what` naming one: `request 1 only`, `3 requests from
    /// request 2`, `every request from request 1`.
    pub fn describe(&self, what: &str) -> String {
        let from = self.skip + 1;
        match self.times {
            Some(1) => format!("{what} {from} only"),
            Some(n) => format!("{n} {what}s from {what} {from}"),
            None => format!("every {what} from {what} {from}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fired(mut firing: Firing, occurrences: u32) -> Vec<u32> {
        (1..=occurrences).filter(|_| firing.count()).collect()
    }

    #[test]
    fn every_occurrence_by_default() {
        assert_eq!(fired(Firing::every(), 4), vec![1, 2, 3, 4]);
    }

    #[test]
    fn nth_alone_is_that_occurrence_only() {
        assert_eq!(fired(Firing::counts(Some(2), None), 5), vec![2]);
        assert_eq!(fired(Firing::counts(Some(0), None), 3), vec![1]);
    }

    #[test]
    fn nth_with_times_is_a_run() {
        assert_eq!(fired(Firing::counts(Some(2), Some(3)), 6), vec![2, 3, 4]);
    }

    #[test]
    fn times_alone_starts_at_the_first() {
        assert_eq!(fired(Firing::counts(None, Some(2)), 4), vec![1, 2]);
    }

    #[test]
    fn after_and_always_compose() {
        assert_eq!(fired(Firing::every().after(2), 4), vec![3, 4]);
        assert_eq!(fired(Firing::counts(Some(2), None).always(), 3), vec![2, 3]);
    }

    #[test]
    fn same_rule_ignores_the_count() {
        let mut counted = Firing::counts(Some(1), None);
        counted.count();
        assert!(counted.same_rule(&Firing::counts(Some(1), None)));
        assert!(!counted.same_rule(&Firing::every()));
    }

    #[test]
    fn descriptions() {
        assert_eq!(
            Firing::counts(Some(1), None).describe("request"),
            "request 1 only"
        );
        assert_eq!(
            Firing::counts(Some(2), Some(3)).describe("handshake"),
            "3 handshakes from handshake 2"
        );
        assert_eq!(
            Firing::every().describe("request"),
            "every request from request 1"
        );
    }
}
