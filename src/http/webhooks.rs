//! `POST /webhooks/gigs`: size limit, signature, parse, record, answer.
use actix_web::{HttpRequest, HttpResponse, ResponseError, http::StatusCode, web};
use serde::Serialize;

use super::{
    body::{BodyTimeout, Lane},
    error::{ApiError, ErrorBody, error_response},
    routing::only,
};
use crate::{
    domain::DeliveryId,
    store::Fault,
    telemetry::{Metrics, WebhookOutcome},
    webhooks::{
        GigsEvent, IngestError, IngestKind, IngestOutcome, Ingestor, InvalidEvent, VerifyError,
        WebhookVerifier,
    },
};

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(only(
        "POST",
        web::post().to(receive_webhook),
        "/webhooks/gigs",
    ));
}

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("the body is larger than {0} KiB")]
    TooLarge(usize),
    #[error("the request body could not be read")]
    BodyRead,
    #[error("the request body did not arrive in time")]
    Timeout,
    #[error("too many large bodies are being read; retry later")]
    Busy,
    #[error(transparent)]
    Verify(#[from] VerifyError),
    #[error(transparent)]
    Payload(#[from] InvalidEvent),
    #[error("the event could not be recorded; retry later")]
    Unavailable(#[source] IngestError),
    #[error("the event holds data that cannot be stored")]
    NotStorable(#[source] IngestError),
    #[error("internal error")]
    Internal(#[source] IngestError),
}

impl WebhookError {
    /// The `reason` label of a rejected webhook in the metrics.
    fn reason(&self) -> &'static str {
        match self {
            Self::TooLarge(_) => "too_large",
            Self::BodyRead => "body_unreadable",
            Self::Timeout => "body_timeout",
            Self::Busy => "busy",
            Self::Verify(VerifyError::MissingHeader(_)) => "missing_header",
            Self::Verify(VerifyError::InvalidTimestamp) => "invalid_timestamp",
            Self::Verify(VerifyError::TimestampOutOfTolerance) => "stale_timestamp",
            Self::Verify(VerifyError::NoMatchingSignature) => "invalid_signature",
            Self::Payload(_) | Self::NotStorable(_) => "invalid_payload",
            Self::Unavailable(_) => "database_unavailable",
            Self::Internal(_) => "internal_error",
        }
    }
}

impl ResponseError for WebhookError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BodyRead | Self::Payload(_) | Self::NotStorable(_) => StatusCode::BAD_REQUEST,
            Self::Timeout => StatusCode::REQUEST_TIMEOUT,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Verify(e) if e.is_authentication_failure() => StatusCode::UNAUTHORIZED,
            Self::Verify(_) => StatusCode::BAD_REQUEST,
            Self::Unavailable(_) | Self::Busy => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let kind = match self {
            // The same answer as every other route's stalled body, connection closed.
            Self::Timeout => return ApiError::BodyTimeout.error_response(),
            Self::TooLarge(_) => "payloadTooLarge",
            Self::BodyRead => "invalidRequest",
            Self::NotStorable(_) => "invalidPayload",
            Self::Internal(_) => "internalError",
            Self::Verify(e) if e.is_authentication_failure() => "invalidSignature",
            Self::Verify(_) => "invalidHeaders",
            Self::Payload(_) => "invalidPayload",
            Self::Unavailable(_) | Self::Busy => "serviceUnavailable",
        };
        let mut response = error_response(self.status_code(), kind, &self.to_string());
        if matches!(self, Self::Busy | Self::TooLarge(_)) {
            // The body was not read: nothing more on this connection is worth reading.
            response
                .head_mut()
                .set_connection_type(actix_web::http::ConnectionType::Close);
        }
        if matches!(self, Self::Busy) {
            response.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                actix_web::http::header::HeaderValue::from_static("5"),
            );
        }
        response
    }
}

/// The answer to an accepted webhook.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookReceived {
    pub received: bool,
    /// True when this webhook or event was seen before; nothing changed.
    pub duplicate: bool,
    /// The delivery this event created or belongs to; null when it is not acted on.
    #[schema(value_type = Option<String>)]
    pub delivery: Option<DeliveryId>,
}

