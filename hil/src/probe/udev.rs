//! Why a present probe cannot be opened on Linux, and the udev rule that fixes it.

use crate::rack::UsbId;

/// Where probe-rs documents its udev rules file (`69-probe-rs.rules`).
pub const RULES_DOC: &str = "https://probe.rs/docs/getting-started/probe-setup/#udev-rules";

/// The udev rule line that lets the logged-in user and the `plugdev` group open a probe.
pub fn rule_line(vid: UsbId, pid: UsbId) -> String {
    format!(
        r#"ATTRS{{idVendor}}=="{vid}", ATTRS{{idProduct}}=="{pid}", MODE="660", GROUP="plugdev", TAG+="uaccess""#
    )
}

/// The explanation attached to a probe that is present but not accessible.
pub fn explain(vid: UsbId, pid: UsbId) -> String {
    format!(
        "this user may not open the USB device. Add the line\n    {}\nto /etc/udev/rules.d/69-probe-rs.rules (the full file: {RULES_DOC}), run `sudo udevadm control --reload && sudo udevadm trigger`, add the user to the `plugdev` group, and replug the board",
        rule_line(vid, pid)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_names_the_ids_in_lowercase_hex() {
        assert_eq!(
            rule_line(UsbId(0x1366), UsbId(0x1055)),
            r#"ATTRS{idVendor}=="1366", ATTRS{idProduct}=="1055", MODE="660", GROUP="plugdev", TAG+="uaccess""#
        );
        let text = explain(UsbId(0x1915), UsbId(0x910a));
        assert!(text.contains(r#"ATTRS{idProduct}=="910a""#));
        assert!(text.contains("udevadm control --reload"));
    }
}
