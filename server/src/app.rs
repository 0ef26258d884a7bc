//! [`App`]: the domain [`Service`] and its [`Store`] behind one lock, shared by the REST API
//! and the device endpoints as `Arc<App>`.
//!
//! Every mutation goes through [`App::mutate`]: the operation runs at the clock's `now`, and
//! its events are stored (one transaction) before the result is returned, so an acknowledged
//! operation is durable. If storing fails, the in-memory service is rebuilt from the store, so
//! nothing unacknowledged stays visible. Operations are short and CPU-only; the lock is a
//! `std::sync::Mutex` and is never held across an `.await`.

mod clock;
mod error;

pub use clock::{Clock, ManualClock, ScaledClock, SystemClock};
pub use error::{AppError, ErrorBody};

use std::sync::{Arc, Mutex, MutexGuard};

use crate::device::forced::ForcedReplies;
use crate::domain::events::Event;
use crate::domain::registry::Verification;
use crate::domain::{self, Outcome, Service, ServiceConfig, Timestamp};
use crate::store::Store;

/// The running service: domain state, event store and clock.
#[derive(Debug)]
pub struct App {
    inner: Mutex<Inner>,
    clock: Arc<dyn Clock>,
    forced: ForcedReplies,
}

#[derive(Debug)]
struct Inner {
    service: Service,
    store: Store,
    /// Set when the state could not be restored after a failure; every call then fails.
    broken: Option<String>,
}

impl Inner {
    /// Rebuilds the service from the store after a failed or interrupted operation.
    fn rebuild(&mut self) {
        let config = self.service.config().clone();
        let restored = self
            .store
            .load()
            .map_err(AppError::from)
            .and_then(|events| Service::replay(config.clone(), &events).map_err(AppError::from));
        match restored {
            Ok(service) => self.service = service,
            Err(e) => {
                tracing::error!(error = %e, "cannot restore the service state; refusing work");
                self.service = Service::new(config);
                // Shown to API clients: the message without the server's paths.
                self.broken = Some(format!(
                    "state lost after a storage failure ({}); restart",
                    e.message()
                ));
            }
        }
    }
}

impl App {
    /// Builds the app from a store: replays its log into a service configured by `config`
    /// (whose seed is replaced by the store's).
    pub fn new(
        mut config: ServiceConfig,
        store: Store,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, AppError> {
        config.seed = store.seed();
        let events = store.load()?;
        let service = Service::replay(config, &events)?;
        Ok(Self {
            inner: Mutex::new(Inner {
                service,
                store,
                broken: None,
            }),
            clock,
            forced: ForcedReplies::default(),
        })
    }

    /// An app with an empty in-memory store, seed `config.seed`, and the given clock.
    pub fn in_memory(config: ServiceConfig, clock: Arc<dyn Clock>) -> Self {
        let store = Store::memory(config.seed);
        Self {
            inner: Mutex::new(Inner {
                service: Service::new(config),
                store,
                broken: None,
            }),
            clock,
            forced: ForcedReplies::default(),
        }
    }

    /// The current time by the app's clock.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Takes the lock; a lock poisoned by a panicking operation is recovered by rebuilding
    /// the service from the store.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        match self.inner.lock() {
            Ok(guard) => guard,
            Err(poisoned) => {
                let mut guard = poisoned.into_inner();
                guard.rebuild();
                self.inner.clear_poison();
                guard
            }
        }
    }

    /// Runs a mutating operation at the current time and stores its events in one
    /// transaction before returning its value. On a storage failure the in-memory state is
    /// restored from the store and the error returned: the operation did not happen.
    pub fn mutate<T>(
        &self,
        op: impl FnOnce(&mut Service, Timestamp) -> Result<Outcome<T>, domain::Error>,
    ) -> Result<T, AppError> {
        let mut inner = self.lock();
        if let Some(reason) = &inner.broken {
            return Err(AppError::Unavailable(reason.clone()));
        }
        let now = self.clock.now();
        match op(&mut inner.service, now) {
            Ok(outcome) => match inner.store.append(&outcome.events) {
                Ok(()) => {
                    log_unverified(&outcome.events);
                    Ok(outcome.value)
                }
                Err(e) => {
                    tracing::error!(error = %e, "storing events failed; rolling back");
                    inner.rebuild();
                    Err(AppError::Store(e))
                }
            },
            Err(e) => {
                if matches!(e, domain::Error::Internal(_)) {
                    // After its first event only an internal error stops an operation:
                    // drop whatever it applied.
                    inner.rebuild();
                }
                Err(AppError::Domain(e))
            }
        }
    }

    /// Runs a read-only operation at the current time.
    pub fn read<T>(&self, op: impl FnOnce(&Service, Timestamp) -> T) -> T {
        let inner = self.lock();
        let now = self.clock.now();
        op(&inner.service, now)
    }

    /// Like [`App::read`], but fails with 503 when the app has lost its state.
    pub fn try_read<T>(&self, op: impl FnOnce(&Service, Timestamp) -> T) -> Result<T, AppError> {
        let inner = self.lock();
        if let Some(reason) = &inner.broken {
            return Err(AppError::Unavailable(reason.clone()));
        }
        let now = self.clock.now();
        Ok(op(&inner.service, now))
    }

    /// The answers armed for the device endpoints' next requests (fault injection).
    pub fn forced_replies(&self) -> &ForcedReplies {
        &self.forced
    }

    /// Swaps the app's domain state with `other`. For a simulation that owns the state
    /// between device requests (`provlab run --net loopback`) and lends it to the real
    /// endpoints for each request; the store is not touched, so use it with an in-memory
    /// store that nothing replays.
    pub fn swap_service(&self, other: &mut Service) {
        std::mem::swap(&mut self.lock().service, other);
    }

    /// Every stored event, in order (for tests and diagnostics).
    pub fn stored_events(&self) -> Result<Vec<Event>, AppError> {
        Ok(self.lock().store.load()?)
    }
}

/// Logs every claim whose attestation token was accepted without a signature check.
fn log_unverified(events: &[Event]) {
    for event in events {
        if let Event::DeviceClaimed {
            device,
            verification,
            ..
        } = event
        {
            match verification {
                Verification::Verified => {}
                Verification::UnverifiedNoRegistry => tracing::warn!(
                    %device,
                    "claimed with an attestation token accepted UNVERIFIED (no factory registry)"
                ),
                Verification::UnverifiedExempt => tracing::warn!(
                    %device,
                    "claimed with an attestation token accepted UNVERIFIED (device exempt)"
                ),
            }
        }
    }
}
