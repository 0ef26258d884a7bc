//! Credential and certificate content: inline text, a lab credential, or a file.

use std::ops::Range;
use std::path::PathBuf;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::located::Located;

/// A credential the backend provides, named `@<name>` in a scenario.
///
/// Their content only exists once a backend runs (the simulation derives its lab CA from the
/// seed; a HIL rack reads its lab's files), so the loader keeps them symbolic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LabCredential {
    /// `@lab-root-ca`: the root CA the fake service's server certificate chains to.
    LabRootCa,
    /// `@untrusted-root-ca`: a well-formed root CA that did not sign the service's certificate.
    UntrustedRootCa,
    /// `@lab-client-cert`: a client certificate the lab CA issues for the device's most recent
    /// CSR or generated key.
    LabClientCert,
}

impl LabCredential {
    /// Every lab credential, in documentation order.
    pub const ALL: [LabCredential; 3] = [
        LabCredential::LabRootCa,
        LabCredential::UntrustedRootCa,
        LabCredential::LabClientCert,
    ];

    /// The name after `@`.
    pub fn name(self) -> &'static str {
        match self {
            Self::LabRootCa => "lab-root-ca",
            Self::UntrustedRootCa => "untrusted-root-ca",
            Self::LabClientCert => "lab-client-cert",
        }
    }
}

/// Where a piece of content comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContentSource {
    /// Written inline (a PEM block, a PSK in hex, …).
    Inline(String),
    /// `@<name>`: provided by the backend.
    Lab(LabCredential),
    /// `@file:<path>`: read by the loader, relative to the scenario file.
    File {
        /// The path as written.
        path: PathBuf,
        /// The file's text once the loader has read it.
        text: Option<String>,
    },
}

/// Content as a scenario writes it: `"@lab-root-ca"`, `"@file:certs/ca.pem"`, or literal text
/// (a literal starting with `@` is written with `@@`).
#[derive(Debug, Clone)]
pub struct ContentRef {
    written: Located<String>,
    source: ContentSource,
}

/// Why a content text is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContentError {
    /// `@name` where the name is no lab credential.
    #[error("unknown content reference `@{0}`: expected @lab-root-ca, @untrusted-root-ca, @lab-client-cert, @file:<path> or literal text (write `@@` for a literal `@`)")]
    UnknownReference(String),
    /// `@file:` without a path.
    #[error("`@file:` needs a path relative to the scenario file, e.g. `@file:certs/ca.pem`")]
    EmptyPath,
}

impl ContentRef {
    /// Parses the written form.
    pub fn parse(written: Located<String>) -> Result<Self, ContentError> {
        let text = written.get().as_str();
        let source = if let Some(rest) = text.strip_prefix("@@") {
            ContentSource::Inline(format!("@{rest}"))
        } else if let Some(path) = text.strip_prefix("@file:") {
            if path.trim().is_empty() {
                return Err(ContentError::EmptyPath);
            }
            ContentSource::File {
                path: PathBuf::from(path.trim()),
                text: None,
            }
        } else if let Some(name) = text.strip_prefix('@') {
            let lab = LabCredential::ALL
                .into_iter()
                .find(|l| l.name() == name)
                .ok_or_else(|| ContentError::UnknownReference(name.to_owned()))?;
            ContentSource::Lab(lab)
        } else {
            ContentSource::Inline(text.to_owned())
        };
        Ok(Self { written, source })
    }

    /// Content given as literal text.
    pub fn inline(text: impl Into<String>) -> Self {
        let text: String = text.into();
        let written = if text.starts_with('@') {
            format!("@{text}")
        } else {
            text.clone()
        };
        Self {
            written: Located::new(written),
            source: ContentSource::Inline(text),
        }
    }

    /// A lab credential.
    pub fn lab(credential: LabCredential) -> Self {
        Self {
            written: Located::new(format!("@{}", credential.name())),
            source: ContentSource::Lab(credential),
        }
    }

    /// Where the content comes from.
    pub fn source(&self) -> &ContentSource {
        &self.source
    }

    /// The text as written in the scenario.
    pub fn written(&self) -> &str {
        self.written.get()
    }

    /// Byte range of the written text in the scenario file.
    pub fn span(&self) -> Range<usize> {
        self.written.span()
    }

    /// The content's text when the loader knows it (inline, or a file already read);
    /// `None` for lab credentials, which the backend provides.
    pub fn text(&self) -> Option<&str> {
        match &self.source {
            ContentSource::Inline(text) => Some(text),
            ContentSource::File { text, .. } => text.as_deref(),
            ContentSource::Lab(_) => None,
        }
    }

    /// Records the text of an `@file:` reference (the loader's job); no effect otherwise.
    pub fn set_file_text(&mut self, contents: String) {
        if let ContentSource::File { text, .. } = &mut self.source {
            *text = Some(contents);
        }
    }
}

impl PartialEq for ContentRef {
    /// Two references are equal when written the same way.
    fn eq(&self, other: &Self) -> bool {
        self.written == other.written
    }
}

impl Eq for ContentRef {}

impl<'de> Deserialize<'de> for ContentRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let written = Located::<String>::deserialize(deserializer)?;
        ContentRef::parse(written).map_err(serde::de::Error::custom)
    }
}

impl Serialize for ContentRef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.written.get())
    }
}

impl JsonSchema for ContentRef {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Content".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "Literal content (PEM, hex), or a reference: @lab-root-ca, @untrusted-root-ca, @lab-client-cert, @file:<path relative to the scenario>. Write @@ for a literal leading @.",
            "examples": ["@lab-root-ca", "@file:certs/ca.pem"]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ContentRef, ContentError> {
        ContentRef::parse(Located::new(text.to_owned()))
    }

    #[test]
    fn recognises_every_form() {
        assert_eq!(
            parse("@lab-root-ca").unwrap().source(),
            &ContentSource::Lab(LabCredential::LabRootCa)
        );
        assert_eq!(
            parse("@file:certs/ca.pem").unwrap().source(),
            &ContentSource::File {
                path: PathBuf::from("certs/ca.pem"),
                text: None
            }
        );
        assert_eq!(parse("@@literal").unwrap().text(), Some("@literal"));
        assert_eq!(parse("-----BEGIN").unwrap().text(), Some("-----BEGIN"));
        assert_eq!(
            parse("@nope").unwrap_err(),
            ContentError::UnknownReference("nope".into())
        );
        assert_eq!(parse("@file: ").unwrap_err(), ContentError::EmptyPath);
    }

    #[test]
    fn inline_constructor_escapes_a_leading_at() {
        let c = ContentRef::inline("@x");
        assert_eq!(c.written(), "@@x");
        assert_eq!(parse(c.written()).unwrap(), c);
    }
}
