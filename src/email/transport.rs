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
    /// The relay asks to slow down (`454 Throttling failure`, `421`, a 4.7.x rate limit):
    /// try later, and send slower meanwhile.
    #[error("the mail server throttles sending: {0}")]
    Throttled(String),
}

/// A relay's "too fast": `421`, or `451`/`452`/`454` with an enhanced code `4.7.x` or
/// text that names a rate or throttling (SES: `454 Throttling failure: Maximum sending
/// rate exceeded`).
pub fn is_throttling(code: Option<u16>, text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    match code {
        Some(421) => true,
        Some(451 | 452 | 454) => {
            text.contains(" 4.7.")
                || text.starts_with("4.7.")
                || text.contains("throttl")
                || text.contains("rate")
        }
        _ => false,
    }
}

/// A lettre SMTP error as this service acts on it.
pub(super) fn classify(e: lettre::transport::smtp::Error) -> SendError {
    let text = e.to_string();
    let code = e.status().and_then(|c| c.to_string().parse::<u16>().ok());
    if e.is_permanent() {
        SendError::Permanent(text)
    } else if is_throttling(code, &text) {
        SendError::Throttled(text)
    } else {
        SendError::Transient(text)
    }
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
            Self::SmtpTls(smtp) => smtp.send(message).await.map(|_| ()).map_err(classify),
            Self::File(file) => file
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| SendError::Transient(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_throttling;

    #[test]
    fn throttling_answers_are_told_apart_from_other_temporary_ones() {
        let throttled = [
            (421, "4.7.0 Try again later, closing connection"),
            (454, "Throttling failure: Maximum sending rate exceeded."),
            (451, "4.7.1 Temporary rate limit"),
            (452, "Too many emails sent in the last hour (rate)"),
        ];
        for (code, text) in throttled {
            assert!(is_throttling(Some(code), text), "{code} {text}");
        }
        let other = [
            (450, "4.2.1 Mailbox busy"),
            (451, "4.3.0 Local error in processing"),
            (452, "4.2.2 Mailbox full"),
            (550, "5.7.1 rate limited forever"),
        ];
        for (code, text) in other {
            assert!(!is_throttling(Some(code), text), "{code} {text}");
        }
        assert!(!is_throttling(None, "throttling"));
    }
}
