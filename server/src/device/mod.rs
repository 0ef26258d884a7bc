//! The device endpoints: what a real or simulated nRF91 client talks to.
//!
//! * [`pki`]: the lab PKI. A root CA and server certificates for the service's host names,
//!   created on first start and reloaded after, so a device can be given `root-ca.pem` for
//!   its `ROOT_CA_SEC_TAG`.
//! * [`https`]: `GET /v1/provisioning/commands` and `POST /v1/provisioning/response` over
//!   HTTPS (rustls, HTTP/1.1 via hyper), one request per TLS connection.
//! * [`coap`]: `p/auth-jwt`, `p/cmd` (Block2) and `p/rsp` over CoAP over DTLS 1.2, with
//!   the DTLS engine behind a small interface ([`coap::dtls`]).
//! * [`forced`]: answers armed for the next request (fault injection for simulations and labs).
//! * [`query`]: the fetch query both transports share, parsed strictly.
//! * [`auth`]: device JWT authentication through the [`crate::app::App`], logging every
//!   acceptance without a signature check.
//! * [`log`]: the log lines about fetches and reports both transports write.
//!
//! Both transports are thin: they authenticate with
//! [`crate::domain::Service::authenticate_jwt`], then call
//! [`crate::domain::Service::fetch_commands`] or
//! [`crate::domain::Service::record_responses`] through [`crate::app::App::mutate`], and map
//! the outcome to their status codes. A bad request never changes the state: the domain
//! validates before it emits any event.

pub mod auth;
pub mod coap;
pub mod forced;
pub mod https;
pub mod log;
pub mod pki;
pub mod query;
