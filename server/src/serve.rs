//! `provlab serve`: opens the store, builds the [`App`], binds the REST listener and the
//! device listeners, prints the bound addresses, and runs until the shutdown future resolves.
//!
//! Two steps so tests can use the bound addresses without parsing output:
//! [`Server::start`] does everything fallible (store, registry, owner, PKI, binding) and
//! [`Server::run`] serves until shutdown. [`run`] is both, plus the printing the CLI does.

use std::future::Future;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::watch;

use crate::app::{App, AppError, Clock, ScaledClock, SystemClock};
use crate::device::coap::dtls::DtlsConfig;
use crate::device::coap::{self, CoapError};
use crate::device::https::{self, HttpsError, HttpsLimits};
use crate::device::pki::{LabPki, PkiError};
use crate::domain::members::{KeyHash, Role};
use crate::domain::registry::FactoryRegistry;
use crate::domain::ServiceConfig;
use crate::listen::FdBudget;
use crate::rest::listener::RestLimits;
use crate::store::{Store, StoreError};

/// Default REST address (loopback).
pub const DEFAULT_REST: &str = "127.0.0.1:8080";
/// Default device HTTPS address (loopback).
pub const DEFAULT_HTTPS: &str = "127.0.0.1:8443";
/// Default device CoAP/DTLS address (loopback; 5684 is the CoAPS port).
pub const DEFAULT_COAP: &str = "127.0.0.1:5684";
/// The member name the first owner gets.
pub const OWNER_NAME: &str = "owner";

/// How `provlab serve` is set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeConfig {
    /// The SQLite file; `None` keeps everything in memory.
    pub db: Option<PathBuf>,
    /// Where the REST API listens (port 0: any free port).
    pub rest: SocketAddr,
    /// Where the device HTTPS endpoint listens; `None` disables it.
    pub https: Option<SocketAddr>,
    /// Where the device CoAP/DTLS endpoint listens; `None` disables it.
    pub coap: Option<SocketAddr>,
    /// The lab PKI directory; `None`: `<db>.pki` next to the database, or a fresh temporary
    /// directory without one.
    pub pki: Option<PathBuf>,
    /// Host names (or IP addresses) the server certificate covers.
    pub hostnames: Vec<String>,
    /// The simulated factory's registry document; `None` accepts signatures unverified (and
    /// logs each acceptance).
    pub registry: Option<PathBuf>,
    /// The owner's API key; `None` generates one on first start and writes it to
    /// `owner_key_out`.
    pub owner_key: Option<String>,
    /// Where a generated owner key is written (mode 0600); `None`: `<db>.owner-key` next to
    /// the database, or a new file in the temporary directory without one. The key is never
    /// printed or logged.
    pub owner_key_out: Option<PathBuf>,
    /// How many times faster than the wall clock the service's clock runs (1: the wall
    /// clock). A HIL run with fast virtual boards sets their speed.
    pub clock_speed: u32,
    /// Offline recovery of a locked-out team: the first owner's keys are revoked and
    /// `owner_key` (or a generated key) becomes their only key, logged as a warning.
    pub reset_owner_key: bool,
    /// The REST listener's flood limits; `None`: the default time limits and a connection
    /// cap derived from the open-file limit ([`FdBudget`]).
    pub rest_limits: Option<RestLimits>,
    /// The device HTTPS listener's flood limits; `None`: the default time limits and a
    /// connection cap derived from the open-file limit ([`FdBudget`]).
    pub https_limits: Option<HttpsLimits>,
}

