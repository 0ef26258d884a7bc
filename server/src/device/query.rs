//! The fetch query of `GET /v1/provisioning/commands` and CoAP `GET p/cmd`, parsed strictly.
//!
//! What devices send (device-protocol.md §3, §4): `after=<id>&rxMaxSize=<n>&txMaxSize=<n>`,
//! then `mver=<mfw>&cver=<ver>` (HTTP) and `limit=<n>` (current generation only). `after`,
//! `rxMaxSize` and `txMaxSize` are required (`after` may be empty on a fresh device); `limit`,
//! `mver` and `cver` are optional. Anything else is refused, as is a repeated parameter or a
//! number that is not plain decimal: a device that sends something else is worth knowing
//! about. Range checks (`limit` ≥ 1, buffer sizes) are the domain's.

use crate::domain::service::FetchRequest;

/// Why a fetch query was refused (HTTP 400 / CoAP 4.00).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// A required parameter is absent.
    #[error("query parameter {0} is missing")]
    Missing(&'static str),
    /// A parameter appears twice.
    #[error("query parameter {0} is repeated")]
    Repeated(String),
    /// A parameter this endpoint does not know.
    #[error(
        "unknown query parameter {0:?} (expected after, rxMaxSize, txMaxSize, limit, mver, cver)"
    )]
    Unknown(String),
    /// A numeric parameter is not a plain decimal number.
    #[error("query parameter {name} is {value:?}, not a decimal number")]
    NotANumber {
        /// The parameter.
        name: &'static str,
        /// What was sent.
        value: String,
    },
    /// An item without `=`.
    #[error("query item {0:?} is not name=value")]
    NotAPair(String),
    /// A `%` escape that is not two hex digits, or text that is not UTF-8 once decoded.
    #[error("query item {0:?} is not valid percent-encoded UTF-8")]
    BadEncoding(String),
}

/// A parsed fetch query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchQuery {
    /// What the domain needs.
    pub fetch: FetchRequest,
    /// `mver`, the modem firmware version, if sent (logged only).
    pub mver: Option<String>,
    /// `cver`, the client version, if sent (logged only).
    pub cver: Option<String>,
}

/// The longest decimal number accepted (more digits cannot be a buffer size).
const MAX_DIGITS: usize = 9;

/// Parses an HTTP query string (the part after `?`, percent-encoded, `&`-separated).
pub fn parse_http(query: &str) -> Result<FetchQuery, QueryError> {
    let mut items = Vec::new();
    for raw in query.split('&').filter(|item| !item.is_empty()) {
        let (name, value) = raw
            .split_once('=')
            .ok_or_else(|| QueryError::NotAPair(raw.to_string()))?;
        let name = percent_decode(name).ok_or_else(|| QueryError::BadEncoding(raw.to_string()))?;
        let value =
            percent_decode(value).ok_or_else(|| QueryError::BadEncoding(raw.to_string()))?;
        items.push((name, value));
    }
    parse_pairs(items)
}

/// Parses CoAP Uri-Query options (each `name=value`, already decoded bytes).
pub fn parse_coap<'a>(
    options: impl IntoIterator<Item = &'a [u8]>,
) -> Result<FetchQuery, QueryError> {
    let mut items = Vec::new();
    for raw in options {
        let text = std::str::from_utf8(raw)
            .map_err(|_| QueryError::BadEncoding(String::from_utf8_lossy(raw).into_owned()))?;
        let (name, value) = text
            .split_once('=')
            .ok_or_else(|| QueryError::NotAPair(text.to_string()))?;
        items.push((name.to_string(), value.to_string()));
    }
    parse_pairs(items)
}

/// Builds the query from decoded pairs.
fn parse_pairs(items: Vec<(String, String)>) -> Result<FetchQuery, QueryError> {
    let mut after = None;
    let mut rx = None;
    let mut tx = None;
    let mut limit = None;
    let mut mver = None;
    let mut cver = None;
    for (name, value) in items {
        let slot: &mut Option<String> = match name.as_str() {
            "after" => &mut after,
            "rxMaxSize" => &mut rx,
            "txMaxSize" => &mut tx,
            "limit" => &mut limit,
            "mver" => &mut mver,
            "cver" => &mut cver,
            _ => return Err(QueryError::Unknown(name)),
        };
        if slot.is_some() {
            return Err(QueryError::Repeated(name));
        }
        *slot = Some(value);
    }
    let after = after.ok_or(QueryError::Missing("after"))?;
    let rx_max_size = number("rxMaxSize", rx.ok_or(QueryError::Missing("rxMaxSize"))?)?;
    let tx_max_size = number("txMaxSize", tx.ok_or(QueryError::Missing("txMaxSize"))?)?;
    let limit = limit.map(|l| number("limit", l)).transpose()?;
    Ok(FetchQuery {
        fetch: FetchRequest {
            after,
            rx_max_size,
            tx_max_size,
            limit,
        },
        mver,
        cver,
    })
}

