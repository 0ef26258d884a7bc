//! The device-endpoint core, sans-IO: one vocabulary of device requests and answers, and one
//! implementation of what they mean, shared by the HTTPS handler
//! ([`crate::device::https::handler`]), the CoAP session ([`crate::device::coap::session`])
//! and the simulator's in-memory world (`provlab_sim::world::endpoint`), so that a client
//! meets the same service over `--net memory` and `--net loopback`.
//!
//! * [`route`]: the [`Route`] of an HTTP path and method or a CoAP path, parsed once;
//! * [`request`]: the typed [`DeviceRequest`] (fetch with its parsed query, report, JWT) and
//!   the header checks of an HTTP request;
//! * [`outcome`]: what a request comes to ([`Outcome`]), with the one mapping to an HTTP
//!   status and the one to a CoAP code, and [`Refusal`];
//! * [`answer`]: the typed [`Answer`];
//! * [`service`]: [`DeviceService`], the domain calls behind the core (the domain
//!   [`crate::domain::Service`] at an instant, [`AtTime`], or the server's app), and
//!   [`execute`];
//! * [`http`] and [`coap`]: one request of each transport, in the order the transport
//!   checks things (HTTPS: authenticate every request first; CoAP: a session authenticated
//!   once, Block2 blocks cut once per fetch).
//!
//! The fetch query is parsed strictly by [`crate::device::query`] (unknown or repeated
//! parameters are refused, 400 / 4.00) and Block2 blocks are cut by
//! [`crate::device::coap::block::block2_slice`]; both are used only through this core. No
//! sockets, files, clocks or async here: the time is the caller's (in [`AtTime`] or the
//! app's clock), and framing, logging of transport events and fault injection stay with the
//! callers.

pub mod answer;
pub mod coap;
pub mod http;
pub mod outcome;
pub mod request;
pub mod route;
pub mod service;

#[cfg(test)]
mod tests;

pub use answer::Answer;
pub use coap::{handle_coap, CoapAnswer, CoapParts, CoapState};
pub use http::{handle_http, HttpHandled, HttpParts};
pub use outcome::{CoapCode, Outcome, Refusal};
pub use request::DeviceRequest;
pub use route::{Method, Route, RouteError, COMMANDS_PATH, RESPONSE_PATH};
pub use service::{execute, AtTime, DeviceService};
