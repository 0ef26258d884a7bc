//! The sample firmware eras whose application logic differs (`sample-console.md` §0).

use crate::config::Generation;

/// Which generation of the `nrf_provisioning` sample's `main.c` the application follows.
///
/// Only the application's behaviour is covered here (the order of boot steps, the reboot
/// after DONE); how each era prints is the console's business.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Era {
    /// \[A\] NCS v2.9.0: `lte_lc_connect` blocks in `main`, then `nrf_provisioning_init`
    /// (§3.2); DONE takes the modem offline and warm-reboots (§3.4).
    V2_9,
    /// \[B\] about NCS 3.0: interfaces up and connected, then `nrf_provisioning_init`
    /// (§5.1); DONE does not reboot.
    V3_0,
    /// \[C\] NCS 3.1+: `nrf_provisioning_init` first, then interfaces up and connected
    /// (§5.1); DONE does not reboot.
    #[default]
    Current,
}

impl Era {
    /// The library generation this era ships with (v2.9 for \[A\], the event-callback one
    /// for \[B\] and \[C\]).
    pub const fn generation(self) -> Generation {
        match self {
            Era::V2_9 => Generation::V2_9,
            Era::V3_0 | Era::Current => Generation::Current,
        }
    }

    /// Whether `main` initialises the library before LTE is attached (\[C\]); otherwise
    /// only after the first attach (\[A\], \[B\]).
    pub const fn init_before_attach(self) -> bool {
        matches!(self, Era::Current)
    }

    /// Whether DONE takes the modem offline and warm-reboots the device (\[A\]
    /// `reboot_device`).
    pub const fn reboots_after_done(self) -> bool {
        matches!(self, Era::V2_9)
    }
}
