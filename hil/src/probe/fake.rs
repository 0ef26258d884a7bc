//! [`FakeProbe`]: a probe for tests that records every call and fails on command.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use super::{ImageFormat, Probe, ProbeError, ProbeRow, Rtt, Selector};

/// One recorded call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FakeCall {
    /// `list_probes`.
    List,
    /// `open(selector, chip)`.
    Open(String, String),
    /// `flash(image, format)`.
    Flash(PathBuf, ImageFormat),
    /// `reset(rtt)`.
    Reset(Rtt),
    /// `read_rtt`.
    ReadRtt,
    /// `recover(selector, chip)`.
    Recover(String, String),
    /// `close`.
    Close,
}

/// A failure the fake can be told to produce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FakeFailure {
    /// The probe is gone (every call that needs it fails until [`FakeProbe::plug_in`]).
    Vanished,
    /// The next flash fails with this reason.
    FlashError(String),
    /// The chip is locked until recovered.
    Locked,
}

/// A recording fake probe. It lists the rows it was given, tracks open/locked state, and
/// hands out queued RTT bytes after a reset with RTT capture.
#[derive(Debug, Default)]
pub struct FakeProbe {
    rows: Vec<ProbeRow>,
    calls: Vec<FakeCall>,
    open: bool,
    vanished: bool,
    locked: bool,
    flash_errors: VecDeque<String>,
    rtt_attached: bool,
    rtt_bytes: Vec<u8>,
}

impl FakeProbe {
    /// A fake that lists `rows`.
    pub fn new(rows: Vec<ProbeRow>) -> Self {
        Self {
            rows,
            ..Self::default()
        }
    }

    /// Every call so far, in order.
    pub fn calls(&self) -> &[FakeCall] {
        &self.calls
    }

    /// Arranges a failure.
    pub fn fail(&mut self, failure: FakeFailure) {
        match failure {
            FakeFailure::Vanished => {
                self.vanished = true;
                self.open = false;
            }
            FakeFailure::FlashError(reason) => self.flash_errors.push_back(reason),
            FakeFailure::Locked => self.locked = true,
        }
    }

    /// Brings a vanished probe back.
    pub fn plug_in(&mut self) {
        self.vanished = false;
    }

    /// Whether the chip is locked.
    pub fn is_locked(&self) -> bool {
        self.locked
    }

    /// Queues bytes the firmware "writes" to RTT.
    pub fn push_rtt(&mut self, bytes: &[u8]) {
        self.rtt_bytes.extend_from_slice(bytes);
    }

    fn present(&self, what: &str) -> Result<(), ProbeError> {
        if self.vanished {
            return Err(ProbeError::Vanished {
                probe: what.to_owned(),
            });
        }
        Ok(())
    }

    fn opened(&self) -> Result<(), ProbeError> {
        self.present("the open probe")?;
        if self.open {
            Ok(())
        } else {
            Err(ProbeError::NotOpen)
        }
    }
}

impl Probe for FakeProbe {
    fn list_probes(&mut self) -> Result<Vec<ProbeRow>, ProbeError> {
        self.calls.push(FakeCall::List);
        if self.vanished {
            return Ok(Vec::new());
        }
        Ok(self.rows.clone())
    }

    fn open(&mut self, selector: &Selector, chip: &str) -> Result<(), ProbeError> {
        self.calls
            .push(FakeCall::Open(selector.to_string(), chip.to_owned()));
        self.present(&selector.to_string())?;
        if self.locked {
            return Err(ProbeError::Locked {
                chip: chip.to_owned(),
            });
        }
        self.open = true;
        Ok(())
    }

    fn flash(&mut self, image: &Path, format: ImageFormat) -> Result<(), ProbeError> {
        self.calls
            .push(FakeCall::Flash(image.to_path_buf(), format));
        self.opened()?;
        if let Some(what) = self.flash_errors.pop_front() {
            return Err(ProbeError::Injected { op: "flash", what });
        }
        Ok(())
    }

    fn reset(&mut self, rtt: Rtt) -> Result<(), ProbeError> {
        self.calls.push(FakeCall::Reset(rtt));
        self.opened()?;
        self.rtt_attached = matches!(rtt, Rtt::Capture { .. });
        if self.rtt_attached {
            // The control block is cleared before the reset: nothing old is read.
            self.rtt_bytes.clear();
        }
        Ok(())
    }

    fn read_rtt(&mut self, buf: &mut [u8]) -> Result<usize, ProbeError> {
        self.calls.push(FakeCall::ReadRtt);
        self.opened()?;
        if !self.rtt_attached {
            return Err(ProbeError::RttNotAttached);
        }
        let n = buf.len().min(self.rtt_bytes.len());
        buf[..n].copy_from_slice(&self.rtt_bytes[..n]);
        self.rtt_bytes.drain(..n);
        Ok(n)
    }

    fn recover(&mut self, selector: &Selector, chip: &str) -> Result<(), ProbeError> {
        self.calls
            .push(FakeCall::Recover(selector.to_string(), chip.to_owned()));
        self.present(&selector.to_string())?;
        self.locked = false;
        self.open = false;
        Ok(())
    }

    fn close(&mut self) {
        self.calls.push(FakeCall::Close);
        self.open = false;
        self.rtt_attached = false;
    }
}
