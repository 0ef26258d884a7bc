//! The device-side provisioning client of nRF91 devices, sans-IO: a reimplementation of the
//! nRF Connect SDK's `nrf_provisioning` library (scheduling, HTTP and CoAP sessions, command
//! execution, events), quirks included.
//!
//! # Driving model
//!
//! The [`Client`] never performs I/O, reads a clock, spawns a thread or draws entropy of its
//! own (in the quinn-proto style). The caller owns time, the modem, the network and the
//! settings store:
//!
//! * **Time** is a caller-supplied monotonic [`Timestamp`] in milliseconds, passed to every
//!   call. [`Client::poll_timeout`] says when [`Client::handle_timeout`] is due next.
//! * **Randomness** (the scheduling spread) comes from a ChaCha generator seeded by the
//!   caller in [`Client::new`], so a run is reproducible from its seed.
//! * **Actions**: [`Client::poll_action`] yields, in order, what to do: send an AT command
//!   line, perform an HTTP request, connect/send/close CoAP over DTLS (requests, exactly one
//!   outstanding at a time), deliver an [`Event`], or persist a setting (notifications).
//! * **Inputs**: [`Client::handle`] takes the answer to the outstanding request (a modem
//!   answer, an HTTP response, a CoAP response, a transport failure) and the network state
//!   (up/down, network time). An answer that does not match the outstanding request is an
//!   [`InputError`], never a panic, and changes nothing.
//! * **API**: [`Client::init`] (twice → `EALREADY`), [`Client::trigger_manually`] (before
//!   init → `EFAULT`), [`Client::set_interval`] (negative → `EINVAL`), as the SDK's.
//!
//! ```
//! use provlab_client::{Action, Client, ClientConfig, Event, Input, StoredSettings, Timestamp};
//!
//! let mut client = Client::new(ClientConfig::default(), StoredSettings::new(), 7);
//! let mut now = Timestamp::ZERO;
//! client.init(now).unwrap();
//! // Auto start: the first attempt is scheduled 1 s + spread from now.
//! assert_eq!(
//!     client.poll_action(),
//!     Some(Action::Event(Event::ScheduledProvisioning { next_attempt_s: 1 }))
//! );
//! now = client.poll_timeout().unwrap();
//! client.handle_timeout(now);
//! assert_eq!(client.poll_action(), Some(Action::Event(Event::Start)));
//! // The attempt first checks that the modem has valid time.
//! assert_eq!(client.poll_action(), Some(Action::SendAt("AT%CCLK?".into())));
//! client
//!     .handle(now, Input::at_raw("%CCLK: \"24/05/01,12:00:00+00\",0\r\nOK\r\n"))
//!     .unwrap();
//! // ... then asks the modem for a JWT before the HTTP GET, and so on.
//! assert_eq!(client.poll_action(), Some(Action::SendAt("AT%CCLK?".into())));
//! ```
//!
//! # Behaviours reproduced, and their sources
//!
//! All in nrfconnect/sdk-nrf `subsys/net/lib/nrf_provisioning/src/`, event-callback
//! generation, unless the spec (`device-protocol.md`) says otherwise:
//!
//! * `nrf_provisioning.c`: the work item, [`schedule`] (first attempt after 1 s + spread,
//!   doubling without network time capped at the interval, interval + spread with time,
//!   the stored interval's precedence, spread accumulating in the retry), backoff for
//!   `EBUSY`/`ETIMEDOUT` from 60 s doubling to 24 h without SCHEDULED_PROVISIONING, the
//!   backoff without network and the immediate run when it returns, the date-time wait
//!   (60 × `AT%CCLK?`, then FAILED_NO_VALID_DATETIME and no reschedule), the event mapping
//!   and the cursor save after DONE.
//! * `nrf_provisioning_http.c`: URL and query order, header order, a JWT per request, the
//!   status mapping, and the swallowed failed POST.
//! * `nrf_provisioning_coap.c`: connect, one JWT per session, `p/auth-jwt`, Block2 GET into
//!   the bounded RX buffer, `p/rsp`, keep-open with `/.dtls/suspend`, the code mapping,
//!   retries of unanswered requests.
//! * `nrf_provisioning_codec.c`: CMEE enable/restore, NEED_LTE_DEACTIVATED/ACTIVATED and
//!   their waits, `ignore_cme`, stop at the first failure, finished last, the response
//!   buffer growth with the KEYGEN delete-and-retry, config writes with their messages and
//!   the negative-errno-as-`u32` quirk, the cursor advancing past a failed command.
//! * `nrf_provisioning_jwt.c`, `nrf_provisioning_at.c`: `AT%CCLK?` before `AT%JWT`,
//!   `AT%ATTESTTOKEN`, `AT%CMNG=3`.
//!
//! An AT-ok record's message is the modem's whole response buffer, final `OK\r\n`
//! included: `exec_at_cmd` hands the `nrf_modem_at_cmd` buffer to `put_at_resp` unchanged,
//! and that buffer holds the full response (`modem_key_mgmt_exists` in
//! `lib/modem_key_mgmt/modem_key_mgmt.c` compares it with `strlen("OK\r\n")`). The SDK's
//! unit-test vectors have `""` because they mock the modem at the library level; the
//! [`AtReply::Result`] input reproduces that level.
//!
//! [`Generation`] selects the NCS v2.9 differences the spec documents.
//!
//! [`app::SampleApp`] is the sample firmware's application around the client (boot, LTE
//! off/on around command execution, the v2.9 reboot after DONE), for every driver.

mod action;
pub mod app;
mod attempt;
mod client;
mod config;
mod errors;
mod event;
mod exec;
pub mod modem;
mod modem_ops;
pub mod schedule;
mod session;
mod settings;
mod task;
mod time;

pub use action::{
    Action, AtReply, AtStatus, Block2, CoapCode, CoapEndpoint, CoapMethod, CoapRequest,
    CoapResponse, HttpMethod, HttpRequest, HttpResponse, Input, TransportFailure,
    CONTENT_FORMAT_CBOR,
};
pub use client::Client;
pub use config::{ClientConfig, Generation, TransportKind};
pub use errors::{ApiError, Awaiting, Errno, InputError};
pub use event::{AttestationToken, Event};
pub use settings::{StoredSettings, CORRELATION_ID_SIZE};
pub use time::Timestamp;
