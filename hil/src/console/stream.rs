//! The byte stream a console runs over: a serial port on a rack, an in-memory pipe or a
//! PTY in tests.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::error::StreamError;

/// A two-way byte stream with bounded reads.
pub trait ByteStream: Send {
    /// Reads what has arrived into `buf`, waiting at most `timeout` for the first byte;
    /// `Ok(0)` means nothing arrived in time.
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, StreamError>;

    /// Writes all of `bytes`.
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), StreamError>;
}

impl<S: ByteStream + ?Sized> ByteStream for Box<S> {
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, StreamError> {
        (**self).read(buf, timeout)
    }

    fn write_all(&mut self, bytes: &[u8]) -> Result<(), StreamError> {
        (**self).write_all(bytes)
    }
}

#[derive(Debug, Default)]
struct Channel {
    state: Mutex<(VecDeque<u8>, bool)>,
    ready: Condvar,
}

impl Channel {
    fn send(&self, bytes: &[u8]) -> Result<(), StreamError> {
        let mut state = self
            .state
            .lock()
            .map_err(|_| StreamError::Vanished("pipe poisoned".to_owned()))?;
        if state.1 {
            return Err(StreamError::Vanished("the other end is closed".to_owned()));
        }
        state.0.extend(bytes);
        self.ready.notify_all();
        Ok(())
    }

    fn recv(&self, buf: &mut [u8], timeout: Duration) -> Result<usize, StreamError> {
        fn poisoned<T>(_: T) -> StreamError {
            StreamError::Vanished("pipe poisoned".to_owned())
        }
        let deadline = Instant::now() + timeout;
        let mut state = self.state.lock().map_err(poisoned)?;
        loop {
            if !state.0.is_empty() {
                let n = buf.len().min(state.0.len());
                for (slot, byte) in buf.iter_mut().zip(state.0.drain(..n)) {
                    *slot = byte;
                }
                return Ok(n);
            }
            if state.1 {
                return Err(StreamError::Vanished("the other end is closed".to_owned()));
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(0);
            }
            state = self
                .ready
                .wait_timeout(state, deadline - now)
                .map_err(poisoned)?
                .0;
        }
    }

    fn close(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.1 = true;
            self.ready.notify_all();
        }
    }
}

/// One end of an in-memory two-way pipe ([`pipe`]); dropping it closes both directions,
/// so the other end's reads fail with [`StreamError::Vanished`] once drained.
#[derive(Debug)]
pub struct PipeEnd {
    rx: Arc<Channel>,
    tx: Arc<Channel>,
}

/// A connected pair of in-memory byte streams (host end, device end).
pub fn pipe() -> (PipeEnd, PipeEnd) {
    let a = Arc::new(Channel::default());
    let b = Arc::new(Channel::default());
    (
        PipeEnd {
            rx: Arc::clone(&a),
            tx: Arc::clone(&b),
        },
        PipeEnd { rx: b, tx: a },
    )
}

impl ByteStream for PipeEnd {
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, StreamError> {
        self.rx.recv(buf, timeout)
    }

    fn write_all(&mut self, bytes: &[u8]) -> Result<(), StreamError> {
        self.tx.send(bytes)
    }
}

impl Drop for PipeEnd {
    fn drop(&mut self) {
        self.tx.close();
        self.rx.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_cross_and_close_is_seen() {
        let (mut host, mut device) = pipe();
        host.write_all(b"abc").unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(device.read(&mut buf, Duration::ZERO).unwrap(), 3);
        assert_eq!(&buf[..3], b"abc");
        assert_eq!(device.read(&mut buf, Duration::from_millis(5)).unwrap(), 0);
        drop(host);
        assert!(matches!(
            device.read(&mut buf, Duration::ZERO),
            Err(StreamError::Vanished(_))
        ));
    }
}
