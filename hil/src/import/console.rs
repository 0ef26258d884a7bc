//! Reading the console log: checking that the decoder can read it (errors name the line),
//! choosing the era, and decoding it with the HIL runner's decoder ([`crate::decode`]).

use crate::decode::{self, logline, Decoded, Era, Happening, Unknown};

use super::error::ImportError;
use super::source::{Src, Warning};

/// A console log the decoder has read.
#[derive(Debug, Clone)]
pub struct ConsoleLog {
    /// The file as the user named it.
    pub file: String,
    /// The era the log was decoded in.
    pub era: Era,
    /// The boot banner that named the era (`None`: chosen by trying every era).
    pub era_src: Option<Src>,
    /// What the decoder made of the log.
    pub decoded: Decoded,
    /// Lines with `nrf_provisioning now` typed at the shell (1-based).
    pub typed_triggers: Vec<usize>,
    /// For a HIL capture file: the file line of each console line (index: console line).
    pub line_map: Option<Vec<usize>>,
}

impl ConsoleLog {
    /// `file:line` of console line `line` (a line of the file as given).
    pub fn src(&self, line: usize) -> Src {
        Src::new(&self.file, file_line(self.line_map.as_deref(), line))
    }
}

/// The file line of console line `line` under `map`.
fn file_line(map: Option<&[usize]>, line: usize) -> usize {
    map.and_then(|m| m.get(line).copied()).unwrap_or(line)
}

/// Whether `text` is a HIL runner's capture file (`+SSSSSS.mmm <escaped bytes>` lines and
/// `# notes`, `hil/src/console/capture.rs`).
fn is_capture(text: &str) -> bool {
    text.lines()
        .find(|l| !l.starts_with('#') && !l.trim().is_empty())
        .and_then(|l| l.strip_prefix('+'))
        .and_then(|l| l.split_once(' ').map(|(stamp, _)| stamp))
        .and_then(|stamp| stamp.split_once('.'))
        .is_some_and(|(secs, millis)| {
            !secs.is_empty()
                && secs.bytes().all(|b| b.is_ascii_digit())
                && millis.len() == 3
                && millis.bytes().all(|b| b.is_ascii_digit())
        })
}

/// The console bytes of a capture file, and the file line of each console line.
fn from_capture(file: &str, text: &str) -> Result<(Vec<u8>, Vec<usize>), ImportError> {
    let lines = crate::console::parse_capture(text).map_err(|e| ImportError::UnreadableLine {
        file: file.to_owned(),
        line: e.line_no,
        reason: format!("HIL capture file: {}", e.why),
    })?;
    let entries = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#') && !l.is_empty())
        .map(|(i, _)| i + 1);
    let mut bytes = Vec::new();
    // Index 0 unused: console lines count from 1.
    let mut map = vec![0];
    for (line, file_line) in lines.iter().zip(entries) {
        let starts = bytes.iter().filter(|b| **b == b'\n').count() + 1;
        while map.len() <= starts {
            map.push(file_line);
        }
        bytes.extend_from_slice(&line.bytes);
    }
    Ok((bytes, map))
}

/// Reads a console capture (`file` names it in errors and provenance).
///
/// A line of the provisioning modules that no pattern of the era knows is an error naming
/// it, unless `allow_unknown` (then it is passed over with a warning).
pub fn read(
    file: &str,
    bytes: &[u8],
    allow_unknown: bool,
    warnings: &mut Vec<Warning>,
) -> Result<ConsoleLog, ImportError> {
    if let Some(text) = std::str::from_utf8(bytes).ok().filter(|t| is_capture(t)) {
        let (console, map) = from_capture(file, text)?;
        return read_console(file, &console, Some(map), allow_unknown, warnings);
    }
    read_console(file, bytes, None, allow_unknown, warnings)
}

