//! Fuzzes the device fetch query (`server::device::query`): the HTTP query string of
//! `GET /v1/provisioning/commands` and the Uri-Query options of CoAP `GET p/cmd`.
//!
//! Input: the whole input is an HTTP query; split at `0xff` bytes (which no UTF-8 text holds)
//! it is also a list of CoAP Uri-Query options.
//!
//! Invariants: nothing panics; numbers stay within nine decimal digits; a parsed query,
//! written back percent-encoded, parses to the same query over HTTP, and its name=value
//! pairs, as CoAP options, parse to the same query too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provlab_server::device::query::{parse_coap, parse_http, FetchQuery};

/// Percent-encodes everything but unreserved characters (RFC 3986 §2.3).
fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The query's name=value pairs, decoded, in the order devices send them.
fn pairs(q: &FetchQuery) -> Vec<(&'static str, String)> {
    let mut pairs = vec![
        ("after", q.fetch.after.clone()),
        ("rxMaxSize", q.fetch.rx_max_size.to_string()),
        ("txMaxSize", q.fetch.tx_max_size.to_string()),
    ];
    if let Some(limit) = q.fetch.limit {
        pairs.push(("limit", limit.to_string()));
    }
    if let Some(mver) = &q.mver {
        pairs.push(("mver", mver.clone()));
    }
    if let Some(cver) = &q.cver {
        pairs.push(("cver", cver.clone()));
    }
    pairs
}

fn check(q: &FetchQuery) {
    const MAX: usize = 999_999_999;
    assert!(q.fetch.rx_max_size <= MAX && q.fetch.tx_max_size <= MAX);
    assert!(q.fetch.limit.is_none_or(|l| l <= MAX));
    let pairs = pairs(q);
    let http = pairs
        .iter()
        .map(|(n, v)| format!("{n}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    assert_eq!(
        parse_http(&http).as_ref(),
        Ok(q),
        "written back as {http:?}"
    );
    let options: Vec<Vec<u8>> = pairs
        .iter()
        .map(|(n, v)| format!("{n}={v}").into_bytes())
        .collect();
    assert_eq!(
        parse_coap(options.iter().map(Vec::as_slice)).as_ref(),
        Ok(q),
        "as CoAP options {options:?}"
    );
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(q) = parse_http(text) {
            check(&q);
        }
    }
    if let Ok(q) = parse_coap(data.split(|&b| b == 0xff)) {
        check(&q);
    }
});
