//! Fixtures of the device endpoint tests: a lab with the real HTTPS and CoAP/DTLS listeners
//! on 127.0.0.1, an HTTPS client that sends what the SDK's client sends, and a CoAP client
//! over a `webrtc-dtls` client session.

#![allow(dead_code, clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use coap_lite::{CoapOption, ContentFormat, MessageClass, MessageType, Packet, RequestType};
use provlab_server::app::{App, ManualClock};
use provlab_server::device::coap::block::BlockOpt;
use provlab_server::device::coap::dtls::DtlsConfig;
use provlab_server::device::pki::LabPki;
use provlab_server::device::{coap, https};
use provlab_server::domain::commands::{CommandRequest, CommandStatus};
use provlab_server::domain::service::NewCommand;
use provlab_server::domain::status::ShownStatus;
use provlab_server::domain::{CommandId, DeviceId, Role, ServiceConfig, Timestamp};
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use webrtc_dtls::cipher_suite::CipherSuiteId;
use webrtc_dtls::config::Config;
use webrtc_dtls::conn::DTLSConn;

use super::common::{Dev, OWNER};

/// The lab clock's start: 2024-05-01T12:00:00Z.
pub const T0_MS: u64 = 1_714_564_800_000;
/// Every network step of a test is bounded by this.
pub const STEP: Duration = Duration::from_secs(10);

/// The service with its device listeners running.
pub struct Lab {
    pub app: Arc<App>,
    pub clock: Arc<ManualClock>,
    pub pki: LabPki,
    pub https: SocketAddr,
    pub coap: SocketAddr,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl Lab {
    /// Starts the listeners with `config`, an owner member, and a fresh lab PKI.
    pub async fn start(config: ServiceConfig) -> Lab {
        let dir = tempfile::tempdir().unwrap();
        let pki = LabPki::load_or_create(dir.path(), &["localhost".to_string()]).unwrap();
        let clock = Arc::new(ManualClock::new(Timestamp::from_millis(T0_MS)));
        let app = Arc::new(App::in_memory(config, clock.clone()));
        app.mutate(|s, now| s.setup_member(now, "olivia", Role::Owner, Some(OWNER)))
            .unwrap();
        let (stop, stopped) = watch::channel(false);
        let shutdown = |mut rx: watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|stop| *stop).await;
        };
        let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let https_addr = tcp.local_addr().unwrap();
        let coap_addr = udp.local_addr().unwrap();
        let tls = pki.rustls_server_config().unwrap();
        let https_task = tokio::spawn({
            let app = app.clone();
            let down = shutdown(stopped.clone());
            async move {
                https::serve(app, tcp, tls, down).await.unwrap();
            }
        });
        let coap_task = tokio::spawn({
            let app = app.clone();
            let down = shutdown(stopped.clone());
            let dtls = DtlsConfig::from_pki(&pki);
            async move {
                coap::serve(app, udp, dtls, down).await.unwrap();
            }
        });
        Lab {
            app,
            clock,
            pki,
            https: https_addr,
            coap: coap_addr,
            stop,
            tasks: vec![https_task, coap_task],
            _dir: dir,
        }
    }

    /// Stops the listeners and waits for them (bounded).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            tokio::time::timeout(STEP, task).await.unwrap().unwrap();
        }
    }

    /// The lab clock in seconds (what JWTs are issued at).
    pub fn now_s(&self) -> u64 {
        self.app.now().as_millis() / 1000
    }

    /// Claims `dev` as the owner.
    pub fn claim(&self, dev: &Dev) -> DeviceId {
        self.app
            .mutate(|s, now| s.claim(now, Some(OWNER), &dev.token(), &[]))
            .unwrap()
            .device
    }

    /// Appends a command as the owner.
    pub fn add(&self, device: DeviceId, request: CommandRequest) -> CommandId {
        self.app
            .mutate(|s, now| {
                s.add_command(
                    now,
                    Some(OWNER),
                    device,
                    &NewCommand {
                        description: format!("test {}", request.type_name()),
                        request: request.clone(),
                    },
                )
            })
            .unwrap()
    }

    /// The device's status as the owner sees it.
    pub fn status(&self, device: DeviceId) -> ShownStatus {
        self.app
            .read(|s, _| s.get_device(Some(OWNER), device).unwrap().shown_status())
    }

    /// The statuses of the device's commands.
    pub fn statuses(&self, device: DeviceId) -> Vec<CommandStatus> {
        self.app.read(|s, _| {
            s.list_commands(Some(OWNER), device)
                .unwrap()
                .iter()
                .map(|c| c.status)
                .collect()
        })
    }

    /// How many events are stored: unchanged after a refused request.
    pub fn events(&self) -> usize {
        self.app.stored_events().unwrap().len()
    }

    /// The lab root CA, for a client's trust store.
    pub fn root(&self) -> CertificateDer<'static> {
        self.pki.root_ca_der().clone()
    }
}

