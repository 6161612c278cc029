//! The console over HTTP: sign-in and its limit, the session cookie and headers, CSRF,
//! roles and masking, escaping, sign-out. (A real browser drives it in `tests/browser`.)
use reqwest::{StatusCode, header, redirect::Policy};

use crate::helpers::*;

/// A browser-like client of the console: keeps the session cookie, follows no redirect.
struct Agent {
    http: reqwest::Client,
    base: String,
    cookie: Option<String>,
}

impl Agent {
    fn new(app: &TestApp) -> Self {
        Self {
            http: esim_courier::tls::client_builder()
                .redirect(Policy::none())
                .build()
                .unwrap(),
            base: app.address.clone(),
            cookie: None,
        }
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(c) = &self.cookie {
            req = req.header(header::COOKIE, c);
        }
        req.send().await.unwrap()
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body);
        if let Some(c) = &self.cookie {
            req = req.header(header::COOKIE, c);
        }
        req.send().await.unwrap()
    }

    async fn sign_in(&mut self, token: &str) -> reqwest::Response {
        let response = self.post("/console/login", &[("token", token)]).await;
        if let Some(set) = response.headers().get(header::SET_COOKIE) {
            let pair = set.to_str().unwrap().split(';').next().unwrap().to_owned();
            self.cookie = Some(pair);
        }
        response
    }

    /// The session's CSRF token, from the sign-out form every page carries.
    async fn csrf(&self) -> String {
        let html = self.get("/console").await.text().await.unwrap();
        let at = html.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
        html[at..].split('"').next().unwrap().to_owned()
    }
}

fn location(r: &reqwest::Response) -> &str {
    r.headers()[header::LOCATION].to_str().unwrap()
}

#[tokio::test]
async fn without_a_session_every_page_goes_to_sign_in() {
    let app = spawn_app().await;
    let agent = Agent::new(&app);
    for path in [
        "/console",
        "/console/deliveries",
        "/console/sims/sim_x",
        "/console/audit",
    ] {
        let r = agent.get(path).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&r), "/console/login");
    }
    let form = agent.get("/console/login").await;
    assert_eq!(form.status(), 200);
    let html = form.text().await.unwrap();
    assert!(html.contains("name=\"token\"") && html.contains("Sign in"));
}

#[tokio::test]
async fn signing_in_sets_a_strict_http_only_cookie_and_every_answer_has_the_headers() {
    let app = spawn_app().await;
    let mut agent = Agent::new(&app);

    let r = agent.sign_in(TOKEN).await;

    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/console");
    let cookie = r.headers()[header::SET_COOKIE].to_str().unwrap();
    for part in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/console",
        "Max-Age=43200",
    ] {
        assert!(cookie.contains(part), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "http base URL: {cookie}");
    let page = agent.get("/console").await;
    assert_eq!(page.status(), 200);
    let h = page.headers();
    let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(h[header::REFERRER_POLICY], "no-referrer");
    assert_eq!(h[header::CACHE_CONTROL], "no-store");
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM console_sessions")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored, 1);
    let value = agent
        .cookie
        .as_deref()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned();
    let plain: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM console_sessions WHERE id_hash = convert_to($1, 'UTF8') OR csrf = $1",
    )
    .bind(&value)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(plain, 0, "only a hash of the cookie is stored");
    let audit: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_log")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert_eq!(audit, ["signIn"]);
}

#[tokio::test]
async fn a_wrong_token_gets_401_and_the_eleventh_in_a_minute_gets_429() {
    let app = spawn_app().await;
    let mut agent = Agent::new(&app);
    for i in 0..10 {
        let r = agent.sign_in("not-a-token-at-all").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "try {i}");
        assert!(
            r.text().await.unwrap().contains("name=\"token\""),
            "the form again"
        );
    }
    let r = agent.sign_in("not-a-token-at-all").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let r = agent.sign_in(TOKEN).await;
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right one, meanwhile"
    );
    let failed: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'signInFailed'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(failed, 10);
}

#[tokio::test]
async fn a_support_agent_resends_from_the_sim_page_with_its_csrf_token_only() {
    let app = spawn_app().await;
    app.mock_gigs_ok().await;
    let id = app.deliver_event(ACTIVATED).await;
    assert_eq!(app.drive(&id).await["status"], "delivered");
    let mut agent = Agent::new(&app);
    agent.sign_in(NAMED_TOKEN).await;

    let found = agent.get("/console/search?q=Jerry%40Example.com").await;
    assert_eq!(
        found.status(),
        StatusCode::SEE_OTHER,
        "one match opens its SIM"
    );
    let sim_page = location(&found).to_owned();
    assert_eq!(sim_page, format!("/console/sims/{SIM}"));
    let html = agent.get(&sim_page).await.text().await.unwrap();
    assert!(html.contains(">Resend</button>"), "{html}");
    assert!(html.contains("jerry@example.com"));
    let resend = format!("{sim_page}/resend");

    let forged = agent.post(&resend, &[("delivery", &id)]).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let other = agent
        .post(&resend, &[("delivery", &id), ("csrf", "another-sessions")])
        .await;
    assert_eq!(other.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("deliveries").await, 1, "nothing was resent");

    let csrf = agent.csrf().await;
    let done = agent
        .post(&resend, &[("delivery", &id), ("csrf", &csrf)])
        .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&done), format!("{sim_page}?done=resent"));
    while app.worker.process_due().await.unwrap() > 0 {}
    assert_eq!(app.smtp.mails().len(), 2, "the resend was emailed");
    let audit = app.get("/audit?action=resend").await.text().await.unwrap();
    assert!(
        audit.contains("support-desk") && audit.contains(&id),
        "{audit}"
    );
}

