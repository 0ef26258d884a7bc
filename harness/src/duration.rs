//! Durations as scenario files write them: `"90s"`, `"2m"`, `"1h30m"`, `"250ms"`.

use std::fmt;
use std::str::FromStr;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A span of (virtual) time with millisecond resolution.
///
/// Written as one or more `<number><unit>` parts, largest unit first, with units `d`, `h`,
/// `m`, `s` and `ms`: `"90s"`, `"2m"`, `"1h30m"`, `"1m30s500ms"`, `"0s"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration {
    millis: u64,
}

/// Why a duration text is not a duration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Nothing was written.
    #[error("empty duration: expected e.g. \"90s\", \"2m\" or \"1h30m\"")]
    Empty,
    /// A unit without a number in front of it, or a stray character.
    #[error("invalid duration `{text}`: expected a number at byte {at} (e.g. \"90s\", \"2m\", \"1h30m\")")]
    ExpectedNumber {
        /// The whole text.
        text: String,
        /// Byte offset of the problem.
        at: usize,
    },
    /// A number without a unit or with an unknown unit.
    #[error("invalid duration `{text}`: expected a unit (d, h, m, s or ms) after `{number}`")]
    ExpectedUnit {
        /// The whole text.
        text: String,
        /// The number missing its unit.
        number: String,
    },
    /// Units repeated or not in decreasing order (`"30s2m"`).
    #[error(
        "invalid duration `{text}`: units must appear once each, largest first (d, h, m, s, ms)"
    )]
    UnitOrder {
        /// The whole text.
        text: String,
    },
    /// Larger than about 584 million years.
    #[error("duration `{text}` is too large")]
    Overflow {
        /// The whole text.
        text: String,
    },
    /// Longer than [`Duration::MAX_WRITTEN`].
    #[error(
        "duration `{text}` is longer than 3650d (ten years), the longest a scenario may write"
    )]
    TooLong {
        /// The whole text.
        text: String,
    },
}

const UNITS: [(&str, u64); 5] = [
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("ms", 1),
    ("m", 60_000),
    ("s", 1_000),
];

/// Rank of a unit: larger units have smaller ranks.
fn rank(unit: &str) -> u8 {
    match unit {
        "d" => 0,
        "h" => 1,
        "m" => 2,
        "s" => 3,
        _ => 4,
    }
}

impl Duration {
    /// Zero.
    pub const ZERO: Duration = Duration { millis: 0 };

    /// The longest duration a scenario may write: ten years (3650 days). Week- and
    /// month-long scheduled scenarios are normal; a typo of 10^11 days is not, and would
    /// keep a run busy for hours.
    pub const MAX_WRITTEN: Duration = Duration {
        millis: 3650 * 86_400_000,
    };

    /// A duration of `millis` milliseconds.
    pub const fn from_millis(millis: u64) -> Self {
        Self { millis }
    }

    /// A duration of `secs` seconds.
    pub const fn from_secs(secs: u64) -> Self {
        Self {
            millis: secs.saturating_mul(1000),
        }
    }

    /// Milliseconds.
    pub const fn as_millis(self) -> u64 {
        self.millis
    }

    /// The same span as a [`std::time::Duration`].
    pub const fn to_std(self) -> std::time::Duration {
        std::time::Duration::from_millis(self.millis)
    }

