//! The install pages: what each shows and in which order, the theme, the policy.
use super::*;

fn pages(templates: Templates) -> Pages {
    Pages::with(
        Arc::new(templates),
        Some("Acme"),
        Some("https://acme.example/help"),
    )
}

fn sample() -> LpaActivationCode {
    LpaActivationCode::parse(SAMPLE_LPA).unwrap()
}

const BOTH: OneTap<'static> = OneTap {
    ios: Some(crate::email::SAMPLE_IOS),
    android: Some(crate::email::SAMPLE_ANDROID),
};

#[test]
fn pages_speak_the_given_language_and_offer_help() {
    let pages = pages(Templates::new().unwrap());
    let de = pages.install(&sample(), BOTH, "de").unwrap();
    assert!(de.contains("<html lang=\"de\">"));
    assert!(de.contains("Installiere deine eSIM von Acme"));
    assert!(de.contains("href=\"https://acme.example/help\""));
    let missing = pages.not_available("fr");
    assert!(missing.contains("<html lang=\"fr\">"));
    assert!(missing.contains("Ce lien n"));
    assert!(missing.contains("Contacter l"));
    assert!(missing.contains("envoyé par Acme"), "no “de Acme”");
}

#[test]
fn the_install_page_puts_the_guidance_first_under_headings() {
    let page = pages(Templates::new().unwrap())
        .install(&sample(), BOTH, "en")
        .unwrap();
    let at = |needle: &str| {
        page.find(needle)
            .unwrap_or_else(|| panic!("{needle} in {page}"))
    };
    assert!(at("<h2>Before you start</h2>") < at("class=\"qr\""));
    assert!(at("class=\"qr\"") < at("<h2>Enter the details by hand</h2>"));
    assert!(at("<h2>Enter the details by hand</h2>") < at("<h2>If it does not work</h2>"));
    assert!(page.contains("iOS 17.4"), "the iPhone link's requirement");
    assert!(
        page.contains("Keep this page to yourself"),
        "its own wording"
    );
    assert!(!page.contains("Keep this email private"));
    // The code is split into blocks; its visible text is the whole code.
    let visible = page.replace("</span><span style=\"display:inline-block;\">", "");
    assert!(visible.contains(SAMPLE_LPA));
}

#[test]
fn the_install_page_offers_both_one_tap_links_as_secondary_actions() {
    let pages = pages(Templates::new().unwrap());
    let page = pages.install(&sample(), BOTH, "en").unwrap();
    assert!(page.contains(&format!("href=\"{}\"", crate::email::SAMPLE_IOS)));
    assert!(page.contains(&format!("href=\"{}\"", crate::email::SAMPLE_ANDROID)));
    assert!(page.find("class=\"qr\"").unwrap() < page.find(crate::email::SAMPLE_IOS).unwrap());

    let none = OneTap {
        ios: None,
        android: None,
    };
    let page = pages.install(&sample(), none, "en").unwrap();
    assert!(!page.contains("Reading this on your phone?"));
    assert!(!page.contains("iOS 17.4"));
}

#[test]
fn the_installed_page_says_how_to_turn_the_line_on_and_holds_no_code() {
    let pages = pages(Templates::new().unwrap());
    for locale in crate::email::SUPPORTED_LOCALES {
        let page = pages.installed(locale).unwrap();
        assert!(
            !page.contains("smdp") && !page.contains("2M-3L0MX"),
            "{locale}"
        );
        assert!(!page.contains("data:image"), "{locale}");
        assert!(
            page.contains("href=\"https://acme.example/help\""),
            "{locale}"
        );
    }
    let en = pages.installed("en").unwrap();
    assert!(en.contains("<h1>Your eSIM is already installed</h1>"));
    assert!(en.contains("data roaming") && en.contains("mobile data"));
}

#[test]
fn the_neutral_page_shows_nothing_of_a_sim() {
    let page = pages(Templates::new().unwrap()).neutral("en");
    assert!(page.contains("Open this link on your phone"));
    for secret in ["smdp", "LPA:", "data:image", "esimsetup"] {
        assert!(!page.contains(secret), "{secret}");
    }
}

#[test]
fn the_pages_wear_the_theme() {
    let dir = std::env::temp_dir().join(format!("esim-page-theme-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("theme.json"),
        r##"{"primary": "#b42318", "logo_url": "https://cdn.acme.example/logo.png"}"##,
    )
    .unwrap();
    let pages = pages(Templates::load(Some(&dir)).unwrap());
    let _ = std::fs::remove_dir_all(&dir);
    let page = pages.install(&sample(), BOTH, "en").unwrap();
    assert!(page.contains("#b42318"), "the theme's colour");
    assert!(page.contains("src=\"https://cdn.acme.example/logo.png\""));
    assert!(pages.installed("en").unwrap().contains("logo.png"));
    assert_eq!(
        pages.csp(),
        "default-src 'none'; style-src 'unsafe-inline'; img-src data: https://cdn.acme.example; \
         frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    );
}

#[test]
fn without_a_logo_the_policy_allows_only_data_images() {
    assert_eq!(
        content_security_policy(None),
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; \
         frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    );
}

#[test]
fn every_page_matches_its_snapshot_in_every_language() {
    let pages = pages(Templates::new().unwrap());
    let lpa = sample();
    for locale in crate::email::SUPPORTED_LOCALES {
        // A short stand-in for the QR code's data URI keeps the snapshot readable.
        let details = InstallDetails {
            qr_data_uri: "data:,QR",
            lpa: lpa.expose(),
            smdp: lpa.smdp_address(),
            matching_id: lpa.matching_id(),
            ios_url: BOTH.ios,
            android_url: BOTH.android,
        };
        let install = pages.render(locale, Page::Install(details)).unwrap();
        insta::assert_snapshot!(format!("install-{locale}"), install);
        insta::assert_snapshot!(
            format!("installed-{locale}"),
            pages.installed(locale).unwrap()
        );
        insta::assert_snapshot!(format!("missing-{locale}"), pages.not_available(locale));
        insta::assert_snapshot!(format!("neutral-{locale}"), pages.neutral(locale));
    }
}
