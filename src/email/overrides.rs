//! Reads `TEMPLATES_DIR`: each file there replaces the built-in one of its name; locale
//! files and `theme.json` are merged key by key over the built-in ones, and checked.
use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use minijinja::{Environment, UndefinedBehavior};
use serde_json::{Map, Value};

use super::{
    strict,
    templates::{LOCALE_FILES, TEMPLATE_FILES, THEME_FILE, TemplateError, Templates, error},
    theme::Theme,
};

/// One file's text, and its path when it came from the directory.
struct Source {
    path: Option<String>,
    text: String,
}

impl Source {
    /// The name an error gives: the override's path, or "built-in NAME".
    fn file(&self, name: &str) -> String {
        self.path
            .clone()
            .unwrap_or_else(|| format!("built-in {name}"))
    }
}

fn read(dir: Option<&Path>, name: &str, built_in: &'static str) -> Result<Source, TemplateError> {
    match dir.map(|d| d.join(name)) {
        Some(path) if path.exists() => std::fs::read_to_string(&path)
            .map(|text| Source {
                path: Some(path.display().to_string()),
                text,
            })
            .map_err(|e| error(path.display().to_string(), e)),
        _ => Ok(Source {
            path: None,
            text: built_in.to_owned(),
        }),
    }
}

/// The built-in templates, each replaced by a file of the same name in `dir`; nothing is
/// rendered yet (`Templates::load` does that).
pub(super) fn read_all(dir: Option<&Path>) -> Result<Templates, TemplateError> {
    if let Some(dir) = dir {
        check_dir(dir)?;
    }
    let mut env = Environment::new();
    // A misspelt variable is an error, never an empty string in a subscriber's email.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    let mut origin = BTreeMap::new();
    for (name, built_in) in TEMPLATE_FILES {
        let source = read(dir, name, built_in)?;
        let file = source.file(name);
        // The `.html` names turn on HTML auto-escaping; `.txt` stays plain.
        env.add_template_owned(name, source.text)
            .map_err(|e| error(&file, e))?;
        origin.insert(name, file);
    }
    let english = parse_object("built-in locales/en.json", LOCALE_FILES[0].1)?;
    let mut strings = BTreeMap::new();
    for (lang, built_in) in LOCALE_FILES {
        let name = format!("locales/{lang}.json");
        let mut map = parse_object(&format!("built-in {name}"), built_in)?;
        let source = read(dir, &name, built_in)?;
        if let Some(path) = &source.path {
            let replaced = parse_object(path, &source.text)?;
            strict::check_locale(&replaced, &english).map_err(|e| error(path, e))?;
            merge(&mut map, replaced);
        }
        strings.insert(lang, map);
    }
    let source = read(dir, "theme.json", THEME_FILE)?;
    let theme = theme(&source).map_err(|e| error(source.file("theme.json"), e))?;
    Ok(Templates {
        env,
        strings,
        theme,
        origin,
    })
}

fn parse_object(file: &str, json: &str) -> Result<Map<String, Value>, TemplateError> {
    serde_json::from_str(json).map_err(|e| error(file, e))
}

/// The built-in theme with the file's keys over it: a theme may set only its colours.
fn theme(source: &Source) -> Result<Theme, String> {
    let mut theme: Map<String, Value> =
        serde_json::from_str(THEME_FILE).map_err(|e| e.to_string())?;
    if source.path.is_some() {
        let replaced: Map<String, Value> =
            serde_json::from_str(&source.text).map_err(|e| e.to_string())?;
        strict::check_theme(&replaced, &theme)?;
        theme.extend(replaced);
    }
    Theme::parse(&Value::Object(theme).to_string())
}

/// A locale file replaces the keys it names; in the `unbranded` group too, key by key.
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

/// The names a `TEMPLATES_DIR` may hold.
fn known_files() -> Vec<String> {
    TEMPLATE_FILES
        .iter()
        .map(|(name, _)| (*name).to_owned())
        .chain(["theme.json".to_owned()])
        .chain(
            LOCALE_FILES
                .iter()
                .map(|(l, _)| format!("locales/{l}.json")),
        )
        .collect()
}

/// The directory exists, and holds no template-like file we would silently ignore (a
/// misspelt name would otherwise leave the built-in wording in place unnoticed).
fn check_dir(dir: &Path) -> Result<(), TemplateError> {
    let known = known_files();
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
