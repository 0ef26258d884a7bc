//! One test per command row of `modem.md`, plus CFUN gating, CMEE framing, token checks and
//! seed determinism.
#![allow(clippy::unwrap_used)]

use provlab_modem::imei::is_valid_imei;
use provlab_modem::{content_sha, keys, CredKey, Modem, ModemConfig, Reply};
use provlab_proto::at::{Answer, AnswerEvent, AnswerParser, CmeCode, FinalResult};
use provlab_proto::jwt::{self, Validation};
use provlab_proto::tokens::{AttestationToken, KeygenContent, KeygenOutput, Uuid};
use sha2::{Digest as _, Sha256};

const NOW: u64 = 1_700_000_000;
const TAG: u32 = 16842753;

fn modem() -> Modem {
    Modem::new(ModemConfig::from_seed(1)).unwrap()
}

fn run(m: &mut Modem, line: &str) -> Reply {
    let reply = m.execute(NOW, line.as_bytes());
    // Every answer must frame so that a host parses it back identically.
    reply.answer.validate().unwrap();
    let events = AnswerParser::new().push(reply.text.as_bytes());
    match events.as_slice() {
        [AnswerEvent::Complete { answer, raw }] => {
            assert_eq!(raw, &reply.text);
            assert_eq!(answer.info, reply.answer.info, "{line}");
        }
        other => panic!("{line}: {other:?}"),
    }
    reply
}

fn ok(m: &mut Modem, line: &str) -> Vec<String> {
    let reply = run(m, line);
    assert_eq!(
        reply.answer.result,
        FinalResult::Ok,
        "{line}: {:?}",
        reply.text
    );
    reply.answer.info
}

fn cme(m: &mut Modem, line: &str) -> FinalResult {
    run(m, line).answer.result
}

/// The quoted value of an info line `<prefix>"<value>"`.
fn quoted<'a>(line: &'a str, prefix: &str) -> &'a str {
    line.strip_prefix(prefix)
        .and_then(|r| r.strip_prefix('"'))
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or_else(|| panic!("{line:?} is not {prefix}\"…\""))
}

#[test]
fn at_answers_ok() {
    let mut m = modem();
    assert_eq!(run(&mut m, "AT").text, "OK\r\n");
    assert_eq!(run(&mut m, "at").text, "OK\r\n");
    assert_eq!(run(&mut m, "AT?").text, "ERROR\r\n");
}

#[test]
fn cmee_set_read_test() {
    let mut m = modem();
    assert!(!m.cmee());
    assert_eq!(ok(&mut m, "AT+CMEE?"), vec!["+CMEE: 0"]);
    assert_eq!(run(&mut m, "AT+CMEE=1").text, "OK\r\n");
    assert!(m.cmee());
    assert_eq!(ok(&mut m, "AT+CMEE?"), vec!["+CMEE: 1"]);
    assert_eq!(ok(&mut m, "AT+CMEE=?"), vec!["+CMEE: (0,1)"]);
    assert_eq!(run(&mut m, "AT+CMEE=2").answer, Answer::error());
    assert_eq!(run(&mut m, "AT+CMEE=0").text, "OK\r\n");
    assert!(!m.cmee());
}

#[test]
fn cfun_stores_the_mode() {
    let mut m = modem();
    assert_eq!(ok(&mut m, "AT+CFUN?"), vec!["+CFUN: 0"]);
    for mode in [0, 1, 2, 4, 20, 21, 44] {
        ok(&mut m, &format!("AT+CFUN={mode}"));
        assert_eq!(ok(&mut m, "AT+CFUN?"), vec![format!("+CFUN: {mode}")]);
    }
    // GNSS / UICC modes are accepted and leave the LTE mode alone.
    ok(&mut m, "AT+CFUN=4");
    for mode in [30, 31, 40, 41] {
        ok(&mut m, &format!("AT+CFUN={mode}"));
        assert_eq!(ok(&mut m, "AT+CFUN?"), vec!["+CFUN: 4"]);
    }
    for bad in [
        "AT+CFUN=3",
        "AT+CFUN=5",
        "AT+CFUN=",
        "AT+CFUN=a",
        "AT+CFUN=1,1",
        "AT+CFUN",
    ] {
        assert_eq!(run(&mut m, bad).answer, Answer::error(), "{bad}");
    }
    assert_eq!(
        ok(&mut m, "AT+CFUN=?"),
        vec!["+CFUN: (0,1,2,4,20,21,30,31,40,41,44)"]
    );
}

