//! Renders the install link's pages (`install.html`) in the brand's theme: the QR page,
//! "already installed", "not available", and the neutral page link scanners get.
use serde::Serialize;

use super::{
    render::{breakable, url_value},
    templates::{TemplateError, Templates},
};
use crate::domain::DeliveryKind;

/// Which page to show.
pub enum Page<'a> {
    /// The QR code, the one-tap links and the manual details, guidance first.
    Install(InstallDetails<'a>),
    /// The SIM's eSIM is installed: how to turn the line on, and no code to retry with.
    Installed,
    /// An unknown, expired or replaced link.
    Missing,
    /// For scanners and previewers: what the link is for, and nothing of its SIM.
    Neutral,
}

impl Page<'_> {
    fn name(&self) -> &'static str {
        match self {
            Self::Install(_) => "install",
            Self::Installed => "installed",
            Self::Missing => "missing",
            Self::Neutral => "neutral",
        }
    }
}

/// The install details, fetched at click time and shown only on this page.
pub struct InstallDetails<'a> {
    /// `data:image/png;base64,…`: no request to anyone else can leak the code.
    pub qr_data_uri: &'a str,
    pub lpa: &'a str,
    pub smdp: &'a str,
    pub matching_id: &'a str,
    /// A phone the page could not recognise (iPadOS, Android's "desktop site") is offered
    /// these as secondary actions.
    pub ios_url: Option<&'a str>,
    pub android_url: Option<&'a str>,
}

pub struct PageContext<'a> {
    pub locale: &'a str,
    pub brand: Option<&'a str>,
    pub support_url: Option<&'a str>,
    pub page: Page<'a>,
}

#[derive(Serialize)]
struct OneTap {
    key: &'static str,
    button: serde_json::Value,
    url_html: minijinja::Value,
}

impl Templates {
    pub fn render_page(&self, c: &PageContext<'_>) -> Result<String, TemplateError> {
        self.render_template("install.html", self.page_context(c))
    }

    /// What `install.html` is rendered with.
    pub(super) fn page_context(&self, c: &PageContext<'_>) -> minijinja::Value {
        let t = self.strings(c.locale, c.brand, DeliveryKind::Activation);
        let details = match &c.page {
            Page::Install(details) => Some(details),
            _ => None,
        };
        let one_tap: Vec<OneTap> = details
            .map(|d| [("iphone", d.ios_url), ("android", d.android_url)])
            .into_iter()
            .flatten()
            .filter_map(|(key, url)| {
                Some(OneTap {
                    key,
                    button: t.get(&format!("{key}_button")).cloned()?,
                    url_html: url_value(url?),
                })
            })
            .collect();
        minijinja::context! {
            lang => c.locale,
            page => c.page.name(),
            t => &t,
            theme => &self.theme,
            button_edge => self.theme.edge_on_white(),
            logo_url_html => self.theme.logo_url.as_deref().map(url_value),
            brand => c.brand,
            support_url => c.support_url,
            support_url_html => c.support_url.map(url_value),
            // Base64 and the scheme hold no character HTML needs escaped.
            qr_data_uri => details.map(|d| minijinja::Value::from_safe_string(d.qr_data_uri.to_owned())),
            lpa => details.map(|d| d.lpa),
            lpa_html => details.map(|d| breakable(d.lpa)),
            smdp => details.map(|d| d.smdp),
            smdp_html => details.map(|d| breakable(d.smdp)),
            matching_id => details.map(|d| d.matching_id),
            matching_id_html => details.map(|d| breakable(d.matching_id)),
            one_tap => one_tap,
        }
    }
}
