//! Reading request bodies that a stranger may stall: a deadline for the whole body, a size
//! cap per route, and big bodies read a few at a time in lanes of their own, so a flood of
//! stalled bodies on one route cannot keep a signed Gigs webhook waiting.
use std::{sync::Arc, time::Duration};

use actix_web::{HttpRequest, web};
use futures_util::StreamExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::webhooks::WebhookError;

/// A Gigs webhook: at most 1 MiB.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// A mail provider's bounce notification: SNS messages are at most 256 KiB, Postmark's and
/// Resend's far less.
pub const MAX_BOUNCE_BYTES: usize = 320 * 1024;
/// Bodies up to this are read without a slot: a real Gigs event is a few KiB, so signed
/// webhooks never queue behind strangers' big bodies. What this costs is bounded by
/// `HTTP_MAX_CONNECTIONS` (64 KiB a connection).
const SMALL_BODY: usize = 64 * 1024;
/// Bigger bodies read at once per lane: with 1 MiB each, the bound on what stalled big
/// bodies can make the process hold (64 MiB for webhooks, 16 × 320 KiB for the rest). One
/// that finds them all taken is answered 503 within a second rather than kept waiting.
const WEBHOOK_SLOTS: usize = 64;
const OTHER_SLOTS: usize = 16;
/// Bodies grow as their bytes arrive: a declared length reserves no more than this.
const INITIAL_BUFFER: usize = 16 * 1024;

/// Whose slots a big body waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// `POST /webhooks/gigs`.
    Webhooks,
    /// The bounce routes.
    Bounces,
}

impl Lane {
    fn max(self) -> usize {
        match self {
            Self::Webhooks => MAX_BODY_BYTES,
            Self::Bounces => MAX_BOUNCE_BYTES,
        }
    }
}

/// The whole body must arrive within this (`REQUEST_BODY_TIMEOUT_SECS`); a client that
/// stalls is cut off (408).
#[derive(Debug, Clone)]
pub struct BodyTimeout {
    timeout: Duration,
    webhooks: Arc<Semaphore>,
    others: Arc<Semaphore>,
}

impl BodyTimeout {
    pub fn new(timeout: Duration) -> Self {
        Self {
            timeout,
            webhooks: Arc::new(Semaphore::new(WEBHOOK_SLOTS)),
            others: Arc::new(Semaphore::new(OTHER_SLOTS)),
        }
    }

    pub(super) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The whole body within the deadline; past `SMALL_BODY`, only while holding a slot
    /// of the route's lane.
    pub(super) async fn read(
        &self,
        req: &HttpRequest,
        payload: web::Payload,
        lane: Lane,
    ) -> Result<Vec<u8>, WebhookError> {
        let slots = match lane {
            Lane::Webhooks => &self.webhooks,
            Lane::Bounces => &self.others,
        };
        tokio::time::timeout(self.timeout, read_body(req, payload, lane.max(), slots))
            .await
            .map_err(|_| WebhookError::Timeout)?
    }
}

/// Reads a body up to `max`, growing the buffer as bytes arrive.
async fn read_body(
    req: &HttpRequest,
    mut payload: web::Payload,
    max: usize,
    slots: &Arc<Semaphore>,
) -> Result<Vec<u8>, WebhookError> {
    let too_large = || WebhookError::TooLarge(max / 1024);
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > max) {
        return Err(too_large());
    }
    let mut slot: Option<OwnedSemaphorePermit> = None;
    // A body that says it is big waits for its slot before reading anything.
    if declared.is_some_and(|n| n > SMALL_BODY) {
        slot = Some(acquire(slots).await?);
    }
    let mut body = Vec::with_capacity(declared.unwrap_or(4096).min(INITIAL_BUFFER));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| WebhookError::BodyRead)?;
        if body.len() + chunk.len() > max {
            return Err(too_large());
        }
        if slot.is_none() && body.len() + chunk.len() > SMALL_BODY {
            slot = Some(acquire(slots).await?);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A big body waits this long for a slot, then is told to come back (503): the connection
/// it would hold is freed for others, and a sender with a real big body retries.
const SLOT_WAIT: Duration = Duration::from_secs(1);

async fn acquire(slots: &Arc<Semaphore>) -> Result<OwnedSemaphorePermit, WebhookError> {
    match tokio::time::timeout(SLOT_WAIT, slots.clone().acquire_owned()).await {
        Ok(Ok(permit)) => Ok(permit),
        Ok(Err(_)) => Err(WebhookError::BodyRead),
        Err(_) => Err(WebhookError::Busy),
    }
}
