//! The connections a listener holds, and which one gives way when it is full (the scheme is
//! described in [`super`]).

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::oneshot;

/// A listener's connection limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableLimits {
    /// Connections held at once, pending or busy.
    pub max_connections: usize,
    /// Pending connections held at once.
    pub max_pending: usize,
    /// Pending connections held at once from one source address.
    pub max_pending_per_ip: usize,
}

impl TableLimits {
    /// Limits for a cap of `max_connections`: half of them may be pending, a quarter of
    /// those from one address (at least 8, or all when there are fewer).
    pub fn for_cap(max_connections: usize) -> Self {
        let max_connections = max_connections.max(1);
        let max_pending = (max_connections / 2).max(1);
        let max_pending_per_ip = (max_pending / 4).max(max_pending.min(8));
        Self {
            max_connections,
            max_pending,
            max_pending_per_ip,
        }
    }
}

/// One held connection.
struct Entry {
    peer: IpAddr,
    pending: bool,
    /// Fired to evict the connection.
    evict: Option<oneshot::Sender<()>>,
}

#[derive(Default)]
struct Inner {
    next_id: u64,
    /// By admission order: the first pending entry is the oldest.
    entries: BTreeMap<u64, Entry>,
    pending: usize,
    pending_by_ip: HashMap<IpAddr, usize>,
    evicted: u64,
    refused: u64,
}

impl Inner {
    fn set_pending(&mut self, id: u64, pending: bool) {
        let Some(entry) = self.entries.get_mut(&id) else {
            return;
        };
        if entry.pending == pending {
            return;
        }
        entry.pending = pending;
        let peer = entry.peer;
        if pending {
            self.pending += 1;
            *self.pending_by_ip.entry(peer).or_default() += 1;
        } else {
            self.pending = self.pending.saturating_sub(1);
            self.forget_pending_of(peer);
        }
    }

    fn forget_pending_of(&mut self, peer: IpAddr) {
        if let Some(count) = self.pending_by_ip.get_mut(&peer) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                self.pending_by_ip.remove(&peer);
            }
        }
    }

    fn remove(&mut self, id: u64) {
        if let Some(entry) = self.entries.remove(&id) {
            if entry.pending {
                self.pending = self.pending.saturating_sub(1);
                self.forget_pending_of(entry.peer);
            }
        }
    }

    /// Evicts the oldest pending connection (from `peer` only, when given); `false` when
    /// there is none.
    fn evict_oldest(&mut self, peer: Option<IpAddr>) -> bool {
        let oldest = self
            .entries
            .iter()
            .find(|(_, e)| e.pending && peer.is_none_or(|p| e.peer == p))
            .map(|(id, _)| *id);
        let Some(id) = oldest else {
            return false;
        };
        if let Some(evict) = self.entries.get_mut(&id).and_then(|e| e.evict.take()) {
            let _ = evict.send(());
        }
        self.remove(id);
        self.evicted += 1;
        true
    }
}

/// The connections of one listener.
pub struct ConnTable {
    limits: TableLimits,
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for ConnTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.lock();
        f.debug_struct("ConnTable")
            .field("limits", &self.limits)
            .field("held", &inner.entries.len())
            .field("pending", &inner.pending)
            .finish()
    }
}

/// What [`ConnTable::admit`] decided.
#[derive(Debug)]
pub enum Admission {
    /// Held, as pending; the ticket releases the slot when dropped.
    Admitted(Ticket),
    /// Every held connection is busy: close this one.
    Full,
}

impl ConnTable {
    /// An empty table with `limits`.
    pub fn new(limits: TableLimits) -> Arc<Self> {
        Arc::new(Self {
            limits,
            inner: Mutex::new(Inner::default()),
        })
    }

    /// The table's limits.
    pub fn limits(&self) -> TableLimits {
        self.limits
    }

