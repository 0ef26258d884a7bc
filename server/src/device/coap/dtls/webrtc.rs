//! The `webrtc-dtls` engine: one receive loop on the shared socket, one task per peer that
//! runs the handshake (with a time limit) and then pumps datagrams between the DTLS
//! connection and the [`DtlsSession`] channels.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinSet};
use webrtc_dtls::cipher_suite::CipherSuiteId;
use webrtc_dtls::config::{ClientAuthType, Config, ExtendedMasterSecretType};
use webrtc_dtls::conn::DTLSConn;
use webrtc_dtls::crypto::{Certificate, CryptoPrivateKey, CryptoPrivateKeyKind};

use super::mux::{is_client_hello, PeerConn, PEER_QUEUE};
use super::peers::{client_hello_has_cookie, Admit, PeerLimits, PeerTable};
use super::{
    CipherSuite, DtlsConfig, DtlsEngine, DtlsError, DtlsListener, DtlsSession, SessionInfo,
    CIPHER_SUITES,
};

/// Largest datagram read from the socket.
const MAX_DATAGRAM: usize = 65_536;
/// Largest decrypted record (the engine's own inbound buffer size).
const MAX_RECORD: usize = 8192;
/// How long one encrypted write may take.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a close (sending close_notify) may take.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);
/// How often unverified peers past their time are dropped.
const SWEEP_INTERVAL: Duration = Duration::from_millis(500);
/// Sessions queued for the CoAP layer.
const SESSION_QUEUE: usize = 16;
/// Datagrams queued between a session and the CoAP layer, each way.
const SESSION_CHANNEL: usize = 16;
/// Offset of the negotiated cipher suite id (little-endian u16) in the engine's serialized
/// connection state (`State::marshal_binary`: bincode of `SerializedState`, whose fields
/// before it are `local_epoch: u16`, `remote_epoch: u16` and two 32-byte randoms). Checked
/// by the tests that offer a single suite.
const SUITE_OFFSET: usize = 2 + 2 + 32 + 32;

/// The `webrtc-dtls` 0.12 engine.
#[derive(Debug, Clone)]
pub struct WebrtcDtls {
    config: DtlsConfig,
}

impl WebrtcDtls {
    /// An engine serving `config`'s certificate.
    pub fn new(config: DtlsConfig) -> Self {
        Self { config }
    }

    /// The engine's own server configuration.
    fn engine_config(&self) -> Result<Config, DtlsError> {
        let key_pair = ring::signature::EcdsaKeyPair::from_pkcs8(
            &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            &self.config.private_key_pkcs8,
            &ring::rand::SystemRandom::new(),
        )
        .map_err(|e| {
            DtlsError::Certificate(format!("the server key is not a P-256 PKCS#8 key: {e}"))
        })?;
        if self.config.certificate_chain.is_empty() {
            return Err(DtlsError::Certificate("no server certificate".into()));
        }
        let certificate = Certificate {
            certificate: self.config.certificate_chain.clone(),
            private_key: CryptoPrivateKey {
                kind: CryptoPrivateKeyKind::Ecdsa256(key_pair),
                serialized_der: self.config.private_key_pkcs8.clone(),
            },
        };
        Ok(Config {
            certificates: vec![certificate],
            cipher_suites: CIPHER_SUITES.iter().map(|s| engine_suite(*s)).collect(),
            client_auth: ClientAuthType::NoClientCert,
            extended_master_secret: ExtendedMasterSecretType::Request,
            flight_interval: Duration::from_secs(1),
            mtu: self.config.mtu,
            ..Default::default()
        })
    }
}

impl DtlsEngine for WebrtcDtls {
    fn listen(&self, socket: UdpSocket) -> Result<DtlsListener, DtlsError> {
        let engine_config = self.engine_config()?;
        let local = socket.local_addr()?;
        let (sessions, accepted) = mpsc::channel(SESSION_QUEUE);
        let receive_loop = ReceiveLoop {
            socket: Arc::new(socket),
            local,
            engine_config,
            limits: self.config.clone(),
            sessions,
        };
        Ok(DtlsListener::new(
            accepted,
            tokio::spawn(receive_loop.run()),
        ))
    }
}

