//! The DTLS 1.2 engine behind the CoAP endpoint, kept behind a small interface.
//!
//! An engine ([`DtlsEngine`]) takes the bound UDP socket and hands out handshaken sessions
//! through a [`DtlsListener`]. A [`DtlsSession`] is just two channels of plaintext
//! datagrams (in from the peer, out to it) plus what was negotiated, so the CoAP layer
//! knows nothing of the engine, and a second engine (a sans-IO one under virtual time, or
//! OpenSSL) only has to fill those channels.
//!
//! The engine in use is [`webrtc::WebrtcDtls`] (`webrtc-dtls` 0.12): pure Rust on tokio,
//! and it has `TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8`, the suite CoAP mandates (RFC 7252
//! §9.1.3.3) and the one real nRF91 boards need. Its sessions are demultiplexed from the one
//! socket by peer address ([`mux`]), and a burst of ClientHellos cannot fill the peer
//! table ([`peers`]). It does not negotiate DTLS connection IDs; the SDK's
//! client only marks them supported (`TLS_DTLS_CID_SUPPORTED`), so sessions simply run
//! without one.

pub mod mux;
pub mod peers;
pub mod webrtc;

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use rustls::pki_types::CertificateDer;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::device::pki::LabPki;

/// Default time a handshake may take before the peer is forgotten.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);
/// Default number of peers (handshaking or in session) served at once.
pub const MAX_PEERS: usize = 256;
/// Default number of peers whose handshake is not done yet.
pub const MAX_HANDSHAKES: usize = 128;
/// Default number of peers that have not answered the HelloVerifyRequest yet.
pub const MAX_UNVERIFIED: usize = 64;
/// Default number of unverified peers from one IP address.
pub const MAX_UNVERIFIED_PER_IP: usize = 16;
/// Default time a peer has to answer the HelloVerifyRequest (the engine resends it after
/// 1 s, so one lost datagram is survived).
pub const UNVERIFIED_TIMEOUT: Duration = Duration::from_secs(4);
/// Default largest datagram the handshake produces (handshake messages are fragmented to
/// fit). 1200 bytes passes any IPv6 path; application data is never larger than one CoAP
/// block plus headers.
pub const MTU: usize = 1200;

/// The cipher suites offered, most preferred first: AES-128-CCM-8 for the nRF91 modem and
/// CoAP, AES-128-CCM, and AES-128-GCM for general clients. All ECDHE-ECDSA: the lab server
/// key is P-256.
pub const CIPHER_SUITES: [CipherSuite; 3] = [
    CipherSuite::EcdheEcdsaAes128Ccm8,
    CipherSuite::EcdheEcdsaAes128Ccm,
    CipherSuite::EcdheEcdsaAes128GcmSha256,
];

/// A DTLS 1.2 cipher suite the server offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CipherSuite {
    /// `TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8` (0xC0AE).
    EcdheEcdsaAes128Ccm8,
    /// `TLS_ECDHE_ECDSA_WITH_AES_128_CCM` (0xC0AC).
    EcdheEcdsaAes128Ccm,
    /// `TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256` (0xC02B).
    EcdheEcdsaAes128GcmSha256,
}

impl CipherSuite {
    /// The IANA number.
    pub fn id(self) -> u16 {
        match self {
            CipherSuite::EcdheEcdsaAes128Ccm8 => 0xC0AE,
            CipherSuite::EcdheEcdsaAes128Ccm => 0xC0AC,
            CipherSuite::EcdheEcdsaAes128GcmSha256 => 0xC02B,
        }
    }

    /// The suite with IANA number `id`, if it is one of ours.
    pub fn from_id(id: u16) -> Option<CipherSuite> {
        CIPHER_SUITES.into_iter().find(|s| s.id() == id)
    }

    /// The IANA name.
    pub fn name(self) -> &'static str {
        match self {
            CipherSuite::EcdheEcdsaAes128Ccm8 => "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8",
            CipherSuite::EcdheEcdsaAes128Ccm => "TLS_ECDHE_ECDSA_WITH_AES_128_CCM",
            CipherSuite::EcdheEcdsaAes128GcmSha256 => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        }
    }
}