#[test]
fn cgsn_bare_and_quoted_imei() {
    let mut m = modem();
    let imei = m.identity().imei.clone();
    assert!(is_valid_imei(&imei));
    assert_eq!(run(&mut m, "AT+CGSN").text, format!("{imei}\r\nOK\r\n"));
    assert_eq!(ok(&mut m, "AT+CGSN=0"), vec![imei.clone()]);
    assert_eq!(ok(&mut m, "AT+CGSN=1"), vec![format!("+CGSN: \"{imei}\"")]);
    // The shell-mode probe sent in AT mode fails at once.
    assert_eq!(run(&mut m, "at AT+CGSN").text, "ERROR\r\n");
}

#[test]
fn cgmm_and_cgmr_report_model_and_firmware() {
    let mut m = modem();
    assert_eq!(ok(&mut m, "AT+CGMM"), vec!["nRF9160-SICA"]);
    assert_eq!(ok(&mut m, "AT+CGMR"), vec!["mfw_nrf9160_1.3.5"]);
    let mut m = Modem::new(
        ModemConfig::from_seed(1)
            .model("nRF9161-LACA")
            .firmware("mfw_nrf91x1_2.0.1"),
    )
    .unwrap();
    assert_eq!(ok(&mut m, "AT+CGMM"), vec!["nRF9161-LACA"]);
    assert_eq!(ok(&mut m, "AT+CGMR"), vec!["mfw_nrf91x1_2.0.1"]);
    assert_eq!(m.identity().device_type.code(), 4);
    assert_eq!(run(&mut m, "AT+CGMM?").answer, Answer::error());
}

#[test]
fn xmodemuuid_reports_the_firmware_uuid() {
    let mut m = modem();
    let fw = m.identity().firmware_uuid;
    assert_eq!(
        ok(&mut m, "AT%XMODEMUUID"),
        vec![format!("%XMODEMUUID: {fw}")]
    );
}

#[test]
fn cclk_needs_network_time() {
    let mut m = modem();
    assert_eq!(
        ok(&mut m, "AT%CCLK?"),
        vec!["%CCLK: \"23/11/14,22:13:20+00\",0"]
    );
    assert_eq!(
        ok(&mut m, "AT+CCLK?"),
        vec!["+CCLK: \"23/11/14,22:13:20+00\""]
    );
    let mut m = Modem::new(ModemConfig::from_seed(1).network_time(false)).unwrap();
    ok(&mut m, "AT+CMEE=1");
    assert_eq!(run(&mut m, "AT%CCLK?").text, "ERROR\r\n");
    assert_eq!(run(&mut m, "AT+CCLK?").text, "ERROR\r\n");
    m.set_network_time(true);
    ok(&mut m, "AT%CCLK?");
}

#[test]
fn attesttoken_decodes_to_this_modem() {
    let mut m = modem();
    let info = ok(&mut m, "AT%ATTESTTOKEN");
    assert_eq!(info.len(), 1);
    let token = AttestationToken::decode(quoted(&info[0], "%ATTESTTOKEN: ")).unwrap();
    token.verify(m.identity().verifying_key()).unwrap();
    let a = token.attestation();
    assert_eq!(a.device_uuid, m.identity().device_uuid);
    assert_eq!(a.modem_fw_uuid, m.identity().firmware_uuid);
    assert_eq!(a.device_type.code(), 3);
    // A fresh nonce every time.
    let again = ok(&mut m, "AT%ATTESTTOKEN");
    assert_ne!(info, again);
    // A given challenge is the nonce.
    let info = ok(
        &mut m,
        "AT%ATTESTTOKEN=\"000102030405060708090a0b0c0d0e0f\"",
    );
    let token = AttestationToken::decode(quoted(&info[0], "%ATTESTTOKEN: ")).unwrap();
    assert_eq!(
        token.attestation().nonce,
        *b"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"
    );
    assert_eq!(run(&mut m, "AT%ATTESTTOKEN=\"00\"").answer, Answer::error());
}

fn keygen(m: &mut Modem, line: &str) -> KeygenOutput {
    let info = ok(m, line);
    assert_eq!(info.len(), 1);
    let output = KeygenOutput::decode(quoted(&info[0], "%KEYGEN: ")).unwrap();
    output.verify(m.identity().verifying_key()).unwrap();
    output
}

