//! Scenario content in lab terms: the `@lab-…` credentials of a HIL run, and command
//! requests as the REST bodies the lab service takes.
//!
//! `@lab-root-ca` is the lab PKI's root (the CA that signed the certificate the lab service
//! presents for its hostname); `@untrusted-root-ca` a CA made for the run that signed nothing
//! the service presents; `@lab-client-cert` a real X.509 certificate made for the run (a modem
//! stores it without checking who issued it; no scenario authenticates with it).

use provlab_harness::scenario::{CommandRequest, ContentRef, ContentSource, LabCredential};
use provlab_harness::BackendError;
use provlab_server::domain::commands::CommandRequest as RestRequest;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};

/// The lab credentials of one HIL run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabContent {
    /// `@lab-root-ca`.
    pub root_ca: String,
    /// `@untrusted-root-ca`.
    pub untrusted_ca: String,
    /// `@lab-client-cert`.
    pub client_cert: String,
}

/// A credential could not be made.
#[derive(Debug, thiserror::Error)]
#[error("cannot make the run's {what}: {source}")]
pub struct ContentError {
    what: &'static str,
    #[source]
    source: rcgen::Error,
}

impl LabContent {
    /// The credentials of a run whose service presents a certificate signed by `root_ca`
    /// (PEM); the other two are made now.
    pub fn new(root_ca: &str) -> Result<Self, ContentError> {
        Ok(Self {
            root_ca: root_ca.to_owned(),
            untrusted_ca: certificate("provlab untrusted root CA", true).map_err(|source| {
                ContentError {
                    what: "untrusted root CA",
                    source,
                }
            })?,
            client_cert: certificate("provlab lab client", false).map_err(|source| {
                ContentError {
                    what: "client certificate",
                    source,
                }
            })?,
        })
    }

    /// The text of a content reference.
    pub fn resolve(&self, content: &ContentRef) -> Result<String, BackendError> {
        match content.source() {
            ContentSource::Inline(text) => Ok(text.clone()),
            ContentSource::File { text: Some(t), .. } => Ok(t.clone()),
            ContentSource::File { path, text: None } => Err(BackendError::setup(format!(
                "content `@file:{}` was not read by the loader",
                path.display()
            ))),
            ContentSource::Lab(LabCredential::LabRootCa) => Ok(self.root_ca.clone()),
            ContentSource::Lab(LabCredential::UntrustedRootCa) => Ok(self.untrusted_ca.clone()),
            ContentSource::Lab(LabCredential::LabClientCert) => Ok(self.client_cert.clone()),
        }
    }

    /// A scenario request as the REST body the service takes: the same request, its
    /// content resolved.
    pub fn rest_request(&self, request: &CommandRequest) -> Result<RestRequest, BackendError> {
        request
            .clone()
            .try_map_content(|content| self.resolve(&content))
    }
}

/// A fresh self-signed certificate (PEM) named `name`, a CA or not.
fn certificate(name: &str, ca: bool) -> Result<String, rcgen::Error> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.distinguished_name.push(DnType::CommonName, name);
    params
        .distinguished_name
        .push(DnType::OrganizationName, "provlab lab");
    if ca {
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    }
    let key = KeyPair::generate()?;
    Ok(params.self_signed(&key)?.pem())
}

#[cfg(test)]
mod tests {
    use super::*;
    use provlab_harness::scenario::request::{Certificate, KeyGeneration};

    #[test]
    fn lab_references_resolve_and_requests_take_the_rest_shape() {
        let lab = LabContent::new("-----BEGIN CERTIFICATE-----\nroot\n-----END CERTIFICATE-----\n")
            .unwrap();
        assert!(lab.untrusted_ca.starts_with("-----BEGIN CERTIFICATE-----"));
        assert_ne!(lab.untrusted_ca, lab.client_cert);
        let request = CommandRequest::ServerCertificate(Certificate {
            sec_tag: 42,
            content: ContentRef::lab(LabCredential::LabRootCa),
        });
        let body = lab.rest_request(&request).unwrap();
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(json["serverCertificate"]["secTag"], 42);
        assert_eq!(json["serverCertificate"]["content"], lab.root_ca.as_str());
        let key = CommandRequest::ClientPrivateKeyGeneration(KeyGeneration { sec_tag: 7 });
        let json = serde_json::to_value(lab.rest_request(&key).unwrap()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"clientPrivateKeyGeneration": {"secTag": 7}})
        );
    }
}
