//! The install link's pages in the reader's language: the QR code and details, or "not available".
use std::sync::Arc;

use base64::{Engine, engine::general_purpose::STANDARD as B64};

use crate::{
    config::EmailSettings,
    domain::{DeliveryKind, LpaActivationCode},
    email::{SAMPLE_LPA, TemplateError, Templates, qr_png, url_value},
};

pub struct Pages {
    templates: Arc<Templates>,
    brand: Option<String>,
    support_url: Option<String>,
}

impl Pages {
    pub fn new(settings: &EmailSettings) -> anyhow::Result<Self> {
        let templates = Templates::load(settings.templates_dir.as_deref())?;
        Ok(Self::with(
            Arc::new(templates),
            settings.brand(),
            settings.support_url.as_ref().map(|u| u.as_str()),
        ))
    }

    fn with(templates: Arc<Templates>, brand: Option<&str>, support_url: Option<&str>) -> Self {
        Self {
            templates,
            brand: brand.map(str::to_owned),
            support_url: support_url.map(str::to_owned),
        }
    }

    fn render(
        &self,
        locale: &str,
        found: bool,
        lpa: Option<(&LpaActivationCode, String)>,
    ) -> Result<String, TemplateError> {
        let t = self
            .templates
            .strings(locale, self.brand.as_deref(), DeliveryKind::Activation);
        let ctx = minijinja::context! {
            lang => locale,
            t => t,
            brand => self.brand.as_deref(),
            support_url => self.support_url.as_deref(),
            support_url_html => self.support_url.as_deref().map(url_value),
            found => found,
            // Base64 and the scheme hold no character HTML needs escaped.
            qr_data_uri => lpa.as_ref().map(|(_, uri)| minijinja::Value::from_safe_string(uri.clone())),
            lpa => lpa.as_ref().map(|(l, _)| l.expose()),
            smdp => lpa.as_ref().map(|(l, _)| l.smdp_address()),
            matching_id => lpa.as_ref().map(|(l, _)| l.matching_id()),
        };
        self.templates.render_template("install.html", ctx)
    }

    /// The QR code is a `data:` URI: no request to anyone else can leak it.
    pub fn install(&self, lpa: &LpaActivationCode, locale: &str) -> anyhow::Result<String> {
        let uri = format!(
            "data:image/png;base64,{}",
            B64.encode(qr_png(lpa.expose())?)
        );
        Ok(self.render(locale, true, Some((lpa, uri)))?)
    }

    pub fn not_available(&self, locale: &str) -> String {
        self.render(locale, false, None)
            .unwrap_or_else(|_| "This link is not available.".to_owned())
    }
}

/// Both pages render in every language with `templates`: a broken `install.html` override
/// stops the start instead of a subscriber's click.
pub fn check_pages(templates: Templates) -> Result<(), TemplateError> {
    let lpa = LpaActivationCode::parse(SAMPLE_LPA).expect("the sample code parses");
    let pages = Pages::with(Arc::new(templates), Some("Acme Mobile"), None);
    for locale in crate::email::SUPPORTED_LOCALES {
        pages.render(locale, true, Some((&lpa, "data:,".into())))?;
        pages.render(locale, false, None)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_speak_the_given_language_and_offer_help() {
        let pages = Pages::with(
            Arc::new(Templates::new().unwrap()),
            Some("Acme"),
            Some("https://acme.example/help"),
        );
        let lpa = LpaActivationCode::parse(SAMPLE_LPA).unwrap();
        let de = pages.install(&lpa, "de").unwrap();
        assert!(de.contains("<html lang=\"de\">"));
        assert!(de.contains("Installiere deine eSIM von Acme"));
        assert!(de.contains(SAMPLE_LPA));
        assert!(de.contains("href=\"https://acme.example/help\""));
        let missing = pages.not_available("fr");
        assert!(missing.contains("<html lang=\"fr\">"));
        assert!(missing.contains("Ce lien n"));
        assert!(missing.contains("Contacter l"));
    }
}

#[cfg(test)]
mod snapshots {
    use super::*;

    #[test]
    fn both_pages_match_their_snapshots_in_every_language() {
        let pages = Pages::with(
            Arc::new(Templates::new().unwrap()),
            Some("Acme Mobile"),
            Some("https://acme.example/help"),
        );
        let lpa = LpaActivationCode::parse(SAMPLE_LPA).unwrap();
        for locale in crate::email::SUPPORTED_LOCALES {
            // A short stand-in for the QR code's data URI keeps the snapshot readable.
            let found = pages.render(locale, true, Some((&lpa, "data:,QR".into())));
            insta::assert_snapshot!(format!("install-{locale}"), found.unwrap());
            insta::assert_snapshot!(format!("missing-{locale}"), pages.not_available(locale));
        }
    }
}
