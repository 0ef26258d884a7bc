//! The DTLS engine on its own: which suite a handshake negotiates, datagrams through a
//! session, and clients that must not get a session.

#![allow(clippy::unwrap_used)]

use crate::device_common;

use std::time::Duration;

use device_common::{client_hello, dtls_connect, foreign_root, STEP};
use provlab_server::device::coap::dtls::webrtc::WebrtcDtls;
use provlab_server::device::coap::dtls::{DtlsConfig, DtlsEngine, DtlsListener};
use provlab_server::device::pki::LabPki;
use tokio::net::UdpSocket;
use webrtc_dtls::cipher_suite::CipherSuiteId;

struct Engine {
    listener: DtlsListener,
    addr: std::net::SocketAddr,
    pki: LabPki,
    _dir: tempfile::TempDir,
}

async fn engine(handshake_timeout: Duration) -> Engine {
    let dir = tempfile::tempdir().unwrap();
    let pki = LabPki::load_or_create(dir.path(), &["localhost".to_string()]).unwrap();
    let mut config = DtlsConfig::from_pki(&pki);
    config.handshake_timeout = handshake_timeout;
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    let listener = WebrtcDtls::new(config).listen(socket).unwrap();
    Engine {
        listener,
        addr,
        pki,
        _dir: dir,
    }
}

/// The next session of `listener`, once its first datagram, `ping`, has arrived.
async fn accept_ping(
    listener: &mut DtlsListener,
) -> provlab_server::device::coap::dtls::DtlsSession {
    let mut session = tokio::time::timeout(STEP, listener.accept())
        .await
        .unwrap()
        .unwrap();
    let ping = tokio::time::timeout(STEP, session.incoming.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ping, b"ping");
    session
}

