//! One delivery attempt up to the send: resolve the user, fetch credentials, compose.
use lettre::{Address, Message, message::Mailbox};
use secrecy::ExposeSecret;

use crate::{
    domain::{DeliveryKind, LpaActivationCode, SimId, UserId},
    email::{EmailComposer, Recipient, SendError},
    gigs::{GigsClient, GigsError, User as GigsUser},
    install::InstallLinks,
    store::{Claimed, queue::NewNotice, suppressions},
};

/// Why an attempt did not send; reasons never carry credentials.
#[derive(Debug)]
pub enum AttemptError {
    Skip(String),
    Permanent(String),
    Transient {
        reason: String,
        retry_after: Option<std::time::Duration>,
    },
    /// Another worker holds the delivery now: nothing was sent, nothing is recorded.
    LeaseLost,
}

impl From<GigsError> for AttemptError {
    fn from(e: GigsError) -> Self {
        if e.is_permanent() {
            Self::Permanent(e.to_string())
        } else {
            Self::Transient {
                retry_after: e.retry_after(),
                reason: e.to_string(),
            }
        }
    }
}

impl From<SendError> for AttemptError {
    fn from(e: SendError) -> Self {
        match e {
            SendError::Permanent(_) => Self::Permanent(e.to_string()),
            SendError::Transient(_) | SendError::Throttled(_) => Self::Transient {
                reason: e.to_string(),
                retry_after: None,
            },
        }
    }
}

/// What the attempt learnt from Gigs, kept whatever the outcome.
#[derive(Debug, Default)]
pub struct Resolved {
    pub user_id: Option<UserId>,
    pub recipient: Option<String>,
}

/// A message ready to go out.
pub struct Prepared {
    pub message: Message,
    pub message_id: String,
    pub locale: &'static str,
    /// A notice to the SIM's previous address, queued when this one is delivered.
    pub notice: Option<NewNotice>,
}

pub struct Attempt<'a> {
    pub pool: &'a sqlx::PgPool,
    pub gigs: &'a GigsClient,
    pub composer: &'a EmailComposer,
    pub links: Option<&'a InstallLinks>,
}

impl Attempt<'_> {
    /// Everything up to the send: the user and their address (checked against the
    /// suppression list), then the credentials, the install link and the message.
    pub async fn prepare(
        &self,
        c: &Claimed,
        resolved: &mut Resolved,
    ) -> Result<Prepared, AttemptError> {
        if c.kind == DeliveryKind::Notice {
            return self.prepare_notice(c, resolved).await;
        }
        let sim = c
            .sim_id
            .as_ref()
            .ok_or_else(|| AttemptError::Skip("the delivery names no SIM".into()))?;
        if c.kind == DeliveryKind::Reminder && c.installed_at.is_some() {
            return Err(AttemptError::Skip(
                "the eSIM was installed meanwhile".into(),
            ));
        }
        let user_id = self.user_id(c).await?;
        resolved.user_id = Some(user_id.clone());
        let user = self.gigs.user(&user_id).await?;
        let (address, email) = self.address(&user).await?;
        let notice = self.notice_for(c, sim, &email).await?;
        resolved.recipient = Some(email);

        // Credentials are fetched last, once there is somewhere to send them.
        let creds = self.gigs.sim_credentials(sim).await?;
        let code = creds
            .activation_code
            .as_ref()
            .ok_or_else(|| AttemptError::Skip("Gigs has no credentials for this SIM".into()))?;
        let lpa = LpaActivationCode::parse(code.expose_secret()).map_err(|_| {
            AttemptError::Permanent("the activation code from Gigs is not an LPA:1 string".into())
        })?;
        let install_link = self.install_link(c, sim).await?;
        let names = Names::of(user.full_name.as_deref());
        let recipient = Recipient {
            mailbox: Mailbox::new(names.header, address),
            name: names.greeting.as_deref(),
            preferred_locale: user.preferred_locale.as_deref(),
        };
        let composed = self
            .composer
            .compose(
                c.id.as_str(),
                &recipient,
                &lpa,
                &creds,
                install_link.as_deref(),
                c.kind,
            )
            .map_err(not_composed)?;
        Ok(Prepared {
            message: composed.message,
            message_id: composed.message_id,
            locale: composed.locale,
            notice,
        })
    }

    /// The user's address, unless it is missing, invalid or suppressed.
    async fn address(&self, user: &GigsUser) -> Result<(Address, String), AttemptError> {
        let email = user
            .email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .ok_or_else(|| AttemptError::Permanent("the Gigs user has no email address".into()))?;
        let suppressed =
            suppressions::find(self.pool, email)
                .await
                .map_err(|e| AttemptError::Transient {
                    reason: format!("the suppression list could not be read: {e}"),
                    retry_after: None,
                })?;
        if let Some(s) = suppressed {
            return Err(AttemptError::Skip(format!(
                "the address is suppressed since {}: {}",
                s.created_at.format("%Y-%m-%d"),
                s.reason
            )));
        }
        let address: Address = email.parse().map_err(|_| {
            AttemptError::Permanent("the Gigs user's email address is not valid".into())
        })?;
        Ok((address, email.to_owned()))
    }

    /// Committed before the send, so the link works the moment the email arrives.
    async fn install_link(&self, c: &Claimed, sim: &SimId) -> Result<Option<String>, AttemptError> {
        let Some(links) = self.links else {
            return Ok(None);
        };
        let link =
            links
                .issue(&c.id, &c.project, sim)
                .await
                .map_err(|e| AttemptError::Transient {
                    reason: format!("the install link could not be stored: {e}"),
                    retry_after: None,
                })?;
        Ok(Some(link))
    }

    /// The user from the delivery, or, for a SIM swap, from its subscription.
    async fn user_id(&self, c: &Claimed) -> Result<UserId, AttemptError> {
        if let Some(user) = &c.user_id {
            return Ok(user.clone());
        }
        let sub = c.subscription_id.as_ref().ok_or_else(|| {
            AttemptError::Skip("the delivery names no user or subscription".into())
        })?;
        let subscription = self.gigs.subscription(sub).await?;
        subscription
            .user_id()
            .and_then(|u| UserId::parse(u).ok())
            .ok_or_else(|| AttemptError::Permanent("the Gigs subscription names no user".into()))
    }
}

/// Composing is ours alone to get wrong: a bug, logged, and the delivery fails for good.
fn not_composed(e: anyhow::Error) -> AttemptError {
    tracing::error!(error = %e, "composing the email failed");
    AttemptError::Permanent("the email could not be composed".into())
}

/// A user's name as the email uses it.
struct Names {
    /// For the `To` header: left out when it holds a line break or any control character,
    /// which could not go into a header safely (the message goes to the address alone).
    header: Option<String>,
    /// For the greeting: line breaks become spaces, so the name stays one line of text.
    greeting: Option<String>,
}

impl Names {
    fn of(full_name: Option<&str>) -> Self {
        let header = full_name
            .map(str::trim)
            .filter(|n| !n.is_empty() && !n.chars().any(char::is_control))
            .map(str::to_owned);
        let greeting = full_name
            .map(|n| {
                n.split(char::is_control)
                    .filter(|part| !part.trim().is_empty())
                    .map(str::trim)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .filter(|n| !n.is_empty());
        Self { header, greeting }
    }
}