/// Why a DTLS engine could not start.
#[derive(Debug, thiserror::Error)]
pub enum DtlsError {
    /// The server certificate or key cannot be used by the engine.
    #[error("the DTLS engine cannot use the server certificate: {0}")]
    Certificate(String),
    /// The engine's configuration is refused.
    #[error("invalid DTLS configuration: {0}")]
    Config(String),
    /// The socket cannot be used.
    #[error("DTLS socket: {0}")]
    Socket(#[from] std::io::Error),
}

/// What any engine needs: the server's certificate and key, and its limits.
#[derive(Clone)]
pub struct DtlsConfig {
    /// The certificate chain to present (the server certificate; the device has the root).
    pub certificate_chain: Vec<CertificateDer<'static>>,
    /// The server's private key, PKCS#8 DER, ECDSA P-256.
    pub private_key_pkcs8: Vec<u8>,
    /// How long a handshake may take.
    pub handshake_timeout: Duration,
    /// Most peers served at once (see [`peers`] for who gives way).
    pub max_peers: usize,
    /// Most peers whose handshake is not done yet.
    pub max_handshakes: usize,
    /// Most peers that have not answered the HelloVerifyRequest yet.
    pub max_unverified: usize,
    /// Most unverified peers from one IP address.
    pub max_unverified_per_ip: usize,
    /// Time a peer has to answer the HelloVerifyRequest.
    pub unverified_timeout: Duration,
    /// Largest handshake datagram.
    pub mtu: usize,
}

impl DtlsConfig {
    /// The configuration serving the lab PKI's server certificate, with default limits.
    pub fn from_pki(pki: &LabPki) -> Self {
        Self {
            certificate_chain: vec![pki.server_cert_der().clone()],
            private_key_pkcs8: pki.server_key_pkcs8_der().to_vec(),
            handshake_timeout: HANDSHAKE_TIMEOUT,
            max_peers: MAX_PEERS,
            max_handshakes: MAX_HANDSHAKES,
            max_unverified: MAX_UNVERIFIED,
            max_unverified_per_ip: MAX_UNVERIFIED_PER_IP,
            unverified_timeout: UNVERIFIED_TIMEOUT,
            mtu: MTU,
        }
    }
}

impl fmt::Debug for DtlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DtlsConfig")
            .field("certificates", &self.certificate_chain.len())
            .field("handshake_timeout", &self.handshake_timeout)
            .field("max_peers", &self.max_peers)
            .field("max_handshakes", &self.max_handshakes)
            .field("max_unverified", &self.max_unverified)
            .field("max_unverified_per_ip", &self.max_unverified_per_ip)
            .field("unverified_timeout", &self.unverified_timeout)
            .field("mtu", &self.mtu)
            .finish_non_exhaustive()
    }
}

/// What a handshake settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// The peer's address.
    pub peer: SocketAddr,
    /// The IANA number of the negotiated cipher suite (0 if the engine cannot tell).
    pub cipher_suite: u16,
}

impl SessionInfo {
    /// The negotiated suite's name, or its number in hex.
    pub fn cipher_suite_name(&self) -> String {
        CipherSuite::from_id(self.cipher_suite)
            .map(|s| s.name().to_string())
            .unwrap_or_else(|| format!("0x{:04X}", self.cipher_suite))
    }
}

/// A handshaken DTLS session: plaintext datagrams in and out. Dropping it (or either
/// channel end) ends the session.
#[derive(Debug)]
pub struct DtlsSession {
    /// What was negotiated.
    pub info: SessionInfo,
    /// Datagrams from the peer, decrypted. `None` once the session is over.
    pub incoming: mpsc::Receiver<Vec<u8>>,
    /// Datagrams to the peer, to encrypt and send.
    pub outgoing: mpsc::Sender<Vec<u8>>,
}

/// Where an engine delivers handshaken sessions. Dropping it stops the engine.
#[derive(Debug)]
pub struct DtlsListener {
    sessions: mpsc::Receiver<DtlsSession>,
    engine: JoinHandle<()>,
}

impl DtlsListener {
    /// A listener fed by `sessions`, whose engine runs as `engine` (aborted on drop).
    pub fn new(sessions: mpsc::Receiver<DtlsSession>, engine: JoinHandle<()>) -> Self {
        Self { sessions, engine }
    }

    /// The next handshaken session; `None` once the engine has stopped.
    pub async fn accept(&mut self) -> Option<DtlsSession> {
        self.sessions.recv().await
    }
}

impl Drop for DtlsListener {
    fn drop(&mut self) {
        self.engine.abort();
    }
}

/// A DTLS 1.2 server engine.
pub trait DtlsEngine {
    /// Starts serving DTLS on `socket`; sessions come out of the listener. Must be called
    /// within a tokio runtime.
    fn listen(&self, socket: tokio::net::UdpSocket) -> Result<DtlsListener, DtlsError>;
}
