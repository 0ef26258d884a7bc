//! [`CoapDtlsTransport`]: the client's CoAP session over DTLS 1.2 (`webrtc-dtls`, the same
//! engine as the service) with `coap-lite` packets.
//!
//! * Connect: a UDP socket connected to the server, a DTLS client handshake trusting the
//!   root CA (server name = the configured host), cipher suites as the nRF91 offers them
//!   (AES-128-CCM-8 first).
//! * Requests: Uri-Path from the client's path (`p/auth-jwt`, `/.dtls/suspend`), one
//!   Uri-Query per `&` item, Content-Format, Block2 as the client gives it, a fresh message
//!   id and a 4-byte token. A CON request is retransmitted after `ACK_TIMEOUT` × a random
//!   factor in [1, `ACK_RANDOM_FACTOR`], doubling, at most `MAX_RETRANSMIT` times (RFC 7252
//!   §4.2); a piggybacked ACK answers it, an empty ACK announces a separate response (which
//!   is acknowledged when confirmable), a RST ends it as `Closed`.
//! * Responses: the code, the payload and the Block2 option go back to the client, which
//!   asks for the next block itself.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use coap_lite::{CoapOption, MessageClass, MessageType, Packet, RequestType};
use provlab_client::{
    Block2, CoapCode, CoapEndpoint, CoapMethod, CoapRequest, CoapResponse, Input,
};
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore as _, SeedableRng as _};
use tokio::net::UdpSocket;
use webrtc_dtls::cipher_suite::CipherSuiteId;
use webrtc_dtls::config::{Config, ExtendedMasterSecretType};
use webrtc_dtls::conn::DTLSConn;

use super::{NetError, RootCa};

/// Largest datagram read.
const MAX_DATAGRAM: usize = 4096;
/// Request payloads above this many bytes go block-wise (coap-lite encodes messages of at
/// most 1280 bytes; this leaves room for the options).
pub const BLOCK1_THRESHOLD: usize = 1024;
/// The Block1 block size.
pub const BLOCK1_SIZE: usize = 1024;
/// SZX of [`BLOCK1_SIZE`] (2^(6+4) = 1024).
const BLOCK1_SZX: u8 = 6;

/// RFC 7252 §4.8 transmission parameters, and the handshake limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoapTiming {
    /// `ACK_TIMEOUT` (2 s).
    pub ack_timeout: Duration,
    /// `ACK_RANDOM_FACTOR` (1.5).
    pub ack_random_factor: f64,
    /// `MAX_RETRANSMIT` (4).
    pub max_retransmit: u32,
    /// Longest DTLS handshake.
    pub handshake_timeout: Duration,
    /// First retransmission timer of a DTLS handshake flight (RFC 6347 §4.2.4.1: 1 s).
    pub flight_interval: Duration,
}

impl Default for CoapTiming {
    /// The RFC 7252 defaults; 20 s for the handshake.
    fn default() -> Self {
        CoapTiming {
            ack_timeout: Duration::from_secs(2),
            ack_random_factor: 1.5,
            max_retransmit: 4,
            handshake_timeout: Duration::from_secs(20),
            flight_interval: Duration::from_secs(1),
        }
    }
}

impl CoapTiming {
    /// How long to wait for a separate response, or for the answer to a NON request:
    /// `MAX_TRANSMIT_WAIT` = `ACK_TIMEOUT` × (2^(`MAX_RETRANSMIT`+1) − 1) × factor.
    pub fn max_transmit_wait(&self) -> Duration {
        let spans = (1u64 << (self.max_retransmit.min(16) + 1)) - 1;
        self.ack_timeout
            .mul_f64(spans as f64 * self.ack_random_factor.max(1.0))
    }
}

/// One CoAP-over-DTLS session at a time, as the client drives it.
pub struct CoapDtlsTransport {
    timing: CoapTiming,
    conn: Option<DTLSConn>,
    next_mid: u16,
    next_token: u32,
    rng: ChaCha8Rng,
}

impl std::fmt::Debug for CoapDtlsTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoapDtlsTransport")
            .field("timing", &self.timing)
            .field("connected", &self.conn.is_some())
            .field("next_mid", &self.next_mid)
            .finish_non_exhaustive()
    }
}

impl CoapDtlsTransport {
    /// A transport with `timing`; message ids, tokens and retransmission jitter derive from
    /// `seed`.
    pub fn new(timing: CoapTiming, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let next_mid = (rng.next_u32() & 0xffff) as u16;
        let next_token = rng.next_u32();
        CoapDtlsTransport {
            timing,
            conn: None,
            next_mid,
            next_token,
            rng,
        }
    }

    /// Whether a session is open.
    pub fn is_connected(&self) -> bool {
        self.conn.is_some()
    }

