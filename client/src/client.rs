//! The client: the library's work item, its scheduling, and the I/O bookkeeping that turns
//! the internal machines' requests into [`Action`]s and the caller's [`Input`]s back into
//! replies.
//!
//! Source of the work item and scheduling: `nrf_provisioning_work`, `trigger_reschedule`,
//! `schedule_backoff`, `lte_lc_event_handler`, `nrf_provisioning_init`,
//! `nrf_provisioning_trigger_manually`, `nrf_provisioning_set_interval` and
//! `check_return_code_and_notify` in nrfconnect/sdk-nrf
//! `subsys/net/lib/nrf_provisioning/src/nrf_provisioning.c` (event-callback generation).

use std::collections::VecDeque;

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

use crate::action::{Action, Input};
use crate::attempt::{Attempt, Outcome};
use crate::config::ClientConfig;
use crate::errors::{ApiError, Awaiting, Errno, InputError};
use crate::event::Event;
use crate::modem;
use crate::schedule::{spread_from_draw, Backoff, Scheduler};
use crate::session::coap::endpoint;
use crate::settings::{read_cursor, read_interval, StoredInterval, StoredSettings};
use crate::task::{Cx, Io, Reply, Step};
use crate::time::Timestamp;

/// Bound on work-item runs per call, against a zero backoff spinning forever.
const MAX_WORK_RUNS_PER_CALL: usize = 64;

/// The provisioning client, driven by the caller (see the crate documentation).
#[derive(Debug, Clone)]
pub struct Client {
    config: ClientConfig,
    settings: StoredSettings,
    rng: ChaCha8Rng,
    outbox: VecDeque<Action>,
    now: Timestamp,
    initialized: bool,
    scheduler: Scheduler,
    backoff: Backoff,
    reschedule: bool,
    interval_s: u64,
    work_due: Option<Timestamp>,
    network_up: bool,
    time_valid: bool,
    cursor: String,
    attempt: Option<Attempt>,
    awaiting: Awaiting,
    sleep_until: Option<Timestamp>,
    last_result: Option<Result<(), Errno>>,
}

impl Client {
    /// A client with its configuration, the settings persisted on the device, and the seed
    /// of its random generator (the scheduling spread).
    pub fn new(config: ClientConfig, stored: StoredSettings, seed: u64) -> Self {
        Client {
            config,
            settings: stored,
            rng: ChaCha8Rng::seed_from_u64(seed),
            outbox: VecDeque::new(),
            now: Timestamp::ZERO,
            initialized: false,
            scheduler: Scheduler::new(),
            backoff: Backoff::default(),
            reschedule: false,
            interval_s: 0,
            work_due: None,
            network_up: true,
            time_valid: false,
            cursor: String::new(),
            attempt: None,
            awaiting: Awaiting::Nothing,
            sleep_until: None,
            last_result: None,
        }
    }

    /// `nrf_provisioning_init`: starts the library; twice → `EALREADY`. With auto start, the
    /// first schedule (SCHEDULED_PROVISIONING) happens at once.
    pub fn init(&mut self, now: Timestamp) -> Result<(), ApiError> {
        self.advance(now);
        if self.initialized {
            return Err(ApiError::AlreadyInitialized);
        }
        self.initialized = true;
        if self.config.auto_start_on_init {
            self.trigger_reschedule();
        }
        self.drive();
        Ok(())
    }

    /// `nrf_provisioning_trigger_manually`: run an attempt now (before `init` → `EFAULT`).
    pub fn trigger_manually(&mut self, now: Timestamp) -> Result<(), ApiError> {
        self.advance(now);
        if !self.initialized {
            return Err(ApiError::NotInitialized);
        }
        self.work_due = Some(self.now);
        self.drive();
        Ok(())
    }

