//! Email templates and translations, compiled into the binary.
use std::collections::BTreeMap;

use minijinja::Environment;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::domain::DeliveryKind;

/// Languages with a translation; anything else falls back to English.
pub const SUPPORTED_LOCALES: [&str; 4] = ["en", "de", "es", "fr"];

const LOCALE_FILES: [(&str, &str); 4] = [
    ("en", include_str!("../../templates/locales/en.json")),
    ("de", include_str!("../../templates/locales/de.json")),
    ("es", include_str!("../../templates/locales/es.json")),
    ("fr", include_str!("../../templates/locales/fr.json")),
];

/// The language of a Gigs `preferredLocale` (`de-DE`, `de_AT`, `fr`) we can write in.
pub fn locale_for(preferred: Option<&str>) -> &'static str {
    let lang = preferred
        .and_then(|p| p.split(['-', '_']).next())
        .map(str::to_ascii_lowercase);
    SUPPORTED_LOCALES
        .into_iter()
        .find(|l| Some(*l) == lang.as_deref())
        .unwrap_or("en")
}

#[derive(Debug, Serialize)]
pub struct Platform {
    pub heading: String,
    pub button: String,
    pub url: String,
    pub url_html: minijinja::Value,
    pub steps: Vec<String>,
}

/// Escapes what HTML requires and leaves `/` alone, so links stay readable in the source.
fn url_value(url: &str) -> minijinja::Value {
    let mut out = String::with_capacity(url.len());
    for ch in url.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    minijinja::Value::from_safe_string(out)
}

/// What a template may show; the caller has already chosen which links exist.
pub struct EmailContext<'a> {
    pub locale: &'static str,
    /// A reminder has its own subject and opening; everything else is shared.
    pub kind: DeliveryKind,
    pub brand: &'a str,
    pub support_url: Option<&'a str>,
    pub name: Option<&'a str>,
    pub install_link: Option<&'a str>,
    pub ios_url: Option<&'a str>,
    pub android_url: Option<&'a str>,
    pub smdp: &'a str,
    pub matching_id: &'a str,
    pub qr_cid: &'a str,
}

pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub struct Templates {
    env: Environment<'static>,
    strings: BTreeMap<&'static str, Map<String, Value>>,
}

impl Templates {
    pub fn new() -> anyhow::Result<Self> {
        let mut env = Environment::new();
        // The `.html` name turns on HTML auto-escaping; `.txt` stays plain.
        env.add_template("email.html", include_str!("../../templates/email.html"))?;
        env.add_template("email.txt", include_str!("../../templates/email.txt"))?;
        let mut strings = BTreeMap::new();
        for (lang, json) in LOCALE_FILES {
            let map: Map<String, Value> = serde_json::from_str(json)?;
            strings.insert(lang, map);
        }
        let english: Vec<&String> = strings["en"].keys().collect();
        for (lang, map) in &strings {
            let keys: Vec<&String> = map.keys().collect();
            anyhow::ensure!(
                keys == english,
                "locale {lang} does not have the English keys"
            );
        }
        Ok(Self { env, strings })
    }

