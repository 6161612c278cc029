//! Builds the MIME message: text and HTML alternatives, the QR code inline by Content-ID.
use lettre::{
    Message,
    message::{
        Attachment, Mailbox, MultiPart, SinglePart,
        header::{ContentType, Header, HeaderName, HeaderValue},
    },
};
use secrecy::ExposeSecret;

use super::{EmailContext, Rendered, Templates, locale_for, qr_png};
use crate::{
    config::EmailSettings,
    domain::{DeliveryKind, LpaActivationCode},
    gigs::SimCredentials,
};

const QR_CID: &str = "esim-qr@esim-courier";

/// `X-PM-Metadata-delivery`: Postmark echoes it in its bounce webhooks, which then name
/// the delivery they are about. Other servers ignore it.
#[derive(Clone)]
struct DeliveryMetadata(String);

impl Header for DeliveryMetadata {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-PM-Metadata-delivery")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// Who gets the email, as Gigs knows them at send time.
pub struct Recipient<'a> {
    pub mailbox: Mailbox,
    pub name: Option<&'a str>,
    pub preferred_locale: Option<&'a str>,
}

pub struct Composed {
    pub message: Message,
    pub message_id: String,
    pub locale: &'static str,
}

/// `Auto-Submitted: auto-generated` (RFC 3834): vacation responders and other robots
/// leave the message alone, so no auto-reply loops back to the sender.
#[derive(Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}

pub struct EmailComposer {
    templates: Templates,
    settings: EmailSettings,
    message_id_domain: String,
}

impl EmailComposer {
    pub fn new(settings: &EmailSettings) -> anyhow::Result<Self> {
        Ok(Self {
            templates: Templates::load(settings.templates_dir.as_deref())?,
            message_id_domain: settings.from.email.domain().to_owned(),
            settings: settings.clone(),
        })
    }

    /// `<dlv_…@sender-domain>`: a retry of the same delivery carries the same id, so
    /// receiving servers and clients can tell a repeat from a new message.
    pub fn message_id(&self, delivery_id: &str) -> String {
        format!("<{delivery_id}@{}>", self.message_id_domain)
    }

    /// The subject and both parts, as `compose` puts them in the message.
    pub fn render(
        &self,
        to: &Recipient<'_>,
        lpa: &LpaActivationCode,
        creds: &SimCredentials,
        install_link: Option<&str>,
        kind: DeliveryKind,
    ) -> anyhow::Result<Rendered> {
        Ok(self.templates.render(&EmailContext {
            locale: locale_for(to.preferred_locale),
            kind,
            brand: self.settings.brand(),
            support_url: self.settings.support_url.as_ref().map(|u| u.as_str()),
            name: to.name.filter(|n| !n.trim().is_empty()),
            install_link,
            ios_url: creds.ios_install_url.as_ref().map(|u| u.expose_secret()),
            android_url: creds
                .android_install_url
                .as_ref()
                .map(|u| u.expose_secret()),
            lpa: lpa.expose(),
            smdp: lpa.smdp_address(),
            matching_id: lpa.matching_id(),
            qr_cid: QR_CID,
        })?)
    }

    pub fn compose(
        &self,
        delivery_id: &str,
        to: &Recipient<'_>,
        lpa: &LpaActivationCode,
        creds: &SimCredentials,
        install_link: Option<&str>,
        kind: DeliveryKind,
    ) -> anyhow::Result<Composed> {
        let rendered = self.render(to, lpa, creds, install_link, kind)?;
        let png = qr_png(lpa.expose())?;
        let message_id = self.message_id(delivery_id);
        let mut builder = Message::builder()
            .header(DeliveryMetadata(delivery_id.to_owned()))
            .from(self.settings.from.clone())
            .to(to.mailbox.clone())
            .subject(rendered.subject)
            .message_id(Some(message_id.clone()))
            .header(AutoSubmitted);
        if let Some(reply_to) = &self.settings.reply_to {
            builder = builder.reply_to(reply_to.clone());
        }
        let related = MultiPart::related()
            .singlepart(SinglePart::html(rendered.html))
            .singlepart(
                Attachment::new_inline(QR_CID.to_owned())
                    .body(png, ContentType::parse("image/png")?),
            );
        let message = builder.multipart(
            MultiPart::alternative()
                .singlepart(SinglePart::plain(rendered.text))
                .multipart(related),
        )?;
        Ok(Composed {
            message,
            message_id,
            locale: locale_for(to.preferred_locale),
        })
    }
}
