//! `POST /webhooks/bounces/{provider}`: each provider authenticated its own way.
use super::routing::only;
use actix_web::{
    HttpRequest, HttpResponse,
    http::{
        StatusCode,
        header::{self, HeaderValue},
    },
    web,
};
use serde::Serialize;
use sqlx::PgPool;

use super::{
    body::{BodyTimeout, Lane},
    error::{ErrorBody, error_response},
    webhooks::WebhookError,
};
use crate::{
    bounces::{self, Applied, BounceError, BounceProviders},
    store::Fault,
    telemetry::Metrics,
};

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    let route = web::post().to(receive_bounces);
    cfg.service(only("POST", route, "/webhooks/bounces/{provider}"));
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BouncesReceived {
    pub received: bool,
    #[serde(flatten)]
    pub applied: Applied,
}

/// How a bounce route answers: the provider's refusal, or a store failure.
#[derive(Debug, thiserror::Error)]
pub enum BounceRouteError {
    #[error(transparent)]
    Refused(#[from] BounceError),
    /// The body was too large, stalled or unreadable: answered as on every route.
    #[error(transparent)]
    Body(WebhookError),
    #[error("internal error")]
    Internal,
}

impl actix_web::ResponseError for BounceRouteError {
    fn status_code(&self) -> StatusCode {
        let e = match self {
            Self::Refused(e) => e,
            Self::Body(e) => return e.status_code(),
            Self::Internal => return StatusCode::INTERNAL_SERVER_ERROR,
        };
        match e {
            BounceError::NotConfigured => StatusCode::NOT_FOUND,
            BounceError::Malformed(_) => StatusCode::BAD_REQUEST,
            BounceError::Unauthenticated(_) | BounceError::BasicRequired => {
                StatusCode::UNAUTHORIZED
            }
            BounceError::ForeignTopic(_) => StatusCode::FORBIDDEN,
            BounceError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let kind = match self {
            Self::Body(e) => return e.error_response(),
            Self::Internal => "internalError",
            Self::Refused(e) => match e {
                BounceError::NotConfigured => "notFound",
                BounceError::Malformed(_) => "invalidPayload",
                BounceError::Unauthenticated(_) | BounceError::BasicRequired => "unauthorized",
                BounceError::ForeignTopic(_) => "forbidden",
                BounceError::Unavailable(_) => "serviceUnavailable",
            },
        };
        let mut response = error_response(self.status_code(), kind, &self.to_string());
        if matches!(self, Self::Refused(BounceError::BasicRequired)) {
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
) -> Result<HttpResponse, BounceRouteError> {
    let name = path.into_inner();
    let provider = providers.get(&name)?;
    let headers = req.headers();
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let now = chrono::Utc::now().timestamp();
    let refused = |e: BounceError| {
        tracing::warn!(error = %e, provider = name, "bounce notification refused");
        BounceRouteError::Refused(e)
    };
    provider.precheck(header, now).map_err(refused)?;
    let body = body_timeout
        .read(&req, payload, Lane::Bounces)
        .await
        .map_err(BounceRouteError::Body)?;
    let notices = provider
        .authenticate_and_parse(header, &body, now)
        .await
        .map_err(refused)?;
    let applied = bounces::apply(&pool, &metrics, providers.alerts, notices)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, provider = name, "recording a bounce failed");
            match e.fault() {
                Fault::Other => BounceRouteError::Internal,
                Fault::InvalidInput => BounceRouteError::Refused(BounceError::Malformed(
                    "the notification holds text that cannot be stored".into(),
                )),
                Fault::Unavailable | Fault::Conflict => {
                    BounceRouteError::Refused(BounceError::Unavailable(
                        "the bounce could not be recorded; retry later".into(),
                    ))
                }
            }
        })?;
    Ok(HttpResponse::Ok().json(BouncesReceived {
        received: true,
        applied,
    }))
}
