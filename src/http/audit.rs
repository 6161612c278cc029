//! `GET /audit`: who did what, newest first, for admins.
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use super::{
    ApiError, StatusAuth,
    error::ErrorBody,
    params::{no_control, page_size},
    routing::readable,
};
use crate::{
    domain::{AuditAction, AuditId, Permission, Role},
    store::audit::{self, AuditEntry, AuditFilter},
};

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(readable("/audit", list_audit));
}

/// An audit entry; addresses in it are masked when written.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditEntryView {
    /// Always `auditEntry`.
    pub object: &'static str,
    #[schema(value_type = String)]
    pub id: AuditId,
    pub at: DateTime<Utc>,
    /// The token's name; null for an unnamed token or a failed sign-in.
    pub actor: Option<String>,
    pub role: Option<Role>,
    pub action: AuditAction,
    /// A `dlv_…`, a `usr_…`, a masked address, or null.
    pub target: Option<String>,
    pub detail: String,
}

impl From<AuditEntry> for AuditEntryView {
    fn from(e: AuditEntry) -> Self {
        Self {
            object: "auditEntry",
            id: e.id,
            at: e.at,
            actor: e.actor,
            role: e.role,
            action: e.action,
            target: e.target,
            detail: e.detail,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditList {
    /// Always `list`.
    pub object: &'static str,
    pub items: Vec<AuditEntryView>,
    #[schema(value_type = Option<String>)]
    pub more_items_after: Option<AuditId>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// A token's name.
    actor: Option<String>,
    /// `resend`, `retry`, `unsuppress`, `erasure`, `signIn` or `signInFailed`.
    action: Option<String>,
    /// Entries at or after this time (RFC 3339).
    since: Option<DateTime<Utc>>,
    /// …and before this time.
    until: Option<DateTime<Utc>>,
    /// Page size, 1 to 200; default 50.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    limit: Option<String>,
    /// Cursor: the `moreItemsAfter` of the previous page.
    after: Option<String>,
}

impl AuditParams {
    async fn filter(self, pool: &PgPool) -> Result<(AuditFilter, i64), ApiError> {
        no_control("actor", self.actor.as_deref())?;
        let limit = page_size(self.limit.as_deref(), 50)?;
        let action = self
            .action
            .as_deref()
            .map(|a| {
                a.parse::<AuditAction>().map_err(|_| {
                    ApiError::BadRequest(format!("action {a:?} is not an audit action"))
                })
            })
            .transpose()?;
        let before_seq = match self.after.as_deref() {
            None => None,
            Some(after) => {
                let id = AuditId::parse(after)
                    .map_err(|_| ApiError::BadRequest("after must be an audit entry id".into()))?;
                let seq = audit::seq_of(pool, &id)
                    .await?
                    .ok_or_else(|| ApiError::BadRequest("after names no audit entry".into()))?;
                Some(seq)
            }
        };
        let filter = AuditFilter {
            actor: self.actor,
            action,
            since: self.since,
            until: self.until,
            before_seq,
        };
        Ok((filter, limit))
    }
}

/// The audit log, newest first.
#[utoipa::path(
    get, path = "/audit", tag = "desk", params(AuditParams),
    responses(
        (status = 200, description = "A page of audit entries", body = AuditList),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
        (status = 401, description = "No valid bearer token", body = ErrorBody),
        (status = 403, description = "Only admins read the audit log", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_audit(
    auth: StatusAuth,
    pool: web::Data<PgPool>,
    params: web::Query<AuditParams>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::ReadAudit)?;
    let (filter, limit) = params.into_inner().filter(&pool).await?;
    let mut rows = audit::list(&pool, &filter, limit).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let more_items_after = more.then(|| rows.last().map(|r| r.id.clone())).flatten();
    Ok(HttpResponse::Ok().json(AuditList {
        object: "list",
        items: rows.into_iter().map(AuditEntryView::from).collect(),
        more_items_after,
    }))
}
