//! Finding UICR writes in an image (Intel HEX records, ELF load segments) before it
//! reaches probe-rs.
//!
//! nRF91 has no per-page UICR erase, and probe-rs 0.32's UICR flash algorithm reports a
//! successful erase without erasing, so programming UICR fails unless it is blank
//! (probe-rs #4225). The runner scans the image first and refuses it with a clear message,
//! or hands it to `nrfutil device program` when the rack allows.

use std::fmt;
use std::ops::Range;
use std::path::Path;

use super::{ImageFormat, ProbeError};

/// The nRF91 UICR address range.
pub const UICR: Range<u32> = 0x00FF_8000..0x00FF_9000;

/// The UICR records an image holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UicrRecords {
    /// The image's format (hex records or ELF load segments).
    pub format: ImageFormat,
    /// How many data records (hex) or load segments (ELF) touch UICR.
    pub records: usize,
    /// How many of their bytes fall into UICR.
    pub bytes: usize,
    /// The lowest and one past the highest UICR address written.
    pub span: Range<u32>,
}

impl fmt::Display for UicrRecords {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} write {} byte(s) at {:#010X}..{:#010X}, inside UICR {:#010X}..{:#010X}",
            self.records,
            match self.format {
                ImageFormat::Hex => "hex record(s)",
                ImageFormat::Elf => "ELF load segment(s)",
            },
            self.bytes,
            self.span.start,
            self.span.end,
            UICR.start,
            UICR.end
        )
    }
}

/// Adds the part of `start..end` that lies in UICR to `found`.
fn note(found: &mut Option<UicrRecords>, format: ImageFormat, start: u64, end: u64) {
    let lo = start.max(u64::from(UICR.start));
    let hi = end.min(u64::from(UICR.end));
    if lo >= hi {
        return;
    }
    // Both bounds lie inside UICR, so they fit in u32.
    let (lo, hi) = (
        u32::try_from(lo).unwrap_or(UICR.start),
        u32::try_from(hi).unwrap_or(UICR.end),
    );
    let bytes = usize::try_from(hi - lo).unwrap_or(0);
    *found = Some(match found.take() {
        None => UicrRecords {
            format,
            records: 1,
            bytes,
            span: lo..hi,
        },
        Some(f) => UicrRecords {
            format,
            records: f.records + 1,
            bytes: f.bytes + bytes,
            span: f.span.start.min(lo)..f.span.end.max(hi),
        },
    });
}

/// Scans Intel HEX text for data records inside [`UICR`]; `image` names the file in errors.
pub fn scan_hex(text: &str, image: &Path) -> Result<Option<UicrRecords>, ProbeError> {
    let mut base: u32 = 0;
    let mut found: Option<UicrRecords> = None;
    for (index, record) in ihex::Reader::new(text).enumerate() {
        let record = record.map_err(|source| ProbeError::BadHex {
            image: image.to_path_buf(),
            record: index + 1,
            source,
        })?;
        match record {
            ihex::Record::ExtendedLinearAddress(upper) => base = u32::from(upper) << 16,
            ihex::Record::ExtendedSegmentAddress(segment) => base = u32::from(segment) << 4,
            ihex::Record::Data { offset, value } => {
                let start = u64::from(base) + u64::from(offset);
                note(
                    &mut found,
                    ImageFormat::Hex,
                    start,
                    start + value.len() as u64,
                );
            }
            ihex::Record::EndOfFile => break,
            ihex::Record::StartLinearAddress(_) | ihex::Record::StartSegmentAddress { .. } => {}
        }
    }
    Ok(found)
}

/// Scans a 32-bit little-endian ELF file's bytes for `PT_LOAD` segments whose file
/// content lands (by physical address) inside [`UICR`].
pub fn scan_elf(bytes: &[u8], image: &Path) -> Result<Option<UicrRecords>, ProbeError> {
    let bad = |reason: &'static str| ProbeError::BadElf {
        image: image.to_path_buf(),
        reason,
    };
    if bytes.get(..4) != Some(b"\x7fELF".as_slice()) {
        return Err(bad("no ELF magic"));
    }
    if bytes.get(4) != Some(&1) || bytes.get(5) != Some(&1) {
        return Err(bad("not a 32-bit little-endian ELF (nRF91 images are)"));
    }
    let u16_at = |at: usize| -> Option<u16> {
        Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
    };
    let u32_at = |at: usize| -> Option<u32> {
        Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
    };
    let header = || -> Option<(usize, usize, usize)> {
        let phoff = usize::try_from(u32_at(0x1C)?).ok()?;
        Some((
            phoff,
            usize::from(u16_at(0x2A)?),
            usize::from(u16_at(0x2C)?),
        ))
    };
    let (phoff, phentsize, phnum) = header().ok_or_else(|| bad("truncated ELF header"))?;
    let mut found = None;
    for index in 0..phnum {
        let at = phoff + index * phentsize;
        let segment = || -> Option<(u32, u32, u32)> {
            Some((u32_at(at)?, u32_at(at + 12)?, u32_at(at + 16)?))
        };
        let (kind, paddr, filesz) = segment().ok_or_else(|| bad("truncated program header"))?;
        const PT_LOAD: u32 = 1;
        if kind == PT_LOAD && filesz > 0 {
            let start = u64::from(paddr);
            note(
                &mut found,
                ImageFormat::Elf,
                start,
                start + u64::from(filesz),
            );
        }
    }
    Ok(found)
}

