//! The runner's flashing rules on top of any [`Probe`]:
//!
//! 1. An image with UICR content (hex records, ELF load segments) is refused before the probe is touched, naming
//!    the address range, or handed to `nrfutil device program` when the rack allows.
//! 2. A locked chip (APPROTECT) is recovered only when the caller asks (`recover = true`);
//!    the recovery is reported as an event, because it wipes flash, UICR and settings.
//! 3. After flashing, the chip is reset (optionally with RTT capture).

use std::path::{Path, PathBuf};

use super::uicr::{scan_file, UicrRecords};
use super::{ImageFormat, Probe, ProbeError, Rtt, Selector};

/// What to flash where, and what the caller allows.
#[derive(Debug, Clone)]
pub struct FlashJob<'a> {
    /// The board's probe.
    pub selector: &'a Selector,
    /// The probe-rs target name.
    pub chip: &'a str,
    /// The image (`.hex` or `.elf`).
    pub image: &'a Path,
    /// Erase a locked chip to unlock it (ERASEALL). Never implied.
    pub recover: bool,
    /// Hand UICR images to `nrfutil device program` instead of refusing them.
    pub nrfutil_for_uicr: bool,
    /// RTT handling of the reset after flashing.
    pub rtt: Rtt,
}

/// Something noteworthy that happened while flashing, for the run's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeEvent {
    /// The chip was locked and was recovered (mass-erased) on the caller's request.
    Recovered {
        /// The probe.
        probe: String,
        /// The chip.
        chip: String,
    },
}

/// Words for transcripts.
impl std::fmt::Display for ProbeEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProbeEvent::Recovered { probe, chip } => {
                write!(
                    f,
                    "{chip} behind probe {probe} was locked: recovered (mass erase)"
                )
            }
        }
    }
}

/// How a flash job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlashOutcome {
    /// Flashed and reset through the probe.
    Flashed {
        /// What happened on the way (a recovery).
        events: Vec<ProbeEvent>,
    },
    /// Not flashed: the image writes UICR and the rack says to use `nrfutil device
    /// program` for such images; the caller runs it (the probe is left closed).
    HandToNrfutil {
        /// The image.
        image: PathBuf,
        /// Its UICR records.
        uicr: UicrRecords,
    },
}

/// Flashes `job.image` following the rules of this module. The probe is left open after a
/// successful flash (for RTT reads and later resets).
pub fn flash_image(probe: &mut dyn Probe, job: &FlashJob<'_>) -> Result<FlashOutcome, ProbeError> {
    let format = ImageFormat::of(job.image)?;
    if let Some(uicr) = scan_file(job.image, format)? {
        if job.nrfutil_for_uicr {
            return Ok(FlashOutcome::HandToNrfutil {
                image: job.image.to_path_buf(),
                uicr,
            });
        }
        return Err(ProbeError::UicrInImage {
            image: job.image.to_path_buf(),
            records: uicr,
        });
    }
    let mut events = Vec::new();
    match probe.open(job.selector, job.chip) {
        Ok(()) => {}
        Err(ProbeError::Locked { chip }) if job.recover => {
            probe.recover(job.selector, job.chip)?;
            events.push(ProbeEvent::Recovered {
                probe: job.selector.to_string(),
                chip,
            });
            probe.open(job.selector, job.chip)?;
        }
        Err(e) => return Err(e),
    }
    probe.flash(job.image, format)?;
    probe.reset(job.rtt)?;
    Ok(FlashOutcome::Flashed { events })
}
