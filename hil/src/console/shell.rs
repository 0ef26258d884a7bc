//! [`Console`]: the driver of the sample firmware's Zephyr shell over a [`ByteStream`].
//!
//! * Every byte read goes to the [`Capture`] first, then to a line assembler (commands)
//!   and to the live [`StreamDecoder`] (happenings of the current run).
//! * [`Console::start_run`] types a unique marker line; the run starts at the first byte
//!   of its echo, so bytes of an earlier run (even those still in flight when the marker
//!   was typed) stay out of it and no later byte is lost.
//! * [`Console::command`] types a line and returns its output: the echo is found (also
//!   when log lines interrupt it and the shell redraws the half-typed command), log lines
//!   are set apart, and the prompt ends the answer. Every command has a deadline.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::capture::Capture;
use super::error::{ConsoleError, StreamError};
use super::quote::at_line;
use super::stream::ByteStream;
use crate::decode::lines::{LineAssembler, Token};
use crate::decode::{logline, Decoded, Era, Happening, Located, StreamDecoder, RUN_MARKER_PREFIX};

/// How the driver behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleConfig {
    /// The era to decode with until a boot banner names one.
    pub era: Era,
    /// Longest line the shell takes (`CONFIG_SHELL_CMD_BUFF_SIZE`: 256 by default, 2048
    /// with the AT shell overlay).
    pub max_line: usize,
    /// Long lines are written in chunks of this size…
    pub write_chunk: usize,
    /// …with this pause between chunks (the v2.9 overlay's RX ring is 512 bytes).
    pub chunk_pause: Duration,
    /// Silence that ends the drain before a run marker.
    pub quiet: Duration,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        ConsoleConfig {
            era: Era::Current,
            max_line: 2048,
            write_chunk: 64,
            chunk_pause: Duration::from_millis(10),
            quiet: Duration::from_millis(200),
        }
    }
}

/// A shell command's answer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reply {
    /// The command typed.
    pub command: String,
    /// Its output lines (escape sequences removed), blank lines included.
    pub lines: Vec<String>,
    /// Log lines printed while it ran.
    pub logs: Vec<String>,
}

impl Reply {
    /// The output lines that are not blank.
    pub fn text_lines(&self) -> impl Iterator<Item = &str> {
        self.lines
            .iter()
            .map(|l| l.trim())
            .filter(|l| !l.is_empty())
    }
}

/// The modem's final result code for an `at` command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtResult {
    /// `OK`.
    Ok,
    /// `ERROR`.
    Error,
    /// `+CME ERROR: n`.
    Cme(u32),
    /// `+CMS ERROR: n`.
    Cms(u32),
    /// The AT shell could not send it (`Sending AT command failed with error code N`).
    SendFailed(i32),
}

/// An `at` command's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtReply {
    /// The response lines before the final result code (blank lines dropped).
    pub lines: Vec<String>,
    /// The final result code.
    pub result: AtResult,
}

/// The driver (see the module docs).
#[derive(Debug)]
pub struct Console<S: ByteStream> {
    stream: S,
    config: ConsoleConfig,
    capture: Capture,
    lines: LineAssembler,
    tokens: VecDeque<Token>,
    decoder: StreamDecoder,
    decoded: Decoded,
    seen: usize,
    run: Option<(String, usize)>,
}

impl<S: ByteStream> Console<S> {
    /// A console over `stream`, recording into `capture`. On a rack, open the port (and
    /// build this) before resetting the board.
    pub fn new(stream: S, capture: Capture, config: ConsoleConfig) -> Self {
        Console {
            stream,
            decoder: StreamDecoder::auto(config.era),
            config,
            capture,
            lines: LineAssembler::default(),
            tokens: VecDeque::new(),
            decoded: Decoded::default(),
            seen: 0,
            run: None,
        }
    }

    /// The capture.
    pub fn capture(&self) -> &Capture {
        &self.capture
    }

