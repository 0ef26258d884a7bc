//! Connection floods against the real listeners of `provlab serve` on 127.0.0.1 (issue 15,
//! item 2): each flood is bounded in count and time, and a REST call and a legitimate
//! device still get through during the flood and after it.

#![allow(clippy::unwrap_used)]

use crate::common;
use crate::device_common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::Dev;
use device_common::{
    client_hello, cmd_query, code, http_exchange, http_get, tls_client, CoapClient,
};
use provlab_server::device::pki::LabPki;
use provlab_server::listen::TableLimits;
use provlab_server::rest::listener::RestLimits;
use provlab_server::serve::{Bound, ServeConfig, Server};
use rustls::pki_types::CertificateDer;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::oneshot;
use tokio::task::JoinSet;

const OWNER_KEY: &str = "flood-test-owner-key-0001";
/// How long a legitimate request may take during a flood.
const PROMPT: Duration = Duration::from_secs(3);

/// `provlab serve` with every listener on a free loopback port.
struct Service {
    bound: Bound,
    root: CertificateDer<'static>,
    app: Arc<provlab_server::app::App>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

impl Service {
    async fn start(rest_limits: Option<RestLimits>) -> Service {
        let dir = tempfile::tempdir().unwrap();
        let any = SocketAddr::from(([127, 0, 0, 1], 0));
        let config = ServeConfig {
            rest: any,
            https: Some(any),
            coap: Some(any),
            pki: Some(dir.path().join("pki")),
            owner_key: Some(OWNER_KEY.into()),
            rest_limits,
            ..ServeConfig::default()
        };
        let server = Server::start(&config).await.unwrap();
        let bound = server.bound().clone();
        let pki = LabPki::load_or_create(&dir.path().join("pki"), &config.hostnames).unwrap();
        let app = server.app().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            server
                .run(async move {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        Service {
            bound,
            root: pki.root_ca_der().clone(),
            app,
            stop: Some(stop),
            task,
            _dir: dir,
        }
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(Duration::from_secs(15), &mut self.task)
            .await
            .expect("the service stops")
            .unwrap();
    }

    /// `GET /v1/team/me` as the owner: its status, within [`PROMPT`].
    async fn rest_call(&self) -> u16 {
        let request = format!(
            "GET /v1/team/me HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {OWNER_KEY}\r\nConnection: close\r\n\r\n"
        );
        let exchange = async {
            let mut tcp = TcpStream::connect(self.bound.rest).await?;
            tcp.write_all(request.as_bytes()).await?;
            let mut raw = Vec::new();
            tcp.read_to_end(&mut raw).await?;
            Ok::<_, std::io::Error>(raw)
        };
        let raw = tokio::time::timeout(PROMPT, exchange)
            .await
            .expect("the REST call is answered promptly")
            .expect("the REST call is answered");
        let head = String::from_utf8_lossy(&raw);
        head.split(' ').nth(1).unwrap_or("").parse().unwrap_or(0)
    }

    /// A claimed device's fetch over HTTPS, as the SDK sends it: its status.
    async fn device_fetch(&self, dev: &Dev) -> u16 {
        let now_s = self.app.now().as_millis() / 1000;
        let request = http_get(
            "after=&rxMaxSize=4096&txMaxSize=4096&limit=10",
            Some(&dev.jwt(now_s)),
        );
        let https = self.bound.https.unwrap();
        let reply = tokio::time::timeout(
            PROMPT,
            http_exchange(https, &tls_client(self.root.clone()), &request),
        )
        .await
        .expect("the device fetch is answered promptly")
        .expect("the device fetch gets through TLS");
        reply.status
    }

    /// A DTLS handshake and a CoAP auth and fetch, as the SDK's client does them: the
    /// codes, within [`PROMPT`].
    async fn device_coap(&self, dev: &Dev) -> (String, String) {
        let exchange = async {
            let mut coap =
                CoapClient::connect_to(self.bound.coap.unwrap(), self.root.clone()).await;
            let now_s = self.app.now().as_millis() / 1000;
            let auth = code(&coap.auth(&dev.jwt(now_s)).await);
            let query = cmd_query("");
            let query: Vec<&str> = query.iter().map(String::as_str).collect();
            let (fetched, _, _) = coap.fetch(&query, 6).await;
            coap.close().await;
            (auth, code(&fetched))
        };
        tokio::time::timeout(PROMPT, exchange)
            .await
            .expect("the CoAP exchange completes promptly")
    }

    fn claim(&self, dev: &Dev) {
        self.app
            .mutate(|s, now| s.claim(now, Some(OWNER_KEY), &dev.token(), &[]))
            .unwrap();
    }
}

/// Flood connections held open by the test: each connects, sends `opening` and waits for
/// the server to close it.
struct Flood {
    opened: Arc<AtomicUsize>,
    closed: Arc<AtomicUsize>,
    tasks: JoinSet<()>,
}

impl Flood {
    /// Opens `count` connections to `addr`, each sending `opening(i)` (nothing when empty),
    /// and waits (bounded) until all are connected.
    async fn open(addr: SocketAddr, count: usize, opening: impl Fn(usize) -> Vec<u8>) -> Flood {
        let opened = Arc::new(AtomicUsize::new(0));
        let closed = Arc::new(AtomicUsize::new(0));
        let mut tasks = JoinSet::new();
        for i in 0..count {
            let bytes = opening(i);
            let (opened, closed) = (opened.clone(), closed.clone());
            tasks.spawn(async move {
                let Ok(mut tcp) = TcpStream::connect(addr).await else {
                    closed.fetch_add(1, Ordering::SeqCst);
                    return;
                };
                if !bytes.is_empty() {
                    let _ = tcp.write_all(&bytes).await;
                }
                opened.fetch_add(1, Ordering::SeqCst);
                let mut buf = [0u8; 256];
                // Until the server closes (EOF or reset).
                while let Ok(n) = tcp.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                }
                closed.fetch_add(1, Ordering::SeqCst);
            });
        }
        let flood = Flood {
            opened,
            closed,
            tasks,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while flood.opened.load(Ordering::SeqCst) + flood.closed.load(Ordering::SeqCst) < count {
            assert!(Instant::now() < deadline, "the flood connections open");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        flood
    }

    /// Flood connections the server still holds.
    fn held(&self, count: usize) -> usize {
        count - self.closed.load(Ordering::SeqCst)
    }

    /// Waits (until `deadline` at most) until the server holds at most `most` of the
    /// `count` connections; returns how many it holds.
    async fn settle(&self, count: usize, most: usize, deadline: Instant) -> usize {
        while self.held(count) > most && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.held(count)
    }

    /// The client lets go of every flood connection.
    async fn release(mut self) {
        self.tasks.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_rest_connections_do_not_exhaust_the_process() {
    // Slowloris: connections that never finish their headers, twice the REST cap. Before
    // the fix REST held every one until the client let go, so ~1,100 of them ran the process
    // out of descriptors (ulimit 1024) and took REST and the device endpoint down.
    const FLOOD: usize = 400;
    const HEADER_TIMEOUT: Duration = Duration::from_secs(4);
    let table = TableLimits::for_cap(200);
    let limits = RestLimits {
        header_timeout: HEADER_TIMEOUT,
        ..RestLimits::with_table(table)
    };
    let service = Service::start(Some(limits)).await;
    let dev = Dev::new(1);
    service.claim(&dev);
    let started = Instant::now();
    let flood = Flood::open(service.bound.rest, FLOOD, |i| {
        format!("GET /v1/health HTTP/1.1\r\nHost: localhost\r\nX-Flood: {i}\r\n").into_bytes()
    })
    .await;
    // During the flood: a REST call and a device fetch get through at once.
    let during = Instant::now();
    assert_eq!(service.rest_call().await, 200, "REST during the flood");
    let rest_during = during.elapsed();
    assert_eq!(
        service.device_fetch(&dev).await,
        204,
        "device during the flood"
    );
    let during = during.elapsed();
    // The server holds no more than its pending share from one address, well before the
    // header timeout could have closed any (the client may be slow to notice the closes).
    let held = flood
        .settle(
            FLOOD,
            table.max_pending_per_ip,
            started + HEADER_TIMEOUT - Duration::from_millis(500),
        )
        .await;
    assert!(
        held <= table.max_pending_per_ip,
        "the REST listener holds {held} of {FLOOD} idle connections (at most {} pending from one address)",
        table.max_pending_per_ip
    );
    // The header timeout closes the rest.
    let held = flood.settle(FLOOD, 0, started + HEADER_TIMEOUT * 2).await;
    assert_eq!(held, 0, "idle connections outlive the header timeout");
    flood.release().await;
    assert_eq!(service.rest_call().await, 200, "REST after the flood");
    assert_eq!(
        service.device_fetch(&dev).await,
        204,
        "device after the flood"
    );
    eprintln!(
        "{FLOOD} idle REST connections: a REST call took {rest_during:?}, then a device fetch {:?}, during the flood; all closed by {:?}",
        during - rest_during,
        started.elapsed()
    );
    service.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_open_tls_connections_do_not_lock_devices_out() {
    // 300 connections to the device HTTPS port that never finish a TLS handshake: half send
    // nothing, half the start of a ClientHello record. Before the fix they filled the 256
    // slots for everyone and devices were refused until the 20 s handshake timeout.
    const FLOOD: usize = 300;
    let service = Service::start(None).await;
    let dev = Dev::new(2);
    service.claim(&dev);
    let started = Instant::now();
    let flood = Flood::open(service.bound.https.unwrap(), FLOOD, |i| {
        if i % 2 == 0 {
            Vec::new()
        } else {
            // A handshake record announcing 512 bytes of ClientHello, then nothing.
            vec![22, 3, 1, 2, 0, 1, 0, 1, 252, 3, 3]
        }
    })
    .await;
    let fetch = Instant::now();
    assert_eq!(
        service.device_fetch(&dev).await,
        204,
        "device during the flood"
    );
    let during = fetch.elapsed();
    assert!(during < PROMPT, "the device waited {during:?}");
    assert_eq!(service.rest_call().await, 200, "REST during the flood");
    // The silent half is closed by the first-byte timeout (3 s) at the latest; most of
    // the rest were evicted. (Alone this settles at the per-address pending share, 32 of a
    // 256 cap, within about a second; a fully loaded machine has shown 45 after 5 s, so the
    // bound checked is the one the timeout guarantees.)
    let held = flood
        .settle(FLOOD, FLOOD / 2, Instant::now() + Duration::from_secs(5))
        .await;
    assert!(held <= FLOOD / 2, "{held} half-open connections still held");
    flood.release().await;
    assert_eq!(
        service.device_fetch(&dev).await,
        204,
        "device after the flood"
    );
    eprintln!(
        "{FLOOD} half-open TLS connections: a device fetch took {during:?} during the flood; {held} held by {:?}",
        started.elapsed()
    );
    service.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_client_hellos_does_not_lock_devices_out() {
    // 300 ClientHellos from distinct ports that never answer the HelloVerifyRequest. Before
    // the fix each got a peer, the 256-peer table was full before any cookie came back, and
    // real handshakes were refused for 7-18 s.
    const FLOOD: usize = 300;
    let service = Service::start(None).await;
    let dev = Dev::new(3);
    service.claim(&dev);
    let coap = service.bound.coap.unwrap();
    let mut sockets = Vec::with_capacity(FLOOD);
    for _ in 0..FLOOD {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        socket.send_to(&client_hello(), coap).await.unwrap();
        sockets.push(socket);
    }
    let started = Instant::now();
    let during = service.device_coap(&dev).await;
    let during_took = started.elapsed();
    assert_eq!(
        during,
        ("2.01".into(), "2.05".into()),
        "device during the burst"
    );
    // A second burst from the same ports, and the device still gets in.
    for socket in &sockets {
        socket.send_to(&client_hello(), coap).await.unwrap();
    }
    let again = service.device_coap(&dev).await;
    assert_eq!(
        again,
        ("2.01".into(), "2.05".into()),
        "device during a second burst"
    );
    drop(sockets);
    let after = Instant::now();
    assert_eq!(
        service.device_coap(&dev).await,
        ("2.01".into(), "2.05".into()),
        "device after the burst"
    );
    eprintln!(
        "{FLOOD} ClientHellos from distinct ports: a DTLS handshake + CoAP auth and fetch took {during_took:?} during the burst, {:?} after",
        after.elapsed()
    );
    service.stop().await;
}
