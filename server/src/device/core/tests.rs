//! The core against a fake [`DeviceService`]: the order of checks, the strict query, and
//! Block2 serving.

use super::*;
use crate::device::coap::block::BlockOpt;
use crate::device::query::FetchQuery;
use crate::domain::registry::Verification;
use crate::domain::service::{
    DeviceAuth, Fetch, FetchResult, IdleReason, RecordOutcome, ResponsesReport,
};
use crate::domain::DeviceId;

/// Accepts the token `good`, serves `body` (no commands when empty), counts domain calls.
struct Fake {
    body: Vec<u8>,
    calls: Vec<&'static str>,
}

impl Fake {
    fn new(body_len: usize) -> Self {
        Fake {
            body: (0..body_len).map(|i| i as u8).collect(),
            calls: Vec::new(),
        }
    }
}

fn device() -> DeviceAuth {
    DeviceAuth {
        device: DeviceId::parse("0e189f86-c54c-44c7-a19c-93ff1d5b67ab").unwrap(),
        verification: Verification::Verified,
    }
}

impl DeviceService for Fake {
    fn authenticate(&mut self, token: Option<&str>) -> Result<DeviceAuth, Refusal> {
        self.calls.push("auth");
        match token {
            Some("good") => Ok(device()),
            _ => Err(Refusal::new(Outcome::Unauthorized, "bad JWT")),
        }
    }

    fn fetch(&mut self, _: &DeviceAuth, _: &FetchQuery) -> Result<FetchResult, Refusal> {
        self.calls.push("fetch");
        let fetch = if self.body.is_empty() {
            Fetch::NoCommands(IdleReason::NothingPending)
        } else {
            Fetch::Records {
                body: self.body.clone(),
                records: Vec::new(),
                response_bound: 0,
            }
        };
        Ok(FetchResult {
            fetch,
            notices: Vec::new(),
        })
    }

    fn report(&mut self, _: &DeviceAuth, body: &[u8]) -> Result<ResponsesReport, Refusal> {
        self.calls.push("report");
        Ok(ResponsesReport {
            records: vec![
                RecordOutcome {
                    id: "x".into(),
                    disposition: crate::domain::service::RecordDisposition::Recorded,
                };
                body.len()
            ],
        })
    }
}

const QUERY: &str = "after=&rxMaxSize=4096&txMaxSize=4096&limit=20";

fn http(service: &mut Fake, route: Route, query: &str, authorization: &str) -> HttpHandled {
    handle_http(
        service,
        route,
        &HttpParts {
            query: Some(query),
            authorization: Some(authorization),
            content_type: Some("application/cbor"),
            body: &[1, 2],
        },
    )
}

fn coap<'a>(route: Route, query: &'a str, block2: Option<BlockOpt>) -> CoapParts<'a> {
    CoapParts {
        route,
        query: query
            .split('&')
            .filter(|q| !q.is_empty())
            .map(str::as_bytes)
            .collect(),
        content_format: Some(60),
        payload: b"good",
        block2,
    }
}

#[test]
fn http_authenticates_first_then_refuses_unknown_and_repeated_parameters() {
    let mut fake = Fake::new(10);
    let handled = http(&mut fake, Route::Fetch, "colour=red", "Bearer bad");
    assert_eq!(handled.answer.outcome(), Outcome::Unauthorized);
    assert_eq!(handled.device, None);
    for query in [
        format!("{QUERY}&colour=red"),
        format!("{QUERY}&limit=20"),
        "after=&txMaxSize=1".to_owned(),
    ] {
        let handled = http(&mut fake, Route::Fetch, &query, "Bearer good");
        assert_eq!(handled.answer.outcome(), Outcome::BadRequest, "{query}");
        assert_eq!(handled.answer.outcome().http_status(), Some(400));
        assert_eq!(handled.device, Some(device()));
    }
    assert!(!fake.calls.contains(&"fetch"), "{:?}", fake.calls);
    let handled = http(&mut fake, Route::Fetch, QUERY, "Bearer good");
    assert!(matches!(handled.answer, Answer::Records { ref body, .. } if body.len() == 10));
    let handled = http(&mut fake, Route::Report, "", "Bearer good");
    assert_eq!(handled.answer.outcome().http_status(), Some(200));
}

