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
use secrecy::ExposeSecret;
use tokio::net::TcpStream;

use super::{SendError, transport::classify};
use crate::config::{SmtpServer, SmtpTls};

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

impl NodelayPool {
    /// For `smtp://` servers, plain or STARTTLS; `smtps://` goes through lettre.
    pub fn new(server: &SmtpServer, max_idle: usize) -> anyhow::Result<Self> {
        let starttls = match server.tls {
            SmtpTls::StartTls { required } => Some(StartTls {
                required,
                parameters: TlsParameters::new(server.host.clone())?,
            }),
            SmtpTls::None => None,
            SmtpTls::Implicit => anyhow::bail!("implicit TLS goes through lettre's transport"),
        };
        Ok(Self {
            host: server.host.clone(),
            port: server.port,
            starttls,
            credentials: server.credentials.as_ref().map(|(user, password)| {
                Credentials::new(user.clone(), password.expose_secret().to_owned())
            }),
            hello: server
                .hello
                .clone()
                .map_or_else(ClientId::default, ClientId::Domain),
            timeout: Duration::from_secs(30),
            idle: Mutex::new(Vec::new()),
            max_idle: max_idle.max(1),
        })
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