/// A root CA that is not the lab's (from a second lab PKI).
pub fn foreign_root() -> (tempfile::TempDir, CertificateDer<'static>) {
    let dir = tempfile::tempdir().unwrap();
    let pki = LabPki::load_or_create(dir.path(), &["localhost".to_string()]).unwrap();
    let root = pki.root_ca_der().clone();
    (dir, root)
}

/// A PEM certificate long enough that the record carrying it needs several CoAP blocks.
pub fn long_pem(lines: usize) -> String {
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for i in 0..lines {
        pem.push_str(&format!("{:064}\n", i));
    }
    pem.push_str("-----END CERTIFICATE-----");
    pem
}

// ---------------------------------------------------------------- HTTPS

/// An HTTP response as the device sees it.
#[derive(Debug)]
pub struct HttpReply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpReply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A TLS client trusting `root`.
pub fn tls_client(root: CertificateDer<'static>) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(root).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(&[&rustls::version::TLS12])
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// Sends one raw HTTP/1.1 request over a new TLS connection (as the SDK does) and reads
/// the response until the server closes. `Err` is the TLS/IO error.
pub async fn http_exchange(
    addr: SocketAddr,
    connector: &tokio_rustls::TlsConnector,
    request: &[u8],
) -> std::io::Result<HttpReply> {
    let exchange = async {
        let tcp = TcpStream::connect(addr).await?;
        let name = ServerName::try_from("localhost").unwrap();
        let mut tls = connector.connect(name, tcp).await?;
        tls.write_all(request).await?;
        tls.flush().await?;
        let mut raw = Vec::new();
        tls.read_to_end(&mut raw).await?;
        Ok::<_, std::io::Error>(raw)
    };
    let raw = tokio::time::timeout(STEP, exchange).await.unwrap()?;
    Ok(parse_http(&raw))
}

fn parse_http(raw: &[u8]) -> HttpReply {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("response head");
    let head = std::str::from_utf8(&raw[..split]).unwrap();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.trim().to_string(), v.trim().to_string())
        })
        .collect();
    let body = raw[split + 4..].to_vec();
    HttpReply {
        status,
        headers,
        body,
    }
}

/// The SDK's fetch request (current generation: with `limit`), header order as the SDK.
pub fn http_get(query: &str, jwt: Option<&str>) -> Vec<u8> {
    let auth = jwt
        .map(|j| format!("Authorization: Bearer {j}\r\n"))
        .unwrap_or_default();
    format!(
        "GET /v1/provisioning/commands?{query} HTTP/1.1\r\nHost: localhost\r\nAccept: application/cbor\r\n{auth}Content-Type: */*\r\nUser-Agent: Zephyr/3.7 (provlab test)\r\nConnection: close\r\n\r\n"
    )
    .into_bytes()
}

