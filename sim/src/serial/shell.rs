//! The modem behind the sample firmware's Zephyr shell and the NCS AT shell, byte for byte as
//! `sample-console.md` (§1.4, §1.5, §7, §8) describes it.
//!
//! * Prompt `uart:~$ ` drawn in green: `ESC[1;32muart:~$ ESC[m`.
//! * Every printable byte is echoed; bytes above 127 are dropped; backspace (0x08 or 0x7F)
//!   erases the last character; CR or LF is Enter and a following LF after CR (or CR after
//!   LF) is swallowed. Like Zephyr, the echo wraps at an 80-column terminal: when prompt plus
//!   line fill a row, `\r\n` follows.
//! * The line buffer holds `cmd_buff_size - 1` bytes (`CONFIG_SHELL_CMD_BUFF_SIZE`, 2048 with
//!   the AT shell overlay); further bytes are dropped without echo.
//! * `at <AT command>` runs the command on the modem and prints the modem's whole answer with
//!   every `\n` turned into `\r\n`, then `\r\n` (so `OK\r\n` arrives as `OK\r\r\n\r\n`). With
//!   `unescape_lf` (on by default, `CONFIG_AT_SHELL_UNESCAPE_LF`), a command starting with
//!   `AT%CMNG=0` has each two-character `\n` replaced by CR LF first, so certificates can be
//!   written from one shell line, as host tools do with `at '<command>'`.
//! * `nrf_provisioning`: help without (or with an unknown) subcommand; the subcommands go to
//!   the board's [`ShellHook`] (the virtual board wires the provisioning client in), and
//!   without a hook say that the client is not part of this simulation.
//! * Log messages a hook produces outside a command (see [`FrontEnd::poll`]) are printed as
//!   Zephyr's shell log backend does (`sample-console.md` §1.3): the line being typed is
//!   erased (`ESC[<prompt+typed>D ESC[J`), the message written, the prompt and the typed
//!   text redrawn.
//! * `kernel reboot [warm|cold]` prints nothing, reboots the modem and prints the boot banner
//!   and a fresh prompt; bytes after it in the same read are lost, as on a rebooting board.
//! * Unknown command: `ESC[1;31m<cmd>: command not found\r\nESC[m`.
//!
//! Not simulated: tab completion, history, cursor movement (arrow keys and other escape
//! sequences are swallowed), AT notifications.

use provlab_proto::at::DEFAULT_MAX_LINE_LEN;

pub use super::hook::{HookPoll, ShellHook};
use super::output::Out;
use super::shell_args;
use super::{Emission, FrontEnd, Now, SerialError};
use crate::modem::Modem;

/// The prompt text (`CONFIG_SHELL_PROMPT_UART`).
pub const PROMPT: &str = "uart:~$ ";
/// The prompt as drawn: green, then colours off.
pub const PROMPT_DRAWN: &str = "\x1b[1;32muart:~$ \x1b[m";
/// Colour of `shell_error` output (red).
const COLOR_ERROR: &str = "\x1b[1;31m";
/// Colours off (`SHELL_VT100_MODESOFF`).
const MODES_OFF: &str = "\x1b[m";
/// `CONFIG_SHELL_ARGC_MAX`.
const ARGC_MAX: usize = 20;
/// `NRF_E2BIG`, returned by `nrf_modem_at_cmd` when the answer does not fit the buffer.
const NRF_E2BIG: i32 = 7;
/// The boot banner of NCS v2.9.0 (sample-console.md §1.1).
pub const BANNER_V2_9_0: [&str; 2] = [
    "*** Booting nRF Connect SDK v2.9.0-7787b2649840 ***",
    "*** Using Zephyr OS v3.7.99-1f8f3dc29142 ***",
];
/// Root commands of the sample's shell that this front-end knows but does not simulate.
const UNSIMULATED_ROOTS: [&str; 9] = [
    "help", "clear", "history", "resize", "retval", "shell", "device", "log", "settings",
];
/// `nrf_provisioning` subcommands and their help (era [A], v2.9.0).
const PROVISIONING_SUBCOMMANDS: [(&str, &str); 5] = [
    ("init", "Start the client"),
    ("now", "Do provisioning now"),
    ("token", "Get the attestation token"),
    ("uuid", "Get device UUID"),
    ("interval", "Set provisioning interval"),
];
/// `at` without arguments prints this (lib/at_shell/at_shell.c, v2.9.0).
const AT_USAGE: &str = "Usage: at <subcommand>\n\
    \n\
    Subcommands:\n  \
    events_enable     Enable AT event handler which prints AT notifications\n  \
    events_disable    Disable AT event handler\n\
    \n\
    Any other subcommand is interpreted as AT command and sent to the modem.\n";

