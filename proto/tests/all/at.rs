//! Integration and property tests of the AT line discipline (`provlab_proto::at`).
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use proptest::sample::Index;
use provlab_proto::at::{
    split_params, Answer, AnswerError, AnswerEvent, AnswerParser, AtCommand, AtParam, AtParseError,
    CmeCode, CommandKind, FinalResult, LineAssembler, LineError, LineEvent, DEFAULT_MAX_LINE_LEN,
};

fn lines_of(events: &[LineEvent]) -> Vec<Vec<u8>> {
    events
        .iter()
        .filter_map(|e| match e {
            LineEvent::Line(l) => Some(l.clone()),
            LineEvent::Error(_) => None,
        })
        .collect()
}

fn feed_bytewise(a: &mut LineAssembler, bytes: &[u8]) -> Vec<LineEvent> {
    bytes.iter().filter_map(|&b| a.push_byte(b)).collect()
}

fn pem(lines: usize) -> String {
    let mut s = String::from("-----BEGIN CERTIFICATE-----\n");
    for i in 0..lines {
        let c = char::from(b'A' + u8::try_from(i % 26).unwrap());
        s.push_str(&c.to_string().repeat(64));
        s.push('\n');
    }
    s.push_str("-----END CERTIFICATE-----\n");
    s
}

fn complete(ev: &AnswerEvent) -> (&Answer, &str) {
    match ev {
        AnswerEvent::Complete { answer, raw } => (answer, raw),
        AnswerEvent::Malformed(e) => panic!("expected a complete answer, got {e}"),
    }
}

// ---------------------------------------------------------------- host → modem lines

#[test]
fn byte_by_byte_split_reads_give_the_same_lines() {
    let wire =
        b"AT+CMEE=1\r\nAT%CMNG=0,16842753,0,\"-----BEGIN\r\nAAAA\r\n-----END\r\n\"\r\nAT\r\n";
    let whole = LineAssembler::new().push(wire);
    let bytewise = feed_bytewise(&mut LineAssembler::new(), wire);
    assert_eq!(whole, bytewise);
    assert_eq!(
        lines_of(&whole),
        vec![
            b"AT+CMEE=1".to_vec(),
            b"AT%CMNG=0,16842753,0,\"-----BEGIN\r\nAAAA\r\n-----END\r\n\"".to_vec(),
            b"AT".to_vec(),
        ]
    );
}

#[test]
fn quoted_cr_lf_are_kept_in_a_pem_write() {
    let cert = pem(20).replace('\n', "\r\n");
    let line = format!("AT%CMNG=0,16842753,1,\"{cert}\"");
    let mut a = LineAssembler::new();
    let ev = a.push(format!("{line}\r\n").as_bytes());
    assert_eq!(ev, vec![LineEvent::Line(line.clone().into_bytes())]);
    let cmd = AtCommand::parse_bytes(&lines_of(&ev)[0]).unwrap();
    assert_eq!(cmd.name(), "%CMNG");
    assert_eq!(cmd.u32_param(0).unwrap(), 0);
    assert_eq!(cmd.u32_param(1).unwrap(), 16842753);
    assert_eq!(cmd.u32_param(2).unwrap(), 1);
    assert_eq!(cmd.str_param(3).unwrap(), cert);
}

#[test]
fn default_limit_fits_a_4_kib_certificate_write() {
    let cert = pem(64); // 64 * 65 bytes of body ≈ 4.1 KiB
    assert!(cert.len() > 4096);
    let line = format!("AT%CMNG=0,16842753,0,\"{cert}\"");
    assert!(line.len() < DEFAULT_MAX_LINE_LEN);
    let ev = LineAssembler::new().push(format!("{line}\r\n").as_bytes());
    assert_eq!(ev, vec![LineEvent::Line(line.into_bytes())]);
}

#[test]
fn nul_terminates_a_command() {
    let ev = LineAssembler::new().push(b"AT+CGSN\0AT+CGMM\0");
    assert_eq!(
        lines_of(&ev),
        vec![b"AT+CGSN".to_vec(), b"AT+CGMM".to_vec()]
    );
}

#[test]
fn crlf_produces_no_empty_command() {
    let ev = LineAssembler::new().push(b"AT\r\n");
    assert_eq!(ev, vec![LineEvent::Line(b"AT".to_vec())]);
}

#[test]
fn empty_lines_are_ignored() {
    // nrfcredstore opens the port by sending a bare CRLF.
    let ev = LineAssembler::new().push(b"\r\n\r\n\n\r\0\0AT\r\n\n");
    assert_eq!(ev, vec![LineEvent::Line(b"AT".to_vec())]);
}

