//! REST command types → device records, exactly as service.md's table says; request JSON;
//! validation naming the field; what the service records from the answers.

#![allow(clippy::unwrap_used)]

use crate::common;

use common::{req, Dev, World, OWNER};
use provlab_proto::records::{Command, CorrelationId};
use provlab_server::domain::commands::{
    CommandRequest, CommandRequestExt as _, CommandStatus, DeviceResult,
};
use provlab_server::domain::service::{Fetch, NewCommand};
use provlab_server::domain::{CommandId, Error, Timestamp};

fn cid() -> CommandId {
    CommandId::parse("89ed369b-0fed-4194-a703-aabb7fe8130b").unwrap()
}

fn id(text: &str) -> CorrelationId {
    CorrelationId::new(text).unwrap()
}

fn at(idt: &str, set: &str, params: &str, ignore: &[u32]) -> Command {
    Command::At {
        id: id(idt),
        set_command: set.into(),
        parameters: params.into(),
        ignore_cme: ignore.to_vec(),
    }
}

const U: &str = "89ed369b-0fed-4194-a703-aabb7fe8130b";

#[test]
fn every_type_translates_to_the_tables_records() {
    let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
    let cases: Vec<(CommandRequest, Vec<Command>)> = vec![
        (
            req::keygen(16842753),
            vec![
                at(&format!("{U}.e.s"), "%CMNG", "3,16842753,2", &[513]),
                at(&format!("{U}.e"), "%KEYGEN", "16842753,2,1", &[]),
            ],
        ),
        (
            req::csr(16842753, "CN=dev,O=Nordic"),
            vec![
                at(&format!("{U}.e.s"), "%CMNG", "3,16842753,2", &[513]),
                at(
                    &format!("{U}.e"),
                    "%KEYGEN",
                    "16842753,2,0,\"CN=dev,O=Nordic\",\"101010000\"",
                    &[],
                ),
            ],
        ),
        (
            req::cloud_key(42),
            vec![
                at(&format!("{U}.e.s"), "%CMNG", "3,42,2", &[513]),
                at(&format!("{U}.e"), "%KEYGEN", "42,2,1", &[]),
            ],
        ),
        (
            req::client_cert(42, pem),
            vec![at(
                &format!("{U}.e"),
                "%CMNG",
                &format!("0,42,1,\"{pem}\""),
                &[],
            )],
        ),
        (
            req::server_cert(42, pem),
            vec![at(
                &format!("{U}.e"),
                "%CMNG",
                &format!("0,42,0,\"{pem}\""),
                &[],
            )],
        ),
        (
            req::config(&[("provisioning/interval-sec", "99"), ("a/b", "c")]),
            vec![Command::Config {
                id: id(&format!("{U}.e")),
                properties: vec![
                    ("provisioning/interval-sec".into(), "99".into()),
                    ("a/b".into(), "c".into()),
                ],
            }],
        ),
        (
            CommandRequest::AtCommand(provlab_server::domain::commands::AtCommandRequest {
                set_command: "%CMNG".into(),
                parameters: "3,16842753,2".into(),
                ignore_cme_errors: vec![513, 514],
            }),
            vec![at(&format!("{U}.e"), "%CMNG", "3,16842753,2", &[513, 514])],
        ),
        (
            req::finished(),
            vec![Command::Finished {
                id: id(&format!("{U}.e")),
            }],
        ),
    ];
    for (request, expected) in cases {
        request.validate().unwrap();
        assert_eq!(
            request.records(cid(), 0xe).unwrap(),
            expected,
            "{}",
            request.type_name()
        );
    }
}

