//! PKCS#10 certificate signing requests (RFC 2986) as the nRF91 modem emits them for
//! `AT%KEYGEN=<tag>,2,0[,"<attributes>"[,"<key usage>"]]`.
//!
//! Observed shape (a real modem CSR from the tests of nRF Cloud's `modem_credentials_parser.py`,
//! github.com/nRFCloud/utils `tests/test_modem_credentials_parser.py`, whose SHA-256 is the
//! digest in our `keygen_cose_part` vector):
//! * version 0, subject `CN=<device uuid>` as a UTF8String,
//! * an id-ecPublicKey / prime256v1 `SubjectPublicKeyInfo`,
//! * one `extensionRequest` attribute holding a non-critical keyUsage extension with
//!   digitalSignature, nonRepudiation, keyEncipherment and keyAgreement (`03 02 03 e8`),
//! * signature algorithm ecdsa-with-SHA256 **with an explicit NULL parameter** (`05 00`, which
//!   RFC 5758 §3.2 says to omit; nRF Cloud's parser "normalizes" it away before handing the
//!   CSR to strict libraries), and a DER ECDSA signature.
//!
//! [`build_csr`] reproduces that byte layout ([`SignatureAlgorithmForm::LegacyNull`], the
//! default) or the RFC 5758 form ([`SignatureAlgorithmForm::Plain`]); [`Csr::parse`] reads
//! either back and [`Csr::verify`] checks the self-signature.
//!
//! Ours (not observed): how `attributes` text maps to the subject. Each comma-separated `K=V`
//! becomes one RDN in text order, keys C, ST, L, O, OU and CN (case-insensitive, surrounding
//! spaces trimmed, no escaping), C as a PrintableString of two characters and the rest as
//! UTF8String; when the text has no CN, `CN=<device uuid>` is appended.

use core::fmt;

use der::asn1::Utf8StringRef;
use der::asn1::{Any, BitString, ObjectIdentifier, OctetString, PrintableStringRef, SetOfVec};
use der::oid::db::{rfc4519, rfc5280, rfc5912};
use der::{Decode, Encode, Reader as _, Tagged as _};
use p256::ecdsa::signature::{Signer as _, Verifier as _};
use p256::ecdsa::{DerSignature, Signature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePublicKey as _, EncodePublicKey as _};
use x509_cert::attr::{Attribute, AttributeTypeAndValue};
use x509_cert::ext::pkix::name::DirectoryString;
use x509_cert::ext::pkix::{KeyUsage, KeyUsages};
use x509_cert::ext::Extension;
use x509_cert::name::{RdnSequence, RelativeDistinguishedName};
use x509_cert::request::{CertReq, CertReqInfo, ExtensionReq, Version};
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

use super::uuid::Uuid;

/// Why a CSR could not be built, parsed or verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsrError {
    /// The `%KEYGEN` attributes text is not a list of `K=V` pairs with known keys.
    #[error("CSR attributes text at byte {offset}: {reason}")]
    Attributes {
        /// Byte offset within the attributes text.
        offset: usize,
        /// What was wrong.
        reason: String,
    },
    /// The `%KEYGEN` key usage text is not nine `0`/`1` characters.
    #[error("key usage text at byte {offset}: {reason}")]
    KeyUsage {
        /// Byte offset within the key usage text.
        offset: usize,
        /// What was wrong.
        reason: &'static str,
    },
    /// The DER could not be encoded or decoded (the error carries the DER position if known).
    #[error("CSR DER: {0}")]
    Der(#[from] der::Error),
    /// The signature algorithm is not ecdsa-with-SHA256 with absent or NULL parameters.
    #[error("unsupported CSR signature algorithm {oid} (parameters: {parameters})")]
    UnsupportedSignatureAlgorithm {
        /// Dotted OID.
        oid: String,
        /// `absent`, `NULL` or the parameters' tag.
        parameters: String,
    },
    /// The subject public key is not a valid P-256 key.
    #[error("CSR public key is not a P-256 key: {reason}")]
    PublicKey {
        /// What was wrong.
        reason: String,
    },
    /// A subject attribute value is not a string type we can read.
    #[error("CSR subject attribute {oid}: {reason}")]
    Subject {
        /// Dotted OID of the attribute.
        oid: String,
        /// What was wrong.
        reason: String,
    },
    /// The extension request attribute could not be read.
    #[error("CSR extension request: {reason}")]
    ExtensionRequest {
        /// What was wrong.
        reason: String,
    },
    /// The self-signature does not verify with the CSR's own public key.
    #[error("CSR self-signature does not verify")]
    BadSignature,
}

