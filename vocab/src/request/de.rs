//! Reading a `request` object: exactly one key, the command type.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{Error as _, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::{CommandRequest, COMMAND_TYPES};

impl<'de, C: Deserialize<'de>> Deserialize<'de> for CommandRequest<C> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(OneType(PhantomData))
    }
}

/// Visits the request object; an empty one, or one with two command types, gets a message
/// saying so (serde's derived enum would say "invalid length" or similar).
struct OneType<C>(PhantomData<C>);

impl<'de, C: Deserialize<'de>> Visitor<'de> for OneType<C> {
    type Value = CommandRequest<C>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object with exactly one command type, e.g. {\"finished\": {}}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let Some(kind) = map.next_key::<String>()? else {
            return Err(A::Error::custom(
                "the request object is empty: it must hold one command type, e.g. {\"finished\": {}}",
            ));
        };
        let request = match kind.as_str() {
            "clientPrivateKeyGeneration" => {
                CommandRequest::ClientPrivateKeyGeneration(map.next_value()?)
            }
            "certificateSigningRequest" => {
                CommandRequest::CertificateSigningRequest(map.next_value()?)
            }
            "cloudAccessKeyGeneration" => {
                CommandRequest::CloudAccessKeyGeneration(map.next_value()?)
            }
            "clientCertificate" => CommandRequest::ClientCertificate(map.next_value()?),
            "serverCertificate" => CommandRequest::ServerCertificate(map.next_value()?),
            "config" => CommandRequest::Config(map.next_value()?),
            "atCommand" => CommandRequest::AtCommand(map.next_value()?),
            "finished" => CommandRequest::Finished(map.next_value()?),
            other => return Err(A::Error::unknown_variant(other, &COMMAND_TYPES)),
        };
        if let Some(extra) = map.next_key::<String>()? {
            return Err(A::Error::custom(format!(
                "the request object holds more than one command type ({kind:?} and {extra:?}); send one command per request"
            )));
        }
        Ok(request)
    }
}