    pub fn render(&self, c: &EmailContext<'_>) -> anyhow::Result<Rendered> {
        let mut t = with_brand(&self.strings[c.locale], c.brand);
        if c.kind == DeliveryKind::Reminder {
            for (key, reminder_key) in
                [("subject", "reminder_subject"), ("intro", "reminder_intro")]
            {
                if let Some(v) = t.get(reminder_key).cloned() {
                    t.insert(key.to_owned(), v);
                }
            }
        }
        let text_of = |key: &str| {
            t.get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let steps_of = |key: &str| -> Vec<String> {
            t.get(key)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut platforms = Vec::new();
        if let Some(url) = c.ios_url {
            platforms.push(Platform {
                heading: text_of("iphone_heading"),
                button: text_of("iphone_button"),
                url: url.to_owned(),
                url_html: url_value(url),
                steps: steps_of("iphone_steps"),
            });
        }
        if let Some(url) = c.android_url {
            platforms.push(Platform {
                heading: text_of("android_heading"),
                button: text_of("android_button"),
                url: url.to_owned(),
                url_html: url_value(url),
                steps: steps_of("android_steps"),
            });
        }
        let ctx = minijinja::context! {
            lang => c.locale,
            t => &t,
            brand => c.brand,
            support_url => c.support_url,
            support_url_html => c.support_url.map(url_value),
            name => c.name,
            install_link => c.install_link,
            install_link_html => c.install_link.map(url_value),
            platforms => platforms,
            smdp => c.smdp,
            matching_id => c.matching_id,
            qr_cid => c.qr_cid,
        };
        Ok(Rendered {
            subject: text_of("subject"),
            text: self.env.get_template("email.txt")?.render(&ctx)?,
            html: self.env.get_template("email.html")?.render(&ctx)?,
        })
    }
}

fn with_brand(strings: &Map<String, Value>, brand: &str) -> Map<String, Value> {
    fn sub(v: &Value, brand: &str) -> Value {
        match v {
            Value::String(s) => Value::String(s.replace("{brand}", brand)),
            Value::Array(a) => Value::Array(a.iter().map(|v| sub(v, brand)).collect()),
            other => other.clone(),
        }
    }
    strings
        .iter()
        .map(|(k, v)| (k.clone(), sub(v, brand)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context<'a>(locale: &'static str, name: Option<&'a str>) -> EmailContext<'a> {
        EmailContext {
            locale,
            kind: DeliveryKind::Activation,
            brand: "Acme <Mobile>",
            support_url: Some("https://acme.example/help"),
            name,
            install_link: None,
            ios_url: Some("https://esimsetup.apple.com/x?carddata=LPA:1$a$b"),
            android_url: Some("https://esimsetup.android.com/x?carddata=LPA:1$a$b"),
            smdp: "smdp.example",
            matching_id: "ABC-123",
            qr_cid: "qr@test",
        }
    }

    #[test]
    fn a_reminder_has_its_own_subject_and_opening_in_every_locale() {
        let templates = Templates::new().unwrap();
        for locale in SUPPORTED_LOCALES {
            let first = templates.render(&context(locale, None)).unwrap();
            let reminder = templates
                .render(&EmailContext {
                    kind: DeliveryKind::Reminder,
                    ..context(locale, None)
                })
                .unwrap();
            assert_ne!(first.subject, reminder.subject, "{locale}");
            assert!(reminder.subject.contains("Acme"), "{locale}");
            assert_ne!(first.text, reminder.text, "{locale}");
            assert!(
                reminder.text.contains("ABC-123"),
                "{locale}: same install details"
            );
        }
    }

    #[test]
    fn every_locale_loads_with_the_same_keys() {
        Templates::new().unwrap();
    }

    #[test]
    fn preferred_locales_map_to_a_translation_or_english() {
        assert_eq!(locale_for(Some("de-DE")), "de");
        assert_eq!(locale_for(Some("fr_CA")), "fr");
        assert_eq!(locale_for(Some("ES")), "es");
        assert_eq!(locale_for(Some("ja-JP")), "en");
        assert_eq!(locale_for(None), "en");
    }

    #[test]
    fn html_escapes_user_and_brand_text_but_text_part_does_not() {
        let t = Templates::new().unwrap();
        let r = t.render(&context("en", Some("<b>Jerry</b>"))).unwrap();
        assert!(
            r.html.contains("&lt;b&gt;Jerry&lt;&#x2f;b&gt;")
                || r.html.contains("&lt;b&gt;Jerry&lt;/b&gt;"),
            "{}",
            r.html
        );
        assert!(!r.html.contains("<b>Jerry</b>"));
        assert!(r.html.contains("Acme &lt;Mobile&gt;"));
        assert!(r.text.contains("Hi <b>Jerry</b>,"));
        assert_eq!(r.subject, "Your Acme <Mobile> eSIM is ready to install");
    }

    #[test]
    fn both_parts_carry_links_and_manual_details() {
        let t = Templates::new().unwrap();
        for lang in SUPPORTED_LOCALES {
            let r = t.render(&context(lang, None)).unwrap();
            for part in [&r.text, &r.html] {
                assert!(part.contains("esimsetup.apple.com"), "{lang}");
                assert!(part.contains("esimsetup.android.com"), "{lang}");
                assert!(
                    part.contains("smdp.example") && part.contains("ABC-123"),
                    "{lang}"
                );
                assert!(part.contains("https://acme.example/help"), "{lang}");
            }
            assert!(r.html.contains("src=\"cid:qr@test\""));
        }
    }
}
