//! The device-side provisioning client state machine, sans-IO.
//!
//! This crate will hold the behaviour of the nRF Connect SDK's `nrf_provisioning` library
//! (scheduling, HTTP and CoAP sessions, command execution, events), driven by the caller
//! with time and results and returning actions, in the quinn-proto style. It depends on
//! `provlab-proto` only: no tokio, sockets, files or wall clock. Filled by the client issue.
