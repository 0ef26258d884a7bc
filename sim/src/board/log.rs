//! Zephyr's log output format as the shell log backend prints it (`sample-console.md` §1.2):
//! `[HH:MM:SS.mmm,uuu] `, the level colour, `<inf> `, `module: `, the message (its own CR and
//! LF unchanged), colours off, `\r\n`.

use std::time::Duration;

/// The kernel cycle counter rate on nRF91 (the 32768 Hz RTC).
pub const TICKS_PER_SECOND: u64 = 32_768;
/// Colours off after the message (`\x1B[0m`).
pub const COLOR_OFF: &str = "\x1b[0m";

/// A log level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    /// `<err>`, bold red.
    Err,
    /// `<wrn>`, bold yellow.
    Wrn,
    /// `<inf>`, no colour (the "default" code `\x1B[0m` is still written).
    Inf,
}

impl Level {
    /// The tag, e.g. `<inf>`.
    pub const fn tag(self) -> &'static str {
        match self {
            Level::Err => "<err>",
            Level::Wrn => "<wrn>",
            Level::Inf => "<inf>",
        }
    }

    /// The colour prefix written before the tag.
    pub const fn color(self) -> &'static str {
        match self {
            Level::Err => "\x1b[1;31m",
            Level::Wrn => "\x1b[1;33m",
            Level::Inf => "\x1b[0m",
        }
    }
}

/// Uptime as whole ticks of the 32768 Hz counter (truncated).
pub fn ticks(uptime: Duration) -> u64 {
    let ticks = uptime.as_nanos() * u128::from(TICKS_PER_SECOND) / 1_000_000_000;
    u64::try_from(ticks).unwrap_or(u64::MAX)
}

/// `timestamp_print` with `LOG_OUTPUT_FORMAT_TIMESTAMP`: `[HH:MM:SS.mmm,uuu] ` from a tick
/// count (hours are not wrapped).
pub fn timestamp(ticks: u64) -> String {
    let freq = TICKS_PER_SECOND;
    let total_seconds = ticks / freq;
    let hours = total_seconds / 3600;
    let mins = (total_seconds % 3600) / 60;
    let seconds = total_seconds % 60;
    let remainder = ticks % freq;
    let ms = remainder * 1000 / freq;
    let us = 1000 * (remainder * 1000 - ms * freq) / freq;
    format!("[{hours:02}:{mins:02}:{seconds:02}.{ms:03},{us:03}] ")
}

/// One complete log message, as the bytes the shell log backend writes.
pub fn line(ticks: u64, level: Level, module: &str, message: &str) -> Vec<u8> {
    format!(
        "{}{}{} {module}: {message}{COLOR_OFF}\r\n",
        timestamp(ticks),
        level.color(),
        level.tag()
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_follow_timestamp_print() {
        // sample-console.md §1.2: `261,352` is 8564 ticks.
        assert_eq!(timestamp(8564), "[00:00:00.261,352] ");
        assert_eq!(timestamp(0), "[00:00:00.000,000] ");
        assert_eq!(timestamp(3 * 3600 * 32_768 + 32_767), "[03:00:00.999,969] ");
        assert_eq!(ticks(Duration::from_millis(1000)), 32_768);
        assert_eq!(ticks(Duration::from_micros(261_352)), 8563);
    }

    #[test]
    fn the_documented_example() {
        let bytes = line(
            ticks(Duration::from_micros(5_123_456)) + 1,
            Level::Inf,
            "nrf_provisioning_sample",
            "Provisioning started",
        );
        let text = String::from_utf8(bytes).unwrap();
        assert!(text
            .ends_with("] \x1b[0m<inf> nrf_provisioning_sample: Provisioning started\x1b[0m\r\n"));
    }
}