    /// The bytes of the current run (from its marker's echo), or every byte without a run.
    pub fn run_bytes(&self) -> &[u8] {
        let start = self.run.as_ref().map_or(0, |r| r.1);
        self.capture.bytes().get(start..).unwrap_or_default()
    }

    /// What the current run has decoded to so far.
    pub fn decoded(&self) -> &Decoded {
        &self.decoded
    }

    /// The era the live decoder uses now.
    pub fn era(&self) -> Era {
        self.decoder.era()
    }

    /// Gives the stream back (the capture is flushed on drop).
    pub fn into_stream(self) -> S {
        self.stream
    }

    /// Reads once, waiting at most `timeout`; returns how many bytes arrived.
    pub fn pump(&mut self, timeout: Duration) -> Result<usize, ConsoleError> {
        let mut buf = [0u8; 4096];
        let n = self
            .stream
            .read(&mut buf, timeout)
            .map_err(|source| vanished("reading", source))?;
        let bytes = buf.get(..n).unwrap_or_default();
        if n > 0 {
            self.capture.record(bytes)?;
            self.tokens.extend(self.lines.feed(bytes));
            let more = self.decoder.feed(bytes);
            self.decoded.events.extend(more.events);
            self.decoded.unknown.extend(more.unknown);
        }
        Ok(n)
    }

    /// Types `line` and Enter, in paced chunks.
    pub fn write_line(&mut self, line: &str) -> Result<(), ConsoleError> {
        let mut bytes = line.as_bytes().to_vec();
        bytes.push(b'\r');
        let chunk = self.config.write_chunk.max(1);
        let mut first = true;
        for piece in bytes.chunks(chunk) {
            if !first {
                std::thread::sleep(self.config.chunk_pause);
            }
            first = false;
            self.stream
                .write_all(piece)
                .map_err(|source| vanished(&format!("writing `{line}`"), source))?;
        }
        Ok(())
    }

    /// Starts a run: drains what is pending (it belongs to the previous run), types the
    /// marker `provlab-run-<id>` after a Ctrl-U (clears a half-typed line), and waits for
    /// its echo. The run's bytes start at the echo's first byte.
    pub fn start_run(&mut self, id: &str, deadline: Duration) -> Result<(), ConsoleError> {
        let valid = !id.is_empty()
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        let marker = format!("{RUN_MARKER_PREFIX}{id}");
        if !valid {
            return Err(ConsoleError::InvalidCommand {
                command: marker,
                why: "a run id is letters, digits, `-` and `_`".to_owned(),
            });
        }
        let until = Instant::now() + deadline;
        // Drain until quiet (bounded by the deadline).
        let mut last = Instant::now();
        while Instant::now() < until && last.elapsed() < self.config.quiet {
            if self.pump(Duration::from_millis(20))? > 0 {
                last = Instant::now();
            }
        }
        let from = self.capture.bytes().len();
        self.capture
            .note(&format!("run {id}: marker typed at byte {from}"))?;
        self.stream
            .write_all(&[0x15])
            .map_err(|source| vanished("typing the run marker", source))?;
        self.write_line(&marker)?;
        loop {
            let found = find(
                self.capture.bytes().get(from..).unwrap_or_default(),
                marker.as_bytes(),
            );
            if let Some(at) = found {
                let start = from + at;
                self.run = Some((id.to_owned(), start));
                self.capture
                    .note(&format!("run {id}: starts at byte {start}"))?;
                self.restart_decoder(start);
                // Let the shell answer the marker (`command not found`) and prompt.
                let _ = self.wait_prompt(&marker, until);
                return Ok(());
            }
            if Instant::now() >= until {
                return Err(self.timeout(&marker, deadline, from));
            }
            self.pump(Duration::from_millis(20))?;
        }
    }

    fn restart_decoder(&mut self, start: usize) {
        self.decoder = StreamDecoder::auto(self.decoder.era());
        self.decoded = Decoded::default();
        self.seen = 0;
        let bytes = self
            .capture
            .bytes()
            .get(start..)
            .unwrap_or_default()
            .to_vec();
        let out = self.decoder.feed(&bytes);
        self.decoded = out;
    }

