//! The device-aware install link: redirects by user agent, the QR page, "already
//! installed", robots answered with nothing, expiry, revocation.
use base64::{Engine, engine::general_purpose::STANDARD as B64};
use mail_parser::MessageParser;
use reqwest::{Response, redirect::Policy};

use crate::helpers::*;

const IOS_URL: &str = "https://esimsetup.apple.com/esim_qrcode_provisioning?carddata=LPA:1$smdp.gigs.com$2M-3L0MX-F8HE2";
const ANDROID_URL: &str = "https://esimsetup.android.com/esim_qrcode_provisioning?carddata=LPA:1$smdp.gigs.com$2M-3L0MX-F8HE2";

const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
const IPAD: &str = "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1";
const PIXEL: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36";
const GALAXY: &str = "Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36";
const WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0";
/// Also what iPadOS Safari sends by default.
const MAC: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15";
/// Android Chrome with "Desktop site" on.
const ANDROID_DESKTOP_SITE: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";

async fn app_with_links() -> TestApp {
    let app = spawn_app_with(Options {
        install_links: true,
        ..Options::default()
    })
    .await;
    app.mock_gigs_ok().await;
    app
}

/// Delivers one email and returns the install link it leads with.
async fn emailed_link(app: &TestApp, delivery: &str) -> String {
    assert_eq!(app.drive(delivery).await["status"], "delivered");
    let mails = app.smtp.mails();
    let msg = MessageParser::default()
        .parse(&mails.last().unwrap().data)
        .unwrap();
    let text = msg.body_text(0).unwrap().into_owned();
    let html = msg.body_html(0).unwrap().into_owned();
    let prefix = format!("{}/install/", app.address);
    let start = text
        .find(&prefix)
        .expect("the text part has the install link");
    let token: String = text[start + prefix.len()..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    assert!(token.len() >= 22, "at least 128 bits: {token}");
    let link = format!("{prefix}{token}");
    assert!(
        start < text.find(IOS_URL).unwrap(),
        "the install link leads"
    );
    assert!(
        html.contains(&format!("href=\"{link}\"")),
        "the HTML has the install link"
    );
    link
}

async fn open(link: &str, user_agent: &str) -> Response {
    let client = esim_courier::tls::client_builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    client
        .get(link)
        .header("user-agent", user_agent)
        .send()
        .await
        .unwrap()
}

fn assert_private(r: &Response) {
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
    assert_eq!(r.headers()["x-robots-tag"], "noindex");
    assert_eq!(
        r.headers()["content-security-policy"],
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; \
         base-uri 'none'; form-action 'none'"
    );
}

/// How many times Gigs was asked for credentials.
async fn credential_calls(app: &TestApp) -> usize {
    let requests = app.gigs.received_requests().await.unwrap();
    requests
        .iter()
        .filter(|r| r.url.path().ends_with("/credentials"))
        .count()
}

async fn history_len(app: &TestApp, id: &str) -> usize {
    app.delivery(id).await["history"].as_array().unwrap().len()
}

#[tokio::test]
async fn phones_are_redirected_to_their_installer() {
    let app = app_with_links().await;
    let link = emailed_link(&app, &app.deliver_event(ACTIVATED).await).await;

    for (ua, target) in [
        (IPHONE, IOS_URL),
        (IPAD, IOS_URL),
        (PIXEL, ANDROID_URL),
        (GALAXY, ANDROID_URL),
    ] {
        let r = open(&link, ua).await;
        assert_eq!(r.status(), 302, "{ua}");
        assert_eq!(r.headers()["location"], target, "{ua}");
        assert_private(&r);
    }
}

#[tokio::test]
async fn other_devices_get_a_page_with_the_qr_code_and_manual_details() {
    let app = app_with_links().await;
    let link = emailed_link(&app, &app.deliver_event(ACTIVATED).await).await;

    for ua in [WINDOWS, MAC] {
        let r = open(&link, ua).await;
        assert_eq!(r.status(), 200, "{ua}");
        assert_private(&r);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let page = r.text().await.unwrap();
        assert!(page.contains("smdp.gigs.com") && page.contains("2M-3L0MX-F8HE2"));
        let start = page
            .find("data:image/png;base64,")
            .expect("an inline QR image")
            + 22;
        let b64: String = page[start..].chars().take_while(|c| *c != '"').collect();
        let png = B64.decode(b64).unwrap();
        assert_eq!(crate::deliveries::decode_qr(&png), ACTIVATION_CODE);
        assert!(
            !page.contains("src=\"http"),
            "no remote resources on the page"
        );
    }
}

#[tokio::test]
async fn unknown_and_expired_tokens_get_a_404_page_without_detail() {
    let app = app_with_links().await;
    let id = app.deliver_event(ACTIVATED).await;
    let link = emailed_link(&app, &id).await;
    let unknown = format!("{}/install/{}", app.address, "A".repeat(32));

    let r = open(&unknown, IPHONE).await;
    assert_eq!(r.status(), 404);
    assert_private(&r);
    let page = r.text().await.unwrap();
    assert!(page.contains("not available") && !page.contains("sim_") && !page.contains("dlv_"));

    sqlx::query("UPDATE install_links SET expires_at = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(open(&link, IPHONE).await.status(), 404);
    assert_eq!(open(&link, WINDOWS).await.status(), 404);
}

#[tokio::test]
async fn a_resend_revokes_the_earlier_link_and_sends_a_working_one() {
    let app = app_with_links().await;
    let first = app.deliver_event(ACTIVATED).await;
    let old_link = emailed_link(&app, &first).await;

    let resent: serde_json::Value = app
        .post(&format!("/deliveries/{first}/resend"))
        .await
        .json()
        .await
        .unwrap();
    let new_link = emailed_link(&app, resent["id"].as_str().unwrap()).await;

    assert_ne!(old_link, new_link);
    assert_eq!(open(&old_link, IPHONE).await.status(), 404);
    assert_eq!(open(&new_link, IPHONE).await.status(), 302);
}

#[tokio::test]
async fn clicks_are_counted_and_the_table_holds_no_token_or_credential() {
    let app = app_with_links().await;
    let id = app.deliver_event(ACTIVATED).await;
    let link = emailed_link(&app, &id).await;
    let token = link.rsplit('/').next().unwrap().to_owned();

    for ua in [IPHONE, PIXEL, WINDOWS] {
        open(&link, ua).await;
    }

    let clicks: i32 =
        sqlx::query_scalar("SELECT sum(clicks)::int FROM install_links WHERE delivery_id = $1")
            .bind(&id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(clicks, 3);
    let history = app.delivery(&id).await["history"].to_string();
    assert!(
        history.contains("install link opened on iPhone/iPad: redirected to the iOS installer"),
        "{history}"
    );
    assert!(
        history.contains("install link opened on Android"),
        "{history}"
    );
    assert!(
        history.contains("install link opened on another device: showed the QR code page"),
        "{history}"
    );

    let rows: Vec<String> = sqlx::query_scalar("SELECT row_to_json(l)::text FROM install_links l")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    let table = rows.join("\n");
    assert_eq!(rows.len(), 1);
    let stored_hash: Vec<u8> = sqlx::query_scalar("SELECT token_hash FROM install_links")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored_hash.len(), 32, "a SHA-256");
    for secret in [token.as_str(), "2M-3L0MX-F8HE2", "esimsetup"] {
        assert!(!table.contains(secret), "{secret} in install_links");
    }
    let devices: Vec<Option<String>> = sqlx::query_scalar(
        "SELECT device FROM delivery_history WHERE delivery_id = $1 ORDER BY seq",
    )
    .bind(&id)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let opened: Vec<&str> = devices.iter().flatten().map(String::as_str).collect();
    assert_eq!(
        opened,
        ["iphone", "android", "desktop"],
        "one class per opening"
    );
    assert_eq!(
        devices.len(),
        history_len(&app, &id).await,
        "NULL on every other line"
    );

    let logs = crate::logs::captured();
    assert!(
        logs.contains("install link opened"),
        "the clicks were logged"
    );
    assert!(!logs.contains(&token), "the token is in the logs");
}

#[tokio::test]
async fn the_install_page_speaks_the_language_the_email_was_sent_in() {
    let app = spawn_app_with(Options {
        install_links: true,
        ..Options::default()
    })
    .await;
    let mut user: serde_json::Value = serde_json::from_str(USER).unwrap();
    user["preferredLocale"] = "de-DE".into();
    app.mock_gigs_user(USER_ID, &user.to_string()).await;
    app.mock_gigs_credentials(
        SIM,
        wiremock::ResponseTemplate::new(200).set_body_raw(CREDENTIALS, "application/json"),
    )
    .await;
    let id = app.deliver_event(ACTIVATED).await;
    let link = emailed_link(&app, &id).await;

    // A desktop browser asking for English still gets the email's German.
    let page = app
        .client
        .get(link)
        .header("accept-language", "en-US")
        .header("user-agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64)")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("<html lang=\"de\""),
        "{}",
        &page[..200.min(page.len())]
    );
}

#[tokio::test]
async fn the_computer_page_puts_before_you_start_above_the_qr_code() {
    let app = app_with_links().await;
    let link = emailed_link(&app, &app.deliver_event(ACTIVATED).await).await;

    let page = open(&link, WINDOWS).await.text().await.unwrap();

    let before = page.find("<h2>Before you start</h2>").expect("a heading");
    assert!(
        before < page.find("class=\"qr\"").unwrap(),
        "guidance first"
    );
    assert!(page.contains("iOS 17.4") && page.contains("<h2>If it does not work</h2>"));
}

#[tokio::test]
async fn a_phone_the_page_cannot_recognise_gets_both_one_tap_links() {
    let app = app_with_links().await;
    let link = emailed_link(&app, &app.deliver_event(ACTIVATED).await).await;

    for ua in [MAC, ANDROID_DESKTOP_SITE] {
        let r = open(&link, ua).await;

        assert_eq!(r.status(), 200, "{ua}");
        let page = r.text().await.unwrap();
        assert!(page.contains(&format!("href=\"{IOS_URL}\"")), "{ua}");
        assert!(page.contains(&format!("href=\"{ANDROID_URL}\"")), "{ua}");
        assert!(page.contains("data:image/png;base64,"), "and the QR code");
    }
}

#[tokio::test]
async fn once_installed_the_link_says_so_on_every_device_without_asking_gigs() {
    let app = app_with_links().await;
    let id = app.deliver_event(ACTIVATED).await;
    let link = emailed_link(&app, &id).await;
    assert_eq!(
        app.post_webhook("msg_installed", INSTALLED).await.status(),
        200
    );
    let calls = credential_calls(&app).await;

    for ua in [IPHONE, PIXEL, WINDOWS] {
        let r = open(&link, ua).await;

        assert_eq!(r.status(), 200, "no redirect to an installer: {ua}");
        assert_private(&r);
        let page = r.text().await.unwrap();
        assert!(
            page.contains("<h1>Your eSIM is already installed</h1>"),
            "{ua}"
        );
        assert!(page.contains("data roaming") && page.contains("https://acme.example/help"));
        assert!(
            !page.contains("2M-3L0MX-F8HE2") && !page.contains("esimsetup"),
            "{ua}"
        );
    }
    assert_eq!(
        credential_calls(&app).await,
        calls,
        "no credentials fetched"
    );
    let history = app.delivery(&id).await["history"].to_string();
    assert_eq!(
        history.matches("showed the already-installed page").count(),
        3
    );
}

#[tokio::test]
async fn scanners_previewers_and_head_requests_get_a_neutral_page_and_cost_nothing() {
    let app = app_with_links().await;
    let id = app.deliver_event(ACTIVATED).await;
    let link = emailed_link(&app, &id).await;
    let (calls, lines) = (credential_calls(&app).await, history_len(&app, &id).await);
    let robots = [
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "WhatsApp/2.23.20.0 A",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "",
    ];
    let client = esim_courier::tls::client_builder()
        .redirect(Policy::none())
        .build()
        .unwrap();

    let mut answers = Vec::new();
    for ua in robots {
        answers.push(open(&link, ua).await);
    }
    answers.push(
        client
            .head(&link)
            .header("user-agent", IPHONE)
            .send()
            .await
            .unwrap(),
    );

    for r in answers {
        assert_eq!(r.status(), 200);
        assert_private(&r);
        let page = r.text().await.unwrap();
        for secret in ["2M-3L0MX-F8HE2", "esimsetup", "data:image"] {
            assert!(!page.contains(secret), "{secret}");
        }
    }
    assert_eq!(credential_calls(&app).await, calls, "no Gigs call");
    assert_eq!(history_len(&app, &id).await, lines, "no opening recorded");
    let clicks: i32 = sqlx::query_scalar("SELECT clicks FROM install_links")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(clicks, 0);
    assert_eq!(
        open(&link, IPHONE).await.status(),
        302,
        "the person still gets through"
    );
}

#[tokio::test]
async fn rotating_install_link_secret_ends_the_links_issued_under_the_old_one() {
    let app = app_with_links().await;
    let id = app.deliver_event(ACTIVATED).await;
    let link = emailed_link(&app, &id).await;
    let path = link.trim_start_matches(&app.address).to_owned();
    let rotated = app
        .twin_with(|s| {
            s.email.install_link_key = "a-new-secret-after-a-leak".to_owned().into();
        })
        .await;
    rotated.mock_gigs_ok().await;

    let before = open(&link, IPHONE).await;
    let after = open(&format!("{}{path}", rotated.address), IPHONE).await;

    assert_eq!(before.status(), 302, "the old key still opens it");
    assert_eq!(
        after.status(),
        404,
        "under the new key the old link is gone"
    );
}
