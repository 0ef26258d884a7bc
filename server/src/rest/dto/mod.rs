//! Request and response bodies of the REST API, with their OpenAPI schemas.
//!
//! Requests are deserialized into these types and responses serialized from them, so the
//! generated OpenAPI document describes the wire exactly; each converts to or from the
//! domain's types.

pub mod commands;
pub mod devices;
pub mod rules;
pub mod tags;
pub mod team;