    fn wait_prompt(&mut self, what: &str, until: Instant) -> Result<(), ConsoleError> {
        loop {
            while let Some(token) = self.tokens.pop_front() {
                if matches!(token, Token::Prompt { .. }) {
                    return Ok(());
                }
            }
            if Instant::now() >= until {
                let from = self.capture.bytes().len();
                return Err(self.timeout(what, Duration::ZERO, from));
            }
            self.pump(Duration::from_millis(20))?;
        }
    }

    /// Types a shell command and returns its answer (see the module docs); fails with a
    /// timeout naming the command and what was received if the prompt does not come back
    /// within `deadline`.
    pub fn command(&mut self, line: &str, deadline: Duration) -> Result<Reply, ConsoleError> {
        if let Some(bad) = line.bytes().find(|b| !(0x20..=0x7e).contains(b)) {
            return Err(ConsoleError::InvalidCommand {
                command: line.to_owned(),
                why: format!("byte {bad:#04x} cannot be typed"),
            });
        }
        if line.len() + 1 > self.config.max_line {
            return Err(ConsoleError::InvalidCommand {
                command: line.to_owned(),
                why: format!("longer than the shell's {} bytes", self.config.max_line),
            });
        }
        let until = Instant::now() + deadline;
        // Take what arrived before the command out of the way.
        while self.pump(Duration::ZERO)? > 0 {}
        self.tokens.clear();
        let from = self.capture.bytes().len();
        self.write_line(line)?;
        let mut reply = Reply {
            command: line.to_owned(),
            ..Reply::default()
        };
        let mut echo = String::new();
        let mut echoed = false;
        loop {
            while let Some(token) = self.tokens.pop_front() {
                match token {
                    Token::Prompt { .. } if echoed => return Ok(reply),
                    Token::Prompt { .. } => echo.clear(),
                    Token::Line { text, .. } => {
                        if logline::parse(&text).is_some() {
                            reply.logs.push(text);
                        } else if echoed {
                            reply.lines.push(text);
                        } else {
                            echo.push_str(&text);
                            if echo.trim_end().ends_with(line.trim_end()) {
                                echoed = true;
                            }
                        }
                    }
                }
            }
            if Instant::now() >= until {
                return Err(self.timeout(line, deadline, from));
            }
            self.pump(Duration::from_millis(20))?;
        }
    }

    /// Runs an AT command through the AT shell (quoted for it) and returns the modem's
    /// answer and final result code.
    pub fn at(&mut self, command: &str, deadline: Duration) -> Result<AtReply, ConsoleError> {
        let line = at_line(command).map_err(|e| ConsoleError::InvalidCommand {
            command: command.to_owned(),
            why: e.to_string(),
        })?;
        let reply = self.command(&line, deadline)?;
        let mut lines: Vec<String> = reply.text_lines().map(str::to_owned).collect();
        let last = lines.pop().unwrap_or_default();
        let result = if last == "OK" {
            AtResult::Ok
        } else if last == "ERROR" {
            AtResult::Error
        } else if let Some(code) = last
            .strip_prefix("+CME ERROR: ")
            .and_then(|c| c.trim().parse().ok())
        {
            AtResult::Cme(code)
        } else if let Some(code) = last
            .strip_prefix("+CMS ERROR: ")
            .and_then(|c| c.trim().parse().ok())
        {
            AtResult::Cms(code)
        } else if let Some(code) = last
            .strip_prefix("Sending AT command failed with error code ")
            .and_then(|c| c.trim().parse().ok())
        {
            AtResult::SendFailed(code)
        } else {
            return Err(unexpected(&reply, "no final result code"));
        };
        Ok(AtReply { lines, result })
    }

