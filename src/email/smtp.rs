//! Pooled SMTP connections with TCP_NODELAY. lettre 0.11 leaves Nagle's algorithm on and
//! writes a message's body and its terminating dot separately, so every message waits for
//! the server's delayed ACK (about 40 ms); measured in docs/benchmarks.md.
use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

use lettre::{
    Message,
    transport::smtp::{
        authentication::{Credentials, Mechanism},
        client::{AsyncSmtpConnection, TlsParameters},
        extension::ClientId,
    },
};
use tokio::net::TcpStream;
use url::Url;

use super::SendError;

/// Implicit TLS (`smtps://`) is left to lettre's own transport.
pub struct NodelayPool {
    host: String,
    port: u16,
    starttls: Option<StartTls>,
    credentials: Option<Credentials>,
    hello: ClientId,
    timeout: Duration,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
    max_idle: usize,
}

struct StartTls {
    required: bool,
    parameters: TlsParameters,
}

/// A pooled connection unused for longer is checked with NOOP before reuse.
const CHECK_AFTER_IDLE: Duration = Duration::from_secs(10);

fn transient(what: &str, e: impl std::fmt::Display) -> SendError {
    SendError::Transient(format!("{what}: {e}"))
}

fn classify(e: lettre::transport::smtp::Error) -> SendError {
    if e.is_permanent() {
        SendError::Permanent(e.to_string())
    } else {
        SendError::Transient(e.to_string())
    }
}

impl NodelayPool {
    /// Reads `smtp://[user:pass@]host[:port][/ehlo-name][?tls=required|opportunistic]`
    /// as lettre does; `None` for other schemes.
    pub fn from_url(url: &Url, max_idle: usize) -> anyhow::Result<Option<Self>> {
        if url.scheme() != "smtp" {
            return Ok(None);
        }
        let host = url
            .host_str()
            .ok_or_else(|| anyhow::anyhow!("SMTP_URL has no host"))?
            .to_owned();
        let tls = url
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let (port, starttls) = match tls.as_deref() {
            None => (url.port().unwrap_or(25), None),
            Some(mode @ ("required" | "opportunistic")) => {
                let parameters = TlsParameters::new(host.clone())?;
                let required = mode == "required";
                (
                    url.port().unwrap_or(587),
                    Some(StartTls {
                        required,
                        parameters,
                    }),
                )
            }
            Some(other) => anyhow::bail!("SMTP_URL: unknown tls={other}"),
        };
        let decode = |s: &str| {
            percent_encoding_decode(s)
                .ok_or_else(|| anyhow::anyhow!("SMTP_URL: bad percent-encoding"))
        };
        let credentials = match url.password() {
            Some(password) => Some(Credentials::new(decode(url.username())?, decode(password)?)),
            None => None,
        };
        let path = url.path().trim_matches('/');
        let hello = if path.is_empty() {
            ClientId::default()
        } else {
            ClientId::Domain(path.to_owned())
        };
        Ok(Some(Self {
            host,
            port,
            starttls,
            credentials,
            hello,
            timeout: Duration::from_secs(30),
            idle: Mutex::new(Vec::new()),
            max_idle: max_idle.max(1),
        }))
    }

    pub async fn send(&self, message: &Message) -> Result<(), SendError> {
        let mut conn = self.checkout().await?;
        let sent = tokio::time::timeout(
            self.timeout,
            conn.send(message.envelope(), &message.formatted()),
        )
        .await;
        match sent {
            Ok(Ok(_)) => {
                self.checkin(conn);
                Ok(())
            }
            Ok(Err(e)) => {
                conn.abort().await;
                Err(classify(e))
            }
            Err(_) => Err(SendError::Transient(
                "the mail server did not answer in time".into(),
            )),
        }
    }

    async fn checkout(&self) -> Result<AsyncSmtpConnection, SendError> {
        loop {
            let pooled = self.idle.lock().expect("lock").pop();
            let Some((mut conn, since)) = pooled else {
                return self.connect().await;
            };
            if conn.has_broken() {
                continue;
            }
            if since.elapsed() < CHECK_AFTER_IDLE || conn.test_connected().await {
                return Ok(conn);
            }
        }
    }

    fn checkin(&self, conn: AsyncSmtpConnection) {
        let mut idle = self.idle.lock().expect("lock");
        if idle.len() < self.max_idle {
            idle.push((conn, Instant::now()));
        }
    }

    /// Every failure here is transient, a refused login included: a wrong password or a
    /// server turning connections away is fixed on that side, and the deliveries wait.
    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let setup =
            |what: &'static str| move |e: lettre::transport::smtp::Error| transient(what, e);
        let connect = async {
            let tcp = TcpStream::connect((self.host.as_str(), self.port))
                .await
                .map_err(|e| transient("cannot connect to the mail server", e))?;
            tcp.set_nodelay(true)
                .map_err(|e| transient("cannot set TCP_NODELAY", e))?;
            let mut conn = AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello)
                .await
                .map_err(setup("the mail server refused the connection"))?;
            if let Some(tls) = &self.starttls {
                if conn.can_starttls() {
                    conn.starttls(tls.parameters.clone(), &self.hello)
                        .await
                        .map_err(setup("STARTTLS failed"))?;
                } else if tls.required {
                    conn.abort().await;
                    return Err(SendError::Transient(
                        "the mail server does not offer STARTTLS, which SMTP_URL requires".into(),
                    ));
                }
            }
            if let Some(credentials) = &self.credentials {
                conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                    .await
                    .map_err(setup("the mail server refused the login"))?;
            }
            Ok(conn)
        };
        tokio::time::timeout(self.timeout, connect)
            .await
            .unwrap_or_else(|_| {
                Err(SendError::Transient(
                    "connecting to the mail server timed out".into(),
                ))
            })
    }
}

/// `%XX` decoding for the URL's user and password.
fn percent_encoding_decode(s: &str) -> Option<String> {
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

    fn pool(url: &str) -> NodelayPool {
        NodelayPool::from_url(&url.parse().unwrap(), 4)
            .unwrap()
            .unwrap()
    }

    #[test]
    fn reads_smtp_urls_as_lettre_does() {
        let plain = pool("smtp://mail.example");
        assert_eq!((plain.host.as_str(), plain.port), ("mail.example", 25));
        assert!(plain.starttls.is_none() && plain.credentials.is_none());
        let submission = pool("smtp://user%40x:p%2Fss@mail.example?tls=required");
        assert_eq!(submission.port, 587);
        assert!(submission.starttls.as_ref().unwrap().required);
        assert!(submission.credentials.is_some());
        assert!(
            !pool("smtp://m:2525?tls=opportunistic")
                .starttls
                .unwrap()
                .required
        );
        assert_eq!(pool("smtp://m:2525").port, 2525);
        let smtps: Url = "smtps://mail.example".parse().unwrap();
        assert!(NodelayPool::from_url(&smtps, 4).unwrap().is_none());
        let bad: Url = "smtp://m?tls=maybe".parse().unwrap();
        assert!(NodelayPool::from_url(&bad, 4).is_err());
    }

    #[test]
    fn percent_decoding_handles_escapes() {
        assert_eq!(percent_encoding_decode("a%40b%2F").as_deref(), Some("a@b/"));
        assert_eq!(percent_encoding_decode("%4"), None);
    }
}
