//! Renders one credentials email (subject, text, HTML) from a context the caller has
//! filled in.
use serde::Serialize;
use serde_json::{Map, Value};

use super::templates::{TemplateError, Templates};
use crate::domain::DeliveryKind;

/// What a template may show; the caller has already chosen which links exist.
pub struct EmailContext<'a> {
    pub locale: &'static str,
    /// A reminder and a resend have their own subject and opening; the rest is shared.
    pub kind: DeliveryKind,
    /// `None`: `BRAND_NAME` is unset, and the wording names no brand.
    pub brand: Option<&'a str>,
    pub support_url: Option<&'a str>,
    pub name: Option<&'a str>,
    pub install_link: Option<&'a str>,
    /// How long `install_link` works (`INSTALL_LINK_TTL_DAYS`).
    pub install_link_days: u64,
    pub ios_url: Option<&'a str>,
    pub android_url: Option<&'a str>,
    /// The whole `LPA:1$…` string: some Android manual-entry screens take it in one piece.
    pub lpa: &'a str,
    pub smdp: &'a str,
    pub matching_id: &'a str,
    pub qr_cid: &'a str,
}

pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Serialize)]
struct Platform {
    key: &'static str,
    heading: Value,
    button: Value,
    link: Value,
    note: Value,
    url: String,
    url_html: minijinja::Value,
    steps: Value,
}

/// Escapes what HTML requires and leaves `/` alone, so links stay readable in the source.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub(crate) fn url_value(url: &str) -> minijinja::Value {
    minijinja::Value::from_safe_string(escape(url))
}

/// A code as inline blocks that a line may break between: after `$ . :`, before `-`, and
/// every 12 characters of a longer run. A break before the hyphen keeps it with what
/// follows, so `2M` / `-3L0MX` never reads as a hyphenated word. Mail clients that ignore
/// `word-break` (Yahoo, Outlook) still wrap it on a phone, and copying gives the exact
/// code: no space or zero-width character is added.
pub(crate) fn breakable(code: &str) -> minijinja::Value {
    let mut chunks: Vec<String> = Vec::new();
    let mut current = String::new();
    for ch in code.chars() {
        if ch == '-' && !current.is_empty() {
            chunks.push(std::mem::take(&mut current));
        }
        current.push(ch);
        if matches!(ch, '$' | '.' | ':') || current.chars().count() >= 12 {
            chunks.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    let html: String = chunks
        .iter()
        .map(|c| format!("<span style=\"display:inline-block;\">{}</span>", escape(c)))
        .collect();
    minijinja::Value::from_safe_string(html)
}

pub(crate) fn first_name(name: &str) -> &str {
    name.split_whitespace().next().unwrap_or(name)
}

/// The greeting with the reader's name, or the one without.
pub(super) fn greeting(t: &Map<String, Value>, name: Option<&str>) -> String {
    let text = |key: &str| t.get(key).and_then(Value::as_str).unwrap_or_default();
    match name {
        Some(name) => text("greeting")
            .replace("{name}", name)
            .replace("{first_name}", first_name(name)),
        None => text("greeting_anonymous").to_owned(),
    }
}

/// "The link works for 30 days", in the singular for one day.
fn link_expiry(t: &Map<String, Value>, days: u64) -> String {
    let text = |key: &str| t.get(key).and_then(Value::as_str).unwrap_or_default();
    match days {
        1 => text("link_expiry_one").to_owned(),
        n => text("link_expiry").replace("{days}", &n.to_string()),
    }
}

impl Templates {
    pub fn render(&self, c: &EmailContext<'_>) -> Result<Rendered, TemplateError> {
        let (subject, ctx) = self.email_context(c);
        Ok(Rendered {
            subject,
            text: self.render_template("email.txt", ctx.clone())?,
            html: self.render_template("email.html", ctx)?,
        })
    }

    /// The subject, and what `email.html` and `email.txt` are rendered with.
    pub(super) fn email_context(&self, c: &EmailContext<'_>) -> (String, minijinja::Value) {
        let t = self.strings(c.locale, c.brand, c.kind);
        let get = |key: &str| t.get(key).cloned().unwrap_or(Value::Null);
        let platforms: Vec<Platform> = [("iphone", c.ios_url), ("android", c.android_url)]
            .into_iter()
            .filter_map(|(key, url)| {
                let url = url?;
                Some(Platform {
                    key,
                    heading: get(&format!("{key}_heading")),
                    button: get(&format!("{key}_button")),
                    link: get(&format!("{key}_link")),
                    note: get(&format!("{key}_note")),
                    url: url.to_owned(),
                    url_html: url_value(url),
                    steps: get(&format!("{key}_steps")),
                })
            })
            .collect();
        let subject = get("subject").as_str().unwrap_or_default().to_owned();
        let ctx = minijinja::context! {
            lang => c.locale,
            kind => c.kind.as_str(),
            greeting => greeting(&t, c.name),
            link_expiry => link_expiry(&t, c.install_link_days),
            t => &t,
            theme => &self.theme,
            logo_url_html => self.theme.logo_url.as_deref().map(url_value),
            brand => c.brand,
            name => c.name,
            first_name => c.name.map(first_name),
            support_url => c.support_url,
            support_url_html => c.support_url.map(url_value),
            install_link => c.install_link,
            install_link_html => c.install_link.map(url_value),
            platforms => platforms,
            lpa => c.lpa,
            lpa_html => breakable(c.lpa),
            smdp => c.smdp,
            smdp_html => breakable(c.smdp),
            matching_id => c.matching_id,
            matching_id_html => breakable(c.matching_id),
            qr_cid => c.qr_cid,
        };
        (subject, ctx)
    }
}
