//! The board's network worker: a thread with a tokio runtime that performs the client's
//! network actions one at a time on the real-socket transports ([`crate::net`]) and hands
//! the answers back to the firmware thread.

use std::sync::mpsc;
use std::time::Duration;

use provlab_client::{CoapEndpoint, CoapRequest, HttpRequest, Input};

use super::BoardError;
use crate::net::{CoapDtlsTransport, CoapTiming, HttpsTransport, RootCa};

/// One network action, with the trust anchor read from the modem when it was issued.
#[derive(Debug)]
pub(crate) enum Job {
    /// An HTTPS request.
    Http(HttpRequest, Option<RootCa>),
    /// Open the DTLS session.
    Connect(CoapEndpoint, Option<RootCa>),
    /// A CoAP request on the session.
    Coap(CoapRequest),
    /// Close the session.
    Close,
}

/// The answer to a job, tagged with the boot it belongs to.
#[derive(Debug)]
pub(crate) struct Done {
    /// The boot (answers of an earlier boot are dropped).
    pub boot: u64,
    /// What the client gets.
    pub input: Input,
}

/// The firmware's end of the worker.
#[derive(Debug)]
pub(crate) struct Link {
    jobs: tokio::sync::mpsc::UnboundedSender<(u64, Job)>,
    done: mpsc::Receiver<Done>,
}

impl Link {
    /// Starts the worker thread.
    pub fn spawn(
        http_timeout: Duration,
        timing: CoapTiming,
        seed: u64,
    ) -> Result<Link, BoardError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| BoardError::Runtime(e.to_string()))?;
        let (jobs, mut job_rx) = tokio::sync::mpsc::unbounded_channel::<(u64, Job)>();
        let (done_tx, done) = mpsc::channel();
        std::thread::Builder::new()
            .name("board-net".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let https = HttpsTransport::new(http_timeout);
                    let mut coap = CoapDtlsTransport::new(timing, seed);
                    while let Some((boot, job)) = job_rx.recv().await {
                        let input = match job {
                            Job::Http(request, root) => {
                                Some(https.execute(&request, root.as_ref()).await)
                            }
                            Job::Connect(endpoint, root) => {
                                Some(coap.connect(&endpoint, root.as_ref()).await)
                            }
                            Job::Coap(request) => Some(coap.request(&request).await),
                            Job::Close => {
                                coap.close().await;
                                None
                            }
                        };
                        if let Some(input) = input {
                            if done_tx.send(Done { boot, input }).is_err() {
                                break;
                            }
                        }
                    }
                    coap.close().await;
                });
            })
            .map_err(|e| BoardError::Runtime(e.to_string()))?;
        Ok(Link { jobs, done })
    }

    /// Queues a job of boot `boot`.
    pub fn send(&self, boot: u64, job: Job) -> Result<(), BoardError> {
        self.jobs
            .send((boot, job))
            .map_err(|_| BoardError::Runtime("the network worker stopped".into()))
    }

    /// An answer, if one is ready.
    pub fn try_recv(&self) -> Option<Done> {
        self.done.try_recv().ok()
    }
}
