//! The console in a real headless Chromium, driven over WebDriver: sign-in, search, the
//! SIM page's actions and their refusals, masking, escaping, JavaScript off, 375 px,
//! sign-out, the sign-in limit, axe-core on every page, and the screenshots in `docs/`.
//! Skipped (one `skipped:` line) without chromedriver, Chromium or node, unless
//! `ESIM_REQUIRE_BROWSER=1`.
mod axe;
mod seed;
mod tools;
mod webdriver;

use std::ops::Deref;

use reqwest::{StatusCode, header, redirect::Policy};
use serde_json::{Value, json};

use crate::helpers::*;
use tools::{Tools, tools};
use webdriver::Browser;

const DESKTOP: u32 = 1280;
const PHONE: u32 = 375;

/// A browser on one app's console.
struct Desk {
    browser: Browser,
    base: String,
}

impl Deref for Desk {
    type Target = Browser;
    fn deref(&self) -> &Browser {
        &self.browser
    }
}

impl Desk {
    async fn open(app: &TestApp, tools: &Tools, javascript: bool) -> Self {
        let browser = Browser::start(tools, javascript).await;
        browser.set_window_size(DESKTOP, 900).await;
        Self {
            browser,
            base: app.address.clone(),
        }
    }

    async fn visit(&self, path: &str) {
        self.goto(&format!("{}{path}", self.base)).await;
    }

    /// Submits the form as a person does (its button), and waits for the next page.
    async fn submit(&self, form_css: &str) {
        // A mark on this document: gone once another page has loaded.
        self.execute("window.__before = true;", json!([])).await;
        self.browser.submit(form_css).await;
        self.wait_for("the next page", || async {
            let state = self
                .execute(
                    "return window.__before ? 'same' : document.readyState;",
                    json!([]),
                )
                .await;
            (state == "complete").then_some(())
        })
        .await;
    }

    /// Signs in through the form with `token`, and waits for the overview.
    async fn sign_in(&self, token: &str) {
        self.visit("/console/login").await;
        self.send_keys(&self.find("#token").await, token).await;
        self.submit("form[action='/console/login']").await;
        self.wait_for_path("the overview", |p| p == "/console")
            .await;
    }

    /// Types `q` into the search box every page has, and searches.
    async fn search(&self, q: &str) {
        let field = self.find("#q").await;
        self.clear(&field).await;
        self.send_keys(&field, q).await;
        self.submit("form.search").await;
    }

    /// The HTTP status the current page came with.
    async fn status(&self) -> u64 {
        let status = self
            .execute(
                "return performance.getEntriesByType('navigation')[0].responseStatus;",
                json!([]),
            )
            .await;
        status.as_u64().expect("a navigation status")
    }

    /// Whether any script of the page has run that should not have, or any element a
    /// payload could have smuggled in exists.
    async fn ran_payload(&self) -> Value {
        self.execute(
            "return { xss: typeof window.__xss, scripts: document.scripts.length,
                      images: document.querySelectorAll('img').length };",
            json!([]),
        )
        .await
    }
}

/// The app, with the fixture's SIM emailed to jerry@example.com; and that delivery.
async fn emailed() -> (TestApp, String) {
    let app = spawn_app().await;
    app.mock_gigs_ok().await;
    let id = app.deliver_event(ACTIVATED).await;
    assert_eq!(app.drive(&id).await["status"], "delivered");
    (app, id)
}