/// How the signatureAlgorithm `AlgorithmIdentifier` (ecdsa-with-SHA256) is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SignatureAlgorithmForm {
    /// OID followed by an explicit NULL parameter (`05 00`), as real modems emit. Default.
    #[default]
    LegacyNull,
    /// OID only, parameters absent (RFC 5758 §3.2).
    Plain,
}

/// The nine keyUsage bits (RFC 5280 §4.2.1.3), as `%KEYGEN`'s `<key_usage>` text gives them:
/// character `i` (from the left) is bit `i`: digitalSignature, nonRepudiation,
/// keyEncipherment, dataEncipherment, keyAgreement, keyCertSign, cRLSign, encipherOnly,
/// decipherOnly.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyUsageBits(u16);

impl KeyUsageBits {
    /// What a real modem puts in a CSR when no key usage is given: digitalSignature,
    /// nonRepudiation, keyEncipherment, keyAgreement (`111010000`; the observed `03 02 03 e8`).
    pub const MODEM_DEFAULT: Self = Self(0b1_0111);

    /// The usage from a bit mask (bit `i` = RFC 5280 bit `i`); bits above 8 are dropped.
    pub const fn from_bits(bits: u16) -> Self {
        Self(bits & 0x1ff)
    }

    /// The bit mask (bit `i` = RFC 5280 bit `i`).
    pub const fn bits(self) -> u16 {
        self.0
    }

    /// Parses `%KEYGEN`'s key usage text: exactly nine `0`/`1` characters.
    pub fn parse(text: &str) -> Result<Self, CsrError> {
        let mut bits = 0u16;
        for (i, c) in text.bytes().enumerate() {
            if i >= 9 {
                return Err(CsrError::KeyUsage {
                    offset: i,
                    reason: "more than nine characters",
                });
            }
            match c {
                b'0' => {}
                b'1' => bits |= 1 << i,
                _ => {
                    return Err(CsrError::KeyUsage {
                        offset: i,
                        reason: "expected '0' or '1'",
                    })
                }
            }
        }
        if text.len() != 9 {
            return Err(CsrError::KeyUsage {
                offset: text.len(),
                reason: "expected nine characters",
            });
        }
        if bits == 0 {
            return Err(CsrError::KeyUsage {
                offset: 0,
                reason: "no usage bit is set",
            });
        }
        Ok(Self(bits))
    }
}

impl Default for KeyUsageBits {
    fn default() -> Self {
        Self::MODEM_DEFAULT
    }
}

impl fmt::Display for KeyUsageBits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for i in 0..9 {
            f.write_str(if self.0 & (1 << i) != 0 { "1" } else { "0" })?;
        }
        Ok(())
    }
}

impl fmt::Debug for KeyUsageBits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyUsageBits({self})")
    }
}

/// A subject attribute type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttributeKind {
    /// `C`, countryName (2.5.4.6).
    Country,
    /// `ST`, stateOrProvinceName (2.5.4.8).
    State,
    /// `L`, localityName (2.5.4.7).
    Locality,
    /// `O`, organizationName (2.5.4.10).
    Organization,
    /// `OU`, organizationalUnitName (2.5.4.11).
    OrganizationalUnit,
    /// `CN`, commonName (2.5.4.3).
    CommonName,
    /// Any other attribute type found in a parsed CSR.
    Other(ObjectIdentifier),
}

impl AttributeKind {
    const KNOWN: [Self; 6] = [
        Self::Country,
        Self::State,
        Self::Locality,
        Self::Organization,
        Self::OrganizationalUnit,
        Self::CommonName,
    ];

