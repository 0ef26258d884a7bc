//! A board driven through its console ([`Console`]): the [`BoardLink`] of every rack board,
//! real (serial port, probe) or virtual (PTY). It holds the board's lease for as long as it
//! lives, so console and probe are released together.

use std::time::Duration;

use sha2::{Digest as _, Sha256};

use super::board::{BoardError, BoardLink, BoardOutput};
use crate::console::{AtResult, ByteStream, Console, ConsoleError};
use crate::decode::Happening;
use crate::lease::Lease;
use crate::probe::Probe;
use crate::timeline::{answer_text, request_text};
use crate::virtual_board::VirtualBoard;

/// Per-command deadlines of a console board.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    /// One shell command (`nrf_provisioning token`, `at …`).
    pub command: Duration,
    /// From power on to the prompt.
    pub boot: Duration,
}

/// What a board is besides its console: the things released with it.
#[derive(Default)]
pub struct Held {
    /// The board's lease.
    pub lease: Option<Lease>,
    /// The virtual board behind the console, for `virtual` rack entries.
    pub virtual_board: Option<VirtualBoard>,
    /// The rack's power control: `off` and `on` argv.
    pub power: Option<(Vec<String>, Vec<String>)>,
    /// The board's debug probe, kept open for the run.
    pub probe: Option<Box<dyn Probe + Send>>,
    /// Whether the probe captures the firmware's RTT output.
    pub rtt: bool,
}

impl std::fmt::Debug for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Held")
            .field("lease", &self.lease)
            .field("virtual_board", &self.virtual_board)
            .field("probe", &self.probe.is_some())
            .finish_non_exhaustive()
    }
}

/// A board behind its console (see the module docs).
pub struct ConsoleBoard<S: ByteStream> {
    id: String,
    console: Console<S>,
    root_ca_sec_tag: u32,
    deadlines: Deadlines,
    held: Held,
    /// Outputs decoded but not yet returned by [`BoardLink::poll`].
    pending: Vec<BoardOutput>,
    /// RTT bytes of a line not yet complete (when the probe captures RTT).
    rtt_partial: Vec<u8>,
}

impl<S: ByteStream> std::fmt::Debug for ConsoleBoard<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleBoard")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl<S: ByteStream> ConsoleBoard<S> {
    /// A board `id` on `console` (already opened, its run started) whose firmware checks the
    /// service with the root CA at `root_ca_sec_tag`, holding `held`.
    pub fn new(
        id: impl Into<String>,
        console: Console<S>,
        root_ca_sec_tag: u32,
        deadlines: Deadlines,
        held: Held,
    ) -> Self {
        Self {
            id: id.into(),
            console,
            root_ca_sec_tag,
            deadlines,
            held,
            pending: Vec::new(),
            rtt_partial: Vec::new(),
        }
    }

    /// Moves the console's new happenings into `pending`; whether a boot banner was among
    /// them.
    fn drain(&mut self) -> bool {
        let mut booted = false;
        for happening in self.console.new_happenings() {
            match happening.value {
                Happening::Event {
                    event,
                    next_attempt_s,
                } => self.pending.push(BoardOutput::Event {
                    event,
                    detail: next_attempt_s.map(|s| s.to_string()),
                }),
                Happening::Boot { .. } => {
                    booted = true;
                    self.pending.push(BoardOutput::Booted);
                }
                Happening::RunMarker { .. } => {}
                Happening::Request { transport, request } => self
                    .pending
                    .push(BoardOutput::Request(request_text(transport, request))),
                Happening::Answer {
                    answer, records, ..
                } => self
                    .pending
                    .push(BoardOutput::Answer(answer_text(answer, records))),
                other => self.pending.push(BoardOutput::Line(other.to_string())),
            }
        }
        booted
    }

    /// Moves what the firmware wrote to RTT since the last read into the output, a line at
    /// a time (a partial line waits for its end).
    fn read_rtt(&mut self) -> Result<(), BoardError> {
        if !self.held.rtt {
            return Ok(());
        }
        let Some(probe) = self.held.probe.as_mut() else {
            return Ok(());
        };
        let mut buf = [0u8; 1024];
        for _ in 0..64 {
            let n = probe.read_rtt(&mut buf).map_err(|e| {
                BoardError::Infrastructure(format!("{}: reading RTT: {e}", self.id))
            })?;
            if n == 0 {
                break;
            }
            self.rtt_partial
                .extend_from_slice(buf.get(..n).unwrap_or_default());
        }
        while let Some(end) = self.rtt_partial.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.rtt_partial.drain(..=end).collect();
            let text = String::from_utf8_lossy(&line).trim_end().to_owned();
            self.pending.push(BoardOutput::Line(format!("rtt: {text}")));
        }
        Ok(())
    }

    /// Adds a line of the runner's own to the board's output (a chip recovery, an image
    /// programmed by nrfutil), so that it reaches the transcript.
    pub fn note(&mut self, line: impl Into<String>) {
        self.pending.push(BoardOutput::Note(line.into()));
    }

    /// Takes over `lease`: the board is released when this link is dropped.
    pub fn hold_lease(&mut self, lease: Lease) {
        self.held.lease = Some(lease);
    }

    /// Starts the run on the console: a marker line, so that nothing printed before it
    /// counts for this run and nothing after it is lost.
    pub fn start_run(&mut self, run: &str) -> Result<(), BoardError> {
        self.console
            .start_run(run, self.deadlines.boot)
            .map_err(|e| classify(&self.id, e))
    }

    /// Checks that the modem runs `wanted` (`AT+CGMR`); a board with other modem firmware is
    /// the lab's problem (the rack says what it should run), not the product's.
    pub fn check_modem_firmware(&mut self, wanted: &str) -> Result<(), BoardError> {
        let lines = self.at_ok("AT+CGMR")?;
        let running = lines
            .iter()
            .map(|l| l.trim())
            .find(|l| !l.is_empty())
            .unwrap_or_default()
            .to_owned();
        if running == wanted {
            Ok(())
        } else {
            Err(BoardError::Infrastructure(format!(
                "{}: the modem runs `{running}`, the rack says `{wanted}`",
                self.id
            )))
        }
    }

    /// The virtual board behind the console, if any (tests pull its plug).
    pub fn virtual_board_mut(&mut self) -> Option<&mut VirtualBoard> {
        self.held.virtual_board.as_mut()
    }

    /// An `at` command that must end in `OK`.
    fn at_ok(&mut self, command: &str) -> Result<Vec<String>, BoardError> {
        let reply = self
            .console
            .at(command, self.deadlines.command)
            .map_err(|e| classify(&self.id, e))?;
        match reply.result {
            AtResult::Ok => Ok(reply.lines),
            other => Err(BoardError::Product(format!(
                "{}: `{}` answered {other:?}",
                self.id,
                short(command)
            ))),
        }
    }
}

