//! What a brand's override may say: known keys of the built-in's type, known placeholders,
//! and templates that name only variables the renderer gives them. Each problem names
//! the key, so the one line printed at start says what to fix.
use minijinja::{Value as Jinja, value::ValueKind};
use serde_json::{Map, Value};

use super::templates::{TemplateError, Templates, UNBRANDED, error};

/// The placeholders a string may hold; anything else would reach a subscriber literally.
pub(super) fn allowed_placeholders(key: &str) -> &'static [&'static str] {
    match key {
        "greeting" => &["brand", "name", "first_name"],
        "link_expiry" => &["brand", "days"],
        _ => &["brand"],
    }
}

/// A locale file from `TEMPLATES_DIR`, against the built-in English (which has every key).
pub(super) fn check_locale(
    file: &Map<String, Value>,
    english: &Map<String, Value>,
) -> Result<(), String> {
    for (key, value) in file {
        if key != UNBRANDED {
            check_string(key, key, value, english)?;
            continue;
        }
        let Value::Object(group) = value else {
            return Err(format!("{UNBRANDED} must be an object of strings"));
        };
        for (inner, v) in group {
            check_string(&format!("{UNBRANDED}.{inner}"), inner, v, english)?;
        }
    }
    Ok(())
}

fn check_string(
    path: &str,
    key: &str,
    value: &Value,
    english: &Map<String, Value>,
) -> Result<(), String> {
    let Some(reference) = english.get(key).filter(|_| key != UNBRANDED) else {
        return Err(unknown_key(path, key, english.keys()));
    };
    let texts: Vec<&str> = match (reference, value) {
        (Value::String(_), Value::String(s)) => vec![s.as_str()],
        (Value::Array(_), Value::Array(items)) if items.iter().all(Value::is_string) => {
            items.iter().filter_map(Value::as_str).collect()
        }
        (Value::Array(_), _) => return Err(format!("{path} must be a list of strings")),
        _ => return Err(format!("{path} must be a string")),
    };
    let allowed = allowed_placeholders(key);
    for text in texts {
        if let Some(bad) = placeholders(text).find(|p| !allowed.contains(p)) {
            let allowed: Vec<String> = allowed.iter().map(|p| format!("{{{p}}}")).collect();
            return Err(format!(
                "{path} has the unknown placeholder {{{bad}}}; it may use {}",
                allowed.join(", ")
            ));
        }
    }
    Ok(())
}

/// `{word}` in a string: the shape of a placeholder, known or not.
pub(super) fn placeholders(text: &str) -> impl Iterator<Item = &str> {
    text.split('{').skip(1).filter_map(|rest| {
        let name = &rest[..rest.find('}')?];
        let word = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        word.then_some(name)
    })
}

fn unknown_key<'a>(path: &str, key: &str, known: impl Iterator<Item = &'a String>) -> String {
    let closest = known
        .filter(|k| *k != UNBRANDED)
        .min_by_key(|k| distance(k, key))
        .filter(|k| distance(k, key) <= 3);
    match closest {
        Some(k) => format!("unknown key {path:?} (did you mean {k:?}?)"),
        None => format!("unknown key {path:?}"),
    }
}

/// Levenshtein distance, for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(here + 1);
            prev = here;
        }
    }
    row[b.len()]
}

/// A `theme.json` names only the built-in theme's keys, each with a value of its type
/// (`logo_url` may be null).
pub(super) fn check_theme(
    file: &Map<String, Value>,
    defaults: &Map<String, Value>,
) -> Result<(), String> {
    for (key, value) in file {
        let Some(default) = defaults.get(key) else {
            return Err(unknown_key(key, key, defaults.keys()));
        };
        let ok = match default {
            Value::String(_) => value.is_string(),
            Value::Number(_) => value.is_u64(),
            _ => value.is_string() || value.is_null(),
        };
        if !ok {
            let wanted = match default {
                Value::String(_) => "a string",
                Value::Number(_) => "a whole number",
                _ => "a string or null",
            };
            return Err(format!("{key} must be {wanted}"));
        }
    }
    Ok(())
}

