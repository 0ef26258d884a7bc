//! The rules of a rack file that the types alone cannot state. Each finding is a span and
//! a message; the loader turns them into file:line:col diagnostics.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use super::model::{Board, BoardKind, Rack};

/// One finding: where, and what is wrong.
pub(crate) type Finding = (Range<usize>, String);

/// Errors and warnings found in a rack.
#[derive(Debug, Default)]
pub(crate) struct Findings {
    pub errors: Vec<Finding>,
    pub warnings: Vec<Finding>,
}

/// Checks a parsed rack (paths not yet resolved).
pub(crate) fn check(rack: &Rack) -> Findings {
    let mut out = Findings::default();
    check_lab(rack, &mut out);
    let mut seen: BTreeMap<&str, ()> = BTreeMap::new();
    for board in &rack.boards {
        let id = board.id.get().as_str();
        if seen.insert(id, ()).is_some() {
            out.errors.push((
                board.id.span(),
                format!("board id `{id}` is used twice; ids must be unique (leases are named after them)"),
            ));
        }
        check_board(board, &mut out);
    }
    out
}

fn check_lab(rack: &Rack, out: &mut Findings) {
    let lab = &rack.lab;
    let host = lab.hostname.get();
    if host.trim().is_empty() {
        out.errors.push((
            lab.hostname.span(),
            "`hostname` is empty: give the DNS name the lab service's certificate carries"
                .to_owned(),
        ));
    } else if host.parse::<std::net::IpAddr>().is_ok() {
        out.warnings.push((
            lab.hostname.span(),
            format!("`hostname` `{host}` is an IP literal: the modem verifies the TLS hostname against it, and whether modem firmware accepts IP SANs is unconfirmed; prefer a DNS name"),
        ));
    } else if !host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    {
        out.errors.push((
            lab.hostname.span(),
            format!("`hostname` `{host}` is not a DNS name (letters, digits, `-` and `.` only)"),
        ));
    }
    let has_real = rack.boards.iter().any(|b| !b.is_virtual());
    if has_real && lab.addresses.is_empty() {
        out.errors.push((
            lab.hostname.span(),
            "`addresses` is missing or empty: a rack with real boards must list the IP addresses under which the boards reach the lab service".to_owned(),
        ));
    }
    if lab.dir.get().as_os_str().is_empty() {
        out.errors.push((
            lab.dir.span(),
            "`dir` is empty: give the lab directory for leases and logs".to_owned(),
        ));
    }
}

fn check_board(board: &Board, out: &mut Findings) {
    let id = board.id.get();
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        || id.starts_with('.')
    {
        out.errors.push((
            board.id.span(),
            format!("board id `{id}` must be non-empty, not start with `.`, and use only letters, digits, `-`, `_` and `.` (it names the lease file)"),
        ));
    }
    if board.is_virtual() {
        check_virtual(board, out);
    } else {
        check_real(board, out);
    }
    for (role, path) in &board.firmware {
        if role.trim().is_empty() {
            out.errors.push((
                path.span(),
                "firmware role names must not be empty".to_owned(),
            ));
        }
        let ext = path
            .get()
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        if !matches!(ext.as_deref(), Some("hex" | "elf")) {
            out.errors.push((
                path.span(),
                format!(
                    "firmware `{role}` = `{}`: expected a `.hex` or `.elf` image",
                    path.get().display()
                ),
            ));
        }
    }
    if let Some(mfw) = &board.modem_fw {
        if !mfw.get().starts_with("mfw_") {
            out.warnings.push((
                mfw.span(),
                format!("`modem_fw` `{}` does not look like an `AT+CGMR` answer (e.g. `mfw_nrf9160_1.3.7`); the runner compares it literally", mfw.get()),
            ));
        }
    }
    if let Some(power) = &board.power {
        for (name, argv) in [("on", &power.on), ("off", &power.off)] {
            if argv.first().is_none_or(|p| p.trim().is_empty()) {
                out.errors.push((
                    power.span(),
                    format!("`power.{name}` must be a command as a list of arguments, e.g. [\"uhubctl\", \"-a\", \"{name}\", \"-p\", \"2\"]"),
                ));
            }
        }
    }
}

fn check_virtual(board: &Board, out: &mut Findings) {
    let id = board.id.get();
    let not_for_virtual = |out: &mut Findings, span: Range<usize>, key: &str| {
        out.errors.push((
            span,
            format!("board `{id}` is `virtual`: `{key}` is only for real boards (a virtual board has no probe and no USB console)"),
        ));
    };
    if let Some(c) = &board.console {
        not_for_virtual(out, c.span(), "console");
    }
    if let Some(p) = &board.probe {
        not_for_virtual(out, p.span(), "probe");
    }
    if let Some(c) = &board.chip {
        not_for_virtual(out, c.span(), "chip");
    }
    if let Some(speed) = &board.speed {
        if *speed.get() < 1 {
            out.errors.push((
                speed.span(),
                "`speed` must be at least 1 (a clock factor: 10 runs the board ten times faster than real time)".to_owned(),
            ));
        }
    }
}

fn check_real(board: &Board, out: &mut Findings) {
    let id = board.id.get();
    let kind: BoardKind = *board.kind.get();
    if let Some(speed) = &board.speed {
        out.errors.push((
            speed.span(),
            format!("board `{id}` is `{}`: `speed` is only for virtual boards (a real board runs in real time)", kind.as_str()),
        ));
    }
    match &board.console {
        None => out.errors.push((
            board.id.span(),
            format!("board `{id}` has no `console`: give its serial port, e.g. `/dev/serial/by-id/usb-SEGGER_J-Link_000960066748-if00`"),
        )),
        Some(console) => check_console(console.get(), console.span(), out),
    }
    match &board.probe {
        None => out.errors.push((
            board.id.span(),
            format!("board `{id}` has no `probe`: give `probe = {{ vid = 0x1366, serial = \"…\" }}` as `provlab hil probes` lists it"),
        )),
        Some(probe) => {
            if probe.serial.trim().is_empty() {
                out.errors.push((
                    probe.span(),
                    "`probe.serial` is empty: the serial tells boards of the same kind apart".to_owned(),
                ));
            }
        }
    }
    if let Some(chip) = &board.chip {
        if !kind.chips().contains(&chip.get().as_str()) {
            out.errors.push((
                chip.span(),
                format!(
                    "chip `{}` does not fit kind `{}`: expected {}",
                    chip.get(),
                    kind.as_str(),
                    kind.chips()
                        .iter()
                        .map(|c| format!("`{c}`"))
                        .collect::<Vec<_>>()
                        .join(" or ")
                ),
            ));
        }
    }
}

fn check_console(path: &Path, span: Range<usize>, out: &mut Findings) {
    let text = path.to_string_lossy();
    if text.starts_with("/dev/ttyACM") || text.starts_with("/dev/ttyUSB") {
        out.warnings.push((
            span,
            format!("console `{text}` is renumbered when boards are replugged; use the stable `/dev/serial/by-id/…` name of the port"),
        ));
    } else if text.trim().is_empty() {
        out.errors.push((span, "`console` is empty".to_owned()));
    }
}