    /// The attribute type OID.
    pub fn oid(self) -> ObjectIdentifier {
        match self {
            Self::Country => rfc4519::C,
            Self::State => rfc4519::ST,
            Self::Locality => rfc4519::L,
            Self::Organization => rfc4519::O,
            Self::OrganizationalUnit => rfc4519::OU,
            Self::CommonName => rfc4519::CN,
            Self::Other(oid) => oid,
        }
    }

    /// The short key used in attribute text (`CN`, `O`, …); `None` for other types.
    pub fn key(self) -> Option<&'static str> {
        Some(match self {
            Self::Country => "C",
            Self::State => "ST",
            Self::Locality => "L",
            Self::Organization => "O",
            Self::OrganizationalUnit => "OU",
            Self::CommonName => "CN",
            Self::Other(_) => return None,
        })
    }

    fn from_oid(oid: ObjectIdentifier) -> Self {
        Self::KNOWN
            .into_iter()
            .find(|k| k.oid() == oid)
            .unwrap_or(Self::Other(oid))
    }
}

/// A CSR subject: one attribute per RDN, in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Subject {
    /// The attributes, in DER order.
    pub attributes: Vec<(AttributeKind, String)>,
}

impl Subject {
    /// Parses `%KEYGEN` attribute text such as `O=Nordic Semiconductor,L=Trondheim,C=no`.
    /// Empty text gives an empty subject.
    pub fn parse_attributes(text: &str) -> Result<Self, CsrError> {
        let mut attributes = Vec::new();
        if text.trim().is_empty() {
            return Ok(Self { attributes });
        }
        let mut offset = 0usize;
        for component in text.split(',') {
            let here = offset;
            offset += component.len() + 1;
            let err = |reason: String| CsrError::Attributes {
                offset: here,
                reason,
            };
            let Some((key, value)) = component.split_once('=') else {
                return Err(err(format!("expected K=V, found {component:?}")));
            };
            let key = key.trim();
            let value = value.trim();
            let kind = AttributeKind::KNOWN
                .into_iter()
                .find(|k| k.key().is_some_and(|s| s.eq_ignore_ascii_case(key)))
                .ok_or_else(|| {
                    err(format!(
                        "unknown attribute key {key:?} (expected C, ST, L, O, OU or CN)"
                    ))
                })?;
            if value.is_empty() {
                return Err(err(format!("empty value for {key}")));
            }
            if value.contains('=') || value.chars().any(char::is_control) {
                return Err(err(format!(
                    "value for {key} contains '=' or a control character (missing ','?)"
                )));
            }
            if kind == AttributeKind::Country
                && (value.len() != 2 || PrintableStringRef::new(value).is_err())
            {
                return Err(err(format!("country must be two letters, found {value:?}")));
            }
            attributes.push((kind, value.to_owned()));
        }
        Ok(Self { attributes })
    }

    /// The subject a modem uses for a device: the attributes (if any) and, unless they give a
    /// CN, `CN=<device uuid>` (lower-case 8-4-4-4-12) appended.
    pub fn for_device(device_uuid: &Uuid, attributes: Option<&str>) -> Result<Self, CsrError> {
        let mut subject = Self::parse_attributes(attributes.unwrap_or(""))?;
        if subject.common_name().is_none() {
            subject
                .attributes
                .push((AttributeKind::CommonName, device_uuid.to_string()));
        }
        Ok(subject)
    }

    /// The first common name, if any.
    pub fn common_name(&self) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| *k == AttributeKind::CommonName)
            .map(|(_, v)| v.as_str())
    }

    fn to_name(&self) -> Result<RdnSequence, CsrError> {
        let mut rdns = Vec::with_capacity(self.attributes.len());
        for (kind, value) in &self.attributes {
            let value = match kind {
                AttributeKind::Country => Any::encode_from(&PrintableStringRef::new(value)?)?,
                _ => Any::encode_from(&Utf8StringRef::new(value)?)?,
            };
            let atv = AttributeTypeAndValue {
                oid: kind.oid(),
                value,
            };
            rdns.push(RelativeDistinguishedName(SetOfVec::try_from(vec![atv])?));
        }
        Ok(RdnSequence(rdns))
    }

    fn from_name(name: &RdnSequence) -> Result<Self, CsrError> {
        let mut attributes = Vec::new();
        for rdn in &name.0 {
            for atv in rdn.0.iter() {
                let decoded = atv
                    .value
                    .to_der()
                    .and_then(|d| DirectoryString::from_der(&d));
                let text = match decoded {
                    Ok(DirectoryString::Utf8String(s)) => s,
                    Ok(DirectoryString::PrintableString(s)) => s.as_str().to_owned(),
                    Ok(DirectoryString::TeletexString(s)) => s.as_str().to_owned(),
                    Err(e) => {
                        return Err(CsrError::Subject {
                            oid: atv.oid.to_string(),
                            reason: e.to_string(),
                        })
                    }
                };
                attributes.push((AttributeKind::from_oid(atv.oid), text));
            }
        }
        Ok(Self { attributes })
    }
}

