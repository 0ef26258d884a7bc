//! Codec throughput: provlab's records codec against `memcpy` (the physical limit) and
//! `minicbor` (a second, well-regarded CBOR crate) on the same corpora, in bytes/s.
//!
//! Run with `cargo bench --bench codec`; figures are kept in `benches/README.md`.
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use provlab_proto::records::{
    decode_commands, decode_responses, encode_commands, encode_responses, Command, CorrelationId,
    Response,
};

/// One corpus: a named records body and which direction it travels.
struct Corpus {
    name: &'static str,
    bytes: Vec<u8>,
    commands: Option<Vec<Command>>,
    responses: Option<Vec<Response>>,
}

fn id(n: usize, suffix: &str) -> CorrelationId {
    CorrelationId::new(format!("{:08x}-8cac-4257-b5cc-94bc416a1c1d.{suffix}", n)).unwrap()
}

fn pem(seed: usize, body_len: usize) -> String {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let body: Vec<u8> = (0..body_len)
        .map(|i| alphabet[(i * 31 + seed * 7) % alphabet.len()])
        .collect();
    let lines: Vec<&str> = body
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}

fn at(n: usize, suffix: &str, set_command: &str, parameters: String, ignore: &[u32]) -> Command {
    Command::At {
        id: id(n, suffix),
        set_command: set_command.to_string(),
        parameters,
        ignore_cme: ignore.to_vec(),
    }
}

/// Every SDK vector of one direction, concatenated into one body.
fn sdk_vectors() -> (Vec<Command>, Vec<Response>) {
    let json: serde_json::Value = serde_json::from_str(include_str!(
        "../proto/tests/data/nrf_provisioning_cbor.json"
    ))
    .unwrap();
    let mut commands = Vec::new();
    let mut responses = Vec::new();
    for entry in json["cbor"].as_array().unwrap() {
        if entry.get("invalid").is_some() {
            continue;
        }
        let bytes = hex::decode(entry["hex"].as_str().unwrap()).unwrap();
        if entry["dir"] == "server->device" {
            commands.extend(decode_commands(&bytes, 20).unwrap());
        } else {
            responses.extend(decode_responses(&bytes, 20).unwrap());
        }
    }
    (commands, responses)
}

/// A realistic 20-command configuration: keys, a CSR, two ~1.3 KB certificates per
/// sec tag, settings, and finished last.
fn realistic_configuration() -> Vec<Command> {
    let mut commands = Vec::new();
    let tags = [16842753u32, 16842754, 16842755];
    for (i, tag) in tags.iter().enumerate() {
        let n = i * 10;
        commands.push(at(n, "1.s", "%CMNG", format!("3,{tag},2"), &[513]));
        commands.push(at(n, "1", "%KEYGEN", format!("{tag},2,1"), &[]));
        commands.push(at(
            n + 1,
            "2",
            "%KEYGEN",
            format!("{tag},2,0,\"O=Nordic Semiconductor,L=Trondheim,C=no\",\"101010000\""),
            &[],
        ));
        commands.push(at(
            n + 2,
            "3",
            "%CMNG",
            format!("0,{tag},1,\"{}\"", pem(n, 1300)),
            &[],
        ));
        commands.push(at(
            n + 3,
            "4",
            "%CMNG",
            format!("0,{tag},0,\"{}\"", pem(n + 1, 1300)),
            &[],
        ));
    }
    commands.push(Command::Config {
        id: id(90, "5"),
        properties: vec![
            ("provisioning/interval-sec".into(), "86400".into()),
            ("app/server".into(), "coaps://lab.example.com:5684".into()),
        ],
    });
    commands.push(at(91, "6", "%XSYSTEMMODE", "1,0,1,0".into(), &[]));
    commands.push(at(
        92,
        "7",
        "+CGDCONT",
        "0,\"IP\",\"iot.example\"".into(),
        &[],
    ));
    commands.push(at(93, "8", "%XBANDLOCK", "0".into(), &[]));
    commands.push(Command::Finished { id: id(99, "9") });
    assert_eq!(commands.len(), 20);
    commands
}

/// The answers to a batch that generated a CSR: the AT-ok record carries the modem's
/// whole %KEYGEN line (base64url CSR DER and COSE).
fn keygen_responses() -> Vec<Response> {
    // A real modem answer to AT%KEYGEN=17,2,0 (nRF Cloud utils test data).
    let keygen = "MIIBCjCBrwIBADAvMS0wKwYDVQQDDCQ1MDM2MzE1NC0zOTMxLTQ0ZjAtODAyMi0xMjFiNjQwMTYyN2QwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQqD6pNfa29o_EXnw62bnQWr8-JqsNh_HZxS3k3bMD4KZ8-qxnvgeoiqQ5zAycEP_Wcmzqypvwyf3qWMrZ2VB5aoB4wHAYJKoZIhvcNAQkOMQ8wDTALBgNVHQ8EBAMCA-gwDAYIKoZIzj0EAwIFAANIADBFAiEAv7OLZ_dXbszfhhjcLMUT72wTmw-z6GlgWxVhyWgR27ACIAvY_lPu3yfYZY5AL6uYTkUFp4GQkbSOUC_lsHyCxOuG.0oRDoQEmoQRBIVhL2dn3hQlQUDYxVDkxRPCAIhIbZAFifUERWCBwKj1W8FsvclMdZQgl4gBB4unZMYw0toU6uQZuXHLoDFAbhyLuHetYFWbiyxNZsnzSWEDUiTl7wwFt0hEsCiEQsxj-hCtpBk8Za8UXfdAycpx2faCOPJIrkfmiSS8-Y6_2tTAoAMN1BiWiTOimY1wZE3Ud";
    vec![
        Response::AtOk {
            id: id(1, "e.s"),
            message: String::new(),
        },
        Response::AtOk {
            id: id(1, "e"),
            message: format!("%KEYGEN: \"{keygen}\"\r\n"),
        },
        Response::AtOk {
            id: id(2, "f"),
            message: String::new(),
        },
        Response::ConfigAck { id: id(3, "g") },
        Response::FinishedAck { id: id(4, "h") },
    ]
}

