//! What the HIL backend needs of one board while it runs a scenario: its console, driven and
//! decoded. A real board (serial console + probe) and a virtual board (PTY) both provide it;
//! tests use a scripted one.

use std::time::Duration;

use provlab_harness::scenario::ClientEvent;

/// Something the board printed, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoardOutput {
    /// A client event (`START`, `DONE`, `FAILED_*`, …) with its payload, if any.
    Event {
        /// The event.
        event: ClientEvent,
        /// Seconds to the next attempt, the attestation token, …
        detail: Option<String>,
    },
    /// The board booted (banner seen): a reboot when it was not asked for.
    Booted,
    /// A request the firmware logged sending (`Requesting commands`, …), worded as the
    /// transcript's device requests are, so the timeline comparison lines it up.
    Request(String),
    /// The service's answer as the firmware logged it (`200`, `2.05`, with a record count
    /// when the line tells it).
    Answer(String),
    /// A console line the decoder has no meaning for (kept in the transcript, never
    /// dropped).
    Line(String),
    /// Something the rig did to the board (a chip recovered, an image programmed), for the
    /// transcript.
    Note(String),
}

/// Why a board operation failed: the lab's fault or the product's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BoardError {
    /// The rig failed: the port vanished, the probe errored, flashing failed, the board did
    /// not speak before its deadline. Retried once on another board.
    #[error("infrastructure: {0}")]
    Infrastructure(String),
    /// The firmware answered, but not as the scenario needs (an AT error, a refused
    /// command). Not retried.
    #[error("{0}")]
    Product(String),
}

impl BoardError {
    /// Whether the failure is the lab's, not the product's.
    pub fn is_infrastructure(&self) -> bool {
        matches!(self, Self::Infrastructure(_))
    }
}

/// One leased board's console, driven and decoded.
pub trait BoardLink: Send {
    /// The rack's id of the board.
    fn id(&self) -> &str;

    /// The modem's attestation token (`nrf_provisioning token` or `at AT%ATTESTTOKEN`).
    fn attestation_token(&mut self) -> Result<String, BoardError>;

    /// The security tag the firmware verifies the service's certificate with.
    fn root_ca_sec_tag(&self) -> u32;

    /// Makes sure the root CA sec tag holds `pem` (the modem offline while it is written);
    /// `true` when it had to be written.
    fn ensure_root_ca(&mut self, pem: &str) -> Result<bool, BoardError>;

    /// Starts a provisioning attempt now (`nrf_provisioning now`).
    fn trigger(&mut self) -> Result<(), BoardError>;

    /// Turns the board off and on again (the rack's power control or a cold reboot).
    fn power_cycle(&mut self, off_for: Option<Duration>) -> Result<(), BoardError>;

    /// What the board printed since the last call, waiting at most `wait` for the first
    /// output.
    fn poll(&mut self, wait: Duration) -> Result<Vec<BoardOutput>, BoardError>;

    /// The whole console capture so far (bytes as read), for the reports.
    fn capture(&self) -> Vec<u8>;

    /// The modem's credentials as `(sec tag, %CMNG type)` (`AT%CMNG=1`); `None` when the
    /// board cannot list them.
    fn credentials(&mut self) -> Result<Option<Vec<(u32, u8)>>, BoardError> {
        Ok(None)
    }
}
