//! [`HttpsTransport`]: one client HTTP request over a new TLS 1.2 connection.
//!
//! Bytes on the wire, as Zephyr's `http_client` (under the SDK's `rest_client`) writes them:
//! `<METHOD> <path?query> HTTP/1.1\r\n`, `Host: <host>\r\n`, the client's headers in its
//! order, `Content-Length: <n>\r\n` when there is a body, `\r\n`, the body. The response is
//! read until the server closes (the request says `Connection: close`).

use std::sync::Arc;
use std::time::Duration;

use provlab_client::{HttpRequest, HttpResponse, Input};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use super::{NetError, RootCa};

/// Largest response read (the client's RX buffer is a few KiB; this is generous).
const MAX_RESPONSE: usize = 1024 * 1024;

/// HTTPS requests over fresh TLS connections.
#[derive(Debug, Clone)]
pub struct HttpsTransport {
    timeout: Duration,
}

impl Default for HttpsTransport {
    /// 30 s per request, the SDK's `CONFIG_NRF_PROVISIONING_HTTP_TIMEOUT_MS`.
    fn default() -> Self {
        Self::new(Duration::from_secs(30))
    }
}

impl HttpsTransport {
    /// A transport whose requests (connect, handshake, exchange) each take at most `timeout`.
    pub fn new(timeout: Duration) -> Self {
        HttpsTransport { timeout }
    }

    /// Performs `request` trusting `root` and answers as the client expects:
    /// [`Input::Http`] or [`Input::TransportFailed`].
    pub async fn execute(&self, request: &HttpRequest, root: Option<&RootCa>) -> Input {
        match self.exchange(request, root).await {
            Ok(response) => Input::Http(response),
            Err(e) => Input::TransportFailed(e.failure()),
        }
    }

    /// Performs `request`; the error says how it failed.
    pub async fn exchange(
        &self,
        request: &HttpRequest,
        root: Option<&RootCa>,
    ) -> Result<HttpResponse, NetError> {
        let peer = format!("{}:{}", request.host, request.port);
        let root = root.ok_or_else(|| NetError::RootCa("the sec tag is empty".into()))?;
        let connector = connector(root)?;
        let name = ServerName::try_from(request.host.clone()).map_err(|e| NetError::Handshake {
            peer: peer.clone(),
            reason: format!("bad server name: {e}"),
        })?;
        let tcp = match tokio::time::timeout(
            self.timeout,
            TcpStream::connect((request.host.as_str(), request.port)),
        )
        .await
        {
            Err(_) => return Err(NetError::Timeout(format!("connect to {peer}"))),
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                return Err(NetError::Refused(peer))
            }
            Ok(Err(e)) => return Err(NetError::Refused(format!("{peer}: {e}"))),
            Ok(Ok(tcp)) => tcp,
        };
        let mut tls = match tokio::time::timeout(self.timeout, connector.connect(name, tcp)).await {
            Err(_) => return Err(NetError::Timeout(format!("TLS handshake with {peer}"))),
            Ok(Err(e)) => {
                return Err(NetError::Handshake {
                    peer,
                    reason: e.to_string(),
                })
            }
            Ok(Ok(tls)) => tls,
        };
        let bytes = request_bytes(request);
        let exchange = async {
            tls.write_all(&bytes).await?;
            tls.flush().await?;
            let mut raw = Vec::new();
            let mut buf = vec![0u8; 8192];
            loop {
                match tls.read(&mut buf).await {
                    Ok(0) => break,
                    Ok(n) => {
                        raw.extend_from_slice(buf.get(..n).unwrap_or_default());
                        if raw.len() > MAX_RESPONSE {
                            break;
                        }
                    }
                    // A server that closes without close_notify: keep what arrived.
                    Err(_) if !raw.is_empty() => break,
                    Err(e) => return Err(e),
                }
            }
            Ok::<_, std::io::Error>(raw)
        };
        let raw = match tokio::time::timeout(self.timeout, exchange).await {
            Err(_) => return Err(NetError::Timeout(format!("answer from {peer}"))),
            Ok(Err(e)) => return Err(NetError::Closed(format!("{peer}: {e}"))),
            Ok(Ok(raw)) => raw,
        };
        parse_response(&raw).ok_or_else(|| NetError::Closed(format!("{peer}: no status line")))
    }
}

