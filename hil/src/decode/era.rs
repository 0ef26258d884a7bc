//! The three console eras of `sample-console.md` §0, and telling them apart by the boot
//! banner's NCS version.

use std::fmt;

/// Which generation of the sample firmware printed a console (its strings differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Era {
    /// \[A\] NCS v2.9.0 (and older): START/STOP/DONE only, library chatter at INF, reboot
    /// after DONE.
    V2_9,
    /// \[B\] about NCS 3.0: event callbacks, library chatter still at INF, STOP before the
    /// result lines, the `provisionined` typo.
    V3_0,
    /// \[C\] NCS 3.1+ (the README shows v3.0.99): library chatter at DBG, result lines
    /// before STOP.
    Current,
}

impl Era {
    /// Every era, oldest first.
    pub const ALL: [Era; 3] = [Era::V2_9, Era::V3_0, Era::Current];

    /// Parses `v2.9`, `3.0` or `current` (the spellings of `provlab board --era`).
    pub fn parse(text: &str) -> Option<Era> {
        match text {
            "v2.9" | "2.9" | "v2.9.0" => Some(Era::V2_9),
            "v3.0" | "3.0" => Some(Era::V3_0),
            "current" => Some(Era::Current),
            _ => None,
        }
    }

    /// The spelling [`Era::parse`] takes.
    pub const fn name(self) -> &'static str {
        match self {
            Era::V2_9 => "v2.9",
            Era::V3_0 => "3.0",
            Era::Current => "current",
        }
    }

    /// The era of an NCS version such as `2.9.0-7787b2649840`, `v3.0.2` or `3.3.99`:
    /// below 3.0 is v2.9; 3.0.0 to 3.0.98 is 3.0; 3.0.99 (the \[C\] README banner) and later
    /// is current. `None` when the text is not a version.
    pub fn from_ncs_version(version: &str) -> Option<Era> {
        let version = version.trim_start_matches('v');
        let core = version.split(['-', ' ']).next()?;
        let mut parts = core.split('.').map(|p| p.parse::<u32>().ok());
        let major = parts.next()??;
        let minor = parts.next()??;
        let patch = parts.next().flatten().unwrap_or(0);
        Some(match (major, minor, patch) {
            (0..=2, _, _) => Era::V2_9,
            (3, 0, 0..=98) => Era::V3_0,
            _ => Era::Current,
        })
    }

    /// The era named by a boot banner line (`*** Booting nRF Connect SDK v… ***` or
    /// `*** Using nRF Connect SDK v… ***`), if the line is one.
    pub fn from_banner_line(line: &str) -> Option<Era> {
        let rest = line.split("nRF Connect SDK v").nth(1)?;
        Era::from_ncs_version(rest.trim_end_matches(" ***").trim())
    }

    /// The era of the first banner line in `text` that names an NCS version.
    pub fn detect(text: &str) -> Option<Era> {
        text.lines().find_map(Era::from_banner_line)
    }

    /// This era's bit in a pattern's era set.
    pub(crate) const fn bit(self) -> u8 {
        match self {
            Era::V2_9 => 1,
            Era::V3_0 => 2,
            Era::Current => 4,
        }
    }
}

impl fmt::Display for Era {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_map_to_eras() {
        assert_eq!(Era::from_ncs_version("2.9.0-7787b2649840"), Some(Era::V2_9));
        assert_eq!(
            Era::from_ncs_version("v3.0.2-89ba1294ac9b"),
            Some(Era::V3_0)
        );
        assert_eq!(
            Era::from_ncs_version("3.0.99-ab6a14880c0a"),
            Some(Era::Current)
        );
        assert_eq!(
            Era::from_ncs_version("3.3.99-95ed8f7e7406"),
            Some(Era::Current)
        );
        assert_eq!(Era::from_ncs_version("garbage"), None);
        assert_eq!(
            Era::from_banner_line("*** Booting nRF Connect SDK v2.9.0-7787b2649840 ***"),
            Some(Era::V2_9)
        );
        assert_eq!(
            Era::from_banner_line("*** Using Zephyr OS v3.7.99-1f8f3dc29142 ***"),
            None
        );
    }
}
