//! The service image (`Containerfile`, built by `ci/build-image.sh`) under a real container
//! engine, driven with testcontainers: the container starts and turns healthy (its own
//! HEALTHCHECK, `provlab health`, run by the engine), an owner claims devices and queues
//! commands over REST (through `provlab_server::api_client`, the one REST client of the
//! API), simulated devices in this process provision over the container's
//! HTTPS and CoAP/DTLS ports until PROVISIONED, and a new container on the same data volume
//! still has the state, the owner key and the root CA the devices trust.
//!
//! Every request goes to 127.0.0.1: the host ports are chosen here and bound to 127.0.0.1
//! (`with_mapped_port`; podman 4.3 reports an empty host IP that testcontainers' port
//! lookup cannot read).
//!
//! **Skipped loudly without an engine.** The engine is the Docker API at `DOCKER_HOST`
//! (default `unix:///var/run/docker.sock`; podman: `podman system service`). When it does
//! not answer, each test prints `SKIPPED: no container engine reachable (DOCKER_HOST=...)`
//! to stderr and returns, so `cargo test --workspace` stays green on a machine without one.
//! With `PROVLAB_REQUIRE_CONTAINERS=1` (set by `ci/container-tests.sh`, which CI runs) a
//! missing engine fails instead. A reachable engine without the image
//! (`PROVLAB_IMAGE`, default `localhost/provlab:dev`) always fails: build it with
//! `bash ci/build-image.sh`.

#![allow(clippy::unwrap_used)]

#[path = "all/common/mod.rs"]
mod common;
mod container_engine;
#[path = "all/device_common/mod.rs"]
mod device_common;

use std::io::Write as _;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::Dev;
use container_engine::{Engine, Reach};
use device_common::{
    cmd_query, code, http_exchange, http_get, http_post, long_pem, tls_client, CoapClient,
};
use provlab_proto::records::{decode_commands, encode_responses};
use provlab_server::api_client::{ApiClient, BaseUrl};
use provlab_server::domain::service::NewCommand;
use provlab_server::rest::dto::devices::ClaimBody;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::CertificateDer;
use serde_json::{json, Value};
use testcontainers::core::{ContainerPort, Mount};
use testcontainers::runners::AsyncRunner as _;
use testcontainers::{ContainerAsync, GenericImage, ImageExt as _};

/// The owner key the containers are started with.
const OWNER_KEY: &str = "container-test-owner-key-0001";
/// The ports inside the container (the image's EXPOSE).
const REST_PORT: u16 = 8080;
const HTTPS_PORT: u16 = 8443;
const COAP_PORT: u16 = 5684;
/// How long a container may take from start to healthy.
const HEALTHY_WITHIN: Duration = Duration::from_secs(60);
/// Bound on one REST request.
const REST_STEP: Duration = Duration::from_secs(10);
/// The secTag of the test's certificates and keys.
const TAG: u32 = 16842753;

/// The engine, or `None` after printing why the test is skipped. Panics when containers are
/// required (`PROVLAB_REQUIRE_CONTAINERS=1`) and no engine answers, or when the image is
/// missing.
fn engine_or_skip(test: &str) -> Option<Engine> {
    let engine = Engine::from_env();
    match engine.ping() {
        Reach::Up => {}
        Reach::Down(reason) => {
            let required = std::env::var("PROVLAB_REQUIRE_CONTAINERS")
                .is_ok_and(|v| !v.is_empty() && v != "0");
            assert!(
                !required,
                "PROVLAB_REQUIRE_CONTAINERS is set but no container engine is reachable \
                 (DOCKER_HOST={}): {reason}",
                engine.host()
            );
            // Straight to the process's stderr: libtest captures `eprintln!` of passing tests,
            // and a skip must be seen.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: no container engine reachable (DOCKER_HOST={}): {test}: {reason}",
                engine.host()
            );
            return None;
        }
    }
    let image = container_engine::image_name();
    assert!(
        engine.has_image(&image),
        "the container engine at {} has no image {image}: build it with `bash ci/build-image.sh`",
        engine.host()
    );
    Some(engine)
}

