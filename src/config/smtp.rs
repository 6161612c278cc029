//! `SMTP_URL`, read once at start into what the mailer needs.
use std::{fmt, path::PathBuf};

use secrecy::SecretString;
use url::Url;

#[derive(Clone)]
pub enum SmtpUrl {
    /// `file:///dir`: `.eml` files, for local trials.
    File(PathBuf),
    Server(SmtpServer),
}

#[derive(Clone)]
pub struct SmtpServer {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    /// User and password, percent-decoded.
    pub credentials: Option<(String, SecretString)>,
    /// The EHLO name: the URL's path, when given.
    pub hello: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// `smtp://`: plain.
    None,
    /// `smtp://…?tls=required|opportunistic`.
    StartTls { required: bool },
    /// `smtps://`.
    Implicit,
}

impl fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(dir) => f.debug_tuple("File").field(dir).finish(),
            Self::Server(s) => f
                .debug_struct("Server")
                .field("host", &s.host)
                .field("port", &s.port)
                .field("tls", &s.tls)
                .field("credentials", &s.credentials.as_ref().map(|_| "[REDACTED]"))
                .finish(),
        }
    }
}

impl SmtpUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        parse(url)
    }
}

const EXPECTED: &str =
    "expected smtp://host[:port], smtp://…?tls=required, smtps://host or file:///dir";

/// Reads `SMTP_URL` as lettre's `from_url` does.
pub fn parse(url: &str) -> Result<SmtpUrl, String> {
    if let Some(dir) = url.strip_prefix("file://") {
        return match dir.is_empty() {
            true => Err("names no folder; expected file:///var/mail/esim".into()),
            false => Ok(SmtpUrl::File(dir.into())),
        };
    }
    let parsed = Url::parse(url)
        .ok()
        .filter(|u| matches!(u.scheme(), "smtp" | "smtps"))
        .ok_or_else(|| format!("is not an smtp:// or smtps:// URL; {EXPECTED}"))?;
    let host = parsed
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| format!("names no host; {EXPECTED}"))?
        .to_owned();
    let tls_param = parsed
        .query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.into_owned());
    let (tls, default_port) = match (parsed.scheme(), tls_param.as_deref()) {
        ("smtps", _) => (SmtpTls::Implicit, 465),
        ("smtp", None) => (SmtpTls::None, 25),
        ("smtp", Some(mode @ ("required" | "opportunistic"))) => (
            SmtpTls::StartTls {
                required: mode == "required",
            },
            587,
        ),
        ("smtp", Some(other)) => {
            return Err(format!(
                "has tls={other}; expected tls=required or tls=opportunistic"
            ));
        }
        _ => return Err(EXPECTED.into()),
    };
    let decode = |s: &str| {
        percent_decode(s).ok_or_else(|| "has a bad %-escape in its user or password".to_owned())
    };
    let credentials = match parsed.password() {
        Some(password) => Some((
            decode(parsed.username())?,
            SecretString::from(decode(password)?),
        )),
        None => None,
    };
    let path = parsed.path().trim_matches('/');
    Ok(SmtpUrl::Server(SmtpServer {
        host,
        port: parsed.port().unwrap_or(default_port),
        tls,
        credentials,
        hello: (!path.is_empty()).then(|| path.to_owned()),
    }))
}

/// `%XX` decoding for the URL's user and password.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(url: &str) -> SmtpServer {
        match parse(url).unwrap() {
            SmtpUrl::Server(s) => s,
            SmtpUrl::File(_) => panic!("expected a server"),
        }
    }

    #[test]
    fn reads_smtp_urls_as_lettre_does() {
        let plain = server("smtp://mail.example");
        assert_eq!((plain.host.as_str(), plain.port), ("mail.example", 25));
        assert!(plain.tls == SmtpTls::None && plain.credentials.is_none());
        let submission = server("smtp://user%40x:p%2Fss@mail.example?tls=required");
        assert_eq!(submission.port, 587);
        assert_eq!(submission.tls, SmtpTls::StartTls { required: true });
        assert_eq!(submission.credentials.unwrap().0, "user@x");
        let opportunistic = server("smtp://m:2525?tls=opportunistic");
        assert_eq!(opportunistic.tls, SmtpTls::StartTls { required: false });
        assert_eq!(server("smtp://m:2525").port, 2525);
        let smtps = server("smtps://mail.example");
        assert_eq!((smtps.tls, smtps.port), (SmtpTls::Implicit, 465));
        assert_eq!(
            server("smtp://m/relay.example").hello.as_deref(),
            Some("relay.example")
        );
        assert!(parse("smtp://m?tls=maybe").is_err());
        assert!(parse("http://m").is_err());
        assert!(parse("file://").is_err());
        assert!(matches!(parse("file:///tmp/mail"), Ok(SmtpUrl::File(_))));
    }

    #[test]
    fn percent_decoding_handles_escapes() {
        assert_eq!(percent_decode("a%40b%2F").as_deref(), Some("a@b/"));
        assert_eq!(percent_decode("%4"), None);
    }
}
