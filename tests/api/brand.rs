//! The brand owns its email: `TEMPLATES_DIR` (checked strictly at start), `preview`, the
//! header, localized and themed install pages.
use std::{path::PathBuf, process::Command};

use mail_parser::MessageParser;

use crate::helpers::*;

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/templates")
}

fn binary(args: &[&str], templates_dir: &std::path::Path) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_esim-courier"))
        .args(args)
        .env_clear()
        .envs(crate::cli::base_env())
        .env("TEMPLATES_DIR", templates_dir)
        .output()
        .expect("the binary runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("esim-templates-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("locales")).unwrap();
    dir
}

#[tokio::test]
async fn a_templates_dir_override_is_what_the_subscriber_gets() {
    let app = spawn_app_with(Options {
        tweak: |s, _| {
            s.email.templates_dir =
                Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/templates"));
        },
        ..Options::default()
    })
    .await;
    app.mock_gigs_ok().await;
    let id = app.deliver_event(ACTIVATED).await;

    assert_eq!(app.drive(&id).await["status"], "delivered");

    let mail = &app.smtp.mails()[0];
    let msg = MessageParser::default().parse(&mail.data).unwrap();
    let text = msg.body_text(0).unwrap();
    let html = msg.body_html(0).unwrap();
    assert!(text.contains("Howdy Jerry,"), "{text}");
    assert!(html.contains("Your Acme line is one tap away"));
    assert!(html.contains("src=\"https://acme.example/logo.png\""));
    assert!(html.contains("#b42318"), "the theme's colour");
    assert!(
        text.contains("Keep this email private"),
        "the rest stays built in"
    );
    assert_eq!(
        msg.header_raw("Auto-Submitted").map(str::trim),
        Some("auto-generated")
    );
}

#[test]
fn preview_writes_every_part_with_the_override() {
    let out = scratch_dir("preview-out");
    let status = Command::new(env!("CARGO_BIN_EXE_esim-courier"))
        .args(["preview", "--locale", "en", "--kind", "reminder", "--out"])
        .arg(&out)
        .env("TEMPLATES_DIR", fixture_dir())
        .env("BRAND_NAME", "Acme Mobile")
        .status()
        .unwrap();

    assert!(status.success());
    let text = std::fs::read_to_string(out.join("email-en-reminder.txt")).unwrap();
    assert!(text.contains("Howdy Jerry,"), "{text}");
    let eml = std::fs::read(out.join("email-en-reminder.eml")).unwrap();
    let msg = MessageParser::default().parse(&eml).unwrap();
    assert_eq!(
        msg.subject(),
        Some("Reminder: your Acme Mobile eSIM is not installed yet")
    );
    let html = std::fs::read_to_string(out.join("email-en-reminder.html")).unwrap();
    assert!(
        html.contains("data:image/png;base64,"),
        "the QR code inline"
    );
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn a_broken_override_exits_2_naming_the_file() {
    let cases: [(&str, &str); 4] = [
        ("email.html", "{% if %}"),
        ("locales/de.json", "{\"title\": 3}"),
        ("theme.json", "{\"primary\": \"#fff\"}"),
        ("emial.html", "<p>misspelt</p>"),
    ];
    for (i, (file, content)) in cases.into_iter().enumerate() {
        let dir = scratch_dir(&format!("broken{i}"));
        std::fs::write(dir.join(file), content).unwrap();

        for args in [&["serve"][..], &["preview", "--out", "/dev/null/x"]] {
            let (code, stderr) = binary(args, &dir);

            assert_eq!(code, Some(2), "{file} {args:?}: {stderr}");
            assert!(stderr.contains("TEMPLATES_DIR"), "{stderr}");
            assert!(stderr.contains(file), "{file}: {stderr}");
            assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn an_override_that_would_fail_silently_exits_2_naming_the_file_and_the_key() {
    let misspelt =
        include_str!("../../templates/email.html").replace("{{ t.title }}", "{{ t.titel }}");
    let cases: [(&str, &str, &str); 5] = [
        (
            "locales/de.json",
            r#"{"before_items": "Sei vorsichtig."}"#,
            "before_items must be a list of strings",
        ),
        (
            "locales/en.json",
            r#"{"gretting": "Hi {first_name},"}"#,
            "unknown key \"gretting\"",
        ),
        (
            "locales/fr.json",
            r#"{"greeting": "Bonjour {firstname},"}"#,
            "unknown placeholder {firstname}",
        ),
        ("email.html", &misspelt, "unknown variable t.titel"),
        (
            "theme.json",
            r#"{"logo_width": "wide"}"#,
            "logo_width must be a whole number",
        ),
    ];
    for (i, (file, content, problem)) in cases.into_iter().enumerate() {
        let dir = scratch_dir(&format!("strict{i}"));
        std::fs::write(dir.join(file), content).unwrap();

        for args in [&["serve"][..], &["preview", "--out", "/dev/null/x"]] {
            let (code, stderr) = binary(args, &dir);

            assert_eq!(code, Some(2), "{file} {args:?}: {stderr}");
            assert!(
                stderr.contains(file) && stderr.contains(problem),
                "{stderr}"
            );
            assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn preview_writes_the_notice_and_the_install_pages_in_the_theme() {
    let dir = scratch_dir("colours-only");
    std::fs::write(dir.join("theme.json"), r##"{"primary": "#b42318"}"##).unwrap();
    for (templates, logo) in [(fixture_dir(), true), (dir.clone(), false)] {
        let out = scratch_dir("preview-pages");
        let status = Command::new(env!("CARGO_BIN_EXE_esim-courier"))
            .args(["preview", "--locale", "en", "--kind", "notice", "--out"])
            .arg(&out)
            .env("TEMPLATES_DIR", &templates)
            .env("BRAND_NAME", "Acme Mobile")
            .status()
            .unwrap();

        assert!(status.success(), "{}", templates.display());
        let read = |name: &str| std::fs::read_to_string(out.join(name)).unwrap();
        let install = read("page-en-install.html");
        assert!(
            install.contains("#b42318"),
            "the theme's colour on the page"
        );
        assert!(install.contains("data:image/png;base64,") && install.contains("Before you start"));
        assert_eq!(
            install.contains("src=\"https://acme.example/logo.png\""),
            logo
        );
        assert!(read("page-en-installed.html").contains("Your eSIM is already installed"));
        let notice = read("email-en-notice.txt");
        assert!(
            notice.contains("was just sent to a new email address"),
            "{notice}"
        );
        assert!(!notice.contains("LPA:") && !read("email-en-notice.eml").contains("image/png"));
        let _ = std::fs::remove_dir_all(out);
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn the_install_pages_speak_the_readers_language() {
    let app = spawn_app_with(Options {
        install_links: true,
        ..Options::default()
    })
    .await;
    let client = &app.client;
    let unknown = format!("{}/install/{}", app.address, "A".repeat(32));

    // A browser: an empty user agent is answered as a link checker.
    let browser = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/125.0";
    let r = client
        .get(&unknown)
        .header("user-agent", browser)
        .header("accept-language", "de-DE,de;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap();

    assert_eq!(r.status(), 404);
    let page = r.text().await.unwrap();
    assert!(page.contains("<html lang=\"de\">"), "{page}");
    assert!(page.contains("Dieser Link ist nicht verfügbar"));
    assert!(
        page.contains("href=\"https://acme.example/help\""),
        "a way to get help"
    );

    let english = client
        .get(&unknown)
        .header("user-agent", browser)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(english.contains("<html lang=\"en\">"));
}
