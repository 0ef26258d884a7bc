//! Fuzzes the AT line discipline: arbitrary bytes, split into arbitrary chunks, go through
//! the host → modem line assembler and every completed line through the command parser.
//! Nothing may panic; the split must not change the lines; lines respect the bound; every
//! command that parses renders back to a line that parses to the same command. The same
//! bytes also go through the host-side answer parser.
//!
//! Input layout: byte 0 = number of chunk-size bytes `n` (mod 16), bytes 1..=n = chunk sizes
//! (cycled; 0 means 1), byte n+1 = line limit selector, the rest = the wire bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provlab_proto::at::{AnswerParser, AtCommand, LineAssembler, LineEvent};

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let n = usize::from(n % 16).min(rest.len());
    let (sizes, rest) = rest.split_at(n);
    let Some((&limit, wire)) = rest.split_first() else {
        return;
    };
    // Small limits exercise the over-long path; 0 means the default limit.
    let max_len = match limit % 4 {
        0 => provlab_proto::at::DEFAULT_MAX_LINE_LEN,
        k => usize::from(limit) * usize::from(k),
    };

    let whole = LineAssembler::with_max_len(max_len).push(wire);

    let mut assembler = LineAssembler::with_max_len(max_len);
    let mut answers = AnswerParser::with_max_len(max_len.max(1) * 2);
    let mut events = Vec::new();
    let mut at = 0;
    let mut i = 0;
    while at < wire.len() {
        let size = sizes
            .get(i % sizes.len().max(1))
            .map_or(wire.len(), |&s| usize::from(s).max(1));
        let end = (at + size).min(wire.len());
        events.extend(assembler.push(&wire[at..end]));
        let _ = answers.push(&wire[at..end]);
        assert!(assembler.pending().len() <= max_len);
        at = end;
        i += 1;
    }
    assert_eq!(events, whole, "the split changed the events");

    for event in events {
        let LineEvent::Line(line) = event else {
            continue;
        };
        assert!(!line.is_empty() && line.len() <= max_len);
        if let Ok(cmd) = AtCommand::parse_bytes(&line) {
            let text = cmd.to_line();
            assert_eq!(AtCommand::parse(&text).as_ref(), Ok(&cmd));
            for index in 0..=cmd.params().len() {
                let _ = cmd.u32_param(index);
                let _ = cmd.i64_param(index);
                let _ = cmd.str_param(index);
            }
        }
    }
});
