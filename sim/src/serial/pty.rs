//! Serves a front-end on a pseudo-terminal until asked to stop.
//!
//! [`PtyServer::open`] creates the PTY, puts its slave side in raw mode (no echo: the modem
//! must not read its own output back, and CR must stay CR) and keeps the slave descriptor
//! open for its whole life, so that reading the master never fails with EIO while no client
//! holds the slave open. [`PtyServer::serve`] reads what the client writes, feeds the
//! front-end and writes its emissions after their delays, until the [`Stop`] fires (a
//! request from another thread, or SIGINT/SIGTERM/SIGHUP with [`Stop::on_signals`]).
//!
//! Output waits in a bounded queue while the client does not read; what does not fit is
//! dropped (as bytes sent on a UART nobody listens to are lost) and counted.

use std::collections::VecDeque;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use nix::errno::Errno;
use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::pty::openpty;
use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::termios::{cfmakeraw, tcgetattr, tcsetattr, SetArg};

use super::{Emission, FrontEnd, Now, SerialError};

/// Default bound on output waiting for the client: 256 KiB.
pub const DEFAULT_MAX_PENDING: usize = 256 * 1024;
/// Longest wait in one poll, so that a stop request is seen promptly.
const POLL_TICK: Duration = Duration::from_millis(50);
/// Reads per wake-up before output gets its turn again.
const READS_PER_WAKE: usize = 16;

/// Why [`PtyServer::serve`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shutdown {
    /// A signal arrived (see [`Stop::on_signals`]).
    Signal(Signal),
    /// [`StopHandle::stop`] was called.
    Requested,
}

/// Requests [`PtyServer::serve`] to return, from any thread.
#[derive(Debug, Clone, Default)]
pub struct StopHandle(Arc<AtomicBool>);

impl StopHandle {
    /// Asks the server to stop (it returns within about 50 ms).
    pub fn stop(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// When [`PtyServer::serve`] stops: on request, and optionally on a termination signal.
#[derive(Debug)]
pub struct Stop {
    handle: StopHandle,
    signals: Option<SignalFd>,
}

impl Default for Stop {
    fn default() -> Self {
        Self::new()
    }
}

impl Stop {
    /// Stops only when a [`StopHandle`] asks.
    pub fn new() -> Self {
        Stop {
            handle: StopHandle::default(),
            signals: None,
        }
    }

    /// Also stops on SIGINT, SIGTERM or SIGHUP: blocks them for the calling thread and
    /// receives them through a signal descriptor. Call it before spawning threads, so that
    /// they inherit the blocked mask and the signals reach the descriptor.
    pub fn on_signals() -> Result<Self, SerialError> {
        let mut mask = SigSet::empty();
        for signal in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
            mask.add(signal);
        }
        mask.thread_block()
            .map_err(SerialError::pty("block termination signals"))?;
        let fd = SignalFd::with_flags(&mask, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)
            .map_err(SerialError::pty("create a signal descriptor"))?;
        Ok(Stop {
            handle: StopHandle::default(),
            signals: Some(fd),
        })
    }

    /// A handle to request the stop from another thread.
    pub fn handle(&self) -> StopHandle {
        self.handle.clone()
    }

    fn requested(&self) -> bool {
        self.handle.0.load(Ordering::SeqCst)
    }

    fn pending_signal(&self) -> Result<Option<Signal>, SerialError> {
        let Some(fd) = &self.signals else {
            return Ok(None);
        };
        let info = fd
            .read_signal()
            .map_err(SerialError::pty("read the signal descriptor"))?;
        Ok(info
            .and_then(|i| i32::try_from(i.ssi_signo).ok())
            .and_then(|n| Signal::try_from(n).ok()))
    }
}

/// Output waiting to be written.
#[derive(Debug)]
struct Pending {
    due: Instant,
    bytes: Vec<u8>,
    written: usize,
}

/// A pseudo-terminal serving a front-end (see the module docs).
#[derive(Debug)]
pub struct PtyServer {
    master: OwnedFd,
    slave: OwnedFd,
    path: PathBuf,
    max_pending: usize,
    queue: VecDeque<Pending>,
    queued_bytes: usize,
    last_due: Option<Instant>,
    dropped: u64,
    speed: u32,
}

impl PtyServer {
    /// Opens a PTY with a raw-mode slave (kept open) and a non-blocking master.
    pub fn open() -> Result<Self, SerialError> {
        let pty = openpty(None, None).map_err(SerialError::pty("openpty"))?;
        let mut termios = tcgetattr(&pty.slave).map_err(SerialError::pty("tcgetattr"))?;
        cfmakeraw(&mut termios);
        tcsetattr(&pty.slave, SetArg::TCSANOW, &termios)
            .map_err(SerialError::pty("set the slave to raw mode"))?;
        let flags = fcntl(pty.master.as_raw_fd(), FcntlArg::F_GETFL)
            .map_err(SerialError::pty("read the master's flags"))?;
        let flags = OFlag::from_bits_truncate(flags) | OFlag::O_NONBLOCK;
        fcntl(pty.master.as_raw_fd(), FcntlArg::F_SETFL(flags))
            .map_err(SerialError::pty("make the master non-blocking"))?;
        let path = nix::unistd::ttyname(&pty.slave).map_err(SerialError::pty("ttyname"))?;
        Ok(PtyServer {
            master: pty.master,
            slave: pty.slave,
            path,
            max_pending: DEFAULT_MAX_PENDING,
            queue: VecDeque::new(),
            queued_bytes: 0,
            last_due: None,
            dropped: 0,
            speed: 1,
        })
    }

