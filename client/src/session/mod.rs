//! The two transports' sessions: one provisioning exchange (fetch, execute, report, repeat)
//! over HTTP or CoAP.

pub(crate) mod block2;
pub(crate) mod coap;
pub(crate) mod http;
