//! Which of our languages a reader gets: `preferredLocale` or `Accept-Language`, else English.

/// Languages with a translation; anything else falls back to English.
pub const SUPPORTED_LOCALES: [&str; 4] = ["en", "de", "es", "fr"];

fn supported(tag: &str) -> Option<&'static str> {
    let lang = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
    SUPPORTED_LOCALES.into_iter().find(|l| *l == lang)
}

/// The language of a Gigs `preferredLocale` (`de-DE`, `de_AT`, `fr`) we can write in.
pub fn locale_for(preferred: Option<&str>) -> &'static str {
    preferred.and_then(supported).unwrap_or("en")
}

/// The best of our languages in an `Accept-Language` header (`fr-CH, fr;q=0.9, en;q=0.8`),
/// by quality and then order; `None` when it names none of them.
pub fn locale_from_accept_language(header: &str) -> Option<&'static str> {
    let mut best: Option<(f32, &'static str)> = None;
    for entry in header.split(',') {
        let mut parts = entry.split(';');
        let Some(lang) = parts.next().and_then(supported) else {
            continue;
        };
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        // Equal quality keeps the earlier entry: the browser lists preference first.
        if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
            best = Some((q, lang));
        }
    }
    best.map(|(_, lang)| lang)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preferred_locales_map_to_a_translation_or_english() {
        assert_eq!(locale_for(Some("de-DE")), "de");
        assert_eq!(locale_for(Some("fr_CA")), "fr");
        assert_eq!(locale_for(Some("ES")), "es");
        assert_eq!(locale_for(Some("ja-JP")), "en");
        assert_eq!(locale_for(None), "en");
    }

    #[test]
    fn accept_language_picks_the_best_supported_language() {
        let pick = locale_from_accept_language;
        assert_eq!(pick("de-DE,de;q=0.9,en;q=0.8"), Some("de"));
        assert_eq!(pick("ja, fr;q=0.5, en;q=0.7"), Some("en"));
        assert_eq!(pick("es-419"), Some("es"));
        assert_eq!(pick("fr;q=0, de;q=0.1"), Some("de"));
        assert_eq!(pick("ja, zh"), None);
        assert_eq!(pick(""), None);
    }
}
