//! Origins and hosts: which web pages may change things, and which `Host`
//! names an open API answers to.

use std::net::IpAddr;

/// An origin as browsers send it: `scheme://host[:port]`, lowercase, the
/// default port left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub scheme: String,
    /// `host[:port]`.
    pub authority: String,
}

impl Origin {
    /// Parses an origin, or the origin part of a URL (`INGEST_PUBLIC_URL`).
    pub fn parse(raw: &str) -> Option<Self> {
        let (scheme, rest) = raw.trim().split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return None;
        }
        let authority = rest.split(['/', '?', '#']).next()?.to_ascii_lowercase();
        if authority.is_empty() || authority.contains('@') {
            return None;
        }
        let default_port = if scheme == "http" { ":80" } else { ":443" };
        let authority = authority
            .strip_suffix(default_port)
            .map(str::to_owned)
            .unwrap_or(authority);
        Some(Self { scheme, authority })
    }

    pub fn host(&self) -> &str {
        host_of(&self.authority)
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}", self.scheme, self.authority)
    }
}

/// The host of `host[:port]` (IPv6 keeps its brackets).
pub fn host_of(authority: &str) -> &str {
    if authority.starts_with('[') {
        return authority
            .find(']')
            .map_or(authority, |end| &authority[..=end]);
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => authority,
    }
}

/// `localhost`, `127.0.0.0/8` or `[::1]`.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_end_matches('.');
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The origins allowed besides the server's own, and the public name.
#[derive(Debug, Clone, Default)]
pub struct Allowed {
    pub origins: Vec<Origin>,
    pub public: Option<Origin>,
}

impl Allowed {
    pub fn new(origins: &[String], public_url: Option<&str>) -> Result<Self, String> {
        let origins = origins
            .iter()
            .map(|o| o.trim())
            .filter(|o| !o.is_empty())
            .map(|o| {
                Origin::parse(o).ok_or_else(|| {
                    format!("INGEST_ALLOWED_ORIGINS: {o:?} is not an origin like https://dash.example.com")
                })
            })
            .collect::<Result<_, _>>()?;
        let public = match public_url.map(str::trim).filter(|u| !u.is_empty()) {
            None => None,
            Some(url) => Some(Origin::parse(url).ok_or_else(|| {
                format!("INGEST_PUBLIC_URL: {url:?} is not a URL like https://ingest.example.com")
            })?),
        };
        Ok(Self { origins, public })
    }

    /// Whether an open API answers a request for `authority` (the `Host`).
    pub fn host_allowed(&self, authority: &str) -> bool {
        let authority = authority.to_ascii_lowercase();
        is_loopback_host(host_of(&authority))
            || self
                .public
                .as_ref()
                .is_some_and(|public| public.host() == host_of(&authority))
    }

    /// Whether a page from `origin` may change things on a server reached
    /// as `host` (the request's `Host`).
    pub fn origin_allowed(&self, origin: &str, host: Option<&str>, open_loopback: bool) -> bool {
        let Some(origin) = Origin::parse(origin) else {
            return false; // `null` (sandboxed pages, file://) and garbage
        };
        // The server's own page: the browser's origin names the host it asked.
        // Either scheme: a TLS proxy in front changes it, not the site.
        if host.is_some_and(|host| host.eq_ignore_ascii_case(&origin.authority)) {
            return true;
        }
        self.public.as_ref() == Some(&origin)
            || self.origins.contains(&origin)
            || (open_loopback && is_loopback_host(origin.host()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalised() {
        let o = Origin::parse("HTTP://Example.com:80/").expect("origin");
        assert_eq!(o.to_string(), "http://example.com");
        assert_eq!(
            Origin::parse("https://[::1]:5173").expect("v6").host(),
            "[::1]"
        );
        assert!(Origin::parse("null").is_none());
        assert!(Origin::parse("ftp://x").is_none());
        assert!(Origin::parse("http://user@evil.test").is_none());
    }

    #[test]
    fn loopback_hosts() {
        for host in ["localhost", "127.0.0.1", "127.1.2.3", "[::1]", "LOCALHOST"] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "attacker.test",
            "10.0.0.1",
            "localhost.evil.test",
            "0.0.0.0",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
        assert_eq!(host_of("127.0.0.1:8000"), "127.0.0.1");
        assert_eq!(host_of("[::1]:8000"), "[::1]");
    }

    #[test]
    fn who_may_write() {
        let allowed = Allowed::new(
            &["https://dash.example.com".into()],
            Some("https://ingest.example.com/"),
        )
        .expect("valid");
        let own = Some("127.0.0.1:8000");
        assert!(allowed.origin_allowed("http://127.0.0.1:8000", own, false));
        assert!(allowed.origin_allowed("https://dash.example.com", own, false));
        assert!(allowed.origin_allowed("https://ingest.example.com", own, false));
        assert!(!allowed.origin_allowed("http://evil.test", own, true));
        assert!(!allowed.origin_allowed("null", own, true));
        assert!(!allowed.origin_allowed("http://localhost:5173", own, false));
        assert!(allowed.origin_allowed("http://localhost:5173", own, true));
        assert!(allowed.host_allowed("ingest.example.com"));
        assert!(allowed.host_allowed("localhost:8000"));
        assert!(!allowed.host_allowed("attacker.test:8000"));
    }
}
