//! The service's sans-IO domain core.
//!
//! Small modules with one job each:
//! * [`time`]: the caller-supplied [`Timestamp`].
//! * [`ids`]: member, device, command and rule ids, correlation ids, the seeded [`IdSource`].
//! * [`members`]: members and hashed API keys (roles are the vocabulary's, `provlab_vocab`).
//! * [`permissions`]: the one function deciding every (role, operation, device owner).
//! * [`registry`]: the factory registry of identity keys and the verification policy.
//! * [`devices`]: claimed devices, claim tokens, tags, the bulk-claim CSV.
//! * [`commands`]: the vocabulary's command requests and statuses (`provlab_vocab`, shared
//!   with the REST API and scenarios), their validation, device records and results.
//! * [`status`]: device statuses and their transitions; the shown status is the vocabulary's.
//! * [`rules`]: provisioning rules.
//! * [`batching`]: cutting batches to the device's `limit`, `rxMaxSize` and `txMaxSize`.
//! * [`events`] and [`state`]: the event log and the state folded from it.
//! * [`service`]: the [`Service`] facade, one method per operation.
//! * [`error`]: the one [`Error`] type, with HTTP status codes.

pub mod batching;
pub mod commands;
pub mod devices;
pub mod error;
pub mod events;
pub mod ids;
pub mod members;
pub mod permissions;
pub mod registry;
pub mod rules;
pub mod service;
pub mod state;
pub mod status;
pub mod time;

pub use error::{Error, Result};
pub use events::Event;
pub use ids::{CommandId, DeviceId, IdSource, MemberId, RuleId};
pub use members::Role;
pub use service::{Outcome, Service, ServiceConfig};
pub use state::State;
pub use time::Timestamp;
