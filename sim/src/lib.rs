//! The simulation side of provlab.
//!
//! This crate will hold the simulated nRF91 modem (AT surface, credential store, NVM, fault
//! injection, serial front-ends), the virtual clock and link with fault injection, virtual
//! boards (modem and client behind the sample firmware's console) and the simulation
//! backend of the scenario runner. Filled by the modem, client and scenario issues.
//!
//! * [`backend`]: the scenario runner's simulation backend ([`backend::SimBackend`]) over
//!   the [`world`].
//! * [`board`]: the real-time virtual board (modem + provisioning client behind the sample
//!   firmware's console, per firmware era), served on a PTY by `provlab board`.
//! * [`net`]: real-socket transports for the client's actions (HTTPS, CoAP over DTLS 1.2).
//! * [`modem`]: the simulated modem core, sans-IO: identity, the AT command set of `modem.md`,
//!   the credential store with its atomic NVM, fault injection and the factory registry.

pub mod backend;
pub mod board;
pub mod modem;
pub mod net;
pub mod serial;
pub mod world;
