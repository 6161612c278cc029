//! The activation code and install URLs reach the email and nothing else.
use crate::helpers::*;

const SECRETS: [&str; 4] = [
    "2M-3L0MX-F8HE2",
    "LPA:1$smdp.gigs.com$2M-3L0MX-F8HE2",
    "esimsetup.apple.com",
    "esimsetup.android.com",
];

#[tokio::test]
async fn no_credential_reaches_the_database_the_logs_or_the_api() {
    let app = spawn_app().await;
    app.mock_gigs_ok().await;
    let delivered = app.deliver_event(ACTIVATED).await;
    app.drive(&delivered).await;
    let resent = app.post(&format!("/deliveries/{delivered}/resend")).await;
    assert_eq!(resent.status(), 202);
    let resent: serde_json::Value = resent.json().await.unwrap();
    let resent_id = resent["id"].as_str().unwrap();
    app.drive(resent_id).await;
    assert_eq!(
        app.smtp.mails().len(),
        2,
        "the emails did carry the credentials"
    );
    let mail = String::from_utf8_lossy(&app.smtp.mails()[0].data).into_owned();
    assert!(
        mail.contains("2M-3L0MX-F8HE2"),
        "the check below can see a credential"
    );

    let dump = app.rows_as_text(&[]).await;
    let logs = crate::logs::captured();
    let api = format!(
        "{}{}{}",
        app.get(&format!("/deliveries/{delivered}"))
            .await
            .text()
            .await
            .unwrap(),
        app.get(&format!("/deliveries/{resent_id}"))
            .await
            .text()
            .await
            .unwrap(),
        app.get("/deliveries?limit=200").await.text().await.unwrap(),
    );

    assert!(dump.contains(&delivered), "the dump covers the deliveries");
    assert!(logs.contains(&delivered), "the logs cover the deliveries");
    for secret in SECRETS {
        assert!(!dump.contains(secret), "{secret} is in the database");
        assert!(!logs.contains(secret), "{secret} is in the logs");
        assert!(!api.contains(secret), "{secret} is in an API answer");
    }
}