    /// A poisoned lock still holds a consistent table (no method panics half-way).
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Admits a new connection from `peer` as pending, evicting the oldest pending one of
    /// the scope whose limit it would cross; [`Admission::Full`] when every held connection
    /// is busy.
    pub fn admit(self: &Arc<Self>, peer: IpAddr) -> Admission {
        let mut inner = self.lock();
        let from_peer = inner.pending_by_ip.get(&peer).copied().unwrap_or(0);
        if from_peer >= self.limits.max_pending_per_ip {
            inner.evict_oldest(Some(peer));
        }
        if inner.pending >= self.limits.max_pending {
            inner.evict_oldest(None);
        }
        if inner.entries.len() >= self.limits.max_connections && !inner.evict_oldest(None) {
            inner.refused += 1;
            return Admission::Full;
        }
        let id = inner.next_id;
        inner.next_id += 1;
        let (evict, evicted) = oneshot::channel();
        inner.entries.insert(
            id,
            Entry {
                peer,
                pending: false,
                evict: Some(evict),
            },
        );
        inner.set_pending(id, true);
        Admission::Admitted(Ticket {
            table: self.clone(),
            id,
            evicted,
        })
    }

    /// Connections held now, and how many of them are pending.
    pub fn held(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.entries.len(), inner.pending)
    }

    /// Connections evicted so far, and connections refused because all were busy.
    pub fn turned_away(&self) -> (u64, u64) {
        let inner = self.lock();
        (inner.evicted, inner.refused)
    }
}

/// A held connection's slot: marks it pending or busy, tells it when it was evicted, and
/// frees the slot when dropped.
#[derive(Debug)]
pub struct Ticket {
    table: Arc<ConnTable>,
    id: u64,
    evicted: oneshot::Receiver<()>,
}

impl Ticket {
    /// Marks the connection busy (`false`: pending again, e.g. idle between requests).
    pub fn set_pending(&self, pending: bool) {
        self.table.lock().set_pending(self.id, pending);
    }

    /// A handle that marks the connection from elsewhere (the request service).
    pub fn marker(&self) -> Marker {
        Marker {
            table: self.table.clone(),
            id: self.id,
        }
    }

    /// Completes when the connection is evicted (never, once the ticket is dropped).
    pub async fn evicted(&mut self) {
        if (&mut self.evicted).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.table.lock().remove(self.id);
    }
}

/// Marks one connection pending or busy; a clone goes with each request of a connection.
#[derive(Debug, Clone)]
pub struct Marker {
    table: Arc<ConnTable>,
    id: u64,
}

impl Marker {
    /// Marks the connection busy (`false`: pending again).
    pub fn set_pending(&self, pending: bool) {
        self.table.lock().set_pending(self.id, pending);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));

    fn admitted(a: Admission) -> Ticket {
        match a {
            Admission::Admitted(t) => t,
            Admission::Full => panic!("refused"),
        }
    }

    fn is_evicted(t: &mut Ticket) -> bool {
        t.evicted.try_recv().is_ok()
    }

    #[test]
    fn a_new_connection_evicts_the_oldest_pending_one_of_its_address_first() {
        let table = ConnTable::new(TableLimits {
            max_connections: 10,
            max_pending: 6,
            max_pending_per_ip: 2,
        });
        let mut a1 = admitted(table.admit(A));
        let mut b1 = admitted(table.admit(B));
        let mut a2 = admitted(table.admit(A));
        let _a3 = admitted(table.admit(A));
        assert!(is_evicted(&mut a1), "A's oldest gives way to A's third");
        assert!(!is_evicted(&mut b1) && !is_evicted(&mut a2));
        assert_eq!(table.held(), (3, 3));
    }

    #[test]
    fn busy_connections_are_never_evicted_and_a_full_table_refuses() {
        let table = ConnTable::new(TableLimits {
            max_connections: 2,
            max_pending: 2,
            max_pending_per_ip: 2,
        });
        let mut busy = admitted(table.admit(A));
        busy.set_pending(false);
        let mut pending = admitted(table.admit(A));
        let _new = admitted(table.admit(B));
        assert!(is_evicted(&mut pending) && !is_evicted(&mut busy));
        let marker = _new.marker();
        marker.set_pending(false);
        assert!(matches!(table.admit(B), Admission::Full));
        assert_eq!(table.turned_away(), (1, 1));
        drop(busy);
        assert_eq!(table.held(), (1, 0));
        assert!(matches!(table.admit(B), Admission::Admitted(_)));
    }

    #[test]
    fn the_default_shares() {
        let l = TableLimits::for_cap(256);
        assert_eq!((l.max_pending, l.max_pending_per_ip), (128, 32));
        let small = TableLimits::for_cap(4);
        assert_eq!((small.max_pending, small.max_pending_per_ip), (2, 2));
    }
}
