//! A brand's colours and logo (`theme.json`), checked so a bad value cannot reach a subscriber.
use serde::{Deserialize, Serialize};
use url::Url;

/// What the templates may take from `theme.json`; every field has been checked.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Theme {
    /// The main button's colour, `#rrggbb`.
    pub primary: String,
    /// The main button's text colour, `#rrggbb`; at least 4.5:1 against `primary`.
    pub on_primary: String,
    /// An `https` image shown above the email instead of the brand's name.
    pub logo_url: Option<String>,
    /// The logo's width in pixels (its height follows).
    pub logo_width: u32,
}

impl Theme {
    pub fn parse(json: &str) -> Result<Self, String> {
        let theme: Theme = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let primary = rgb(&theme.primary).ok_or("primary must be a #rrggbb colour")?;
        let on_primary = rgb(&theme.on_primary).ok_or("on_primary must be a #rrggbb colour")?;
        // WCAG AA for text: below it the main button is hard to read for many people.
        let ratio = contrast(primary, on_primary);
        if ratio < 4.5 {
            return Err(format!(
                "on_primary on primary has a contrast of {ratio:.1}:1; at least 4.5:1 is needed"
            ));
        }
        if let Some(logo) = &theme.logo_url {
            // Only https: a mail client shows nothing else without a warning.
            let url = Url::parse(logo).map_err(|e| format!("logo_url: {e}"))?;
            if url.scheme() != "https" {
                return Err("logo_url must be an https URL".into());
            }
        }
        if !(16..=560).contains(&theme.logo_width) {
            return Err("logo_width must be 16 to 560".into());
        }
        Ok(theme)
    }
}

/// What an outlined button's edge falls back to when the theme's colour is too light to
/// see on white: the pages' secondary text colour (7.4:1 on white).
const NEUTRAL_EDGE: &str = "#475467";

impl Theme {
    /// The edge of an outlined button on a white page: `primary` where it stands out by at
    /// least 3:1 (WCAG's minimum for a control's boundary), else a neutral grey.
    pub fn edge_on_white(&self) -> &str {
        match rgb(&self.primary) {
            Some(primary) if contrast(primary, [255; 3]) >= 3.0 => &self.primary,
            _ => NEUTRAL_EDGE,
        }
    }
}

fn rgb(hex: &str) -> Option<[u8; 3]> {
    let digits = hex.strip_prefix('#').filter(|d| d.len() == 6)?;
    let byte = |i: usize| u8::from_str_radix(digits.get(i..i + 2)?, 16).ok();
    Some([byte(0)?, byte(2)?, byte(4)?])
}

/// The WCAG contrast ratio of two sRGB colours.
pub fn contrast(a: [u8; 3], b: [u8; 3]) -> f64 {
    let luminance = |c: [u8; 3]| {
        let channel = |v: u8| {
            let v = f64::from(v) / 255.0;
            if v <= 0.03928 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(c[0]) + 0.7152 * channel(c[1]) + 0.0722 * channel(c[2])
    };
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_theme_is_valid() {
        Theme::parse(include_str!("../../templates/theme.json")).unwrap();
    }

    #[test]
    fn an_outlined_button_keeps_a_visible_edge_whatever_the_brand_colour() {
        let theme = |primary: &str, on: &str| {
            Theme::parse(&format!(
                r#"{{"primary":"{primary}","on_primary":"{on}","logo_url":null,"logo_width":140}}"#
            ))
            .unwrap()
        };
        assert_eq!(theme("#1d4ed8", "#ffffff").edge_on_white(), "#1d4ed8");
        assert_eq!(theme("#ffcc00", "#101828").edge_on_white(), NEUTRAL_EDGE);
    }

    #[test]
    fn unreadable_or_unsafe_themes_are_refused() {
        let with = |fields: &str| {
            Theme::parse(&format!(
                r##"{{"primary":"#1d4ed8","on_primary":"#ffffff","logo_url":null,"logo_width":140,{fields}}}"##
            ))
        };
        assert!(with(r#""x":1"#).is_err(), "unknown field");
        let low = Theme::parse(
            r##"{"primary":"#ffcc00","on_primary":"#ffffff","logo_url":null,"logo_width":140}"##,
        );
        assert!(low.unwrap_err().contains("contrast"));
        let script = Theme::parse(
            r##"{"primary":"red;x","on_primary":"#ffffff","logo_url":null,"logo_width":140}"##,
        );
        assert!(script.is_err());
        let http = Theme::parse(
            r##"{"primary":"#1d4ed8","on_primary":"#ffffff","logo_url":"http://a.example/l.png","logo_width":140}"##,
        );
        assert!(http.is_err());
    }
}