/// Reads an image and scans it (see [`scan_hex`] and [`scan_elf`]).
pub fn scan_file(image: &Path, format: ImageFormat) -> Result<Option<UicrRecords>, ProbeError> {
    let bytes = std::fs::read(image).map_err(|source| ProbeError::ReadImage {
        image: image.to_path_buf(),
        source,
    })?;
    match format {
        ImageFormat::Hex => scan_hex(&String::from_utf8_lossy(&bytes), image),
        ImageFormat::Elf => scan_elf(&bytes, image),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// One Intel HEX record with its checksum.
    pub(crate) fn record(kind: u8, offset: u16, data: &[u8]) -> String {
        let mut bytes = vec![data.len() as u8, (offset >> 8) as u8, offset as u8, kind];
        bytes.extend_from_slice(data);
        let sum = bytes.iter().fold(0u8, |a, b| a.wrapping_add(*b));
        bytes.push(sum.wrapping_neg());
        let hex: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
        format!(":{hex}\n")
    }

    /// An image with application code at 0 and, if `uicr`, four bytes at 0x00FF8000.
    pub(crate) fn image(uicr: bool) -> String {
        let mut text = record(0, 0x0000, &[0x00, 0x10, 0x00, 0x20, 0x01, 0x02, 0x03, 0x04]);
        if uicr {
            text += &record(4, 0, &[0x00, 0xFF]);
            text += &record(0, 0x8000, &[0x5A, 0x00, 0x00, 0x00]);
        }
        text += &record(1, 0, &[]);
        text
    }

    #[test]
    fn an_image_without_uicr_passes() {
        assert_eq!(scan_hex(&image(false), Path::new("a.hex")).unwrap(), None);
    }

    #[test]
    fn uicr_records_are_found_and_named_by_address() {
        let found = scan_hex(&image(true), Path::new("a.hex")).unwrap().unwrap();
        assert_eq!(found.records, 1);
        assert_eq!(found.bytes, 4);
        assert_eq!(found.span, 0x00FF_8000..0x00FF_8004);
        assert_eq!(
            found.to_string(),
            "1 hex record(s) write 4 byte(s) at 0x00FF8000..0x00FF8004, inside UICR 0x00FF8000..0x00FF9000"
        );
    }

    #[test]
    fn records_just_outside_uicr_and_segment_addresses_are_handled() {
        // 0x00FF7FFC..0x00FF8000 ends where UICR starts; 0x00FF9000 is past it.
        let mut text = record(4, 0, &[0x00, 0xFF]);
        text += &record(0, 0x7FFC, &[1, 2, 3, 4]);
        text += &record(0, 0x9000, &[1, 2, 3, 4]);
        text += &record(1, 0, &[]);
        assert_eq!(scan_hex(&text, Path::new("a.hex")).unwrap(), None);
        // A record straddling the start counts only its UICR bytes.
        let mut text = record(4, 0, &[0x00, 0xFF]);
        text += &record(0, 0x7FFE, &[1, 2, 3, 4]);
        text += &record(0, 0x8FFF, &[9, 9]);
        text += &record(1, 0, &[]);
        let found = scan_hex(&text, Path::new("a.hex")).unwrap().unwrap();
        assert_eq!((found.records, found.bytes), (2, 3));
        assert_eq!(found.span, 0x00FF_8000..0x00FF_9000);
        // Segment addressing reaches only 1 MiB: never UICR.
        let mut text = record(2, 0, &[0xF0, 0x00]);
        text += &record(0, 0x8000, &[1]);
        assert_eq!(scan_hex(&text, Path::new("a.hex")).unwrap(), None);
    }

    /// A minimal ELF32 LE file with one PT_LOAD segment per `(paddr, size)`.
    pub(crate) fn elf(segments: &[(u32, u32)]) -> Vec<u8> {
        let mut bytes = vec![0u8; 0x34];
        bytes[..6].copy_from_slice(b"\x7fELF\x01\x01");
        bytes[0x1C..0x20].copy_from_slice(&0x34u32.to_le_bytes());
        bytes[0x2A..0x2C].copy_from_slice(&32u16.to_le_bytes());
        bytes[0x2C..0x2E].copy_from_slice(&(segments.len() as u16).to_le_bytes());
        for (paddr, size) in segments {
            let mut ph = [0u8; 32];
            ph[0..4].copy_from_slice(&1u32.to_le_bytes());
            ph[8..12].copy_from_slice(&paddr.to_le_bytes());
            ph[12..16].copy_from_slice(&paddr.to_le_bytes());
            ph[16..20].copy_from_slice(&size.to_le_bytes());
            bytes.extend_from_slice(&ph);
        }
        bytes
    }

    #[test]
    fn elf_load_segments_in_uicr_are_found() {
        let clean = elf(&[(0, 0x1000), (0x2000_0000, 0x100)]);
        assert_eq!(scan_elf(&clean, Path::new("a.elf")).unwrap(), None);
        let with_uicr = elf(&[(0, 0x1000), (0x00FF_8000, 8)]);
        let found = scan_elf(&with_uicr, Path::new("a.elf")).unwrap().unwrap();
        assert_eq!((found.records, found.bytes), (1, 8));
        assert!(found
            .to_string()
            .starts_with("1 ELF load segment(s) write 8 byte(s)"));
        let err = scan_elf(b"MZ", Path::new("a.elf")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a.elf: not a usable ELF image: no ELF magic"
        );
        let err = scan_elf(&with_uicr[..0x40], Path::new("a.elf")).unwrap_err();
        assert!(
            err.to_string().contains("truncated program header"),
            "{err}"
        );
    }

    #[test]
    fn bad_hex_names_the_record() {
        let text = format!("{}:0400000001\n", record(0, 0, &[1, 2]));
        let err = scan_hex(&text, Path::new("bad.hex")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("bad.hex: record 2: not Intel HEX"),
            "{err}"
        );
    }
}