/// Three free host ports on 127.0.0.1: REST (TCP), HTTPS (TCP) and CoAP (UDP).
fn free_ports() -> (u16, u16, u16) {
    // Hold all three while choosing so that they differ; the engine binds them right after.
    let rest = TcpListener::bind("127.0.0.1:0").unwrap();
    let https = TcpListener::bind("127.0.0.1:0").unwrap();
    let coap = UdpSocket::bind("127.0.0.1:0").unwrap();
    (
        rest.local_addr().unwrap().port(),
        https.local_addr().unwrap().port(),
        coap.local_addr().unwrap().port(),
    )
}

/// A started service container and its loopback addresses.
struct Service {
    container: ContainerAsync<GenericImage>,
    rest: SocketAddr,
    https: SocketAddr,
    coap: SocketAddr,
}

/// Starts the image on `data` (bind-mounted at /data) with the owner key (in the environment,
/// as the README recommends: `--owner-key` would show in `ps`), and waits until
/// the engine reports it healthy. Returns it and the time from start to healthy.
async fn start_service(engine: &Engine, data: &Path) -> (Service, Duration) {
    let (rest, https, coap) = free_ports();
    let (name, tag) = container_engine::image_name_and_tag();
    let started = Instant::now();
    let container = GenericImage::new(name, tag)
        .with_mapped_port(rest, ContainerPort::Tcp(REST_PORT))
        .with_mapped_port(https, ContainerPort::Tcp(HTTPS_PORT))
        .with_mapped_port(coap, ContainerPort::Udp(COAP_PORT))
        .with_host_config_modifier(container_engine::bind_ports_to_loopback)
        .with_mount(Mount::bind_mount(
            data.to_string_lossy().into_owned(),
            "/data",
        ))
        .with_env_var("PROVLAB_OWNER_KEY", OWNER_KEY)
        .with_startup_timeout(HEALTHY_WITHIN)
        .start()
        .await
        .unwrap();
    let id = container.id().to_owned();
    let waited = tokio::task::spawn_blocking({
        let engine = engine.clone();
        move || engine.wait_healthy(&id, HEALTHY_WITHIN)
    })
    .await
    .unwrap();
    if let Err(reason) = waited {
        let logs = container.stderr_to_vec().await.unwrap_or_default();
        panic!(
            "the container did not turn healthy: {reason}\n--- its stderr:\n{}",
            String::from_utf8_lossy(&logs)
        );
    }
    let loopback = |port| SocketAddr::from(([127, 0, 0, 1], port));
    let service = Service {
        container,
        rest: loopback(rest),
        https: loopback(https),
        coap: loopback(coap),
    };
    (service, started.elapsed())
}

/// The owner's REST client of the container's API (the one client tools and the HIL
/// runner use), bounded by [`REST_STEP`] per request.
fn owner_api(addr: SocketAddr) -> ApiClient {
    ApiClient::with_base(
        BaseUrl::parse(&format!("http://{addr}")).unwrap(),
        REST_STEP,
    )
    .with_key(OWNER_KEY)
}

/// Runs a blocking REST call from the async test (the client is synchronous).
fn blocking<T>(call: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(call)
}

/// Claims `dev` as the owner; returns the device id.
async fn claim(addr: SocketAddr, dev: &Dev) -> String {
    let body = ClaimBody {
        claim_token: dev.token(),
        tags: Some(vec!["container".to_owned()]),
    };
    blocking(|| owner_api(addr).claim(&body))
        .unwrap_or_else(|e| panic!("claim: {e}"))
        .id
}

/// Queues a command (REST JSON `request`) for the device; returns its id.
async fn add(addr: SocketAddr, device: &str, description: &str, request: Value) -> String {
    let body = NewCommand {
        description: description.to_owned(),
        request: serde_json::from_value(request).unwrap(),
    };
    blocking(|| owner_api(addr).add_command(device, &body))
        .unwrap_or_else(|e| panic!("add {description}: {e}"))
        .id
}

/// The device as the owner sees it (as JSON, to read like the API's documentation).
async fn device(addr: SocketAddr, device: &str) -> Value {
    let body =
        blocking(|| owner_api(addr).device(device)).unwrap_or_else(|e| panic!("get device: {e}"));
    serde_json::to_value(body).unwrap()
}