fn read_console(
    file: &str,
    bytes: &[u8],
    line_map: Option<Vec<usize>>,
    allow_unknown: bool,
    warnings: &mut Vec<Warning>,
) -> Result<ConsoleLog, ImportError> {
    let map = line_map.as_deref();
    let at = |line: usize| file_line(map, line);
    let text = std::str::from_utf8(bytes).map_err(|e| ImportError::UnreadableLine {
        file: file.to_owned(),
        line: at(line_of(bytes, e.valid_up_to())),
        reason: "bytes that are not UTF-8 text: a binary file, or a capture at the wrong \
                 baud rate"
            .to_owned(),
    })?;
    for (index, line) in text.split('\n').enumerate() {
        if let Some(bad) = line
            .chars()
            .find(|c| c.is_control() && !matches!(c, '\r' | '\t' | '\x1b' | '\x08' | '\x07'))
        {
            return Err(ImportError::UnreadableLine {
                file: file.to_owned(),
                line: at(index + 1),
                reason: format!(
                    "control character {bad:?}: binary data, or a capture at the wrong baud rate"
                ),
            });
        }
    }
    let (era, era_src) = match banner(text) {
        Some((era, line)) => (era, Some(Src::new(file, at(line)))),
        None => {
            let era = guess_era(text);
            warnings.push(Warning::general(format!(
                "{file}: no boot banner (`*** Booting nRF Connect SDK v... ***`): the era was \
                 taken as {era}, the one whose patterns read the most lines; check the \
                 client generation"
            )));
            (era, None)
        }
    };
    let (_, decoded) = decode::decode_auto(era, text);
    let known = decoded.events.iter().any(|h| {
        !matches!(
            h.value,
            Happening::Banner { .. } | Happening::RunMarker { .. }
        )
    });
    if !known {
        let (line, first) = first_nonblank(text);
        return Err(ImportError::NotAConsoleLog {
            file: file.to_owned(),
            line: at(line),
            reason: if first.is_empty() {
                "the file is empty".to_owned()
            } else {
                format!(
                    "no line the decoder knows; the first line is `{}`",
                    shorten(&first)
                )
            },
        });
    }
    let last_line = text.split('\n').count();
    let cut = !text.ends_with('\n');
    let mut typed_triggers = Vec::new();
    let mut ignored: Vec<&Unknown> = Vec::new();
    for unknown in &decoded.unknown {
        let plain = decode::lines::strip_vt100(&unknown.text);
        let plain = plain.trim();
        if cut && unknown.line_no == last_line {
            return Err(ImportError::UnreadableLine {
                file: file.to_owned(),
                line: at(unknown.line_no),
                reason: format!(
                    "the log ends in the middle of this line (`{}`): the capture is truncated",
                    shorten(plain)
                ),
            });
        }
        if let Some(log) = logline::parse(plain) {
            let ours = log.module.starts_with("nrf_provisioning")
                && log.level != Some(logline::Level::Dbg);
            if ours && !allow_unknown {
                return Err(ImportError::UnreadableLine {
                    file: file.to_owned(),
                    line: at(unknown.line_no),
                    reason: format!(
                        "the decoder does not know this line of `{}` in era {era}: `{}` (a \
                         garbled line, or a message missing from hil/src/decode/patterns.rs; \
                         --allow-unknown-lines passes over such lines)",
                        log.module,
                        shorten(log.message)
                    ),
                });
            }
            if ours {
                warnings.push(Warning::at(
                    &Src::new(file, at(unknown.line_no)),
                    format!(
                        "a line of `{}` the decoder does not know, passed over: `{}`",
                        log.module,
                        shorten(log.message)
                    ),
                ));
                continue;
            }
        }
        if plain.ends_with("nrf_provisioning now") {
            typed_triggers.push(unknown.line_no);
            continue;
        }
        ignored.push(unknown);
    }
    if let Some(first) = ignored.first() {
        warnings.push(Warning::at(
            &Src::new(file, at(first.line_no)),
            format!(
                "{} line(s) the decoder does not know were passed over (other modules, \
                 shell output), the first: `{}`",
                ignored.len(),
                shorten(decode::lines::strip_vt100(&first.text).trim())
            ),
        ));
    }
    Ok(ConsoleLog {
        file: file.to_owned(),
        era,
        era_src,
        decoded,
        typed_triggers,
        line_map,
    })
}

/// The era of the first boot banner and its line.
fn banner(text: &str) -> Option<(Era, usize)> {
    text.split('\n').enumerate().find_map(|(index, line)| {
        let plain = decode::lines::strip_vt100(line);
        Era::from_banner_line(plain.trim()).map(|era| (era, index + 1))
    })
}

/// The era whose patterns leave the fewest lines unknown (the newest on a tie).
fn guess_era(text: &str) -> Era {
    let mut best = (usize::MAX, Era::Current);
    for era in [Era::Current, Era::V3_0, Era::V2_9] {
        let unknown = decode::decode(era, text).unknown.len();
        if unknown < best.0 {
            best = (unknown, era);
        }
    }
    best.1
}

fn first_nonblank(text: &str) -> (usize, String) {
    text.split('\n')
        .enumerate()
        .find(|(_, l)| !l.trim().is_empty())
        .map_or((1, String::new()), |(i, l)| (i + 1, l.trim().to_owned()))
}

fn line_of(bytes: &[u8], at: usize) -> usize {
    bytes
        .get(..at)
        .map_or(1, |b| b.iter().filter(|c| **c == b'\n').count() + 1)
}

/// At most 80 characters of `text`, for messages.
pub fn shorten(text: &str) -> String {
    let mut out: String = text.chars().take(80).collect();
    if text.chars().count() > 80 {
        out.push('…');
    }
    out
}