/// Every variable `name` looks up exists in `ctx` (a sample of what it is rendered
/// with), and so does each field it reads of a map there (`t.title`, `theme.primary`).
/// The strict undefined behaviour catches the rest when the samples render.
pub(super) fn check_variables(
    templates: &Templates,
    name: &'static str,
    ctx: &Jinja,
) -> Result<(), TemplateError> {
    let file = templates.file(name);
    let template = templates
        .env
        .get_template(name)
        .map_err(|e| error(&file, e))?;
    let mut variables: Vec<String> = template.undeclared_variables(true).into_iter().collect();
    variables.sort();
    let globals: Vec<&str> = templates.env.globals().map(|(n, _)| n).collect();
    for variable in variables {
        let mut parts = variable.split('.');
        let root = parts.next().unwrap_or_default();
        if globals.contains(&root) {
            continue;
        }
        let value = ctx.get_attr(root).unwrap_or_default();
        let field = parts.next();
        let known = match field {
            _ if value.is_undefined() => false,
            Some(field) if value.kind() == ValueKind::Map => {
                !value.get_attr(field).unwrap_or_default().is_undefined()
            }
            _ => true,
        };
        if !known {
            let shown = field.map_or(root.to_owned(), |f| format!("{root}.{f}"));
            return Err(error(&file, format!("uses the unknown variable {shown}")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn english() -> Map<String, Value> {
        serde_json::from_str(include_str!("../../templates/locales/en.json")).unwrap()
    }

    fn check(json: &str) -> Result<(), String> {
        check_locale(&serde_json::from_str(json).unwrap(), &english())
    }

    #[test]
    fn every_built_in_locale_passes_the_checks_overrides_get() {
        for (lang, json) in super::super::templates::LOCALE_FILES {
            check(json).unwrap_or_else(|e| panic!("{lang}: {e}"));
        }
    }

    #[test]
    fn a_value_of_the_wrong_type_names_its_key() {
        let e = check(r#"{"before_items": "Install it once."}"#).unwrap_err();
        assert_eq!(e, "before_items must be a list of strings");
        let e = check(r#"{"title": ["a"]}"#).unwrap_err();
        assert_eq!(e, "title must be a string");
        let e = check(r#"{"unbranded": {"intro": 3}}"#).unwrap_err();
        assert_eq!(e, "unbranded.intro must be a string");
    }

    #[test]
    fn an_unknown_key_is_named_with_the_closest_known_one() {
        let e = check(r#"{"titel": "Hello"}"#).unwrap_err();
        assert_eq!(e, r#"unknown key "titel" (did you mean "title"?)"#);
        let e = check(r#"{"unbranded": {"zzzzzzzzzz": "x"}}"#).unwrap_err();
        assert_eq!(e, r#"unknown key "unbranded.zzzzzzzzzz""#);
    }

    #[test]
    fn a_placeholder_the_key_does_not_fill_is_refused() {
        let e = check(r#"{"greeting": "Hi {firstname},"}"#).unwrap_err();
        assert!(
            e.starts_with("greeting has the unknown placeholder {firstname}"),
            "{e}"
        );
        assert!(
            check(r#"{"intro": "Hi {name}"}"#).is_err(),
            "{{name}} only in the greeting"
        );
        check(r#"{"greeting": "Hi {first_name} ({brand}),"}"#).unwrap();
        check(r#"{"intro": "Braces { stay } text"}"#).unwrap();
    }

    #[test]
    fn placeholders_are_words_in_braces() {
        let found: Vec<&str> = placeholders("{a} {b_c} { d } {} {e").collect();
        assert_eq!(found, ["a", "b_c"]);
    }

    #[test]
    fn a_theme_names_known_keys_with_values_of_their_type() {
        let defaults: Map<String, Value> =
            serde_json::from_str(include_str!("../../templates/theme.json")).unwrap();
        let theme = |json: &str| check_theme(&serde_json::from_str(json).unwrap(), &defaults);
        theme(r##"{"primary": "#b42318"}"##).unwrap();
        theme(r#"{"logo_url": null}"#).unwrap();
        assert_eq!(
            theme(r#"{"logo_width": "120"}"#).unwrap_err(),
            "logo_width must be a whole number"
        );
        assert_eq!(
            theme(r##"{"primery": "#b42318"}"##).unwrap_err(),
            r#"unknown key "primery" (did you mean "primary"?)"#
        );
    }
}