#[test]
fn csr_parameters_with_optional_fields() {
    use provlab_server::domain::commands::CsrRequest;
    let csr = |a: Option<&str>, k: Option<&str>| {
        let r = CommandRequest::CertificateSigningRequest(CsrRequest {
            sec_tag: 7,
            attributes: a.map(Into::into),
            key_usage: k.map(Into::into),
        });
        match &r.records(cid(), 1).unwrap()[1] {
            Command::At { parameters, .. } => parameters.clone(),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(csr(None, None), "7,2,0");
    assert_eq!(csr(Some("CN=x"), None), "7,2,0,\"CN=x\"");
    assert_eq!(csr(None, Some("101010000")), "7,2,0,\"\",\"101010000\"");
}

#[test]
fn matches_the_sdk_vector_cmds2() {
    // cmds2 of the SDK vectors: the same records, byte for byte.
    let command = CommandId::parse("89ed369b-0fed-4194-a703-aabb7fe8130b").unwrap();
    let body = provlab_proto::records::encode_commands(
        &req::keygen(16842753).records(command, 0xe).unwrap(),
    )
    .unwrap();
    assert_eq!(
        hex::encode(body),
        "8285782838396564333639622d306665642d343139342d613730332d6161626237666538313330622e652e73006525434d4e476c332c31363834323735332c328119020185782638396564333639622d306665642d343139342d613730332d6161626237666538313330622e650067254b455947454e6c31363834323735332c322c3180"
    );
}

#[test]
fn rest_json_requests_parse() {
    let parse = |json: &str| serde_json::from_str::<NewCommand>(json);
    let c = parse(r#"{"description":"Generate CSR","request":{"certificateSigningRequest":{"attributes":"CN=x","keyUsage":"101010000","secTag":16842753}}}"#).unwrap();
    assert_eq!(c.request, req::csr(16842753, "CN=x"));
    assert_eq!(c.description, "Generate CSR");
    let c = parse(r#"{"request":{"finished":{}}}"#).unwrap();
    assert_eq!(c.request, req::finished());
    let c = parse(r#"{"request":{"atCommand":{"setCommand":"%CMNG","parameters":"3,1,2","ignoreCmeErrors":["513",514]}}}"#).unwrap();
    match c.request {
        CommandRequest::AtCommand(a) => assert_eq!(a.ignore_cme_errors, vec![513, 514]),
        other => panic!("{other:?}"),
    }
    let c = parse(r#"{"request":{"config":{"properties":{"z":"1","a":"2"}}}}"#).unwrap();
    assert_eq!(
        c.request,
        req::config(&[("z", "1"), ("a", "2")]),
        "object order is kept"
    );
    assert!(parse(r#"{"request":{"config":{"properties":{"a":"1","a":"2"}}}}"#).is_err());
    assert!(parse(r#"{"request":{"teleport":{}}}"#).is_err());
    assert!(parse(r#"{"request":{"clientCertificate":{"secTag":1}}}"#).is_err());
    // Serializing gives the REST spelling back.
    let json = serde_json::to_value(req::client_cert(3, "PEM")).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"clientCertificate": {"secTag": 3, "content": "PEM"}})
    );
}

#[test]
fn validation_names_the_field() {
    let field = |r: CommandRequest| match r.validate() {
        Err(Error::Invalid { field, .. }) => field,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        field(req::client_cert(1, "")),
        "request.clientCertificate.content"
    );
    assert_eq!(
        field(req::server_cert(1, "a\"b")),
        "request.serverCertificate.content"
    );
    assert_eq!(
        field(req::csr(1, "CN=\"x\"")),
        "request.certificateSigningRequest.attributes"
    );
    let mut bad_usage = req::csr(1, "CN=x");
    if let CommandRequest::CertificateSigningRequest(r) = &mut bad_usage {
        r.key_usage = Some("12".into());
    }
    assert_eq!(
        field(bad_usage),
        "request.certificateSigningRequest.keyUsage"
    );
    assert_eq!(field(req::config(&[])), "request.config.properties");
    assert_eq!(field(req::at("", "x")), "request.atCommand.setCommand");
    assert_eq!(
        field(req::at("+CFUN=1", "")),
        "request.atCommand.setCommand"
    );
    let too_many = CommandRequest::AtCommand(provlab_server::domain::commands::AtCommandRequest {
        set_command: "+X".into(),
        parameters: String::new(),
        ignore_cme_errors: vec![1, 2, 3, 4, 5, 6, 7],
    });
    assert_eq!(field(too_many), "request.atCommand.ignoreCmeErrors");
}

#[test]
fn at_most_twenty_commands_per_device() {
    let mut w = World::new();
    let dev = Dev::new(1);
    let d = w.claim(OWNER, &dev, &[]);
    for i in 0..20 {
        w.add(d, req::config(&[("k", &i.to_string())]));
    }
    let t = w.tick();
    let err = w
        .svc
        .add_command(
            t,
            Some(OWNER),
            d,
            &NewCommand {
                description: String::new(),
                request: req::finished(),
            },
        )
        .unwrap_err();
    assert_eq!(
        err,
        Error::TooManyCommands {
            device: d,
            limit: 20
        }
    );
    assert_eq!(err.http_status(), 409);
}

#[test]
fn sequences_are_hex_and_per_device() {
    let mut w = World::new();
    let dev = Dev::new(1);
    let d = w.claim(OWNER, &dev, &[]);
    let mut ids = Vec::new();
    for i in 0..17 {
        ids.push(w.add(d, req::config(&[("k", &i.to_string())])));
    }
    let Fetch::Records { records, .. } = w.fetch(d, "") else {
        panic!()
    };
    assert_eq!(records[0].id().as_str(), format!("{}.1", ids[0]));
    assert_eq!(records[9].id().as_str(), format!("{}.a", ids[9]));
    assert_eq!(records[16].id().as_str(), format!("{}.11", ids[16]));
}

#[test]
fn csr_answer_is_recorded_as_the_keygen_string() {
    let mut w = World::new();
    let dev = Dev::new(1);
    let d = w.claim(OWNER, &dev, &[]);
    let c = w.add(d, req::csr(16842753, &format!("CN={}", dev.uuid)));
    let records = w.run_device(&dev, "");
    assert_eq!(records.len(), 2);
    let entry = w.svc.get_command(Some(OWNER), d, c).unwrap();
    assert_eq!(entry.status, CommandStatus::Succeeded);
    let response = entry.response_json();
    let csr = response["certificateSigningRequest"]["csr"]
        .as_str()
        .unwrap();
    // What nRF Cloud's tools feed to their KEYGEN parser: `<b64url DER>.<b64url COSE>`.
    let output = provlab_proto::tokens::KeygenOutput::decode(csr).unwrap();
    output.verify(&dev.public()).unwrap();
    assert_eq!(
        output.csr().unwrap().common_name(),
        Some(dev.uuid.to_string().as_str())
    );
    assert!(response["certificateSigningRequest"]["message"]
        .as_str()
        .unwrap()
        .starts_with("%KEYGEN: \""));
    assert!(matches!(
        entry.delete_result,
        Some(DeviceResult::Succeeded { .. })
    ));
}

#[test]
fn cloud_access_key_is_recorded_on_the_device() {
    let mut w = World::new();
    let dev = Dev::new(1);
    let d = w.claim(OWNER, &dev, &[]);
    let c = w.add(d, req::cloud_key(16842753));
    w.run_device(&dev, "");
    let device = w.svc.get_device(Some(OWNER), d).unwrap();
    let key = device.cloud_access_key.clone().unwrap();
    let entry = w.svc.get_command(Some(OWNER), d, c).unwrap();
    assert_eq!(
        entry.response_json()["cloudAccessKeyGeneration"]["publicKey"],
        key.as_str()
    );
    let der = provlab_proto::b64::decode(&key).unwrap();
    provlab_proto::tokens::csr::parse_public_key_der(&der).unwrap();
}

#[test]
fn unreadable_keygen_answer_still_succeeds_with_a_parse_error() {
    let mut w = World::new();
    let dev = Dev::new(1);
    let d = w.claim(OWNER, &dev, &[]);
    let c = w.add(d, req::keygen(5));
    let Fetch::Records { records, .. } = w.fetch(d, "") else {
        panic!()
    };
    let responses = vec![
        provlab_proto::records::Response::AtOk {
            id: records[0].id().clone(),
            message: String::new(),
        },
        provlab_proto::records::Response::AtOk {
            id: records[1].id().clone(),
            message: "%KEYGEN: \"garbage.x\"".into(),
        },
    ];
    w.respond(d, &responses);
    let entry = w.svc.get_command(Some(OWNER), d, c).unwrap();
    assert_eq!(entry.status, CommandStatus::Succeeded);
    assert!(entry.response_json()["clientPrivateKeyGeneration"]["parseError"].is_string());
}

#[test]
fn failure_response_json_carries_the_cme_error() {
    let mut w = World::new();
    let dev = Dev::new(1);
    let d = w.claim(OWNER, &dev, &[]);
    let c = w.add(d, req::server_cert(42, "PEM"));
    let Fetch::Records { records, .. } = w.fetch(d, "") else {
        panic!()
    };
    w.respond(d, &dev.answer(&records, Some((0, 518))));
    let entry = w.svc.get_command(Some(OWNER), d, c).unwrap();
    assert_eq!(
        entry.response_json(),
        serde_json::json!({"serverCertificate": {"cmeError": 518, "message": ""}})
    );
    let _ = Timestamp::from_millis(0);
}
