//! The lab service of a HIL run: `provlab serve` in this process, on the addresses the boards
//! reach, with a server certificate for the lab hostname; its REST API for the run's owner
//! actions, its device endpoints for the boards, and its app for forced answers (service
//! faults work on hardware too).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use provlab_server::app::App;
use provlab_server::serve::{Bound, ServeConfig, ServeError, Server};

/// How long the service may take to start.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// One service starts at a time in this process: parallel runs share the lab PKI
/// directory, which the first start creates.
static STARTING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Where the lab service listens and what its certificate names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabServiceConfig {
    /// The REST API (port 0: any free port).
    pub rest: SocketAddr,
    /// The device HTTPS endpoint.
    pub https: SocketAddr,
    /// The device CoAP/DTLS endpoint.
    pub coap: SocketAddr,
    /// Host names and addresses the server certificate covers (the lab hostname first).
    pub hostnames: Vec<String>,
    /// The lab PKI directory (kept between runs so boards keep trusting the same root).
    pub pki: PathBuf,
    /// How many times faster than the wall clock the service's clock runs: the boards'
    /// speed, so that their JWTs' times and the service's agree.
    pub clock_speed: u32,
}

/// Why the lab service did not start.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// The server refused to start (address in use, PKI unreadable, …).
    #[error("the lab service did not start: {0}")]
    Start(#[from] ServeError),
    /// The lab PKI directory could not be made.
    #[error("cannot create the lab PKI directory {path}: {source}")]
    PkiDir {
        /// The directory.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The lab PKI's root CA could not be read.
    #[error("cannot read the lab root CA {path}: {source}")]
    RootCa {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The service thread could not be started or died before answering.
    #[error("the lab service thread failed: {0}")]
    Thread(String),
}

/// A running lab service; stopped when dropped.
pub struct LabServer {
    bound: Bound,
    app: Arc<App>,
    owner_key: String,
    root_ca: String,
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for LabServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LabServer")
            .field("bound", &self.bound)
            .finish_non_exhaustive()
    }
}

impl LabServer {
    /// Starts the service (in memory) with a fresh owner key, on a thread of its own.
    pub fn start(config: &LabServiceConfig) -> Result<Self, LabError> {
        let _one_at_a_time = STARTING.lock().unwrap_or_else(|p| p.into_inner());
        let owner_key = fresh_key()?;
        std::fs::create_dir_all(&config.pki).map_err(|source| LabError::PkiDir {
            path: config.pki.clone(),
            source,
        })?;
        let serve = ServeConfig {
            db: None,
            rest: config.rest,
            https: Some(config.https),
            coap: Some(config.coap),
            pki: Some(config.pki.clone()),
            hostnames: config.hostnames.clone(),
            registry: None,
            owner_key: Some(owner_key.clone()),
            clock_speed: config.clock_speed,
            ..ServeConfig::default()
        };
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("lab-service".to_owned())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = ready_tx.send(Err(LabError::Thread(e.to_string())));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let server = match Server::start(&serve).await {
                        Ok(s) => s,
                        Err(e) => {
                            let _ = ready_tx.send(Err(LabError::Start(e)));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok((server.bound().clone(), server.app().clone())));
                    let stop = async move {
                        let _ = tokio::task::spawn_blocking(move || stop_rx.recv()).await;
                    };
                    if let Err(e) = server.run(stop).await {
                        tracing::error!("the lab service stopped: {e}");
                    }
                });
            })
            .map_err(|e| LabError::Thread(e.to_string()))?;
        let (bound, app) = ready_rx
            .recv_timeout(START_TIMEOUT)
            .map_err(|_| LabError::Thread("no answer from the service thread".to_owned()))??;
        let root_path = bound
            .pki_dir
            .clone()
            .unwrap_or_else(|| config.pki.clone())
            .join(provlab_server::device::pki::ROOT_CA_FILE);
        let root_ca = std::fs::read_to_string(&root_path).map_err(|source| LabError::RootCa {
            path: root_path,
            source,
        })?;
        Ok(Self {
            bound,
            app,
            owner_key,
            root_ca,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// The bound addresses.
    pub fn bound(&self) -> &Bound {
        &self.bound
    }

    /// The REST API's base URL.
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.bound.rest)
    }

    /// The first owner's API key (made for this run; never printed).
    pub fn owner_key(&self) -> &str {
        &self.owner_key
    }

    /// The lab root CA (PEM) that signed the service's certificate: `@lab-root-ca`.
    pub fn root_ca(&self) -> &str {
        &self.root_ca
    }

    /// The service's app, for forced answers at the device endpoints.
    pub fn app(&self) -> &Arc<App> {
        &self.app
    }
}

impl Drop for LabServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A fresh owner key: `provlab-hil-` and 48 hex digits of OS randomness.
fn fresh_key() -> Result<String, LabError> {
    let mut bytes = [0u8; 24];
    rustls::crypto::ring::default_provider()
        .secure_random
        .fill(&mut bytes)
        .map_err(|_| LabError::Thread("no OS randomness for the owner key".to_owned()))?;
    Ok(format!("provlab-hil-{}", hex::encode(bytes)))
}