#[test]
fn keygen_csr_has_device_cn_and_verifying_cose() {
    let mut m = modem();
    let out = keygen(&mut m, &format!("AT%KEYGEN={TAG},2,0"));
    assert_eq!(out.content(), KeygenContent::Csr);
    assert_eq!(out.payload().content.message_type(), 9);
    assert_eq!(out.sec_tag(), TAG);
    assert_eq!(out.payload().device_uuid, m.identity().device_uuid);
    let csr = out.csr().unwrap();
    csr.verify().unwrap();
    let uuid = m.identity().device_uuid.to_string();
    assert_eq!(csr.common_name(), Some(uuid.as_str()));
    // The new private key is stored at (tag, 2) and matches the CSR.
    let pem = m.credentials().get(CredKey::new(TAG, 2)).unwrap().to_vec();
    let key = keys::from_pem(&pem).unwrap();
    assert_eq!(key.verifying_key(), csr.public_key());
    assert_eq!(
        ok(&mut m, &format!("AT%CMNG=1,{TAG}")),
        vec![format!("%CMNG: {TAG},2,\"{}\"", content_sha(&pem))]
    );
    // Default response content is the CSR too; each key is new.
    let again = keygen(&mut m, &format!("AT%KEYGEN={TAG},2"));
    assert_eq!(again.content(), KeygenContent::Csr);
    assert_ne!(again.public_key().unwrap(), *key.verifying_key());
}

#[test]
fn keygen_public_key_and_attributes() {
    let mut m = modem();
    let out = keygen(&mut m, "AT%KEYGEN=5,2,1");
    assert_eq!(out.content(), KeygenContent::PublicKey);
    assert_eq!(out.payload().content.message_type(), 8);
    let key = keys::from_pem(m.credentials().get(CredKey::new(5, 2)).unwrap()).unwrap();
    assert_eq!(out.public_key().unwrap(), *key.verifying_key());

    let out = keygen(&mut m, "AT%KEYGEN=6,2,0,\"O=Acme,CN=dev-1\",\"101010000\"");
    let csr = out.csr().unwrap();
    assert_eq!(csr.common_name(), Some("dev-1"));
    assert_eq!(csr.key_usage().unwrap().to_string(), "101010000");
    let out = keygen(&mut m, "AT%KEYGEN=7,2,0,\"O=Acme\"");
    let uuid = m.identity().device_uuid.to_string();
    assert_eq!(out.csr().unwrap().common_name(), Some(uuid.as_str()));

    for bad in [
        "AT%KEYGEN=7,2,0,\"XX=1\"",
        "AT%KEYGEN=7,2,2",
        "AT%KEYGEN=7,3,0",
        "AT%KEYGEN=7",
        "AT%KEYGEN",
    ] {
        assert_eq!(run(&mut m, bad).answer, Answer::error(), "{bad}");
    }
}

#[test]
fn keygen_endorsement_key_is_reused() {
    let mut m = modem();
    let first = keygen(&mut m, "AT%KEYGEN=9,8");
    assert_eq!(first.content(), KeygenContent::PublicKey);
    let stored = m.credentials().get(CredKey::new(9, 8)).unwrap().to_vec();
    let second = keygen(&mut m, "AT%KEYGEN=9,8,0");
    assert_eq!(first.public_key().unwrap(), second.public_key().unwrap());
    assert_eq!(m.credentials().get(CredKey::new(9, 8)).unwrap(), stored);
    // The nonce differs, so the answers differ.
    assert_ne!(first.encode(), second.encode());
}