/// A plain HTTP client (no cookie jar, no redirects followed).
fn plain_client() -> reqwest::Client {
    esim_courier::tls::client_builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn an_agent_signs_in_through_the_form_and_search_by_address_or_iccid_opens_the_sim() {
    let Some(tools) = tools("browser sign-in and search") else {
        return;
    };
    let (app, _) = emailed().await;
    let desk = Desk::open(&app, tools, true).await;

    desk.sign_in(TOKEN).await;
    desk.search("Jerry@Example.com").await;

    let sim_page = format!("/console/sims/{SIM}");
    desk.wait_for_path("the SIM page", |p| p == sim_page).await;
    assert!(desk.text(&desk.find("h1").await).await.contains(SIM));
    desk.visit("/console/deliveries").await;
    desk.search("89883070000007537119").await;
    desk.wait_for_path("the SIM page", |p| p == sim_page).await;
    assert_eq!(desk.status().await, 200);
    let iccid = desk.find("dl.facts").await;
    assert!(desk.text(&iccid).await.contains("89883070000007537119"));
    desk.browser.quit().await;
}

#[tokio::test]
async fn a_support_agents_resend_from_the_sim_page_is_emailed_and_audited_under_their_name() {
    let Some(tools) = tools("browser resend") else {
        return;
    };
    let (app, id) = emailed().await;
    let desk = Desk::open(&app, tools, true).await;
    desk.sign_in(NAMED_TOKEN).await;
    desk.visit(&format!("/console/sims/{SIM}")).await;

    desk.submit("form[action$='/resend']").await;

    let done = format!("/console/sims/{SIM}?done=resent");
    desk.wait_for_path("the resend's notice", |p| p == done)
        .await;
    let notice = desk.text(&desk.find("p.notice").await).await;
    assert!(notice.starts_with("Resend queued"), "{notice}");
    while app.worker.process_due().await.unwrap() > 0 {}
    let mails = app.smtp.mails();
    assert_eq!(mails.len(), 2, "the activation and the resend");
    assert_eq!(mails[1].rcpt_to, ["jerry@example.com"]);
    let resent: (String, String) =
        sqlx::query_as("SELECT kind, status FROM deliveries WHERE resend_of = $1")
            .bind(&id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(resent, ("resend".into(), "delivered".into()));
    let audit: Value = app.get("/audit?action=resend").await.json().await.unwrap();
    let entry = &audit["items"][0];
    assert_eq!(entry["actor"], "support-desk", "{audit}");
    assert_eq!(entry["role"], "support");
    assert_eq!(entry["target"], id.as_str());
    desk.browser.quit().await;
}

#[tokio::test]
async fn a_viewer_sees_no_resend_button_and_only_masked_addresses() {
    let Some(tools) = tools("browser viewer") else {
        return;
    };
    let (app, _) = emailed().await;
    // A second SIM of the same user: the search lists both instead of opening one.
    app.deliver_event(&event_with(ACTIVATED, "evt_second", "sim_second", |_| {}))
        .await;
    let desk = Desk::open(&app, tools, true).await;
    desk.sign_in(VIEWER_TOKEN).await;

    for path in [
        format!("/console/sims/{SIM}"),
        format!("/console/search?q={USER_ID}"),
        "/console/deliveries".to_owned(),
    ] {
        desk.visit(&path).await;
        assert_eq!(desk.status().await, 200, "{path}");
        let html = desk.source().await;
        assert!(html.contains("j***@example.com"), "{path}: {html}");
        assert!(!html.contains("jerry@"), "{path}: {html}");
        assert!(
            desk.find_all("form[action$='/resend']").await.is_empty(),
            "{path}"
        );
        for button in desk.find_all("button").await {
            assert_ne!(desk.text(&button).await, "Resend", "{path}");
        }
    }
    desk.browser.quit().await;
}

#[tokio::test]
async fn the_resend_form_without_its_csrf_token_is_refused() {
    let Some(tools) = tools("browser CSRF") else {
        return;
    };
    let (app, _) = emailed().await;
    let desk = Desk::open(&app, tools, true).await;
    desk.sign_in(NAMED_TOKEN).await;
    desk.visit(&format!("/console/sims/{SIM}")).await;

    let removed = desk
        .execute(
            "const field = document.querySelector(\"form[action$='/resend'] input[name=csrf]\");
             field.remove(); return document.querySelectorAll('input[name=csrf]').length;",
            json!([]),
        )
        .await;
    assert_eq!(removed, 1, "only the sign-out form keeps its token");
    desk.submit("form[action$='/resend']").await;

    assert_eq!(desk.status().await, 403);
    assert_eq!(desk.text(&desk.find("h1").await).await, "Not allowed");
    assert_eq!(app.count("deliveries").await, 1, "nothing was resent");
    desk.browser.quit().await;
}

#[tokio::test]
async fn a_subscriber_named_with_markup_runs_nothing_on_any_page() {
    let Some(tools) = tools("browser escaping") else {
        return;
    };
    let app = spawn_app().await;
    let hostile = r#"<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>"#;
    let mut user: Value = serde_json::from_str(USER).unwrap();
    user["fullName"] = hostile.into();
    app.mock_gigs_user(USER_ID, &user.to_string()).await;
    let credentials =
        wiremock::ResponseTemplate::new(200).set_body_raw(CREDENTIALS, "application/json");
    app.mock_gigs_credentials("sim_xss", credentials).await;
    let body = event_with(ACTIVATED, "evt_xss", "sim_xss", |v| {
        v["data"]["user"]["fullName"] = hostile.into();
    });
    let id = app.deliver_event(&body).await;
    assert_eq!(app.drive(&id).await["status"], "delivered");
    app.deliver_event(&event_with(ACTIVATED, "evt_xss2", "sim_xss2", |v| {
        v["data"]["user"]["fullName"] = hostile.into();
    }))
    .await;
    esim_courier::store::overview::refresh(&app.pool)
        .await
        .unwrap();
    let desk = Desk::open(&app, tools, true).await;
    desk.sign_in(TOKEN).await;

    for path in [
        "/console".to_owned(),
        format!("/console/search?q={USER_ID}"),
        "/console/sims/sim_xss".to_owned(),
        "/console/deliveries".to_owned(),
        "/console/suppressions".to_owned(),
        "/console/alerts".to_owned(),
        "/console/audit".to_owned(),
    ] {
        desk.visit(&path).await;
        assert_eq!(desk.status().await, 200, "{path}");
        let ran = desk.ran_payload().await;
        assert_eq!(
            ran,
            json!({ "xss": "undefined", "scripts": 0, "images": 0 }),
            "{path}"
        );
    }
    desk.visit("/console/sims/sim_xss").await;
    let name = desk.find("dl.facts dd").await;
    assert_eq!(desk.text(&name).await, hostile, "the name, as text");
    desk.browser.quit().await;
}

#[tokio::test]
async fn with_javascript_off_sign_in_and_search_still_work() {
    let Some(tools) = tools("browser without JavaScript") else {
        return;
    };
    let (app, _) = emailed().await;
    let desk = Desk::open(&app, tools, false).await;
    // JavaScript is really off: a page's own script does not run.
    desk.goto("data:text/html,<p id=p>off</p><script>p.textContent='on'</script>")
        .await;
    assert_eq!(desk.text(&desk.find("#p").await).await, "off");

    desk.sign_in(NAMED_TOKEN).await;
    desk.search("89883070000007537119").await;

    let sim_page = format!("/console/sims/{SIM}");
    desk.wait_for_path("the SIM page", |p| p == sim_page).await;
    assert!(desk.text(&desk.find("h1").await).await.contains(SIM));
    desk.search("nobody@example.com").await;
    desk.wait_for_path("the results", |p| p.starts_with("/console/search"))
        .await;
    let nothing = desk.text(&desk.find("main").await).await;
    assert!(nothing.contains("Nothing matches"), "{nothing}");
    desk.browser.quit().await;
}

/// Every console page, with the seeded month behind it (the audit log for admins only).
fn every_page(seeded: &seed::Seeded, admin: bool) -> Vec<String> {
    let since = (chrono::Utc::now() - chrono::Duration::days(30)).format("%Y-%m-%d");
    let mut pages = vec![
        "/console".to_owned(),
        format!("/console/search?q={}", seeded.family_user),
        "/console/search?q=nobody%40example.com".to_owned(),
        format!("/console/sims/{}", seeded.showcase_sim),
        format!("/console/sims/{}?done=resent", seeded.long_sim),
        "/console/deliveries".to_owned(),
        "/console/deliveries?status=failed".to_owned(),
        "/console/suppressions".to_owned(),
        "/console/alerts".to_owned(),
        // An admin's page; for a viewer, the page that refuses it.
        "/console/audit".to_owned(),
    ];
    if admin {
        pages.push(format!(
            "/console/deliveries/retry?status=failed&since={since}"
        ));
    }
    pages
}

/// The page's width and the window's, and the elements whose content overflows them,
/// when the page is the wider.
async fn sideways(desk: &Desk, page: &str) -> Option<String> {
    let widths = desk
        .execute(
            "const inner = window.innerWidth;
             const out = [...document.querySelectorAll('body *')]
               .filter(e => e.scrollWidth > e.clientWidth + 1
                 && getComputedStyle(e).overflowX === 'visible')
               .slice(0, 8)
               .map(e => `${e.tagName.toLowerCase()}.${e.className} ${e.scrollWidth} px`);
             return [document.documentElement.scrollWidth, inner, out];",
            json!([]),
        )
        .await;
    (widths[0].as_u64() > widths[1].as_u64()).then(|| format!("{page}: {widths}"))
}

#[tokio::test]
async fn at_375_px_no_console_page_scrolls_sideways() {
    let Some(tools) = tools("browser at 375 px") else {
        return;
    };
    let app = spawn_app().await;
    let seeded = seed::month(&app.pool, 120).await;
    let desk = Desk::open(&app, tools, true).await;
    desk.set_window_size(PHONE, 800).await;
    let width = desk.execute("return window.innerWidth;", json!([])).await;
    assert_eq!(width, PHONE, "the viewport is a phone's");

    let mut wide = Vec::new();
    desk.visit("/console/login").await;
    wide.extend(sideways(&desk, "/console/login").await);
    desk.sign_in(TOKEN).await;
    for page in every_page(&seeded, true) {
        desk.visit(&page).await;
        assert_eq!(desk.status().await, 200, "{page}");
        wide.extend(sideways(&desk, &page).await);
    }
    assert!(wide.is_empty(), "pages wider than 375 px: {wide:#?}");
    desk.browser.quit().await;
}

#[tokio::test]
async fn signing_out_ends_the_session_on_the_server_even_for_a_copied_cookie() {
    let Some(tools) = tools("browser sign-out") else {
        return;
    };
    let app = spawn_app().await;
    let desk = Desk::open(&app, tools, true).await;
    desk.sign_in(TOKEN).await;
    let cookie = desk
        .cookies()
        .await
        .into_iter()
        .find(|c| c["name"] == "courier_session")
        .expect("the session cookie");
    let cookie = format!("courier_session={}", cookie["value"].as_str().unwrap());
    let replay = async || {
        plain_client()
            .get(format!("{}/console", app.address))
            .header(header::COOKIE, &cookie)
            .send()
            .await
            .unwrap()
    };
    assert_eq!(replay().await.status(), StatusCode::OK, "the copy works");

    desk.submit("form[action='/console/logout']").await;

    desk.wait_for_path("the sign-in form", |p| p == "/console/login")
        .await;
    let after = replay().await;
    assert_eq!(after.status(), StatusCode::SEE_OTHER);
    assert_eq!(after.headers()[header::LOCATION], "/console/login");
    desk.browser.quit().await;
}

#[tokio::test]
async fn eleven_wrong_sign_ins_in_a_minute_through_the_form_get_429() {
    let Some(tools) = tools("browser sign-in limit") else {
        return;
    };
    let app = spawn_app().await;
    let desk = Desk::open(&app, tools, true).await;
    let mut statuses = Vec::new();

    for _ in 0..11 {
        desk.visit("/console/login").await;
        desk.send_keys(&desk.find("#token").await, "a-wrong-token")
            .await;
        desk.submit("form[action='/console/login']").await;
        statuses.push(desk.status().await);
    }

    assert_eq!(statuses[..10], [401; 10]);
    assert_eq!(statuses[10], 429);
    assert_eq!(desk.text(&desk.find("h1").await).await, "Too soon");
    desk.browser.quit().await;
}

/// axe on every page, at a desktop's width and a phone's, as `token`.
async fn axe_every_page(token: &str, admin: bool, test: &str) {
    let Some(tools) = tools(test) else {
        return;
    };
    let axe_source = tools::axe_source(tools);
    let app = spawn_app().await;
    let seeded = seed::month(&app.pool, 60).await;
    let desk = Desk::open(&app, tools, true).await;
    // axe sees what it should: the sign-in field without its label is a critical finding.
    desk.visit("/console/login").await;
    desk.execute(
        "document.querySelector('label[for=token]').remove();",
        json!([]),
    )
    .await;
    let unlabelled = axe::serious_violations(&desk, axe_source).await;
    assert!(
        unlabelled.iter().any(|v| v.starts_with("label [critical]")),
        "{unlabelled:?}"
    );
    let mut found = Vec::new();

    for width in [DESKTOP, PHONE] {
        desk.set_window_size(width, 900).await;
        desk.visit("/console/login").await;
        for v in axe::serious_violations(&desk, axe_source).await {
            found.push(format!("{width} px /console/login: {v}"));
        }
        desk.sign_in(token).await;
        for page in every_page(&seeded, admin) {
            desk.visit(&page).await;
            for v in axe::serious_violations(&desk, axe_source).await {
                found.push(format!("{width} px {page}: {v}"));
            }
        }
        // Out, from a page with the form (a viewer's last page is the refusal of one).
        desk.visit("/console").await;
        desk.submit("form[action='/console/logout']").await;
    }

    assert!(
        found.is_empty(),
        "axe-core {}: {found:#?}",
        tools::AXE_VERSION
    );
    desk.browser.quit().await;
}

#[tokio::test]
async fn axe_finds_nothing_serious_on_any_console_page_for_an_admin() {
    axe_every_page(TOKEN, true, "axe as an admin").await;
}

#[tokio::test]
async fn axe_finds_nothing_serious_on_any_console_page_for_a_viewer() {
    axe_every_page(VIEWER_TOKEN, false, "axe as a viewer").await;
}

/// `CONSOLE_SCREENSHOTS=docs` (scripts/console-screenshots): the overview, a SIM page and
/// the deliveries list at 1280 and 375 px, from a seeded month, into `docs/`.
#[tokio::test]
async fn screenshots_of_the_console_for_the_docs() {
    if std::env::var("CONSOLE_SCREENSHOTS").as_deref() != Ok("docs") {
        println!("skipped: console screenshots (CONSOLE_SCREENSHOTS=docs writes them)");
        return;
    }
    let Some(tools) = tools("console screenshots") else {
        return;
    };
    let app = spawn_app().await;
    let seeded = seed::month(&app.pool, 360).await;
    let desk = Desk::open(&app, tools, true).await;
    desk.sign_in(NAMED_TOKEN).await;
    let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");

    for (name, page) in [
        ("overview", "/console".to_owned()),
        ("sim", format!("/console/sims/{}", seeded.showcase_sim)),
        ("deliveries", "/console/deliveries".to_owned()),
    ] {
        for width in [DESKTOP, PHONE] {
            desk.set_window_size(width, 900).await;
            desk.visit(&page).await;
            // The whole page (at most 1,800 px of it): the viewport as tall as the document.
            let sizes = desk
                .execute(
                    "return [document.documentElement.scrollHeight, window.innerHeight];",
                    json!([]),
                )
                .await;
            let (page_height, inner) = (sizes[0].as_u64().unwrap(), sizes[1].as_u64().unwrap());
            let window = 900 + page_height.min(1800) - inner;
            desk.set_window_size(width, window as u32).await;
            let file = docs.join(format!("console-{name}-{width}.png"));
            desk.screenshot(&file).await;
            println!("wrote {}", file.display());
        }
    }
    desk.browser.quit().await;
}
