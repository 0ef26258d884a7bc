//! The trust anchor of a connection: the PEM stored at the modem's root CA sec tag.

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::CertificateDer;
use rustls::RootCertStore;

use super::NetError;

/// The root CA certificates (one PEM may hold a chain) a server must verify against.
#[derive(Debug, Clone)]
pub struct RootCa {
    certs: Vec<CertificateDer<'static>>,
}

impl RootCa {
    /// Parses the PEM content of the sec tag (every `CERTIFICATE` block).
    pub fn from_pem(pem: &[u8]) -> Result<RootCa, NetError> {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<_, _>>()
            .map_err(|e| NetError::RootCa(format!("not PEM certificates: {e}")))?;
        if certs.is_empty() {
            return Err(NetError::RootCa("no certificate in the sec tag".into()));
        }
        Ok(RootCa { certs })
    }

    /// The certificates, DER.
    pub fn certs(&self) -> &[CertificateDer<'static>] {
        &self.certs
    }

    /// A root store with every certificate that parses as a trust anchor.
    pub fn store(&self) -> Result<RootCertStore, NetError> {
        let mut store = RootCertStore::empty();
        let (added, _ignored) = store.add_parsable_certificates(self.certs.iter().cloned());
        if added == 0 {
            return Err(NetError::RootCa("no usable trust anchor".into()));
        }
        Ok(store)
    }
}
