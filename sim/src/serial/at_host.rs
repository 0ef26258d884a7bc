//! The modem behind a plain AT host: bytes in, answers out, no echo.
//!
//! Bytes go through the [`LineAssembler`] of `provlab_proto::at` (CR, LF or NUL outside
//! double quotes end a command; quoted CR/LF are data; lines are bounded). Each complete line
//! is run by [`Modem::execute`], and its framed answer is sent after the answer's delay. A line
//! longer than the limit is answered `ERROR` once, and the modem goes on with the next one.
//!
//! One recovery rule on top of the line discipline: a host that dies inside a quoted string
//! (say, half way through a certificate) would leave every later command "inside quotes", so
//! the modem would never answer again. When the pending line is inside quotes and nothing has
//! been received for [`AtHostConfig::quote_idle_reset`], the next bytes start a fresh line.

use std::time::Duration;

use provlab_proto::at::{Answer, LineAssembler, LineEvent, DEFAULT_MAX_LINE_LEN};

use super::output::Out;
use super::{Emission, FrontEnd, Now, SerialError};
use crate::modem::Modem;

/// Settings of an [`AtHost`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AtHostConfig {
    /// Longest accepted command line in bytes (terminator excluded).
    pub max_line_len: usize,
    /// Idle time after which a line left open inside double quotes is forgotten.
    pub quote_idle_reset: Duration,
}

impl Default for AtHostConfig {
    /// [`DEFAULT_MAX_LINE_LEN`] (8 KiB) and 2 s.
    fn default() -> Self {
        AtHostConfig {
            max_line_len: DEFAULT_MAX_LINE_LEN,
            quote_idle_reset: Duration::from_secs(2),
        }
    }
}

/// The AT-host front-end around a [`Modem`] (see the module docs).
pub struct AtHost {
    modem: Modem,
    lines: LineAssembler,
    config: AtHostConfig,
    last_rx: Option<Duration>,
}

impl AtHost {
    /// An AT host with the default settings.
    pub fn new(modem: Modem) -> Self {
        Self::with_config(modem, AtHostConfig::default())
    }

    /// An AT host with the given settings.
    pub fn with_config(modem: Modem, config: AtHostConfig) -> Self {
        AtHost {
            modem,
            lines: LineAssembler::with_max_len(config.max_line_len),
            config,
            last_rx: None,
        }
    }

    /// The settings in force.
    pub fn config(&self) -> &AtHostConfig {
        &self.config
    }

    /// The modem, mutably (e.g. to inject faults between commands).
    pub fn modem_mut(&mut self) -> &mut Modem {
        &mut self.modem
    }

    /// Gives the modem back.
    pub fn into_modem(self) -> Modem {
        self.modem
    }

    /// Whether a partial command is pending (bytes received without their terminator).
    pub fn has_partial_line(&self) -> bool {
        !self.lines.pending().is_empty() || self.lines.is_discarding()
    }

    fn forget_stale_quote(&mut self, now: Now) {
        let idle = match self.last_rx {
            Some(last) => now.monotonic.saturating_sub(last),
            None => return,
        };
        if self.lines.in_quotes() && idle >= self.config.quote_idle_reset {
            self.lines.reset();
        }
    }
}

impl FrontEnd for AtHost {
    fn start(&mut self, _now: Now) -> Vec<Emission> {
        Vec::new()
    }

    fn push(&mut self, now: Now, bytes: &[u8]) -> Result<Vec<Emission>, SerialError> {
        if bytes.is_empty() {
            return Ok(Vec::new());
        }
        self.forget_stale_quote(now);
        self.last_rx = Some(now.monotonic);
        let mut out = Out::default();
        for event in self.lines.push(bytes) {
            match event {
                LineEvent::Line(line) => {
                    let reply = self.modem.execute(now.unix, &line);
                    out.after(reply.delay, reply.text.as_bytes());
                    if reply.reboot {
                        self.modem.reboot()?;
                    }
                }
                LineEvent::Error(_) => {
                    out.bytes(Answer::error().render(self.modem.cmee()).as_bytes());
                }
            }
        }
        Ok(out.finish())
    }

    fn modem(&self) -> &Modem {
        &self.modem
    }
}
