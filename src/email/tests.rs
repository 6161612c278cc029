//! The rendered emails: snapshots per locale and kind, escaping, and what each part must hold.
use super::*;
use crate::domain::DeliveryKind;

fn context<'a>(locale: &'static str, name: Option<&'a str>) -> EmailContext<'a> {
    EmailContext {
        locale,
        kind: DeliveryKind::Activation,
        brand: Some("Acme <Mobile>"),
        support_url: Some("https://acme.example/help"),
        name,
        install_link: None,
        install_link_days: 30,
        ios_url: Some("https://esimsetup.apple.com/x?carddata=LPA:1$a$b"),
        android_url: Some("https://esimsetup.android.com/x?carddata=LPA:1$a$b"),
        lpa: "LPA:1$smdp.example$ABC-123",
        smdp: "smdp.example",
        matching_id: "ABC-123",
        qr_cid: "qr@test",
    }
}

#[test]
fn every_locale_and_kind_matches_its_snapshot() {
    let templates = Templates::new().unwrap();
    for locale in SUPPORTED_LOCALES {
        for kind in [
            DeliveryKind::Activation,
            DeliveryKind::Reminder,
            DeliveryKind::Resend,
        ] {
            let [full, bare] = samples(locale, kind);
            for (variant, sample) in [("full", full), ("bare", bare)] {
                let r = templates.render(&sample).unwrap();
                let name = format!("{locale}-{kind}-{variant}");
                insta::assert_snapshot!(
                    format!("{name}.txt"),
                    format!("Subject: {}\n\n{}", r.subject, r.text)
                );
                insta::assert_snapshot!(format!("{name}.html"), r.html);
            }
        }
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
fn every_locale_has_every_english_key() {
    let templates = Templates::new().unwrap();
    let english = templates.strings("en", None, DeliveryKind::Activation);
    for locale in SUPPORTED_LOCALES {
        for brand in [None, Some("Acme")] {
            let strings = templates.strings(locale, brand, DeliveryKind::Activation);
            let keys: Vec<_> = strings.keys().collect();
            assert_eq!(keys, english.keys().collect::<Vec<_>>(), "{locale}");
        }
    }
}

#[test]
fn without_a_brand_no_locale_names_a_placeholder() {
    let templates = Templates::new().unwrap();
    for locale in SUPPORTED_LOCALES {
        for kind in [DeliveryKind::Activation, DeliveryKind::Reminder] {
            let r = templates
                .render(&EmailContext {
                    brand: None,
                    kind,
                    ..context(locale, None)
                })
                .unwrap();
            for part in [&r.subject, &r.text, &r.html] {
                assert!(!part.contains("{brand}"), "{locale}: {part}");
                assert!(!part.contains("mobile provider"), "{locale}: {part}");
                assert!(!part.contains("  "), "{locale}: a gap where the brand was");
            }
        }
    }
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
fn both_parts_carry_links_manual_details_and_the_whole_code() {
    let t = Templates::new().unwrap();
    for lang in SUPPORTED_LOCALES {
        let r = t.render(&context(lang, None)).unwrap();
        for part in [&r.text, &r.html] {
            assert!(part.contains("esimsetup.apple.com"), "{lang}");
            assert!(part.contains("esimsetup.android.com"), "{lang}");
            assert!(part.contains("https://acme.example/help"), "{lang}");
        }
        assert!(r.text.contains("smdp.example") && r.text.contains("ABC-123"));
        assert!(r.text.contains("LPA:1$smdp.example$ABC-123"), "{lang}");
        // The HTML splits codes into inline blocks; the visible text is the whole code.
        let visible = r
            .html
            .replace("</span><span style=\"display:inline-block;\">", "");
        assert!(visible.contains("LPA:1$smdp.example$ABC-123"), "{lang}");
        assert!(r.html.contains("src=\"cid:qr@test\""));
    }
}

#[test]
fn the_essentials_come_before_any_install_button() {
    let t = Templates::new().unwrap();
    for locale in SUPPORTED_LOCALES {
        let [full, bare] = samples(locale, DeliveryKind::Activation);
        for sample in [full, bare] {
            let r = t.render(&sample).unwrap();
            let strings = t.strings(locale, sample.brand, DeliveryKind::Activation);
            let heading = strings["before_heading"].as_str().unwrap();
            let first_link = r.html.find("<a href").unwrap();
            assert!(r.html.find(heading).unwrap() < first_link, "{locale}");
            let text_link = r.text.find("https://").unwrap();
            assert!(r.text.find(&heading.to_uppercase()).unwrap() < text_link);
        }
    }
}

#[test]
fn with_an_install_link_there_is_one_button() {
    let t = Templates::new().unwrap();
    let [full, bare] = samples("en", DeliveryKind::Activation);
    let buttons = |html: &str| html.matches("text-decoration:none").count();
    assert_eq!(buttons(&t.render(&full).unwrap().html), 1);
    assert_eq!(
        buttons(&t.render(&bare).unwrap().html),
        2,
        "one per platform"
    );
}

#[test]
fn without_a_support_url_readers_are_told_to_reply() {
    let t = Templates::new().unwrap();
    for locale in SUPPORTED_LOCALES {
        let [_, bare] = samples(locale, DeliveryKind::Activation);
        let r = t.render(&bare).unwrap();
        let reply = t.strings(locale, None, DeliveryKind::Activation)["help_reply"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(r.text.contains(&reply), "{locale}");
    }
}

#[test]
fn long_codes_become_short_inline_blocks_that_join_to_the_exact_code() {
    let code = "LPA:1$consumer.rsp.example-operator.com$K2-1A2B3C4D5E6F7G8H9J0KLMNPQRSTUVWX";
    let html = render::breakable(code).to_string();
    let chunks: Vec<&str> = html
        .split("<span style=\"display:inline-block;\">")
        .filter_map(|c| c.strip_suffix("</span>"))
        .collect();
    assert_eq!(chunks.concat(), code, "no character added or lost");
    assert!(chunks.iter().all(|c| c.chars().count() <= 12), "{chunks:?}");
    assert!(
        chunks.contains(&"LPA:") && chunks.contains(&"1$"),
        "{chunks:?}"
    );
}

#[test]
fn codes_break_before_a_hyphen_never_after_it() {
    let html = render::breakable("2M-3L0MX-F8HE2").to_string();
    let chunks: Vec<&str> = html
        .split("<span style=\"display:inline-block;\">")
        .filter_map(|c| c.strip_suffix("</span>"))
        .collect();
    assert_eq!(chunks, ["2M", "-3L0MX", "-F8HE2"]);
}

#[test]
fn the_greeting_uses_the_first_name_where_the_language_is_informal() {
    let t = Templates::new().unwrap();
    for (locale, greeting) in [
        ("en", "Hi Jerry,"),
        ("de", "Hallo Jerry,"),
        ("es", "Hola, Jerry:"),
        ("fr", "Bonjour Jerry Seinfeld,"),
    ] {
        let [full, _] = samples(locale, DeliveryKind::Activation);
        let r = t.render(&full).unwrap();
        assert!(
            r.text.contains(&format!("\n{greeting}\n")),
            "{locale}: {}",
            r.text
        );
    }
}

#[test]
fn the_install_link_says_how_long_it_works() {
    let t = Templates::new().unwrap();
    let [full, bare] = samples("en", DeliveryKind::Activation);
    let r = t.render(&full).unwrap();
    assert!(r.text.contains("This link works for 30 days."));
    assert!(r.html.contains("This link works for 30 days."));
    let one = t
        .render(&EmailContext {
            install_link_days: 1,
            ..full
        })
        .unwrap();
    assert!(one.text.contains("This link works for 1 day."));
    // The one-tap links come from Gigs: how long they work is not ours to say.
    assert!(!t.render(&bare).unwrap().text.contains("This link works"));
    for locale in SUPPORTED_LOCALES {
        let [full, _] = samples(locale, DeliveryKind::Activation);
        let r = t.render(&full).unwrap();
        assert!(r.text.contains("30"), "{locale}");
        assert!(!r.text.contains("{days}"), "{locale}");
    }
}

#[test]
fn a_reminder_says_to_ignore_it_once_installed_and_a_resend_that_it_replaces_the_first() {
    let t = Templates::new().unwrap();
    let render = |kind| {
        let [full, _] = samples("en", kind);
        t.render(&full).unwrap()
    };
    let reminder = render(DeliveryKind::Reminder);
    assert!(
        reminder
            .text
            .contains("If you have already installed it, ignore this email.")
    );
    let resend = render(DeliveryKind::Resend);
    assert!(
        resend
            .text
            .contains("This email replaces the one we sent before")
    );
    assert_eq!(
        resend.subject,
        "Your Acme Mobile eSIM install details, sent again"
    );
    for locale in SUPPORTED_LOCALES {
        let [first, _] = samples(locale, DeliveryKind::Activation);
        let [again, _] = samples(locale, DeliveryKind::Resend);
        let (first, again) = (t.render(&first).unwrap(), t.render(&again).unwrap());
        assert_ne!(first.subject, again.subject, "{locale}");
        assert_ne!(first.text, again.text, "{locale}");
    }
}

#[test]
fn french_puts_a_narrow_space_before_its_colons() {
    let t = Templates::new().unwrap();
    let [full, _] = samples("fr", DeliveryKind::Activation);
    let r = t.render(&full).unwrap();
    assert!(
        r.text.contains("Installer mon eSIM\u{202f}:\n"),
        "{}",
        r.text
    );
    assert!(!r.text.contains(" :") && !r.text.contains("eSIM:"));
    let [full, _] = samples("en", DeliveryKind::Activation);
    assert!(t.render(&full).unwrap().text.contains("Install my eSIM:\n"));
}

#[test]
fn outlook_for_windows_gets_a_fixed_width_card() {
    let t = Templates::new().unwrap();
    let [full, _] = samples("en", DeliveryKind::Activation);
    let html = t.render(&full).unwrap().html;
    assert!(
        html.contains("<!--[if mso]><table role=\"presentation\" align=\"center\" width=\"600\"")
    );
    assert_eq!(
        html.matches("<!--[if mso]>").count(),
        html.matches("<![endif]-->").count()
    );
}