    /// `nrf_provisioning now`: starts an attempt. Fails on the shell's or the library's
    /// error lines (`Provisioning library is not initialized`, `Not initialized`, …).
    pub fn provision_now(&mut self, deadline: Duration) -> Result<Reply, ConsoleError> {
        let reply = self.command("nrf_provisioning now", deadline)?;
        let failed = reply.text_lines().next().is_some()
            || reply.logs.iter().any(|l| l.contains("Not initialized"));
        if failed {
            return Err(unexpected(&reply, "the trigger was refused"));
        }
        Ok(reply)
    }

    /// `nrf_provisioning token`: the attestation token `<attest>.<cose>`.
    pub fn token(&mut self, deadline: Duration) -> Result<String, ConsoleError> {
        let reply = self.command("nrf_provisioning token", deadline)?;
        let first = reply.text_lines().next().map(str::to_owned);
        match first.as_deref() {
            Some(t) if t.contains('.') && !t.contains(' ') => Ok(t.to_owned()),
            _ => Err(unexpected(&reply, "no token")),
        }
    }

    /// `nrf_provisioning uuid`: the 36-character device UUID.
    pub fn uuid(&mut self, deadline: Duration) -> Result<String, ConsoleError> {
        let reply = self.command("nrf_provisioning uuid", deadline)?;
        let first = reply.text_lines().next().map(str::to_owned);
        match first.as_deref() {
            Some(u) if u.len() == 36 && u.matches('-').count() == 4 => Ok(u.to_owned()),
            _ => Err(unexpected(&reply, "no UUID")),
        }
    }

    /// `nrf_provisioning interval <seconds>`: sets the interval (prints nothing on success).
    pub fn set_interval(
        &mut self,
        seconds: u64,
        deadline: Duration,
    ) -> Result<Reply, ConsoleError> {
        let reply = self.command(&format!("nrf_provisioning interval {seconds}"), deadline)?;
        if reply.text_lines().next().is_some() {
            return Err(unexpected(&reply, "the interval was refused"));
        }
        Ok(reply)
    }

    /// Happenings of the run not returned by an earlier call.
    pub fn new_happenings(&mut self) -> Vec<Located<Happening>> {
        let fresh = self
            .decoded
            .events
            .get(self.seen..)
            .unwrap_or_default()
            .to_vec();
        self.seen = self.decoded.events.len();
        fresh
    }

    /// Reads until a happening of the run (from the ones not yet returned) satisfies
    /// `want`, or fails with a timeout naming `what`.
    pub fn wait_for(
        &mut self,
        what: &str,
        deadline: Duration,
        mut want: impl FnMut(&Happening) -> bool,
    ) -> Result<Located<Happening>, ConsoleError> {
        let until = Instant::now() + deadline;
        let from = self.capture.bytes().len();
        loop {
            for h in self.new_happenings() {
                if want(&h.value) {
                    return Ok(h);
                }
            }
            if Instant::now() >= until {
                return Err(self.timeout(what, deadline, from));
            }
            self.pump(Duration::from_millis(20))?;
        }
    }

    fn timeout(&self, what: &str, waited: Duration, from: usize) -> ConsoleError {
        let bytes = self.capture.bytes().get(from..).unwrap_or_default();
        let mut lines = LineAssembler::default();
        let mut text: Vec<String> = lines
            .feed(bytes)
            .into_iter()
            .chain(lines.finish())
            .map(|t| match t {
                Token::Line { text, .. } => text,
                Token::Prompt { .. } => crate::decode::lines::DEFAULT_PROMPT.to_owned(),
            })
            .collect();
        if text.len() > 40 {
            text.drain(..text.len() - 40);
        }
        ConsoleError::Timeout {
            command: what.to_owned(),
            waited,
            received: text.join("\n"),
        }
    }
}

fn vanished(during: &str, source: StreamError) -> ConsoleError {
    ConsoleError::PortVanished {
        during: during.to_owned(),
        source,
    }
}

fn unexpected(reply: &Reply, why: &str) -> ConsoleError {
    let mut received = reply.lines.clone();
    received.extend(reply.logs.iter().cloned());
    ConsoleError::UnexpectedAnswer {
        command: reply.command.clone(),
        why: why.to_owned(),
        received: received.join("\n"),
    }
}