#[test]
fn cmng_write_list_sha() {
    let mut m = modem();
    let ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    assert_eq!(
        run(&mut m, &format!("AT%CMNG=0,{TAG},0,\"{ca}\"")).text,
        "OK\r\n"
    );
    ok(&mut m, "AT%CMNG=0,3,4,\"identity\",\"ignored\"");
    ok(&mut m, &format!("AT%CMNG=0,{TAG},1,\"cert\""));
    let sha = hex::encode_upper(Sha256::digest(ca.as_bytes()));
    assert_eq!(content_sha(ca.as_bytes()), sha);
    let list = ok(&mut m, "AT%CMNG=1");
    assert_eq!(
        list,
        vec![
            format!("%CMNG: 3,4,\"{}\"", content_sha(b"identity")),
            format!("%CMNG: {TAG},0,\"{sha}\""),
            format!("%CMNG: {TAG},1,\"{}\"", content_sha(b"cert")),
        ]
    );
    assert_eq!(ok(&mut m, &format!("AT%CMNG=1,{TAG}")).len(), 2);
    assert_eq!(
        ok(&mut m, &format!("AT%CMNG=1,{TAG},1")),
        vec![format!("%CMNG: {TAG},1,\"{}\"", content_sha(b"cert"))]
    );
    assert!(ok(&mut m, "AT%CMNG=1,99").is_empty());
    // Overwrite replaces.
    ok(&mut m, "AT%CMNG=0,3,4,\"other\"");
    assert_eq!(
        ok(&mut m, "AT%CMNG=1,3"),
        vec![format!("%CMNG: 3,4,\"{}\"", content_sha(b"other"))]
    );
    for bad in [
        "AT%CMNG=0,1,0",
        "AT%CMNG=0,1,0,\"\"",
        "AT%CMNG=0,1,0,unquoted",
        "AT%CMNG=0,2147483648,0,\"x\"",
        "AT%CMNG=0,1,9,\"x\"",
        "AT%CMNG=4",
        "AT%CMNG?",
    ] {
        assert_eq!(run(&mut m, bad).answer, Answer::error(), "{bad}");
    }
    ok(&mut m, "AT+CMEE=1");
    assert_eq!(
        cme(&mut m, "AT%CMNG=0,1,8,\"x\""),
        FinalResult::CmeError(CmeCode::NotAllowed.code())
    );
}

#[test]
fn cmng_read_round_trips_multiline_pem() {
    let mut m = modem();
    for (tag, pem) in [
        (
            1,
            "-----BEGIN CERTIFICATE-----\r\nMIIBszCCAVmgAwIBAgIU\r\n-----END CERTIFICATE-----\r\n",
        ),
        (
            2,
            "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\nabc\n-----END CERTIFICATE-----",
        ),
    ] {
        let mut assembler = provlab_proto::at::LineAssembler::new();
        let wire = format!("AT%CMNG=0,{tag},0,\"{pem}\"\r\n");
        let lines = assembler.push(wire.as_bytes());
        let [provlab_proto::at::LineEvent::Line(line)] = lines.as_slice() else {
            panic!("{lines:?}")
        };
        assert_eq!(m.execute(NOW, line).text, "OK\r\n");
        let info = ok(&mut m, &format!("AT%CMNG=2,{tag},0"));
        assert_eq!(
            info,
            vec![format!(
                "%CMNG: {tag},0,\"{}\",\"{pem}\"",
                content_sha(pem.as_bytes())
            )]
        );
        assert_eq!(
            m.credentials().get(CredKey::new(tag, 0)).unwrap(),
            pem.as_bytes()
        );
    }
}

#[test]
fn cmng_read_refuses_keys_and_missing() {
    let mut m = modem();
    ok(&mut m, "AT+CMEE=1");
    ok(&mut m, "AT%KEYGEN=4,2");
    ok(&mut m, "AT%CMNG=0,4,3,\"00112233\"");
    assert_eq!(cme(&mut m, "AT%CMNG=2,4,2"), FinalResult::CmeError(514));
    assert_eq!(cme(&mut m, "AT%CMNG=2,4,3"), FinalResult::CmeError(514));
    assert_eq!(cme(&mut m, "AT%CMNG=2,4,0"), FinalResult::CmeError(513));
    assert_eq!(run(&mut m, "AT%CMNG=2,4").answer, Answer::error());
}

#[test]
fn cmng_delete() {
    let mut m = modem();
    ok(&mut m, "AT+CMEE=1");
    ok(&mut m, "AT%CMNG=0,8,1,\"x\"");
    assert_eq!(run(&mut m, "AT%CMNG=3,8,1").text, "OK\r\n");
    assert!(m.credentials().is_empty());
    assert_eq!(run(&mut m, "AT%CMNG=3,8,1").text, "+CME ERROR: 513\r\n");
}

