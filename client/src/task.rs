//! The plumbing of the client's internal state machines.
//!
//! The SDK's provisioning attempt is sequential blocking code. Here each step of it is a
//! small resumable machine: it is resumed with a [`Reply`] (the first time with
//! [`Reply::Start`]), may push notifications into the outbox, and either finishes
//! ([`Step::Ready`]) or asks for exactly one [`Io`] and waits ([`Step::Pending`]).

use std::collections::VecDeque;

use crate::action::{
    Action, CoapRequest, CoapResponse, HttpRequest, HttpResponse, TransportFailure,
};
use crate::config::ClientConfig;
use crate::event::Event;
use crate::modem::AtResult;
use crate::settings::StoredSettings;

/// The one thing a waiting machine needs next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Io {
    /// An AT command line.
    At(String),
    /// An HTTP request.
    Http(HttpRequest),
    /// Open the DTLS session.
    CoapConnect,
    /// A CoAP request.
    Coap(CoapRequest),
    /// Wake up after this many milliseconds.
    Sleep(u64),
}

/// What a machine is resumed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reply {
    /// First resume: start.
    Start,
    /// The AT answer.
    At(AtResult),
    /// The HTTP outcome.
    Http(Result<HttpResponse, TransportFailure>),
    /// The DTLS connect outcome.
    Connect(Result<(), TransportFailure>),
    /// The CoAP outcome.
    Coap(Result<CoapResponse, TransportFailure>),
    /// The sleep ended.
    Timer,
}

/// Whether a machine finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step<T> {
    /// Waiting for the requested [`Io`].
    Pending,
    /// Finished with this value.
    Ready(T),
}

/// What a machine may touch while it runs.
pub(crate) struct Cx<'a> {
    /// The configuration.
    pub config: &'a ClientConfig,
    /// Notifications for the caller.
    pub outbox: &'a mut VecDeque<Action>,
    /// The request of a pending machine.
    pub request: Option<Io>,
    /// The settings mirror.
    pub settings: &'a mut StoredSettings,
    /// The in-memory cursor (latest executed command id).
    pub cursor: &'a mut String,
    /// Whether LTE is up.
    pub network_up: bool,
    /// Whether the modem is known to have valid time.
    pub time_valid: &'a mut bool,
}

impl Cx<'_> {
    /// Asks for `io` and reports the machine as pending.
    pub fn ask<T>(&mut self, io: Io) -> Step<T> {
        self.request = Some(io);
        Step::Pending
    }

    /// Queues an event for the application.
    pub fn emit(&mut self, event: Event) {
        self.outbox.push_back(Action::Event(event));
    }

    /// Queues a notification action.
    pub fn push(&mut self, action: Action) {
        self.outbox.push_back(action);
    }
}