/// The SDK's report request.
pub fn http_post(body: &[u8], content_type: &str, jwt: &str) -> Vec<u8> {
    let mut out = format!(
        "POST /v1/provisioning/response HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\nAccept: */*\r\nAuthorization: Bearer {jwt}\r\nUser-Agent: Zephyr/3.7 (provlab test)\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

// ---------------------------------------------------------------- CoAP over DTLS

/// A minimal DTLS 1.2 ClientHello offering AES-128-CCM-8 on P-256, as one datagram.
pub fn client_hello() -> Vec<u8> {
    let mut body = vec![0xFE, 0xFD]; // client_version DTLS 1.2
    body.extend_from_slice(&[7u8; 32]); // random
    body.push(0); // session_id
    body.push(0); // cookie
    body.extend_from_slice(&[0, 2, 0xC0, 0xAE]); // cipher_suites
    body.extend_from_slice(&[1, 0]); // compression_methods: null
    let extensions = [
        0x00, 0x0A, 0x00, 0x04, 0x00, 0x02, 0x00, 0x17, // supported_groups: secp256r1
        0x00, 0x0B, 0x00, 0x02, 0x01, 0x00, // ec_point_formats: uncompressed
        0x00, 0x0D, 0x00, 0x04, 0x00, 0x02, 0x04, 0x03, // signature_algorithms: ecdsa_sha256
    ];
    body.extend_from_slice(&(extensions.len() as u16).to_be_bytes());
    body.extend_from_slice(&extensions);
    let len = body.len() as u32;
    let mut handshake = vec![1]; // client_hello
    handshake.extend_from_slice(&len.to_be_bytes()[1..]);
    handshake.extend_from_slice(&[0, 0]); // message_seq
    handshake.extend_from_slice(&[0, 0, 0]); // fragment_offset
    handshake.extend_from_slice(&len.to_be_bytes()[1..]); // fragment_length
    handshake.extend_from_slice(&body);
    let mut record = vec![22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0];
    record.extend_from_slice(&(handshake.len() as u16).to_be_bytes());
    record.extend_from_slice(&handshake);
    record
}

/// A DTLS client session to `addr`, trusting `root`, offering `suites`.
pub async fn dtls_connect(
    addr: SocketAddr,
    root: CertificateDer<'static>,
    suites: Vec<CipherSuiteId>,
) -> Result<DTLSConn, webrtc_dtls::Error> {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    socket.connect(addr).await.unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(root).unwrap();
    let config = Config {
        roots_cas: roots,
        server_name: "localhost".into(),
        cipher_suites: suites,
        ..Default::default()
    };
    tokio::time::timeout(STEP, DTLSConn::new(Arc::new(socket), config, true, None))
        .await
        .unwrap()
}

/// A CoAP client on a DTLS session, with its own message ids.
pub struct CoapClient {
    pub dtls: DTLSConn,
    next_id: u16,
}

impl CoapClient {
    /// A session to the lab with the CoAP-mandated suite only.
    pub async fn connect(lab: &Lab) -> CoapClient {
        Self::connect_to(lab.coap, lab.root()).await
    }

    /// A session to any CoAP/DTLS endpoint (a container's mapped port) whose server
    /// certificate chains to `root`, with the CoAP-mandated suite only.
    pub async fn connect_to(addr: SocketAddr, root: CertificateDer<'static>) -> CoapClient {
        let dtls = dtls_connect(
            addr,
            root,
            vec![CipherSuiteId::Tls_Ecdhe_Ecdsa_With_Aes_128_Ccm_8],
        )
        .await
        .unwrap();
        CoapClient { dtls, next_id: 1 }
    }

    /// A request packet (CON, Content-Format 60 like the SDK), with a fresh message id.
    pub fn request(
        &mut self,
        method: RequestType,
        path: &str,
        queries: &[&str],
        payload: &[u8],
    ) -> Packet {
        let mut p = Packet::new();
        p.header.set_version(1);
        p.header.set_type(MessageType::Confirmable);
        p.header.code = MessageClass::Request(method);
        p.header.message_id = self.next_id;
        self.next_id += 1;
        p.set_token(vec![0xA5, self.next_id as u8, 3, 4]);
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            p.add_option(CoapOption::UriPath, segment.as_bytes().to_vec());
        }
        for q in queries {
            p.add_option(CoapOption::UriQuery, q.as_bytes().to_vec());
        }
        p.set_content_format(ContentFormat::ApplicationCBOR);
        p.payload = payload.to_vec();
        p
    }

    /// Sends the packet's bytes and returns the raw response.
    pub async fn exchange_raw(&self, bytes: &[u8]) -> Vec<u8> {
        self.dtls.write(bytes, Some(STEP)).await.unwrap();
        let mut buf = vec![0u8; 4096];
        let n = tokio::time::timeout(STEP, self.dtls.read(&mut buf, None))
            .await
            .unwrap()
            .unwrap();
        buf.truncate(n);
        buf
    }

    /// Sends a packet and parses the response.
    pub async fn exchange(&self, packet: &Packet) -> Packet {
        let raw = self.exchange_raw(&packet.to_bytes().unwrap()).await;
        Packet::from_bytes(&raw).unwrap()
    }

    /// `POST p/auth-jwt?mver=&cver=` with the JWT.
    pub async fn auth(&mut self, jwt: &str) -> Packet {
        let p = self.request(
            RequestType::Post,
            "p/auth-jwt",
            &["mver=mfw_nrf9160_1.3.5", "cver=2.8.0"],
            jwt.as_bytes(),
        );
        self.exchange(&p).await
    }

    /// `GET p/cmd` reassembling every Block2 block, suggesting blocks of `2^(szx+4)`.
    /// Returns the last response and the body.
    pub async fn fetch(&mut self, queries: &[&str], szx: u8) -> (Packet, Vec<u8>, usize) {
        let mut body = Vec::new();
        let mut blocks = 0;
        for num in 0..64u32 {
            let mut p = self.request(RequestType::Get, "p/cmd", queries, &[]);
            p.add_option(
                CoapOption::Block2,
                BlockOpt {
                    num,
                    more: false,
                    szx,
                }
                .encode(),
            );
            let response = self.exchange(&p).await;
            if response.header.code != MessageClass::Response(coap_lite::ResponseType::Content) {
                return (response, body, blocks);
            }
            body.extend_from_slice(&response.payload);
            blocks += 1;
            let more = response
                .get_first_option(CoapOption::Block2)
                .map(|v| BlockOpt::decode(v).unwrap().more)
                .unwrap_or(false);
            if !more {
                return (response, body, blocks);
            }
        }
        panic!("more than 64 blocks");
    }

    /// `POST p/rsp` with a CBOR body.
    pub async fn report(&mut self, body: &[u8]) -> Packet {
        let p = self.request(RequestType::Post, "p/rsp", &[], body);
        self.exchange(&p).await
    }

    pub async fn close(self) {
        let _ = tokio::time::timeout(STEP, self.dtls.close()).await;
    }
}

/// The response code of a packet, e.g. "2.05".
pub fn code(p: &Packet) -> String {
    p.header.code.to_string()
}

/// The fetch query items a current-generation device sends.
pub fn cmd_query(after: &str) -> Vec<String> {
    vec![
        format!("after={after}"),
        "rxMaxSize=4096".into(),
        "txMaxSize=4096".into(),
        "limit=10".into(),
    ]
}