#[test]
fn cmee_frames_cme_errors() {
    let mut m = modem();
    assert_eq!(run(&mut m, "AT%CMNG=3,1,0").text, "ERROR\r\n");
    assert_eq!(
        run(&mut m, "AT%CMNG=3,1,0").answer,
        Answer::cme(CmeCode::NotFound)
    );
    ok(&mut m, "AT+CMEE=1");
    assert_eq!(run(&mut m, "AT%CMNG=3,1,0").text, "+CME ERROR: 513\r\n");
    // Unknown commands stay plain ERROR.
    assert_eq!(run(&mut m, "AT+FOO").text, "ERROR\r\n");
}

#[test]
fn online_modes_refuse_credential_changes_with_518() {
    for mode in [1, 2, 21] {
        let mut m = modem();
        ok(&mut m, "AT+CMEE=1");
        ok(&mut m, "AT%CMNG=0,1,0,\"ca\"");
        ok(&mut m, &format!("AT+CFUN={mode}"));
        assert!(m.is_online());
        for line in [
            "AT%CMNG=0,1,1,\"x\"",
            "AT%CMNG=3,1,0",
            "AT%KEYGEN=1,2,0",
            "AT%KEYGEN=1,8",
        ] {
            assert_eq!(
                run(&mut m, line).text,
                "+CME ERROR: 518\r\n",
                "CFUN={mode} {line}"
            );
        }
        // Reads still work online.
        assert_eq!(ok(&mut m, "AT%CMNG=1").len(), 1);
        ok(&mut m, "AT%CMNG=2,1,0");
        ok(&mut m, "AT%JWT=0,300,\"\",\"\"");
        ok(&mut m, "AT+CFUN=4");
        ok(&mut m, "AT%CMNG=3,1,0");
        ok(&mut m, "AT%KEYGEN=1,2,0");
    }
}

