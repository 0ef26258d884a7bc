//! The fake nRF Cloud Provisioning Service.
//!
//! * [`domain`]: the **domain core**, sans-IO: team members with roles and hashed API keys,
//!   claimed devices (from attestation tokens, verified against the simulated factory's
//!   identity key registry when one is configured), provisioning tags, each device's ordered
//!   command configuration (at most 20 commands) and its translation into the CBOR records the
//!   device executes, device and command statuses, block/unblock, provisioning rules,
//!   batching to the device's `limit`/`rxMaxSize`/`txMaxSize`, idempotent recording of the
//!   device's responses, and device JWT authentication.
//! * [`store`]: the event log, in memory or in a SQLite file, replayed at start.
//! * [`app`]: [`app::App`], the domain service and its store behind one lock with a clock;
//!   every acknowledged mutation is stored before it is answered.
//! * [`rest`]: the REST API under `/v1/` (axum), with its generated OpenAPI document.
//! * [`device`]: the device endpoints: HTTPS (`GET /v1/provisioning/commands`, `POST
//!   /v1/provisioning/response`) and CoAP over DTLS 1.2 (`p/auth-jwt`, `p/cmd`, `p/rsp`),
//!   the lab PKI, and forced answers for fault injection.
//! * [`serve`]: `provlab serve`: the store, the app, and the listeners of one process.
//! * [`listen`]: flood protection of the TCP listeners: the descriptor budget, connection
//!   caps with eviction of the oldest pending connection, an accept that never gives up.
//!
//! The semantics are those of `docs/spec/service.md`; where it is silent the module docs say
//! what we decided.
//!
//! The domain core has no sockets, files, threads, async runtime or clock. It is driven by
//! calling [`domain::Service`] methods with the time (`now`, a caller-supplied
//! [`domain::Timestamp`]) and the request's inputs: REST operations take the caller's API key
//! (`Option<&str>`) and a typed request; device operations take the device id from
//! [`domain::Service::authenticate_jwt`] and the fetch query or the CBOR responses body. All
//! wire formats come from `provlab-proto`. Ids are drawn from a seeded source, so the same
//! inputs give the same outputs, byte for byte; generated API keys are made of OS randomness
//! the caller passes in ([`entropy`]), so no stored seed gives them away. The simulation
//! (`provlab-sim`) drives the same core in virtual time.
//!
//! Every mutation is an [`domain::Event`]: operations validate, apply their events through
//! the one mutator ([`domain::State::apply`]) and return them in an [`domain::Outcome`];
//! [`domain::Service::replay`] rebuilds the same state from a stored log.

pub mod api_client;
pub mod app;
pub mod device;
pub mod entropy;
pub mod listen;
pub use provlab_domain as domain;
pub mod rest;
pub mod serve;
pub mod store;
