//! Sends messages over pooled async SMTP, or writes `.eml` files for local trials.
use std::time::Duration;

use lettre::{
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    transport::smtp::PoolConfig,
};
use secrecy::ExposeSecret;

use super::smtp::NodelayPool;
use crate::config::EmailSettings;

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
        let url = settings.smtp_url.expose_secret();
        if let Some(dir) = url.strip_prefix("file://") {
            std::fs::create_dir_all(dir)
                .map_err(|e| anyhow::anyhow!("cannot create the mail folder {dir}: {e}"))?;
            return Ok(Self::File(AsyncFileTransport::new(dir)));
        }
        let parsed = url::Url::parse(url).map_err(|_| anyhow::anyhow!("SMTP_URL is not a URL"))?;
        if let Some(pool) = NodelayPool::from_url(&parsed, pool_size as usize)? {
            return Ok(Self::Smtp(pool));
        }
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|_| anyhow::anyhow!("SMTP_URL is not a valid SMTP URL"))?
            .timeout(Some(Duration::from_secs(30)))
            .pool_config(PoolConfig::new().max_size(pool_size.max(1)))
            .build();
        Ok(Self::SmtpTls(transport))
    }

    /// Checks an `SMTP_URL` without connecting, so a mistake stops the process at start.
    pub fn check_url(url: &str) -> Result<(), String> {
        if let Some(dir) = url.strip_prefix("file://") {
            return match dir.is_empty() {
                true => Err("file:// needs a folder, e.g. file:///var/mail/esim".into()),
                false => Ok(()),
            };
        }
        let parsed = url::Url::parse(url).map_err(|e| e.to_string())?;
        if NodelayPool::from_url(&parsed, 1)
            .map_err(|e| e.to_string())?
            .is_some()
        {
            return Ok(());
        }
        AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map(|_| ())
            .map_err(|_| {
                "expected smtp://host[:port], smtp://…?tls=required or smtps://host".into()
            })
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
