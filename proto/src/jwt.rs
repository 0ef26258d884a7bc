//! The ES256 JSON Web Tokens (RFC 7519, RFC 7515 compact form) the nRF91 modem signs for
//! `AT%JWT`, used by the device to authenticate to the provisioning service.
//!
//! Observed modem format (JWTs quoted in the nRF Connect SDK: the `modem_jwt` unit test,
//! `tests/lib/modem_jwt/src/main.c`, and a decoded one in an `app_jwt.c` comment; its
//! `modem_jwt_get_uuids` parser looks for the literal text `iss":"` and `jti":"`):
//! * header `{"typ":"JWT","alg":"ES256","kid":"<64 hex digits>"}`, always with `kid`;
//! * claims `{"iss":"<chip>.<device uuid>","jti":"<chip>.<modem fw uuid>.<32 hex digits>",
//!   "iat":…,"exp":…,"sub":…}` in that order, compact JSON; `iat`/`exp` only when
//!   `<exp_delta>` is non-zero and `sub`/`aud` only when given (AT command reference, `%JWT`);
//! * each JSON text padded with trailing spaces to a multiple of 3 bytes, so that the
//!   base64url parts need no padding;
//! * signature: raw 64-byte `r || s` (RFC 7518 §3.4), base64url.
//!
//! Ours: the `aud` claim is placed after `sub`; `kid` is the lower-case hex SHA-256 of the
//! signing key's uncompressed SEC1 point ([`key_id`]) — what the modem hashes is not public.
//!
//! Nothing here reads a clock: `iat`/`exp` are inputs and verification takes `now`.

use core::fmt::{self, Write as _};

use p256::ecdsa::signature::{Signer as _, Verifier as _};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};

use crate::b64;
use crate::tokens::Uuid;

/// The only algorithm the modem uses.
pub const ES256: &str = "ES256";

/// Which part of a JWT an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JwtPart {
    /// The `header.claims.signature` framing.
    Token,
    /// The JOSE header.
    Header,
    /// The claims set.
    Claims,
    /// The signature.
    Signature,
}

impl fmt::Display for JwtPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Token => "token",
            Self::Header => "header",
            Self::Claims => "claims",
            Self::Signature => "signature",
        })
    }
}

/// Why a JWT could not be decoded or was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    /// The token is not three base64url parts of JSON / signature bytes. `offset` is the byte
    /// offset in the token text: of the problem for framing and base64 errors, of the part for
    /// JSON errors (whose position within the JSON is in `reason`).
    #[error("malformed JWT {part} at byte {offset}: {reason}")]
    Malformed {
        /// Which part.
        part: JwtPart,
        /// Byte offset in the token text.
        offset: usize,
        /// What was wrong.
        reason: String,
    },
    /// The header's `alg` is not `ES256`.
    #[error("unsupported JWT algorithm {alg:?} (only ES256)")]
    UnsupportedAlgorithm {
        /// The `alg` found.
        alg: String,
    },
    /// The signature does not verify with the given key.
    #[error("JWT signature does not verify")]
    BadSignature,
    /// A claim the verifier requires is absent.
    #[error("JWT lacks the {claim:?} claim")]
    MissingClaim {
        /// The claim name.
        claim: &'static str,
    },
    /// `now` is at or after `exp` (plus leeway).
    #[error("JWT expired at {exp}, now {now}")]
    Expired {
        /// The `exp` claim.
        exp: u64,
        /// The verifier's time.
        now: u64,
    },
    /// `iat` is later than `now` (plus leeway).
    #[error("JWT issued at {iat}, in the future of now {now}")]
    NotYetValid {
        /// The `iat` claim.
        iat: u64,
        /// The verifier's time.
        now: u64,
    },
}

/// The JOSE header.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Header {
    /// `typ`; the modem sends `JWT`.
    #[serde(default)]
    pub typ: Option<String>,
    /// `alg`; the modem sends `ES256`.
    pub alg: String,
    /// `kid`; the modem sends 64 hex digits.
    #[serde(default)]
    pub kid: Option<String>,
}

impl Header {
    /// The modem's header for a token signed by `key`: `typ` JWT, `alg` ES256, `kid`
    /// [`key_id`].
    pub fn modem(key: &VerifyingKey) -> Self {
        Self {
            typ: Some("JWT".into()),
            alg: ES256.into(),
            kid: Some(key_id(key)),
        }
    }

    fn to_json(&self) -> String {
        let mut o = JsonObject::default();
        o.string("typ", self.typ.as_deref());
        o.string("alg", Some(&self.alg));
        o.string("kid", self.kid.as_deref());
        o.finish()
    }
}

