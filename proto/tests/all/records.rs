//! The CBOR records codec against the nRF Connect SDK's own payloads, byte for byte.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use provlab_proto::records::{
    decode_any, decode_commands, decode_responses, encode_commands, encode_responses, Body,
    Command, CorrelationId, RecordError, RecordsError, Response, DEFAULT_RECORDS_LIMIT,
};
use serde_json::Value as Json;

fn vectors() -> Json {
    let text = include_str!("../data/nrf_provisioning_cbor.json");
    serde_json::from_str(text).unwrap()
}

fn vector(name: &str) -> Vec<u8> {
    let all = vectors();
    let entry = all["cbor"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("no vector {name}"));
    hex::decode(entry["hex"].as_str().unwrap()).unwrap()
}

fn id(text: &str) -> CorrelationId {
    CorrelationId::new(text).unwrap()
}

const ID1: &str = "9685ef84-8cac-4257-b5cc-94bc416a1c1d.d";
const ID2S: &str = "89ed369b-0fed-4194-a703-aabb7fe8130b.e.s";
const ID2: &str = "89ed369b-0fed-4194-a703-aabb7fe8130b.e";
const ID3: &str = "80b8095e-2714-459e-bd8b-3745d8410a18.f";
const ID4: &str = "e5256918-aba9-4d12-8b87-f2c07affec5d.14";

/// Every command vector with the meaning its `diag` documents.
fn command_vectors() -> Vec<(&'static str, Vec<Command>)> {
    vec![
        ("cmds1", vec![Command::Finished { id: id(ID1) }]),
        (
            "cmds2",
            vec![
                Command::At {
                    id: id(ID2S),
                    set_command: "%CMNG".into(),
                    parameters: "3,16842753,2".into(),
                    ignore_cme: vec![513],
                },
                Command::At {
                    id: id(ID2),
                    set_command: "%KEYGEN".into(),
                    parameters: "16842753,2,1".into(),
                    ignore_cme: vec![],
                },
            ],
        ),
        (
            "cmds3",
            vec![Command::At {
                id: id(ID3),
                set_command: "%KEYGEN".into(),
                parameters: "16842753,8,1".into(),
                ignore_cme: vec![],
            }],
        ),
        (
            "cmds4",
            vec![Command::Config {
                id: id(ID4),
                properties: vec![("provisioning/interval-sec".into(), "99".into())],
            }],
        ),
    ]
}

/// Every response vector with the meaning its `diag` documents.
fn response_vectors() -> Vec<(&'static str, Vec<Response>)> {
    vec![
        ("rsps1", vec![Response::FinishedAck { id: id(ID1) }]),
        (
            "rsps2",
            vec![
                Response::AtOk {
                    id: id(ID2S),
                    message: String::new(),
                },
                Response::AtOk {
                    id: id(ID2),
                    message: String::new(),
                },
            ],
        ),
        (
            "rsps2_cmee514",
            vec![Response::Error {
                id: id(ID2S),
                cme_error: 514,
                message: String::new(),
            }],
        ),
        (
            "rsps3",
            vec![Response::AtOk {
                id: id(ID3),
                message: String::new(),
            }],
        ),
        (
            "rsps3_at_failure",
            vec![Response::Error {
                id: id(ID3),
                cme_error: 0,
                message: "ERROR".into(),
            }],
        ),
        ("rsps4", vec![Response::ConfigAck { id: id(ID4) }]),
    ]
}

#[test]
fn every_vector_in_the_file_is_covered() {
    let all = vectors();
    let mut covered: Vec<&str> = command_vectors()
        .iter()
        .map(|(n, _)| *n)
        .chain(response_vectors().iter().map(|(n, _)| *n))
        .collect();
    covered.push("empty_array");
    for entry in all["cbor"].as_array().unwrap() {
        let name = entry["name"].as_str().unwrap();
        assert!(covered.contains(&name), "vector {name} has no test");
    }
}

#[test]
fn command_vectors_decode_to_their_documented_meaning() {
    for (name, expected) in command_vectors() {
        let decoded = decode_commands(&vector(name), DEFAULT_RECORDS_LIMIT).unwrap();
        assert_eq!(decoded, expected, "{name}");
        assert_eq!(
            decode_any(&vector(name), DEFAULT_RECORDS_LIMIT).unwrap(),
            Body::Commands(expected),
            "{name} auto-detected"
        );
    }
}