/// Offers exactly `suite`; returns the IANA number the server reports for the session, after
/// echoing one datagram each way.
async fn negotiate(suite: CipherSuiteId) -> u16 {
    let mut e = engine(STEP).await;
    let root = e.pki.root_ca_der().clone();
    let client = tokio::spawn(async move {
        let conn = dtls_connect(e.addr, root, vec![suite]).await.unwrap();
        conn.write(b"ping", Some(STEP)).await.unwrap();
        let mut buf = [0u8; 64];
        let n = tokio::time::timeout(STEP, conn.read(&mut buf, None))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&buf[..n], b"pong");
        conn.close().await.unwrap();
    });
    let session = accept_ping(&mut e.listener).await;
    session.outgoing.send(b"pong".to_vec()).await.unwrap();
    tokio::time::timeout(STEP, client).await.unwrap().unwrap();
    session.info.cipher_suite
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_offering_only_ccm8_gets_ccm8() {
    // TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8: what CoAP mandates and the nRF91 modem needs.
    assert_eq!(
        negotiate(CipherSuiteId::Tls_Ecdhe_Ecdsa_With_Aes_128_Ccm_8).await,
        0xC0AE
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_offering_only_gcm_gets_gcm() {
    assert_eq!(
        negotiate(CipherSuiteId::Tls_Ecdhe_Ecdsa_With_Aes_128_Gcm_Sha256).await,
        0xC02B
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_offering_ccm8_first_among_others_gets_ccm8() {
    let mut e = engine(STEP).await;
    let root = e.pki.root_ca_der().clone();
    let client = tokio::spawn(async move {
        dtls_connect(
            e.addr,
            root,
            vec![
                CipherSuiteId::Tls_Ecdhe_Ecdsa_With_Aes_128_Ccm_8,
                CipherSuiteId::Tls_Ecdhe_Ecdsa_With_Aes_128_Gcm_Sha256,
            ],
        )
        .await
        .unwrap()
    });
    let session = tokio::time::timeout(STEP, e.listener.accept())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(session.info.cipher_suite, 0xC0AE);
    assert_eq!(
        session.info.cipher_suite_name(),
        "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8"
    );
    let conn = tokio::time::timeout(STEP, client).await.unwrap().unwrap();
    conn.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_session_for_an_untrusting_client_a_suite_we_lack_or_a_silent_one() {
    let mut e = engine(Duration::from_secs(1)).await;
    let root = e.pki.root_ca_der().clone();
    // A client whose trust store holds another CA aborts the handshake.
    let (_dir, other_root) = foreign_root();
    let refused = dtls_connect(
        e.addr,
        other_root,
        vec![CipherSuiteId::Tls_Ecdhe_Ecdsa_With_Aes_128_Ccm_8],
    )
    .await;
    assert!(refused.is_err());
    // A client offering only a suite the server does not (AES-256-CBC-SHA) gets no session.
    let addr = e.addr;
    let cbc = tokio::spawn({
        let root = root.clone();
        async move {
            tokio::time::timeout(
                Duration::from_secs(3),
                dtls_connect(
                    addr,
                    root,
                    vec![CipherSuiteId::Tls_Ecdhe_Ecdsa_With_Aes_256_Cbc_Sha],
                ),
            )
            .await
        }
    });
    // A client that sends a ClientHello and goes silent is timed out by the server.
    let silent = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    silent.send_to(&client_hello(), addr).await.unwrap();
    let cbc = tokio::time::timeout(STEP, cbc).await.unwrap().unwrap();
    assert!(!matches!(cbc, Ok(Ok(_))), "no common suite: no session");
    let nothing = tokio::time::timeout(Duration::from_millis(1500), e.listener.accept()).await;
    assert!(nothing.is_err(), "no session was handed out");
    // A good client is still served.
    let client = tokio::spawn(async move {
        dtls_connect(
            addr,
            root,
            vec![CipherSuiteId::Tls_Ecdhe_Ecdsa_With_Aes_128_Ccm_8],
        )
        .await
        .unwrap()
    });
    let session = tokio::time::timeout(STEP, e.listener.accept())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(session.info.cipher_suite, 0xC0AE);
    let conn = tokio::time::timeout(STEP, client).await.unwrap().unwrap();
    conn.close().await.unwrap();
}

/// Forwards datagrams between a client and `server`, dropping the first server datagram
/// that starts with a ChangeCipherSpec record (the server's final flight) once.
async fn proxy_losing_the_final_flight(server: std::net::SocketAddr) -> std::net::SocketAddr {
    let front = std::sync::Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
    let addr = front.local_addr().unwrap();
    let back = std::sync::Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
    back.connect(server).await.unwrap();
    let client = std::sync::Arc::new(tokio::sync::Mutex::new(None));
    let (f, b, c) = (front.clone(), back.clone(), client.clone());
    tokio::spawn(async move {
        let mut buf = vec![0u8; 65_536];
        while let Ok((n, from)) = f.recv_from(&mut buf).await {
            *c.lock().await = Some(from);
            let _ = b.send(&buf[..n]).await;
        }
    });
    tokio::spawn(async move {
        let mut buf = vec![0u8; 65_536];
        let mut dropped = false;
        while let Ok(n) = back.recv(&mut buf).await {
            if !dropped && buf[0] == 20 {
                dropped = true;
                continue;
            }
            if let Some(to) = *client.lock().await {
                let _ = front.send_to(&buf[..n], to).await;
            }
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_final_flight_is_sent_again_when_the_client_repeats_its_own() {
    // RFC 6347 §4.2.4: the server sends the last flight; when it is lost the client repeats
    // its flight, and the server must answer with its last flight again.
    let mut e = engine(STEP).await;
    let root = e.pki.root_ca_der().clone();
    let via = proxy_losing_the_final_flight(e.addr).await;
    let client = tokio::spawn(async move {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        socket.connect(via).await.unwrap();
        let mut roots = rustls::RootCertStore::empty();
        roots.add(root).unwrap();
        let config = webrtc_dtls::config::Config {
            roots_cas: roots,
            server_name: "localhost".into(),
            cipher_suites: vec![CipherSuiteId::Tls_Ecdhe_Ecdsa_With_Aes_128_Ccm_8],
            flight_interval: Duration::from_millis(200),
            ..Default::default()
        };
        let conn = tokio::time::timeout(
            STEP,
            webrtc_dtls::conn::DTLSConn::new(std::sync::Arc::new(socket), config, true, None),
        )
        .await
        .expect("the handshake completes after the final flight was lost")
        .unwrap();
        conn.write(b"ping", Some(STEP)).await.unwrap();
    });
    accept_ping(&mut e.listener).await;
    tokio::time::timeout(STEP, client).await.unwrap().unwrap();
}