/// A console error as the lab's (port gone, no answer in time) or the product's.
fn classify(board: &str, e: ConsoleError) -> BoardError {
    match e {
        ConsoleError::PortVanished { .. } | ConsoleError::Timeout { .. } => {
            BoardError::Infrastructure(format!("{board}: {e}"))
        }
        other => BoardError::Product(format!("{board}: {other}")),
    }
}

/// Whether a refused trigger says the library is not initialized yet (`Not initialized` in
/// v2.9, `Provisioning library is not initialized` in 3.0 and later).
fn not_initialized(text: &str) -> bool {
    text.contains("Not initialized") || text.contains("not initialized")
}

/// The first 60 characters of a command, for messages (certificates are long).
fn short(command: &str) -> String {
    match command.char_indices().nth(60) {
        Some((i, _)) => format!("{}…", &command[..i]),
        None => command.to_owned(),
    }
}

/// `(tag, type)` of a `%CMNG: <tag>,<type>[,"<sha>"]` listing line.
fn cmng_entry(line: &str) -> Option<(u32, u8)> {
    let rest = line.trim().strip_prefix("%CMNG:")?;
    let mut fields = rest.split(',').map(str::trim);
    let tag = fields.next()?.parse().ok()?;
    let kind = fields.next()?.parse().ok()?;
    Some((tag, kind))
}

/// The modem's `%CMNG` digest of a credential's content.
fn cmng_sha(content: &str) -> String {
    hex::encode_upper(Sha256::digest(content.as_bytes()))
}

impl<S: ByteStream> BoardLink for ConsoleBoard<S> {
    fn id(&self) -> &str {
        &self.id
    }

    fn attestation_token(&mut self) -> Result<String, BoardError> {
        self.console
            .token(self.deadlines.command)
            .map_err(|e| classify(&self.id, e))
    }

    fn root_ca_sec_tag(&self) -> u32 {
        self.root_ca_sec_tag
    }

