//! The one spelling of a unit enum's variants: `as_str` and `Display` agree with serde.

/// Writes `as_str` (the serde spelling of each variant) and `Display` for a unit enum.
macro_rules! spelled {
    ($ty:ty { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            /// The spelling used on the wire, in scenario files and in reports.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use spelled;