/// Settings of a [`Shell`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ShellConfig {
    /// `CONFIG_SHELL_CMD_BUFF_SIZE`: the line holds at most this minus one bytes.
    pub cmd_buff_size: usize,
    /// `CONFIG_AT_SHELL_UNESCAPE_LF`: `\n` in an `AT%CMNG=0` command becomes CR LF.
    pub unescape_lf: bool,
    /// `CONFIG_AT_SHELL_CMD_RESPONSE_MAX_LEN`: longer modem answers fail with `-7` (E2BIG).
    pub at_response_max_len: usize,
    /// Terminal width the shell assumes for wrapping its echo.
    pub terminal_width: usize,
    /// Boot banner lines, printed at start and after a reboot.
    pub banner: Vec<String>,
}

impl Default for ShellConfig {
    /// The sample with the AT shell overlay: 2048-byte line, unescaping on, 2700-byte
    /// answers, 80 columns, the v2.9.0 banner.
    fn default() -> Self {
        ShellConfig {
            cmd_buff_size: 2048,
            unescape_lf: true,
            at_response_max_len: 2700,
            terminal_width: 80,
            banner: BANNER_V2_9_0.iter().map(|l| (*l).to_owned()).collect(),
        }
    }
}

/// Receive state for escape sequences (`SHELL_RECEIVE_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rx {
    Default,
    Esc,
    EscSeq,
    TildeExp,
}

/// The Zephyr-shell front-end around a [`Modem`] (see the module docs).
pub struct Shell {
    modem: Modem,
    config: ShellConfig,
    line: Vec<u8>,
    last_nl: u8,
    rx: Rx,
    events_enabled: bool,
    hook: Option<Box<dyn ShellHook>>,
}

impl std::fmt::Debug for Shell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shell")
            .field("config", &self.config)
            .field("line", &String::from_utf8_lossy(&self.line))
            .field("hook", &self.hook.is_some())
            .finish_non_exhaustive()
    }
}

impl Shell {
    /// A shell with the default settings.
    pub fn new(modem: Modem) -> Self {
        Self::with_config(modem, ShellConfig::default())
    }

    /// A shell with the given settings (a terminal width of 0 counts as 80; a buffer size
    /// below 2 is raised to 2 and one above the AT line limit is capped there).
    pub fn with_config(modem: Modem, mut config: ShellConfig) -> Self {
        if config.terminal_width == 0 {
            config.terminal_width = 80;
        }
        config.cmd_buff_size = config.cmd_buff_size.clamp(2, DEFAULT_MAX_LINE_LEN);
        Shell {
            modem,
            config,
            line: Vec::new(),
            last_nl: 0,
            rx: Rx::Default,
            events_enabled: false,
            hook: None,
        }
    }

    /// Puts a board behind the shell: it answers `nrf_provisioning` and prints log messages.
    pub fn with_hook(mut self, hook: Box<dyn ShellHook>) -> Self {
        self.hook = Some(hook);
        self
    }

    /// The settings in force.
    pub fn config(&self) -> &ShellConfig {
        &self.config
    }

