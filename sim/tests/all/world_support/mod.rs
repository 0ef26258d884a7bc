//! Shared helpers of the world tests.
#![allow(dead_code, missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use provlab_server::domain::commands::{
    Certificate, CommandRequest, CsrRequest, Finished, KeyGeneration,
};
use provlab_server::domain::status::ShownStatus;
use provlab_sim::world::host::standard_b64;
use provlab_sim::world::{DeviceId, DeviceSpec, World, WorldConfig};

/// The sec tag the happy path provisions.
pub const TAG: u32 = 16_842_753;

/// A PEM certificate stand-in of about `len` bytes of DER (content is never parsed).
pub fn pem(label: u8, len: usize) -> String {
    let der: Vec<u8> = (0..len)
        .map(|i| (i as u8).wrapping_mul(31) ^ label)
        .collect();
    let b64 = standard_b64(&der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap());
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

/// Key generation, CSR, client certificate, server certificate, finished.
pub fn happy_commands(cert_len: usize) -> Vec<CommandRequest> {
    vec![
        CommandRequest::ClientPrivateKeyGeneration(KeyGeneration { sec_tag: TAG + 1 }),
        CommandRequest::CertificateSigningRequest(CsrRequest {
            sec_tag: TAG,
            attributes: Some("CN=dk1,O=provlab".into()),
            key_usage: None,
        }),
        CommandRequest::ClientCertificate(Certificate {
            sec_tag: TAG,
            content: pem(1, cert_len),
        }),
        CommandRequest::ServerCertificate(Certificate {
            sec_tag: TAG,
            content: pem(2, 400),
        }),
        CommandRequest::Finished(Finished {}),
    ]
}

/// The sample firmware's client with 4 KiB buffers, so the whole configuration fits one
/// batch.
pub fn roomy(spec: DeviceSpec) -> DeviceSpec {
    let mut config = spec.client.clone();
    config.rx_buf_size = 4096;
    config.tx_buf_size = 4096;
    spec.client_config(config)
}

/// A world with one device `dk1`, just powered on (it attaches 2 s later; a trigger before
/// that runs as soon as the client is initialised).
pub fn world_with(seed: u64, spec: DeviceSpec) -> (World, DeviceId) {
    let mut world = World::new(WorldConfig::new(seed)).unwrap();
    let dk1 = world.add_device(spec).unwrap();
    (world, dk1)
}

/// Claims the device and configures `commands`.
pub fn configure(world: &mut World, dev: DeviceId, commands: Vec<CommandRequest>) {
    world.claim(dev, &["lab"]).unwrap();
    for c in commands {
        world.add_command(dev, c).unwrap();
    }
}

/// Runs until the device shows `status`, within `secs`.
pub fn wait_status(world: &mut World, dev: DeviceId, status: ShownStatus, secs: u64) -> Duration {
    world
        .run_until(
            |w| w.device_status(dev) == Some(status) && !w.attempt_running(dev),
            Duration::from_secs(secs),
        )
        .unwrap_or_else(|e| {
            panic!(
                "{e}; status {:?}\n{}",
                world.device_status(dev),
                world.transcript().to_text()
            )
        })
}
