//! The simulation side of provlab: the simulated nRF91 modem, the virtual-time world, the
//! real-time virtual board, and the scenario runner's simulation backend.
//!
//! * [`modem`]: the simulated modem core (the `provlab-modem` crate, re-exported here), sans-IO:
//!   identity, the AT command set of `modem.md`, the credential store with its atomic NVM,
//!   fault injection and the factory registry.
//! * [`serial`]: the modem's serial front-ends (a plain AT host and the sample firmware's
//!   Zephyr shell), sans-IO, and the PTY server that `provlab modem --pty` uses.
//! * [`world`]: devices (modem + the real [`provlab_client::Client`] + the sample's board
//!   glue), the service's domain core and a link with fault injection, all in virtual time;
//!   in memory, or over real sockets to the real device endpoints (`--net loopback`).
//! * [`backend`]: the scenario runner's simulation backend ([`backend::SimBackend`]) over
//!   the [`world`], and fleet mode.
//! * [`board`]: the real-time virtual board (modem + provisioning client behind the sample
//!   firmware's console, per firmware era), served on a PTY by `provlab board`.
//! * [`net`]: real-socket transports for the client's actions (HTTPS, CoAP over DTLS 1.2),
//!   used by the board and by the world's `--net loopback`.

pub mod backend;
pub mod board;
pub use provlab_modem as modem;
pub mod net;
pub mod serial;
pub mod world;
