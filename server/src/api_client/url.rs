//! The service's base URL as `provlab` tools take it: `http://host[:port][/prefix]`.

use super::error::ApiError;

/// Where the REST API is: scheme `http`, `host:port` and an optional path prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    /// `host:port` (port 80 when the URL has none).
    pub authority: String,
    /// The path prefix without a trailing slash (usually empty).
    pub prefix: String,
}

impl BaseUrl {
    /// Parses `http://host[:port][/prefix]`. Only plain HTTP: the fake service's REST API
    /// is a lab tool on loopback or a lab network.
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        let invalid = |reason: &str| ApiError::InvalidUrl {
            url: text.to_owned(),
            reason: reason.to_owned(),
        };
        let rest = text
            .strip_prefix("http://")
            .ok_or_else(|| invalid("only http:// URLs are supported"))?;
        let (authority, prefix) = match rest.find(['/', '?', '#']) {
            Some(i) if rest[i..].starts_with('/') => (&rest[..i], rest[i..].trim_end_matches('/')),
            Some(_) => return Err(invalid("a base URL takes no query or fragment")),
            None => (rest, ""),
        };
        if prefix.contains(['?', '#']) {
            return Err(invalid("a base URL takes no query or fragment"));
        }
        if authority.is_empty() {
            return Err(invalid("it has no host"));
        }
        if authority.contains('@') {
            return Err(invalid(
                "user information is not supported; pass the API key",
            ));
        }
        let has_port = match authority.rsplit_once(':') {
            // `[::1]` alone has colons but no port.
            Some((host, port)) if !port.contains(']') => {
                if host.is_empty() {
                    return Err(invalid("it has no host"));
                }
                port.parse::<u16>()
                    .map_err(|_| invalid("the port is not a number from 0 to 65535"))?;
                true
            }
            _ => false,
        };
        let authority = if has_port {
            authority.to_owned()
        } else {
            format!("{authority}:80")
        };
        Ok(Self {
            authority,
            prefix: prefix.to_owned(),
        })
    }

    /// The full URL of `path` (which starts with `/`).
    pub fn join(&self, path: &str) -> String {
        format!("http://{}{}{}", self.authority, self.prefix, path)
    }
}

impl std::fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "http://{}{}", self.authority, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_defaults_to_80_and_a_prefix_loses_its_trailing_slash() {
        let url = BaseUrl::parse("http://lab.example/api/").unwrap();
        assert_eq!(url.authority, "lab.example:80");
        assert_eq!(url.prefix, "/api");
        assert_eq!(
            url.join("/v1/health"),
            "http://lab.example:80/api/v1/health"
        );
    }

    #[test]
    fn ipv6_hosts_keep_their_brackets() {
        assert_eq!(
            BaseUrl::parse("http://[::1]").unwrap().authority,
            "[::1]:80"
        );
        assert_eq!(
            BaseUrl::parse("http://[::1]:8080").unwrap().authority,
            "[::1]:8080"
        );
    }

    #[test]
    fn unusable_urls_say_why() {
        for (url, why) in [
            ("https://x", "only http://"),
            ("http://", "no host"),
            ("http://:80", "no host"),
            ("http://x:99999", "port"),
            ("http://x:port", "port"),
            ("http://x?a=1", "query"),
            ("http://u:p@x", "user information"),
        ] {
            let e = BaseUrl::parse(url).unwrap_err().to_string();
            assert!(e.contains(why), "{url}: {e}");
            assert!(e.contains(url), "{url}: {e}");
        }
    }
}
