//! Fuzzes the CSR and PEM parsers of external input: a `%KEYGEN` CSR's DER
//! (`proto::tokens::Csr::parse`, `verify`), a public key's DER, the `%KEYGEN` subject
//! attribute and key usage texts, a private key written with `%CMNG=0,<tag>,2`
//! (`modem::keys::from_pem`) and a root CA stored at a sec tag (`sim::net::RootCa::from_pem`).
//!
//! Invariants: nothing panics; a parsed CSR rebuilt with a fixed key from its subject, key
//! usage and algorithm form parses to the same three and verifies; parsed attribute text
//! printed and parsed again gives the same subject; key usage stays within nine bits; a parsed
//! key re-encodes to PEM that parses to the same key; a parsed root CA holds at least one
//! certificate, its certificates written again as PEM parse to the same DER, and its trust
//! store is built or refused with a typed error (an empty `CERTIFICATE` block parses to an
//! empty DER, which only the store refuses: the board fails to connect with a root CA error
//! either way). The bytes go through every parser (text ones when they are UTF-8).
#![no_main]

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use p256::ecdsa::SigningKey;
use provlab_modem::keys;
use provlab_proto::tokens::csr::{parse_public_key_der, public_key_der};
use provlab_proto::tokens::{build_csr, Csr, CsrParams, KeyUsageBits, Subject};
use provlab_sim::net::RootCa;

fn key() -> SigningKey {
    SigningKey::from_slice(&[0x42; 32]).expect("a valid scalar")
}

fn rebuild(params: &CsrParams) {
    let key = key();
    // Values a CSR carries but cannot be written again (a country that is not printable).
    let Ok(der) = build_csr(&key, params) else {
        return;
    };
    let csr = Csr::parse(&der).expect("a CSR we built parses");
    assert_eq!(csr.subject(), &params.subject);
    assert_eq!(csr.key_usage(), Some(params.key_usage));
    assert_eq!(csr.form(), params.form);
    assert_eq!(csr.public_key(), key.verifying_key());
    csr.verify().expect("a CSR we signed verifies");
}

fn der(data: &[u8]) {
    if let Ok(csr) = Csr::parse(data) {
        let _ = csr.verify();
        let _ = csr.common_name();
        let _ = csr.subject().to_string();
        rebuild(&CsrParams {
            subject: csr.subject().clone(),
            key_usage: csr.key_usage().unwrap_or(KeyUsageBits::MODEM_DEFAULT),
            form: csr.form(),
        });
    }
    if let Ok(public) = parse_public_key_der(data) {
        let der = public_key_der(&public).expect("a parsed key encodes");
        assert_eq!(parse_public_key_der(&der).ok(), Some(public));
    }
    if let Ok(private) = keys::from_pem(data) {
        let pem = keys::to_pem(&private).expect("a parsed key encodes");
        assert_eq!(keys::from_pem(pem.as_bytes()).ok(), Some(private));
    }
    if let Ok(root) = RootCa::from_pem(data) {
        assert!(!root.certs().is_empty());
        let mut pem = String::new();
        for cert in root.certs() {
            pem.push_str("-----BEGIN CERTIFICATE-----\n");
            let text = STANDARD.encode(cert.as_ref());
            for line in text.as_bytes().chunks(64) {
                pem.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
                pem.push('\n');
            }
            pem.push_str("-----END CERTIFICATE-----\n");
        }
        let again = RootCa::from_pem(pem.as_bytes()).expect("written again, it parses");
        assert_eq!(again.certs(), root.certs());
        let _ = root.store();
    }
}

fn text(text: &str) {
    if let Ok(usage) = KeyUsageBits::parse(text) {
        assert!(usage.bits() <= 0x1ff);
        assert_eq!(text.len(), 9);
    }
    if let Ok(subject) = Subject::parse_attributes(text) {
        let printed = subject.to_string();
        assert_eq!(
            Subject::parse_attributes(&printed).as_ref(),
            Ok(&subject),
            "attributes printed as {printed:?}"
        );
        rebuild(&CsrParams {
            subject,
            key_usage: KeyUsageBits::MODEM_DEFAULT,
            form: Default::default(),
        });
    }
}

fuzz_target!(|data: &[u8]| {
    der(data);
    if let Ok(t) = std::str::from_utf8(data) {
        text(t);
    }
});
