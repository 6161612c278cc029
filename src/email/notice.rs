//! Renders the notice to a previous address that the eSIM went to a new one. Its context
//! has no field for a code, a QR image or a link: a notice cannot carry credentials.
use super::{
    render::{Rendered, first_name, greeting, url_value},
    templates::{TemplateError, Templates},
};
use crate::domain::DeliveryKind;

/// Everything a notice may show.
pub struct NoticeContext<'a> {
    pub locale: &'static str,
    /// `None`: `BRAND_NAME` is unset, and the wording names no brand.
    pub brand: Option<&'a str>,
    pub support_url: Option<&'a str>,
    pub name: Option<&'a str>,
}

impl Templates {
    pub fn render_notice(&self, c: &NoticeContext<'_>) -> Result<Rendered, TemplateError> {
        let (subject, ctx) = self.notice_context(c);
        Ok(Rendered {
            subject,
            text: self.render_template("notice.txt", ctx.clone())?,
            html: self.render_template("notice.html", ctx)?,
        })
    }

    /// The subject, and what `notice.html` and `notice.txt` are rendered with.
    pub(super) fn notice_context(&self, c: &NoticeContext<'_>) -> (String, minijinja::Value) {
        let t = self.strings(c.locale, c.brand, DeliveryKind::Notice);
        let subject = t
            .get("subject")
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        let ctx = minijinja::context! {
            lang => c.locale,
            kind => DeliveryKind::Notice.as_str(),
            greeting => greeting(&t, c.name),
            t => &t,
            theme => &self.theme,
            logo_url_html => self.theme.logo_url.as_deref().map(url_value),
            brand => c.brand,
            name => c.name,
            first_name => c.name.map(first_name),
            support_url => c.support_url,
            support_url_html => c.support_url.map(url_value),
        };
        (subject.to_owned(), ctx)
    }
}
