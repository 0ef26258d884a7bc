//! The console on a real serial port (`serialport` v4). The DK's interface MCU keeps the
//! UART lines tri-stated until the host asserts DTR (`hil-facts.md` §3), so the port is
//! opened with DTR (and RTS) asserted, and must be opened **before** the board is reset or
//! flashed, or the boot banner is lost.

use std::io::{ErrorKind, Read as _, Write as _};
use std::time::Duration;

use serialport::{FlowControl, SerialPort};

use super::error::StreamError;
use super::stream::ByteStream;

/// How to open a console port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialSettings {
    /// Baud rate: 115200 for the application console (1 000 000 is the modem trace UART).
    pub baud: u32,
    /// Hardware flow control (RTS/CTS), as nrfcredstore opens the DK ports by default.
    pub rtscts: bool,
    /// Assert DTR (the DK's lines are dead without it).
    pub dtr: bool,
    /// Assert RTS.
    pub rts: bool,
    /// Whether the port has modem control lines at all (a PTY has none: DTR and RTS are
    /// then left alone).
    pub control_lines: bool,
    /// Open exclusively (`TIOCEXCL` on Unix), so no other program reads the console.
    pub exclusive: bool,
}

impl SerialSettings {
    /// A pseudo-terminal (a virtual board's console): no control lines, and not
    /// exclusive (the PTY server keeps the slave open, so the flag would outlive this
    /// client and lock out the next one).
    pub fn pty() -> Self {
        SerialSettings {
            dtr: false,
            rts: false,
            control_lines: false,
            exclusive: false,
            ..SerialSettings::default()
        }
    }
}

impl Default for SerialSettings {
    fn default() -> Self {
        SerialSettings {
            baud: 115_200,
            rtscts: false,
            dtr: true,
            rts: true,
            control_lines: true,
            exclusive: true,
        }
    }
}

/// A console serial port.
pub struct SerialStream {
    path: String,
    port: Box<dyn SerialPort>,
}

impl std::fmt::Debug for SerialStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SerialStream")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SerialStream {
    /// Opens `path` (e.g. `/dev/serial/by-id/usb-SEGGER_J-Link_…-if00`) with `settings`,
    /// asserting DTR and RTS as asked. Open it before resetting the board.
    pub fn open(path: &str, settings: &SerialSettings) -> Result<SerialStream, StreamError> {
        let setup = |reason: String| StreamError::Setup {
            port: path.to_owned(),
            reason,
        };
        let flow = if settings.rtscts {
            FlowControl::Hardware
        } else {
            FlowControl::None
        };
        let mut builder = serialport::new(path, settings.baud)
            .flow_control(flow)
            .timeout(Duration::from_millis(50));
        if settings.control_lines {
            builder = builder.dtr_on_open(settings.dtr);
        }
        let mut port = open_port(builder, settings.exclusive).map_err(setup)?;
        if settings.control_lines {
            port.write_data_terminal_ready(settings.dtr)
                .map_err(|e| setup(format!("DTR: {e}")))?;
            if !settings.rtscts {
                port.write_request_to_send(settings.rts)
                    .map_err(|e| setup(format!("RTS: {e}")))?;
            }
        }
        Ok(SerialStream {
            path: path.to_owned(),
            port,
        })
    }

    /// The port's path.
    pub fn path(&self) -> &str {
        &self.path
    }

    fn vanished(&self, e: &std::io::Error) -> StreamError {
        StreamError::Vanished(format!("{}: {e}", self.path))
    }
}

/// Opens the port, exclusively or not where the platform can tell.
#[cfg(unix)]
fn open_port(
    builder: serialport::SerialPortBuilder,
    exclusive: bool,
) -> Result<Box<dyn SerialPort>, String> {
    let mut port = builder.open_native().map_err(|e| e.to_string())?;
    port.set_exclusive(exclusive)
        .map_err(|e| format!("exclusive: {e}"))?;
    Ok(Box::new(port))
}

/// Opens the port (exclusive access is the platform's default).
#[cfg(not(unix))]
fn open_port(
    builder: serialport::SerialPortBuilder,
    _exclusive: bool,
) -> Result<Box<dyn SerialPort>, String> {
    builder.open().map_err(|e| e.to_string())
}

impl ByteStream for SerialStream {
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, StreamError> {
        // A zero timeout would block forever on some platforms; 1 ms is "poll".
        let timeout = timeout.max(Duration::from_millis(1));
        self.port
            .set_timeout(timeout)
            .map_err(|e| StreamError::Vanished(format!("{}: {e}", self.path)))?;
        match self.port.read(buf) {
            Ok(n) => Ok(n),
            Err(e) if matches!(e.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock) => Ok(0),
            Err(e) if e.kind() == ErrorKind::Interrupted => Ok(0),
            Err(e) => Err(self.vanished(&e)),
        }
    }

    fn write_all(&mut self, bytes: &[u8]) -> Result<(), StreamError> {
        let result = self.port.write_all(bytes).and_then(|()| self.port.flush());
        result.map_err(|e| self.vanished(&e))
    }
}
