//! The templates and their strings: built in, or replaced file by file from `TEMPLATES_DIR`.
use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use minijinja::Environment;
use serde_json::{Map, Value};

use super::{SUPPORTED_LOCALES, theme::Theme};
use crate::domain::DeliveryKind;

const TEMPLATE_FILES: [(&str, &str); 3] = [
    ("email.html", include_str!("../../templates/email.html")),
    ("email.txt", include_str!("../../templates/email.txt")),
    ("install.html", include_str!("../../templates/install.html")),
];
const THEME_FILE: &str = include_str!("../../templates/theme.json");
const LOCALE_FILES: [(&str, &str); 4] = [
    ("en", include_str!("../../templates/locales/en.json")),
    ("de", include_str!("../../templates/locales/de.json")),
    ("es", include_str!("../../templates/locales/es.json")),
    ("fr", include_str!("../../templates/locales/fr.json")),
];
/// Strings used in place of the branded ones when `BRAND_NAME` is unset.
const UNBRANDED: &str = "unbranded";

/// A template file that cannot be used; `Display` names the file first.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {problem}")]
pub struct TemplateError {
    pub file: String,
    pub problem: String,
}

fn error(file: impl Into<String>, problem: impl ToString) -> TemplateError {
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

pub struct Templates {
    pub(super) env: Environment<'static>,
    strings: BTreeMap<&'static str, Map<String, Value>>,
    pub(super) theme: Theme,
    /// Where each template came from, to name the file when it fails to render.
    origin: BTreeMap<&'static str, String>,
}

impl Templates {
    /// The built-in templates only.
    pub fn new() -> anyhow::Result<Self> {
        Ok(Self::load(None)?)
    }

    /// The built-in templates, each replaced by a file of the same name in `dir`. A locale
    /// file there replaces the keys it names; keys it leaves out keep the built-in wording.
    pub fn load(dir: Option<&Path>) -> Result<Self, TemplateError> {
        if let Some(dir) = dir {
            check_dir(dir)?;
        }
        let read = |name: &str, built_in: &'static str| match dir.map(|d| d.join(name)) {
            Some(path) if path.exists() => std::fs::read_to_string(&path)
                .map(|text| (Some(path.display().to_string()), text))
                .map_err(|e| error(path.display().to_string(), e)),
            _ => Ok((None, built_in.to_owned())),
        };
        let mut env = Environment::new();
        let mut origin = BTreeMap::new();
        for (name, built_in) in TEMPLATE_FILES {
            let (path, source) = read(name, built_in)?;
            let file = path.unwrap_or_else(|| format!("built-in {name}"));
            // The `.html` names turn on HTML auto-escaping; `.txt` stays plain.
            env.add_template_owned(name, source)
                .map_err(|e| error(&file, e))?;
            origin.insert(name, file);
        }
        let (path, json) = read("theme.json", THEME_FILE)?;
        let theme = Theme::parse(&json)
            .map_err(|e| error(path.unwrap_or_else(|| "built-in theme.json".into()), e))?;
        let mut strings = BTreeMap::new();
        for (lang, built_in) in LOCALE_FILES {
            let mut map: Map<String, Value> =
                serde_json::from_str(built_in).map_err(|e| error(lang, e))?;
            let name = format!("locales/{lang}.json");
            if let (Some(path), json) = read(&name, built_in)? {
                let replaced: Map<String, Value> =
                    serde_json::from_str(&json).map_err(|e| error(&path, e))?;
                check_strings(&replaced).map_err(|e| error(&path, e))?;
                merge(&mut map, replaced);
            }
            strings.insert(lang, map);
        }
        let templates = Self {
            env,
            strings,
            theme,
            origin,
        };
        templates.check_renders()?;
        Ok(templates)
    }

    /// One locale's strings for one email or page: the reminder's own subject and
    /// opening, the unbranded wording when there is no brand, and the brand filled in.
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
        if kind == DeliveryKind::Reminder {
            for key in ["subject", "title", "intro"] {
                if let Some(v) = t.get(&format!("reminder_{key}")).cloned() {
                    t.insert(key.to_owned(), v);
                }
            }
        }
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
        let file = self.origin.get(name).map_or(name, String::as_str);
        self.env
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map_err(|e| error(file, e))
    }

    /// Every locale and kind renders with sample data: a broken override stops the start.
    fn check_renders(&self) -> Result<(), TemplateError> {
        for locale in SUPPORTED_LOCALES {
            for kind in [DeliveryKind::Activation, DeliveryKind::Reminder] {
                for sample in super::render::samples(locale, kind) {
                    self.render(&sample)?;
                }
            }
        }
        Ok(())
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

fn merge(into: &mut Map<String, Value>, from: Map<String, Value>) {
    for (key, value) in from {
        match (into.get_mut(&key), value) {
            (Some(Value::Object(old)), Value::Object(new)) => old.extend(new),
            (_, value) => {
                into.insert(key, value);
            }
        }
    }
}

/// A locale file holds strings and lists of strings (and the `unbranded` group of them).
fn check_strings(map: &Map<String, Value>) -> Result<(), String> {
    let text = |v: &Value| match v {
        Value::String(_) => true,
        Value::Array(a) => a.iter().all(Value::is_string),
        _ => false,
    };
    for (key, value) in map {
        let ok = match value {
            Value::Object(group) if key == UNBRANDED => group.values().all(text),
            v => text(v),
        };
        if !ok {
            return Err(format!("{key} must be a string or a list of strings"));
        }
    }
    Ok(())
}

/// The directory exists, and holds no template-like file we would silently ignore (a
/// misspelt name would otherwise leave the built-in wording in place unnoticed).
fn check_dir(dir: &Path) -> Result<(), TemplateError> {
    let known: Vec<String> = TEMPLATE_FILES
        .iter()
        .map(|(name, _)| (*name).to_owned())
        .chain(["theme.json".to_owned()])
        .chain(
            LOCALE_FILES
                .iter()
                .map(|(l, _)| format!("locales/{l}.json")),
        )
        .collect();
    let list = |d: &Path| -> Result<Vec<PathBuf>, TemplateError> {
        let entries = std::fs::read_dir(d).map_err(|e| error(d.display().to_string(), e))?;
        Ok(entries.filter_map(Result::ok).map(|e| e.path()).collect())
    };
    let mut files = list(dir)?;
    if dir.join("locales").is_dir() {
        files.extend(list(&dir.join("locales"))?);
    }
    for path in files {
        let relative = path.strip_prefix(dir).unwrap_or(&path).to_string_lossy();
        let template_like = ["html", "txt", "json"]
            .iter()
            .any(|ext| path.extension().is_some_and(|e| e == *ext));
        if template_like && !known.iter().any(|k| *k == relative) {
            return Err(error(
                path.display().to_string(),
                format!(
                    "is not a file esim-courier reads; expected one of {}",
                    known.join(", ")
                ),
            ));
        }
    }
    Ok(())
}
