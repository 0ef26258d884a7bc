//! The modem's credential store: exact content bytes keyed by `(sec_tag, type)`.
//!
//! Type numbers are those of `AT%CMNG` `<type>` (Nordic "nRF91 AT Commands" reference,
//! `%CMNG` set command, modem firmware 1.3.x: 0 root CA, 1 client certificate, 2 client
//! private key, 3 PSK, 4 PSK identity, 5 public key, 6 device identity public key,
//! 7 reserved, 8 endorsement private key, …). The store does not interpret contents; the
//! commands decide what may be read back.

use std::collections::BTreeMap;

use sha2::{Digest as _, Sha256};

/// `<type>` 0: root CA certificate.
pub const TYPE_ROOT_CA: u8 = 0;
/// `<type>` 1: client certificate.
pub const TYPE_CLIENT_CERT: u8 = 1;
/// `<type>` 2: client private key.
pub const TYPE_CLIENT_KEY: u8 = 2;
/// `<type>` 3: pre-shared key (hex text).
pub const TYPE_PSK: u8 = 3;
/// `<type>` 4: PSK identity.
pub const TYPE_PSK_IDENTITY: u8 = 4;
/// `<type>` 5: public key.
pub const TYPE_PUBLIC_KEY: u8 = 5;
/// `<type>` 6: device identity public key.
pub const TYPE_IDENTITY_PUBLIC_KEY: u8 = 6;
/// `<type>` 8: endorsement private key.
pub const TYPE_ENDORSEMENT_KEY: u8 = 8;

/// One credential's address: `(sec_tag, type)`. Orders by tag, then type (the `%CMNG=1`
/// listing order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CredKey {
    /// The security tag.
    pub sec_tag: u32,
    /// The `%CMNG` credential type.
    pub cred_type: u8,
}

impl CredKey {
    /// The address `(sec_tag, cred_type)`.
    pub const fn new(sec_tag: u32, cred_type: u8) -> Self {
        Self { sec_tag, cred_type }
    }

    /// Whether `%CMNG=2` may not return this credential's content: private keys (2, 8) and
    /// PSKs (3) stay inside the modem (answered with CME 514, "no access").
    pub fn is_secret(&self) -> bool {
        matches!(
            self.cred_type,
            TYPE_CLIENT_KEY | TYPE_PSK | TYPE_ENDORSEMENT_KEY
        )
    }
}

/// Every stored credential, sorted by `(sec_tag, type)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CredentialStore {
    entries: BTreeMap<CredKey, Vec<u8>>,
}

impl CredentialStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The content at `key`, if any.
    pub fn get(&self, key: CredKey) -> Option<&[u8]> {
        self.entries.get(&key).map(Vec::as_slice)
    }

    /// Whether a credential is stored at `key`.
    pub fn contains(&self, key: CredKey) -> bool {
        self.entries.contains_key(&key)
    }

    /// Stores (or replaces) the content at `key`.
    pub fn insert(&mut self, key: CredKey, content: Vec<u8>) {
        self.entries.insert(key, content);
    }

    /// Removes the credential at `key`; returns whether there was one.
    pub fn remove(&mut self, key: CredKey) -> bool {
        self.entries.remove(&key).is_some()
    }

    /// All credentials in `(sec_tag, type)` order.
    pub fn iter(&self) -> impl Iterator<Item = (CredKey, &[u8])> {
        self.entries.iter().map(|(k, v)| (*k, v.as_slice()))
    }

    /// How many credentials are stored.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The `<sha>` of `%CMNG`: upper-case hex SHA-256 of the exact content bytes.
pub fn content_sha(content: &[u8]) -> String {
    hex::encode_upper(Sha256::digest(content))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_by_tag_then_type() {
        let mut s = CredentialStore::new();
        s.insert(CredKey::new(7, 1), b"b".to_vec());
        s.insert(CredKey::new(3, 2), b"c".to_vec());
        s.insert(CredKey::new(7, 0), b"a".to_vec());
        let keys: Vec<_> = s.iter().map(|(k, _)| (k.sec_tag, k.cred_type)).collect();
        assert_eq!(keys, vec![(3, 2), (7, 0), (7, 1)]);
        assert!(s.remove(CredKey::new(7, 0)));
        assert!(!s.remove(CredKey::new(7, 0)));
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn sha_is_upper_hex() {
        assert_eq!(
            content_sha(b""),
            "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
        );
    }
}
