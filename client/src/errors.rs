//! The errno values the device library works with, and the client's own API errors.
//!
//! The SDK passes negative errno values between its layers and finally maps them to events
//! (`EBUSY` → FAILED with backoff, `EACCES` → FAILED_DEVICE_NOT_CLAIMED, ...). [`Errno`] names
//! the set this client uses, with both numbering schemes: the Zephyr one (the device's, used
//! wherever a number reaches the wire, e.g. the config-error `cme_error` quirk) and Linux.

use std::fmt;

/// An errno value of the device library.
///
/// Numeric values: Zephyr's minimal libc `errno.h` (zephyrproject-rtos/zephyr
/// `lib/libc/minimal/include/errno.h`, newlib-compatible) and Linux `asm-generic/errno.h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Errno {
    /// Operation not permitted (CoAP 4.03 in the current generation).
    Eperm,
    /// No such entry (CoAP 4.04).
    Enoent,
    /// I/O error (a modem command that failed without a CME code where one was needed).
    Eio,
    /// Argument list too long: the modem answer did not fit the response buffer.
    E2big,
    /// Try again: a CoAP request that got no answer.
    Eagain,
    /// Out of memory: too many records, RX buffer overflow, config key/value too big.
    Enomem,
    /// Permission denied: the device is not claimed (HTTP 401/403, CoAP 4.01).
    Eacces,
    /// Bad address: the library is not initialised, or the modem mode could not be read.
    Efault,
    /// Device or resource busy: server error (HTTP 500, CoAP 5.00/5.03).
    Ebusy,
    /// Invalid argument: bad request, malformed commands, negative interval.
    Einval,
    /// No space left on device: a settings store that is full.
    Enospc,
    /// No message of desired type: HTTP 415.
    Enomsg,
    /// Not a stream: `set_interval` could not store the interval.
    Enostr,
    /// No data: no commands (HTTP 204, empty CoAP 2.05).
    Enodata,
    /// Timer expired: the modem has no valid time, so no JWT.
    Etime,
    /// Cannot send after transport endpoint shutdown: HTTP response without status.
    Eshutdown,
    /// Connection refused: TLS/DTLS handshake refused (wrong root CA).
    Econnrefused,
    /// Connection timed out.
    Etimedout,
    /// Operation already in progress: `init` called twice.
    Ealready,
    /// Not supported: unknown HTTP status or CoAP code, or `set_interval` unscheduled.
    Enotsup,
}

impl Errno {
    /// Every errno this crate names.
    pub const ALL: [Errno; 20] = [
        Errno::Eperm,
        Errno::Enoent,
        Errno::Eio,
        Errno::E2big,
        Errno::Eagain,
        Errno::Enomem,
        Errno::Eacces,
        Errno::Efault,
        Errno::Ebusy,
        Errno::Einval,
        Errno::Enospc,
        Errno::Enomsg,
        Errno::Enostr,
        Errno::Enodata,
        Errno::Etime,
        Errno::Eshutdown,
        Errno::Econnrefused,
        Errno::Etimedout,
        Errno::Ealready,
        Errno::Enotsup,
    ];

    /// The positive value on the device (Zephyr minimal libc, newlib numbering).
    pub const fn zephyr(self) -> i32 {
        match self {
            Errno::Eperm => 1,
            Errno::Enoent => 2,
            Errno::Eio => 5,
            Errno::E2big => 7,
            Errno::Eagain => 11,
            Errno::Enomem => 12,
            Errno::Eacces => 13,
            Errno::Efault => 14,
            Errno::Ebusy => 16,
            Errno::Einval => 22,
            Errno::Enospc => 28,
            Errno::Enomsg => 35,
            Errno::Enostr => 60,
            Errno::Enodata => 61,
            Errno::Etime => 62,
            Errno::Eshutdown => 110,
            Errno::Econnrefused => 111,
            Errno::Etimedout => 116,
            Errno::Ealready => 120,
            Errno::Enotsup => 134,
        }
    }

    /// The positive value on Linux (`asm-generic/errno-base.h`, `asm-generic/errno.h`).
    pub const fn linux(self) -> i32 {
        match self {
            Errno::Eperm => 1,
            Errno::Enoent => 2,
            Errno::Eio => 5,
            Errno::E2big => 7,
            Errno::Eagain => 11,
            Errno::Enomem => 12,
            Errno::Eacces => 13,
            Errno::Efault => 14,
            Errno::Ebusy => 16,
            Errno::Einval => 22,
            Errno::Enospc => 28,
            Errno::Enomsg => 42,
            Errno::Enostr => 60,
            Errno::Enodata => 61,
            Errno::Etime => 62,
            Errno::Eshutdown => 108,
            Errno::Econnrefused => 111,
            Errno::Etimedout => 110,
            Errno::Ealready => 114,
            Errno::Enotsup => 95,
        }
    }