    /// Sets the bound on output waiting for the client.
    pub fn with_max_pending(mut self, max_pending: usize) -> Self {
        self.max_pending = max_pending;
        self
    }

    /// Runs the front-end's clock `speed` times faster than the wall clock (0 is 1): its
    /// timers (backoff, intervals, attach delays) pass `speed` times sooner, its output
    /// pacing is `speed` times shorter. A virtual board in a HIL rack uses it so that minutes
    /// of backoff take seconds of CI.
    pub fn with_speed(mut self, speed: u32) -> Self {
        self.speed = speed.max(1);
        self
    }

    /// How long one poll may sleep: shorter when the clock runs fast, so timers keep their
    /// resolution in the front-end's time.
    fn tick(&self) -> Duration {
        (POLL_TICK / self.speed).max(Duration::from_millis(5))
    }

    /// The slave's path (e.g. `/dev/pts/7`), for the client to open.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes of output dropped so far because the client did not read them.
    pub fn dropped_bytes(&self) -> u64 {
        self.dropped
    }

    /// Serves `front` until `stop` fires. Prints the front-end's start output first.
    pub fn serve(
        &mut self,
        front: &mut dyn FrontEnd,
        stop: &Stop,
    ) -> Result<Shutdown, SerialError> {
        let origin = Clock {
            started: Instant::now(),
            unix: unix_now(),
            speed: self.speed,
        };
        let start = front.start(origin.now());
        self.schedule(start);
        let mut buf = vec![0u8; 4096];
        loop {
            if stop.requested() {
                return Ok(Shutdown::Requested);
            }
            let mut events = PollFlags::POLLIN;
            let wait = match self.queue.front() {
                Some(p) => {
                    let left = p.due.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        events |= PollFlags::POLLOUT;
                    }
                    left.min(self.tick())
                }
                None => self.tick(),
            };
            let timeout = PollTimeout::try_from(wait).unwrap_or(PollTimeout::ZERO);
            let (master_ready, signal_ready) = {
                let mut fds = vec![PollFd::new(self.master.as_fd(), events)];
                if let Some(fd) = &stop.signals {
                    fds.push(PollFd::new(fd.as_fd(), PollFlags::POLLIN));
                }
                match poll(&mut fds, timeout) {
                    Ok(_) | Err(Errno::EINTR) => {}
                    Err(e) => {
                        return Err(SerialError::Pty {
                            op: "poll",
                            source: e,
                        })
                    }
                }
                let revents = |i: usize| {
                    fds.get(i)
                        .and_then(|fd| fd.revents())
                        .unwrap_or(PollFlags::empty())
                };
                (revents(0), revents(1))
            };
            if signal_ready.contains(PollFlags::POLLIN) {
                if let Some(signal) = stop.pending_signal()? {
                    return Ok(Shutdown::Signal(signal));
                }
            }
            if master_ready.intersects(PollFlags::POLLIN | PollFlags::POLLHUP) {
                let read = self.read_input(front, origin, &mut buf)?;
                if read == 0 && master_ready.contains(PollFlags::POLLHUP) {
                    // Nothing to read but hung up: do not spin.
                    std::thread::sleep(POLL_TICK);
                }
            }
            let polled = front.poll(origin.now())?;
            self.schedule(polled);
            self.write_due()?;
        }
    }

