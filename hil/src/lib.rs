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
//! * [`console`]: the driver of the sample firmware's Zephyr shell over a byte stream (a
//!   serial port or an in-memory pipe), with a byte-exact capture of the session.
//! * [`decode`]: the firmware's console lines as typed happenings, one pattern table for
//!   the three console eras.
//! * [`backend`]: the harness backend: a scenario on leased boards against a lab service.
//! * [`service`]: the lab service over its REST API: the scenario's service state and owner
//!   actions as real REST calls, the lab credentials, and the service's view of a device.
//! * [`lab`]: the lab service (`provlab serve` in process) on the addresses boards reach.
//! * [`virtual_board`]: `virtual` rack entries: virtual boards on PTYs, driven like real ones.
//! * [`timeline`]: a decoded console log as a transcript, for the timeline comparison.
//! * [`clock`]: scenario time on hardware (wall time times a virtual board's speed).

pub mod backend;
pub mod clock;
pub mod console;
pub mod decode;
pub mod import;
pub mod lab;
pub mod lease;
pub mod probe;
pub mod rack;
pub mod service;
pub mod timeline;
pub mod virtual_board;
