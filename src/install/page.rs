//! The install link's pages in the reader's language and the brand's theme, and the
//! Content-Security-Policy they are served with.
use std::sync::Arc;

use base64::{Engine, engine::general_purpose::STANDARD as B64};
use url::Url;

use crate::{
    config::EmailSettings,
    domain::LpaActivationCode,
    email::{InstallDetails, Page, PageContext, SAMPLE_LPA, TemplateError, Templates, qr_png},
};

/// The one-tap links a page may offer, fetched at click time with the code.
pub struct OneTap<'a> {
    pub ios: Option<&'a str>,
    pub android: Option<&'a str>,
}

pub struct Pages {
    templates: Arc<Templates>,
    brand: Option<String>,
    support_url: Option<String>,
    csp: String,
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

    pub(super) fn with(
        templates: Arc<Templates>,
        brand: Option<&str>,
        support_url: Option<&str>,
    ) -> Self {
        let csp = content_security_policy(templates.theme().logo_url.as_deref());
        Self {
            templates,
            brand: brand.map(str::to_owned),
            support_url: support_url.map(str::to_owned),
            csp,
        }
    }

    /// The `Content-Security-Policy` of every answer on `/install/`.
    pub fn csp(&self) -> &str {
        &self.csp
    }

    fn render(&self, locale: &str, page: Page<'_>) -> Result<String, TemplateError> {
        self.templates.render_page(&PageContext {
            locale,
            brand: self.brand.as_deref(),
            support_url: self.support_url.as_deref(),
            page,
        })
    }

    /// The QR code is a `data:` URI: no request to anyone else can leak it.
    pub fn install(
        &self,
        lpa: &LpaActivationCode,
        one_tap: OneTap<'_>,
        locale: &str,
    ) -> anyhow::Result<String> {
        let uri = qr_data_uri(lpa.expose())?;
        let details = InstallDetails {
            qr_data_uri: &uri,
            lpa: lpa.expose(),
            smdp: lpa.smdp_address(),
            matching_id: lpa.matching_id(),
            ios_url: one_tap.ios,
            android_url: one_tap.android,
        };
        Ok(self.render(locale, Page::Install(details))?)
    }

    pub fn installed(&self, locale: &str) -> anyhow::Result<String> {
        Ok(self.render(locale, Page::Installed)?)
    }

    /// What a link scanner or previewer gets: nothing of the SIM.
    pub fn neutral(&self, locale: &str) -> String {
        self.render(locale, Page::Neutral)
            .unwrap_or_else(|_| "Open this link on your phone.".to_owned())
    }

    pub fn not_available(&self, locale: &str) -> String {
        self.render(locale, Page::Missing)
            .unwrap_or_else(|_| "This link is not available.".to_owned())
    }
}

pub fn qr_data_uri(code: &str) -> anyhow::Result<String> {
    Ok(format!(
        "data:image/png;base64,{}",
        B64.encode(qr_png(code)?)
    ))
}

/// Nothing may load but the page's own inline style and `data:` images (the QR code); a
/// theme's logo widens `img-src` by exactly its origin.
pub fn content_security_policy(logo_url: Option<&str>) -> String {
    let logo_origin = logo_url
        .and_then(|u| Url::parse(u).ok())
        .map(|u| u.origin().ascii_serialization())
        .filter(|o| o.starts_with("https://"));
    let img_src = match logo_origin {
        Some(origin) => format!("data: {origin}"),
        None => "data:".to_owned(),
    };
    format!(
        "default-src 'none'; style-src 'unsafe-inline'; img-src {img_src}; \
         frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )
}

/// Every page renders in every language with `templates`: a broken `install.html`
/// override stops the start instead of a subscriber's click.
pub fn check_pages(templates: Templates) -> Result<(), TemplateError> {
    let lpa = LpaActivationCode::parse(SAMPLE_LPA).expect("the sample code parses");
    let pages = Pages::with(Arc::new(templates), Some("Acme Mobile"), None);
    for locale in crate::email::SUPPORTED_LOCALES {
        let details = InstallDetails {
            qr_data_uri: "data:,",
            lpa: lpa.expose(),
            smdp: lpa.smdp_address(),
            matching_id: lpa.matching_id(),
            ios_url: Some(crate::email::SAMPLE_IOS),
            android_url: Some(crate::email::SAMPLE_ANDROID),
        };
        pages.render(locale, Page::Install(details))?;
        for page in [Page::Installed, Page::Missing, Page::Neutral] {
            pages.render(locale, page)?;
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "page_tests.rs"]
mod tests;
