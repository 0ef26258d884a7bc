//! Why a probe operation failed.

use std::path::PathBuf;

use super::uicr::UicrRecords;

/// A probe operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// No listed probe matches the board's `probe` entry.
    #[error(
        "no attached probe matches {wanted}; attached: {}",
        list_or_none(listed)
    )]
    NotFound {
        /// The rack's entry, as `vid[:pid]:serial`.
        wanted: String,
        /// What is attached.
        listed: Vec<String>,
    },
    /// Several listed probes match.
    #[error("several attached probes match {wanted}: {}; give `probe.pid` to choose", matches.join(", "))]
    Ambiguous {
        /// The rack's entry.
        wanted: String,
        /// The matching probes.
        matches: Vec<String>,
    },
    /// The probe is there but this user may not open it.
    #[error("probe {probe} is not accessible: {explanation}")]
    PermissionDenied {
        /// The probe.
        probe: String,
        /// How to grant access.
        explanation: String,
    },
    /// The probe went away (unplugged, re-enumerated, or held by another process).
    #[error("probe {probe} vanished or is held by another process")]
    Vanished {
        /// The probe.
        probe: String,
    },
    /// The chip's debug port is locked (APPROTECT).
    #[error("chip {chip} is locked (APPROTECT); recovering erases application flash, UICR and settings (ERASEALL), so it is done only when asked for explicitly (recover = true)")]
    Locked {
        /// The chip.
        chip: String,
    },
    /// The image writes UICR, which probe-rs 0.32 cannot program on nRF91.
    #[error("{}: {records}; probe-rs cannot program UICR on nRF91 unless it is blank (probe-rs #4225); recover the chip first, or set `nrfutil_for_uicr = true` to hand the image to `nrfutil device program`", image.display())]
    UicrInImage {
        /// The image.
        image: PathBuf,
        /// The UICR records found.
        records: UicrRecords,
    },
    /// The image's extension is not `.hex` or `.elf`.
    #[error("{}: unknown image format (expected .hex or .elf)", image.display())]
    UnknownFormat {
        /// The image.
        image: PathBuf,
    },
    /// The image could not be read.
    #[error("{}: cannot read the image: {source}", image.display())]
    ReadImage {
        /// The image.
        image: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The image is not valid Intel HEX.
    #[error("{}: record {record}: not Intel HEX: {source}", image.display())]
    BadHex {
        /// The image.
        image: PathBuf,
        /// 1-based number of the bad record.
        record: usize,
        /// The parser's complaint.
        source: ihex::ReaderError,
    },
    /// The image is not a 32-bit little-endian ELF file.
    #[error("{}: not a usable ELF image: {reason}", image.display())]
    BadElf {
        /// The image.
        image: PathBuf,
        /// What is wrong.
        reason: &'static str,
    },
    /// An operation that needs an open probe was called before [`super::Probe::open`].
    #[error("no probe is open")]
    NotOpen,
    /// [`super::Probe::read_rtt`] without an RTT capture started by a reset.
    #[error(
        "RTT is not attached: reset with RTT capture first (the firmware must be built with RTT)"
    )]
    RttNotAttached,
    /// A failure injected into the fake probe.
    #[error("{op}: {what}")]
    Injected {
        /// The operation.
        op: &'static str,
        /// What the test said went wrong.
        what: String,
    },
    /// Opening the probe failed in probe-rs.
    #[error("opening probe {probe}: {source}")]
    Open {
        /// The probe.
        probe: String,
        /// probe-rs's error.
        source: probe_rs::probe::DebugProbeError,
    },
    /// Attaching, resetting or reading the core failed in probe-rs.
    #[error("{op}: {source}")]
    Target {
        /// The operation.
        op: &'static str,
        /// probe-rs's error.
        source: probe_rs::Error,
    },
    /// Flashing failed in probe-rs.
    #[error("{}: flashing failed: {source}", image.display())]
    Flash {
        /// The image.
        image: PathBuf,
        /// probe-rs's error.
        source: probe_rs::flashing::FileDownloadError,
    },
    /// Erasing failed in probe-rs.
    #[error("erasing the chip failed: {source}")]
    Erase {
        /// probe-rs's error.
        source: probe_rs::flashing::FlashError,
    },
    /// RTT failed in probe-rs.
    #[error("RTT: {source}")]
    Rtt {
        /// probe-rs's error.
        source: probe_rs::rtt::Error,
    },
}

fn list_or_none(listed: &[String]) -> String {
    if listed.is_empty() {
        "none".to_owned()
    } else {
        listed.join(", ")
    }
}