/// The largest body the sample firmware accepts: 20 records, each with a 45-byte id
/// and a ~4 KB certificate write.
fn maximum_batch() -> Vec<Command> {
    (0..20)
        .map(|n| Command::At {
            id: CorrelationId::new(format!("{n:08x}-8cac-4257-b5cc-94bc416a1c1d.00000")).unwrap(),
            set_command: "%CMNG".into(),
            parameters: format!("0,{},0,\"{}\"", 1000 + n, pem(n, 4000)),
            ignore_cme: vec![513, 514, 515, 518, 519, 520],
        })
        .collect()
}

fn corpora() -> Vec<Corpus> {
    let (sdk_commands, sdk_responses) = sdk_vectors();
    let command_corpus = |name, commands: Vec<Command>| Corpus {
        name,
        bytes: encode_commands(&commands).unwrap(),
        commands: Some(commands),
        responses: None,
    };
    let response_corpus = |name, responses: Vec<Response>| Corpus {
        name,
        bytes: encode_responses(&responses).unwrap(),
        commands: None,
        responses: Some(responses),
    };
    vec![
        command_corpus("sdk_vectors_commands", sdk_commands),
        response_corpus("sdk_vectors_responses", sdk_responses),
        command_corpus("config_20_commands", realistic_configuration()),
        response_corpus("keygen_csr_responses", keygen_responses()),
        command_corpus("max_batch", maximum_batch()),
    ]
}

/// A typed decode of the same bodies with `minicbor`, doing the work our decoder does
/// (walk every record, borrow its text, read its integers) so the ratio is fair.
mod with_minicbor {
    use minicbor::data::Type;
    use minicbor::decode::Error;
    use minicbor::Decoder;

    pub fn decode(bytes: &[u8]) -> Result<usize, Error> {
        let mut d = Decoder::new(bytes);
        let count = d.array()?.ok_or_else(|| Error::message("indefinite"))?;
        let mut seen = 0usize;
        for _ in 0..count {
            let len = d.array()?.ok_or_else(|| Error::message("indefinite"))?;
            seen += d.str()?.len();
            let kind = d.u32()?;
            match (kind, len) {
                (0, 5) => {
                    seen += d.str()?.len();
                    seen += d.str()?.len();
                    let n = d.array()?.unwrap_or(0);
                    for _ in 0..n {
                        seen += d.u32()? as usize;
                    }
                }
                (1, 3) => {
                    let n = d.map()?.unwrap_or(0);
                    for _ in 0..n {
                        seen += d.str()?.len() + d.str()?.len();
                    }
                }
                (99, 4) => {
                    seen += d.u32()? as usize;
                    seen += d.str()?.len();
                }
                (100, 3) => seen += d.str()?.len(),
                (2 | 101 | 102, 2) => {}
                _ => return Err(Error::message("unexpected record")),
            }
            if d.datatype().ok() == Some(Type::Break) {
                return Err(Error::message("unexpected break"));
            }
        }
        Ok(seen)
    }
}

fn codec(c: &mut Criterion) {
    for corpus in corpora() {
        let mut group = c.benchmark_group(format!("codec/{}", corpus.name));
        group.throughput(Throughput::Bytes(corpus.bytes.len() as u64));
        let len = corpus.bytes.len();
        group.bench_with_input(
            BenchmarkId::new("memcpy", len),
            &corpus.bytes,
            |b, bytes| {
                let mut out = vec![0u8; bytes.len()];
                b.iter(|| {
                    out.copy_from_slice(black_box(bytes));
                    black_box(&out);
                })
            },
        );
        if let Some(commands) = &corpus.commands {
            group.bench_with_input(
                BenchmarkId::new("provlab_decode", len),
                &corpus.bytes,
                |b, bytes| b.iter(|| decode_commands(black_box(bytes), 100).unwrap()),
            );
            group.bench_with_input(
                BenchmarkId::new("provlab_encode", len),
                commands,
                |b, commands| b.iter(|| encode_commands(black_box(commands)).unwrap()),
            );
        }
        if let Some(responses) = &corpus.responses {
            group.bench_with_input(
                BenchmarkId::new("provlab_decode", len),
                &corpus.bytes,
                |b, bytes| b.iter(|| decode_responses(black_box(bytes), 100).unwrap()),
            );
            group.bench_with_input(
                BenchmarkId::new("provlab_encode", len),
                responses,
                |b, responses| b.iter(|| encode_responses(black_box(responses)).unwrap()),
            );
        }
        group.bench_with_input(
            BenchmarkId::new("minicbor_decode", len),
            &corpus.bytes,
            |b, bytes| b.iter(|| with_minicbor::decode(black_box(bytes)).unwrap()),
        );
        group.finish();
    }
}

criterion_group!(benches, codec);
criterion_main!(benches);
