//! The lab PKI: a root CA and a server certificate for the service's host names, kept as PEM
//! files in one directory (`--pki DIR`).
//!
//! Files (ours):
//! * `root-ca.pem`: the root CA certificate, what a simulated or real device stores in its
//!   `ROOT_CA_SEC_TAG` (`AT%CMNG=0,<tag>,0,"<PEM>"`);
//! * `root-ca.key.pem`: the CA's private key (PKCS#8, P-256);
//! * `server.pem` and `server.key.pem`: the server certificate (signed by the CA, for every
//!   host name given) and its key (PKCS#8, P-256), used by both HTTPS and DTLS.
//!
//! On start [`LabPki::load_or_create`] creates whatever is missing. An existing CA is never
//! replaced (devices may trust it): a CA certificate without its key, or the reverse, is an
//! error. An existing server certificate is kept if it chains to the CA, matches its key and
//! covers every host name now asked for; otherwise a new one is issued. All keys are ECDSA
//! P-256: the `ECDHE-ECDSA` suites the nRF91 modem speaks need an EC server key.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
};
use rustls::client::danger::ServerCertVerifier as _;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};

/// File name of the root CA certificate.
pub const ROOT_CA_FILE: &str = "root-ca.pem";
/// File name of the root CA key.
pub const ROOT_CA_KEY_FILE: &str = "root-ca.key.pem";
/// File name of the server certificate.
pub const SERVER_CERT_FILE: &str = "server.pem";
/// File name of the server key.
pub const SERVER_KEY_FILE: &str = "server.key.pem";

/// Common name of the lab root CA (ours). The CA's subject is rebuilt from these constants
/// when a new server certificate is issued by a reloaded CA, so they must not change.
const CA_COMMON_NAME: &str = "provlab lab root CA";
/// Organization of the lab root CA and server certificates (ours).
const ORGANIZATION: &str = "provlab";

