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
}

impl ConsoleLog {
    /// `file:line` of this log.
    pub fn src(&self, line: usize) -> Src {
        Src::new(&self.file, line)
    }
}

/// Reads a console capture (`file` names it in errors and provenance).
pub fn read(
    file: &str,
    bytes: &[u8],
    warnings: &mut Vec<Warning>,
) -> Result<ConsoleLog, ImportError> {
    let text = std::str::from_utf8(bytes).map_err(|e| ImportError::UnreadableLine {
        file: file.to_owned(),
        line: line_of(bytes, e.valid_up_to()),
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
                line: index + 1,
                reason: format!(
                    "control character {bad:?}: binary data, or a capture at the wrong baud rate"
                ),
            });
        }
    }
    let (era, era_src) = match banner(text) {
        Some((era, line)) => (era, Some(Src::new(file, line))),
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
            line,
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
                line: unknown.line_no,
                reason: format!(
                    "the log ends in the middle of this line (`{}`): the capture is truncated",
                    shorten(plain)
                ),
            });
        }
        if let Some(log) = logline::parse(plain) {
            if log.module.starts_with("nrf_provisioning") && log.level != Some(logline::Level::Dbg)
            {
                return Err(ImportError::UnreadableLine {
                    file: file.to_owned(),
                    line: unknown.line_no,
                    reason: format!(
                        "the decoder does not know this line of `{}` in era {era}: `{}`",
                        log.module,
                        shorten(log.message)
                    ),
                });
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
            &Src::new(file, first.line_no),
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