impl fmt::Display for Subject {
    /// Attribute text form, e.g. `O=Nordic Semiconductor,CN=5036…`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (kind, value)) in self.attributes.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            match kind.key() {
                Some(key) => write!(f, "{key}={value}")?,
                None => write!(f, "{}={value}", kind.oid())?,
            }
        }
        Ok(())
    }
}

/// What goes into a CSR besides the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsrParams {
    /// The subject.
    pub subject: Subject,
    /// The keyUsage bits of the extension request.
    pub key_usage: KeyUsageBits,
    /// How the signature algorithm identifier is encoded.
    pub form: SignatureAlgorithmForm,
}

impl CsrParams {
    /// The parameters a modem derives from `%KEYGEN`'s optional attributes and key usage texts
    /// (empty texts count as absent), with the real modems' NULL-parameter algorithm form.
    pub fn from_keygen_args(
        device_uuid: &Uuid,
        attributes: Option<&str>,
        key_usage: Option<&str>,
    ) -> Result<Self, CsrError> {
        let key_usage = match key_usage.filter(|t| !t.is_empty()) {
            Some(text) => KeyUsageBits::parse(text)?,
            None => KeyUsageBits::MODEM_DEFAULT,
        };
        Ok(Self {
            subject: Subject::for_device(device_uuid, attributes)?,
            key_usage,
            form: SignatureAlgorithmForm::LegacyNull,
        })
    }
}

fn request_info(
    public_key: &VerifyingKey,
    subject: &Subject,
    key_usage: KeyUsageBits,
) -> Result<CertReqInfo, CsrError> {
    let spki_der = public_key
        .to_public_key_der()
        .map_err(|e| CsrError::PublicKey {
            reason: e.to_string(),
        })?;
    let public_key = SubjectPublicKeyInfoOwned::from_der(spki_der.as_bytes())?;
    let usage = KeyUsage(
        der::flagset::FlagSet::<KeyUsages>::new(key_usage.bits()).map_err(|_| {
            CsrError::KeyUsage {
                offset: 0,
                reason: "invalid key usage bits",
            }
        })?,
    );
    let extension = Extension {
        extn_id: rfc5280::ID_CE_KEY_USAGE,
        critical: false,
        extn_value: OctetString::new(usage.to_der()?)?,
    };
    let attribute = Attribute::try_from(ExtensionReq(vec![extension]))?;
    Ok(CertReqInfo {
        version: Version::V1,
        subject: subject.to_name()?,
        public_key,
        attributes: SetOfVec::try_from(vec![attribute])?,
    })
}

/// The DER `CertificationRequestInfo` (the signed part of a CSR) for this key, subject and
/// key usage. Exposed so a test can compare it with a real modem's.
pub fn request_info_der(
    public_key: &VerifyingKey,
    subject: &Subject,
    key_usage: KeyUsageBits,
) -> Result<Vec<u8>, CsrError> {
    Ok(request_info(public_key, subject, key_usage)?.to_der()?)
}

/// Builds and self-signs (ECDSA P-256 SHA-256, deterministic per RFC 6979) a CSR for `key`.
/// Returns the DER.
pub fn build_csr(key: &SigningKey, params: &CsrParams) -> Result<Vec<u8>, CsrError> {
    let info = request_info(key.verifying_key(), &params.subject, params.key_usage)?;
    let tbs = info.to_der()?;
    let signature: Signature = key.sign(&tbs);
    let signature: DerSignature = signature.to_der();
    let request = CertReq {
        info,
        algorithm: AlgorithmIdentifierOwned {
            oid: rfc5912::ECDSA_WITH_SHA_256,
            parameters: match params.form {
                SignatureAlgorithmForm::LegacyNull => Some(Any::null()),
                SignatureAlgorithmForm::Plain => None,
            },
        },
        signature: BitString::from_bytes(signature.as_bytes())?,
    };
    Ok(request.to_der()?)
}