/// A plain decimal number: digits only, no sign, no spaces, at most [`MAX_DIGITS`].
fn number(name: &'static str, value: String) -> Result<usize, QueryError> {
    let plain =
        !value.is_empty() && value.len() <= MAX_DIGITS && value.bytes().all(|b| b.is_ascii_digit());
    match value.parse::<usize>() {
        Ok(n) if plain => Ok(n),
        _ => Err(QueryError::NotANumber { name, value }),
    }
}

/// Decodes `%XX` escapes and `+` (space, as HTML forms send it); `None` on a bad escape or
/// non-UTF-8 result.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => {
                let hi = hex_digit(*bytes.get(i + 1)?)?;
                let lo = hex_digit(*bytes.get(i + 2)?)?;
                out.push(hi << 4 | lo);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_each_generation_sends() {
        let current = parse_http(
            "after=9685ef84-8cac-4257-b5cc-94bc416a1c1d.d&rxMaxSize=4096&txMaxSize=2048&mver=mfw_nrf9160_1.3.5&cver=2.6.0&limit=20",
        )
        .unwrap();
        assert_eq!(
            current.fetch.after,
            "9685ef84-8cac-4257-b5cc-94bc416a1c1d.d"
        );
        assert_eq!(current.fetch.rx_max_size, 4096);
        assert_eq!(current.fetch.tx_max_size, 2048);
        assert_eq!(current.fetch.limit, Some(20));
        assert_eq!(current.mver.as_deref(), Some("mfw_nrf9160_1.3.5"));
        let v29 = parse_http("after=&rxMaxSize=4096&txMaxSize=4096&mver=1.3.2&cver=1").unwrap();
        assert_eq!(v29.fetch.after, "");
        assert_eq!(v29.fetch.limit, None);
        assert_eq!(v29.cver.as_deref(), Some("1"));
        let coap = parse_coap([
            b"after=".as_slice(),
            b"rxMaxSize=2048",
            b"txMaxSize=1024",
            b"limit=10",
        ])
        .unwrap();
        assert_eq!(coap.fetch.rx_max_size, 2048);
        assert_eq!(coap.fetch.limit, Some(10));
    }

    #[test]
    fn refuses_anything_else_with_a_typed_error() {
        use QueryError::*;
        let base = "after=&rxMaxSize=4096&txMaxSize=4096";
        assert_eq!(parse_http("rxMaxSize=1&txMaxSize=1"), Err(Missing("after")));
        assert_eq!(parse_http("after=&txMaxSize=1"), Err(Missing("rxMaxSize")));
        assert_eq!(parse_http("after=&rxMaxSize=1"), Err(Missing("txMaxSize")));
        assert_eq!(
            parse_http(&format!("{base}&limit=-1")),
            Err(NotANumber {
                name: "limit",
                value: "-1".into()
            })
        );
        assert!(matches!(
            parse_http("after=&rxMaxSize=0x10&txMaxSize=1"),
            Err(NotANumber { .. })
        ));
        assert!(matches!(
            parse_http("after=&rxMaxSize=&txMaxSize=1"),
            Err(NotANumber { .. })
        ));
        assert!(matches!(
            parse_http("after=&rxMaxSize=99999999999999999999&txMaxSize=1"),
            Err(NotANumber { .. })
        ));
        assert_eq!(
            parse_http(&format!("{base}&after=x")),
            Err(Repeated("after".into()))
        );
        assert_eq!(
            parse_http(&format!("{base}&colour=red")),
            Err(Unknown("colour".into()))
        );
        assert_eq!(
            parse_http(&format!("{base}&limit")),
            Err(NotAPair("limit".into()))
        );
        assert_eq!(
            parse_http(&format!("{base}&mver=%zz")),
            Err(BadEncoding("mver=%zz".into()))
        );
        assert!(matches!(
            parse_coap([b"after=\xff".as_slice()]),
            Err(BadEncoding(_))
        ));
    }

    #[test]
    fn percent_escapes_are_decoded() {
        let q = parse_http("after=a%2Eb&rxMaxSize=4096&txMaxSize=4096&mver=1%2B2+3").unwrap();
        assert_eq!(q.fetch.after, "a.b");
        assert_eq!(q.mver.as_deref(), Some("1+2 3"));
    }
}