    /// The modem, mutably.
    pub fn modem_mut(&mut self) -> &mut Modem {
        &mut self.modem
    }

    /// Gives the modem back.
    pub fn into_modem(self) -> Modem {
        self.modem
    }

    /// The line typed so far.
    pub fn pending_line(&self) -> &[u8] {
        &self.line
    }

    /// Whether `at events_enable` is in force.
    pub fn events_enabled(&self) -> bool {
        self.events_enabled
    }

    fn boot(&mut self, now: Now, out: &mut Out) {
        self.line.clear();
        self.last_nl = 0;
        self.rx = Rx::Default;
        self.events_enabled = false;
        for line in &self.config.banner {
            out.bytes(line.as_bytes());
            out.bytes(b"\r\n");
        }
        out.bytes(MODES_OFF.as_bytes());
        out.bytes(b"\r\n");
        out.bytes(PROMPT_DRAWN.as_bytes());
        if let Some(hook) = self.hook.as_mut() {
            hook.boot(&mut self.modem, now);
        }
    }

    /// Zephyr's `process_nl`: whether `b` is an Enter (CRLF and LFCR count once).
    fn process_nl(&mut self, b: u8) -> bool {
        if b != b'\r' && b != b'\n' {
            self.last_nl = 0;
            return false;
        }
        if self.last_nl == 0 || b == self.last_nl {
            self.last_nl = b;
            return true;
        }
        false
    }

    /// Column offset of the cursor (prompt included) with the cursor at the end of the line.
    fn cursor_offset(&self) -> usize {
        PROMPT.len() + self.line.len()
    }

    fn at_row_start(&self) -> bool {
        self.cursor_offset()
            .is_multiple_of(self.config.terminal_width)
    }

    fn insert(&mut self, b: u8, out: &mut Out) {
        if self.line.len() + 1 >= self.config.cmd_buff_size {
            return;
        }
        self.line.push(b);
        out.bytes(&[b]);
        if self.at_row_start() {
            out.bytes(b"\r\n");
        }
    }

    fn backspace(&mut self, out: &mut Out) {
        if self.line.is_empty() {
            return;
        }
        let width = self.config.terminal_width;
        let old = self.cursor_offset();
        let new = old - 1;
        let rows_up = old / width - new / width;
        if rows_up > 0 {
            out.bytes(format!("\x1b[{rows_up}A").as_bytes());
        }
        let (old_col, new_col) = (old % width, new % width);
        if new_col > old_col {
            out.bytes(format!("\x1b[{}C", new_col - old_col).as_bytes());
        } else if new_col < old_col {
            out.bytes(format!("\x1b[{}D", old_col - new_col).as_bytes());
        }
        self.line.pop();
        out.bytes(b"\x1b[J");
    }

    fn ctrl_c(&mut self, out: &mut Out) {
        if !self.at_row_start() {
            out.bytes(b"\r\n");
        }
        self.line.clear();
        out.bytes(PROMPT_DRAWN.as_bytes());
    }

    /// Enter: runs the line; returns whether the board rebooted (the rest of the read is lost).
    fn enter(&mut self, now: Now, out: &mut Out) -> Result<bool, SerialError> {
        if self.line.is_empty() {
            out.bytes(b"\r\n");
            out.bytes(PROMPT_DRAWN.as_bytes());
            return Ok(false);
        }
        if !self.at_row_start() {
            out.bytes(b"\r\n");
        }
        let line = std::mem::take(&mut self.line);
        let rebooted = self.execute(now, trim(&line), out)?;
        if !rebooted {
            out.bytes(PROMPT_DRAWN.as_bytes());
        }
        Ok(rebooted)
    }

