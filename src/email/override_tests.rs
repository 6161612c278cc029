//! `TEMPLATES_DIR` overrides: merged key by key, and refused with the file and key named
//! when they would otherwise fail silently.
use std::path::PathBuf;

use super::*;
use crate::domain::DeliveryKind;

/// A scratch `TEMPLATES_DIR` holding `files`, removed when dropped.
struct Dir(PathBuf);

impl Dir {
    fn with(name: &str, files: &[(&str, &str)]) -> Self {
        let dir =
            std::env::temp_dir().join(format!("esim-overrides-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("locales")).unwrap();
        for (file, text) in files {
            std::fs::write(dir.join(file), text).unwrap();
        }
        Self(dir)
    }

    fn load(&self) -> Result<Templates, TemplateError> {
        Templates::load(Some(&self.0))
    }

    /// The error's one line, which must name the file and what is wrong in it.
    fn refusal(&self) -> String {
        match self.load() {
            Ok(_) => panic!("{} was accepted", self.0.display()),
            Err(e) => e.to_string(),
        }
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_colours_only_theme_keeps_the_other_defaults() {
    let dir = Dir::with("colours", &[("theme.json", r##"{"primary": "#b42318"}"##)]);
    let templates = dir.load().unwrap();
    assert_eq!(templates.theme().primary, "#b42318");
    assert_eq!(templates.theme().logo_width, 140, "the built-in width");
    let [full, _] = samples("en", DeliveryKind::Activation);
    assert!(templates.render(&full).unwrap().html.contains("#b42318"));
}

#[test]
fn a_theme_key_of_the_wrong_type_or_unknown_is_named() {
    let dir = Dir::with("theme-type", &[("theme.json", r#"{"logo_width": "wide"}"#)]);
    let e = dir.refusal();
    assert!(
        e.contains("theme.json: logo_width must be a whole number"),
        "{e}"
    );
    let dir = Dir::with("theme-key", &[("theme.json", r##"{"colour": "#b42318"}"##)]);
    assert!(dir.refusal().contains("theme.json: unknown key \"colour\""));
}

#[test]
fn a_string_where_a_list_belongs_is_named() {
    let dir = Dir::with(
        "type",
        &[("locales/de.json", r#"{"before_items": "Sei vorsichtig."}"#)],
    );
    let e = dir.refusal();
    assert!(
        e.contains("locales/de.json: before_items must be a list of strings"),
        "{e}"
    );
}

#[test]
fn a_misspelt_key_is_named() {
    let dir = Dir::with(
        "key",
        &[("locales/en.json", r#"{"gretting": "Hey {first_name},"}"#)],
    );
    let e = dir.refusal();
    assert!(
        e.contains("locales/en.json: unknown key \"gretting\" (did you mean \"greeting\"?)"),
        "{e}"
    );
}

#[test]
fn an_unknown_placeholder_is_named() {
    let dir = Dir::with(
        "placeholder",
        &[("locales/fr.json", r#"{"greeting": "Salut {firstname},"}"#)],
    );
    let e = dir.refusal();
    assert!(
        e.contains("locales/fr.json: greeting has the unknown placeholder {firstname}"),
        "{e}"
    );
}

#[test]
fn a_misspelt_template_variable_is_named() {
    let email =
        include_str!("../../templates/email.html").replace("{{ t.title }}", "{{ t.titel }}");
    let dir = Dir::with("variable", &[("email.html", &email)]);
    let e = dir.refusal();
    assert!(
        e.contains("email.html: uses the unknown variable t.titel"),
        "{e}"
    );
    let dir = Dir::with("root", &[("notice.txt", "{{ greting }}")]);
    assert!(
        dir.refusal()
            .contains("notice.txt: uses the unknown variable greting")
    );
    let dir = Dir::with("page", &[("install.html", "{{ t.page_titel }}")]);
    assert!(
        dir.refusal()
            .contains("install.html: uses the unknown variable t.page_titel")
    );
}

#[test]
fn a_partial_locale_file_keeps_the_built_in_wording_for_the_rest() {
    let dir = Dir::with(
        "partial",
        &[(
            "locales/en.json",
            r#"{"greeting": "Howdy {first_name},", "unbranded": {"intro": "Ready."}}"#,
        )],
    );
    let templates = dir.load().unwrap();
    let [full, bare] = samples("en", DeliveryKind::Activation);
    let full = templates.render(&full).unwrap();
    assert!(full.text.contains("Howdy Jerry,"));
    assert!(
        full.text
            .contains("Before you start".to_uppercase().as_str())
    );
    assert!(templates.render(&bare).unwrap().text.contains("\nReady.\n"));
}
