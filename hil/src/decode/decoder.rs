//! The line decoder: one console line (escape sequences removed) to a happening, an unknown
//! line, or nothing (a blank line). It keeps the little state the console needs: the era
//! (switched by a boot banner when auto-detecting) and whether the attestation token is due
//! on the next line.

use super::era::Era;
use super::happening::{AtFailure, Happening, Located, Milestone, Unknown};
use super::lines::DEFAULT_PROMPT;
use super::logline;
use super::patterns;

/// The prefix of the run marker lines the console driver types.
pub const RUN_MARKER_PREFIX: &str = "provlab-run-";

/// What one line decodes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A recognised line.
    Happening(Located<Happening>),
    /// A line no pattern matched.
    Unknown(Unknown),
}

/// Decodes lines one at a time (see the module docs).
#[derive(Debug, Clone)]
pub struct LineDecoder {
    era: Era,
    auto: bool,
    token_due: bool,
}

impl LineDecoder {
    /// A decoder for `era`; with `auto`, a boot banner naming another era switches to it.
    pub fn new(era: Era, auto: bool) -> Self {
        LineDecoder {
            era,
            auto,
            token_due: false,
        }
    }

    /// The era lines are decoded as now.
    pub fn era(&self) -> Era {
        self.era
    }

    /// Decodes line `line_no`; `None` for a blank line.
    pub fn line(&mut self, line_no: usize, text: &str) -> Option<Item> {
        let trimmed = text.trim();
        // A blank line, or a prompt alone (a plain-text logger kept it).
        if trimmed.is_empty() || trimmed == DEFAULT_PROMPT.trim_end() {
            return None;
        }
        let token_due = std::mem::take(&mut self.token_due);
        let at = |value: Happening, uptime| {
            Some(Item::Happening(Located {
                line_no,
                uptime,
                value,
            }))
        };
        if let Some(h) = self.banner(trimmed) {
            return at(h, None);
        }
        if let Some(log) = logline::parse(trimmed) {
            let found = patterns::lookup(self.era, log.module, log.message)
                .and_then(|(row, number)| patterns::happening(row, number));
            if let Some(h) = found {
                if h == Happening::Milestone(Milestone::TokenFollows) {
                    self.token_due = true;
                }
                return at(h, log.uptime);
            }
            return Some(Item::Unknown(Unknown {
                line_no,
                text: text.to_owned(),
            }));
        }
        if token_due && is_token(trimmed) {
            return at(
                Happening::AttestationToken {
                    token: trimmed.to_owned(),
                },
                None,
            );
        }
        if let Some(h) = other_line(trimmed) {
            return at(h, None);
        }
        Some(Item::Unknown(Unknown {
            line_no,
            text: text.to_owned(),
        }))
    }

    fn banner(&mut self, line: &str) -> Option<Happening> {
        let inner = line.strip_prefix("*** ")?.strip_suffix(" ***")?;
        if self.auto {
            if let Some(era) = Era::from_banner_line(line) {
                self.era = era;
            }
        }
        if let Some(rest) = inner.strip_prefix("Booting ") {
            if let Some((image, version)) = rest.rsplit_once(" v") {
                return Some(Happening::Boot {
                    image: image.to_owned(),
                    version: version.to_owned(),
                });
            }
        }
        Some(Happening::Banner {
            text: line.to_owned(),
        })
    }
}

/// Whether `text` looks like `<attest>.<cose>` (base64url parts joined by dots).
fn is_token(text: &str) -> bool {
    text.contains('.')
        && text.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'=' | b'+' | b'/')
        })
}

/// Lines that are not log lines: AT errors, shell errors, run markers.
fn other_line(line: &str) -> Option<Happening> {
    if let Some(pos) = line.find(RUN_MARKER_PREFIX) {
        let id: String = line
            .get(pos + RUN_MARKER_PREFIX.len()..)?
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        if !id.is_empty() {
            return Some(Happening::RunMarker { id });
        }
    }
    if line == "ERROR" {
        return Some(Happening::AtError(AtFailure::Error));
    }
    if let Some(code) = line.strip_prefix("+CME ERROR: ") {
        return code
            .trim()
            .parse()
            .ok()
            .map(|c| Happening::AtError(AtFailure::Cme(c)));
    }
    if let Some(code) = line.strip_prefix("+CMS ERROR: ") {
        return code
            .trim()
            .parse()
            .ok()
            .map(|c| Happening::AtError(AtFailure::Cms(c)));
    }
    if let Some(code) = line.strip_prefix("Sending AT command failed with error code ") {
        return code
            .trim()
            .parse()
            .ok()
            .map(|c| Happening::AtError(AtFailure::SendFailed(c)));
    }
    let shell_error = line.ends_with(": command not found")
        || line.ends_with(": wrong parameter count")
        || line.starts_with("not terminated: ")
        || line == "Too many arguments in the command.";
    shell_error.then(|| Happening::ShellError {
        text: line.to_owned(),
    })
}