    /// Opens the session ([`Input::CoapConnected`] or [`Input::TransportFailed`]).
    pub async fn connect(&mut self, endpoint: &CoapEndpoint, root: Option<&RootCa>) -> Input {
        match self.open(endpoint, root).await {
            Ok(()) => Input::CoapConnected,
            Err(e) => Input::TransportFailed(e.failure()),
        }
    }

    /// Opens the session; the error says how it failed.
    pub async fn open(
        &mut self,
        endpoint: &CoapEndpoint,
        root: Option<&RootCa>,
    ) -> Result<(), NetError> {
        self.close().await;
        let peer = format!("{}:{}", endpoint.host, endpoint.port);
        let root = root.ok_or_else(|| NetError::RootCa("the sec tag is empty".into()))?;
        let addr = resolve(&endpoint.host, endpoint.port).await?;
        let local: SocketAddr = if addr.is_ipv4() {
            SocketAddr::from(([0, 0, 0, 0], 0))
        } else {
            SocketAddr::from(([0u16; 8], 0))
        };
        let socket = UdpSocket::bind(local)
            .await
            .map_err(|e| NetError::Refused(format!("{peer}: bind: {e}")))?;
        socket
            .connect(addr)
            .await
            .map_err(|e| NetError::Refused(format!("{peer}: {e}")))?;
        let config = Config {
            roots_cas: root.store()?,
            server_name: endpoint.host.clone(),
            cipher_suites: vec![
                CipherSuiteId::Tls_Ecdhe_Ecdsa_With_Aes_128_Ccm_8,
                CipherSuiteId::Tls_Ecdhe_Ecdsa_With_Aes_128_Ccm,
                CipherSuiteId::Tls_Ecdhe_Ecdsa_With_Aes_128_Gcm_Sha256,
            ],
            extended_master_secret: ExtendedMasterSecretType::Request,
            flight_interval: self.timing.flight_interval,
            ..Default::default()
        };
        let handshake = DTLSConn::new(Arc::new(socket), config, true, None);
        let conn = match tokio::time::timeout(self.timing.handshake_timeout, handshake).await {
            Err(_) => return Err(NetError::Timeout(format!("DTLS handshake with {peer}"))),
            Ok(Err(e)) => {
                let reason = e.to_string();
                if reason.to_ascii_lowercase().contains("refused") {
                    return Err(NetError::Refused(format!("{peer}: {reason}")));
                }
                return Err(NetError::Handshake { peer, reason });
            }
            Ok(Ok(conn)) => conn,
        };
        self.conn = Some(conn);
        Ok(())
    }

    /// Sends `request` on the open session and waits for its answer ([`Input::Coap`] or
    /// [`Input::TransportFailed`]).
    pub async fn request(&mut self, request: &CoapRequest) -> Input {
        match self.exchange(request).await {
            Ok(response) => Input::Coap(response),
            Err(e) => Input::TransportFailed(e.failure()),
        }
    }

    /// Sends `request` and waits for its answer; the error says how it failed. A payload
    /// over `BLOCK1_THRESHOLD` bytes goes in Block1 blocks of `BLOCK1_SIZE` bytes
    /// (RFC 7959 §2.5), as Zephyr's `coap_client` under the SDK sends a large request:
    /// each block is its own confirmable exchange, 2.31 Continue asks for the next, and the
    /// answer to the last block is the request's answer.
    pub async fn exchange(&mut self, request: &CoapRequest) -> Result<CoapResponse, NetError> {
        if request.payload.len() <= BLOCK1_THRESHOLD {
            return self.exchange_one(request, None).await;
        }
        let blocks: Vec<&[u8]> = request.payload.chunks(BLOCK1_SIZE).collect();
        let last = blocks.len().saturating_sub(1);
        for (num, chunk) in blocks.into_iter().enumerate() {
            let mut block = request.clone();
            block.payload = chunk.to_vec();
            let option = Block2 {
                num: u32::try_from(num).unwrap_or(u32::MAX),
                more: num < last,
                szx: BLOCK1_SZX,
            };
            let response = self.exchange_one(&block, Some(option)).await?;
            if num == last || response.code != CoapCode::new(2, 31) {
                return Ok(response);
            }
        }
        Err(NetError::Closed("empty Block1 transfer".into()))
    }