    fn execute(&mut self, now: Now, line: &[u8], out: &mut Out) -> Result<bool, SerialError> {
        let split = shell_args::split(line, ARGC_MAX);
        let Some(root) = split.args.first() else {
            return Ok(false);
        };
        let root_only_arg_open = split.unterminated.is_some() && split.args.len() == 1;
        let known = matches!(root.as_slice(), b"at" | b"nrf_provisioning" | b"kernel")
            || UNSIMULATED_ROOTS
                .iter()
                .any(|r| r.as_bytes() == root.as_slice());
        if !known && !root_only_arg_open {
            let name = String::from_utf8_lossy(root);
            shell_error(out, &format!("{name}: command not found"));
        }
        if let Some(quote) = split.unterminated {
            shell_error(out, &format!("not terminated: {}", char::from(quote)));
            return Ok(false);
        }
        if split.too_many {
            shell_error(out, "Too many arguments in the command.");
            return Ok(false);
        }
        match root.as_slice() {
            b"at" => self.at_command(now, &split.args, out)?,
            b"nrf_provisioning" => {
                let printed = self.hook.as_mut().and_then(|hook| {
                    let args: Vec<String> = split
                        .args
                        .iter()
                        .skip(1)
                        .map(|a| String::from_utf8_lossy(a).into_owned())
                        .collect();
                    hook.provisioning(&mut self.modem, now, &args)
                });
                match printed {
                    Some(bytes) => out.bytes(&bytes),
                    None => provisioning_command(&split.args, out),
                }
            }
            b"kernel" => return self.kernel_command(now, &split.args, out),
            other if known => {
                let name = String::from_utf8_lossy(other);
                shell_error(out, &format!("{name}: not simulated by provlab"));
            }
            _ => {}
        }
        Ok(false)
    }

    /// The NCS AT shell's `at` command.
    fn at_command(&mut self, now: Now, args: &[Vec<u8>], out: &mut Out) -> Result<(), SerialError> {
        let Some(arg) = args.get(1) else {
            shell_print(out, AT_USAGE.as_bytes());
            return Ok(());
        };
        // A C string ends at its first NUL (a `\x00` escape can put one there).
        let command = arg.split(|b| *b == 0).next().unwrap_or_default();
        match command {
            b"events_enable" => {
                self.events_enabled = true;
                shell_print(out, b"AT command event handler enabled");
            }
            b"events_disable" => {
                self.events_enabled = false;
                shell_print(out, b"AT command event handler disabled");
            }
            _ => {
                let command = if self.config.unescape_lf && command.starts_with(b"AT%CMNG=0") {
                    unescape_lf(command)
                } else {
                    command.to_vec()
                };
                let reply = self.modem.execute(now.unix, &command);
                let printed = if reply.text.len() > self.config.at_response_max_len {
                    let text = format!("Sending AT command failed with error code -{NRF_E2BIG}");
                    printed(text.as_bytes())
                } else {
                    printed(reply.text.as_bytes())
                };
                out.after(reply.delay, &printed);
                if reply.reboot {
                    self.modem.reboot()?;
                }
            }
        }
        Ok(())
    }

    /// `kernel reboot [warm|cold]`; returns whether the board rebooted.
    fn kernel_command(
        &mut self,
        now: Now,
        args: &[Vec<u8>],
        out: &mut Out,
    ) -> Result<bool, SerialError> {
        let sub: Vec<&[u8]> = args.iter().skip(1).map(Vec::as_slice).collect();
        match sub.as_slice() {
            [b"reboot"] | [b"reboot", b"warm"] | [b"reboot", b"cold"] => {
                self.modem.reboot()?;
                self.boot(now, out);
                Ok(true)
            }
            _ => {
                shell_error(out, "kernel: only `kernel reboot [warm|cold]` is simulated");
                Ok(false)
            }
        }
    }
}

impl FrontEnd for Shell {
    fn start(&mut self, now: Now) -> Vec<Emission> {
        let mut out = Out::default();
        self.boot(now, &mut out);
        out.finish()
    }