    /// The negative device value cast to `u32`, as the SDK puts it into a config error
    /// record's `cme_error` (`-ENOMEM` → 4294967284).
    pub const fn as_cme_quirk(self) -> u32 {
        (-self.zephyr()) as u32
    }

    /// The symbolic name, e.g. `"ENOMEM"`.
    pub const fn name(self) -> &'static str {
        match self {
            Errno::Eperm => "EPERM",
            Errno::Enoent => "ENOENT",
            Errno::Eio => "EIO",
            Errno::E2big => "E2BIG",
            Errno::Eagain => "EAGAIN",
            Errno::Enomem => "ENOMEM",
            Errno::Eacces => "EACCES",
            Errno::Efault => "EFAULT",
            Errno::Ebusy => "EBUSY",
            Errno::Einval => "EINVAL",
            Errno::Enospc => "ENOSPC",
            Errno::Enomsg => "ENOMSG",
            Errno::Enostr => "ENOSTR",
            Errno::Enodata => "ENODATA",
            Errno::Etime => "ETIME",
            Errno::Eshutdown => "ESHUTDOWN",
            Errno::Econnrefused => "ECONNREFUSED",
            Errno::Etimedout => "ETIMEDOUT",
            Errno::Ealready => "EALREADY",
            Errno::Enotsup => "ENOTSUP",
        }
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.zephyr())
    }
}

/// Why an API call (`init`, `trigger_manually`, `set_interval`) was refused, with the errno
/// the SDK returns for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// `init` was called a second time (`-EALREADY`).
    #[error("the provisioning client is already initialised (EALREADY)")]
    AlreadyInitialized,
    /// The call needs `init` first (`-EFAULT`).
    #[error("the provisioning client is not initialised (EFAULT)")]
    NotInitialized,
    /// `set_interval` with a negative number of seconds (`-EINVAL`).
    #[error("invalid interval {0} s: it must not be negative (EINVAL)")]
    InvalidInterval(i64),
    /// `set_interval` without scheduled provisioning (`-ENOTSUP`).
    #[error("setting the interval needs scheduled provisioning (ENOTSUP)")]
    NotScheduled,
    /// `set_interval` could not store the interval (`-ENOSTR`); the store said this.
    #[error("unable to store the interval: {0} (ENOSTR)")]
    StoreFailed(Errno),
}

impl ApiError {
    /// The errno the SDK returns for this refusal.
    pub const fn errno(self) -> Errno {
        match self {
            ApiError::AlreadyInitialized => Errno::Ealready,
            ApiError::NotInitialized => Errno::Efault,
            ApiError::InvalidInterval(_) => Errno::Einval,
            ApiError::NotScheduled => Errno::Enotsup,
            ApiError::StoreFailed(_) => Errno::Enostr,
        }
    }
}

/// What kind of answer the client is waiting for (see [`InputError`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Awaiting {
    /// Nothing: no request is outstanding.
    Nothing,
    /// The answer to an AT command.
    AtAnswer,
    /// The answer to an HTTP request.
    HttpResponse,
    /// The outcome of a DTLS connect.
    CoapConnect,
    /// The answer to a CoAP request.
    CoapResponse,
}

/// Why an input was refused; the client's state is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// The input does not answer the outstanding request.
    #[error("unexpected {got} input while awaiting {awaiting:?}")]
    Unexpected {
        /// What the client waits for.
        awaiting: Awaiting,
        /// The kind of input received.
        got: &'static str,
    },
    /// Raw modem text without a final result line (`OK`, `ERROR`, `+CME ERROR: n`).
    #[error("modem answer has no valid final result line: {0}")]
    MalformedAtAnswer(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cme_quirk_casts_the_negative_errno() {
        assert_eq!(Errno::Enomem.as_cme_quirk(), 4_294_967_284);
        assert_eq!(Errno::Enospc.as_cme_quirk(), 4_294_967_268);
    }

    #[test]
    fn numbering_schemes_differ_where_expected() {
        assert_eq!(Errno::Etimedout.zephyr(), 116);
        assert_eq!(Errno::Etimedout.linux(), 110);
        assert_eq!(Errno::Enotsup.zephyr(), 134);
        assert_eq!(Errno::Ealready.zephyr(), 120);
        assert_eq!(ApiError::AlreadyInitialized.errno(), Errno::Ealready);
        for e in Errno::ALL {
            assert!(e.zephyr() > 0 && e.linux() > 0);
            assert!(e.name().starts_with('E'));
        }
    }
}