    /// One message exchange, with a Block1 option when given.
    async fn exchange_one(
        &mut self,
        request: &CoapRequest,
        block1: Option<Block2>,
    ) -> Result<CoapResponse, NetError> {
        let mid = self.take_mid();
        let token = self.take_token();
        let mut packet = build_packet(request, mid, &token);
        if let Some(block) = block1 {
            packet.add_option(CoapOption::Block1, encode_block(block));
        }
        let bytes = packet
            .to_bytes()
            .map_err(|e| NetError::Closed(format!("cannot encode the request: {e:?}")))?;
        let factor = 1.0
            + self.rng.next_u32() as f64 / u32::MAX as f64
                * (self.timing.ack_random_factor - 1.0).max(0.0);
        let timing = self.timing;
        let conn = self
            .conn
            .as_ref()
            .ok_or_else(|| NetError::Closed("no DTLS session".into()))?;
        let mut wait = timing.ack_timeout.mul_f64(factor);
        let tries = if request.confirmable {
            timing.max_retransmit + 1
        } else {
            1
        };
        for _ in 0..tries {
            send(conn, &bytes).await?;
            match await_answer(conn, mid, &token, wait).await? {
                Answer::Response(p) => return Ok(response_of(&p)),
                Answer::Reset => return Err(NetError::Closed("reset by the server".into())),
                Answer::EmptyAck => {
                    return match await_separate(conn, &token, timing.max_transmit_wait()).await? {
                        Some(p) => Ok(response_of(&p)),
                        None => Err(NetError::Timeout("separate response".into())),
                    }
                }
                Answer::Nothing => {}
            }
            wait *= 2;
        }
        if !request.confirmable {
            if let Some(p) = await_separate(conn, &token, timing.max_transmit_wait()).await? {
                return Ok(response_of(&p));
            }
        }
        Err(NetError::Timeout(format!(
            "no answer to {}",
            request.path_and_query()
        )))
    }

    /// Closes the session (sends close_notify; bounded), if one is open.
    pub async fn close(&mut self) {
        if let Some(conn) = self.conn.take() {
            let _ = tokio::time::timeout(Duration::from_secs(2), conn.close()).await;
        }
    }

    fn take_mid(&mut self) -> u16 {
        let mid = self.next_mid;
        self.next_mid = self.next_mid.wrapping_add(1);
        mid
    }

    fn take_token(&mut self) -> Vec<u8> {
        let token = self.next_token;
        self.next_token = self.next_token.wrapping_add(1);
        token.to_be_bytes().to_vec()
    }
}

/// What arrived for a request within one retransmission interval.
enum Answer {
    Response(Packet),
    EmptyAck,
    Reset,
    Nothing,
}

async fn resolve(host: &str, port: u16) -> Result<SocketAddr, NetError> {
    let mut addrs = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| NetError::Resolve(format!("{host}: {e}")))?;
    addrs
        .next()
        .ok_or_else(|| NetError::Resolve(host.to_owned()))
}

async fn send(conn: &DTLSConn, bytes: &[u8]) -> Result<(), NetError> {
    conn.write(bytes, Some(Duration::from_secs(5)))
        .await
        .map(|_| ())
        .map_err(|e| NetError::Closed(format!("DTLS write: {e}")))
}

/// Reads one datagram within `wait`; `None` when nothing came.
async fn receive(conn: &DTLSConn, wait: Duration) -> Result<Option<Packet>, NetError> {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    match tokio::time::timeout(wait, conn.read(&mut buf, None)).await {
        Err(_) => Ok(None),
        Ok(Err(e)) => Err(NetError::Closed(format!("DTLS read: {e}"))),
        Ok(Ok(n)) => Ok(buf.get(..n).and_then(|b| Packet::from_bytes(b).ok())),
    }
}

/// Waits up to `wait` for the answer to message `mid` / `token`.
async fn await_answer(
    conn: &DTLSConn,
    mid: u16,
    token: &[u8],
    wait: Duration,
) -> Result<Answer, NetError> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            return Ok(Answer::Nothing);
        }
        let Some(p) = receive(conn, left).await? else {
            return Ok(Answer::Nothing);
        };
        let kind = p.header.get_type();
        let same_mid = p.header.message_id == mid;
        match kind {
            MessageType::Reset if same_mid => return Ok(Answer::Reset),
            MessageType::Acknowledgement if same_mid => {
                if p.header.code == MessageClass::Empty {
                    return Ok(Answer::EmptyAck);
                }
                return Ok(Answer::Response(p));
            }
            MessageType::Confirmable | MessageType::NonConfirmable if p.get_token() == token => {
                acknowledge(conn, &p).await?;
                return Ok(Answer::Response(p));
            }
            _ => {}
        }
    }
}

/// Waits up to `wait` for a separate response carrying `token`.
async fn await_separate(
    conn: &DTLSConn,
    token: &[u8],
    wait: Duration,
) -> Result<Option<Packet>, NetError> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            return Ok(None);
        }
        let Some(p) = receive(conn, left).await? else {
            return Ok(None);
        };
        if p.get_token() == token && p.header.code != MessageClass::Empty {
            acknowledge(conn, &p).await?;
            return Ok(Some(p));
        }
    }
}