/// The device's commands as the owner sees them (as JSON).
async fn commands(addr: SocketAddr, device: &str) -> Vec<Value> {
    let commands = blocking(|| owner_api(addr).commands(device))
        .unwrap_or_else(|e| panic!("list commands: {e}"));
    commands
        .into_iter()
        .map(|c| serde_json::to_value(c).unwrap())
        .collect()
}

/// The wall clock in seconds: the container's service runs on the system clock.
fn now_s() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The lab root CA from the data volume (what devices are given).
fn root_ca(data: &Path) -> (Vec<u8>, CertificateDer<'static>) {
    let pem = std::fs::read(data.join("pki").join("root-ca.pem")).unwrap();
    let der = CertificateDer::from_pem_slice(&pem).unwrap();
    (pem, der)
}

/// The SDK's HTTPS loop against the container: fetch, execute, report, until 204; bounded.
async fn provision_over_https(
    https: SocketAddr,
    root: CertificateDer<'static>,
    dev: &Dev,
) -> usize {
    let client = tls_client(root);
    let mut after = String::new();
    for round in 1..=6 {
        let query = format!(
            "after={after}&rxMaxSize=4096&txMaxSize=4096&mver=mfw_nrf9160_1.3.5&cver=2.8.0&limit=10"
        );
        let reply = http_exchange(https, &client, &http_get(&query, Some(&dev.jwt(now_s()))))
            .await
            .unwrap();
        if reply.status == 204 {
            return round;
        }
        assert_eq!(reply.status, 200, "{}", reply.text());
        let records = decode_commands(&reply.body, 10).unwrap();
        assert!(!records.is_empty());
        if let Some(last) = records.last() {
            after = last.id().to_string();
        }
        let body = encode_responses(&dev.answer(&records, None)).unwrap();
        let posted = http_exchange(
            https,
            &client,
            &http_post(&body, "application/cbor", &dev.jwt(now_s())),
        )
        .await
        .unwrap();
        assert_eq!(posted.status, 200, "{}", posted.text());
    }
    panic!("the HTTPS device loop did not end");
}

/// The SDK's CoAP loop against the container: a DTLS session to authenticate and fetch
/// (Block2, 512-byte blocks), a new one to report, until the fetch is empty; bounded.
async fn provision_over_coap(coap: SocketAddr, root: CertificateDer<'static>, dev: &Dev) -> usize {
    let mut after = String::new();
    for round in 1..=6 {
        let mut client = CoapClient::connect_to(coap, root.clone()).await;
        let created = client.auth(&dev.jwt(now_s())).await;
        assert_eq!(code(&created), "2.01");
        let queries = cmd_query(&after);
        let queries: Vec<&str> = queries.iter().map(String::as_str).collect();
        let (last, body, _blocks) = client.fetch(&queries, 5).await;
        client.close().await;
        assert_eq!(code(&last), "2.05");
        if body.is_empty() {
            return round;
        }
        let records = decode_commands(&body, 10).unwrap();
        if records.is_empty() {
            return round;
        }
        if let Some(last) = records.last() {
            after = last.id().to_string();
        }
        let report = encode_responses(&dev.answer(&records, None)).unwrap();
        let mut client = CoapClient::connect_to(coap, root.clone()).await;
        let created = client.auth(&dev.jwt(now_s())).await;
        assert_eq!(code(&created), "2.01");
        let answered = client.report(&report).await;
        client.close().await;
        assert_eq!(code(&answered), "2.04");
    }
    panic!("the CoAP device loop did not end");
}

