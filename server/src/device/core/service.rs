//! [`DeviceService`]: the three domain calls a device request can make, behind one
//! interface, so that the same core runs against the domain [`Service`] directly (the
//! simulator's in-memory world, at its virtual time) or through the server's app (with its
//! store, lock and logs, [`crate::device::backend`]). [`execute`] runs a [`DeviceRequest`].

use super::answer::Answer;
use super::outcome::{Outcome, Refusal};
use super::request::DeviceRequest;
use crate::device::query::FetchQuery;
use crate::domain::service::{DeviceAuth, Fetch, FetchResult, ResponsesReport};
use crate::domain::{Service, Timestamp};

/// The domain calls of the device endpoints.
pub trait DeviceService {
    /// Authenticates a JWT (`None`: the request carried none).
    fn authenticate(&mut self, token: Option<&str>) -> Result<DeviceAuth, Refusal>;
    /// Fetches the next commands for an authenticated device.
    fn fetch(&mut self, device: &DeviceAuth, query: &FetchQuery) -> Result<FetchResult, Refusal>;
    /// Records a CBOR responses body of an authenticated device.
    fn report(&mut self, device: &DeviceAuth, body: &[u8]) -> Result<ResponsesReport, Refusal>;
}

/// The domain [`Service`] at one instant: the device calls without a store (events are
/// applied, not kept), as the simulator's in-memory world runs them.
#[derive(Debug)]
pub struct AtTime<'a> {
    /// The service.
    pub service: &'a mut Service,
    /// The time of the request.
    pub now: Timestamp,
}

impl DeviceService for AtTime<'_> {
    fn authenticate(&mut self, token: Option<&str>) -> Result<DeviceAuth, Refusal> {
        self.service
            .authenticate_jwt(self.now, token)
            .map_err(|e| Refusal::from(&e))
    }

    fn fetch(&mut self, device: &DeviceAuth, query: &FetchQuery) -> Result<FetchResult, Refusal> {
        self.service
            .fetch_commands(self.now, device.device, &query.fetch)
            .map(|outcome| outcome.value)
            .map_err(|e| Refusal::from(&e))
    }

    fn report(&mut self, device: &DeviceAuth, body: &[u8]) -> Result<ResponsesReport, Refusal> {
        self.service
            .record_responses(self.now, device.device, body)
            .map(|outcome| outcome.value)
            .map_err(|e| Refusal::from(&e))
    }
}

/// Runs one device request. Fetch and report need the authenticated `device` (a 4.01-style
/// refusal without one: a CoAP session that did not `POST p/auth-jwt` first).
pub fn execute(
    service: &mut impl DeviceService,
    device: Option<&DeviceAuth>,
    request: DeviceRequest<'_>,
) -> Answer {
    let result = match request {
        DeviceRequest::Auth(token) => service.authenticate(token).map(Answer::Authenticated),
        DeviceRequest::Fetch(query) => match device {
            None => Err(not_authenticated()),
            Some(device) => service
                .fetch(device, &query)
                .map(|result| match result.fetch {
                    Fetch::Records { body, records, .. } => Answer::Records {
                        body,
                        records,
                        notices: result.notices,
                    },
                    Fetch::NoCommands(reason) => Answer::NoCommands {
                        reason,
                        notices: result.notices,
                    },
                }),
        },
        DeviceRequest::Report(body) => match device {
            None => Err(not_authenticated()),
            Some(device) => service.report(device, body).map(Answer::Recorded),
        },
    };
    result.unwrap_or_else(Answer::Refused)
}

/// The refusal of a fetch or report on a CoAP session that did not authenticate first.
pub fn not_authenticated() -> Refusal {
    Refusal::new(
        Outcome::Unauthorized,
        "this DTLS session is not authenticated: POST p/auth-jwt with the device JWT first",
    )
}