#[test]
fn over_long_line_is_reported_once_then_assembly_recovers() {
    let mut a = LineAssembler::with_max_len(16);
    let mut wire = b"AT%CMNG=0,1,0,\"".to_vec();
    wire.extend(std::iter::repeat_n(b'x', 1000));
    wire.extend_from_slice(b"\"\r\nAT+CGSN\r\n");
    let ev = a.push(&wire);
    assert_eq!(
        ev,
        vec![
            LineEvent::Error(LineError::TooLong { limit: 16 }),
            LineEvent::Line(b"AT+CGSN".to_vec()),
        ]
    );
    assert!(!a.is_discarding());
    assert_eq!(
        LineError::TooLong { limit: 16 }.to_string(),
        "command line longer than 16 bytes: dropped, and discarded up to its terminator"
    );
}

#[test]
fn unterminated_quote_with_newline_flood_stays_bounded() {
    let mut a = LineAssembler::with_max_len(64);
    let mut events = a.push(b"AT%CMNG=0,1,0,\"");
    for _ in 0..10_000 {
        events.extend(a.push(b"\r\n\r\n\0"));
        assert!(a.pending().len() <= 64);
    }
    assert!(a.in_quotes());
    assert!(a.is_discarding());
    assert_eq!(
        events,
        vec![LineEvent::Error(LineError::TooLong { limit: 64 })]
    );
    // Closing the quote and ending the line recovers.
    assert_eq!(a.push(b"\"\r\n"), vec![]);
    assert!(!a.in_quotes());
    assert_eq!(a.push(b"AT\r"), vec![LineEvent::Line(b"AT".to_vec())]);
}

// ---------------------------------------------------------------- command parsing

#[test]
fn prefix_and_name_are_case_insensitive() {
    for line in ["AT+CGSN", "at+cgsn", "At+CgSn", "aT+cGsN"] {
        let cmd = AtCommand::parse(line).unwrap();
        assert_eq!(cmd.name(), "+CGSN", "{line}");
        assert_eq!(cmd.kind(), CommandKind::Exec);
    }
    assert_eq!(
        AtCommand::parse("at%xmodemuuid").unwrap().name(),
        "%XMODEMUUID"
    );
    let cmd = AtCommand::parse("at%keygen=16842753,2,0,\"O=Nordic\"").unwrap();
    assert_eq!(cmd.name(), "%KEYGEN");
    // Parameters are verbatim, not upper-cased.
    assert_eq!(cmd.raw_params(), "16842753,2,0,\"O=Nordic\"");
    assert_eq!(cmd.str_param(3).unwrap(), "O=Nordic");
}

#[test]
fn each_command_form() {
    let bare = AtCommand::parse("AT").unwrap();
    assert!(bare.is_bare());
    assert_eq!(
        (bare.kind(), bare.to_line().as_str()),
        (CommandKind::Exec, "AT")
    );

    let exec = AtCommand::parse("AT%XMODEMUUID").unwrap();
    assert_eq!(exec.kind(), CommandKind::Exec);
    assert!(exec.params().is_empty());

    let read = AtCommand::parse("AT+CFUN?").unwrap();
    assert_eq!((read.name(), read.kind()), ("+CFUN", CommandKind::Read));

    let test = AtCommand::parse("AT+CFUN=?").unwrap();
    assert_eq!((test.name(), test.kind()), ("+CFUN", CommandKind::Test));

    let set = AtCommand::parse("AT+CFUN=4").unwrap();
    assert_eq!((set.name(), set.kind()), ("+CFUN", CommandKind::Set));
    assert_eq!(set.u32_param(0).unwrap(), 4);

    let cgsn = AtCommand::parse("AT+CGSN=1").unwrap();
    assert_eq!(cgsn.u32_param(0).unwrap(), 1);
}

