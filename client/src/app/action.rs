//! What the sample application asks its driver to do.

use crate::action::Input;

/// One thing the application wants done, in the order [`super::SampleApp::poll_action`]
/// yields them. The driver owns the modem, the client and the console; it performs each
/// action before taking the next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppAction {
    /// Print (or note) a line of the application's own (see [`AppLog`]).
    Log(AppLog),
    /// The library's `cert_provision` (`sample-console.md` §4.1): write the built-in root
    /// CA into the root-CA sec tag if that tag is empty. A driver without a built-in CA
    /// does nothing.
    ProvisionRootCa,
    /// Run this AT line on the modem, as the application's own command (not the client's:
    /// its answer goes to the application, which does not wait for it).
    ModemAt(String),
    /// Hand this input to the client (only `NetworkUp` / `NetworkDown`).
    Client(Input),
    /// Hand the client whether the modem has network time now (`Input::NetworkTime`); the
    /// modem-mode callback waits for `AT%CCLK?` before it returns (§3.3).
    ClientNetworkTime,
    /// Call the client's `init` (`nrf_provisioning_init`).
    InitClient,
    /// Warm-reboot the device (`sys_reboot(SYS_REBOOT_WARM)`): the driver ends this boot.
    Reboot,
}

/// A line the application produces; how it reads depends on the console or transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppLog {
    /// `main` started (`nRF Device Provisioning Sample`, `Establishing LTE link ...`).
    Booted,
    /// LTE attached after `AT+CFUN=1`.
    Attached {
        /// The attach `main` waits for at boot (rather than one after
        /// `NEED_LTE_ACTIVATED` or a modem reboot).
        first: bool,
    },
}
