//! Which listed probe belongs to a board: match the rack's `probe` entry (VID and serial,
//! PID only when given) against the lister's rows, and build the selector from the row,
//! because J-Link OB product ids differ between kits.

use std::fmt;

use super::{Access, ProbeError, ProbeRow};
use crate::rack::{ProbeMatch, UsbId};

/// Exactly one probe: `VID:PID[-INTERFACE]:SERIAL` in probe-rs syntax (ids in hex).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Selector {
    /// USB vendor id.
    pub vid: UsbId,
    /// USB product id.
    pub pid: UsbId,
    /// USB interface, for composite devices.
    pub interface: Option<u8>,
    /// USB serial string.
    pub serial: Option<String>,
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.vid, self.pid)?;
        if let Some(interface) = self.interface {
            write!(f, "-{interface}")?;
        }
        if let Some(serial) = &self.serial {
            write!(f, ":{serial}")?;
        }
        Ok(())
    }
}

fn describe(wanted: &ProbeMatch) -> String {
    match wanted.pid {
        Some(pid) => format!("{}:{}:{}", wanted.vid, pid, wanted.serial),
        None => format!("{}:*:{}", wanted.vid, wanted.serial),
    }
}

/// The selector of the one listed probe that matches `wanted`; an error names what is
/// attached, or explains a permission problem.
pub fn select(rows: &[ProbeRow], wanted: &ProbeMatch) -> Result<Selector, ProbeError> {
    let matches: Vec<&ProbeRow> = rows
        .iter()
        .filter(|row| {
            row.vid == wanted.vid
                && wanted.pid.is_none_or(|pid| pid == row.pid)
                && row.serial.as_deref() == Some(wanted.serial.as_str())
        })
        .collect();
    match matches.as_slice() {
        [] => Err(ProbeError::NotFound {
            wanted: describe(wanted),
            listed: rows.iter().map(ProbeRow::id).collect(),
        }),
        [row] => match &row.access {
            Access::Accessible => Ok(row.selector()),
            Access::PermissionDenied { explanation } => Err(ProbeError::PermissionDenied {
                probe: row.id(),
                explanation: explanation.clone(),
            }),
        },
        many => Err(ProbeError::Ambiguous {
            wanted: describe(wanted),
            matches: many.iter().map(|r| r.id()).collect(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::udev;

    fn row(vid: u16, pid: u16, serial: &str) -> ProbeRow {
        ProbeRow {
            vid: UsbId(vid),
            pid: UsbId(pid),
            interface: None,
            serial: Some(serial.to_owned()),
            name: "J-Link".to_owned(),
            access: Access::Accessible,
        }
    }

    fn wanted(pid: Option<u16>, serial: &str) -> ProbeMatch {
        ProbeMatch {
            vid: UsbId(0x1366),
            pid: pid.map(UsbId),
            serial: serial.to_owned(),
        }
    }

    #[test]
    fn the_selector_takes_the_pid_from_the_listed_probe() {
        let rows = [
            row(0x1366, 0x1055, "000960066748"),
            row(0x1366, 0x1051, "001050286871"),
            row(0x1915, 0x9100, "THINGY91_1"),
        ];
        let sel = select(&rows, &wanted(None, "001050286871")).unwrap();
        assert_eq!(sel.to_string(), "1366:1051:001050286871");
        let sel = select(&rows, &wanted(Some(0x1055), "000960066748")).unwrap();
        assert_eq!(sel.pid, UsbId(0x1055));
    }

    #[test]
    fn no_match_names_what_is_attached() {
        let rows = [row(0x1366, 0x1055, "000960066748")];
        // The integer form that pynrfjprog prints is not the USB serial.
        let err = select(&rows, &wanted(None, "960066748")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no attached probe matches 1366:*:960066748; attached: 1366:1055:000960066748"
        );
        let err = select(&rows, &wanted(Some(0x1051), "000960066748")).unwrap_err();
        assert!(matches!(err, ProbeError::NotFound { .. }));
        let err = select(&[], &wanted(None, "x")).unwrap_err();
        assert!(err.to_string().ends_with("attached: none"));
    }

    #[test]
    fn two_interfaces_of_one_serial_are_ambiguous_without_a_pid() {
        let rows = [
            row(0x1366, 0x1055, "000960066748"),
            row(0x1366, 0x1051, "000960066748"),
        ];
        let err = select(&rows, &wanted(None, "000960066748")).unwrap_err();
        assert!(matches!(err, ProbeError::Ambiguous { .. }), "{err}");
        assert!(select(&rows, &wanted(Some(0x1051), "000960066748")).is_ok());
    }

    #[test]
    fn a_probe_without_permission_explains_the_udev_rule() {
        let mut denied = row(0x1366, 0x1055, "000960066748");
        denied.access = Access::PermissionDenied {
            explanation: udev::explain(UsbId(0x1366), UsbId(0x1055)),
        };
        let err = select(&[denied], &wanted(None, "000960066748")).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("1366:1055:000960066748 is not accessible"),
            "{text}"
        );
        assert!(
            text.contains(r#"ATTRS{idVendor}=="1366", ATTRS{idProduct}=="1055""#),
            "{text}"
        );
    }
}