/// The offset of the first occurrence of `needle` in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::stream::{pipe, PipeEnd};

    const PROMPT: &[u8] = b"\x1b[1;32muart:~$ \x1b[m";

    /// A device that waits for one typed line and then sends `script`.
    fn scripted(script: Vec<Vec<u8>>) -> (Console<PipeEnd>, std::thread::JoinHandle<()>) {
        let (host, mut device) = pipe();
        let console = Console::new(host, Capture::in_memory(), ConsoleConfig::default());
        let thread = std::thread::spawn(move || {
            let mut got = Vec::new();
            let mut buf = [0u8; 256];
            while !got.contains(&b'\r') {
                match device.read(&mut buf, Duration::from_secs(5)) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => got.extend_from_slice(buf.get(..n).unwrap_or_default()),
                }
            }
            for part in script {
                if device.write_all(&part).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(2));
            }
            // Keep the pipe open until the host is done.
            while device.read(&mut buf, Duration::from_millis(50)).is_ok() {}
        });
        (console, thread)
    }

    #[test]
    fn echo_interrupted_by_a_log_line_and_redrawn() {
        let log = b"\x1b[13D\x1b[J[00:00:01.000,000] \x1b[0m<inf> nrf_provisioning_sample: Provisioning started\x1b[0m\r\n".to_vec();
        let (mut c, t) = scripted(vec![
            PROMPT.to_vec(),
            b"at 'AT+CG".to_vec(),
            log,
            PROMPT.to_vec(),
            b"at 'AT+CGSN'".to_vec(),
            b"\r\n".to_vec(),
            b"352656100000001\r\r\nOK\r\r\n\r\n".to_vec(),
            PROMPT.to_vec(),
        ]);
        let reply = c.at("AT+CGSN", Duration::from_secs(5)).unwrap();
        assert_eq!(reply.result, AtResult::Ok);
        assert_eq!(reply.lines, ["352656100000001"]);
        drop(c);
        t.join().unwrap();
    }

    #[test]
    fn a_long_echo_wrapped_by_the_terminal_width_is_found() {
        let command = format!("at 'AT%CMNG=0,42,0,\"{}\"'", "A".repeat(100));
        let (first, rest) = command.split_at(72);
        let (mut c, t) = scripted(vec![
            PROMPT.to_vec(),
            first.as_bytes().to_vec(),
            b"\r\n".to_vec(),
            rest.as_bytes().to_vec(),
            b"\r\n".to_vec(),
            b"OK\r\r\n\r\n".to_vec(),
            PROMPT.to_vec(),
        ]);
        let reply = c.command(&command, Duration::from_secs(5)).unwrap();
        assert_eq!(reply.text_lines().collect::<Vec<_>>(), ["OK"]);
        drop(c);
        t.join().unwrap();
    }

    #[test]
    fn garbage_answer_times_out_with_what_was_received() {
        let garbage: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
        let (mut c, t) = scripted(vec![garbage]);
        let err = c
            .command("nrf_provisioning uuid", Duration::from_millis(300))
            .unwrap_err();
        assert!(matches!(err, ConsoleError::Timeout { .. }), "{err:?}");
        drop(c);
        t.join().unwrap();
    }

    #[test]
    fn a_refused_trigger_is_an_unexpected_answer() {
        let (mut c, t) = scripted(vec![
            PROMPT.to_vec(),
            b"nrf_provisioning now\r\n".to_vec(),
            b"\x1b[1;31mProvisioning library is not initialized\r\n\x1b[m".to_vec(),
            PROMPT.to_vec(),
        ]);
        let err = c.provision_now(Duration::from_secs(5)).unwrap_err();
        match err {
            ConsoleError::UnexpectedAnswer {
                command, received, ..
            } => {
                assert_eq!(command, "nrf_provisioning now");
                assert!(received.contains("not initialized"));
            }
            other => panic!("{other:?}"),
        }
        drop(c);
        t.join().unwrap();
    }
}
