//! Loading the templates: the built-in files with `TEMPLATES_DIR`'s over them, every
//! email, notice and page rendered once with sample data so a broken file stops the start.
use std::path::Path;

use super::{
    SUPPORTED_LOCALES, overrides,
    samples::{notice_samples, page_samples, samples},
    strict::check_variables,
    templates::{TemplateError, Templates},
};
use crate::domain::DeliveryKind;

/// The kinds of credentials email; a notice has its own templates.
const EMAIL_KINDS: [DeliveryKind; 3] = [
    DeliveryKind::Activation,
    DeliveryKind::Reminder,
    DeliveryKind::Resend,
];

impl Templates {
    /// The built-in templates only.
    pub fn new() -> anyhow::Result<Self> {
        Ok(Self::load(None)?)
    }

    /// The built-in templates, each replaced by a file of the same name in `dir`. A locale
    /// file or `theme.json` there replaces the keys it names; keys it leaves out keep the
    /// built-in value. Unknown keys, values of the wrong type, unknown placeholders and
    /// unknown template variables are errors naming the file and the key.
    pub fn load(dir: Option<&Path>) -> Result<Self, TemplateError> {
        let templates = overrides::read_all(dir)?;
        templates.check_variables()?;
        templates.check_renders()?;
        Ok(templates)
    }

    /// Each template names only what its renderer gives it (the same in every locale).
    fn check_variables(&self) -> Result<(), TemplateError> {
        let [email, _] = samples("en", DeliveryKind::Activation);
        let (_, ctx) = self.email_context(&email);
        check_variables(self, "email.html", &ctx)?;
        check_variables(self, "email.txt", &ctx)?;
        let [notice, _] = notice_samples("en");
        let (_, ctx) = self.notice_context(&notice);
        check_variables(self, "notice.html", &ctx)?;
        check_variables(self, "notice.txt", &ctx)?;
        let pages = page_samples("en", "data:,");
        check_variables(self, "install.html", &self.page_context(&pages[0]))
    }

    /// Every locale, kind and page renders with sample data, with every option and none.
    fn check_renders(&self) -> Result<(), TemplateError> {
        for locale in SUPPORTED_LOCALES {
            for kind in EMAIL_KINDS {
                for sample in samples(locale, kind) {
                    self.render(&sample)?;
                }
            }
            for sample in notice_samples(locale) {
                self.render_notice(&sample)?;
            }
            for page in page_samples(locale, "data:,") {
                self.render_page(&page)?;
            }
        }
        Ok(())
    }
}
