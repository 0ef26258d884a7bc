//! Finding UICR writes in an Intel HEX image before it reaches probe-rs.
//!
//! nRF91 has no per-page UICR erase, and probe-rs 0.32's UICR flash algorithm reports a
//! successful erase without erasing, so programming UICR fails unless it is blank
//! (probe-rs #4225). The runner scans the image first and refuses it with a clear message,
//! or hands it to `nrfutil device program` when the rack allows.

use std::fmt;
use std::ops::Range;
use std::path::Path;

use super::ProbeError;

/// The nRF91 UICR address range.
pub const UICR: Range<u32> = 0x00FF_8000..0x00FF_9000;

/// The UICR records an image holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UicrRecords {
    /// How many data records touch UICR.
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
            "{} hex record(s) write {} byte(s) at {:#010X}..{:#010X}, inside UICR {:#010X}..{:#010X}",
            self.records, self.bytes, self.span.start, self.span.end, UICR.start, UICR.end
        )
    }
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
                let end = start + value.len() as u64;
                let lo = start.max(u64::from(UICR.start));
                let hi = end.min(u64::from(UICR.end));
                if lo < hi {
                    // Both bounds lie inside UICR, so they fit in u32.
                    let (lo, hi) = (
                        u32::try_from(lo).unwrap_or(UICR.start),
                        u32::try_from(hi).unwrap_or(UICR.end),
                    );
                    let bytes = usize::try_from(hi - lo).unwrap_or(0);
                    found = Some(match found {
                        None => UicrRecords {
                            records: 1,
                            bytes,
                            span: lo..hi,
                        },
                        Some(f) => UicrRecords {
                            records: f.records + 1,
                            bytes: f.bytes + bytes,
                            span: f.span.start.min(lo)..f.span.end.max(hi),
                        },
                    });
                }
            }
            ihex::Record::EndOfFile => break,
            ihex::Record::StartLinearAddress(_) | ihex::Record::StartSegmentAddress { .. } => {}
        }
    }
    Ok(found)
}

/// Reads an Intel HEX file and scans it (see [`scan_hex`]).
pub fn scan_hex_file(image: &Path) -> Result<Option<UicrRecords>, ProbeError> {
    let text = std::fs::read_to_string(image).map_err(|source| ProbeError::ReadImage {
        image: image.to_path_buf(),
        source,
    })?;
    scan_hex(&text, image)
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