#[test]
fn jwt_with_identity_key() {
    let mut m = modem();
    let info = ok(&mut m, "AT%JWT=0,300,\"\",\"\"");
    let token = quoted(&info[0], "%JWT: ");
    let claims = jwt::verify(token, m.identity().verifying_key(), NOW + 1).unwrap();
    let id = m.identity();
    assert_eq!(
        claims.iss.as_deref(),
        Some(format!("nRF9160.{}", id.device_uuid).as_str())
    );
    let jti = claims.jti.clone().unwrap();
    let prefix = format!("nRF9160.{}.", id.firmware_uuid);
    let random = jti.strip_prefix(&prefix).unwrap();
    assert_eq!(random.len(), 32);
    assert!(random.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(claims.iat, Some(NOW));
    assert_eq!(claims.exp, Some(NOW + 300));
    assert_eq!((claims.sub.as_deref(), claims.aud.as_deref()), (None, None));
    assert_eq!(claims.device_uuid(), Some(id.device_uuid));
    assert_eq!(claims.modem_fw_uuid(), Some(id.firmware_uuid));
    // A new jti every time.
    let again = ok(&mut m, "AT%JWT=0,300,\"\",\"\"");
    assert_ne!(info, again);
}

#[test]
fn jwt_options_and_errors() {
    let mut m = Modem::new(ModemConfig::from_seed(3).model("nRF9151-LACA")).unwrap();
    ok(&mut m, "AT+CMEE=1");
    let info = ok(&mut m, "AT%JWT=0,0,\"me\",\"them\"");
    let unverified = jwt::decode_unverified(quoted(&info[0], "%JWT: ")).unwrap();
    let relaxed = Validation {
        require_exp: false,
        ..Validation::at(NOW)
    };
    let claims = unverified
        .verify(m.identity().verifying_key(), &relaxed)
        .unwrap();
    assert_eq!((claims.iat, claims.exp), (None, None));
    assert_eq!(claims.sub.as_deref(), Some("me"));
    assert_eq!(claims.aud.as_deref(), Some("them"));
    assert_eq!(claims.chip(), Some("nRF9151"));
    // All parameters optional.
    ok(&mut m, "AT%JWT=");
    ok(&mut m, "AT%JWT=,,,");

    // With a client key.
    ok(&mut m, "AT%KEYGEN=77,2");
    let key = keys::from_pem(m.credentials().get(CredKey::new(77, 2)).unwrap()).unwrap();
    let info = ok(&mut m, "AT%JWT=0,60,\"\",\"\",77,2");
    let token = quoted(&info[0], "%JWT: ");
    jwt::verify(token, key.verifying_key(), NOW).unwrap();
    assert!(jwt::verify(token, m.identity().verifying_key(), NOW).is_err());

    for (line, code) in [
        ("AT%JWT=1,60,\"\",\"\"", 50),
        ("AT%JWT=0,-1,\"\",\"\"", 50),
        ("AT%JWT=0,60,sub,\"\"", 50),
        ("AT%JWT=0,60,\"\",\"\",77", 50),
        ("AT%JWT=0,60,\"\",\"\",77,0", 50),
        ("AT%JWT=0,60,\"\",\"\",78,2", 513),
    ] {
        assert_eq!(cme(&mut m, line), FinalResult::CmeError(code), "{line}");
    }
    ok(&mut m, "AT%CMNG=0,79,2,\"not a key\"");
    assert_eq!(
        cme(&mut m, "AT%JWT=0,60,\"\",\"\",79,2"),
        FinalResult::CmeError(514)
    );
    m.set_network_time(false);
    assert_eq!(
        cme(&mut m, "AT%JWT=0,60,\"\",\"\""),
        FinalResult::CmeError(525)
    );
    ok(&mut m, "AT%JWT=0,0,\"\",\"\"");
}

#[test]
fn unknown_and_malformed_lines_fail_fast() {
    let mut m = modem();
    ok(&mut m, "AT+CMEE=1");
    for line in [
        &b"AT+NOPE"[..],
        b"AT%XYZ=1",
        b"at AT+CGSN",
        b"ATI",
        b"hello",
        b"AT\xff",
        b"AT%CMNG=0,1,0,\"unterminated",
        b"",
    ] {
        assert_eq!(m.execute(NOW, line).text, "ERROR\r\n", "{line:?}");
    }
}

#[test]
fn command_names_are_case_insensitive() {
    let mut m = modem();
    let imei = m.identity().imei.clone();
    assert_eq!(ok(&mut m, "at+cgsn=1"), vec![format!("+CGSN: \"{imei}\"")]);
    ok(&mut m, "At%Cmng=0,1,0,\"Case Kept\"");
    assert_eq!(
        ok(&mut m, "aT%cMnG=2,1,0"),
        vec![format!(
            "%CMNG: 1,0,\"{}\",\"Case Kept\"",
            content_sha(b"Case Kept")
        )]
    );
    ok(&mut m, "at%xmodemuuid");
}

#[test]
fn same_seed_same_bytes() {
    let script = [
        "AT+CMEE=1",
        "AT+CGSN=1",
        "AT%XMODEMUUID",
        "AT%ATTESTTOKEN",
        "AT%KEYGEN=16842753,2,0",
        "AT%KEYGEN=16842753,8",
        "AT%CMNG=0,16842753,0,\"ca\"",
        "AT%CMNG=1",
        "AT%JWT=0,300,\"\",\"\"",
        "AT%CMNG=3,16842753,2",
        "AT%CMNG=3,16842753,2",
        "AT%CCLK?",
    ];
    let transcript = |seed: u64| -> Vec<String> {
        let mut m = Modem::new(ModemConfig::from_seed(seed)).unwrap();
        script
            .iter()
            .enumerate()
            .map(|(i, line)| m.execute(NOW + i as u64, line.as_bytes()).text)
            .collect()
    };
    let a = transcript(11);
    assert_eq!(a, transcript(11));
    let b = transcript(12);
    assert_ne!(a, b);
    assert_eq!(a[0], b[0]);
}

#[test]
fn explicit_identity_is_used() {
    let base = Modem::new(ModemConfig::from_seed(5)).unwrap();
    let identity = base.identity().clone();
    let mut m =
        Modem::new(ModemConfig::from_identity(identity.clone(), 99).model("nRF9160-SIBA")).unwrap();
    assert_eq!(m.identity().device_uuid, identity.device_uuid);
    assert_eq!(m.identity().device_type.code(), 2);
    let info = ok(&mut m, "AT%ATTESTTOKEN");
    let token = AttestationToken::decode(quoted(&info[0], "%ATTESTTOKEN: ")).unwrap();
    token.verify(identity.verifying_key()).unwrap();
    assert_eq!(token.attestation().device_uuid, identity.device_uuid);
    assert!(Uuid::parse(&identity.device_uuid.to_string()).is_ok());
}

#[test]
fn modem_can_move_to_a_server_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<Modem>();
    assert_send::<Reply>();
}
