//! One Zephyr log line, split into its parts (`sample-console.md` §1.2):
//! `[HH:MM:SS.mmm,uuu] <lvl> module: message`. The timestamp and the level are optional
//! (plain-text logs and README excerpts drop them); a leading prompt (`uart:~$ `) left by a
//! logger that kept the redraw is skipped.

use std::time::Duration;

use super::lines::DEFAULT_PROMPT;

/// A log level tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    /// `<err>`.
    Err,
    /// `<wrn>`.
    Wrn,
    /// `<inf>`.
    Inf,
    /// `<dbg>`.
    Dbg,
}

impl Level {
    fn parse(tag: &str) -> Option<Level> {
        match tag {
            "<err>" => Some(Level::Err),
            "<wrn>" => Some(Level::Wrn),
            "<inf>" => Some(Level::Inf),
            "<dbg>" => Some(Level::Dbg),
            _ => None,
        }
    }
}

/// The parts of a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogLine<'a> {
    /// Uptime from the timestamp, if the line has one.
    pub uptime: Option<Duration>,
    /// The level, if the line has one.
    pub level: Option<Level>,
    /// The log module (`nrf_provisioning_sample`).
    pub module: &'a str,
    /// The message after `module: `.
    pub message: &'a str,
}

/// Parses `[HH:MM:SS.mmm,uuu]` (hours unbounded) into an uptime.
pub fn parse_timestamp(stamp: &str) -> Option<Duration> {
    let inner = stamp.strip_prefix('[')?.strip_suffix(']')?;
    let (hms, us) = inner.split_once(',')?;
    let (hms, ms) = hms.split_once('.')?;
    let mut parts = hms.split(':');
    let h: u64 = parts.next()?.parse().ok()?;
    let m: u64 = parts.next()?.parse().ok()?;
    let s: u64 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || m > 59 || s > 59 || ms.len() != 3 || us.len() != 3 {
        return None;
    }
    let ms: u64 = ms.parse().ok()?;
    let us: u64 = us.parse().ok()?;
    let secs = h.checked_mul(3600)?.checked_add(m * 60 + s)?;
    Some(Duration::from_secs(secs) + Duration::from_micros(ms * 1000 + us))
}

fn is_module(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Splits a line (escape sequences already removed) into a [`LogLine`]; `None` when it is
/// not a log line. Without a timestamp and a level, only `module: message` with a module
/// name starting `nrf_` (the sample's and the library's) is taken, so that shell output
/// such as `Usage: at <subcommand>` is not mistaken for a log line.
pub fn parse(line: &str) -> Option<LogLine<'_>> {
    let mut rest = line.trim_start();
    while let Some(r) = rest.strip_prefix(DEFAULT_PROMPT.trim_end()) {
        rest = r.trim_start();
    }
    let mut uptime = None;
    if rest.starts_with('[') {
        let end = rest.find(']')?;
        uptime = Some(parse_timestamp(rest.get(..=end)?)?);
        rest = rest.get(end + 1..)?.trim_start();
    }
    let mut level = None;
    if rest.starts_with('<') {
        let end = rest.find('>')?;
        level = Some(Level::parse(rest.get(..=end)?)?);
        rest = rest.get(end + 1..)?.trim_start();
    }
    let (module, message) = rest.split_once(": ")?;
    if !is_module(module) {
        return None;
    }
    if uptime.is_none() && level.is_none() && !module.starts_with("nrf_") {
        return None;
    }
    Some(LogLine {
        uptime,
        level,
        module,
        message: message.trim_end(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_line() {
        let l = parse(
            "[00:01:03.301,300] <err> nrf_provisioning: Failed to get valid modem time, err -116",
        )
        .unwrap();
        assert_eq!(l.uptime, Some(Duration::from_micros(63_301_300)));
        assert_eq!(l.level, Some(Level::Err));
        assert_eq!(l.module, "nrf_provisioning");
        assert_eq!(l.message, "Failed to get valid modem time, err -116");
    }

    #[test]
    fn bare_and_prompted_lines() {
        let l = parse("uart:~$ <inf> nrf_provisioning_http: Connected").unwrap();
        assert_eq!(
            (l.module, l.message),
            ("nrf_provisioning_http", "Connected")
        );
        assert!(parse("nrf_provisioning_sample: Provisioning started").is_some());
        assert!(parse("Usage: at <subcommand>").is_none());
        assert!(parse("[00:00:xx.000,000] <inf> m: x").is_none());
        assert!(parse("<bogus> m: x").is_none());
    }
}
