//! `POST /webhooks/bounces/{provider}`: each provider authenticated its own way.
use actix_web::{
    HttpRequest, HttpResponse,
    http::{
        StatusCode,
        header::{self, HeaderValue},
    },
    web,
};
use base64::{Engine, engine::general_purpose::STANDARD as B64};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use subtle::ConstantTimeEq;

use super::{
    error::{ErrorBody, error_response},
    webhooks::BodyTimeout,
};
use crate::{
    alerts::Alerts,
    bounces::{
        self, Applied, Notice,
        sns::{SnsError, SnsVerifier},
    },
    store,
    telemetry::Metrics,
    webhooks::WebhookVerifier,
};

/// The providers configured; a route for another answers 404.
pub struct BounceProviders {
    pub ses: Option<SnsVerifier>,
    pub postmark: Option<(String, SecretString)>,
    pub resend: Option<WebhookVerifier>,
    /// Whether a bounce queues an alert.
    pub alerts: Alerts,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BouncesReceived {
    pub received: bool,
    #[serde(flatten)]
    pub applied: Applied,
}

/// Why a bounce notification was refused.
#[derive(Debug, thiserror::Error)]
pub enum BounceError {
    #[error("no such bounce provider here")]
    NotConfigured,
    #[error("{0}")]
    Malformed(String),
    #[error("{0}")]
    Unauthenticated(String),
    #[error("HTTP Basic credentials required")]
    BasicRequired,
    #[error("{0}")]
    ForeignTopic(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal,
}

impl actix_web::ResponseError for BounceError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotConfigured => StatusCode::NOT_FOUND,
            Self::Malformed(_) => StatusCode::BAD_REQUEST,
            Self::Unauthenticated(_) | Self::BasicRequired => StatusCode::UNAUTHORIZED,
            Self::ForeignTopic(_) => StatusCode::FORBIDDEN,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let kind = match self {
            Self::NotConfigured => "notFound",
            Self::Malformed(_) => "invalidPayload",
            Self::Unauthenticated(_) | Self::BasicRequired => "unauthorized",
            Self::ForeignTopic(_) => "forbidden",
            Self::Unavailable(_) => "serviceUnavailable",
            Self::Internal => "internalError",
        };
        let mut response = error_response(self.status_code(), kind, &self.to_string());
        if matches!(self, Self::BasicRequired) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"bounces\""),
            );
        }
        response
    }
}

/// Takes a mail provider's bounce and complaint notifications.
#[utoipa::path(
    post, path = "/webhooks/bounces/{provider}", tag = "webhooks",
    params(("provider" = String, Path, description = "`ses` (through SNS), `postmark` or `resend`")),
    request_body(content = Object, description = "The provider's notification, as it sends it"),
    responses(
        (status = 200, description = "Recorded; counts of what matched", body = BouncesReceived),
        (status = 400, description = "Not a notification of this provider", body = ErrorBody),
        (status = 401, description = "Bad signature or credentials", body = ErrorBody),
        (status = 403, description = "SNS message of a topic not in BOUNCE_SNS_TOPIC_ARNS", body = ErrorBody),
        (status = 404, description = "Provider not configured", body = ErrorBody),
        (status = 503, description = "Database or certificate unavailable; retry later", body = ErrorBody),
    )
)]
pub async fn receive_bounces(
    req: HttpRequest,
    payload: web::Payload,
    path: web::Path<String>,
    providers: web::Data<BounceProviders>,
    body_timeout: web::Data<BodyTimeout>,
    pool: web::Data<PgPool>,
    metrics: web::Data<Metrics>,
) -> Result<HttpResponse, actix_web::Error> {
    let provider = path.into_inner();
    let configured = match provider.as_str() {
        "ses" => providers.ses.is_some(),
        "postmark" => providers.postmark.is_some(),
        "resend" => providers.resend.is_some(),
        _ => false,
    };
    if !configured {
        return Err(BounceError::NotConfigured.into());
    }
    let body = body_timeout.read(&req, payload).await?;
    let notices = match provider.as_str() {
        "ses" => ses(providers.ses.as_ref().expect("configured"), &body).await,
        "postmark" => postmark(
            &req,
            providers.postmark.as_ref().expect("configured"),
            &body,
        ),
        _ => resend(&req, providers.resend.as_ref().expect("configured"), &body),
    }
    .inspect_err(|e| tracing::warn!(error = %e, provider, "bounce notification refused"))?;
    let applied = bounces::apply(&pool, &metrics, providers.alerts, notices)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, provider, "recording a bounce failed");
            match e.fault() {
                store::Fault::Other => BounceError::Internal,
                store::Fault::InvalidInput => BounceError::Malformed(
                    "the notification holds text that cannot be stored".into(),
                ),
                store::Fault::Unavailable | store::Fault::Conflict => {
                    BounceError::Unavailable("the bounce could not be recorded; retry later".into())
                }
            }
        })?;
    Ok(HttpResponse::Ok().json(BouncesReceived {
        received: true,
        applied,
    }))
}

impl From<SnsError> for BounceError {
    fn from(e: SnsError) -> Self {
        let shown = e.to_string();
        match e {
            SnsError::Malformed(_) => Self::Malformed(shown),
            SnsError::ForeignTopic => Self::ForeignTopic(shown),
            SnsError::CertUrl | SnsError::BadSignature => Self::Unauthenticated(shown),
            SnsError::CertFetch => Self::Unavailable(shown),
        }
    }
}

async fn ses(verifier: &SnsVerifier, body: &[u8]) -> Result<Vec<Notice>, BounceError> {
    let message = verifier.verify(body).await?;
    match message.kind.as_str() {
        "SubscriptionConfirmation" => {
            verifier.confirm(&message).await?;
            tracing::info!(topic = message.topic_arn, "SNS subscription confirmed");
            Ok(Vec::new())
        }
        "Notification" => bounces::parse_ses(&message.message).map_err(BounceError::Malformed),
        _ => Ok(Vec::new()),
    }
}

fn postmark(
    req: &HttpRequest,
    credentials: &(String, SecretString),
    body: &[u8],
) -> Result<Vec<Notice>, BounceError> {
    let expected = format!("{}:{}", credentials.0, credentials.1.expose_secret());
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b64| B64.decode(b64.trim()).ok())
        .unwrap_or_default();
    // Digests have one length, so the comparison tells nothing about the password's.
    let same: bool = Sha256::digest(&presented)
        .ct_eq(&Sha256::digest(expected.as_bytes()))
        .into();
    if !same {
        return Err(BounceError::BasicRequired);
    }
    bounces::parse_postmark(body).map_err(BounceError::Malformed)
}

fn resend(
    req: &HttpRequest,
    verifier: &WebhookVerifier,
    body: &[u8],
) -> Result<Vec<Notice>, BounceError> {
    let headers = req.headers();
    let get = |name: &str| std::str::from_utf8(headers.get(name)?.as_bytes()).ok();
    if let Err(e) = verifier.verify(get, body, chrono::Utc::now().timestamp()) {
        return Err(if e.is_authentication_failure() {
            BounceError::Unauthenticated(e.to_string())
        } else {
            BounceError::Malformed(e.to_string())
        });
    }
    bounces::parse_resend(body).map_err(BounceError::Malformed)
}