    /// `nrf_provisioning_set_interval`: store a new interval and reschedule (negative →
    /// `EINVAL`, before `init` → `EFAULT`, unscheduled → `ENOTSUP`).
    pub fn set_interval(&mut self, now: Timestamp, seconds: i64) -> Result<(), ApiError> {
        self.advance(now);
        if !self.initialized {
            return Err(ApiError::NotInitialized);
        }
        let Ok(interval) = u64::try_from(seconds) else {
            return Err(ApiError::InvalidInterval(seconds));
        };
        if !self.config.scheduled {
            return Err(ApiError::NotScheduled);
        }
        if interval != self.interval_s {
            self.interval_s = interval;
            let key = self.config.interval_key();
            let value = interval.to_string().into_bytes();
            self.settings
                .write(&key, &value)
                .map_err(ApiError::StoreFailed)?;
            self.outbox.push_back(Action::StoreSetting { key, value });
            self.trigger_reschedule();
            self.drive();
        }
        Ok(())
    }

    /// Feeds an input. Answers must match the outstanding request; network inputs are
    /// always accepted. A refused input leaves the client unchanged.
    pub fn handle(&mut self, now: Timestamp, input: Input) -> Result<(), InputError> {
        let reply = match input {
            Input::NetworkUp => {
                self.advance(now);
                self.network_up = true;
                // "If network resumed while waiting, resume immediately."
                if self.backoff.is_active() && self.config.scheduled {
                    self.work_due = Some(self.now);
                }
                self.drive();
                return Ok(());
            }
            Input::NetworkDown => {
                self.advance(now);
                self.network_up = false;
                return Ok(());
            }
            Input::NetworkTime(valid) => {
                self.advance(now);
                self.time_valid = valid;
                return Ok(());
            }
            other => self.reply_for(other)?,
        };
        self.advance(now);
        self.awaiting = Awaiting::Nothing;
        self.resume_attempt(reply);
        self.drive();
        Ok(())
    }