#[test]
fn params_split_with_empty_and_quoted_commas() {
    let jwt = AtCommand::parse("AT%JWT=0,300,\"\",\"\"").unwrap();
    assert_eq!(
        jwt.params(),
        &[
            AtParam::Unquoted("0".into()),
            AtParam::Unquoted("300".into()),
            AtParam::Quoted(String::new()),
            AtParam::Quoted(String::new()),
        ]
    );
    assert_eq!(jwt.str_param(2).unwrap(), "");

    assert_eq!(
        split_params("1,,2").unwrap(),
        vec![
            AtParam::Unquoted("1".into()),
            AtParam::Empty,
            AtParam::Unquoted("2".into()),
        ]
    );
    assert_eq!(
        split_params(" 7 ,\"a, b\" , \"c,\"").unwrap(),
        vec![
            AtParam::Unquoted("7".into()),
            AtParam::Quoted("a, b".into()),
            AtParam::Quoted("c,".into()),
        ]
    );
    let cmng = AtCommand::parse("AT%CMNG=1").unwrap();
    assert_eq!(cmng.opt_u32_param(1).unwrap(), None);
}

#[test]
fn parse_errors_name_the_position_and_expectation() {
    let err = AtCommand::parse("at AT+CGSN").unwrap_err();
    assert_eq!(
        err,
        AtParseError::Unexpected {
            offset: 2,
            found: ' ',
            expected: "a command name (an optional `+`, `%`, `#`, `&`, `$`, `*` or `^`, \
                       then letters, digits or `_`)",
        }
    );
    assert!(err.to_string().contains("byte offset 2"));
    assert_eq!(
        AtCommand::parse("AT%CMNG=0,1,0,\"abc").unwrap_err(),
        AtParseError::UnterminatedQuote { offset: 14 }
    );
    assert_eq!(AtCommand::parse("").unwrap_err(), AtParseError::Empty);
    assert_eq!(
        AtCommand::parse_bytes(b"AT+X=\"\xc3\x28\"").unwrap_err(),
        AtParseError::NotUtf8 { offset: 6 }
    );
    let e = AtCommand::parse("AT%CMNG=0,x,1")
        .unwrap()
        .u32_param(1)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "parameter 1 (0-based) is \"x\"; expected an unquoted unsigned integer (0..=4294967295)"
    );
}

#[test]
fn commands_from_provisioning_records_render() {
    // `"AT" + set_command + "=" + parameters`, as the device library forms them.
    let cmd = AtCommand::set("%KEYGEN", "16842753,2,1").unwrap();
    assert_eq!(cmd.to_line(), "AT%KEYGEN=16842753,2,1");
    let cmd = AtCommand::set("%CMNG", "3,16842753,2").unwrap();
    assert_eq!(cmd.to_string(), "AT%CMNG=3,16842753,2");
    assert_eq!(AtCommand::parse(&cmd.to_line()).unwrap(), cmd);
}

// ---------------------------------------------------------------- modem → host answers

#[test]
fn answer_rendering_with_cmee_on_and_off() {
    let a = Answer::cme(CmeCode::NotAllowedInActiveState);
    assert_eq!(a.render(true), "+CME ERROR: 518\r\n");
    assert_eq!(a.render(false), "ERROR\r\n");
    let a = Answer::ok().with_info("+CFUN: 4");
    assert_eq!(a.render(false), "+CFUN: 4\r\nOK\r\n");
    assert_eq!(a.render(true), "+CFUN: 4\r\nOK\r\n");
    assert_eq!(Answer::ok().render(true), "OK\r\n");
    let listing = Answer::ok()
        .with_info("%CMNG: 1,0,\"AA\"")
        .with_info("%CMNG: 2,1,\"BB\"");
    assert_eq!(
        listing.response_text(),
        "%CMNG: 1,0,\"AA\"\r\n%CMNG: 2,1,\"BB\"\r\n"
    );
    assert_eq!(
        listing.render(true),
        format!("{}OK\r\n", listing.response_text())
    );
}

#[test]
fn answer_parsing_of_a_multi_line_quoted_info_line_split_byte_by_byte() {
    let cert = pem(3);
    let sha = "2C43952EE9E000FF2ACC4E2ED0897C0A72AD5FA72C3D934E81741CBD54F05BD1";
    let info = format!("%CMNG: 16842753,0,\"{sha}\",\"{cert}\"");
    let wire = format!("{info}\r\nOK\r\n");
    let mut p = AnswerParser::new();
    let mut events = Vec::new();
    for &b in wire.as_bytes() {
        events.extend(p.push_byte(b));
        if events.is_empty() {
            assert!(p.has_partial());
        }
    }
    assert_eq!(events.len(), 1);
    let (answer, raw) = complete(&events[0]);
    assert_eq!(answer.info, vec![info.clone()]);
    assert_eq!(answer.result, FinalResult::Ok);
    assert_eq!(raw, wire);
    assert_eq!(answer.response_text(), format!("{info}\r\n"));
    assert!(!p.has_partial());
}