#[test]
fn command_vectors_reencode_byte_for_byte() {
    for (name, commands) in command_vectors() {
        assert_eq!(encode_commands(&commands).unwrap(), vector(name), "{name}");
    }
}

#[test]
fn response_vectors_encode_byte_for_byte() {
    for (name, responses) in response_vectors() {
        assert_eq!(
            hex::encode(encode_responses(&responses).unwrap()),
            hex::encode(vector(name)),
            "{name}"
        );
    }
}

#[test]
fn response_vectors_decode_to_their_documented_meaning() {
    for (name, expected) in response_vectors() {
        let bytes = vector(name);
        assert_eq!(
            decode_responses(&bytes, DEFAULT_RECORDS_LIMIT).unwrap(),
            expected
        );
        assert_eq!(
            decode_any(&bytes, DEFAULT_RECORDS_LIMIT).unwrap(),
            Body::Responses(expected),
            "{name} auto-detected"
        );
    }
}

#[test]
fn response_types_use_one_byte_integer_form() {
    // 99..=102 must be 0x18 0x63..=0x66, the shortest form.
    let bytes = vector("rsps1");
    assert_eq!(&bytes[bytes.len() - 2..], &[0x18, 0x66]);
}

#[test]
fn empty_array_and_empty_input_are_invalid() {
    assert_eq!(
        decode_commands(&vector("empty_array"), 10),
        Err(RecordsError::NoRecords)
    );
    assert_eq!(decode_commands(&[], 10), Err(RecordsError::EmptyInput));
    assert_eq!(encode_commands(&[]), Err(RecordsError::NoRecords));
    assert_eq!(encode_responses(&[]), Err(RecordsError::NoRecords));
}

fn finished(n: usize) -> Vec<Command> {
    (0..n)
        .map(|i| Command::Finished {
            id: id(&format!("id-{i}")),
        })
        .collect()
}

#[test]
fn records_limit_is_a_parameter() {
    let body = encode_commands(&finished(11)).unwrap();
    assert_eq!(
        decode_commands(&body, 10),
        Err(RecordsError::TooManyRecords {
            count: 11,
            limit: 10
        })
    );
    assert_eq!(decode_commands(&body, 20).unwrap().len(), 11);
}

#[test]
fn too_long_id_names_the_record() {
    let mut commands = finished(3);
    let long = "x".repeat(46);
    // Build the bad record by hand: the typed API refuses ids over 45 bytes.
    assert_eq!(CorrelationId::new(long.clone()), Err(46));
    assert!(CorrelationId::new("y".repeat(45)).is_ok());
    commands.truncate(2);
    let mut body = encode_commands(&commands).unwrap();
    body[0] = 0x83;
    body.extend_from_slice(&[0x82, 0x78, 46]);
    body.extend_from_slice(long.as_bytes());
    body.push(0x02);
    let err = decode_commands(&body, 10).unwrap_err();
    match err {
        RecordsError::Record { index, error, .. } => {
            assert_eq!(index, 2);
            assert_eq!(error, RecordError::IdTooLong { len: 46, max: 45 });
        }
        other => panic!("unexpected {other:?}"),
    }
}

fn at_with_ignores(n: usize) -> Command {
    Command::At {
        id: id("a"),
        set_command: "%CMNG".into(),
        parameters: "3,1,2".into(),
        ignore_cme: (0..n as u32).map(|c| 500 + c).collect(),
    }
}

#[test]
fn at_most_six_ignored_cme_codes() {
    assert!(encode_commands(&[at_with_ignores(6)]).is_ok());
    assert!(encode_commands(&[at_with_ignores(7)]).is_err());
    // Hand-craft a seven-code record: ["a", 0, "%C", "", [1,2,3,4,5,6,7]].
    let body = hex::decode("8185616100622543608701020304050607").unwrap();
    assert_eq!(
        decode_commands(&body, 10).unwrap_err(),
        RecordsError::Record {
            index: 0,
            offset: 1,
            error: RecordError::TooManyIgnoredCme { count: 7, max: 6 }
        }
    );
}