/// A parsed CSR.
#[derive(Debug, Clone)]
pub struct Csr {
    subject: Subject,
    public_key: VerifyingKey,
    key_usage: Option<KeyUsageBits>,
    form: SignatureAlgorithmForm,
    info_der: Vec<u8>,
    signature: Vec<u8>,
}

impl Csr {
    /// Parses a DER CSR with an ecdsa-with-SHA256 signature in either algorithm form and a
    /// P-256 key. Does not check the signature: see [`Csr::verify`].
    pub fn parse(der_bytes: &[u8]) -> Result<Self, CsrError> {
        let request = CertReq::from_der(der_bytes)?;
        // The signature covers the exact CertificationRequestInfo bytes as sent.
        let mut reader = der::SliceReader::new(der_bytes)?;
        let _outer = der::Header::decode(&mut reader)?;
        let info_der = reader.tlv_bytes()?.to_vec();

        let form = match &request.algorithm.parameters {
            _ if request.algorithm.oid != rfc5912::ECDSA_WITH_SHA_256 => None,
            None => Some(SignatureAlgorithmForm::Plain),
            Some(p) if p.is_null() => Some(SignatureAlgorithmForm::LegacyNull),
            Some(_) => None,
        }
        .ok_or_else(|| CsrError::UnsupportedSignatureAlgorithm {
            oid: request.algorithm.oid.to_string(),
            parameters: match &request.algorithm.parameters {
                None => "absent".into(),
                Some(p) if p.is_null() => "NULL".into(),
                Some(p) => format!("{:?}", p.tag()),
            },
        })?;

        let spki_der = request.info.public_key.to_der()?;
        let public_key =
            VerifyingKey::from_public_key_der(&spki_der).map_err(|e| CsrError::PublicKey {
                reason: e.to_string(),
            })?;
        let subject = Subject::from_name(&request.info.subject)?;
        let key_usage = read_key_usage(&request.info)?;
        let signature = request
            .signature
            .as_bytes()
            // A BIT STRING with unused bits cannot hold a DER signature.
            .ok_or(CsrError::BadSignature)?
            .to_vec();
        Ok(Self {
            subject,
            public_key,
            key_usage,
            form,
            info_der,
            signature,
        })
    }

    /// Checks the self-signature with the CSR's own public key.
    pub fn verify(&self) -> Result<(), CsrError> {
        let signature = Signature::from_der(&self.signature).map_err(|_| CsrError::BadSignature)?;
        self.public_key
            .verify(&self.info_der, &signature)
            .map_err(|_| CsrError::BadSignature)
    }

    /// The subject.
    pub fn subject(&self) -> &Subject {
        &self.subject
    }

    /// The subject's common name, if any.
    pub fn common_name(&self) -> Option<&str> {
        self.subject.common_name()
    }

    /// The requested public key.
    pub fn public_key(&self) -> &VerifyingKey {
        &self.public_key
    }

    /// The keyUsage of the extension request, if there is one.
    pub fn key_usage(&self) -> Option<KeyUsageBits> {
        self.key_usage
    }

    /// Which signature algorithm form the CSR uses.
    pub fn form(&self) -> SignatureAlgorithmForm {
        self.form
    }

    /// The DER `CertificationRequestInfo` bytes the signature covers.
    pub fn info_der(&self) -> &[u8] {
        &self.info_der
    }
}

fn read_key_usage(info: &CertReqInfo) -> Result<Option<KeyUsageBits>, CsrError> {
    let bad = |e: der::Error| CsrError::ExtensionRequest {
        reason: e.to_string(),
    };
    for attribute in info.attributes.iter() {
        if attribute.oid != rfc5912::ID_EXTENSION_REQ {
            continue;
        }
        for value in attribute.values.iter() {
            let extensions: Vec<Extension> = value.decode_as().map_err(bad)?;
            for extension in extensions {
                if extension.extn_id == rfc5280::ID_CE_KEY_USAGE {
                    let usage = KeyUsage::from_der(extension.extn_value.as_bytes()).map_err(bad)?;
                    return Ok(Some(KeyUsageBits::from_bits(usage.0.bits())));
                }
            }
        }
    }
    Ok(None)
}