/// Sends the empty ACK a confirmable separate response needs.
async fn acknowledge(conn: &DTLSConn, p: &Packet) -> Result<(), NetError> {
    if p.header.get_type() != MessageType::Confirmable {
        return Ok(());
    }
    let mut ack = Packet::new();
    ack.header.set_version(1);
    ack.header.set_type(MessageType::Acknowledgement);
    ack.header.code = MessageClass::Empty;
    ack.header.message_id = p.header.message_id;
    let bytes = ack
        .to_bytes()
        .map_err(|e| NetError::Closed(format!("cannot encode an ACK: {e:?}")))?;
    send(conn, &bytes).await
}

/// The request packet (see the module docs).
pub(crate) fn build_packet(request: &CoapRequest, mid: u16, token: &[u8]) -> Packet {
    let mut p = Packet::new();
    p.header.set_version(1);
    p.header.set_type(if request.confirmable {
        MessageType::Confirmable
    } else {
        MessageType::NonConfirmable
    });
    p.header.code = MessageClass::Request(match request.method {
        CoapMethod::Get => RequestType::Get,
        CoapMethod::Post => RequestType::Post,
    });
    p.header.message_id = mid;
    p.set_token(token.to_vec());
    for segment in request.path.split('/').filter(|s| !s.is_empty()) {
        p.add_option(CoapOption::UriPath, segment.as_bytes().to_vec());
    }
    for item in request.query.split('&').filter(|s| !s.is_empty()) {
        p.add_option(CoapOption::UriQuery, item.as_bytes().to_vec());
    }
    p.add_option(
        CoapOption::ContentFormat,
        uint_bytes(u32::from(request.content_format)),
    );
    if let Some(block) = request.block2 {
        p.add_option(CoapOption::Block2, encode_block(block));
    }
    p.payload = request.payload.clone();
    p
}

/// The client's view of a response packet.
fn response_of(p: &Packet) -> CoapResponse {
    CoapResponse {
        code: CoapCode(u8::from(p.header.code)),
        payload: p.payload.clone(),
        block2: p
            .get_first_option(CoapOption::Block2)
            .and_then(|v| decode_block(v)),
    }
}

/// A CoAP uint option value: big-endian, leading zero bytes dropped (0 → empty).
fn uint_bytes(value: u32) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    bytes.get(skip..).unwrap_or_default().to_vec()
}

/// Block option value: `num << 4 | more << 3 | szx` (RFC 7959 §2.2).
pub(crate) fn encode_block(block: Block2) -> Vec<u8> {
    let value = (block.num << 4) | (u32::from(block.more) << 3) | u32::from(block.szx & 0x7);
    uint_bytes(value)
}

/// Decodes a Block option value (at most 3 bytes; SZX 7 is reserved).
pub(crate) fn decode_block(bytes: &[u8]) -> Option<Block2> {
    if bytes.len() > 3 {
        return None;
    }
    let value = bytes.iter().fold(0u32, |v, b| (v << 8) | u32::from(*b));
    let szx = (value & 0x7) as u8;
    if szx == 7 {
        return None;
    }
    Some(Block2 {
        num: value >> 4,
        more: value & 0x8 != 0,
        szx,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_option_round_trip() {
        let b = Block2 {
            num: 3,
            more: true,
            szx: 5,
        };
        assert_eq!(encode_block(b), vec![0x3d]);
        assert_eq!(decode_block(&[0x3d]), Some(b));
        let zero = Block2 {
            num: 0,
            more: false,
            szx: 0,
        };
        assert_eq!(encode_block(zero), Vec::<u8>::new());
        assert_eq!(decode_block(&[]), Some(zero));
        assert_eq!(decode_block(&[0x0f]), None);
    }

    #[test]
    fn packets_carry_path_query_format_and_block() {
        let request = CoapRequest {
            method: CoapMethod::Get,
            confirmable: true,
            path: "p/cmd".into(),
            query: "after=&rxMaxSize=2048".into(),
            content_format: 60,
            payload: vec![],
            block2: Some(Block2 {
                num: 0,
                more: false,
                szx: 5,
            }),
        };
        let p = build_packet(&request, 7, &[1, 2, 3, 4]);
        let bytes = p.to_bytes().unwrap();
        let back = Packet::from_bytes(&bytes).unwrap();
        let paths: Vec<Vec<u8>> = back
            .get_option(CoapOption::UriPath)
            .map(|v| v.iter().cloned().collect())
            .unwrap_or_default();
        assert_eq!(paths, vec![b"p".to_vec(), b"cmd".to_vec()]);
        assert_eq!(
            back.get_content_format(),
            Some(coap_lite::ContentFormat::ApplicationCBOR)
        );
        assert_eq!(back.get_first_option(CoapOption::Block2), Some(&vec![0x05]));
        assert_eq!(back.header.message_id, 7);
    }
}