#[test]
fn answer_parser_yields_one_event_per_final_line() {
    let wire = b"+CGSN: \"352656100000001\"\r\nOK\r\n+CME ERROR: 513\r\nERROR\r\nOK\r\n";
    let ev = AnswerParser::new().push(wire);
    let results: Vec<_> = ev.iter().map(|e| complete(e).0.result).collect();
    assert_eq!(
        results,
        vec![
            FinalResult::Ok,
            FinalResult::CmeError(513),
            FinalResult::Error,
            FinalResult::Ok,
        ]
    );
    assert_eq!(complete(&ev[0]).0.info, vec!["+CGSN: \"352656100000001\""]);
    assert_eq!(
        CmeCode::from_code(513),
        Some(CmeCode::NotFound),
        "CME 513 is named"
    );
}

#[test]
fn answer_parser_reports_a_bad_cme_line() {
    let ev = AnswerParser::new().push(b"+CME ERROR: nope\r\nOK\r\n");
    assert!(matches!(
        &ev[0],
        AnswerEvent::Malformed(AnswerError::BadCme { line }) if line == "+CME ERROR: nope"
    ));
    assert_eq!(complete(&ev[1]).0, &Answer::ok());
}

// ---------------------------------------------------------------- properties

/// Bytes biased towards the characters the line discipline cares about.
fn wire_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            3 => any::<u8>(),
            2 => b'A'..=b'Z',
            1 => Just(b'\r'),
            1 => Just(b'\n'),
            1 => Just(0u8),
            1 => Just(b'"'),
            1 => Just(b','),
        ],
        0..max,
    )
}

/// Splits `bytes` at the given (unsorted, possibly repeated) cut points.
fn chunks(bytes: &[u8], cuts: &[Index]) -> Vec<Vec<u8>> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c.index(bytes.len() + 1)).collect();
    points.push(0);
    points.push(bytes.len());
    points.sort_unstable();
    points
        .windows(2)
        .map(|w| bytes[w[0]..w[1]].to_vec())
        .collect()
}

fn name_strategy() -> impl Strategy<Value = String> {
    "[+%#&$*^]?[A-Za-z0-9_]{1,12}"
}

fn param_strategy() -> impl Strategy<Value = AtParam> {
    prop_oneof![
        Just(AtParam::Empty),
        "[A-Za-z0-9.+-][A-Za-z0-9 .+-]{0,8}[A-Za-z0-9.+-]|[A-Za-z0-9.+-]"
            .prop_map(AtParam::Unquoted),
        "[^\"]{0,40}".prop_map(AtParam::Quoted),
        "[ -!#-~\r\n,]{0,40}".prop_map(AtParam::Quoted),
    ]
}

fn command_strategy() -> impl Strategy<Value = AtCommand> {
    prop_oneof![
        Just(AtCommand::bare()),
        name_strategy().prop_map(|n| AtCommand::exec(&n).unwrap()),
        name_strategy().prop_map(|n| AtCommand::read(&n).unwrap()),
        name_strategy().prop_map(|n| AtCommand::test(&n).unwrap()),
        (
            name_strategy(),
            prop::collection::vec(param_strategy(), 1..6)
        )
            .prop_map(|(n, p)| AtCommand::with_params(&n, &p).unwrap()),
    ]
}

fn info_line_strategy() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            "[ -!#-~]{1,20}",
            "[^\"\r\n]{1,10}",
            "[^\"]{0,30}".prop_map(|s| format!("\"{s}\"")),
            "[a-z\r\n]{0,20}".prop_map(|s| format!("\"{s}\"")),
        ],
        1..4,
    )
    .prop_map(|parts| parts.concat())
}

