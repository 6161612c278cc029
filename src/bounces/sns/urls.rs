//! Which URLs a signing certificate (or a `SubscribeURL`) may come from: SNS's own hosts
//! and configured prefixes, matched on the parsed, normalised URL that is then fetched,
//! so `../` or `%2e%2e` cannot step out of a prefix.
use url::Url;

/// A URL prefix certificates may also come from: https, or http on loopback (tests).
#[derive(Debug, Clone)]
pub struct CertPrefix(Url);

const EXPECTED: &str =
    "expected https URL prefixes ending in / (http only on 127.0.0.1 or localhost)";

impl CertPrefix {
    pub fn parse(prefix: &str) -> Result<Self, String> {
        let url = Url::parse(prefix).map_err(|_| format!("holds {prefix:?}; {EXPECTED}"))?;
        let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        let scheme = url.scheme() == "https" || (url.scheme() == "http" && loopback);
        // Ending in a slash, so `https://certs.example` cannot also admit
        // `https://certs.example.evil.net/`.
        if !scheme || !prefix.ends_with('/') || !plain(&url) || url.query().is_some() {
            return Err(format!("holds {prefix:?}; {EXPECTED}"));
        }
        Ok(Self(url))
    }

    fn admits(&self, url: &Url) -> bool {
        let p = &self.0;
        url.scheme() == p.scheme()
            && url.host() == p.host()
            && url.port_or_known_default() == p.port_or_known_default()
            && url.path().starts_with(p.path())
    }
}

/// No credentials, no fragment, and no escape left in the path once parsed (`%2f`, a
/// partial `%2e`): a server that decodes it would see another path than the one matched.
fn plain(url: &Url) -> bool {
    url.username().is_empty()
        && url.password().is_none()
        && url.fragment().is_none()
        && !url.path().contains('%')
}

/// `https://sns.<region>.amazonaws.com[.cn]/…` on the default port.
fn is_sns_host(url: &Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    let region = host.strip_prefix("sns.").and_then(|h| {
        h.strip_suffix(".amazonaws.com")
            .or(h.strip_suffix(".amazonaws.com.cn"))
    });
    url.scheme() == "https"
        && url.port().is_none()
        && region.is_some_and(|r| {
            !r.is_empty()
                && r.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

/// The URL as it will be fetched, when SNS or a configured prefix admits it.
pub fn admitted(raw: &str, prefixes: &[CertPrefix]) -> Option<Url> {
    let url = Url::parse(raw).ok()?;
    let ok = plain(&url) && (is_sns_host(&url) || prefixes.iter().any(|p| p.admits(&url)));
    ok.then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefixes() -> Vec<CertPrefix> {
        vec![CertPrefix::parse("http://127.0.0.1:9/certs/").unwrap()]
    }

    #[test]
    fn certificates_come_only_from_sns_hosts_or_under_a_configured_prefix() {
        for ok in [
            "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
            "https://sns.cn-north-1.amazonaws.com.cn/x.pem",
            "http://127.0.0.1:9/certs/test.pem",
            "http://127.0.0.1:9/certs/sub/../test.pem",
        ] {
            assert!(admitted(ok, &prefixes()).is_some(), "{ok}");
        }
        for bad in [
            "http://sns.us-east-1.amazonaws.com/x.pem",
            "https://sns.us-east-1.amazonaws.com.evil.example/x.pem",
            "https://evil.example/sns.us-east-1.amazonaws.com/x.pem",
            "https://sns..amazonaws.com/x.pem",
            "https://sns.us-east-1.amazonaws.com:8443/x.pem",
            "https://s3.amazonaws.com/x.pem",
            "https://x@sns.us-east-1.amazonaws.com/x.pem",
            "http://127.0.0.1:9/other/test.pem",
            "http://127.0.0.1:9/certs/../other/test.pem",
            "http://127.0.0.1:9/certs/%2e%2e/other/test.pem",
            "http://127.0.0.1:9/certs/%2E%2e/other/test.pem",
            "http://127.0.0.1:9/certs/..%2fother/test.pem",
            "http://127.0.0.1:9/certs/%2e%2e%2fother/test.pem",
            "http://127.0.0.1:9/certs\\..\\other/test.pem",
            "http://127.0.0.1:10/certs/test.pem",
            "https://127.0.0.1:9/certs/test.pem",
        ] {
            assert!(admitted(bad, &prefixes()).is_none(), "{bad}");
        }
    }

    #[test]
    fn prefixes_are_https_or_loopback_http_and_end_in_a_slash() {
        for ok in [
            "https://certs.example/sns/",
            "http://localhost:8080/",
            "http://[::1]:1/c/",
        ] {
            assert!(CertPrefix::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://certs.example/sns/",
            "https://certs.example",
            "https://certs.example/sns",
            "https://u:p@certs.example/",
            "https://certs.example/a%2fb/",
            "ftp://certs.example/",
            "certs.example/",
        ] {
            assert!(CertPrefix::parse(bad).is_err(), "{bad}");
        }
    }
}