/// The claims set (only the registered claims the modem uses; others are ignored on decode).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct Claims {
    /// `iss`: `<chip>.<device uuid>`.
    #[serde(default)]
    pub iss: Option<String>,
    /// `jti`: `<chip>.<modem fw uuid>.<32 hex digits>`.
    #[serde(default)]
    pub jti: Option<String>,
    /// `iat`, seconds since the Unix epoch.
    #[serde(default)]
    pub iat: Option<u64>,
    /// `exp`, seconds since the Unix epoch.
    #[serde(default)]
    pub exp: Option<u64>,
    /// `sub`.
    #[serde(default)]
    pub sub: Option<String>,
    /// `aud` (a single string, as the modem supports).
    #[serde(default)]
    pub aud: Option<String>,
}

impl Claims {
    /// The modem's identity claims: `iss = "<chip>.<device uuid>"` and
    /// `jti = "<chip>.<modem fw uuid>.<hex of jti_random>"`. No time, `sub` or `aud` yet.
    pub fn modem(
        chip: &str,
        device_uuid: &Uuid,
        modem_fw_uuid: &Uuid,
        jti_random: &[u8; 16],
    ) -> Self {
        Self {
            iss: Some(format!("{chip}.{device_uuid}")),
            jti: Some(format!(
                "{chip}.{modem_fw_uuid}.{}",
                hex::encode(jti_random)
            )),
            ..Self::default()
        }
    }

    /// Sets `iat = now` and `exp = now + exp_delta_s`, or neither when `exp_delta_s` is 0
    /// (as `AT%JWT` does).
    pub fn with_lifetime(mut self, now: u64, exp_delta_s: u64) -> Self {
        if exp_delta_s == 0 {
            self.iat = None;
            self.exp = None;
        } else {
            self.iat = Some(now);
            self.exp = Some(now.saturating_add(exp_delta_s));
        }
        self
    }

    /// Sets `sub`; an empty string means absent (as `AT%JWT` does).
    pub fn with_subject(mut self, sub: &str) -> Self {
        self.sub = (!sub.is_empty()).then(|| sub.to_owned());
        self
    }

    /// Sets `aud`; an empty string means absent (as `AT%JWT` does).
    pub fn with_audience(mut self, aud: &str) -> Self {
        self.aud = (!aud.is_empty()).then(|| aud.to_owned());
        self
    }

    /// The chip name, the part of `iss` before the first `.` (e.g. `nRF9160`).
    pub fn chip(&self) -> Option<&str> {
        self.iss.as_deref()?.split_once('.').map(|(chip, _)| chip)
    }

    /// The device UUID from `iss` (`<chip>.<uuid>`); what a service looks keys up by.
    pub fn device_uuid(&self) -> Option<Uuid> {
        let (_, rest) = self.iss.as_deref()?.split_once('.')?;
        Uuid::parse(rest).ok()
    }

    /// The modem firmware UUID from `jti` (`<chip>.<uuid>.<random>`).
    pub fn modem_fw_uuid(&self) -> Option<Uuid> {
        let mut fields = self.jti.as_deref()?.split('.');
        fields.next()?;
        Uuid::parse(fields.next()?).ok()
    }

    fn to_json(&self) -> String {
        let mut o = JsonObject::default();
        o.string("iss", self.iss.as_deref());
        o.string("jti", self.jti.as_deref());
        o.number("iat", self.iat);
        o.number("exp", self.exp);
        o.string("sub", self.sub.as_deref());
        o.string("aud", self.aud.as_deref());
        o.finish()
    }
}

/// The `kid` we put in the header for `key` (ours): lower-case hex SHA-256 of the key's
/// uncompressed SEC1 point.
pub fn key_id(key: &VerifyingKey) -> String {
    hex::encode(Sha256::digest(key.to_encoded_point(false).as_bytes()))
}

/// Compact JSON object writer with the modem's layout (no spaces, absent members skipped,
/// cJSON-style escaping), padded with spaces to a multiple of 3 bytes.
#[derive(Default)]
struct JsonObject {
    out: String,
}

impl JsonObject {
    fn key(&mut self, key: &str) {
        self.out.push(if self.out.is_empty() { '{' } else { ',' });
        push_json_string(&mut self.out, key);
        self.out.push(':');
    }

