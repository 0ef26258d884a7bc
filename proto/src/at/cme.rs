//! The `+CME ERROR: <n>` codes the nRF91 modem reports, named in one place.
//!
//! Sources of each number (checked, not guessed):
//!
//! * 0, 3, 4, 20, 21, 22, 23, 30, 50, 51, 60, 100: 3GPP TS 27.007 §9.2 (mobile termination
//!   error result codes). 50 and 51 are also listed for `%JWT` in Nordic's "nRF91x1 Cellular
//!   AT Commands" reference (`jwt_set`), and 0, 23, 50 and 60 are handled by
//!   `lib/modem_key_mgmt/modem_key_mgmt.c` in the nRF Connect SDK.
//! * 513 not found, 514 no access / not allowed, 515 memory full, 518 not allowed in active
//!   state: Nordic "nRF91 AT Commands" reference, `%CMNG` set command (all firmware versions).
//! * 519 already exists, 528 not allowed when the power-off warning is active: same `%CMNG`
//!   page for modem firmware 1.3.x (528 from 1.3.2 on), and `modem_key_mgmt.c`
//!   (`translate_error`), which names exactly 513, 514, 515, 518, 519, 527 and 528.
//! * 520 authentication failed: Nordic reference, `%XSUDO` set command. (The `%XPMNG` page
//!   reuses 520 for "already exists, for write".) It is **not** the `%KEYGEN` failure code.
//! * 523 key generation failed: Nordic reference, `%KEYGEN` set command, which lists 514,
//!   515, 518, 519 and 523.
//! * 525 error in JWT creation: Nordic nRF91x1 reference, `%JWT` set command, which lists 50,
//!   51, 513 (key not found), 514 (could not read key) and 525.
//! * 527 invalid content: `modem_key_mgmt.c` ("Invalid content"); a Nordic DevZone thread
//!   (case 127428) quotes the AT reference as "Invalid certificate content for write of type 0
//!   or 1".
//!
//! Not confirmed: 521 (no source found that defines it for the commands used here; it is
//! therefore not named) and 524/526 (not looked up). Any code without a name is still carried
//! through as a plain number by [`CmeCode::from_code`] returning `None` and the answer types
//! keeping the `u16`.

use std::fmt;

/// A named `+CME ERROR` code, so the simulator and the client never spell magic numbers.
///
/// The numeric value is the wire value: `CmeCode::NotFound.code() == 513`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u16)]
pub enum CmeCode {
    /// 0 — phone failure (3GPP TS 27.007).
    PhoneFailure = 0,
    /// 3 — operation not allowed (3GPP TS 27.007).
    OperationNotAllowed = 3,
    /// 4 — operation not supported (3GPP TS 27.007).
    OperationNotSupported = 4,
    /// 20 — memory full (3GPP TS 27.007).
    GenericMemoryFull = 20,
    /// 21 — invalid index (3GPP TS 27.007).
    InvalidIndex = 21,
    /// 22 — not found (3GPP TS 27.007).
    GenericNotFound = 22,
    /// 23 — memory failure (3GPP TS 27.007).
    MemoryFailure = 23,
    /// 30 — no network service (3GPP TS 27.007).
    NoNetworkService = 30,
    /// 50 — incorrect parameters (3GPP TS 27.007; Nordic `%JWT`).
    IncorrectParameters = 50,
    /// 51 — command implemented but currently disabled (3GPP TS 27.007; Nordic `%JWT`:
    /// "command is disabled in this software build").
    CommandDisabled = 51,
    /// 60 — system failure (3GPP TS 27.007).
    SystemFailure = 60,
    /// 100 — unknown error (3GPP TS 27.007).
    Unknown = 100,
    /// 513 — not found: a missing credential for `%CMNG` read/delete, a missing key for `%JWT`.
    NotFound = 513,
    /// 514 — no access / not allowed: e.g. reading a private key with `%CMNG=2`.
    NotAllowed = 514,
    /// 515 — memory full: the modem's credential storage has no room.
    MemoryFull = 515,
    /// 518 — not allowed in active state: credential writes, deletes and `%KEYGEN` while the
    /// modem is online (CFUN 1, 2 or 21).
    NotAllowedInActiveState = 518,
    /// 519 — already exists.
    AlreadyExists = 519,
    /// 520 — authentication failed (`%XSUDO`). Listed only so the number has a name; the
    /// provisioning flow does not use it.
    AuthenticationFailed = 520,
    /// 523 — key generation failed (`%KEYGEN`).
    KeyGenerationFailed = 523,
    /// 525 — error in JWT creation (`%JWT`).
    JwtCreationFailed = 525,
    /// 527 — invalid content (e.g. a certificate that is not valid PEM for `%CMNG` write of
    /// type 0 or 1).
    InvalidContent = 527,
    /// 528 — not allowed while the modem's power-off warning (`%XPOFWARN`) is active.
    PowerOffWarningActive = 528,
}

