//! The body deadline for routes whose bodies actix's extractors read (`web::Json`).
use std::io;

use actix_web::{
    Error, HttpMessage,
    body::MessageBody,
    dev::{Payload, ServiceRequest, ServiceResponse},
    error::PayloadError,
    middleware::Next,
    web,
};
use futures_util::StreamExt;

use super::body::BodyTimeout;

/// The body's bytes, until `REQUEST_BODY_TIMEOUT_SECS` after the request began; then a
/// `TimedOut` error, which the JSON error handler answers `408`. Without it a client with
/// a token could hold a connection open forever by stalling a body. The webhook routes
/// read theirs through `BodyTimeout` instead, whose deadline also covers the wait for one
/// of the 64 read slots, when no stream is being polled.
pub(super) async fn body_deadline(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if let Some(timeout) = req
        .app_data::<web::Data<BodyTimeout>>()
        .map(|b| b.timeout())
    {
        let deadline = tokio::time::Instant::now() + timeout;
        let payload = req.take_payload();
        let bounded = futures_util::stream::unfold(Some(payload), move |payload| async move {
            let mut payload = payload?;
            match tokio::time::timeout_at(deadline, payload.next()).await {
                Ok(Some(chunk)) => Some((chunk, Some(payload))),
                Ok(None) => None,
                // The error ends the stream: nothing is read after it.
                Err(_) => Some((Err(timed_out()), None)),
            }
        });
        req.set_payload(Payload::from(bounded.boxed_local()));
    }
    next.call(req).await
}

fn timed_out() -> PayloadError {
    PayloadError::Io(io::Error::new(
        io::ErrorKind::TimedOut,
        "the request body did not arrive in time",
    ))
}

/// Whether a payload error is this deadline's.
pub(super) fn is_timeout(e: &PayloadError) -> bool {
    matches!(e, PayloadError::Io(io) if io.kind() == io::ErrorKind::TimedOut)
}