impl Default for ServeConfig {
    /// Loopback defaults, in memory, every listener on.
    fn default() -> Self {
        let addr = |text: &str| {
            text.parse()
                .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0)))
        };
        Self {
            db: None,
            rest: addr(DEFAULT_REST),
            https: Some(addr(DEFAULT_HTTPS)),
            coap: Some(addr(DEFAULT_COAP)),
            pki: None,
            hostnames: vec!["localhost".into(), "127.0.0.1".into()],
            registry: None,
            owner_key: None,
            owner_key_out: None,
            clock_speed: 1,
            reset_owner_key: false,
            rest_limits: None,
            https_limits: None,
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The database could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The app could not be built (the stored log does not replay) or set up.
    #[error(transparent)]
    App(#[from] AppError),
    /// The registry file could not be read.
    #[error("registry {path}: {source}")]
    RegistryRead {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The registry file is not a registry the service can use.
    #[error("registry {path}: {source}")]
    Registry {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: crate::domain::registry::RegistryError,
    },
    /// A key file could not be read or written.
    #[error("key file {path}: {reason}")]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// `--owner-key` does not fit the database.
    #[error("owner key: {0}")]
    OwnerKey(String),
    /// OS randomness failed.
    #[error("cannot draw OS randomness for {0}")]
    Random(&'static str),
    /// A listener could not be bound.
    #[error("cannot bind the {what} listener on {addr}: {source}")]
    Bind {
        /// Which listener.
        what: &'static str,
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The lab PKI could not be loaded or created.
    #[error(transparent)]
    Pki(#[from] PkiError),
    /// The HTTPS device endpoint failed.
    #[error(transparent)]
    Https(#[from] HttpsError),
    /// The CoAP device endpoint failed.
    #[error(transparent)]
    Coap(#[from] CoapError),
    /// A listener task panicked or was cancelled.
    #[error("the {0} listener task failed")]
    Task(&'static str),
}

/// What [`Server::start`] set up: the bound addresses and the generated owner key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bound {
    /// The REST API's address.
    pub rest: SocketAddr,
    /// The device HTTPS endpoint's address.
    pub https: Option<SocketAddr>,
    /// The device CoAP endpoint's address.
    pub coap: Option<SocketAddr>,
    /// The owner key generated on this (first) start, for the caller in process (tests, the
    /// HIL lab); [`write_bound`] never shows it.
    pub generated_owner_key: Option<String>,
    /// The file the generated owner key was written to (mode 0600).
    pub owner_key_file: Option<PathBuf>,
    /// The lab PKI directory, when a device endpoint is on.
    pub pki_dir: Option<PathBuf>,
}

/// A started server: listeners bound, not yet serving.
pub struct Server {
    app: Arc<App>,
    rest: (TcpListener, RestLimits),
    https: Option<(TcpListener, Arc<rustls::ServerConfig>, HttpsLimits)>,
    coap: Option<(UdpSocket, DtlsConfig)>,
    bound: Bound,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("bound", &self.bound)
            .finish()
    }
}

/// `len` bytes of OS randomness.
fn os_random(len: usize, what: &'static str) -> Result<Vec<u8>, ServeError> {
    let mut buf = vec![0u8; len];
    crate::entropy::fill(&mut buf, what).map_err(|e| ServeError::Random(e.0))?;
    Ok(buf)
}

/// A fresh seed for a new store's id source.
fn random_seed() -> Result<u64, ServeError> {
    let bytes = os_random(8, "the id seed")?;
    let mut seed = [0u8; 8];
    seed.copy_from_slice(&bytes);
    Ok(u64::from_le_bytes(seed))
}

/// A fresh owner API key: `provlab-` and 48 hex digits of OS randomness.
fn random_api_key() -> Result<String, ServeError> {
    Ok(format!(
        "provlab-{}",
        hex::encode(os_random(24, "the owner key")?)
    ))
}

/// Reads the factory registry document.
fn load_registry(path: &Path) -> Result<FactoryRegistry, ServeError> {
    let bytes = std::fs::read(path).map_err(|source| ServeError::RegistryRead {
        path: path.to_path_buf(),
        source,
    })?;
    FactoryRegistry::from_json(&bytes).map_err(|source| ServeError::Registry {
        path: path.to_path_buf(),
        source,
    })
}

/// Replaces the first owner's keys with `owner_key` or a generated key (returned once), and
/// logs it: the offline way back for a team that lost its owner keys.
fn reset_owner(
    app: &App,
    owner_key: Option<&str>,
    key_out: &Path,
) -> Result<Option<String>, ServeError> {
    let generated = match owner_key {
        Some(_) => None,
        None => {
            let key = random_api_key()?;
            write_key_file(key_out, &key)?;
            Some(key)
        }
    };
    let Some(key) = owner_key.or(generated.as_deref()) else {
        return Err(ServeError::OwnerKey(
            "no key to reset the owner's to".into(),
        ));
    };
    let owner = app
        .mutate(|svc, now| svc.reset_owner_key(now, OWNER_NAME, key))
        .map_err(|e| match e {
            AppError::Domain(d) => ServeError::OwnerKey(d.to_string()),
            other => ServeError::App(other),
        })?;
    tracing::warn!(
        member = %owner,
        key_id = KeyHash::of(key).key_id(),
        "--reset-owner-key: every earlier key of this owner is revoked; the new key is their only one"
    );
    Ok(generated)
}

/// Makes sure the team has an owner: with `--owner-key`, that key must be an owner's (or
/// becomes the first owner's); without, a first owner gets a generated key, written to
/// `key_out` (before it is stored, so it cannot be lost) and returned.
fn ensure_owner(
    app: &App,
    owner_key: Option<&str>,
    key_out: &Path,
) -> Result<Option<String>, ServeError> {
    let (has_owner, key_role) = app.try_read(|svc, _| {
        let has_owner = svc.state().members.values().any(|m| m.role == Role::Owner);
        let key_role = owner_key.and_then(|k| svc.authenticate(Some(k)).ok().map(|c| c.role));
        (has_owner, key_role)
    })?;
    match (owner_key, key_role, has_owner) {
        (Some(_), Some(Role::Owner), _) => Ok(None),
        (Some(_), Some(role), _) => Err(ServeError::OwnerKey(format!(
            "the given key belongs to a member with role {role}, not an owner"
        ))),
        (Some(_), None, true) => Err(ServeError::OwnerKey(
            "the database already has an owner and the given key is not one of their keys \
             (a team that lost its owner keys is recovered with --reset-owner-key)"
                .into(),
        )),
        (Some(key), None, false) => {
            app.mutate(|svc, now| svc.setup_member(now, OWNER_NAME, Role::Owner, Some(key)))?;
            Ok(None)
        }
        (None, _, true) => Ok(None),
        (None, _, false) => {
            let key = random_api_key()?;
            write_key_file(key_out, &key)?;
            app.mutate(|svc, now| svc.setup_member(now, OWNER_NAME, Role::Owner, Some(&key)))?;
            Ok(Some(key))
        }
    }
}

async fn bind_tcp(what: &'static str, addr: SocketAddr) -> Result<TcpListener, ServeError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { what, addr, source })
}

impl Server {
    /// Opens the store, replays it, loads the registry, binds the listeners, and makes sure
    /// the team has an owner (last, so that a generated key is never lost to a later error).
    pub async fn start(config: &ServeConfig) -> Result<Server, ServeError> {
        let mut service_config = ServiceConfig::new(0);
        match &config.registry {
            Some(path) => {
                let registry = load_registry(path)?;
                tracing::info!(path = %path.display(), devices = registry.len(), "factory registry loaded");
                service_config.verifier.registry = Some(registry);
            }
            None => tracing::warn!(
                "no --registry: attestation tokens and device JWTs are accepted UNVERIFIED; each acceptance is logged"
            ),
        }
        let store = match &config.db {
            Some(path) => Store::open_sqlite(path, random_seed()?)?,
            None => Store::memory(random_seed()?),
        };
        let clock: Arc<dyn Clock> = if config.clock_speed > 1 {
            Arc::new(ScaledClock::new(config.clock_speed))
        } else {
            Arc::new(SystemClock)
        };
        let app = Arc::new(App::new(service_config, store, clock)?);
        // Before any listener: the caps below come from the (raised) open-file limit.
        let budget = FdBudget::raise();
        let rest_limits = config
            .rest_limits
            .unwrap_or_else(|| RestLimits::for_budget(&budget));
        let https_limits = config
            .https_limits
            .unwrap_or_else(|| HttpsLimits::with_table(budget.https()));
        let rest = bind_tcp("REST", config.rest).await?;
        let rest_addr = rest.local_addr().map_err(|source| ServeError::Bind {
            what: "REST",
            addr: config.rest,
            source,
        })?;
        let pki = match (config.https, config.coap) {
            (None, None) => None,
            _ => {
                let dir = pki_dir(config)?;
                Some(LabPki::load_or_create(&dir, &config.hostnames)?)
            }
        };
        let mut https = None;
        let mut https_addr = None;
        if let (Some(addr), Some(pki)) = (config.https, &pki) {
            let listener = bind_tcp("HTTPS", addr).await?;
            https_addr = Some(listener.local_addr().map_err(|source| ServeError::Bind {
                what: "HTTPS",
                addr,
                source,
            })?);
            https = Some((listener, pki.rustls_server_config()?, https_limits));
        }
        let mut coap = None;
        let mut coap_addr = None;
        if let (Some(addr), Some(pki)) = (config.coap, &pki) {
            let socket = UdpSocket::bind(addr)
                .await
                .map_err(|source| ServeError::Bind {
                    what: "CoAP",
                    addr,
                    source,
                })?;
            coap_addr = Some(socket.local_addr().map_err(|source| ServeError::Bind {
                what: "CoAP",
                addr,
                source,
            })?);
            coap = Some((socket, DtlsConfig::from_pki(pki)));
        }
        // Last, once nothing else can fail: a generated key must reach the operator.
        let key_out = owner_key_out(config)?;
        let generated_owner_key = if config.reset_owner_key {
            reset_owner(&app, config.owner_key.as_deref(), &key_out)?
        } else {
            ensure_owner(&app, config.owner_key.as_deref(), &key_out)?
        };
        let owner_key_file = generated_owner_key.as_ref().map(|_| key_out);
        Ok(Server {
            app,
            rest: (rest, rest_limits),
            https,
            coap,
            bound: Bound {
                rest: rest_addr,
                https: https_addr,
                coap: coap_addr,
                generated_owner_key,
                owner_key_file,
                pki_dir: pki.map(|p| p.dir().to_path_buf()),
            },
        })
    }

    /// The bound addresses and the generated owner key.
    pub fn bound(&self) -> &Bound {
        &self.bound
    }

    /// The app (for tests).
    pub fn app(&self) -> &Arc<App> {
        &self.app
    }

    /// Serves until `shutdown` resolves, then stops accepting and finishes the requests in
    /// flight. Returns the first listener error, if any.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let stopped = |mut rx: watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|stop| *stop).await;
        };
        tokio::spawn(async move {
            shutdown.await;
            tracing::info!("shutting down");
            let _ = stop_tx.send(true);
        });
        let mut tasks: Vec<(
            &'static str,
            tokio::task::JoinHandle<Result<(), ServeError>>,
        )> = Vec::new();
        if let Some((listener, tls, limits)) = self.https {
            let app = self.app.clone();
            let down = stopped(stop_rx.clone());
            tasks.push((
                "HTTPS",
                tokio::spawn(async move {
                    Ok(https::serve_with(app, listener, tls, limits, down).await?)
                }),
            ));
        }
        if let Some((socket, dtls)) = self.coap {
            let app = self.app.clone();
            let down = stopped(stop_rx.clone());
            tasks.push((
                "CoAP",
                tokio::spawn(async move { Ok(coap::serve(app, socket, dtls, down).await?) }),
            ));
        }
        let router = crate::rest::router(self.app.clone());
        let (rest, rest_limits) = self.rest;
        // The REST listener never fails: accept errors are retried (see `crate::listen`).
        crate::rest::listener::serve(router, rest, rest_limits, stopped(stop_rx.clone())).await;
        let mut first_error = None;
        for (what, task) in tasks {
            let result = match task.await {
                Ok(result) => result,
                Err(e) if e.is_cancelled() => Ok(()),
                Err(_) => Err(ServeError::Task(what)),
            };
            if let Err(e) = result {
                tracing::error!(listener = what, error = %e, "listener failed");
                first_error.get_or_insert(e);
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// The PKI directory: `--pki`, else `<db>.pki`, else a new directory under the system's
/// temporary directory.
fn pki_dir(config: &ServeConfig) -> Result<PathBuf, ServeError> {
    if let Some(dir) = &config.pki {
        return Ok(dir.clone());
    }
    if let Some(db) = &config.db {
        let mut name = db.as_os_str().to_owned();
        name.push(".pki");
        return Ok(PathBuf::from(name));
    }
    let suffix = hex::encode(os_random(6, "the PKI directory name")?);
    Ok(std::env::temp_dir().join(format!("provlab-pki-{suffix}")))
}

/// Where a generated owner key goes: `owner_key_out`, else `<db>.owner-key`, else a new file
/// in the temporary directory.
fn owner_key_out(config: &ServeConfig) -> Result<PathBuf, ServeError> {
    if let Some(path) = &config.owner_key_out {
        return Ok(path.clone());
    }
    if let Some(db) = &config.db {
        let mut name = db.as_os_str().to_owned();
        name.push(".owner-key");
        return Ok(PathBuf::from(name));
    }
    let suffix = hex::encode(os_random(6, "the owner key file name")?);
    Ok(std::env::temp_dir().join(format!("provlab-owner-key-{suffix}")))
}

/// Writes `key` and a newline to `path`, readable and writable by its owner only (0600;
/// an existing file is replaced).
pub fn write_key_file(path: &Path, key: &str) -> Result<(), ServeError> {
    let fail = |e: std::io::Error| ServeError::KeyFile {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(fail)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(fail)?;
    }
    writeln!(file, "{key}").map_err(fail)?;
    file.sync_all().map_err(fail)
}

/// Reads an API key from `path`: its first line, without surrounding white space (what
/// `--owner-key-file` and [`write_key_file`] use). A file others may read is accepted with
/// a warning.
pub fn read_key_file(path: &Path) -> Result<String, ServeError> {
    let fail = |reason: String| ServeError::KeyFile {
        path: path.to_path_buf(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.permissions().mode() & 0o077 != 0 {
                tracing::warn!(path = %path.display(), "the key file is readable by other users; chmod 600 it");
            }
        }
    }
    let key = text.lines().next().unwrap_or("").trim();
    if key.is_empty() {
        return Err(fail("the file holds no key".into()));
    }
    Ok(key.to_owned())
}

/// Starts the server, prints the bound addresses (and where a generated owner key was
/// written) on stdout, and serves until `shutdown` resolves.
pub async fn run(
    config: ServeConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let server = Server::start(&config).await?;
    print_bound(server.bound());
    server.run(shutdown).await
}

/// Prints one line per listener, and where a generated owner key was written, on stdout.
pub fn print_bound(bound: &Bound) {
    let mut out = std::io::stdout().lock();
    let _ = write_bound(&mut out, bound);
    let _ = out.flush();
}

/// Writes what [`print_bound`] prints. The owner key itself is never written: stdout is
/// often a log (a container's), so only the file holding it is named.
pub fn write_bound(out: &mut impl std::io::Write, bound: &Bound) -> std::io::Result<()> {
    writeln!(out, "rest listening on http://{}", bound.rest)?;
    if let Some(addr) = bound.https {
        writeln!(out, "https listening on https://{addr}")?;
    }
    if let Some(addr) = bound.coap {
        writeln!(out, "coap listening on coaps://{addr}")?;
    }
    if let Some(dir) = &bound.pki_dir {
        writeln!(out, "lab root CA: {}", dir.join("root-ca.pem").display())?;
    }
    if let Some(file) = &bound.owner_key_file {
        writeln!(
            out,
            "owner api key written to {} (mode 0600; only its hash is stored)",
            file.display()
        )?;
    }
    Ok(())
}