    fn ensure_root_ca(&mut self, pem: &str) -> Result<bool, BoardError> {
        let sec_tag = self.root_ca_sec_tag;
        let listed = self.at_ok(&format!("AT%CMNG=1,{sec_tag},0"))?;
        // The firmware may have stored it without the final line break, or with CR LF
        // line ends turned into LF (the sample's `cert_provision`).
        let normalised = pem.trim_end().replace("\r\n", "\n");
        let wanted = [cmng_sha(pem), cmng_sha(&normalised)];
        if listed
            .iter()
            .any(|l| wanted.iter().any(|sha| l.contains(sha.as_str())))
        {
            return Ok(false);
        }
        // The modem takes credentials only while it is offline.
        self.at_ok("AT+CFUN=4")?;
        if !listed.is_empty() {
            self.at_ok(&format!("AT%CMNG=3,{sec_tag},0"))?;
        }
        let written = self.at_ok(&format!("AT%CMNG=0,{sec_tag},0,\"{pem}\""));
        self.at_ok("AT+CFUN=1")?;
        written.map(|_| true)
    }

    fn trigger(&mut self) -> Result<(), BoardError> {
        // Until the library is initialized (v2.9 and 3.0 initialize it after the LTE attach)
        // the shell refuses `now`; the simulation holds such a trigger until init, and so
        // does this, within the boot deadline.
        let until = std::time::Instant::now() + self.deadlines.boot;
        loop {
            match self.console.provision_now(self.deadlines.command) {
                Ok(_) => return Ok(()),
                Err(e @ ConsoleError::UnexpectedAnswer { .. })
                    if not_initialized(&e.to_string()) && std::time::Instant::now() < until =>
                {
                    self.console
                        .pump(Duration::from_millis(50))
                        .map_err(|e| classify(&self.id, e))?;
                    self.drain();
                }
                Err(e) => return Err(classify(&self.id, e)),
            }
        }
    }

    fn power_cycle(&mut self, off_for: Option<Duration>) -> Result<(), BoardError> {
        match &self.held.power {
            Some((off, on)) => {
                run_power(&self.id, off)?;
                std::thread::sleep(off_for.unwrap_or(Duration::from_secs(1)));
                run_power(&self.id, on)?;
            }
            None => {
                // No power control: a cold reboot of the firmware is the closest thing.
                self.console
                    .write_line("kernel reboot cold")
                    .map_err(|e| classify(&self.id, e))?;
            }
        }
        self.drain();
        let until = std::time::Instant::now() + self.deadlines.boot;
        loop {
            self.console
                .pump(Duration::from_millis(50))
                .map_err(|e| classify(&self.id, e))?;
            if self.drain() {
                return Ok(());
            }
            if std::time::Instant::now() >= until {
                return Err(BoardError::Infrastructure(format!(
                    "{}: no boot banner within {:?} of the power cycle",
                    self.id, self.deadlines.boot
                )));
            }
        }
    }

    fn poll(&mut self, wait: Duration) -> Result<Vec<BoardOutput>, BoardError> {
        self.console.pump(wait).map_err(|e| classify(&self.id, e))?;
        self.drain();
        self.read_rtt()?;
        Ok(std::mem::take(&mut self.pending))
    }

    fn credentials(&mut self) -> Result<Option<Vec<(u32, u8)>>, BoardError> {
        let lines = self.at_ok("AT%CMNG=1")?;
        let mut listed: Vec<(u32, u8)> = lines.iter().filter_map(|l| cmng_entry(l)).collect();
        listed.sort_unstable();
        Ok(Some(listed))
    }

    fn capture(&self) -> Vec<u8> {
        self.console.capture().bytes().to_vec()
    }
}

/// Runs one of the rack's power commands.
fn run_power(board: &str, argv: &[String]) -> Result<(), BoardError> {
    let Some((program, args)) = argv.split_first() else {
        return Ok(());
    };
    let status = std::process::Command::new(program)
        .args(args)
        .status()
        .map_err(|e| {
            BoardError::Infrastructure(format!("{board}: power command `{program}`: {e}"))
        })?;
    if status.success() {
        Ok(())
    } else {
        Err(BoardError::Infrastructure(format!(
            "{board}: power command `{}` failed: {status}",
            argv.join(" ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::cmng_entry;

    #[test]
    fn cmng_listing_lines_give_tag_and_type() {
        assert_eq!(
            cmng_entry("%CMNG: 16842753,0,\"ABCD\""),
            Some((16_842_753, 0))
        );
        assert_eq!(cmng_entry("  %CMNG: 42,2"), Some((42, 2)));
        assert_eq!(cmng_entry("OK"), None);
        assert_eq!(cmng_entry("%CMNG: x,0"), None);
    }
}
