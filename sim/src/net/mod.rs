//! Real-socket transports for the client's network actions: what a virtual board uses to
//! talk to `provlab serve` (or any service) over loopback or a real network.
//!
//! * [`HttpsTransport`]: [`provlab_client::Action::Http`] over TLS (tokio-rustls), one
//!   connection per request (`Connection: close`), the request line and the client's headers
//!   written in the client's order.
//! * [`CoapDtlsTransport`]: [`provlab_client::Action::CoapConnect`] /
//!   [`provlab_client::Action::Coap`] / [`provlab_client::Action::CoapClose`] over DTLS 1.2
//!   with `webrtc-dtls` (the service's engine) and `coap-lite` packets, confirmable requests
//!   retransmitted as RFC 7252 §4.2 says, Block2 as the client asks.
//!
//! Both verify the server against the root CA the caller takes from the modem's
//! `ROOT_CA_SEC_TAG` ([`RootCa`]), and both answer with the client's [`provlab_client::Input`]:
//! failures become `TransportFailed(...)` (handshake or certificate failure →
//! `HandshakeFailed`, refused → `Refused`, no answer in time → `Timeout`, closed without an
//! answer → `Closed`).

mod coap;
mod error;
mod https;
mod trust;

pub use coap::{CoapDtlsTransport, CoapTiming};
pub use error::NetError;
pub use https::HttpsTransport;
pub use trust::RootCa;
