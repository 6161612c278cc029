//! Builds the MIME messages: the credentials email (text and HTML alternatives, the QR
//! code inline by Content-ID) and the notice (text and HTML, nothing to install with).
use lettre::{
    Message,
    message::{Attachment, Mailbox, MultiPart, SinglePart, header::ContentType},
};
use secrecy::ExposeSecret;

use super::{
    EmailContext, Rendered, Templates,
    headers::{AutoSubmitted, DeliveryMetadata},
    locale_for,
    notice::NoticeContext,
    qr_png,
};
use crate::{
    config::EmailSettings,
    domain::{DeliveryKind, LpaActivationCode},
    gigs::SimCredentials,
};

const QR_CID: &str = "esim-qr@esim-courier";
const SECONDS_A_DAY: u64 = 86_400;

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

    /// The templates the emails are drawn with (`preview` draws the pages with them too).
    pub fn templates(&self) -> &Templates {
        &self.templates
    }

    /// The subject and both parts of a credentials email, as `compose` puts them in it.
    pub fn render(
        &self,
        to: &Recipient<'_>,
        lpa: &LpaActivationCode,
        creds: &SimCredentials,
        install_link: Option<&str>,
        kind: DeliveryKind,
    ) -> anyhow::Result<Rendered> {
        anyhow::ensure!(
            kind != DeliveryKind::Notice,
            "a notice carries no credentials: compose it with compose_notice"
        );
        Ok(self.templates.render(&EmailContext {
            locale: locale_for(to.preferred_locale),
            kind,
            brand: self.settings.brand(),
            support_url: self.support_url(),
            name: to.name.filter(|n| !n.trim().is_empty()),
            install_link,
            install_link_days: (self.settings.install_link_ttl.as_secs() / SECONDS_A_DAY).max(1),
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
        let related = MultiPart::related()
            .singlepart(SinglePart::html(rendered.html))
            .singlepart(
                Attachment::new_inline(QR_CID.to_owned())
                    .body(png, ContentType::parse("image/png")?),
            );
        let body = MultiPart::alternative()
            .singlepart(SinglePart::plain(rendered.text))
            .multipart(related);
        self.finish(delivery_id, to, rendered.subject, body)
    }

    /// The subject and both parts of the notice to a previous address.
    pub fn render_notice(&self, to: &Recipient<'_>) -> anyhow::Result<Rendered> {
        Ok(self.templates.render_notice(&NoticeContext {
            locale: locale_for(to.preferred_locale),
            brand: self.settings.brand(),
            support_url: self.support_url(),
            name: to.name.filter(|n| !n.trim().is_empty()),
        })?)
    }

    /// The notice that the eSIM was sent to a new address. It takes no credentials: it
    /// says what happened and how to get help, and holds nothing that installs the line.
    pub fn compose_notice(
        &self,
        delivery_id: &str,
        to: &Recipient<'_>,
    ) -> anyhow::Result<Composed> {
        let rendered = self.render_notice(to)?;
        let body = MultiPart::alternative()
            .singlepart(SinglePart::plain(rendered.text))
            .singlepart(SinglePart::html(rendered.html));
        self.finish(delivery_id, to, rendered.subject, body)
    }

    fn support_url(&self) -> Option<&str> {
        self.settings.support_url.as_ref().map(|u| u.as_str())
    }

    /// The headers every message carries, around `body`.
    fn finish(
        &self,
        delivery_id: &str,
        to: &Recipient<'_>,
        subject: String,
        body: MultiPart,
    ) -> anyhow::Result<Composed> {
        let message_id = self.message_id(delivery_id);
        let mut builder = Message::builder()
            .header(DeliveryMetadata(delivery_id.to_owned()))
            .from(self.settings.from.clone())
            .to(to.mailbox.clone())
            .subject(subject)
            .message_id(Some(message_id.clone()))
            .header(AutoSubmitted);
        if let Some(reply_to) = &self.settings.reply_to {
            builder = builder.reply_to(reply_to.clone());
        }
        Ok(Composed {
            message: builder.multipart(body)?,
            message_id,
            locale: locale_for(to.preferred_locale),
        })
    }
}
