//! The hardware-in-the-loop backend.
//!
//! This crate will hold the rack inventory, board leases, serial consoles, probe-rs
//! flashing, reset and RTT, and the decoder of the sample firmware's log lines, so that the
//! scenario files that run in simulation also run on attached nRF9160 boards.
