//! The hardware-in-the-loop backend: the scenario files that run in simulation, run on
//! attached nRF91 boards (and on virtual boards on PTYs in CI) against the fake service on
//! real sockets.
//!
//! * [`rack`]: the rack file (boards, probes, consoles, the lab service's address and
//!   timeouts), its JSON Schema and its loader with file:line:col errors.
//! * [`lease`]: one run holds one board (console and probe together) at a time, across
//!   processes, with lock files in the lab directory and recovery of stale ones.
//! * [`probe`]: listing, opening, flashing, resetting and recovering boards through a debug
//!   probe (probe-rs), with the UICR and APPROTECT rules, and a recording fake for tests.

pub mod lease;
pub mod probe;
pub mod rack;
