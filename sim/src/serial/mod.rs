//! Serial front-ends of the simulated modem: what a host sees on the serial line.
//!
//! * [`AtHost`]: the modem behind a plain AT host, as Nordic's host tools and a terminal
//!   program see it in `AT` mode: bytes in, command lines out to the modem, answers back, no
//!   echo.
//! * [`Shell`]: the modem behind the sample firmware's Zephyr shell (`uart:~$ ` prompt,
//!   echo, the `at` command of the NCS AT shell, `nrf_provisioning`, `kernel reboot`), byte
//!   for byte as in `sample-console.md`.
//! * [`pty`]: serves either front-end on a pseudo-terminal, so real host tools can open it.
//!
//! The front-ends are sans-IO: they take the bytes read and a [`Now`], and return
//! [`Emission`]s (bytes plus the delay before them). The [`pty`] server does the I/O.

pub mod at_host;
mod error;
mod hook;
mod output;
pub mod pty;
pub mod shell;
pub mod shell_args;

use std::time::Duration;

pub use at_host::{AtHost, AtHostConfig};
pub use error::SerialError;
pub use hook::{HookPoll, ShellHook};
pub use output::Emission;
pub use pty::{PtyServer, Shutdown, Stop, StopHandle};
pub use shell::{Shell, ShellConfig};

use crate::modem::Modem;

/// A point in time as the front-ends see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Now {
    /// Wall-clock time in seconds since the Unix epoch (passed to the modem).
    pub unix: u64,
    /// Monotonic time since an arbitrary origin (used for idle timeouts).
    pub monotonic: Duration,
}

impl Now {
    /// A time from its parts.
    pub fn new(unix: u64, monotonic: Duration) -> Self {
        Now { unix, monotonic }
    }
}

/// Which front-end the modem sits behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Mode {
    /// A plain AT host: AT command lines in, modem answers out, no echo.
    #[default]
    At,
    /// The sample firmware's Zephyr shell with the NCS AT shell.
    Shell,
}

/// What a serial front-end does with the bytes of a serial line.
pub trait FrontEnd {
    /// What the device prints when it starts (the shell's boot banner and prompt; nothing
    /// for an AT host).
    fn start(&mut self, now: Now) -> Vec<Emission>;

    /// Takes bytes received from the host and returns what the device sends back, in order.
    ///
    /// An error means the device cannot go on (the modem failed to reboot).
    fn push(&mut self, now: Now, bytes: &[u8]) -> Result<Vec<Emission>, SerialError>;

    /// What the device sends on its own by `now` (log messages of a board behind the
    /// front-end); called between reads, at least every 50 ms. Nothing by default.
    fn poll(&mut self, _now: Now) -> Result<Vec<Emission>, SerialError> {
        Ok(Vec::new())
    }

    /// The modem behind the front-end.
    fn modem(&self) -> &Modem;
}

/// A front-end of the given mode around `modem`, with default settings.
pub fn front_end(mode: Mode, modem: Modem) -> Box<dyn FrontEnd + Send> {
    match mode {
        Mode::At => Box::new(AtHost::new(modem)),
        Mode::Shell => Box::new(Shell::new(modem)),
    }
}
