//! The hardware-in-the-loop backend: not written yet.
//!
//! The crate is an empty placeholder. It is meant to hold the rack inventory, board leases,
//! serial consoles, probe-rs flashing, reset and RTT, and the decoder of the sample
//! firmware's log lines, behind the `provlab-harness` `Backend` trait, so that the scenario
//! files that run in simulation also run on attached nRF9160 boards. Until then, the virtual
//! board (`provlab board`, in `provlab-sim`) is the stand-in that a HIL runner would drive
//! over a serial console; `docs/spec/hil-facts.md` gathers what the runner needs to know.
//!
//! Two pieces are here: [`console`], the driver of the sample firmware's Zephyr shell over a
//! byte stream (a serial port or an in-memory pipe) with a byte-exact capture of the
//! session, and [`decode`], the decoder of the firmware's console lines into typed
//! happenings, one pattern table for the three console eras.

pub mod console;
pub mod decode;
