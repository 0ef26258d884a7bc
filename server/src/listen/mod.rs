//! Flood protection shared by the TCP listeners (REST and device HTTPS): how many
//! descriptors the process may use ([`fds`]), which connections a listener holds and which
//! one gives way when it is full ([`table`]), and an accept that survives running out of
//! descriptors ([`mod@accept`]).
//!
//! The scheme, and why a legitimate client still gets in during a flood:
//!
//! * every connection starts **pending** (no TLS handshake yet, or no complete request
//!   headers yet, or idle between keep-alive requests) and becomes **busy** once it has
//!   something to serve;
//! * a listener holds at most `max_connections`; of those, at most `max_pending` pending ones
//!   in all and at most `max_pending_per_ip` pending ones from one source address;
//! * a new connection that would cross one of those limits **evicts the oldest pending
//!   connection** of that scope (its source address's, or the listener's) instead of being
//!   refused; only when every held connection is busy is the new one closed at once;
//! * pending connections also have short time limits (first bytes, handshake, headers).
//!
//! A flood of connections that never finish their handshake or headers therefore churns
//! through the pending slots, each flood connection being the oldest one soon after it
//! arrived, while a legitimate device or script finishes its handshake or headers within a
//! round trip or two and becomes busy, out of reach of eviction. To lock it out a flood
//! would have to open `max_pending_per_ip` new connections from the client's own address (or
//! `max_pending` in all) within that round trip, every time. Busy connections are never
//! evicted, and their number is bounded by the descriptor budget.

pub mod accept;
pub mod fds;
pub mod table;

pub use self::accept::accept;
pub use self::fds::FdBudget;
pub use self::table::{Admission, ConnTable, Marker, TableLimits, Ticket};