impl CmeCode {
    /// Every named code, in ascending numeric order (useful for tests and tables).
    pub const ALL: [CmeCode; 22] = [
        CmeCode::PhoneFailure,
        CmeCode::OperationNotAllowed,
        CmeCode::OperationNotSupported,
        CmeCode::GenericMemoryFull,
        CmeCode::InvalidIndex,
        CmeCode::GenericNotFound,
        CmeCode::MemoryFailure,
        CmeCode::NoNetworkService,
        CmeCode::IncorrectParameters,
        CmeCode::CommandDisabled,
        CmeCode::SystemFailure,
        CmeCode::Unknown,
        CmeCode::NotFound,
        CmeCode::NotAllowed,
        CmeCode::MemoryFull,
        CmeCode::NotAllowedInActiveState,
        CmeCode::AlreadyExists,
        CmeCode::AuthenticationFailed,
        CmeCode::KeyGenerationFailed,
        CmeCode::JwtCreationFailed,
        CmeCode::InvalidContent,
        CmeCode::PowerOffWarningActive,
    ];

    /// The numeric code as it appears in `+CME ERROR: <n>`.
    pub const fn code(self) -> u16 {
        self as u16
    }

    /// The named code for a number, or `None` for a number this module does not name.
    pub fn from_code(code: u16) -> Option<CmeCode> {
        Self::ALL.iter().copied().find(|c| c.code() == code)
    }

    /// A short English description, as in the modem documentation.
    pub const fn description(self) -> &'static str {
        match self {
            CmeCode::PhoneFailure => "phone failure",
            CmeCode::OperationNotAllowed => "operation not allowed",
            CmeCode::OperationNotSupported => "operation not supported",
            CmeCode::GenericMemoryFull => "memory full",
            CmeCode::InvalidIndex => "invalid index",
            CmeCode::GenericNotFound => "not found",
            CmeCode::MemoryFailure => "memory failure",
            CmeCode::NoNetworkService => "no network service",
            CmeCode::IncorrectParameters => "incorrect parameters",
            CmeCode::CommandDisabled => "command disabled",
            CmeCode::SystemFailure => "system failure",
            CmeCode::Unknown => "unknown error",
            CmeCode::NotFound => "not found",
            CmeCode::NotAllowed => "not allowed (no access)",
            CmeCode::MemoryFull => "credential storage memory full",
            CmeCode::NotAllowedInActiveState => "not allowed in active state",
            CmeCode::AlreadyExists => "already exists",
            CmeCode::AuthenticationFailed => "authentication failed",
            CmeCode::KeyGenerationFailed => "key generation failed",
            CmeCode::JwtCreationFailed => "error in JWT creation",
            CmeCode::InvalidContent => "invalid content",
            CmeCode::PowerOffWarningActive => "not allowed when power off warning is active",
        }
    }
}

impl From<CmeCode> for u16 {
    fn from(code: CmeCode) -> u16 {
        code.code()
    }
}

impl fmt::Display for CmeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CME {} ({})", self.code(), self.description())
    }
}

/// A description for any numeric code: the named description, or `"unnamed CME error"`.
pub fn describe(code: u16) -> &'static str {
    CmeCode::from_code(code).map_or("unnamed CME error", CmeCode::description)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_the_modem_documentation() {
        assert_eq!(CmeCode::NotFound.code(), 513);
        assert_eq!(CmeCode::NotAllowed.code(), 514);
        assert_eq!(CmeCode::MemoryFull.code(), 515);
        assert_eq!(CmeCode::NotAllowedInActiveState.code(), 518);
        assert_eq!(CmeCode::AlreadyExists.code(), 519);
        assert_eq!(CmeCode::KeyGenerationFailed.code(), 523);
        assert_eq!(CmeCode::JwtCreationFailed.code(), 525);
        assert_eq!(CmeCode::InvalidContent.code(), 527);
        assert_eq!(CmeCode::PowerOffWarningActive.code(), 528);
        assert_eq!(CmeCode::IncorrectParameters.code(), 50);
    }

    #[test]
    fn all_is_sorted_unique_and_round_trips() {
        for pair in CmeCode::ALL.windows(2) {
            assert!(pair[0].code() < pair[1].code());
        }
        for code in CmeCode::ALL {
            assert_eq!(CmeCode::from_code(code.code()), Some(code));
            assert!(!code.description().is_empty());
        }
    }

    #[test]
    fn unnamed_codes_are_none() {
        assert_eq!(CmeCode::from_code(521), None);
        assert_eq!(describe(521), "unnamed CME error");
        assert_eq!(describe(513), "not found");
        assert_eq!(CmeCode::NotFound.to_string(), "CME 513 (not found)");
    }
}
