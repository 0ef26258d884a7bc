//! A minimal HTTP/1.1 client for `provlab team`: one request per connection to the fake
//! service's plain-HTTP REST API (a lab tool on loopback or a lab network; no TLS).

use std::time::Duration;

use anyhow::{anyhow, bail, Context as _};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// How long one request may take.
const TIMEOUT: Duration = Duration::from_secs(30);
/// The largest response accepted.
const MAX_RESPONSE: usize = 16 * 1024 * 1024;

/// A base URL `http://host:port[/prefix]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    /// `host:port`.
    pub authority: String,
    /// Path prefix without a trailing slash (usually empty).
    pub prefix: String,
}

impl BaseUrl {
    /// Parses `http://host[:port][/prefix]` (port 80 when absent).
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let rest = text
            .strip_prefix("http://")
            .ok_or_else(|| anyhow!("{text:?}: only http:// URLs are supported"))?;
        let (authority, prefix) = match rest.find('/') {
            Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
            None => (rest, ""),
        };
        if authority.is_empty() {
            bail!("{text:?} has no host");
        }
        let authority = if authority
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        {
            authority.to_owned()
        } else {
            format!("{authority}:80")
        };
        Ok(Self {
            authority,
            prefix: prefix.to_owned(),
        })
    }
}

/// A response: status code and body text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The body (de-chunked).
    pub body: String,
}

/// Sends one request and reads the whole response.
pub async fn request(
    base: &BaseUrl,
    method: &str,
    path: &str,
    bearer: &str,
    json_body: Option<&str>,
) -> anyhow::Result<HttpResponse> {
    tokio::time::timeout(TIMEOUT, async {
        let mut stream = TcpStream::connect(&base.authority)
            .await
            .with_context(|| format!("cannot connect to {}", base.authority))?;
        let body = json_body.unwrap_or("");
        let mut head = format!(
            "{method} {}{path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {bearer}\r\nAccept: application/json\r\nConnection: close\r\nContent-Length: {}\r\n",
            base.prefix,
            base.authority,
            body.len()
        );
        if json_body.is_some() {
            head.push_str("Content-Type: application/json\r\n");
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body.as_bytes()).await?;
        let mut raw = Vec::new();
        (&mut stream)
            .take(MAX_RESPONSE as u64 + 1)
            .read_to_end(&mut raw)
            .await?;
        if raw.len() > MAX_RESPONSE {
            bail!("the response is larger than {MAX_RESPONSE} bytes");
        }
        parse(&raw)
    })
    .await
    .map_err(|_| anyhow!("{method} {path}: no answer within {TIMEOUT:?}"))?
}

/// Parses a complete `Connection: close` response.
fn parse(raw: &[u8]) -> anyhow::Result<HttpResponse> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| anyhow!("malformed HTTP response (no end of headers)"))?;
    let head = std::str::from_utf8(&raw[..split]).context("malformed HTTP response head")?;
    let body = &raw[split + 4..];
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow!("malformed HTTP status line"))?;
    let chunked = lines.any(|l| {
        let lower = l.to_ascii_lowercase();
        lower.starts_with("transfer-encoding:") && lower.contains("chunked")
    });
    let body = if chunked {
        dechunk(body)?
    } else {
        body.to_vec()
    };
    Ok(HttpResponse {
        status,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// Decodes a chunked body.
fn dechunk(mut data: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| anyhow!("malformed chunked body"))?;
        let size_text = std::str::from_utf8(&data[..line_end])?;
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .context("malformed chunk size")?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        let chunk = data
            .get(..size)
            .ok_or_else(|| anyhow!("truncated chunked body"))?;
        out.extend_from_slice(chunk);
        data = data.get(size + 2..).unwrap_or_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u = BaseUrl::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(u.authority, "127.0.0.1:8080");
        assert_eq!(u.prefix, "");
        let u = BaseUrl::parse("http://lab/svc/").unwrap();
        assert_eq!(u.authority, "lab:80");
        assert_eq!(u.prefix, "/svc");
        assert!(BaseUrl::parse("https://x").is_err());
        assert!(BaseUrl::parse("http://").is_err());
    }

    #[test]
    fn responses() {
        let r = parse(b"HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\n{}").unwrap();
        assert_eq!((r.status, r.body.as_str()), (201, "{}"));
        let r = parse(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n1\r\nd\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(r.body, "abcd");
        assert!(parse(b"garbage").is_err());
    }
}
