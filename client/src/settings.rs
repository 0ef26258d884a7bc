//! The device's settings store as the client sees it: a mirror of the persisted key/value
//! pairs, fed in at construction and kept in step with every `StoreSetting` action.
//!
//! The library reads two keys back (nrfconnect/sdk-nrf
//! `subsys/net/lib/nrf_provisioning/src/nrf_provisioning.c`, `nrf_provisioning_set`):
//! `<path>/interval-sec` (decimal text parsed with `strtoll(.., 0)`) and
//! `<path>/after-correlation-id` (the cursor, loaded once).

use std::collections::BTreeMap;

use crate::errors::Errno;

/// Longest cursor the library reads back (`NRF_PROVISIONING_CORRELATION_ID_SIZE` is 46,
/// including the NUL): a stored value of 46 bytes or more is refused with `-ENOMEM`.
pub const CORRELATION_ID_SIZE: usize = 46;

/// Size of the interval read buffer (`sizeof(STRINGIFY(9223372036854775807))` = 20).
const INTERVAL_BUF: usize = 20;

/// The persisted settings (all keys, full paths) plus an optional injected write failure.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StoredSettings {
    values: BTreeMap<String, Vec<u8>>,
    write_error: Option<Errno>,
}

impl StoredSettings {
    /// An empty store (a fresh device).
    pub fn new() -> Self {
        Self::default()
    }

    /// The same store with `key` set to `value` (builder for scenarios and tests).
    pub fn with(mut self, key: impl Into<String>, value: impl Into<Vec<u8>>) -> Self {
        self.values.insert(key.into(), value.into());
        self
    }

    /// The same store, refusing every write with `errno` (fault injection: flash full).
    pub fn failing_writes(mut self, errno: Errno) -> Self {
        self.write_error = Some(errno);
        self
    }

    /// Makes later writes fail with `errno`, or succeed again with `None`.
    pub fn set_write_error(&mut self, errno: Option<Errno>) {
        self.write_error = errno;
    }

    /// The stored bytes of `key`.
    pub fn get(&self, key: &str) -> Option<&[u8]> {
        self.values.get(key).map(Vec::as_slice)
    }

    /// Every stored key/value pair, ordered by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    /// Writes `key`, unless writes are failing; returns the injected errno then.
    pub(crate) fn write(&mut self, key: &str, value: &[u8]) -> Result<(), Errno> {
        if let Some(errno) = self.write_error {
            return Err(errno);
        }
        self.values.insert(key.to_owned(), value.to_vec());
        Ok(())
    }
}

/// What reading `interval-sec` yields, as `nrf_provisioning_set` handles it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StoredInterval {
    /// No value or an empty one: the built-in interval.
    Empty,
    /// A parsed, non-negative interval in seconds.
    Seconds(u64),
    /// Negative or out of range: the built-in interval, `-EINVAL`.
    Invalid,
    /// 20 bytes or more: refused with `-ENOMEM`, the interval is unchanged.
    TooLong,
}

/// Reads the stored interval the way the SDK does: the bytes up to the first NUL,
/// `strtoll(text, NULL, 0)` (leading blanks, sign, `0x`/`0` prefixes, stops at the first
/// invalid character; no digits gives 0).
pub(crate) fn read_interval(value: Option<&[u8]>) -> StoredInterval {
    let Some(bytes) = value else {
        return StoredInterval::Empty;
    };
    if bytes.len() >= INTERVAL_BUF {
        return StoredInterval::TooLong;
    }
    if bytes.is_empty() {
        return StoredInterval::Empty;
    }
    let text = bytes.split(|&b| b == 0).next().unwrap_or_default();
    match strtoll_base0(text) {
        Some(v) if v >= 0 => StoredInterval::Seconds(v.unsigned_abs()),
        _ => StoredInterval::Invalid,
    }
}

/// Reads the stored cursor: up to the first NUL, refused (None) if 46 bytes or more or not
/// UTF-8.
pub(crate) fn read_cursor(value: Option<&[u8]>) -> Option<String> {
    let bytes = value?;
    if bytes.len() >= CORRELATION_ID_SIZE {
        return None;
    }
    let text = bytes.split(|&b| b == 0).next().unwrap_or_default();
    std::str::from_utf8(text).ok().map(str::to_owned)
}

/// C `strtoll(s, NULL, 0)`: `None` on overflow (`ERANGE`), `Some(0)` if there are no digits.
fn strtoll_base0(s: &[u8]) -> Option<i64> {
    let mut i = 0;
    while s.get(i).is_some_and(|b| b" \t\n\r\x0b\x0c".contains(b)) {
        i += 1;
    }
    let negative = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let mut radix = 10u32;
    if s.get(i) == Some(&b'0') {
        if matches!(s.get(i + 1), Some(b'x' | b'X'))
            && s.get(i + 2).is_some_and(|b| b.is_ascii_hexdigit())
        {
            radix = 16;
            i += 2;
        } else {
            radix = 8;
        }
    }
    let mut value: i128 = 0;
    while let Some(d) = s.get(i).and_then(|&b| char::from(b).to_digit(radix)) {
        value = value * i128::from(radix) + i128::from(d);
        if value > i128::from(i64::MAX) + 1 {
            return None;
        }
        i += 1;
    }
    let value = if negative { -value } else { value };
    i64::try_from(value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_parsing_follows_strtoll_base_0() {
        assert_eq!(read_interval(None), StoredInterval::Empty);
        assert_eq!(read_interval(Some(b"")), StoredInterval::Empty);
        assert_eq!(read_interval(Some(b"99")), StoredInterval::Seconds(99));
        assert_eq!(read_interval(Some(b"99\0")), StoredInterval::Seconds(99));
        assert_eq!(read_interval(Some(b" 0x10")), StoredInterval::Seconds(16));
        assert_eq!(read_interval(Some(b"010")), StoredInterval::Seconds(8));
        assert_eq!(read_interval(Some(b"12abc")), StoredInterval::Seconds(12));
        assert_eq!(read_interval(Some(b"abc")), StoredInterval::Seconds(0));
        assert_eq!(read_interval(Some(b"-5")), StoredInterval::Invalid);
        assert_eq!(
            read_interval(Some(b"9999999999999999999")),
            StoredInterval::Invalid
        );
        assert_eq!(
            read_interval(Some(b"99999999999999999999")),
            StoredInterval::TooLong
        );
    }

    #[test]
    fn cursor_reading() {
        assert_eq!(read_cursor(Some(b"abc\0")), Some("abc".to_owned()));
        assert_eq!(read_cursor(Some(&[b'a'; 46])), None);
        assert_eq!(read_cursor(Some(&[0xff])), None);
        assert_eq!(read_cursor(None), None);
    }

    #[test]
    fn writes_can_be_made_to_fail() {
        let mut s = StoredSettings::new().with("a", "1");
        assert_eq!(s.write("b", b"2"), Ok(()));
        s.set_write_error(Some(Errno::Enospc));
        assert_eq!(s.write("c", b"3"), Err(Errno::Enospc));
        assert_eq!(s.get("b"), Some(&b"2"[..]));
        assert_eq!(s.get("c"), None);
        assert_eq!(s.iter().count(), 2);
    }
}