    fn string(&mut self, key: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.key(key);
            push_json_string(&mut self.out, value);
        }
    }

    fn number(&mut self, key: &str, value: Option<u64>) {
        if let Some(value) = value {
            self.key(key);
            // Writing to a String cannot fail.
            let _ = write!(self.out, "{value}");
        }
    }

    fn finish(mut self) -> String {
        if self.out.is_empty() {
            self.out.push('{');
        }
        self.out.push('}');
        while !self.out.len().is_multiple_of(3) {
            self.out.push(' ');
        }
        self.out
    }
}

fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Signs `claims` under `header` with ES256 (deterministic, RFC 6979). `header.alg` is written
/// as given; use [`Header::modem`] for the modem's header.
pub fn sign_with_header(header: &Header, claims: &Claims, key: &SigningKey) -> String {
    let mut token = b64::encode(header.to_json().as_bytes());
    token.push('.');
    token.push_str(&b64::encode(claims.to_json().as_bytes()));
    let signature: Signature = key.sign(token.as_bytes());
    token.push('.');
    token.push_str(&b64::encode(&signature.to_bytes()));
    token
}

/// What a simulated modem answers to `AT%JWT`: `claims` signed with `key` under the modem's
/// header ([`Header::modem`]).
pub fn sign(claims: &Claims, key: &SigningKey) -> String {
    sign_with_header(&Header::modem(key.verifying_key()), claims, key)
}

/// A decoded, not yet verified JWT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnverifiedJwt {
    /// The header.
    pub header: Header,
    /// The claims.
    pub claims: Claims,
    signing_input: String,
    signature: Vec<u8>,
    signature_offset: usize,
}

impl UnverifiedJwt {
    /// Checks `alg` and the signature with `key`, then the claims against `validation`.
    pub fn verify(self, key: &VerifyingKey, validation: &Validation) -> Result<Claims, JwtError> {
        if self.header.alg != ES256 {
            return Err(JwtError::UnsupportedAlgorithm {
                alg: self.header.alg,
            });
        }
        let signature =
            Signature::from_slice(&self.signature).map_err(|_| JwtError::Malformed {
                part: JwtPart::Signature,
                offset: self.signature_offset,
                reason: format!(
                    "expected a 64-byte ES256 signature r || s, found {} bytes",
                    self.signature.len()
                ),
            })?;
        key.verify(self.signing_input.as_bytes(), &signature)
            .map_err(|_| JwtError::BadSignature)?;
        validation.check(&self.claims)?;
        Ok(self.claims)
    }
}

/// Time checks applied after the signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validation {
    /// The verifier's time, seconds since the Unix epoch.
    pub now: u64,
    /// Tolerated clock difference in seconds for `exp` and `iat`.
    pub leeway_s: u64,
    /// Reject tokens without `exp` (the service does: a bearer token must expire).
    pub require_exp: bool,
}

impl Validation {
    /// Strict checks at `now`: `exp` required, no leeway.
    pub fn at(now: u64) -> Self {
        Self {
            now,
            leeway_s: 0,
            require_exp: true,
        }
    }

    /// Checks `exp` (RFC 7519 §4.1.4: invalid on or after it) and `iat` (not in the future).
    pub fn check(&self, claims: &Claims) -> Result<(), JwtError> {
        match claims.exp {
            Some(exp) if self.now >= exp.saturating_add(self.leeway_s) => {
                return Err(JwtError::Expired { exp, now: self.now })
            }
            None if self.require_exp => return Err(JwtError::MissingClaim { claim: "exp" }),
            _ => {}
        }
        if let Some(iat) = claims.iat {
            if iat > self.now.saturating_add(self.leeway_s) {
                return Err(JwtError::NotYetValid { iat, now: self.now });
            }
        }
        Ok(())
    }
}

