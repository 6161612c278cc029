//! One SIM's whole story through the real app: emailed, opened on an iPhone, installed;
//! and a resend to a changed address, with its notice to the old one.
use mail_parser::MessageParser;
use reqwest::{Method, redirect::Policy};
use serde_json::Value;

use crate::helpers::*;

const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

/// The install link the last email leads with.
fn install_link(app: &TestApp) -> String {
    let mails = app.smtp.mails();
    let msg = MessageParser::default()
        .parse(&mails.last().unwrap().data)
        .unwrap();
    let text = msg.body_text(0).unwrap().into_owned();
    let prefix = format!("{}/install/", app.address);
    let start = text.find(&prefix).expect("an install link");
    let token: String = text[start + prefix.len()..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    format!("{prefix}{token}")
}

fn kinds(timeline: &Value) -> Vec<String> {
    timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_emailed_opened_and_installed_sim_reads_in_order_with_the_verdict_installed() {
    let app = spawn_app_with(Options {
        install_links: true,
        ..Options::default()
    })
    .await;
    app.mock_gigs_ok().await;
    let id = app.deliver_event(ACTIVATED).await;
    assert_eq!(app.drive(&id).await["status"], "delivered");
    let phone = esim_courier::tls::client_builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let opened = phone
        .get(install_link(&app))
        .header("user-agent", IPHONE)
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status(), 302);
    let installed = app.post_webhook("msg_installed", INSTALLED).await;
    assert_eq!(installed.status(), 200);

    let timeline: Value = app
        .get(&format!("/sims/{SIM}/timeline"))
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(
        kinds(&timeline),
        ["event", "queued", "sent", "linkOpened", "installed"],
        "{timeline}"
    );
    let items = timeline["items"].as_array().unwrap();
    let sent = &items[2];
    assert_eq!(sent["source"], "relay");
    let message_id = app.delivery(&id).await["messageId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(sent["text"].as_str().unwrap().contains(&message_id));
    assert!(items[3]["text"].as_str().unwrap().contains("iPhone"));
    assert_eq!(items[3]["source"], "subscriber");
    assert_eq!(timeline["verdict"]["state"], "installed");
    assert_eq!(timeline["verdict"]["action"], "none");
    assert_eq!(timeline["subscription"], SUB);
    assert_eq!(timeline["user"], USER_ID);
    let ats: Vec<&str> = items.iter().map(|i| i["at"].as_str().unwrap()).collect();
    assert!(
        ats.windows(2).all(|w| w[0] <= w[1]),
        "oldest first: {ats:?}"
    );
}

#[tokio::test]
async fn a_resend_to_a_changed_address_sends_the_credentials_there_and_a_notice_to_the_old_one() {
    let app = spawn_app().await;
    app.mock_gigs_ok().await;
    let first = app.deliver_event(ACTIVATED).await;
    assert_eq!(app.drive(&first).await["status"], "delivered");
    // The user's email changes in Gigs (as an eSIM-swap fraud would make it).
    app.gigs.reset().await;
    let mut moved: Value = serde_json::from_str(USER).unwrap();
    moved["email"] = "new-owner@example.net".into();
    app.mock_gigs_user(USER_ID, &moved.to_string()).await;
    app.mock_gigs_credentials(
        SIM,
        wiremock::ResponseTemplate::new(200).set_body_raw(CREDENTIALS, "application/json"),
    )
    .await;
    app.smtp.clear();

    let resend = format!("/deliveries/{first}/resend");
    let resent: Value = app
        .call_as(NAMED_TOKEN, Method::POST, &resend, None)
        .await
        .json()
        .await
        .unwrap();
    let resent_id = resent["id"].as_str().unwrap().to_owned();
    while app.worker.process_due().await.unwrap() > 0 {}

    let mails = app.smtp.mails();
    assert_eq!(mails.len(), 2, "the resend and its notice");
    let to_new = mails
        .iter()
        .find(|m| {
            m.rcpt_to
                .iter()
                .any(|r| r.contains("new-owner@example.net"))
        })
        .expect("the credentials went to the new address");
    assert!(String::from_utf8_lossy(&to_new.data).contains(ACTIVATION_CODE));
    let to_old = mails
        .iter()
        .find(|m| m.rcpt_to.iter().any(|r| r.contains("jerry@example.com")))
        .expect("a notice went to the old address");
    let notice = MessageParser::default().parse(&to_old.data).unwrap();
    let raw = String::from_utf8_lossy(&to_old.data);
    assert!(!raw.contains("LPA:1"), "no activation code in the notice");
    assert!(!raw.contains("2M-3L0MX-F8HE2"));
    assert!(!raw.contains("/install/"), "no install link");
    assert!(!raw.contains("esimsetup"), "no one-tap link");
    assert_eq!(notice.attachments().count(), 0, "no QR code");
    let list: Value = app
        .get(&format!("/deliveries?sim={SIM}"))
        .await
        .json()
        .await
        .unwrap();
    let notice_row = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "notice")
        .expect("a notice delivery");
    assert_eq!(notice_row["noticeOf"], resent_id.as_str());
    assert_eq!(notice_row["status"], "delivered");
    assert_eq!(notice_row["recipient"], "jerry@example.com");
    assert_eq!(
        app.delivery(&resent_id).await["recipient"],
        "new-owner@example.net"
    );
}

#[tokio::test]
async fn a_resend_to_the_same_address_sends_no_notice() {
    let app = spawn_app().await;
    app.mock_gigs_ok().await;
    let first = app.deliver_event(ACTIVATED).await;
    assert_eq!(app.drive(&first).await["status"], "delivered");
    app.smtp.clear();

    let resend = format!("/deliveries/{first}/resend");
    let response = app.call_as(NAMED_TOKEN, Method::POST, &resend, None).await;
    assert_eq!(response.status(), 202);
    while app.worker.process_due().await.unwrap() > 0 {}

    assert_eq!(app.smtp.mails().len(), 1);
    let notices: i64 = sqlx::query_scalar("SELECT count(*) FROM deliveries WHERE kind = 'notice'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(notices, 0);
}