    fn poll(&mut self, now: Now) -> Result<Vec<Emission>, SerialError> {
        let Some(hook) = self.hook.as_mut() else {
            return Ok(Vec::new());
        };
        let polled = hook.poll(&mut self.modem, now);
        let mut out = Out::default();
        for message in &polled.logs {
            let typed = PROMPT.len() + self.line.len();
            out.bytes(format!("\x1b[{typed}D\x1b[J").as_bytes());
            out.bytes(message);
            out.bytes(PROMPT_DRAWN.as_bytes());
            out.bytes(&self.line);
        }
        if polled.reboot {
            self.modem.reboot()?;
            self.boot(now, &mut out);
        }
        Ok(out.finish())
    }

    fn push(&mut self, now: Now, bytes: &[u8]) -> Result<Vec<Emission>, SerialError> {
        let mut out = Out::default();
        for &b in bytes {
            if b > 127 {
                continue;
            }
            match self.rx {
                Rx::Default => {
                    if self.process_nl(b) {
                        if self.enter(now, &mut out)? {
                            break;
                        }
                        continue;
                    }
                    match b {
                        0x1b => self.rx = Rx::Esc,
                        0x08 | 0x7f => self.backspace(&mut out),
                        0x03 => self.ctrl_c(&mut out),
                        0x20..=0x7e => self.insert(b, &mut out),
                        _ => {}
                    }
                }
                Rx::Esc => self.rx = if b == b'[' { Rx::EscSeq } else { Rx::Default },
                Rx::EscSeq => {
                    self.rx = if b.is_ascii_digit() {
                        Rx::TildeExp
                    } else {
                        Rx::Default
                    }
                }
                Rx::TildeExp => self.rx = Rx::Default,
            }
        }
        Ok(out.finish())
    }

    fn modem(&self) -> &Modem {
        &self.modem
    }
}

/// What `shell_print` sends for `text`: the text and a newline, every `\n` as `\r\n`.
fn printed(text: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(text.len() + 8);
    for &b in text.iter().chain(b"\n") {
        if b == b'\n' {
            bytes.push(b'\r');
        }
        bytes.push(b);
    }
    bytes
}

/// `shell_print`.
fn shell_print(out: &mut Out, text: &[u8]) {
    out.bytes(&printed(text));
}

/// `shell_error`: like [`shell_print`], in red.
fn shell_error(out: &mut Out, text: &str) {
    out.bytes(COLOR_ERROR.as_bytes());
    shell_print(out, text.as_bytes());
    out.bytes(MODES_OFF.as_bytes());
}

/// `nrf_provisioning`: help, or a note that the client is not simulated yet.
fn provisioning_command(args: &[Vec<u8>], out: &mut Out) {
    let sub = args.get(1).map(Vec::as_slice);
    if let Some((name, _)) = PROVISIONING_SUBCOMMANDS
        .iter()
        .find(|(name, _)| Some(name.as_bytes()) == sub)
    {
        shell_error(
            out,
            &format!(
                "nrf_provisioning {name}: the provisioning client is not part of this \
                 simulation yet"
            ),
        );
        return;
    }
    let mut help = String::from("nrf_provisioning - nRF Provisioning commands\nSubcommands:\n");
    for (name, text) in PROVISIONING_SUBCOMMANDS {
        help.push_str(&format!("  {name:<8}  : {text}\n"));
    }
    let text = help.trim_end_matches('\n');
    shell_print(out, text.as_bytes());
}

/// Replaces every two-character `\n` with CR LF.
fn unescape_lf(command: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(command.len());
    let mut i = 0;
    while let Some(&b) = command.get(i) {
        if b == b'\\' && command.get(i + 1) == Some(&b'n') {
            out.extend_from_slice(b"\r\n");
            i += 2;
        } else {
            out.push(b);
            i += 1;
        }
    }
    out
}

/// Trims leading and trailing whitespace (`z_shell_cmd_trim`).
fn trim(line: &[u8]) -> &[u8] {
    let start = line
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(line.len());
    let end = line
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    line.get(start..end).unwrap_or_default()
}