    /// Checks an answer against the outstanding request and turns it into a reply.
    fn reply_for(&self, input: Input) -> Result<Reply, InputError> {
        let unexpected = |got: &'static str| InputError::Unexpected {
            awaiting: self.awaiting,
            got,
        };
        match (self.awaiting, input) {
            (Awaiting::AtAnswer, Input::AtAnswer(reply)) => {
                Ok(Reply::At(modem::read_reply(reply)?))
            }
            (Awaiting::HttpResponse, Input::Http(response)) => Ok(Reply::Http(Ok(response))),
            (Awaiting::HttpResponse, Input::TransportFailed(f)) => Ok(Reply::Http(Err(f))),
            (Awaiting::CoapConnect, Input::CoapConnected) => Ok(Reply::Connect(Ok(()))),
            (Awaiting::CoapConnect, Input::TransportFailed(f)) => Ok(Reply::Connect(Err(f))),
            (Awaiting::CoapResponse, Input::Coap(response)) => Ok(Reply::Coap(Ok(response))),
            (Awaiting::CoapResponse, Input::TransportFailed(f)) => Ok(Reply::Coap(Err(f))),
            (_, other) => Err(unexpected(other.kind())),
        }
    }

    /// Runs whatever timer is due at `now`.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        self.advance(now);
        if self.attempt.is_some() && self.awaiting == Awaiting::Nothing {
            if let Some(at) = self.sleep_until {
                if at <= self.now {
                    self.sleep_until = None;
                    self.resume_attempt(Reply::Timer);
                }
            }
        }
        self.drive();
    }

    /// When [`Client::handle_timeout`] should be called next, if a timer is armed. While a
    /// request is outstanding there is none: the client waits for the answer.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        if self.attempt.is_some() {
            if self.awaiting == Awaiting::Nothing {
                self.sleep_until
            } else {
                None
            }
        } else {
            self.work_due
        }
    }

    /// The next action for the caller, in order.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.outbox.pop_front()
    }

    /// What answer the client waits for.
    pub fn awaiting(&self) -> Awaiting {
        self.awaiting
    }

    /// Whether `init` succeeded.
    pub fn is_initialized(&self) -> bool {
        self.initialized
    }

    /// Whether an attempt (START … STOP) is in progress.
    pub fn is_attempt_running(&self) -> bool {
        self.attempt.is_some()
    }

    /// The in-memory cursor: the id of the latest executed command (`after=`).
    pub fn cursor(&self) -> &str {
        &self.cursor
    }

    /// The library's current interval in seconds (0 until the first schedule).
    pub fn interval_s(&self) -> u64 {
        self.interval_s
    }

    /// The result of the latest finished attempt as the SDK's request function returns it:
    /// `Ok(())` for finished, else the errno (`ETIMEDOUT` for no valid date-time). Several
    /// errnos share the FAILED event; this tells them apart.
    pub fn last_result(&self) -> Option<Result<(), Errno>> {
        self.last_result
    }

    /// The settings mirror (what the device has persisted).
    pub fn settings(&self) -> &StoredSettings {
        &self.settings
    }

    /// Makes later settings writes fail with `errno` (fault injection), or succeed again.
    pub fn set_settings_write_error(&mut self, errno: Option<Errno>) {
        self.settings.set_write_error(errno);
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Whether the client believes LTE is up.
    pub fn network_up(&self) -> bool {
        self.network_up
    }

    fn advance(&mut self, now: Timestamp) {
        // Time never goes backwards, whatever the caller passes.
        self.now = self.now.max(now);
    }

    fn trigger_reschedule(&mut self) {
        self.reschedule = true;
        self.backoff.reset();
        self.work_due = Some(self.now);
    }

    fn schedule_backoff(&mut self) {
        let delay = self
            .backoff
            .next_delay(self.config.initial_backoff_s, self.config.max_backoff_s);
        self.work_due = Some(self.now.plus_secs(delay));
    }

    fn emit(&mut self, event: Event) {
        self.outbox.push_back(Action::Event(event));
    }

    /// Runs the work item while it is due and no attempt holds it.
    fn drive(&mut self) {
        for _ in 0..MAX_WORK_RUNS_PER_CALL {
            if self.attempt.is_some() {
                return;
            }
            match self.work_due {
                Some(at) if at <= self.now => {
                    self.work_due = None;
                    self.run_work();
                }
                _ => return,
            }
        }
    }

    /// `settings_load_subtree`: pick up a changed interval and, once, the cursor.
    fn load_settings(&mut self) {
        if let Some(value) = self.settings.get(&self.config.interval_key()) {
            match read_interval(Some(value)) {
                StoredInterval::Empty | StoredInterval::Invalid => {
                    self.interval_s = self.config.interval_s;
                }
                StoredInterval::Seconds(seconds) => {
                    if seconds != self.interval_s {
                        self.interval_s = seconds;
                        self.reschedule = true;
                    }
                }
                StoredInterval::TooLong => {}
            }
        }
        if self.cursor.is_empty() {
            if let Some(cursor) = read_cursor(self.settings.get(&self.config.cursor_key())) {
                self.cursor = cursor;
            }
        }
    }

    /// `nrf_provisioning_work`.
    fn run_work(&mut self) {
        self.load_settings();
        if self.reschedule && self.config.scheduled {
            let spread = spread_from_draw(self.rng.next_u32(), self.config.spread_s);
            let time_now = self.time_valid.then(|| self.now.as_secs());
            let delay = self.scheduler.next_delay(
                time_now,
                self.reschedule,
                &mut self.interval_s,
                self.config.interval_s,
                spread,
            );
            self.reschedule = false;
            self.emit(Event::ScheduledProvisioning {
                next_attempt_s: delay,
            });
            self.work_due = Some(self.now.plus_secs(delay));
            return;
        }
        if !self.network_up && self.config.scheduled {
            self.schedule_backoff();
            return;
        }
        self.emit(Event::Start);
        self.attempt = Some(Attempt::new(self.config.valid_datetime_timeout_s));
        self.resume_attempt(Reply::Start);
    }

    /// Resumes the attempt and issues its request, or ends it.
    fn resume_attempt(&mut self, reply: Reply) {
        let Some(mut attempt) = self.attempt.take() else {
            return;
        };
        let mut cx = Cx {
            config: &self.config,
            outbox: &mut self.outbox,
            request: None,
            settings: &mut self.settings,
            cursor: &mut self.cursor,
            network_up: self.network_up,
            time_valid: &mut self.time_valid,
        };
        let step = attempt.resume(reply, &mut cx);
        let request = cx.request.take();
        match (step, request) {
            (Step::Ready(outcome), _) => self.finish_attempt(outcome),
            (Step::Pending, Some(io)) => {
                self.attempt = Some(attempt);
                self.issue(io);
            }
            // A machine that waits for nothing would hang: end the attempt instead.
            (Step::Pending, None) => self.finish_attempt(Outcome::Failed(Errno::Efault)),
        }
    }

    fn issue(&mut self, io: Io) {
        match io {
            Io::At(line) => {
                self.awaiting = Awaiting::AtAnswer;
                self.outbox.push_back(Action::SendAt(line));
            }
            Io::Http(request) => {
                self.awaiting = Awaiting::HttpResponse;
                self.outbox.push_back(Action::Http(request));
            }
            Io::CoapConnect => {
                self.awaiting = Awaiting::CoapConnect;
                self.outbox
                    .push_back(Action::CoapConnect(endpoint(&self.config)));
            }
            Io::Coap(request) => {
                self.awaiting = Awaiting::CoapResponse;
                self.outbox.push_back(Action::Coap(request));
            }
            Io::Sleep(ms) => {
                self.awaiting = Awaiting::Nothing;
                self.sleep_until = Some(self.now.plus_millis(ms));
            }
        }
    }

    /// `check_return_code_and_notify`, then STOP.
    fn finish_attempt(&mut self, outcome: Outcome) {
        self.awaiting = Awaiting::Nothing;
        self.sleep_until = None;
        self.last_result = Some(match &outcome {
            Outcome::Finished => Ok(()),
            Outcome::NoValidDatetime => Err(Errno::Etimedout),
            Outcome::NotClaimed(_) => Err(Errno::Eacces),
            Outcome::Failed(e) => Err(*e),
        });
        let event = match outcome {
            Outcome::NoValidDatetime => {
                // The SDK returns without rescheduling after this event.
                self.emit(Event::FailedNoValidDatetime);
                self.emit(Event::Stop);
                return;
            }
            Outcome::Failed(Errno::Ebusy | Errno::Etimedout) => {
                self.emit(Event::Failed);
                if self.config.scheduled {
                    // Backoff, and no SCHEDULED_PROVISIONING event.
                    self.schedule_backoff();
                    self.emit(Event::Stop);
                    return;
                }
                None
            }
            Outcome::NotClaimed(token) => Some(Event::FailedDeviceNotClaimed { token }),
            Outcome::Failed(Errno::Enomem) => Some(Event::FailedTooManyCommands),
            Outcome::Failed(Errno::Econnrefused) => Some(Event::FailedWrongRootCa),
            Outcome::Failed(Errno::Enodata) => Some(Event::NoCommands),
            Outcome::Failed(_) => Some(Event::Failed),
            Outcome::Finished => {
                if self.config.save_cursor {
                    let key = self.config.cursor_key();
                    let value = self.cursor.clone().into_bytes();
                    // A failed save is only logged by the SDK.
                    if self.settings.write(&key, &value).is_ok() {
                        self.outbox.push_back(Action::StoreSetting { key, value });
                    }
                }
                Some(Event::Done)
            }
        };
        if let Some(event) = event {
            self.emit(event);
        }
        if self.config.scheduled {
            self.trigger_reschedule();
        }
        self.emit(Event::Stop);
    }
}
