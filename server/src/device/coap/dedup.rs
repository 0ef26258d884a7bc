//! Message deduplication (RFC 7252 §4.5): a request retransmitted with the same message id
//! within the exchange lifetime gets the response it got the first time, without being
//! executed again. One cache per DTLS session (message ids are per endpoint), bounded in
//! both size and age.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// EXCHANGE_LIFETIME with the default transmission parameters (RFC 7252 §4.8.2): 247 s.
pub const EXCHANGE_LIFETIME: Duration = Duration::from_secs(247);
/// Responses remembered per session; a device has one request in flight at a time, so this
/// is generous.
pub const DEFAULT_CAPACITY: usize = 64;

/// Recent responses by request message id.
#[derive(Debug, Clone)]
pub struct DedupCache {
    entries: VecDeque<Entry>,
    capacity: usize,
    lifetime: Duration,
}

#[derive(Debug, Clone)]
struct Entry {
    message_id: u16,
    at: Instant,
    response: Vec<u8>,
}

impl Default for DedupCache {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY, EXCHANGE_LIFETIME)
    }
}

impl DedupCache {
    /// A cache holding at most `capacity` responses, each for `lifetime`.
    pub fn new(capacity: usize, lifetime: Duration) -> Self {
        Self {
            entries: VecDeque::with_capacity(capacity.min(DEFAULT_CAPACITY)),
            capacity: capacity.max(1),
            lifetime,
        }
    }

    /// The response already sent for `message_id`, if it is still remembered at `now`.
    pub fn get(&mut self, message_id: u16, now: Instant) -> Option<&[u8]> {
        self.expire(now);
        self.entries
            .iter()
            .find(|e| e.message_id == message_id)
            .map(|e| e.response.as_slice())
    }

    /// Remembers the response sent for `message_id` at `now`, forgetting the oldest entry
    /// when full.
    pub fn insert(&mut self, message_id: u16, now: Instant, response: Vec<u8>) {
        self.expire(now);
        self.entries.retain(|e| e.message_id != message_id);
        while self.entries.len() >= self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(Entry {
            message_id,
            at: now,
            response,
        });
    }

    /// Number of responses remembered.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn expire(&mut self, now: Instant) {
        while let Some(first) = self.entries.front() {
            if now.saturating_duration_since(first.at) >= self.lifetime {
                self.entries.pop_front();
            } else {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retransmission_gets_the_same_response() {
        let t0 = Instant::now();
        let mut cache = DedupCache::default();
        assert_eq!(cache.get(7, t0), None);
        cache.insert(7, t0, vec![1, 2, 3]);
        assert_eq!(
            cache.get(7, t0 + Duration::from_secs(2)),
            Some([1u8, 2, 3].as_slice())
        );
        assert_eq!(cache.get(8, t0), None);
    }

    #[test]
    fn entries_expire_after_the_exchange_lifetime() {
        let t0 = Instant::now();
        let mut cache = DedupCache::default();
        cache.insert(7, t0, vec![1]);
        cache.insert(8, t0 + Duration::from_secs(100), vec![2]);
        assert!(cache
            .get(7, t0 + EXCHANGE_LIFETIME - Duration::from_millis(1))
            .is_some());
        assert_eq!(cache.get(7, t0 + EXCHANGE_LIFETIME), None);
        assert_eq!(cache.len(), 1);
        assert!(cache.get(8, t0 + EXCHANGE_LIFETIME).is_some());
        assert_eq!(
            cache.get(8, t0 + Duration::from_secs(100) + EXCHANGE_LIFETIME),
            None
        );
        assert!(cache.is_empty());
    }

    #[test]
    fn the_cache_is_bounded_and_forgets_the_oldest() {
        let t0 = Instant::now();
        let mut cache = DedupCache::new(3, EXCHANGE_LIFETIME);
        for id in 0..5u16 {
            cache.insert(id, t0, vec![id as u8]);
        }
        assert_eq!(cache.len(), 3);
        assert_eq!(cache.get(0, t0), None);
        assert_eq!(cache.get(1, t0), None);
        assert_eq!(cache.get(4, t0), Some([4u8].as_slice()));
        // Re-inserting an id replaces it instead of duplicating it.
        cache.insert(4, t0, vec![40]);
        assert_eq!(cache.len(), 3);
        assert_eq!(cache.get(4, t0), Some([40u8].as_slice()));
    }
}
