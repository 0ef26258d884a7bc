//! [`Answer`]: what the core gives back for a device request, before a transport frames it.

use provlab_proto::records::Command;

use super::outcome::{Outcome, Refusal};
use crate::domain::service::{DeviceAuth, IdleReason, Notice, ResponsesReport};

/// The typed answer to a device request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Commands for the device.
    Records {
        /// The whole CBOR body (CoAP sends it block by block).
        body: Vec<u8>,
        /// The records in it, decoded (for logs and transcripts).
        records: Vec<Command>,
        /// What the fetch did on the way (rules applied, records sent again …).
        notices: Vec<Notice>,
    },
    /// A later Block2 block of a body cut by an earlier fetch of the same query (CoAP); the
    /// domain is not asked again.
    NextBlock,
    /// No commands.
    NoCommands {
        /// Why not.
        reason: IdleReason,
        /// What the fetch did on the way.
        notices: Vec<Notice>,
    },
    /// The responses body was taken (each record's fate inside).
    Recorded(ResponsesReport),
    /// The DTLS session is now authenticated as this device (CoAP).
    Authenticated(DeviceAuth),
    /// The request was refused.
    Refused(Refusal),
}

impl Answer {
    /// What the answer comes to, for the status or code.
    pub fn outcome(&self) -> Outcome {
        match self {
            Answer::Records { .. } | Answer::NextBlock => Outcome::Records,
            Answer::NoCommands { .. } => Outcome::NoCommands,
            Answer::Recorded(_) => Outcome::Recorded,
            Answer::Authenticated(_) => Outcome::Authenticated,
            Answer::Refused(refusal) => refusal.outcome,
        }
    }
}

impl From<Refusal> for Answer {
    fn from(refusal: Refusal) -> Self {
        Answer::Refused(refusal)
    }
}
