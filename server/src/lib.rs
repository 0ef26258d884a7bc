//! The fake nRF Cloud Provisioning Service.
//!
//! What the crate holds now is the service's **domain core** ([`domain`]): team members with
//! roles and hashed API keys, claimed devices (from attestation tokens, verified against the
//! simulated factory's identity key registry when one is configured), provisioning tags, each
//! device's ordered command configuration (at most 20 commands) and its translation into the
//! CBOR records the device executes, device and command statuses, block/unblock, provisioning
//! rules, batching to the device's `limit`/`rxMaxSize`/`txMaxSize`, idempotent recording of
//! the device's responses, and device JWT authentication. The semantics are those of
//! `docs/spec/service.md`; where it is silent the module docs say what we decided.
//!
//! The core is sans-IO: no sockets, files, threads, async runtime or clock. It is driven by
//! calling [`domain::Service`] methods with the time (`now`, a caller-supplied
//! [`domain::Timestamp`]) and the request's inputs: REST operations take the caller's API key
//! (`Option<&str>`) and a typed request; device operations take the device id from
//! [`domain::Service::authenticate_jwt`] and the fetch query or the CBOR responses body. All
//! wire formats come from `provlab-proto`. Ids and generated API keys are drawn from a seeded
//! source, so the same inputs give the same outputs, byte for byte.
//!
//! Every mutation is an [`domain::Event`]: operations validate, apply their events through
//! the one mutator ([`domain::State::apply`]) and return them in an [`domain::Outcome`];
//! [`domain::Service::replay`] rebuilds the same state from a stored log.
//!
//! Coming next, on top of this core:
//! * the REST API (axum): routes, JSON bodies, [`domain::Error::http_status`] mapping with a
//!   `{"message": ...}` body;
//! * the device endpoints: HTTPS (`GET /v1/provisioning/commands`, `POST
//!   /v1/provisioning/response`) and CoAP over DTLS 1.2 (`p/auth-jwt`, `p/cmd`, `p/rsp`);
//! * SQLite persistence: each operation's events stored in one transaction, replayed at start.

pub mod app;
pub mod device;
pub mod domain;
pub mod rest;
pub mod serve;
pub mod store;