/// Decodes a JWT without verifying it: what a service does first, to read `iss` and find the
/// device's key. Checks the framing, base64url and JSON only.
pub fn decode_unverified(token: &str) -> Result<UnverifiedJwt, JwtError> {
    let malformed = |part, offset, reason: String| JwtError::Malformed {
        part,
        offset,
        reason,
    };
    let mut dots = token.match_indices('.').map(|(i, _)| i);
    let (Some(d1), Some(d2)) = (dots.next(), dots.next()) else {
        return Err(malformed(
            JwtPart::Token,
            token.len(),
            "expected three '.'-separated parts".into(),
        ));
    };
    if let Some(d3) = dots.next() {
        return Err(malformed(
            JwtPart::Token,
            d3,
            "more than three '.'-separated parts".into(),
        ));
    }
    let parts = [
        (JwtPart::Header, 0, &token[..d1]),
        (JwtPart::Claims, d1 + 1, &token[d1 + 1..d2]),
        (JwtPart::Signature, d2 + 1, &token[d2 + 1..]),
    ];
    let mut decoded: [Vec<u8>; 3] = Default::default();
    for (slot, (part, start, text)) in decoded.iter_mut().zip(parts) {
        if text.is_empty() {
            return Err(malformed(part, start, "empty part".into()));
        }
        *slot = b64::decode(text).map_err(|e| {
            malformed(
                part,
                start + e.offset,
                format!("invalid base64url: {}", e.reason),
            )
        })?;
    }
    let [header, claims, signature] = decoded;
    let header: Header = serde_json::from_slice(&header)
        .map_err(|e| malformed(JwtPart::Header, 0, format!("invalid JSON: {e}")))?;
    let claims: Claims = serde_json::from_slice(&claims)
        .map_err(|e| malformed(JwtPart::Claims, d1 + 1, format!("invalid JSON: {e}")))?;
    Ok(UnverifiedJwt {
        header,
        claims,
        signing_input: token[..d2].to_owned(),
        signature,
        signature_offset: d2 + 1,
    })
}

/// Verifies an ES256 JWT with `key` at time `now` (strict: `exp` required, no leeway) and
/// returns its claims.
pub fn verify(token: &str, key: &VerifyingKey, now: u64) -> Result<Claims, JwtError> {
    verify_with(token, key, &Validation::at(now))
}

/// Verifies an ES256 JWT with `key` under `validation` and returns its claims.
pub fn verify_with(
    token: &str,
    key: &VerifyingKey,
    validation: &Validation,
) -> Result<Claims, JwtError> {
    decode_unverified(token)?.verify(key, validation)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn modem_json_layout() {
        let uuid = Uuid::parse("50363154-3930-4d96-80f9-13121cf35adc").unwrap();
        let fw = Uuid::parse("f72d9789-2e73-4780-9248-b3952f89b872").unwrap();
        let random = hex::decode("942d99b903aca2c3dd649b5d612322dc").unwrap();
        let claims = Claims::modem("nRF9160", &uuid, &fw, &random.try_into().unwrap())
            .with_subject("50363154-3930-4d96-80f9-13121cf35adc");
        // Byte-for-byte the claims of the modem_jwt unit test token in the nRF Connect SDK.
        assert_eq!(
            claims.to_json(),
            "{\"iss\":\"nRF9160.50363154-3930-4d96-80f9-13121cf35adc\",\
             \"jti\":\"nRF9160.f72d9789-2e73-4780-9248-b3952f89b872.942d99b903aca2c3dd649b5d612322dc\",\
             \"sub\":\"50363154-3930-4d96-80f9-13121cf35adc\"} "
        );
        let header = Header {
            typ: Some("JWT".into()),
            alg: ES256.into(),
            kid: Some("e6c35cea1f541a4be485ff8db21f51dfe7242e7ca7b9456c90f69815e77ea61f".into()),
        };
        assert_eq!(
            b64::encode(header.to_json().as_bytes()),
            "eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiIsImtpZCI6ImU2YzM1Y2VhMWY1NDFhNGJlNDg1ZmY4ZGIy\
             MWY1MWRmZTcyNDJlN2NhN2I5NDU2YzkwZjY5ODE1ZTc3ZWE2MWYifSAg"
        );
    }

    #[test]
    fn json_escaping() {
        let mut s = String::new();
        push_json_string(&mut s, "a\"b\\c\n\u{1}é");
        assert_eq!(s, "\"a\\\"b\\\\c\\n\\u0001é\"");
        let back: String = serde_json::from_str(&s).unwrap();
        assert_eq!(back, "a\"b\\c\n\u{1}é");
    }

    #[test]
    fn lifetime_and_optional_claims() {
        let c = Claims::default()
            .with_lifetime(100, 0)
            .with_subject("")
            .with_audience("");
        assert_eq!(c, Claims::default());
        let c = Claims::default().with_lifetime(100, 300);
        assert_eq!((c.iat, c.exp), (Some(100), Some(400)));
        assert!(Validation::at(399).check(&c).is_ok());
        assert_eq!(
            Validation::at(400).check(&c),
            Err(JwtError::Expired { exp: 400, now: 400 })
        );
        assert_eq!(
            Validation::at(99).check(&c),
            Err(JwtError::NotYetValid { iat: 100, now: 99 })
        );
        let lenient = Validation {
            leeway_s: 5,
            ..Validation::at(404)
        };
        assert!(lenient.check(&c).is_ok());
    }
}