/// Receives a Gigs event, signed with Standard Webhooks (Svix) headers.
#[utoipa::path(
    post, path = "/webhooks/gigs", tag = "webhooks",
    params(
        ("webhook-id" = String, Header, description = "Message id (or `svix-id`)"),
        ("webhook-timestamp" = String, Header, description = "Unix seconds (or `svix-timestamp`)"),
        ("webhook-signature" = String, Header,
            description = "Space-separated `v1,<base64>` entries (or `svix-signature`)"),
    ),
    request_body(content = GigsEvent, description = "The event, as Gigs sends it"),
    responses(
        (status = 200, description = "Recorded (or seen before)", body = WebhookReceived),
        (status = 400, description = "Missing or malformed headers, or not a JSON event", body = ErrorBody),
        (status = 401, description = "Bad signature, or timestamp outside the window", body = ErrorBody),
        (status = 408, description = "The body did not arrive within REQUEST_BODY_TIMEOUT_SECS", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 500, description = "Internal error", body = ErrorBody),
        (status = 503, description = "Database unavailable; retry later", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(webhook.id, event.id, event.type, outcome))]
pub async fn receive_webhook(
    req: HttpRequest,
    payload: web::Payload,
    verifier: web::Data<WebhookVerifier>,
    ingestor: web::Data<Ingestor>,
    metrics: web::Data<Metrics>,
    body_timeout: web::Data<BodyTimeout>,
) -> Result<HttpResponse, WebhookError> {
    let span = tracing::Span::current();
    let result = handle(&req, payload, &verifier, &ingestor, &body_timeout).await;
    let outcome = match &result {
        Ok(done) if done.kind == IngestKind::Accepted => WebhookOutcome::Accepted,
        Ok(done) if done.kind == IngestKind::Duplicate => WebhookOutcome::Duplicate,
        Ok(_) => WebhookOutcome::Ignored,
        Err(e) => {
            tracing::warn!(error = %e, "webhook refused");
            WebhookOutcome::Rejected(e.reason())
        }
    };
    span.record("outcome", format!("{outcome:?}").to_lowercase());
    metrics.webhook(outcome);
    let done = result?;
    if let Some(status) = done.created {
        metrics.delivery_status(status.as_str());
    }
    Ok(HttpResponse::Ok().json(WebhookReceived {
        received: true,
        duplicate: done.kind == IngestKind::Duplicate,
        delivery: done.delivery,
    }))
}

async fn handle(
    req: &HttpRequest,
    payload: web::Payload,
    verifier: &WebhookVerifier,
    ingestor: &Ingestor,
    body_timeout: &BodyTimeout,
) -> Result<IngestOutcome, WebhookError> {
    let headers = req.headers();
    // UTF-8, not only visible ASCII: a sender's odd id is then refused by the signature,
    // not reported as a missing header.
    let get = |name: &str| std::str::from_utf8(headers.get(name)?.as_bytes()).ok();
    verifier.precheck(get, chrono::Utc::now().timestamp())?;
    let body = body_timeout.read(req, payload, Lane::Webhooks).await?;
    let now = chrono::Utc::now().timestamp();
    let webhook_id = verifier.verify(get, &body, now)?;
    let span = tracing::Span::current();
    span.record("webhook.id", webhook_id);
    let event = GigsEvent::parse(&body)?;
    span.record("event.id", event.id.as_str());
    span.record("event.type", event.event_type.as_str());
    // serde_json accepted the bytes, so they are UTF-8.
    let raw = std::str::from_utf8(&body).map_err(|_| InvalidEvent::NotJson("not UTF-8".into()))?;
    ingestor
        .submit(webhook_id, &event, raw)
        .await
        .map_err(WebhookError::from)
}

impl From<IngestError> for WebhookError {
    fn from(e: IngestError) -> Self {
        match e.fault() {
            // A lost race (after its retries) or a stopping process: the sender comes back.
            Fault::Unavailable | Fault::Conflict => Self::Unavailable(e),
            Fault::InvalidInput => Self::NotStorable(e),
            Fault::Other => {
                tracing::error!(error = %e, "recording the webhook failed");
                Self::Internal(e)
            }
        }
    }
}
