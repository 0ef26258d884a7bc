//! Forced answers: fault injection at the device endpoints.
//!
//! A lab or a simulation arms an answer for the next device request of a route; the
//! endpoint then gives that answer instead of running the request: a status (HTTP) or
//! response code (CoAP), a connection closed without an answer, or silence. This is how a
//! simulation on real sockets (`provlab run --net loopback`) makes the real endpoints answer
//! "500" or stay silent at the moment a scenario says so. Nothing is armed in normal
//! operation, and an armed answer fires once.

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::device::core::Route;

/// What the endpoint does instead of answering for real.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForcedReply {
    /// HTTPS answers `http`; CoAP answers the code `coap_class.coap_detail`.
    Status {
        /// The HTTP status.
        http: u16,
        /// The CoAP response class (2, 4 or 5).
        coap_class: u8,
        /// The CoAP response detail.
        coap_detail: u8,
    },
    /// HTTPS closes the connection without a response; CoAP ends the DTLS session.
    Close,
    /// No answer at all, also to retransmissions of the same CoAP message.
    Silence,
    /// The request is handled for real, then the answer is not sent (a lost answer): the
    /// same as [`ForcedReply::Silence`] for the device, but the state changed.
    Lost,
}

/// The armed answers, in the order they were armed.
#[derive(Debug, Default)]
pub struct ForcedReplies {
    armed: Mutex<VecDeque<(Option<Route>, ForcedReply)>>,
}

impl ForcedReplies {
    /// Arms `reply` for the next request of `route` (`None`: of any route).
    pub fn arm(&self, route: Option<Route>, reply: ForcedReply) {
        self.lock().push_back((route, reply));
    }

    /// Takes the first armed answer that matches a request of `route`, if any. Only the
    /// requests that reach the service ([`Route::reaches_service`]) take one.
    pub fn take(&self, route: Route) -> Option<ForcedReply> {
        if !route.reaches_service() {
            return None;
        }
        let mut armed = self.lock();
        let index = armed
            .iter()
            .position(|(r, _)| r.is_none_or(|r| r == route))?;
        armed.remove(index).map(|(_, reply)| reply)
    }

    /// Disarms everything.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// How many answers are armed.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether nothing is armed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The queue; a poisoned lock still holds a valid queue (pushes and pops cannot be
    /// left half done).
    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<(Option<Route>, ForcedReply)>> {
        self.armed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_armed_answer_fires_once_for_its_route() {
        let forced = ForcedReplies::default();
        forced.arm(Some(Route::Report), ForcedReply::Close);
        forced.arm(None, ForcedReply::Silence);
        assert_eq!(forced.len(), 2);
        // A fetch skips the report-only answer and takes the any-route one.
        assert_eq!(forced.take(Route::Fetch), Some(ForcedReply::Silence));
        assert_eq!(forced.take(Route::Fetch), None);
        assert_eq!(forced.take(Route::Report), Some(ForcedReply::Close));
        assert!(forced.is_empty());
        forced.arm(None, ForcedReply::Close);
        forced.clear();
        assert_eq!(forced.take(Route::Auth), None);
    }
}