/// The engine's suite id for one of ours.
fn engine_suite(suite: CipherSuite) -> CipherSuiteId {
    match suite {
        CipherSuite::EcdheEcdsaAes128Ccm8 => CipherSuiteId::Tls_Ecdhe_Ecdsa_With_Aes_128_Ccm_8,
        CipherSuite::EcdheEcdsaAes128Ccm => CipherSuiteId::Tls_Ecdhe_Ecdsa_With_Aes_128_Ccm,
        CipherSuite::EcdheEcdsaAes128GcmSha256 => {
            CipherSuiteId::Tls_Ecdhe_Ecdsa_With_Aes_128_Gcm_Sha256
        }
    }
}

/// The socket's receive loop and the peers it feeds.
struct ReceiveLoop {
    socket: Arc<UdpSocket>,
    local: SocketAddr,
    engine_config: Config,
    limits: DtlsConfig,
    sessions: mpsc::Sender<DtlsSession>,
}

/// A peer's queue and task.
struct Peer {
    queue: mpsc::Sender<Vec<u8>>,
    task: AbortHandle,
}

/// What a peer's task reports to the receive loop.
enum PeerEvent {
    /// The handshake of this generation is done.
    Established(SocketAddr, u64),
    /// The peer of this generation is over.
    Gone(SocketAddr, u64),
}

impl ReceiveLoop {
    fn peer_limits(&self) -> PeerLimits {
        PeerLimits {
            max_peers: self.limits.max_peers,
            max_handshakes: self.limits.max_handshakes.min(self.limits.max_peers),
            max_unverified: self.limits.max_unverified,
            max_unverified_per_ip: self.limits.max_unverified_per_ip,
            unverified_timeout: self.limits.unverified_timeout,
        }
    }

    async fn run(self) {
        let mut peers: PeerTable<Peer> = PeerTable::new(self.peer_limits());
        let (events_tx, mut events) = mpsc::unbounded_channel::<PeerEvent>();
        let mut tasks = JoinSet::new();
        let mut sweep = tokio::time::interval(SWEEP_INTERVAL);
        sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut buf = vec![0u8; MAX_DATAGRAM];
        loop {
            tokio::select! {
                received = self.socket.recv_from(&mut buf) => {
                    let (n, from) = match received {
                        Ok(r) => r,
                        Err(e) => {
                            // ICMP errors surface here on some systems; keep serving.
                            tracing::debug!(error = %e, "DTLS socket receive error");
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            continue;
                        }
                    };
                    let datagram = buf.get(..n).unwrap_or_default();
                    if let Some(peer) = peers.get(&from) {
                        if peer.queue.try_send(datagram.to_vec()).is_err() {
                            tracing::debug!(peer = %from, "peer queue full; datagram dropped");
                        }
                        if is_client_hello(datagram) && client_hello_has_cookie(datagram) {
                            peers.verified(&from);
                        }
                        continue;
                    }
                    if !is_client_hello(datagram) {
                        tracing::debug!(peer = %from, "datagram from an unknown peer is not a ClientHello; dropped");
                        continue;
                    }
                    let generation = match peers.admit(from) {
                        Admit::Start { generation, evicted } => {
                            for peer in evicted {
                                peer.task.abort();
                            }
                            generation
                        }
                        Admit::Full => {
                            let (unverified, handshaking, established) = peers.counts();
                            tracing::warn!(peer = %from, unverified, handshaking, established, "every DTLS peer is verified; ClientHello dropped");
                            continue;
                        }
                    };
                    let (queue, inbound) = mpsc::channel(PEER_QUEUE);
                    // The queue is empty, so this first datagram always fits.
                    let _ = queue.try_send(datagram.to_vec());
                    let conn = PeerConn::new(self.socket.clone(), self.local, from, inbound);
                    let task = tasks.spawn(serve_peer(
                        Arc::new(conn),
                        from,
                        self.engine_config.clone(),
                        self.limits.handshake_timeout,
                        self.sessions.clone(),
                        Departure { tx: events_tx.clone(), peer: from, generation },
                    ));
                    peers.insert(from, generation, Instant::now(), Peer { queue, task });
                }
                Some(event) = events.recv() => match event {
                    PeerEvent::Established(peer, generation) => peers.established(&peer, generation),
                    PeerEvent::Gone(peer, generation) => {
                        peers.gone(&peer, generation);
                    }
                },
                _ = sweep.tick() => {
                    for peer in peers.expire(Instant::now()) {
                        peer.task.abort();
                    }
                }
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            }
        }
    }
}