    fn read_input(
        &mut self,
        front: &mut dyn FrontEnd,
        origin: Clock,
        buf: &mut [u8],
    ) -> Result<usize, SerialError> {
        let mut total = 0;
        for _ in 0..READS_PER_WAKE {
            match nix::unistd::read(self.master.as_raw_fd(), buf) {
                Ok(0) | Err(Errno::EAGAIN) => break,
                Ok(n) => {
                    total += n;
                    let input = buf.get(..n).unwrap_or_default();
                    let emissions = front.push(origin.now(), input)?;
                    self.schedule(emissions);
                }
                Err(Errno::EINTR) => {}
                Err(e) => {
                    return Err(SerialError::Pty {
                        op: "read",
                        source: e,
                    })
                }
            }
        }
        Ok(total)
    }

    fn schedule(&mut self, emissions: Vec<Emission>) {
        for emission in emissions {
            let base = match self.last_due {
                Some(last) => last.max(Instant::now()),
                None => Instant::now(),
            };
            let due = base + emission.delay / self.speed;
            self.last_due = Some(due);
            if emission.bytes.is_empty() {
                continue;
            }
            if self.queued_bytes + emission.bytes.len() > self.max_pending {
                self.dropped += emission.bytes.len() as u64;
                continue;
            }
            self.queued_bytes += emission.bytes.len();
            self.queue.push_back(Pending {
                due,
                bytes: emission.bytes,
                written: 0,
            });
        }
    }

    fn write_due(&mut self) -> Result<(), SerialError> {
        while let Some(front) = self.queue.front_mut() {
            if front.due > Instant::now() {
                return Ok(());
            }
            let rest = front.bytes.get(front.written..).unwrap_or_default();
            match nix::unistd::write(&self.master, rest) {
                Ok(n) => {
                    front.written += n;
                    self.queued_bytes = self.queued_bytes.saturating_sub(n);
                    if front.written >= front.bytes.len() {
                        self.queue.pop_front();
                    }
                }
                Err(Errno::EAGAIN) => return Ok(()),
                Err(Errno::EINTR) => {}
                Err(e) => {
                    return Err(SerialError::Pty {
                        op: "write",
                        source: e,
                    })
                }
            }
        }
        Ok(())
    }

    /// The slave descriptor the server keeps open.
    pub fn slave_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.slave.as_fd()
    }
}

/// The front-end's clock: wall time since the start, times the speed factor.
#[derive(Debug, Clone, Copy)]
struct Clock {
    started: Instant,
    unix: u64,
    speed: u32,
}

impl Clock {
    fn now(&self) -> Now {
        let elapsed = self.started.elapsed() * self.speed;
        Now::new(self.unix + elapsed.as_secs(), elapsed)
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
