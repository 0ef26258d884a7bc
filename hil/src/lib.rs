//! The hardware-in-the-loop backend: the scenario files that run in simulation, run on
//! attached nRF91 boards (and on virtual boards on PTYs in CI) against the fake service on
//! real sockets.
//!
//! * [`backend`]: the harness backend: a scenario on leased boards against a lab service.
//! * [`service`]: the lab service over its REST API: the scenario's service state and owner
//!   actions as real REST calls, the lab credentials, and the service's view of a device.
//! * [`lab`]: the lab service (`provlab serve` in process) on the addresses boards reach.
//! * [`virtual_board`]: `virtual` rack entries: virtual boards on PTYs, driven like real ones.
//! * [`clock`]: scenario time on hardware (wall time times a virtual board's speed).

pub mod backend;
pub mod clock;
pub mod lab;
pub mod service;
pub mod virtual_board;
