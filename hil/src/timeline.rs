//! A decoded console log as a [`Transcript`], so that a field log (or a board's capture)
//! goes through the same timeline comparison as the runs of a backend
//! (`provlab_harness::compare`).
//!
//! The console shows client events, the requests the library logs (`Requesting commands`,
//! `Sending response to server`, `DTLS setup`) and their answers (an HTTP status, a CoAP
//! code, `no commands`), boots and AT errors. Times are the log lines' uptimes (a line
//! without one takes the previous line's time).

use provlab_harness::transcript::{Entry, EntryKind, Lane, Transcript};

use crate::decode::{Answer, Decoded, Happening, Request, Transport};

/// The transcript of `decoded`, with the device called `device` (the scenario's name for
/// it, so it lines up with a backend's run).
pub fn console_transcript(decoded: &Decoded, device: &str) -> Transcript {
    let client = Lane::Client(device.to_owned());
    let modem = Lane::Modem(device.to_owned());
    let mut transcript = Transcript::new();
    let mut at_ms = 0u64;
    for located in &decoded.events {
        if let Some(uptime) = located.uptime {
            at_ms = u64::try_from(uptime.as_millis()).unwrap_or(u64::MAX);
        }
        let entry = match &located.value {
            Happening::Event {
                event,
                next_attempt_s,
            } => Entry::on(
                at_ms,
                client.clone(),
                EntryKind::Event,
                match next_attempt_s {
                    Some(s) => format!("{event}({s}s)"),
                    None => event.to_string(),
                },
            ),
            Happening::Request { transport, request } => Entry::message(
                at_ms,
                client.clone(),
                Lane::Service,
                EntryKind::Request,
                request_text(*transport, *request),
            ),
            Happening::Answer {
                answer, records, ..
            } => Entry::message(
                at_ms,
                Lane::Service,
                client.clone(),
                EntryKind::Response,
                answer_text(*answer, *records),
            ),
            Happening::Boot { image, version } => Entry::on(
                at_ms,
                modem.clone(),
                EntryKind::Note,
                format!("booted {image} v{version}"),
            ),
            Happening::AtError(failure) => Entry::on(
                at_ms,
                modem.clone(),
                EntryKind::Note,
                format!("AT failure: {failure}"),
            ),
            Happening::Triggered => Entry::on(
                at_ms,
                client.clone(),
                EntryKind::Note,
                "console: Externally initiated provisioning",
            ),
            _ => continue,
        };
        transcript.push(entry.with_detail(vec![format!("console line {}", located.line_no)]));
    }
    transcript
}

/// The request's wording, in the simulation's terms where the comparison keys on them.
pub(crate) fn request_text(transport: Transport, request: Request) -> String {
    let transport = match transport {
        Transport::Http => "HTTP",
        Transport::Coap => "CoAP",
    };
    match request {
        Request::Connect => format!("DTLS handshake ({transport}, as logged)"),
        Request::FetchCommands => format!("requesting commands ({transport}, as logged)"),
        Request::SendResponses => {
            format!("sending response to server ({transport}, as logged)")
        }
    }
}

/// The answer's status as the simulation writes it (`200`, `2.05`, `5.xx`), with the record
/// count when the line tells it.
pub(crate) fn answer_text(answer: Answer, records: Option<u32>) -> String {
    let status = match answer {
        Answer::Http(0) => "0 (socket closed)".to_owned(),
        Answer::Http(code) => code.to_string(),
        Answer::Coap {
            class,
            detail: Some(detail),
        } => format!("{class}.{detail:02}"),
        Answer::Coap {
            class,
            detail: None,
        } => format!("{class}.xx"),
    };
    match records {
        Some(n) => format!("{status}, {n} records"),
        None => status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{decode, Era};
    use provlab_harness::compare::{normalise, Category};

    #[test]
    fn a_decoded_log_becomes_comparable_events() {
        let log = "<inf> nrf_provisioning_sample: Provisioning started\n\
                   <inf> nrf_provisioning_http: Requesting commands\n\
                   <inf> nrf_provisioning_http: Sending response to server\n\
                   <inf> nrf_provisioning_sample: Provisioning stopped\n\
                   <inf> nrf_provisioning_sample: Provisioning done, rebooting...\n";
        let decoded = decode(Era::V2_9, log);
        let t = console_transcript(&decoded, "dk1");
        let keys: Vec<(Category, String)> = normalise(&t)
            .into_iter()
            .filter(|e| e.stream == "dk1")
            .map(|e| (e.category, e.key))
            .collect();
        let want = |c, k: &str| (c, k.to_owned());
        assert_eq!(
            keys,
            vec![
                want(Category::Event, "START"),
                want(Category::Request, "fetch"),
                want(Category::Request, "report"),
                want(Category::Event, "STOP"),
                want(Category::Event, "DONE"),
            ],
            "{}",
            t.to_text()
        );
    }
}
