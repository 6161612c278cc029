//! Sends messages over pooled async SMTP, or writes `.eml` files for local trials.
use std::time::Duration;

use lettre::{
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    transport::smtp::{PoolConfig, authentication::Credentials, extension::ClientId},
};
use secrecy::ExposeSecret;

use super::smtp::NodelayPool;
use crate::config::{EmailSettings, SmtpTls, SmtpUrl};

pub enum Mailer {
    /// `smtp://`, plain or STARTTLS.
    Smtp(NodelayPool),
    /// `smtps://`: implicit TLS through lettre's transport.
    SmtpTls(AsyncSmtpTransport<Tokio1Executor>),
    File(AsyncFileTransport<Tokio1Executor>),
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The server refused for good (5xx): another try sends nothing new.
    #[error("the mail server refused the message: {0}")]
    Permanent(String),
    /// Connection trouble, timeouts, 4xx: try later.
    #[error("the mail server is unavailable: {0}")]
    Transient(String),
}

impl Mailer {
    pub fn new(settings: &EmailSettings, pool_size: u32) -> anyhow::Result<Self> {
        let server = match &settings.smtp_url {
            SmtpUrl::File(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    anyhow::anyhow!("cannot create the mail folder {}: {e}", dir.display())
                })?;
                return Ok(Self::File(AsyncFileTransport::new(dir)));
            }
            SmtpUrl::Server(server) if server.tls != SmtpTls::Implicit => {
                return Ok(Self::Smtp(NodelayPool::new(server, pool_size as usize)?));
            }
            SmtpUrl::Server(server) => server,
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::relay(&server.host)?
            .port(server.port)
            .timeout(Some(Duration::from_secs(30)))
            .pool_config(PoolConfig::new().max_size(pool_size.max(1)));
        if let Some((user, password)) = &server.credentials {
            let password = password.expose_secret().to_owned();
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        if let Some(hello) = &server.hello {
            builder = builder.hello_name(ClientId::Domain(hello.clone()));
        }
        Ok(Self::SmtpTls(builder.build()))
    }

    pub async fn send(&self, message: Message) -> Result<(), SendError> {
        match self {
            Self::Smtp(pool) => pool.send(&message).await,
            Self::SmtpTls(smtp) => smtp.send(message).await.map(|_| ()).map_err(|e| {
                if e.is_permanent() {
                    SendError::Permanent(e.to_string())
                } else {
                    SendError::Transient(e.to_string())
                }
            }),
            Self::File(file) => file
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| SendError::Transient(e.to_string())),
        }
    }
}
