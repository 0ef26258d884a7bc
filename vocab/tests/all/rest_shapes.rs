//! Every request type against its REST JSON shape from service.md, both ways; the generic
//! content mapping; the messages for a malformed `request` object.
#![allow(clippy::unwrap_used)]

use provlab_vocab::request::COMMAND_TYPES;
use provlab_vocab::{
    AtCommandRequest, Certificate, CommandRequest, ConfigRequest, CsrRequest, Finished,
    KeyGeneration, Properties,
};
use serde_json::{json, Value};

/// Each type in its REST JSON shape, and the request it reads as.
fn every_type() -> Vec<(&'static str, CommandRequest)> {
    let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    vec![
        (
            r#"{"clientPrivateKeyGeneration":{"secTag":16842753}}"#,
            CommandRequest::ClientPrivateKeyGeneration(KeyGeneration { sec_tag: 16842753 }),
        ),
        (
            r#"{"certificateSigningRequest":{"secTag":16842753,"attributes":"CN=dev,O=Lab","keyUsage":"101010000"}}"#,
            CommandRequest::CertificateSigningRequest(CsrRequest {
                sec_tag: 16842753,
                attributes: Some("CN=dev,O=Lab".into()),
                key_usage: Some("101010000".into()),
            }),
        ),
        (
            r#"{"certificateSigningRequest":{"secTag":7}}"#,
            CommandRequest::CertificateSigningRequest(CsrRequest {
                sec_tag: 7,
                attributes: None,
                key_usage: None,
            }),
        ),
        (
            r#"{"cloudAccessKeyGeneration":{"secTag":3}}"#,
            CommandRequest::CloudAccessKeyGeneration(KeyGeneration { sec_tag: 3 }),
        ),
        (
            r#"{"clientCertificate":{"secTag":16842753,"content":"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"}}"#,
            CommandRequest::ClientCertificate(Certificate {
                sec_tag: 16842753,
                content: pem.into(),
            }),
        ),
        (
            r#"{"serverCertificate":{"secTag":42,"content":"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"}}"#,
            CommandRequest::ServerCertificate(Certificate {
                sec_tag: 42,
                content: pem.into(),
            }),
        ),
        (
            r#"{"config":{"properties":{"provisioning/interval-sec":"600","a/b":"c"}}}"#,
            CommandRequest::Config(ConfigRequest {
                properties: Properties(vec![
                    ("provisioning/interval-sec".into(), "600".into()),
                    ("a/b".into(), "c".into()),
                ]),
            }),
        ),
        (
            r#"{"atCommand":{"setCommand":"%XSYSTEMMODE","parameters":"1,0,1,0","ignoreCmeErrors":[513,514]}}"#,
            CommandRequest::AtCommand(AtCommandRequest {
                set_command: "%XSYSTEMMODE".into(),
                parameters: "1,0,1,0".into(),
                ignore_cme_errors: vec![513, 514],
            }),
        ),
        (
            r#"{"atCommand":{"setCommand":"+CFUN","parameters":"4"}}"#,
            CommandRequest::AtCommand(AtCommandRequest {
                set_command: "+CFUN".into(),
                parameters: "4".into(),
                ignore_cme_errors: vec![],
            }),
        ),
        (r#"{"finished":{}}"#, CommandRequest::Finished(Finished {})),
    ]
}

#[test]
fn every_type_reads_and_writes_its_rest_shape() {
    let mut seen = Vec::new();
    for (shape, request) in every_type() {
        let read: CommandRequest = serde_json::from_str(shape).unwrap();
        assert_eq!(read, request, "{shape}");
        assert_eq!(serde_json::to_string(&request).unwrap(), shape);
        assert!(shape.starts_with(&format!("{{\"{}\":", request.type_name())));
        seen.push(request.type_name());
    }
    for name in COMMAND_TYPES {
        assert!(seen.contains(&name), "{name} is not exercised");
    }
}

#[test]
fn optional_fields_take_their_defaults() {
    let at: CommandRequest =
        serde_json::from_value(json!({"atCommand": {"setCommand": "+CFUN"}})).unwrap();
    assert_eq!(
        at,
        CommandRequest::AtCommand(AtCommandRequest {
            set_command: "+CFUN".into(),
            parameters: String::new(),
            ignore_cme_errors: vec![],
        })
    );
    // CME codes may be numeric text, as some tools send them.
    let at: CommandRequest = serde_json::from_value(
        json!({"atCommand": {"setCommand": "%CMNG", "ignoreCmeErrors": ["513", 514]}}),
    )
    .unwrap();
    assert!(matches!(at, CommandRequest::AtCommand(a) if a.ignore_cme_errors == [513, 514]));
}

#[test]
fn malformed_requests_say_what_is_wrong() {
    let error = |v: Value| {
        serde_json::from_value::<CommandRequest>(v)
            .unwrap_err()
            .to_string()
    };
    assert!(error(json!({})).contains("the request object is empty"));
    assert!(
        error(json!({"finished": {}, "config": {"properties": {"a": "b"}}}))
            .contains("more than one command type")
    );
    assert!(error(json!({"reboot": {}})).contains("unknown variant `reboot`"));
    assert!(error(json!({"finished": {"now": true}})).contains("unknown field `now`"));
    assert!(error(json!({"clientCertificate": {"secTag": 1}})).contains("missing field `content`"));
    assert!(
        error(json!({"atCommand": {"setCommand": "+CFUN", "ignoreCmeErrors": ["x"]}}))
            .contains("\"x\" is not a CME error number")
    );
    let twice = r#"{"config": {"properties": {"a": "1", "a": "2"}}}"#;
    assert!(serde_json::from_str::<CommandRequest>(twice)
        .unwrap_err()
        .to_string()
        .contains("duplicate key \"a\""));
    assert!(error(json!("finished")).contains("exactly one command type"));
}

/// A scenario's content: a reference to resolve, or the text itself.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(untagged)]
enum Named {
    Text(String),
}

#[test]
fn content_maps_to_the_services_text() {
    let scenario: CommandRequest<Named> = serde_json::from_value(
        json!({"serverCertificate": {"secTag": 42, "content": "@lab-root-ca"}}),
    )
    .unwrap();
    assert_eq!(
        scenario.content(),
        Some(&Named::Text("@lab-root-ca".into()))
    );
    let resolved = scenario
        .clone()
        .try_map_content(|Named::Text(name)| match name.as_str() {
            "@lab-root-ca" => Ok("PEM".to_owned()),
            other => Err(format!("unknown {other}")),
        })
        .unwrap();
    assert_eq!(
        resolved,
        CommandRequest::ServerCertificate(Certificate {
            sec_tag: 42,
            content: "PEM".into(),
        })
    );
    let failed = scenario.try_map_content(|_| Err::<String, _>("no lab"));
    assert_eq!(failed, Err("no lab"));
    // Requests without content map unchanged, and `f` is not called.
    let finished: CommandRequest<Named> = CommandRequest::Finished(Finished {});
    let mapped: CommandRequest<usize> = finished.map_content(|_| unreachable!());
    assert_eq!(mapped, CommandRequest::Finished(Finished {}));
    let mut key: CommandRequest<String> =
        CommandRequest::ClientPrivateKeyGeneration(KeyGeneration { sec_tag: 1 });
    assert!(key.content_mut().is_none());
    let lengths = every_type()
        .into_iter()
        .filter_map(|(_, r)| r.map_content(|pem| pem.len()).content().copied())
        .count();
    assert_eq!(lengths, 2);
}