fn answer_strategy() -> impl Strategy<Value = Answer> {
    (
        prop::collection::vec(info_line_strategy(), 0..5),
        prop_oneof![
            Just(FinalResult::Ok),
            Just(FinalResult::Error),
            any::<u16>().prop_map(FinalResult::CmeError),
        ],
    )
        .prop_map(|(info, result)| Answer::new(info, result))
        .prop_filter("must be framable", |a| a.validate().is_ok())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// (a) Any split of the input gives the same events as one push.
    #[test]
    fn line_split_points_do_not_matter(
        bytes in wire_bytes(400),
        cuts in prop::collection::vec(any::<Index>(), 0..12),
        max_len in 0usize..48,
    ) {
        let whole = LineAssembler::with_max_len(max_len).push(&bytes);
        let mut split = LineAssembler::with_max_len(max_len);
        let mut events = Vec::new();
        for chunk in chunks(&bytes, &cuts) {
            events.extend(split.push(&chunk));
            prop_assert!(split.pending().len() <= max_len);
        }
        prop_assert_eq!(&events, &whole);
        for line in lines_of(&events) {
            prop_assert!(!line.is_empty());
            prop_assert!(line.len() <= max_len);
        }
    }

    /// (a) The same for the host-side answer parser.
    #[test]
    fn answer_split_points_do_not_matter(
        bytes in wire_bytes(400),
        cuts in prop::collection::vec(any::<Index>(), 0..12),
        max_len in 0usize..64,
    ) {
        let whole = AnswerParser::with_max_len(max_len).push(&bytes);
        let mut split = AnswerParser::with_max_len(max_len);
        let mut events = Vec::new();
        for chunk in chunks(&bytes, &cuts) {
            events.extend(split.push(&chunk));
        }
        prop_assert_eq!(events, whole);
    }

    /// (b) Arbitrary bytes never panic the assembler, the command parser or the answer parser.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let mut a = LineAssembler::with_max_len(32);
        for event in a.push(&bytes) {
            if let LineEvent::Line(line) = event {
                if let Ok(cmd) = AtCommand::parse_bytes(&line) {
                    for i in 0..cmd.params().len() + 1 {
                        let _ = cmd.u32_param(i);
                        let _ = cmd.i64_param(i);
                        let _ = cmd.str_param(i);
                        let _ = cmd.opt_u32_param(i);
                        let _ = cmd.opt_str_param(i);
                    }
                    prop_assert_eq!(AtCommand::parse(&cmd.to_line()), Ok(cmd.clone()));
                }
            }
        }
        let _ = AtCommand::parse_bytes(&bytes);
        let text = String::from_utf8_lossy(&bytes);
        let _ = split_params(&text);
        let _ = FinalResult::parse_line(&text);
        let _ = AnswerParser::with_max_len(64).push(&bytes);
        let _ = AnswerParser::new().push(&bytes);
    }

    /// (b) The same with bytes biased towards structure, straight into the parser.
    #[test]
    fn structured_garbage_never_panics(bytes in wire_bytes(200)) {
        let mut line = b"AT+X=".to_vec();
        line.extend_from_slice(&bytes);
        let _ = AtCommand::parse_bytes(&line);
        let _ = AtCommand::parse_bytes(&bytes);
    }

    /// (c) render ∘ parse round trip for commands, also through the line assembler.
    #[test]
    fn command_round_trip(cmd in command_strategy()) {
        let line = cmd.to_line();
        prop_assert_eq!(AtCommand::parse(&line), Ok(cmd.clone()));
        // Lower-case prefix and name parse to the same command.
        let name_end = 2 + cmd.name().len();
        let lower = format!("at{}{}", cmd.name().to_lowercase(), &line[name_end..]);
        prop_assert_eq!(AtCommand::parse(&lower), Ok(cmd.clone()));
        // Sent over the wire, the line arrives whole.
        let events = LineAssembler::new().push(format!("{line}\r\n").as_bytes());
        prop_assert_eq!(events, vec![LineEvent::Line(line.into_bytes())]);
        // Re-splitting the raw parameters gives the same parameters.
        if cmd.kind() == CommandKind::Set {
            prop_assert_eq!(split_params(cmd.raw_params()), Ok(cmd.params().to_vec()));
        }
    }

    /// (c) render ∘ parse round trip for answers, with CMEE on and off.
    #[test]
    fn answer_round_trip(
        answer in answer_strategy(),
        cuts in prop::collection::vec(any::<Index>(), 0..8),
    ) {
        let wire = answer.render(true);
        let mut p = AnswerParser::new();
        let mut events = Vec::new();
        for chunk in chunks(wire.as_bytes(), &cuts) {
            events.extend(p.push(&chunk));
        }
        prop_assert_eq!(
            events,
            vec![AnswerEvent::Complete { answer: answer.clone(), raw: wire.clone() }]
        );
        prop_assert!(wire.starts_with(&answer.response_text()));

        let plain = AnswerParser::new().push(answer.render(false).as_bytes());
        let expected_result = match answer.result {
            FinalResult::CmeError(_) => FinalResult::Error,
            other => other,
        };
        prop_assert_eq!(plain.len(), 1);
        let (parsed, _) = complete(&plain[0]);
        prop_assert_eq!(&parsed.info, &answer.info);
        prop_assert_eq!(parsed.result, expected_result);
    }
}