/// Why the lab PKI could not be loaded or created. Every variant names the file concerned.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    /// No host name was given for the server certificate.
    #[error("the server certificate needs at least one host name")]
    NoHostnames,
    /// A host name is not a DNS name or IP address.
    #[error("host name {name:?} cannot go in a certificate: {reason}")]
    BadHostname {
        /// The name.
        name: String,
        /// Why.
        reason: String,
    },
    /// The PKI directory cannot be created.
    #[error("cannot create the PKI directory {path}: {source}")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file cannot be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// One file of a certificate/key pair exists without the other.
    #[error(
        "{present} exists but {missing} does not; restore it or remove both to start a new one"
    )]
    Incomplete {
        /// The file found.
        present: PathBuf,
        /// The file missing.
        missing: PathBuf,
    },
    /// A file is not the PEM it should be.
    #[error("{path} is not a PEM {expected}: {reason}")]
    BadPem {
        /// The file.
        path: PathBuf,
        /// What it should hold.
        expected: &'static str,
        /// Why it does not.
        reason: String,
    },
    /// A certificate and the key next to it do not belong together.
    #[error("the key in {key} does not match the certificate in {cert}")]
    KeyMismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
    },
    /// A freshly issued server certificate does not verify against the CA: the CA
    /// certificate was not made by this program (its subject differs).
    #[error("a server certificate issued with {key} does not verify against {cert}: {reason}")]
    CaUnusable {
        /// The CA certificate file.
        cert: PathBuf,
        /// The CA key file.
        key: PathBuf,
        /// The verifier's complaint.
        reason: String,
    },
    /// Key or certificate generation failed.
    #[error("cannot generate {what}: {reason}")]
    Generate {
        /// What was being made.
        what: &'static str,
        /// Why it failed.
        reason: String,
    },
    /// The TLS configuration cannot be built from the server certificate.
    #[error("cannot build the TLS configuration from {path}: {reason}")]
    Tls {
        /// The server certificate file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// The loaded lab PKI: the root CA certificate and the server certificate with its key.
#[derive(Debug, Clone)]
pub struct LabPki {
    dir: PathBuf,
    root_ca_pem: String,
    root_ca_der: CertificateDer<'static>,
    server_cert_der: CertificateDer<'static>,
    server_key_der: Vec<u8>,
    hostnames: Vec<String>,
}

/// A certificate and its key as read from (or written to) their files.
struct Pair {
    cert_pem: String,
    cert_der: CertificateDer<'static>,
    key: KeyPair,
}

impl LabPki {
    /// Loads the PKI from `dir`, creating the directory, the root CA and a server
    /// certificate for `hostnames` (DNS names or IP addresses) as needed.
    pub fn load_or_create(dir: &Path, hostnames: &[String]) -> Result<LabPki, PkiError> {
        if hostnames.is_empty() {
            return Err(PkiError::NoHostnames);
        }
        for name in hostnames {
            ServerName::try_from(name.clone()).map_err(|e| PkiError::BadHostname {
                name: name.clone(),
                reason: e.to_string(),
            })?;
        }
        fs::create_dir_all(dir).map_err(|source| PkiError::CreateDir {
            path: dir.to_path_buf(),
            source,
        })?;
        let ca_cert_path = dir.join(ROOT_CA_FILE);
        let ca_key_path = dir.join(ROOT_CA_KEY_FILE);
        let ca = match read_pair(&ca_cert_path, &ca_key_path)? {
            Some(ca) => ca,
            None => {
                let ca = new_ca()?;
                // The key first: a certificate without its key is the error case above.
                write_file(&ca_key_path, ca.key.serialize_pem().as_bytes(), true)?;
                write_file(&ca_cert_path, ca.cert_pem.as_bytes(), false)?;
                tracing::info!(path = %ca_cert_path.display(), "created the lab root CA");
                ca
            }
        };
        let server_cert_path = dir.join(SERVER_CERT_FILE);
        let server_key_path = dir.join(SERVER_KEY_FILE);
        let existing = read_pair(&server_cert_path, &server_key_path)?;
        let server = match existing {
            Some(server) if covers(&ca.cert_der, &server.cert_der, hostnames).is_ok() => server,
            other => {
                if let Some(old) = other {
                    let reason = covers(&ca.cert_der, &old.cert_der, hostnames)
                        .err()
                        .unwrap_or_default();
                    tracing::info!(
                        path = %server_cert_path.display(),
                        %reason,
                        "issuing a new server certificate"
                    );
                }
                let server = new_server(&ca, hostnames)?;
                covers(&ca.cert_der, &server.cert_der, hostnames).map_err(|reason| {
                    PkiError::CaUnusable {
                        cert: ca_cert_path.clone(),
                        key: ca_key_path.clone(),
                        reason,
                    }
                })?;
                write_file(
                    &server_key_path,
                    server.key.serialize_pem().as_bytes(),
                    true,
                )?;
                write_file(&server_cert_path, server.cert_pem.as_bytes(), false)?;
                tracing::info!(
                    path = %server_cert_path.display(),
                    hostnames = ?hostnames,
                    "issued the server certificate"
                );
                server
            }
        };
        Ok(LabPki {
            dir: dir.to_path_buf(),
            root_ca_pem: ca.cert_pem,
            root_ca_der: ca.cert_der,
            server_cert_der: server.cert_der,
            server_key_der: server.key.serialize_der(),
            hostnames: hostnames.to_vec(),
        })
    }

    /// The directory holding the files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Path of `root-ca.pem`, the file to give a device for its `ROOT_CA_SEC_TAG`.
    pub fn root_ca_path(&self) -> PathBuf {
        self.dir.join(ROOT_CA_FILE)
    }

    /// The root CA certificate, PEM.
    pub fn root_ca_pem(&self) -> &str {
        &self.root_ca_pem
    }

    /// The root CA certificate, DER (for a client's trust store).
    pub fn root_ca_der(&self) -> &CertificateDer<'static> {
        &self.root_ca_der
    }

    /// The server certificate, DER (the whole chain the server presents: the device holds
    /// the root).
    pub fn server_cert_der(&self) -> &CertificateDer<'static> {
        &self.server_cert_der
    }

    /// The server's private key, PKCS#8 DER.
    pub fn server_key_pkcs8_der(&self) -> &[u8] {
        &self.server_key_der
    }

    /// The host names the server certificate was checked for.
    pub fn hostnames(&self) -> &[String] {
        &self.hostnames
    }

    /// The rustls server configuration of the HTTPS endpoint: the server certificate, TLS
    /// 1.2 (all the nRF91 modem speaks) and 1.3, ALPN `http/1.1`, the `ring` provider.
    pub fn rustls_server_config(&self) -> Result<Arc<rustls::ServerConfig>, PkiError> {
        let tls_error = |reason: String| PkiError::Tls {
            path: self.dir.join(SERVER_CERT_FILE),
            reason,
        };
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.server_key_der.clone()));
        let mut config = rustls::ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS12, &rustls::version::TLS13])
            .map_err(|e| tls_error(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(vec![self.server_cert_der.clone()], key)
            .map_err(|e| tls_error(e.to_string()))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

/// The crypto provider used for everything here.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Reads a certificate/key pair; `None` when neither file exists.
fn read_pair(cert_path: &Path, key_path: &Path) -> Result<Option<Pair>, PkiError> {
    match (cert_path.exists(), key_path.exists()) {
        (false, false) => return Ok(None),
        (true, false) => {
            return Err(PkiError::Incomplete {
                present: cert_path.to_path_buf(),
                missing: key_path.to_path_buf(),
            })
        }
        (false, true) => {
            return Err(PkiError::Incomplete {
                present: key_path.to_path_buf(),
                missing: cert_path.to_path_buf(),
            })
        }
        (true, true) => {}
    }
    let cert_pem = read_text(cert_path)?;
    let cert_der =
        CertificateDer::from_pem_slice(cert_pem.as_bytes()).map_err(|e| PkiError::BadPem {
            path: cert_path.to_path_buf(),
            expected: "certificate",
            reason: e.to_string(),
        })?;
    let key_pem = read_text(key_path)?;
    let key = KeyPair::from_pem(&key_pem).map_err(|e| PkiError::BadPem {
        path: key_path.to_path_buf(),
        expected: "PKCS#8 private key",
        reason: e.to_string(),
    })?;
    if !key.is_compatible(&PKCS_ECDSA_P256_SHA256) {
        return Err(PkiError::BadPem {
            path: key_path.to_path_buf(),
            expected: "P-256 private key",
            reason: "the key is not an ECDSA P-256 key".into(),
        });
    }
    let pkcs8 = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let matches = rustls::sign::CertifiedKey::from_der(vec![cert_der.clone()], pkcs8, &provider());
    if matches.is_err() {
        return Err(PkiError::KeyMismatch {
            cert: cert_path.to_path_buf(),
            key: key_path.to_path_buf(),
        });
    }
    Ok(Some(Pair {
        cert_pem,
        cert_der,
        key,
    }))
}

fn read_text(path: &Path) -> Result<String, PkiError> {
    fs::read_to_string(path).map_err(|source| PkiError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes `bytes` to `path` through a temporary file and a rename, so a crash never leaves
/// half a file; `secret` files are readable by their owner only (Unix).
fn write_file(path: &Path, bytes: &[u8], secret: bool) -> Result<(), PkiError> {
    let write_error = |source| PkiError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = PathBuf::from(tmp_name);
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut file = options.open(&tmp).map_err(write_error)?;
    file.write_all(bytes).map_err(write_error)?;
    file.sync_all().map_err(write_error)?;
    drop(file);
    fs::rename(&tmp, path).map_err(write_error)
}

/// The CA's parameters; rebuilt identically whenever the CA issues a certificate.
fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, CA_COMMON_NAME);
    name.push(DnType::OrganizationName, ORGANIZATION);
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    // Fixed dates (ours): no clock needed, and long enough for a lab.
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2050, 1, 1);
    params
}

fn new_key(what: &'static str) -> Result<KeyPair, PkiError> {
    KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(|e| PkiError::Generate {
        what,
        reason: e.to_string(),
    })
}

fn new_ca() -> Result<Pair, PkiError> {
    let key = new_key("the root CA key")?;
    let cert = ca_params()
        .self_signed(&key)
        .map_err(|e| PkiError::Generate {
            what: "the root CA certificate",
            reason: e.to_string(),
        })?;
    Ok(Pair {
        cert_pem: cert.pem(),
        cert_der: cert.der().clone(),
        key,
    })
}

fn new_server(ca: &Pair, hostnames: &[String]) -> Result<Pair, PkiError> {
    let mut params =
        CertificateParams::new(hostnames.to_vec()).map_err(|e| PkiError::BadHostname {
            name: hostnames.join(", "),
            reason: e.to_string(),
        })?;
    let mut name = DistinguishedName::new();
    name.push(
        DnType::CommonName,
        hostnames.first().cloned().unwrap_or_default(),
    );
    name.push(DnType::OrganizationName, ORGANIZATION);
    params.distinguished_name = name;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2049, 1, 1);
    let key = new_key("the server key")?;
    let issuer = Issuer::new(ca_params(), &ca.key);
    let cert = params
        .signed_by(&key, &issuer)
        .map_err(|e| PkiError::Generate {
            what: "the server certificate",
            reason: e.to_string(),
        })?;
    Ok(Pair {
        cert_pem: cert.pem(),
        cert_der: cert.der().clone(),
        key,
    })
}

/// Whether `server` chains to `ca`, is valid now, is for server authentication and names
/// every host in `hostnames`, as a TLS client would check; the reason when not.
fn covers(
    ca: &CertificateDer<'static>,
    server: &CertificateDer<'static>,
    hostnames: &[String],
) -> Result<(), String> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(ca.clone())
        .map_err(|e| format!("the CA certificate is unusable: {e}"))?;
    let verifier =
        rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
            .build()
            .map_err(|e| e.to_string())?;
    for host in hostnames {
        let name = ServerName::try_from(host.clone()).map_err(|e| format!("{host:?}: {e}"))?;
        verifier
            .verify_server_cert(server, &[], &name, &[], UnixTime::now())
            .map_err(|e| format!("not valid for {host}: {e}"))?;
    }
    Ok(())
}
