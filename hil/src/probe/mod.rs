//! Debug probes: list what is attached (and why a probe cannot be opened), pick a board's
//! probe, flash, reset, capture RTT, and recover a locked chip.
//!
//! * [`Probe`]: the operations, implemented on probe-rs 0.32 ([`ProbeRs`]) and by a
//!   recording fake for tests ([`FakeProbe`]).
//! * [`select`]: the board's probe among the listed ones (VID + serial, PID if given).
//! * [`flash_image`]: the runner's flashing rules: UICR images are refused or handed to
//!   `nrfutil`, a locked chip is recovered only on explicit request, and that is logged.
//! * [`uicr`]: the Intel HEX scan for UICR records; [`udev`]: the permission explanation.

mod error;
mod fake;
mod plan;
mod real;
mod select;
pub mod udev;
pub mod uicr;

use std::path::Path;
use std::time::Duration;

pub use error::ProbeError;
pub use fake::{FakeCall, FakeFailure, FakeProbe};
pub use plan::{flash_image, FlashJob, FlashOutcome, ProbeEvent};
pub use real::ProbeRs;
pub use select::{select, Selector};

use crate::rack::UsbId;

/// Whether this process may open a listed probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// It can be opened.
    Accessible,
    /// It is present, but the user lacks permission; the text says how to grant it.
    PermissionDenied {
        /// What to do (the udev rule line and the reload commands).
        explanation: String,
    },
}

/// One attached probe as the lister reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeRow {
    /// USB vendor id.
    pub vid: UsbId,
    /// USB product id.
    pub pid: UsbId,
    /// USB interface, for composite devices.
    pub interface: Option<u8>,
    /// USB serial string, if the probe has one.
    pub serial: Option<String>,
    /// The probe's name (e.g. `J-Link`, `CMSIS-DAP`).
    pub name: String,
    /// Whether it can be opened.
    pub access: Access,
}

impl ProbeRow {
    /// `vid:pid:serial` as `provlab hil probes` prints it (the probe-rs selector syntax).
    pub fn id(&self) -> String {
        self.selector().to_string()
    }

    /// The selector that opens exactly this probe.
    pub fn selector(&self) -> Selector {
        Selector {
            vid: self.vid,
            pid: self.pid,
            interface: self.interface,
            serial: self.serial.clone(),
        }
    }
}

/// The image formats the probe can flash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    /// Intel HEX (`.hex`).
    Hex,
    /// ELF (`.elf`).
    Elf,
}

impl ImageFormat {
    /// The format from a file's extension (`.hex`, `.elf`, any case).
    pub fn of(path: &Path) -> Result<Self, ProbeError> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("hex") => Ok(ImageFormat::Hex),
            Some("elf") => Ok(ImageFormat::Elf),
            _ => Err(ProbeError::UnknownFormat {
                image: path.to_path_buf(),
            }),
        }
    }
}

/// What a reset does about RTT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rtt {
    /// Plain reset and run.
    Off,
    /// Halt, clear any stale RTT control block in RAM (so no byte of the previous run is
    /// read), run, and attach to the new block within the timeout.
    Capture {
        /// How long to look for the control block after the reset.
        attach_timeout: Duration,
    },
}

/// A debug probe driving one board. Calls after [`Probe::open`] act on the opened probe;
/// [`Probe::list_probes`] and [`Probe::recover`] work without it.
pub trait Probe {
    /// The attached probes, including those this user may not open.
    fn list_probes(&mut self) -> Result<Vec<ProbeRow>, ProbeError>;

    /// Opens the probe and attaches to `chip` (a probe-rs target name). A locked chip
    /// fails with [`ProbeError::Locked`]; nothing is erased.
    fn open(&mut self, selector: &Selector, chip: &str) -> Result<(), ProbeError>;

    /// Writes an image (erase, program, verify).
    fn flash(&mut self, image: &Path, format: ImageFormat) -> Result<(), ProbeError>;

    /// Resets the chip and lets it run, optionally capturing RTT.
    fn reset(&mut self, rtt: Rtt) -> Result<(), ProbeError>;

    /// Reads what the firmware wrote to RTT up-channel 0 since the last read (does not
    /// block; 0 when nothing is new).
    fn read_rtt(&mut self, buf: &mut [u8]) -> Result<usize, ProbeError>;

    /// Unlocks a locked chip by erasing everything (CTRL-AP ERASEALL: application flash,
    /// UICR and settings). Callers go through [`flash_image`], which does this only on an
    /// explicit request and logs it. On a chip that is not locked, probe-rs 0.32 mass-erases
    /// main flash through the flash algorithms, which leave UICR as it is (probe-rs #4225).
    fn recover(&mut self, selector: &Selector, chip: &str) -> Result<(), ProbeError>;

    /// Detaches and lets go of the probe (also done on drop).
    fn close(&mut self);
}

#[cfg(test)]
mod tests;
