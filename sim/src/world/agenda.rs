//! The agenda: scheduled happenings ordered by virtual time, ties broken by the order in
//! which they were scheduled, so a run is deterministic.

use std::collections::BTreeMap;

/// A priority queue of `T` keyed by `(time_ms, sequence)`.
#[derive(Debug, Clone)]
pub struct Agenda<T> {
    items: BTreeMap<(u64, u64), T>,
    next_seq: u64,
}

impl<T> Default for Agenda<T> {
    fn default() -> Self {
        Agenda {
            items: BTreeMap::new(),
            next_seq: 0,
        }
    }
}

impl<T> Agenda<T> {
    /// An empty agenda.
    pub fn new() -> Self {
        Self::default()
    }

    /// Schedules `item` at `at_ms` (after everything already scheduled for that instant).
    pub fn schedule(&mut self, at_ms: u64, item: T) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.items.insert((at_ms, seq), item);
    }

    /// When the earliest item is due.
    pub fn next_due(&self) -> Option<u64> {
        self.items.keys().next().map(|&(at, _)| at)
    }

    /// Removes and returns the earliest item if it is due at or before `now_ms`.
    pub fn pop_due(&mut self, now_ms: u64) -> Option<(u64, T)> {
        let (&(at, seq), _) = self.items.iter().next()?;
        if at > now_ms {
            return None;
        }
        self.items.remove(&(at, seq)).map(|item| (at, item))
    }

    /// Drops every item for which `keep` is false.
    pub fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        self.items.retain(|_, item| keep(item));
    }

    /// How many items are scheduled.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether nothing is scheduled.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_keep_scheduling_order() {
        let mut a = Agenda::new();
        a.schedule(10, "b");
        a.schedule(5, "a");
        a.schedule(10, "c");
        assert_eq!(a.next_due(), Some(5));
        assert_eq!(a.pop_due(4), None);
        assert_eq!(a.pop_due(100), Some((5, "a")));
        assert_eq!(a.pop_due(100), Some((10, "b")));
        assert_eq!(a.pop_due(100), Some((10, "c")));
        assert!(a.is_empty());
    }
}
