//! The loaded templates and strings, and the two things done with them: one locale's
//! strings for one message, and one template rendered.
use std::collections::BTreeMap;

use minijinja::Environment;
use serde_json::{Map, Value};

use super::theme::Theme;
use crate::domain::DeliveryKind;

/// The templates compiled into the binary, each replaceable by a file of its name.
pub(super) const TEMPLATE_FILES: [(&str, &str); 5] = [
    ("email.html", include_str!("../../templates/email.html")),
    ("email.txt", include_str!("../../templates/email.txt")),
    ("notice.html", include_str!("../../templates/notice.html")),
    ("notice.txt", include_str!("../../templates/notice.txt")),
    ("install.html", include_str!("../../templates/install.html")),
];
pub(super) const THEME_FILE: &str = include_str!("../../templates/theme.json");
pub(super) const LOCALE_FILES: [(&str, &str); 4] = [
    ("en", include_str!("../../templates/locales/en.json")),
    ("de", include_str!("../../templates/locales/de.json")),
    ("es", include_str!("../../templates/locales/es.json")),
    ("fr", include_str!("../../templates/locales/fr.json")),
];
/// Strings used in place of the branded ones when `BRAND_NAME` is unset.
pub(super) const UNBRANDED: &str = "unbranded";

/// A template file that cannot be used; `Display` names the file first.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {problem}")]
pub struct TemplateError {
    pub file: String,
    pub problem: String,
}

pub(super) fn error(file: impl Into<String>, problem: impl ToString) -> TemplateError {
    // One line, whatever the parser says: it is printed as the one line before exit 2.
    let problem = problem
        .to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    TemplateError {
        file: file.into(),
        problem,
    }
}

/// Built by `Templates::load`, which checks every file before anything renders.
pub struct Templates {
    pub(super) env: Environment<'static>,
    pub(super) strings: BTreeMap<&'static str, Map<String, Value>>,
    pub(super) theme: Theme,
    /// Where each template came from, to name the file when it fails to render.
    pub(super) origin: BTreeMap<&'static str, String>,
}

impl Templates {
    /// The theme (colours, logo) every email and page is drawn with.
    pub fn theme(&self) -> &Theme {
        &self.theme
    }

    /// One locale's strings for one message or page: the kind's own wording (a
    /// `reminder_subject` is the reminder's `subject`), the unbranded wording when there
    /// is no brand, and the brand filled in.
    pub fn strings(
        &self,
        locale: &str,
        brand: Option<&str>,
        kind: DeliveryKind,
    ) -> Map<String, Value> {
        let mut t = self
            .strings
            .get(locale)
            .unwrap_or(&self.strings["en"])
            .clone();
        if brand.is_none()
            && let Some(Value::Object(unbranded)) = t.remove(UNBRANDED)
        {
            t.extend(unbranded);
        }
        t.remove(UNBRANDED);
        let prefix = format!("{}_", kind.as_str());
        let own: Vec<(String, Value)> = t
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix(&prefix)?.to_owned(), v.clone())))
            .collect();
        t.extend(own);
        let brand = brand.unwrap_or_default();
        t.into_iter()
            .map(|(k, v)| (k, fill(&v, "{brand}", brand)))
            .collect()
    }

    /// Renders one template, naming its file if that fails.
    pub fn render_template(
        &self,
        name: &'static str,
        ctx: minijinja::Value,
    ) -> Result<String, TemplateError> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map_err(|e| error(self.file(name), e))
    }

    /// The file a template came from: the override's path, or "built-in NAME".
    pub(super) fn file(&self, name: &str) -> String {
        self.origin
            .get(name)
            .cloned()
            .unwrap_or_else(|| name.to_owned())
    }
}

/// Replaces `placeholder` in every string of `v`.
pub(super) fn fill(v: &Value, placeholder: &str, with: &str) -> Value {
    match v {
        Value::String(s) => Value::String(s.replace(placeholder, with)),
        Value::Array(a) => Value::Array(a.iter().map(|v| fill(v, placeholder, with)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), fill(v, placeholder, with)))
                .collect(),
        ),
        other => other.clone(),
    }
}