/// The DER `SubjectPublicKeyInfo` of a P-256 key (the body of `%KEYGEN` public key output).
pub fn public_key_der(key: &VerifyingKey) -> Result<Vec<u8>, CsrError> {
    key.to_public_key_der()
        .map(|doc| doc.as_bytes().to_vec())
        .map_err(|e| CsrError::PublicKey {
            reason: e.to_string(),
        })
}

/// Parses a DER `SubjectPublicKeyInfo` holding a P-256 key.
pub fn parse_public_key_der(der_bytes: &[u8]) -> Result<VerifyingKey, CsrError> {
    VerifyingKey::from_public_key_der(der_bytes).map_err(|e| CsrError::PublicKey {
        reason: e.to_string(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::from_slice(&[3u8; 32]).unwrap()
    }

    fn uuid() -> Uuid {
        Uuid::parse("50363154-3931-44f0-8022-121b6401627d").unwrap()
    }

    #[test]
    fn key_usage_text() {
        assert_eq!(
            KeyUsageBits::parse("111010000").unwrap(),
            KeyUsageBits::MODEM_DEFAULT
        );
        assert_eq!(KeyUsageBits::MODEM_DEFAULT.to_string(), "111010000");
        assert_eq!(KeyUsageBits::parse("000000001").unwrap().bits(), 1 << 8);
        assert!(matches!(
            KeyUsageBits::parse("11101000"),
            Err(CsrError::KeyUsage { offset: 8, .. })
        ));
        assert!(matches!(
            KeyUsageBits::parse("1110100002"),
            Err(CsrError::KeyUsage { offset: 9, .. })
        ));
        assert!(matches!(
            KeyUsageBits::parse("11x010000"),
            Err(CsrError::KeyUsage { offset: 2, .. })
        ));
        assert!(KeyUsageBits::parse("000000000").is_err());
    }

    #[test]
    fn attribute_text() {
        let s =
            Subject::parse_attributes("O=Nordic Semiconductor, L=Trondheim,C=no,cn=dev 1").unwrap();
        assert_eq!(s.attributes.len(), 4);
        assert_eq!(s.common_name(), Some("dev 1"));
        assert_eq!(
            s.to_string(),
            "O=Nordic Semiconductor,L=Trondheim,C=no,CN=dev 1"
        );
        let err = Subject::parse_attributes("O=x,,CN=y").unwrap_err();
        assert!(matches!(err, CsrError::Attributes { offset: 4, .. }));
        let err = Subject::parse_attributes("O=x,XX=y").unwrap_err();
        assert!(matches!(err, CsrError::Attributes { offset: 4, .. }));
        assert!(Subject::parse_attributes("C=nor").is_err());
        assert!(Subject::parse_attributes("O=").is_err());
        assert!(Subject::parse_attributes("O").is_err());
        let s = Subject::for_device(&uuid(), Some("O=Nordic Semiconductor")).unwrap();
        assert_eq!(
            s.common_name(),
            Some("50363154-3931-44f0-8022-121b6401627d")
        );
    }

    #[test]
    fn both_forms_round_trip() {
        for form in [
            SignatureAlgorithmForm::LegacyNull,
            SignatureAlgorithmForm::Plain,
        ] {
            let params = CsrParams {
                form,
                ..CsrParams::from_keygen_args(&uuid(), Some("O=Acme,C=NO"), None).unwrap()
            };
            let der_bytes = build_csr(&key(), &params).unwrap();
            let csr = Csr::parse(&der_bytes).unwrap();
            csr.verify().unwrap();
            assert_eq!(csr.form(), form);
            assert_eq!(csr.subject(), &params.subject);
            assert_eq!(csr.public_key(), key().verifying_key());
            assert_eq!(csr.key_usage(), Some(KeyUsageBits::MODEM_DEFAULT));
        }
    }
}
