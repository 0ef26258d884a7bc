//! The device endpoints: what a real or simulated nRF91 client talks to.
//!
//! * [`pki`]: the lab PKI. A root CA and server certificates for the service's host names,
//!   created on first start and reloaded after, so a device can be given `root-ca.pem` for
//!   its `ROOT_CA_SEC_TAG`.
//! * [`https`]: `GET /v1/provisioning/commands` and `POST /v1/provisioning/response` over
//!   HTTPS (rustls, HTTP/1.1 via hyper), one request per TLS connection.
//! * [`coap`]: `p/auth-jwt`, `p/cmd` (Block2) and `p/rsp` over CoAP over DTLS 1.2, with
//!   the DTLS engine behind a small interface ([`coap::dtls`]).
//! * [`core`]: the sans-IO device-endpoint core both transports (and the simulator's
//!   in-memory world) run requests through: routes, typed requests and answers, the one
//!   status and code mapping.
//! * [`backend`]: the [`crate::app::App`] as the core's domain service.
//! * [`forced`]: answers armed for the next request (fault injection for simulations and labs).
//! * [`query`]: the fetch query, parsed strictly (used through [`core`]).
//! * [`auth`]: device JWT authentication through the [`crate::app::App`], logging every
//!   acceptance without a signature check.
//! * [`log`]: the log lines about fetches and reports both transports write.
//!
//! Both transports are thin: they parse their framing, hand a typed request to [`core`]
//! (which authenticates with [`crate::domain::Service::authenticate_jwt`], then calls
//! [`crate::domain::Service::fetch_commands`] or
//! [`crate::domain::Service::record_responses`] through [`crate::app::App::mutate`]), and
//! frame the core's answer with its status or code. A bad request never changes the state:
//! the domain validates before it emits any event.

pub mod auth;
pub mod backend;
pub mod coap;
pub mod core;
pub mod forced;
pub mod https;
pub mod log;
pub mod pki;
pub mod query;
