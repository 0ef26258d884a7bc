//! Time formatting for `+CCLK?` / `%CCLK?`, from Unix seconds supplied by the caller.
//!
//! Format (Nordic "nRF91 AT Commands" reference, `%CCLK` read command, and 3GPP TS 27.007
//! §8.15 `+CCLK`): `"yy/MM/dd,hh:mm:ss±zz"`, where `zz` is the local time zone offset from
//! GMT in quarter hours. The simulated network gives UTC, so `zz` is always `+00` and the
//! `%CCLK` daylight saving time field is `0` (ours: the simulated network always sends it).

/// A UTC calendar date and time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime {
    /// Full year, e.g. 2024.
    pub year: i64,
    /// Month 1–12.
    pub month: u32,
    /// Day of month 1–31.
    pub day: u32,
    /// Hour 0–23.
    pub hour: u32,
    /// Minute 0–59.
    pub minute: u32,
    /// Second 0–59.
    pub second: u32,
}

impl DateTime {
    /// The UTC date and time of `unix` seconds since 1970-01-01T00:00:00Z.
    pub fn from_unix(unix: u64) -> Self {
        let days = (unix / 86_400) as i64;
        let secs = (unix % 86_400) as u32;
        let (year, month, day) = civil_from_days(days);
        Self {
            year,
            month,
            day,
            hour: secs / 3600,
            minute: secs / 60 % 60,
            second: secs % 60,
        }
    }

    /// `yy/MM/dd,hh:mm:ss+00` (no quotes).
    pub fn cclk_text(&self) -> String {
        format!(
            "{:02}/{:02}/{:02},{:02}:{:02}:{:02}+00",
            self.year.rem_euclid(100),
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second
        )
    }
}

/// Year, month, day of a day count since 1970-01-01 (proleptic Gregorian; the well-known
/// era-based algorithm by Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms").
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The `+CCLK: "…"` information line.
pub fn plus_cclk_line(unix: u64) -> String {
    format!("+CCLK: \"{}\"", DateTime::from_unix(unix).cclk_text())
}

/// The `%CCLK: "…",0` information line.
pub fn percent_cclk_line(unix: u64) -> String {
    format!("%CCLK: \"{}\",0", DateTime::from_unix(unix).cclk_text())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(DateTime::from_unix(0).cclk_text(), "70/01/01,00:00:00+00");
        // 2024-02-29T23:59:59Z (leap day).
        assert_eq!(
            DateTime::from_unix(1_709_251_199).cclk_text(),
            "24/02/29,23:59:59+00"
        );
        // 2000-03-01T12:34:56Z.
        assert_eq!(
            DateTime::from_unix(951_914_096).cclk_text(),
            "00/03/01,12:34:56+00"
        );
        assert_eq!(
            percent_cclk_line(1_700_000_000),
            "%CCLK: \"23/11/14,22:13:20+00\",0"
        );
        assert_eq!(
            plus_cclk_line(1_700_000_000),
            "+CCLK: \"23/11/14,22:13:20+00\""
        );
    }
}