/// Tells the receive loop about a peer's handshake, and, when dropped, that its session is
/// over.
struct Departure {
    tx: mpsc::UnboundedSender<PeerEvent>,
    peer: SocketAddr,
    generation: u64,
}

impl Departure {
    fn established(&self) {
        let _ = self
            .tx
            .send(PeerEvent::Established(self.peer, self.generation));
    }
}

impl Drop for Departure {
    fn drop(&mut self) {
        let _ = self.tx.send(PeerEvent::Gone(self.peer, self.generation));
    }
}

/// One peer: handshake, then pump until either side ends the session.
async fn serve_peer(
    conn: Arc<PeerConn>,
    peer: SocketAddr,
    config: Config,
    handshake_timeout: Duration,
    sessions: mpsc::Sender<DtlsSession>,
    departure: Departure,
) {
    let handshake =
        tokio::time::timeout(handshake_timeout, DTLSConn::new(conn, config, false, None)).await;
    let dtls = match handshake {
        Ok(Ok(dtls)) => dtls,
        Ok(Err(e)) => {
            tracing::warn!(%peer, error = %e, "DTLS handshake failed");
            return;
        }
        Err(_) => {
            tracing::warn!(%peer, timeout = ?handshake_timeout, "DTLS handshake timed out");
            return;
        }
    };
    departure.established();
    let info = SessionInfo {
        peer,
        cipher_suite: negotiated_suite(&dtls).await,
    };
    tracing::info!(%peer, cipher_suite = %info.cipher_suite_name(), "DTLS session established");
    let (incoming_tx, incoming) = mpsc::channel(SESSION_CHANNEL);
    let (outgoing, outgoing_rx) = mpsc::channel(SESSION_CHANNEL);
    let session = DtlsSession {
        info,
        incoming,
        outgoing,
    };
    if sessions.send(session).await.is_ok() {
        pump(&dtls, incoming_tx, outgoing_rx).await;
    }
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, dtls.close()).await;
    tracing::debug!(%peer, "DTLS session closed");
}

/// Moves datagrams between the DTLS connection and the session's channels until one side
/// ends.
async fn pump(
    dtls: &DTLSConn,
    incoming: mpsc::Sender<Vec<u8>>,
    mut outgoing: mpsc::Receiver<Vec<u8>>,
) {
    let mut buf = vec![0u8; MAX_RECORD];
    loop {
        tokio::select! {
            read = dtls.read(&mut buf, None) => match read {
                Ok(n) => {
                    let datagram = buf.get(..n).unwrap_or_default().to_vec();
                    if incoming.send(datagram).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    tracing::debug!(error = %e, "DTLS session ended by the peer");
                    return;
                }
            },
            out = outgoing.recv() => match out {
                Some(datagram) => {
                    if let Err(e) = dtls.write(&datagram, Some(WRITE_TIMEOUT)).await {
                        tracing::debug!(error = %e, "DTLS write failed");
                        return;
                    }
                }
                None => return,
            },
        }
    }
}

/// The negotiated suite's IANA number, read from the engine's serialized state (0 if it
/// cannot be read).
async fn negotiated_suite(dtls: &DTLSConn) -> u16 {
    match dtls.connection_state().await.marshal_binary().await {
        Ok(bytes) => match bytes.get(SUITE_OFFSET..SUITE_OFFSET + 2) {
            Some(&[lo, hi]) => u16::from_le_bytes([lo, hi]),
            _ => 0,
        },
        Err(_) => 0,
    }
}
