//! Happenings in words, for transcripts and messages: what the console said, not Rust's
//! `Debug` form of the decoder's types.

use std::fmt;

use super::happening::{Answer, AtFailure, Happening, Milestone, Network, Request};

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Request::Connect => "DTLS setup",
            Request::FetchCommands => "requesting commands",
            Request::SendResponses => "sending responses",
        })
    }
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Answer::Http(0) => f.write_str("null response (socket closed)"),
            Answer::Http(status) => write!(f, "HTTP {status}"),
            Answer::Coap {
                class,
                detail: Some(detail),
            } => write!(f, "CoAP {class}.{detail:02}"),
            Answer::Coap {
                class,
                detail: None,
            } => write!(f, "CoAP {class}.xx"),
        }
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Network::Connecting => "LTE connecting",
            Network::Up => "network connectivity established",
            Network::Ipv4Up => "IPv4 connectivity established",
            Network::Ipv6Up => "IPv6 connectivity established",
            Network::Down => "network connectivity lost",
            Network::Paused => "disconnected from network: provisioning paused",
            Network::Resumed { roaming: false } => "home network: provisioning resumed",
            Network::Resumed { roaming: true } => "roaming: provisioning resumed",
            Network::ModemRestored => "modem connection restored",
            Network::WaitingForTime => "waiting for network time",
            Network::TimeObtained => "network time obtained",
        })
    }
}

impl fmt::Display for Milestone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Milestone::SampleStarted => f.write_str("sample started"),
            Milestone::CertificateWritten => f.write_str("provisioning new certificate"),
            Milestone::CoapInit => f.write_str("CoAP client init"),
            Milestone::BatchFinished => f.write_str("batch finished"),
            Milestone::CanConnectToCloud => {
                f.write_str("the device can now connect to the cloud service")
            }
            Milestone::Checking { in_s } => {
                write!(f, "checking for provisioning commands in {in_s} s")
            }
            Milestone::Unauthorized => f.write_str("unauthorized: device not yet claimed"),
            Milestone::ClaimHint => f.write_str("claim hint printed"),
            Milestone::TokenFollows => f.write_str("attestation token follows"),
            Milestone::ConnectionRefused => f.write_str("connection refused"),
            Milestone::CheckCa { sec_tag } => {
                write!(f, "check the CA certificate in sec tag {sec_tag}")
            }
            Milestone::NoValidTime { errno } => write!(f, "no valid date and time (err {errno})"),
            Milestone::Retry { timed_out: false } => f.write_str("provisioning client busy"),
            Milestone::Retry { timed_out: true } => f.write_str("provisioning timed out"),
            Milestone::RetryIn { in_s } => write!(f, "retrying in {in_s} s"),
            Milestone::InvalidExchange => f.write_str("invalid exchange"),
            Milestone::TooManyCommandsAdvice => {
                f.write_str("not enough memory for the list of commands")
            }
            Milestone::FatalReboot => f.write_str("fatal error: rebooting"),
            Milestone::CloudCoap => f.write_str("nRF Cloud CoAP connection"),
            Milestone::JwtFailed { errno } => write!(f, "JWT generation failed (error {errno})"),
        }
    }
}

impl fmt::Display for AtFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AtFailure::Error => f.write_str("ERROR"),
            AtFailure::Cme(code) => write!(f, "+CME ERROR: {code}"),
            AtFailure::Cms(code) => write!(f, "+CMS ERROR: {code}"),
            AtFailure::SendFailed(code) => write!(f, "sending the AT command failed ({code})"),
            AtFailure::Codec(code) => write!(f, "AT command failed in the library ({code})"),
        }
    }
}

impl fmt::Display for Happening {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Happening::Boot { image, version } => write!(f, "booting {image} v{version}"),
            Happening::Banner { text } | Happening::ShellError { text } => f.write_str(text),
            Happening::Event {
                event,
                next_attempt_s: Some(s),
            } => write!(f, "event {event} (next attempt in {s} s)"),
            Happening::Event { event, .. } => write!(f, "event {event}"),
            Happening::Request { transport, request } => write!(f, "{transport}: {request}"),
            Happening::Answer {
                transport,
                answer,
                records: Some(n),
            } => write!(f, "{transport}: {answer}, {n} records"),
            Happening::Answer {
                transport, answer, ..
            } => write!(f, "{transport}: {answer}"),
            Happening::Connected { transport } => write!(f, "{transport}: connected"),
            Happening::Network(network) => network.fmt(f),
            Happening::Milestone(milestone) => milestone.fmt(f),
            Happening::Triggered => f.write_str("externally initiated provisioning"),
            Happening::AttestationToken { token } => write!(f, "attestation token {token}"),
            Happening::LibraryError { errno } => write!(f, "provisioning failed, error {errno}"),
            Happening::AtError(failure) => write!(f, "AT failure: {failure}"),
            Happening::RunMarker { id } => write!(f, "run marker {id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::happening::Transport;
    use super::*;

    #[test]
    fn happenings_read_as_words_not_debug_text() {
        let shown = [
            Happening::Network(Network::Resumed { roaming: true }).to_string(),
            Happening::AtError(AtFailure::Cme(514)).to_string(),
            Happening::Answer {
                transport: Transport::Coap,
                answer: Answer::Coap {
                    class: 5,
                    detail: Some(3),
                },
                records: None,
            }
            .to_string(),
            Happening::Milestone(Milestone::CheckCa { sec_tag: 42 }).to_string(),
        ];
        assert_eq!(
            shown,
            [
                "roaming: provisioning resumed",
                "AT failure: +CME ERROR: 514",
                "coap: CoAP 5.03",
                "check the CA certificate in sec tag 42",
            ]
        );
        assert!(shown.iter().all(|s| !s.contains('{') && !s.contains("::")));
    }
}
