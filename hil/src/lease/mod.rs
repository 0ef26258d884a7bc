//! Board leases: one run holds one board (its console and its probe together) at a time,
//! across processes and users of one lab directory.
//!
//! A lease is the file `<lab>/leases/<board>.lease` (JSON: board, owner, run id, pid, host,
//! start, expiry), created exclusively. A lease whose holder process is gone (same host) or
//! whose expiry has passed is taken over by the next acquirer, which logs it to
//! `<lab>/leases/recoveries.jsonl` and returns it ([`Lease::recovered`]). Dropping a
//! [`Lease`] releases the board.

mod acquire;
mod error;
mod list;
mod record;
mod store;

pub use acquire::{acquire, acquire_any, try_acquire, Attempt, Holder, Lease, Recovered, Wait};
pub use error::LeaseError;
pub use list::{list, LeaseRow, LeaseState};
pub use record::{host_name, now_unix_ms, LeaseInfo};
pub use store::{lease_path, leases_dir, StaleReason};

#[cfg(test)]
mod tests;
