//! HTTP calls to the Gigs API with timeouts, bearer auth and error classification.
use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use reqwest::{StatusCode, header};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, de::DeserializeOwned};
use url::Url;

use super::{GigsError, ListPage, SimCredentials, Subscription, User};
use crate::{
    config::GigsSettings,
    domain::{ProjectId, SimId, SubscriptionId, UserId},
    telemetry::{CallOutcome, Metrics},
};

#[derive(Clone)]
pub struct GigsClient {
    http: reqwest::Client,
    base: Url,
    project: ProjectId,
    api_key: SecretString,
    metrics: Arc<Metrics>,
}

/// Gigs' error body; only `type` and `code` are kept, as they carry no user data.
#[derive(Deserialize)]
struct ApiErrorBody {
    #[serde(rename = "type")]
    kind: Option<String>,
    code: Option<String>,
}

impl GigsClient {
    pub fn new(settings: &GigsSettings, metrics: Arc<Metrics>) -> anyhow::Result<Self> {
        let http = crate::tls::client_builder()
            .timeout(settings.timeout)
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("esim-courier/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let mut base = settings.api_url.clone();
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        Ok(Self {
            http,
            base,
            project: settings.project.clone(),
            api_key: settings.api_key.clone(),
            metrics,
        })
    }

    pub fn project(&self) -> &ProjectId {
        &self.project
    }

    pub async fn user(&self, user: &UserId) -> Result<User, GigsError> {
        self.get("user", &format!("users/{user}")).await
    }

    pub async fn subscription(&self, sub: &SubscriptionId) -> Result<Subscription, GigsError> {
        self.get("subscription", &format!("subscriptions/{sub}"))
            .await
    }

    /// One page of the project's subscriptions, after the cursor `after`.
    pub async fn subscriptions_page(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<ListPage, GigsError> {
        let mut path = format!("subscriptions?limit={limit}");
        if let Some(after) = after {
            path.push_str("&after=");
            path.extend(url::form_urlencoded::byte_serialize(after.as_bytes()));
        }
        self.get("subscriptions", &path).await
    }

    pub async fn sim_credentials(&self, sim: &SimId) -> Result<SimCredentials, GigsError> {
        self.get("credentials", &format!("sims/{sim}/credentials"))
            .await
    }

    async fn get<T: DeserializeOwned>(
        &self,
        what: &'static str,
        path: &str,
    ) -> Result<T, GigsError> {
        // Ids were validated as URL-safe, so joining cannot escape the project.
        let url = self
            .base
            .join(&format!("projects/{}/{path}", self.project))
            .map_err(|e| transient(what, e.to_string(), None))?;
        let started = Instant::now();
        let response = self
            .http
            .get(url)
            .bearer_auth(self.api_key.expose_secret())
            .header(header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| {
                let outcome = if e.is_timeout() {
                    CallOutcome::Timeout
                } else {
                    CallOutcome::NetworkError
                };
                self.metrics.gigs_call(what, outcome, started.elapsed());
                transient(what, describe(&e), None)
            })?;
        let status = response.status();
        self.metrics.gigs_call(
            what,
            CallOutcome::Status(status.as_u16()),
            started.elapsed(),
        );
        tracing::debug!(
            what,
            status = status.as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "gigs call"
        );
        if status.is_success() {
            // A body that does not parse says nothing about the next try; retry it.
            return response
                .json::<T>()
                .await
                .map_err(|_| transient(what, "the response did not parse".into(), None));
        }
        let retry_after = retry_after(response.headers());
        if is_transient(status) {
            return Err(transient(
                what,
                format!("HTTP {}", status.as_u16()),
                retry_after,
            ));
        }
        let body: Option<ApiErrorBody> = response.json().await.ok();
        let detail = body
            .map(|b| {
                let parts: Vec<String> = [b.kind, b.code].into_iter().flatten().collect();
                if parts.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", parts.join("/"))
                }
            })
            .unwrap_or_default();
        Err(GigsError::Permanent {
            what,
            status: status.as_u16(),
            detail,
        })
    }
}

fn transient(what: &'static str, cause: String, retry_after: Option<Duration>) -> GigsError {
    GigsError::Transient {
        what,
        cause,
        retry_after,
    }
}

fn is_transient(status: StatusCode) -> bool {
    status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
        || status.is_server_error()
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "no answer in time".into()
    } else if e.is_connect() {
        "cannot connect".into()
    } else {
        "network error".into()
    }
}

/// `Retry-After` as seconds or an HTTP date.
fn retry_after(headers: &header::HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut h = header::HeaderMap::new();
        h.insert(header::RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            header::RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        h.insert(header::RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn only_timeouts_throttling_and_server_errors_are_transient() {
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(is_transient(StatusCode::from_u16(s).unwrap()), "{s}");
        }
        for s in [400, 401, 403, 404, 409, 422] {
            assert!(!is_transient(StatusCode::from_u16(s).unwrap()), "{s}");
        }
    }
}
