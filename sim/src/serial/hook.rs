//! The hook a board puts behind the [`super::Shell`]: the `nrf_provisioning` commands and the
//! log messages of the firmware.

use super::Now;
use crate::modem::Modem;

/// What a [`ShellHook`] produced since the last poll.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HookPoll {
    /// Complete log messages (Zephyr log format, each ending `\r\n`), in order; the shell
    /// wraps each in the prompt erase/redraw.
    pub logs: Vec<Vec<u8>>,
    /// The firmware reboots (warm) after these messages.
    pub reboot: bool,
}

/// The firmware behind the shell (the virtual board). The shell lends it the modem.
pub trait ShellHook: Send {
    /// The board boots: called once the banner and the first prompt are out (at start and
    /// after every reboot; the modem has just rebooted).
    fn boot(&mut self, modem: &mut Modem, now: Now);

    /// `nrf_provisioning <args>` (`args[0]` is the subcommand, if any): the bytes the command
    /// prints in command context, or `None` for the shell's own help text.
    fn provisioning(&mut self, modem: &mut Modem, now: Now, args: &[String]) -> Option<Vec<u8>>;

    /// Runs the firmware up to `now` and returns the log messages it printed meanwhile.
    fn poll(&mut self, modem: &mut Modem, now: Now) -> HookPoll;
}
