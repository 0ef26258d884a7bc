//! `provlab decode`: turns a payload pasted from a field log into readable text.

use std::io::Read as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use clap::Args;
use provlab_proto::records::{decode_any, Body};

/// Arguments of `provlab decode`.
#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// Hex of a CBOR records body, an attestation token or %KEYGEN answer
    /// (`<base64url>.<base64url>`), or a JWT; `-` reads the same from stdin
    /// (raw CBOR bytes on stdin are accepted too).
    #[arg(required_unless_present = "file", conflicts_with = "file")]
    input: Option<String>,
    /// Read a raw (binary) CBOR records body from this file.
    #[arg(long, value_name = "PATH")]
    file: Option<PathBuf>,
    /// Largest number of records accepted in one body.
    #[arg(long, default_value_t = 100)]
    limit: usize,
}

/// Runs `provlab decode`, printing the decoded payload on stdout.
pub fn run(args: DecodeArgs) -> anyhow::Result<ExitCode> {
    let input = match (&args.file, args.input.as_deref()) {
        (Some(path), _) => Input::Bytes(
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?,
        ),
        (None, Some("-")) => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .context("cannot read stdin")?;
            classify_stdin(bytes)
        }
        (None, Some(text)) => Input::Text(text.to_string()),
        (None, None) => bail!("give a payload, `-` for stdin, or --file PATH"),
    };
    let text = match input {
        Input::Bytes(bytes) => render_records(&bytes, args.limit)?,
        Input::Text(text) => render_text(&text, args.limit)?,
    };
    print!("{text}");
    Ok(ExitCode::SUCCESS)
}

/// What was handed to the command, before interpretation.
enum Input {
    /// Raw CBOR bytes.
    Bytes(Vec<u8>),
    /// Text: hex, a token or a JWT.
    Text(String),
}

/// Stdin holds text when it is UTF-8 made of printable characters and whitespace.
fn classify_stdin(bytes: Vec<u8>) -> Input {
    match String::from_utf8(bytes) {
        Ok(text) if text.chars().all(|c| !c.is_control() || c.is_whitespace()) => Input::Text(text),
        Ok(text) => Input::Bytes(text.into_bytes()),
        Err(err) => Input::Bytes(err.into_bytes()),
    }
}

/// Decodes text: hex records first, then modem tokens.
fn render_text(text: &str, limit: usize) -> anyhow::Result<String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        bail!("empty input: nothing to decode");
    }
    if looks_like_hex(trimmed) {
        let bytes = parse_hex(trimmed)?;
        return render_records(&bytes, limit);
    }
    crate::cli::decode_tokens::render(trimmed)
}

fn looks_like_hex(text: &str) -> bool {
    let body = text.strip_prefix("0x").unwrap_or(text);
    body.chars()
        .all(|c| c.is_ascii_hexdigit() || c.is_whitespace() || c == ':')
}

/// Parses hex that may be split by whitespace or colons, as log lines often are.
fn parse_hex(text: &str) -> anyhow::Result<Vec<u8>> {
    let body = text.strip_prefix("0x").unwrap_or(text);
    let digits: String = body
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ':')
        .collect();
    if !digits.len().is_multiple_of(2) {
        bail!(
            "odd number of hex digits ({}): the payload is cut short or has a stray digit",
            digits.len()
        );
    }
    hex::decode(&digits).context("invalid hex")
}

/// One header line naming the direction and size, then one line per record.
fn render_records(bytes: &[u8], limit: usize) -> anyhow::Result<String> {
    let body = decode_any(bytes, limit).with_context(|| {
        format!(
            "cannot decode {} bytes as provisioning records",
            bytes.len()
        )
    })?;
    let lines: Vec<String> = match &body {
        Body::Commands(commands) => commands.iter().map(ToString::to_string).collect(),
        Body::Responses(responses) => responses.iter().map(ToString::to_string).collect(),
    };
    let direction = match body {
        Body::Commands(_) => "commands (service -> device)",
        Body::Responses(_) => "responses (device -> service)",
    };
    let mut out = format!(
        "{direction}: {} record{}, {} bytes\n",
        lines.len(),
        if lines.len() == 1 { "" } else { "s" },
        bytes.len()
    );
    for (index, line) in lines.iter().enumerate() {
        out.push_str(&format!("[{index}] {line}\n"));
    }
    Ok(out)
}