#[test]
fn at_most_one_hundred_config_pairs_and_order_is_kept() {
    let pairs = |n: usize| -> Vec<(String, String)> {
        (0..n)
            .rev()
            .map(|i| (format!("k/{i:03}"), format!("{i}")))
            .collect()
    };
    let hundred = Command::Config {
        id: id("c"),
        properties: pairs(100),
    };
    let body = encode_commands(std::slice::from_ref(&hundred)).unwrap();
    assert_eq!(decode_commands(&body, 10).unwrap(), vec![hundred]);
    let too_many = Command::Config {
        id: id("c"),
        properties: pairs(101),
    };
    assert!(encode_commands(&[too_many]).is_err());
    // A 101-pair map on the wire: ["c", 1, {...}] with map header 0xb8 0x65.
    let mut body = hex::decode("81836163 01 b865".replace(' ', "")).unwrap();
    for i in 0..101u8 {
        body.extend_from_slice(&[0x61, b'k', 0x61, b'0' + (i % 10)]);
    }
    assert!(matches!(
        decode_commands(&body, 10),
        Err(RecordsError::Record {
            error: RecordError::TooManyConfigPairs { count: 101, .. },
            ..
        })
    ));
}

#[test]
fn unknown_type_and_wrong_arity_name_the_record() {
    // [["a", 2], ["b", 7]]
    let body = hex::decode("82826161028261620 7".replace(' ', "")).unwrap();
    match decode_commands(&body, 10).unwrap_err() {
        RecordsError::Record {
            index,
            offset,
            error,
        } => {
            assert_eq!((index, offset), (1, 5));
            assert!(matches!(
                error,
                RecordError::UnknownType { type_number: 7, .. }
            ));
        }
        other => panic!("unexpected {other:?}"),
    }
    // [["a", 2, 0]] finished with an extra element.
    let body = hex::decode("818361610200").unwrap();
    assert_eq!(
        decode_commands(&body, 10).unwrap_err().to_string(),
        "record 0 (at byte 1): record of type 2 must have 2 elements, found 3"
    );
    // A command type in a response body.
    assert!(decode_responses(&vector("cmds1"), 10).is_err());
}

#[test]
fn structural_errors_are_typed() {
    assert!(matches!(
        decode_commands(&[0xa0], 10),
        Err(RecordsError::NotAnArray { found: "a map" })
    ));
    assert!(matches!(
        decode_commands(&[0x9f, 0xff], 10),
        Err(RecordsError::NotAnArray { .. })
    ));
    let mut body = vector("cmds1");
    body.push(0x00);
    assert_eq!(
        decode_commands(&body, 10),
        Err(RecordsError::TrailingBytes {
            offset: body.len() - 1,
            extra: 1
        })
    );
    let body = vector("cmds2");
    let truncated = &body[..body.len() - 3];
    assert!(matches!(
        decode_commands(truncated, 10),
        Err(RecordsError::Cbor { .. })
    ));
    // [5]: a record that is not an array.
    assert!(matches!(
        decode_commands(&[0x81, 0x05], 10),
        Err(RecordsError::Record {
            index: 0,
            error: RecordError::NotAnArray { .. },
            ..
        })
    ));
}

#[test]
fn large_pem_payloads_round_trip() {
    let pem = format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        "A".repeat(6000)
    );
    let command = Command::At {
        id: id("8d0f7c33-0000-4000-8000-000000000001.a"),
        set_command: "%CMNG".into(),
        parameters: format!("0,16842753,0,\"{pem}\""),
        ignore_cme: vec![],
    };
    let body = encode_commands(std::slice::from_ref(&command)).unwrap();
    assert_eq!(decode_commands(&body, 10).unwrap(), vec![command]);
}

#[test]
fn display_is_one_line_per_record() {
    let commands = decode_commands(&vector("cmds2"), 10).unwrap();
    assert_eq!(
        commands[0].to_string(),
        format!("{ID2S} AT \"AT%CMNG=3,16842753,2\" ignore_cme=[513]")
    );
    let responses = decode_responses(&vector("rsps3_at_failure"), 10).unwrap();
    assert_eq!(
        responses[0].to_string(),
        format!("{ID3} ERROR cme=0 message=\"ERROR\"")
    );
}