    /// Parses the scenario spelling (see the type's documentation).
    pub fn parse(text: &str) -> Result<Self, DurationError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(DurationError::Empty);
        }
        let bytes = trimmed.as_bytes();
        let mut at = 0;
        let mut total: u64 = 0;
        let mut last_rank: Option<u8> = None;
        while at < bytes.len() {
            let digits_start = at;
            while at < bytes.len() && bytes[at].is_ascii_digit() {
                at += 1;
            }
            if at == digits_start {
                return Err(DurationError::ExpectedNumber {
                    text: text.to_owned(),
                    at,
                });
            }
            let number = &trimmed[digits_start..at];
            let rest = &trimmed[at..];
            let Some((unit, scale)) = UNITS.iter().find(|(u, _)| rest.starts_with(u)) else {
                return Err(DurationError::ExpectedUnit {
                    text: text.to_owned(),
                    number: number.to_owned(),
                });
            };
            at += unit.len();
            let r = rank(unit);
            if last_rank.is_some_and(|last| r <= last) {
                return Err(DurationError::UnitOrder {
                    text: text.to_owned(),
                });
            }
            last_rank = Some(r);
            let overflow = || DurationError::Overflow {
                text: text.to_owned(),
            };
            let value: u64 = number.parse().map_err(|_| overflow())?;
            let part = value.checked_mul(*scale).ok_or_else(overflow)?;
            total = total.checked_add(part).ok_or_else(overflow)?;
        }
        if total > Self::MAX_WRITTEN.millis {
            return Err(DurationError::TooLong {
                text: text.to_owned(),
            });
        }
        Ok(Self { millis: total })
    }
}

impl FromStr for Duration {
    type Err = DurationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Duration {
    /// The canonical spelling: largest units first, zero parts left out (`"1h30m"`, `"0s"`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.millis == 0 {
            return f.write_str("0s");
        }
        let mut rest = self.millis;
        for (unit, scale) in [
            ("d", 86_400_000),
            ("h", 3_600_000),
            ("m", 60_000),
            ("s", 1_000),
            ("ms", 1),
        ] {
            let n = rest / scale;
            if n > 0 {
                write!(f, "{n}{unit}")?;
                rest -= n * scale;
            }
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Duration::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl JsonSchema for Duration {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "A duration: <number><unit> parts, largest unit first; units d, h, m, s, ms. E.g. \"90s\", \"2m\", \"1h30m\".",
            "pattern": "^\\s*([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?\\s*$",
            "examples": ["90s", "2m", "1h30m", "250ms"]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() {
        assert_eq!(Duration::parse("90s").unwrap().as_millis(), 90_000);
        assert_eq!(Duration::parse("2m").unwrap().as_millis(), 120_000);
        assert_eq!(Duration::parse("1h30m").unwrap().as_millis(), 5_400_000);
        assert_eq!(Duration::parse("250ms").unwrap().as_millis(), 250);
        assert_eq!(Duration::parse("1m30s500ms").unwrap().as_millis(), 90_500);
        assert_eq!(Duration::parse("1d").unwrap().as_millis(), 86_400_000);
        assert_eq!(Duration::parse("0s").unwrap(), Duration::ZERO);
    }

    #[test]
    fn rejects_malformed_text_with_a_reason() {
        assert_eq!(Duration::parse(""), Err(DurationError::Empty));
        assert!(matches!(
            Duration::parse("90"),
            Err(DurationError::ExpectedUnit { .. })
        ));
        assert!(matches!(
            Duration::parse("5q"),
            Err(DurationError::ExpectedUnit { .. })
        ));
        assert!(matches!(
            Duration::parse("m"),
            Err(DurationError::ExpectedNumber { .. })
        ));
        assert!(matches!(
            Duration::parse("30s2m"),
            Err(DurationError::UnitOrder { .. })
        ));
        assert!(matches!(
            Duration::parse("1s1s"),
            Err(DurationError::UnitOrder { .. })
        ));
        assert!(matches!(
            Duration::parse("99999999999999999999d"),
            Err(DurationError::Overflow { .. })
        ));
    }

    #[test]
    fn displays_canonically_and_round_trips() {
        for text in ["90s", "2m", "1h30m", "250ms", "1d2h3m4s5ms", "0s"] {
            let d = Duration::parse(text).unwrap();
            assert_eq!(Duration::parse(&d.to_string()).unwrap(), d);
        }
        assert_eq!(Duration::from_secs(90).to_string(), "1m30s");
    }
}