#[tokio::test]
async fn a_viewer_sees_no_resend_button_and_addresses_masked() {
    let app = spawn_app().await;
    app.mock_gigs_ok().await;
    let id = app.deliver_event(ACTIVATED).await;
    app.drive(&id).await;
    let mut agent = Agent::new(&app);
    agent.sign_in(VIEWER_TOKEN).await;

    for path in [
        format!("/console/sims/{SIM}"),
        "/console/deliveries".to_owned(),
        "/console/search?q=sub_0SNlurA049MEWV2gSfSxi00xlPIi%20".to_owned(),
    ] {
        let r = agent.get(&path).await;
        let html = r.text().await.unwrap();
        assert!(!html.contains("jerry@"), "{path}: {html}");
        assert!(!html.contains(">Resend</button>"), "{path}");
    }
    let html = agent
        .get(&format!("/console/sims/{SIM}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("j***@example.com"));
    let csrf = agent.csrf().await;
    let tried = agent
        .post(
            &format!("/console/sims/{SIM}/resend"),
            &[("delivery", &id), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(tried.status(), StatusCode::FORBIDDEN, "the API's role rule");
    assert_eq!(
        agent.get("/console/audit").await.status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_subscriber_name_full_of_markup_is_shown_as_text() {
    let app = spawn_app().await;
    let hostile = "<img src=x onerror=alert(1)><script>alert(2)</script>";
    let body = event_with(ACTIVATED, "evt_xss", "sim_xss", |v| {
        v["data"]["user"]["fullName"] = hostile.into();
    });
    app.deliver_event(&body).await;
    let mut agent = Agent::new(&app);
    agent.sign_in(TOKEN).await;

    let html = agent
        .get("/console/sims/sim_xss")
        .await
        .text()
        .await
        .unwrap();

    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;"),
        "{html}"
    );
    assert!(!html.contains("<script>alert"));
    assert!(!html.contains("<img src=x"));
}

#[tokio::test]
async fn signing_out_ends_the_session_on_the_server() {
    let app = spawn_app().await;
    let mut agent = Agent::new(&app);
    agent.sign_in(TOKEN).await;
    let kept = agent.cookie.clone();
    let csrf = agent.csrf().await;

    let out = agent.post("/console/logout", &[("csrf", &csrf)]).await;

    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert!(
        out.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    // The old cookie, replayed, opens nothing.
    agent.cookie = kept;
    let r = agent.get("/console").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/console/login");
}

#[tokio::test]
async fn bulk_retry_from_the_deliveries_list_counts_and_retries_exactly_the_list_in_place() {
    let app = spawn_app().await;
    app.mock_gigs_user(USER_ID, USER).await;
    let mut failed = Vec::new();
    for i in 0..3 {
        let sim = format!("sim_list{i}");
        let missing =
            wiremock::ResponseTemplate::new(404).set_body_raw(NOT_FOUND, "application/json");
        app.mock_gigs_credentials(&sim, missing).await;
        let id = app
            .deliver_event(&event_with(
                ACTIVATED,
                &format!("evt_list{i}"),
                &sim,
                |_| {},
            ))
            .await;
        assert_eq!(app.drive(&id).await["status"], "failed");
        failed.push(id);
    }
    // One of them is a reminder: the list filtered by kind shows it alone.
    sqlx::query("UPDATE deliveries SET kind = 'reminder' WHERE id = $1")
        .bind(&failed[0])
        .execute(&app.pool)
        .await
        .unwrap();
    let mut agent = Agent::new(&app);
    agent.sign_in(TOKEN).await;

    let list = agent
        .get("/console/deliveries?status=failed&kind=reminder")
        .await
        .text()
        .await
        .unwrap()
        .replace("&#x2f;", "/")
        .replace("&amp;", "&");
    let at = list
        .find("/console/deliveries/retry?")
        .expect("a retry link");
    let link = list[at..].split('"').next().unwrap().to_owned();
    assert!(link.contains("kind=reminder"), "{link}");
    let confirm = agent
        .get(&link)
        .await
        .text()
        .await
        .unwrap()
        .replace("&#x2f;", "/");

    assert!(confirm.contains("<strong>1</strong>"), "{confirm}");
    assert!(confirm.contains("Retry 1 deliveries"));
    let csrf = agent.csrf().await;
    let field = |name: &str| {
        let at = confirm.find(&format!("name=\"{name}\" value=\"")).unwrap() + name.len() + 15;
        confirm[at..].split('"').next().unwrap().to_owned()
    };
    let (since, until) = (field("since"), field("until"));
    let done = agent
        .post(
            "/console/deliveries/retry",
            &[
                ("csrf", &csrf),
                ("status", "failed"),
                ("since", &since),
                ("until", &until),
                ("kind", "reminder"),
            ],
        )
        .await;
    assert_eq!(done.status(), 200);
    let resends: Vec<String> =
        sqlx::query_scalar("SELECT resend_of FROM deliveries WHERE kind = 'resend'")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        resends,
        [failed[0].clone()],
        "only the list in place was retried"
    );
}
