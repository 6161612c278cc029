//! The fake Gigs API: wiremock answers as the documentation fixtures do.
use wiremock::{
    Mock, ResponseTemplate,
    matchers::{header, method, path},
};

use super::{CREDENTIALS, GIGS_KEY, PROJECT, SIM, TestApp, USER, USER_ID};

impl TestApp {
    /// Gigs answers the user and the credentials from the documentation fixtures.
    pub async fn mock_gigs_ok(&self) {
        self.mock_gigs_user(USER_ID, USER).await;
        self.mock_gigs_credentials(
            SIM,
            ResponseTemplate::new(200).set_body_raw(CREDENTIALS, "application/json"),
        )
        .await;
    }

    pub async fn mock_gigs_user(&self, user: &str, body: &str) {
        Mock::given(method("GET"))
            .and(path(format!("/projects/{PROJECT}/users/{user}")))
            .and(header(
                "authorization",
                format!("Bearer {GIGS_KEY}").as_str(),
            ))
            .respond_with(
                ResponseTemplate::new(200).set_body_raw(body.to_owned(), "application/json"),
            )
            .mount(&self.gigs)
            .await;
    }

    pub async fn mock_gigs_credentials(&self, sim: &str, response: ResponseTemplate) {
        Mock::given(method("GET"))
            .and(path(format!("/projects/{PROJECT}/sims/{sim}/credentials")))
            .and(header(
                "authorization",
                format!("Bearer {GIGS_KEY}").as_str(),
            ))
            .respond_with(response)
            .mount(&self.gigs)
            .await;
    }
}
