//! The sample firmware's application around the client, sans-IO: what the
//! `nrf_provisioning` sample's `main.c` does (`sample-console.md` §3 and §5), as one
//! machine every driver of a device uses (the virtual-time world, the real-time board, the
//! client's test harness).
//!
//! * **Boot** ([`SampleApp::boot`]): `AT+CFUN=1` and the attach wait of `lte_lc_connect` /
//!   `conn_mgr_all_if_connect`; `nrf_provisioning_init` after the first attach (\[A\], \[B\])
//!   or before it, with the client told the network is down (\[C\]).
//! * **Modem-mode handling** ([`SampleApp::on_event`]): `NEED_LTE_DEACTIVATED` takes the
//!   modem offline (`AT+CFUN=4`) and tells the client the network is down;
//!   `NEED_LTE_ACTIVATED` brings it back (`AT+CFUN=1`) and, after the attach delay, hands
//!   the client the network time and "network up". The v2.9 sample has no such events: the
//!   library calls its modem-mode callback, which does the same (§3.3, §4.4).
//! * **DONE**: in \[A\] `reboot_device`: modem offline, then a warm reboot (§3.4); later
//!   eras do not reboot (§5.1).
//! * **Modem reboot** ([`SampleApp::modem_rebooted`]): LTE is lost; the application brings
//!   it back as after `NEED_LTE_ACTIVATED`.
//!
//! Like the [`crate::Client`], the machine takes the caller's time and inputs and queues
//! [`AppAction`]s; [`SampleApp::poll_timeout`] says when [`SampleApp::handle_timeout`] is due
//! (the end of an attach wait). It never touches the client itself: the driver owns both.

mod action;
mod era;

use std::collections::VecDeque;
use std::time::Duration;

pub use action::{AppAction, AppLog};
pub use era::Era;

use crate::action::Input;
use crate::event::Event;
use crate::time::Timestamp;

/// `AT+CFUN=1`: the modem's normal mode (LTE on).
pub const LTE_ON: &str = "AT+CFUN=1";
/// `AT+CFUN=4`: the modem's offline mode (LTE off, `lte_lc_func_mode_set(OFFLINE)`).
pub const LTE_OFF: &str = "AT+CFUN=4";

/// How the application is set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AppConfig {
    /// Which sample generation to follow.
    pub era: Era,
    /// Time from `AT+CFUN=1` to LTE attached.
    pub attach_delay: Duration,
}

impl AppConfig {
    /// The application of `era` with an LTE attach taking `attach_delay`.
    pub const fn new(era: Era, attach_delay: Duration) -> Self {
        AppConfig { era, attach_delay }
    }
}

/// An attach the application is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Attach {
    /// When LTE is attached.
    at: Timestamp,
    /// Whether it is the boot-time attach.
    first: bool,
}

/// The sample application of one boot (see the module docs).
#[derive(Debug, Clone)]
pub struct SampleApp {
    config: AppConfig,
    attach: Option<Attach>,
    attached_once: bool,
    rebooting: bool,
    outbox: VecDeque<AppAction>,
}

impl SampleApp {
    /// An application that has not booted yet.
    pub fn new(config: AppConfig) -> Self {
        SampleApp {
            config,
            attach: None,
            attached_once: false,
            rebooting: false,
            outbox: VecDeque::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &AppConfig {
        &self.config
    }

    /// `main` of a new boot (the driver has made a fresh client): forgets the previous boot
    /// and starts LTE.
    pub fn boot(&mut self, now: Timestamp) {
        self.attach = None;
        self.attached_once = false;
        self.rebooting = false;
        self.outbox.clear();
        self.push(AppAction::Log(AppLog::Booted));
        self.push(AppAction::ProvisionRootCa);
        self.lte_on(now);
        if self.config.era.init_before_attach() {
            self.push(AppAction::ClientNetworkTime);
            self.push(AppAction::Client(Input::NetworkDown));
            self.push(AppAction::InitClient);
        }
    }

    /// A client event: the sample's reaction to it (nothing for most).
    pub fn on_event(&mut self, now: Timestamp, event: &Event) {
        if self.rebooting {
            return;
        }
        match event {
            Event::NeedLteDeactivated => {
                self.push(AppAction::ModemAt(LTE_OFF.to_owned()));
                self.push(AppAction::Client(Input::NetworkDown));
            }
            Event::NeedLteActivated => self.lte_on(now),
            Event::Done if self.config.era.reboots_after_done() => {
                self.rebooting = true;
                self.attach = None;
                self.push(AppAction::ModemAt(LTE_OFF.to_owned()));
                self.push(AppAction::Reboot);
            }
            _ => {}
        }
    }

    /// The modem rebooted by itself: LTE is gone; the application brings it back.
    pub fn modem_rebooted(&mut self, now: Timestamp) {
        if self.rebooting {
            return;
        }
        self.push(AppAction::Client(Input::NetworkDown));
        self.lte_on(now);
    }

    /// When [`SampleApp::handle_timeout`] is due next (the end of an attach wait).
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.attach.map(|a| a.at)
    }

    /// Runs what is due at `now`: an attach hands the client the network time and
    /// "network up", and after the boot-time attach of \[A\]/\[B\] initialises it.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        let Some(attach) = self.attach.filter(|a| a.at <= now) else {
            return;
        };
        self.attach = None;
        self.attached_once = true;
        self.push(AppAction::Log(AppLog::Attached {
            first: attach.first,
        }));
        self.push(AppAction::ClientNetworkTime);
        self.push(AppAction::Client(Input::NetworkUp));
        if attach.first && !self.config.era.init_before_attach() {
            self.push(AppAction::InitClient);
        }
    }

    /// The next thing to do, in order.
    pub fn poll_action(&mut self) -> Option<AppAction> {
        self.outbox.pop_front()
    }

    /// Whether this boot is ending in a reboot (the driver drops the client's further
    /// actions).
    pub fn is_rebooting(&self) -> bool {
        self.rebooting
    }

    /// Whether LTE has been attached at least once in this boot.
    pub fn has_attached(&self) -> bool {
        self.attached_once
    }

    /// `AT+CFUN=1` and the attach wait (the boot-time one until the first attach).
    fn lte_on(&mut self, now: Timestamp) {
        self.push(AppAction::ModemAt(LTE_ON.to_owned()));
        let delay = u64::try_from(self.config.attach_delay.as_millis()).unwrap_or(u64::MAX);
        self.attach = Some(Attach {
            at: now.plus_millis(delay),
            first: !self.attached_once,
        });
    }

    fn push(&mut self, action: AppAction) {
        self.outbox.push_back(action);
    }
}

#[cfg(test)]
mod tests;
