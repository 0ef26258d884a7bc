//! `provlab decode` as an engineer uses it: payloads pasted from field logs.

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

const CMDS1: &str =
    "8182782639363835656638342d386361632d343235372d623563632d3934626334313661316331642e6402";
const RSPS3_AT_FAILURE: &str = "8184782638306238303935652d323731342d343539652d626438622d3337343564383431306131382e66186300654552524f52";
const ATTESTTOKEN: &str = "2dn3hQFQUDYxVDkxRPCAIhIbZAFifQNQGv86y_GmR2SiY0wmRsHGVFDT791_BPH8YOWFiyCHND1q.0oRDoQEmoQRBIfZYQGuXwJliinHc6xDPruiyjsaXyXZbZVpUuOhHG9YS8L05VuglCcJhMN4EUhWVGpaHgNnHHno6ahi-d5tOeZmAcNY";

fn provlab(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_provlab"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("provlab starts");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input)
            .expect("write stdin");
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().expect("provlab ends")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn finished_command_prints_one_line_with_its_id() {
    let out = provlab(&["decode", CMDS1], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "commands (service -> device): 1 record, 43 bytes\n\
         [0] 9685ef84-8cac-4257-b5cc-94bc416a1c1d.d FINISHED\n"
    );
}

#[test]
fn responses_are_detected_and_show_their_fields() {
    let out = provlab(&["decode", RSPS3_AT_FAILURE], None);
    assert!(out.status.success());
    assert!(stdout(&out).starts_with("responses (device -> service): 1 record"));
    assert!(stdout(&out)
        .contains("[0] 80b8095e-2714-459e-bd8b-3745d8410a18.f ERROR cme=0 message=\"ERROR\""));
}

#[test]
fn empty_array_fails_with_a_clear_message() {
    let out = provlab(&["decode", "80"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("empty array"), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
}

#[test]
fn truncated_body_names_the_byte_offset_and_record() {
    let out = provlab(&["decode", &CMDS1[..40]], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("malformed CBOR at byte 2: in record 0: text string of 38 bytes"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("record 0"), "{}", stderr(&out));
}

#[test]
fn bad_record_names_its_index() {
    // [["a", 2], ["b", 7]]: the second record has an unknown type.
    let out = provlab(&["decode", "8282616102826162 07"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("record 1 (at byte 5)"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("unknown record type 7"));
}

#[test]
fn odd_hex_is_refused() {
    let out = provlab(&["decode", "818"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("odd number of hex digits"));
}

#[test]
fn hex_with_spaces_and_colons_from_a_log() {
    let spaced: String = CMDS1
        .as_bytes()
        .chunks(2)
        .map(|c| std::str::from_utf8(c).expect("ascii"))
        .collect::<Vec<_>>()
        .join(":");
    let out = provlab(&["decode", &spaced], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("FINISHED"));
}

#[test]
fn stdin_accepts_hex_text_and_raw_bytes() {
    let out = provlab(&["decode", "-"], Some(format!("{CMDS1}\n").as_bytes()));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("FINISHED"));
    let raw = hex::decode(CMDS1).expect("hex");
    let out = provlab(&["decode", "-"], Some(&raw));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("FINISHED"));
}

#[test]
fn file_of_raw_bytes() {
    let dir = std::env::temp_dir().join(format!("provlab-decode-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("body.cbor");
    std::fs::write(&path, hex::decode(CMDS1).expect("hex")).expect("write");
    let out = provlab(
        &["decode", "--file", path.to_str().expect("utf-8 path")],
        None,
    );
    std::fs::remove_dir_all(&dir).ok();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("FINISHED"));
}

#[test]
fn records_limit_is_enforced() {
    let out = provlab(&["decode", "--limit", "0", CMDS1], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("limit is 0"));
}

#[test]
fn attestation_token_shows_identity() {
    let out = provlab(
        &["decode", &format!("%ATTESTTOKEN: \"{ATTESTTOKEN}\"")],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("device uuid:   50363154-3931-44f0-8022-121b6401627d"));
    assert!(text.contains("device type:   3 (nRF9160 SICA)"));
    assert!(text.contains("modem fw uuid: 1aff3acb-f1a6-4764-a263-4c2646c1c654"));
}

#[test]
fn garbage_token_fails() {
    let out = provlab(&["decode", "hello.world"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not an attestation token"));
    let out = provlab(&["decode", "just words"], None);
    assert_eq!(out.status.code(), Some(1));
}
