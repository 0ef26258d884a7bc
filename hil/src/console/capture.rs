//! The byte-exact capture of a console session: every byte read, in order, kept in memory
//! and written to a capture file as one text line per console line, stamped with the time
//! its first byte arrived. Bytes are escaped losslessly (`\r`, `\n`, `\e`, `\\`, `\xNN`),
//! so [`parse`] gives back exactly the bytes read. Lines starting `#` are the driver's
//! notes (run markers), not console bytes.
//!
//! File format, one entry per line: `+SSSSSS.mmm <escaped bytes>` or `# <note>`.

use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::Path;
use std::time::{Duration, Instant};

/// One console line of a capture (its bytes include the final LF, if it had one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureLine {
    /// When its first byte was read, since the capture started.
    pub at: Duration,
    /// The raw bytes.
    pub bytes: Vec<u8>,
}

/// Why a capture file does not parse.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("capture line {line_no}: {why}")]
pub struct CaptureParseError {
    /// 1-based line in the capture file.
    pub line_no: usize,
    /// What is wrong.
    pub why: String,
}

/// The session capture (see the module docs).
#[derive(Debug)]
pub struct Capture {
    start: Instant,
    raw: Vec<u8>,
    lines: Vec<CaptureLine>,
    partial: Option<CaptureLine>,
    file: Option<BufWriter<File>>,
}

impl Capture {
    /// A capture kept in memory only.
    pub fn in_memory() -> Capture {
        Capture {
            start: Instant::now(),
            raw: Vec::new(),
            lines: Vec::new(),
            partial: None,
            file: None,
        }
    }

    /// A capture also written to `path` (created or truncated).
    pub fn to_file(path: &Path) -> std::io::Result<Capture> {
        let mut capture = Capture::in_memory();
        capture.file = Some(BufWriter::new(File::create(path)?));
        Ok(capture)
    }

    /// Every byte read so far.
    pub fn bytes(&self) -> &[u8] {
        &self.raw
    }

    /// The finished lines so far.
    pub fn lines(&self) -> &[CaptureLine] {
        &self.lines
    }

    /// Time since the capture started.
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// Records bytes just read.
    pub fn record(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let at = self.elapsed();
        self.raw.extend_from_slice(bytes);
        for &b in bytes {
            let line = self.partial.get_or_insert_with(|| CaptureLine {
                at,
                bytes: Vec::new(),
            });
            line.bytes.push(b);
            if b == b'\n' {
                if let Some(done) = self.partial.take() {
                    self.write_line(&done)?;
                    self.lines.push(done);
                }
            }
        }
        Ok(())
    }

    /// Writes a note (`# …`) into the file; the unfinished console line is written first,
    /// so the note sits at its exact place in the byte stream.
    pub fn note(&mut self, text: &str) -> std::io::Result<()> {
        self.flush_partial()?;
        if let Some(file) = self.file.as_mut() {
            writeln!(file, "# {}", text.replace(['\r', '\n'], " "))?;
            file.flush()?;
        }
        Ok(())
    }

    /// Writes the unfinished line (as its own entry) and flushes the file.
    pub fn flush_partial(&mut self) -> std::io::Result<()> {
        if let Some(done) = self.partial.take() {
            self.write_line(&done)?;
            self.lines.push(done);
        }
        if let Some(file) = self.file.as_mut() {
            file.flush()?;
        }
        Ok(())
    }

    fn write_line(&mut self, line: &CaptureLine) -> std::io::Result<()> {
        if let Some(file) = self.file.as_mut() {
            writeln!(file, "{}", format_line(line))?;
        }
        Ok(())
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        let _ = self.flush_partial();
    }
}

/// One capture entry as its file line.
pub fn format_line(line: &CaptureLine) -> String {
    let ms = line.at.as_millis();
    format!("+{:06}.{:03} {}", ms / 1000, ms % 1000, escape(&line.bytes))
}

/// Escapes bytes losslessly into printable ASCII.
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            0x1b => out.push_str("\\e"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out
}

/// Reverses [`escape`].
pub fn unescape(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match bytes.next() {
            Some(b'\\') => out.push(b'\\'),
            Some(b'r') => out.push(b'\r'),
            Some(b'n') => out.push(b'\n'),
            Some(b'e') => out.push(0x1b),
            Some(b'x') => {
                let hi = bytes.next().and_then(|c| char::from(c).to_digit(16));
                let lo = bytes.next().and_then(|c| char::from(c).to_digit(16));
                match (hi, lo) {
                    (Some(hi), Some(lo)) => out.push(u8::try_from(hi * 16 + lo).unwrap_or(0)),
                    _ => return Err("bad \\x escape".to_owned()),
                }
            }
            other => return Err(format!("bad escape {other:?}")),
        }
    }
    Ok(out)
}

/// Parses a capture file's text back into its lines (notes skipped).
pub fn parse(text: &str) -> Result<Vec<CaptureLine>, CaptureParseError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let err = |why: String| CaptureParseError {
            line_no: i + 1,
            why,
        };
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let rest = line
            .strip_prefix('+')
            .ok_or_else(|| err("no `+` time".to_owned()))?;
        let (stamp, body) = rest.split_once(' ').unwrap_or((rest, ""));
        let (secs, millis) = stamp
            .split_once('.')
            .ok_or_else(|| err("bad time".to_owned()))?;
        let secs: u64 = secs.parse().map_err(|_| err("bad seconds".to_owned()))?;
        let millis: u64 = millis.parse().map_err(|_| err("bad millis".to_owned()))?;
        out.push(CaptureLine {
            at: Duration::from_secs(secs) + Duration::from_millis(millis),
            bytes: unescape(body).map_err(err)?,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_round_trips_every_byte() {
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(unescape(&escape(&all)).unwrap(), all);
    }

    #[test]
    fn file_round_trip_is_byte_exact() {
        let path = std::env::temp_dir().join(format!("provlab-capture-{}.log", std::process::id()));
        let input: &[u8] =
            b"\x1b[1;32muart:~$ \x1b[m\x1b[8D\x1b[J[00:00:00.000,000] x\r\npartial\\\xff";
        {
            let mut c = Capture::to_file(&path).unwrap();
            c.record(&input[..10]).unwrap();
            c.note("run 1").unwrap();
            c.record(&input[10..]).unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        let bytes: Vec<u8> = parse(&text)
            .unwrap()
            .into_iter()
            .flat_map(|l| l.bytes)
            .collect();
        assert_eq!(bytes, input);
        assert!(text.contains("# run 1"));
    }
}
