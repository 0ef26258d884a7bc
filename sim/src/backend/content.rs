//! Scenario content in simulation terms: the `@lab-…` credentials derived from the seed, and
//! command requests with their content resolved.

use provlab_harness::scenario::{CommandRequest, ContentRef, ContentSource, LabCredential};
use provlab_harness::BackendError;
use provlab_server::domain::commands as dom;
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;

use crate::world::host::{lab_ca_pem, standard_b64};
use crate::world::seeds::{derive, WorldRng};

/// The lab credentials of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabCredentials {
    /// `@lab-root-ca`: the CA the service presents.
    pub root_ca: String,
    /// `@untrusted-root-ca`: a well-formed CA that did not sign the service.
    pub untrusted_ca: String,
    seed: u64,
}

impl LabCredentials {
    /// The credentials of a run with `seed` whose service presents `root_ca`.
    pub fn new(seed: u64, root_ca: &str) -> Self {
        LabCredentials {
            root_ca: root_ca.to_owned(),
            untrusted_ca: lab_ca_pem(derive(seed, "untrusted-root-ca", 0)),
            seed,
        }
    }

    /// `@lab-client-cert` for the device with index `device`: a stand-in certificate the lab
    /// CA issues (the simulated modem stores certificates without parsing them).
    pub fn client_cert(&self, device: usize) -> String {
        let mut rng = WorldRng::new(derive(self.seed, "lab-client-cert", device as u64), "cert");
        let mut der = vec![0x30, 0x82, 0x01, 0x7c];
        der.extend((0..380).map(|_| rng.below(256) as u8));
        pem_armour("CERTIFICATE", &der)
    }

    /// The text of a content reference for device `device`.
    pub fn resolve(&self, content: &ContentRef, device: usize) -> Result<String, BackendError> {
        match content.source() {
            ContentSource::Inline(text) => Ok(text.clone()),
            ContentSource::File { text: Some(t), .. } => Ok(t.clone()),
            ContentSource::File { path, text: None } => Err(BackendError::setup(format!(
                "content `@file:{}` was not read by the loader",
                path.display()
            ))),
            ContentSource::Lab(LabCredential::LabRootCa) => Ok(self.root_ca.clone()),
            ContentSource::Lab(LabCredential::UntrustedRootCa) => Ok(self.untrusted_ca.clone()),
            ContentSource::Lab(LabCredential::LabClientCert) => Ok(self.client_cert(device)),
        }
    }

    /// A private key (PEM) preloaded in a modem, drawn from the seed.
    pub fn preloaded_key(&self, device: usize, sec_tag: u32) -> Result<String, BackendError> {
        let index = (device as u64) << 32 | u64::from(sec_tag);
        let mut rng = ChaCha8Rng::seed_from_u64(derive(self.seed, "preloaded-key", index));
        let key = p256::ecdsa::SigningKey::random(&mut rng);
        crate::modem::keys::to_pem(&key).map_err(|e| BackendError::setup_by("", e))
    }
}

/// PEM armour around `der`.
fn pem_armour(label: &str, der: &[u8]) -> String {
    let b64 = standard_b64(der);
    let mut pem = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(chunk));
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {label}-----\n"));
    pem
}

/// A scenario command request as the service takes it: the same request, its content
/// resolved for `device`.
pub fn domain_request(
    request: &CommandRequest,
    lab: &LabCredentials,
    device: usize,
) -> Result<dom::CommandRequest, BackendError> {
    request
        .clone()
        .try_map_content(|content| lab.resolve(&content, device))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lab_credentials_are_seeded_and_distinct() {
        let lab = LabCredentials::new(7, &lab_ca_pem(7));
        assert_ne!(lab.root_ca, lab.untrusted_ca);
        assert_eq!(lab.client_cert(0), lab.client_cert(0));
        assert_ne!(lab.client_cert(0), lab.client_cert(1));
        assert!(lab
            .client_cert(0)
            .starts_with("-----BEGIN CERTIFICATE-----\n"));
        assert_eq!(
            lab.preloaded_key(0, 5).unwrap(),
            lab.preloaded_key(0, 5).unwrap()
        );
    }
}