#[test]
fn coap_refuses_unknown_and_repeated_parameters_with_4_00() {
    let mut fake = Fake::new(10);
    let mut state = CoapState::default();
    let before = handle_coap(&mut fake, &mut state, &coap(Route::Fetch, QUERY, None));
    assert_eq!(before.code().to_string(), "4.01");
    let auth = handle_coap(&mut fake, &mut state, &coap(Route::Auth, "", None));
    assert_eq!(auth.code().to_string(), "2.01");
    assert_eq!(state.device(), Some(&device()));
    for query in [format!("{QUERY}&mver=1&mver=2"), format!("{QUERY}&x=1")] {
        let answer = handle_coap(&mut fake, &mut state, &coap(Route::Fetch, &query, None));
        assert_eq!(answer.code().to_string(), "4.00", "{query}");
    }
    assert!(!fake.calls.contains(&"fetch"));
    let suspend = handle_coap(&mut fake, &mut state, &coap(Route::Suspend, "", None));
    assert_eq!(suspend.code().to_string(), "4.04");
}

#[test]
fn coap_serves_later_blocks_from_the_body_of_block_0() {
    let mut fake = Fake::new(600);
    let mut state = CoapState::default();
    handle_coap(&mut fake, &mut state, &coap(Route::Auth, "", None));
    let block = |num| {
        Some(BlockOpt {
            num,
            more: false,
            szx: 4,
        })
    };
    // A later block before any fetch: no transfer in progress.
    let early = handle_coap(&mut fake, &mut state, &coap(Route::Fetch, QUERY, block(1)));
    assert_eq!(early.code().to_string(), "4.00");
    let first = handle_coap(&mut fake, &mut state, &coap(Route::Fetch, QUERY, block(0)));
    assert_eq!(first.code().to_string(), "2.05");
    assert_eq!(
        first.block2,
        Some(BlockOpt {
            num: 0,
            more: true,
            szx: 4
        })
    );
    assert_eq!((first.payload.len(), first.body_len), (256, 600));
    let last = handle_coap(&mut fake, &mut state, &coap(Route::Fetch, QUERY, block(2)));
    assert_eq!(last.answer, Answer::NextBlock);
    assert_eq!(
        last.block2,
        Some(BlockOpt {
            num: 2,
            more: false,
            szx: 4
        })
    );
    assert_eq!(last.payload, fake.body[512..]);
    assert_eq!(fake.calls.iter().filter(|c| **c == "fetch").count(), 1);
    // Past the end: a bad Block2 option. Another query: no transfer.
    let past = handle_coap(&mut fake, &mut state, &coap(Route::Fetch, QUERY, block(3)));
    assert_eq!(past.code().to_string(), "4.02");
    let other = handle_coap(
        &mut fake,
        &mut state,
        &coap(Route::Fetch, "after=x", block(1)),
    );
    assert_eq!(other.code().to_string(), "4.00");
    // No commands: an empty 2.05 without Block2, and the transfer is over.
    fake.body.clear();
    let none = handle_coap(&mut fake, &mut state, &coap(Route::Fetch, QUERY, block(0)));
    assert_eq!(
        (none.code().to_string(), none.block2),
        ("2.05".to_owned(), None)
    );
    assert!(none.payload.is_empty());
    let after = handle_coap(&mut fake, &mut state, &coap(Route::Fetch, QUERY, block(1)));
    assert_eq!(after.code().to_string(), "4.00");
}

#[test]
fn coap_reports_need_the_session_and_cbor() {
    let mut fake = Fake::new(0);
    let mut state = CoapState::default();
    let early = handle_coap(&mut fake, &mut state, &coap(Route::Report, "", None));
    assert_eq!(early.code().to_string(), "4.01");
    handle_coap(&mut fake, &mut state, &coap(Route::Auth, "", None));
    let mut parts = coap(Route::Report, "", None);
    parts.content_format = Some(50);
    assert_eq!(
        handle_coap(&mut fake, &mut state, &parts)
            .code()
            .to_string(),
        "4.15"
    );
    parts.content_format = None;
    assert_eq!(
        handle_coap(&mut fake, &mut state, &parts)
            .code()
            .to_string(),
        "2.04"
    );
    // A failed authentication ends the session's authentication.
    let mut bad = coap(Route::Auth, "", None);
    bad.payload = b"bad";
    assert_eq!(
        handle_coap(&mut fake, &mut state, &bad).code().to_string(),
        "4.01"
    );
    assert_eq!(state.device(), None);
}
