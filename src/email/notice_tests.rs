//! The notice to a previous address: nothing that installs the line, in every locale.
use lettre::message::Mailbox;

use super::*;
use crate::config::{EmailSettings, SmtpUrl};

fn settings(support: bool) -> EmailSettings {
    EmailSettings {
        smtp_url: SmtpUrl::parse("file:///tmp").unwrap(),
        from: "Acme Mobile <esim@acme.example>".parse().unwrap(),
        reply_to: None,
        brand_name: "Acme Mobile".into(),
        support_url: support.then(|| "https://acme.example/help".parse().unwrap()),
        public_base_url: None,
        templates_dir: None,
        install_link_ttl: std::time::Duration::from_secs(30 * 86_400),
        install_link_key: "key".to_owned().into(),
        smtp_max_per_second: None,
    }
}

fn jerry(locale: &str) -> Recipient<'_> {
    Recipient {
        mailbox: "Jerry <jerry@example.com>".parse::<Mailbox>().unwrap(),
        name: Some("Jerry Seinfeld"),
        preferred_locale: Some(locale),
    }
}

#[test]
fn every_notice_matches_its_snapshot() {
    let templates = Templates::new().unwrap();
    for locale in SUPPORTED_LOCALES {
        let [full, bare] = notice_samples(locale);
        for (variant, sample) in [("full", full), ("bare", bare)] {
            let r = templates.render_notice(&sample).unwrap();
            let name = format!("{locale}-notice-{variant}");
            insta::assert_snapshot!(
                format!("{name}.txt"),
                format!("Subject: {}\n\n{}", r.subject, r.text)
            );
            insta::assert_snapshot!(format!("{name}.html"), r.html);
        }
    }
}

#[test]
fn a_notice_says_what_happened_and_how_to_get_help_in_every_locale() {
    let templates = Templates::new().unwrap();
    for locale in SUPPORTED_LOCALES {
        let [full, bare] = notice_samples(locale);
        let strings = templates.strings(locale, None, crate::domain::DeliveryKind::Notice);
        let full = templates.render_notice(&full).unwrap();
        let bare = templates.render_notice(&bare).unwrap();
        assert!(full.subject.contains("Acme Mobile"), "{locale}");
        for part in [&full.text, &full.html] {
            assert!(part.contains("https://acme.example/help"), "{locale}");
        }
        let reply = strings["help_reply"].as_str().unwrap();
        assert!(bare.text.contains(reply), "{locale}: reply for help");
        for r in [&full, &bare] {
            for part in [&r.subject, &r.text, &r.html] {
                for secret in [
                    "LPA:",
                    "smdp",
                    "2M-3L0MX",
                    "cid:",
                    "esimsetup",
                    "/install/",
                    "{",
                ] {
                    assert!(!part.contains(secret), "{locale}: {secret} in {part}");
                }
            }
        }
    }
}

#[test]
fn a_composed_notice_is_text_and_html_with_no_image() {
    let composer = EmailComposer::new(&settings(true)).unwrap();
    let composed = composer
        .compose_notice("dlv_notice1", &jerry("de"))
        .unwrap();
    let raw = String::from_utf8(composed.message.formatted()).unwrap();
    assert_eq!(composed.message_id, "<dlv_notice1@acme.example>");
    assert_eq!(composed.locale, "de");
    assert!(raw.contains("Auto-Submitted: auto-generated"));
    assert!(raw.contains("multipart/alternative"));
    assert!(raw.contains("text/plain") && raw.contains("text/html"));
    assert!(!raw.contains("image/png") && !raw.contains("multipart/related"));
}

#[test]
fn the_credentials_email_cannot_be_sent_as_a_notice() {
    let composer = EmailComposer::new(&settings(true)).unwrap();
    let lpa = crate::domain::LpaActivationCode::parse(SAMPLE_LPA).unwrap();
    let creds = crate::gigs::SimCredentials {
        activation_code: Some(SAMPLE_LPA.to_owned().into()),
        ios_install_url: None,
        android_install_url: None,
    };
    let notice = crate::domain::DeliveryKind::Notice;
    let refused = composer.compose("dlv_x", &jerry("en"), &lpa, &creds, None, notice);
    assert!(refused.is_err());
}

#[test]
fn without_support_or_reply_to_the_operator_is_warned() {
    let bare = settings(false);
    let warned = warnings(&bare);
    assert_eq!(warned.len(), 1);
    assert!(warned[0].contains("EMAIL_FROM (esim@acme.example) must be a monitored mailbox"));
    assert!(warnings(&settings(true)).is_empty());
    let reply = EmailSettings {
        reply_to: Some("help@acme.example".parse().unwrap()),
        ..bare
    };
    assert!(warnings(&reply).is_empty());
}