/// Asserts every command of the device SUCCEEDED and the device is PROVISIONED; returns
/// the commands.
async fn assert_provisioned(addr: SocketAddr, id: &str) -> Vec<Value> {
    let dev = device(addr, id).await;
    assert_eq!(dev["status"], "PROVISIONED", "{dev}");
    let commands = commands(addr, id).await;
    assert!(!commands.is_empty());
    for command in &commands {
        assert_eq!(command["status"], "SUCCEEDED", "{command}");
    }
    commands
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_image_provisions_devices_over_https_and_coap_and_keeps_state_across_restarts() {
    let Some(engine) = engine_or_skip("the image provisions devices") else {
        return;
    };
    let data = tempfile::tempdir().unwrap();

    // First container: healthy, then a fresh database with the given owner key.
    let (service, to_healthy) = start_service(&engine, data.path()).await;
    eprintln!("container start-to-healthy: {} ms", to_healthy.as_millis());
    let health = blocking(|| owner_api(service.rest).without_key().health()).unwrap();
    assert_eq!(health.status, "ok");
    let me = blocking(|| owner_api(service.rest).me()).unwrap();
    assert_eq!(
        serde_json::to_value(me.role).unwrap(),
        json!("owner"),
        "{me:?}"
    );
    let (root_pem, root) = root_ca(data.path());

    // One device per transport, each with a certificate, a CSR, a config and `finished`.
    let over_https = Dev::new(41);
    let over_coap = Dev::new(42);
    let https_id = claim(service.rest, &over_https).await;
    let coap_id = claim(service.rest, &over_coap).await;
    for (id, lines) in [(&https_id, 12), (&coap_id, 24)] {
        add(
            service.rest,
            id,
            "CA certificate",
            json!({"clientCertificate": {"secTag": TAG, "content": long_pem(lines)}}),
        )
        .await;
        add(
            service.rest,
            id,
            "Generate CSR",
            json!({"certificateSigningRequest": {"secTag": TAG, "attributes": format!("CN={id}"), "keyUsage": "101010000"}}),
        )
        .await;
        add(
            service.rest,
            id,
            "Interval",
            json!({"config": {"properties": {"provisioning/interval-sec": "600"}}}),
        )
        .await;
        add(
            service.rest,
            id,
            "Provisioning complete",
            json!({"finished": {}}),
        )
        .await;
    }

    let rounds = provision_over_https(service.https, root.clone(), &over_https).await;
    assert!(rounds >= 2, "the HTTPS device fetched nothing");
    let rounds = provision_over_coap(service.coap, root.clone(), &over_coap).await;
    assert!(rounds >= 2, "the CoAP device fetched nothing");
    let mut before = Vec::new();
    for id in [&https_id, &coap_id] {
        let commands = assert_provisioned(service.rest, id).await;
        let csr = commands
            .iter()
            .find(|c| c["description"] == "Generate CSR")
            .unwrap();
        assert!(
            csr["response"]["certificateSigningRequest"]["csr"].is_string(),
            "{csr}"
        );
        before.push((id.clone(), commands));
    }

    // Stop it (SIGTERM, graceful) and start a new container on the same volume.
    service.container.stop().await.unwrap();
    service.container.rm().await.unwrap();
    assert!(data.path().join("provlab.db").is_file());
    let (service, to_healthy) = start_service(&engine, data.path()).await;
    eprintln!(
        "container start-to-healthy (existing volume): {} ms",
        to_healthy.as_millis()
    );
    assert_eq!(
        root_ca(data.path()).0,
        root_pem,
        "the root CA changed on restart"
    );
    for (id, commands) in &before {
        assert_eq!(&assert_provisioned(service.rest, id).await, commands);
    }
    let devices = blocking(|| owner_api(service.rest).devices()).unwrap();
    assert_eq!(devices.len(), 2, "{devices:?}");

    // The restored service still provisions: new commands, same root CA, both transports.
    for id in [&https_id, &coap_id] {
        add(
            service.rest,
            id,
            "Interval after restart",
            json!({"config": {"properties": {"provisioning/interval-sec": "300"}}}),
        )
        .await;
        add(service.rest, id, "Done again", json!({"finished": {}})).await;
    }
    provision_over_https(service.https, root.clone(), &over_https).await;
    provision_over_coap(service.coap, root, &over_coap).await;
    for id in [&https_id, &coap_id] {
        let commands = assert_provisioned(service.rest, id).await;
        assert_eq!(commands.len(), 6);
    }
    service.container.stop().await.unwrap();
    service.container.rm().await.unwrap();
}