/// A TLS 1.2 client (the nRF91 modem's version) trusting only `root`.
fn connector(root: &RootCa) -> Result<tokio_rustls::TlsConnector, NetError> {
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(&[&rustls::version::TLS12])
    .map_err(|e| NetError::RootCa(format!("TLS configuration: {e}")))?
    .with_root_certificates(root.store()?)
    .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

/// The request as written on the wire (see the module docs).
pub(crate) fn request_bytes(request: &HttpRequest) -> Vec<u8> {
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: {}\r\n",
        request.method.as_str(),
        request.path_and_query,
        request.host
    );
    for (name, value) in &request.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !request.body.is_empty() {
        head.push_str(&format!("Content-Length: {}\r\n", request.body.len()));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(&request.body);
    bytes
}

/// Status and body of a raw HTTP/1.1 response; `None` without a status line.
pub(crate) fn parse_response(raw: &[u8]) -> Option<HttpResponse> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(raw.get(..split)?).ok()?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let mut length = None;
    let mut chunked = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.trim().eq_ignore_ascii_case("content-length") {
            length = value.parse::<usize>().ok();
        } else if name.trim().eq_ignore_ascii_case("transfer-encoding")
            && value.eq_ignore_ascii_case("chunked")
        {
            chunked = true;
        }
    }
    let rest = raw.get(split + 4..).unwrap_or_default();
    let body = if chunked {
        dechunk(rest)
    } else {
        match length {
            Some(n) => rest.get(..n.min(rest.len())).unwrap_or_default().to_vec(),
            None => rest.to_vec(),
        }
    };
    Some(HttpResponse {
        status: Some(status),
        body,
    })
}

/// Decodes a chunked body (what arrived of it).
fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    while let Some(eol) = data.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(data.get(..eol).unwrap_or_default()).into_owned();
        let size_text = size_text.split(';').next().unwrap_or("").trim().to_owned();
        let Ok(size) = usize::from_str_radix(&size_text, 16) else {
            break;
        };
        if size == 0 {
            break;
        }
        let start = eol + 2;
        let Some(chunk) = data.get(start..start + size) else {
            body.extend_from_slice(data.get(start..).unwrap_or_default());
            break;
        };
        body.extend_from_slice(chunk);
        data = data.get(start + size + 2..).unwrap_or_default();
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use provlab_client::HttpMethod;

    #[test]
    fn request_keeps_the_client_header_order() {
        let request = HttpRequest {
            method: HttpMethod::Post,
            host: "127.0.0.1".into(),
            port: 8443,
            sec_tag: 50,
            path_and_query: "/v1/provisioning/response".into(),
            headers: vec![
                ("Content-Type".into(), "application/cbor".into()),
                ("Accept".into(), "*/*".into()),
                ("Connection".into(), "close".into()),
            ],
            body: vec![0x80],
        };
        assert_eq!(
            request_bytes(&request),
            b"POST /v1/provisioning/response HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/cbor\r\nAccept: */*\r\nConnection: close\r\nContent-Length: 1\r\n\r\n\x80"
        );
    }

    #[test]
    fn responses_parse() {
        let r = parse_response(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nabXX").unwrap();
        assert_eq!((r.status, r.body), (Some(200), b"ab".to_vec()));
        let r = parse_response(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n1\r\nc\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(r.body, b"abc");
        assert_eq!(parse_response(b"garbage"), None);
        let r = parse_response(b"HTTP/1.1 204 No Content\r\n\r\n").unwrap();
        assert_eq!((r.status, r.body.len()), (Some(204), 0));
    }
}
