//! The console's read pages: overview, search, one SIM, deliveries, suppressions, alerts,
//! the audit log. Each reads what the API reads, shows times in UTC, masks for viewers.
use actix_web::{HttpResponse, web};
use chrono::{NaiveDate, TimeZone, Utc};
use minijinja::context;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use super::{ConsoleError, Layout, Pages, SessionRules, chart, page, see_other, session::Me, utc};
use crate::{
    desk::SearchKey,
    domain::{AuditAction, DeliveryId, DeliveryKind, DeliveryStatus, Permission, SimId},
    http::{ApiError, alerts, desk},
    store::{
        audit::{self as audit_log, AuditFilter},
        deliveries::{self, ListFilter},
        overview, sims, stats,
        suppressions::{self, After},
    },
};

const PAGE: i64 = 50;

pub(super) async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .body(super::templates::STYLESHEET)
}

/// A fixed message for `?done=`: never the query's own text.
fn flash(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "resent" => Some("Resend queued: the subscriber's current address gets the eSIM email."),
        "lifted" => Some("Suppression lifted: this address gets email again."),
        _ => None,
    }
}

#[derive(Deserialize)]
pub(super) struct Done {
    done: Option<String>,
}

#[derive(Serialize)]
struct Step {
    label: &'static str,
    count: i64,
    percent: String,
}

pub(super) async fn overview(
    me: Me,
    pages: web::Data<Pages>,
    pool: web::Data<PgPool>,
    rules: web::Data<SessionRules>,
) -> Result<HttpResponse, ConsoleError> {
    let latest = overview::latest(&pool).await.map_err(ApiError::from)?;
    let age = stats::last_webhook_age(&pool)
        .await
        .map_err(ApiError::from)?;
    let quiet = rules.quiet;
    let is_quiet = matches!((age, quiet), (Some(a), Some(q)) if a > q.as_secs_f64());
    let (computed_at, figures) = match latest {
        Some((at, f)) => (Some(utc(at)), Some(f)),
        None => (None, None),
    };
    let funnel = figures.as_ref().map(|f| {
        let base = f.funnel.with_event.max(1) as f64;
        let step = |label, count: i64| Step {
            label,
            count,
            percent: format!("{:.0} %", count as f64 * 100.0 / base),
        };
        vec![
            step("SIMs with an event", f.funnel.with_event),
            step("Emailed", f.funnel.emailed),
            step("Delivered", f.funnel.delivered),
            step("Install link opened", f.funnel.opened),
            step("Installed", f.funnel.installed),
        ]
    });
    let chart = figures.as_ref().map(|f| chart::per_day(&f.days));
    let median = figures
        .as_ref()
        .and_then(|f| f.median_install_s)
        .map(duration)
        .unwrap_or_else(|| "no installation reported yet".into());
    page(
        &pages,
        "overview.html",
        context! {
            title => "Overview", me => Layout::of(&me), computed_at, figures, funnel, chart,
            median_install => median, last_webhook => age.map(duration), quiet => is_quiet,
            quiet_hours => quiet.map(|q| q.as_secs() / 3600),
        },
    )
}

/// `3 h 12 min`, `4 min`, `2 d 3 h`.
fn duration(secs: f64) -> String {
    let s = secs.max(0.0) as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min", s / 60),
        3600..86_400 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        _ => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
    }
}

#[derive(Deserialize)]
pub(super) struct SearchQuery {
    q: Option<String>,
}

pub(super) async fn search(
    me: Me,
    pages: web::Data<Pages>,
    pool: web::Data<PgPool>,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let q = query.q.clone().unwrap_or_default();
    let (sims, problem) = match SearchKey::parse(&q) {
        Err(e) => (Vec::new(), Some(e.to_string())),
        Ok(key) => (desk::find(&pool, &key).await?, None),
    };
    // A single match opens its SIM.
    if let [only] = sims.as_slice() {
        let to = format!("/console/sims/{}", urlencode(&only.sim_id));
        return Ok(see_other(&to));
    }
    let rows: Vec<_> = sims
        .into_iter()
        .map(|s| {
            let updated = utc(s.updated_at);
            context! { updated, ..minijinja::Value::from_serialize(desk::summary_view(s, &me.auth)) }
        })
        .collect();
    page(
        &pages,
        "search.html",
        context! { title => "Search", me => Layout::of(&me), q, sims => rows, problem },
    )
}

pub(super) async fn sim(
    me: Me,
    pages: web::Data<Pages>,
    pool: web::Data<PgPool>,
    path: web::Path<String>,
    done: web::Query<Done>,
) -> Result<HttpResponse, ConsoleError> {
    let t = desk::timeline_of(&pool, &path, &me.auth).await?;
    let sim = SimId::parse(path.as_str()).map_err(|_| ApiError::NotFound("no such SIM"))?;
    let filter = ListFilter {
        sim: Some(sim.to_string()),
        ..ListFilter::default()
    };
    let rows = deliveries::list(&pool, &filter, 100)
        .await
        .map_err(ApiError::from)?;
    let latest = rows.iter().find(|d| d.kind != DeliveryKind::Notice);
    let recipient = latest.and_then(|d| d.recipient.clone());
    let suppressed = match &recipient {
        Some(r) => suppressions::find(&pool, r).await.map_err(ApiError::from)?,
        None => None,
    };
    let name = sims::subscriber_name(&pool, &sim)
        .await
        .map_err(ApiError::from)?;
    let auth = &me.auth;
    let items: Vec<_> = t
        .items
        .iter()
        .map(|i| context! { at => utc(i.at), source => i.source, kind => i.kind, text => i.text, delivery => i.delivery })
        .collect();
    let emails: Vec<_> = rows
        .iter()
        .map(|d| {
            context! {
                id => d.id, kind => d.kind, status => d.status, created => utc(d.created_at),
                recipient => d.recipient.as_deref().map(|r| auth.show(r)),
                reason => d.reason.as_deref().map(|r| auth.show_text(r)),
            }
        })
        .collect();
    page(
        &pages,
        "sim.html",
        context! {
            title => format!("SIM {sim}"), me => Layout::of(&me), flash => flash(done.done.as_deref()),
            t, items, deliveries => emails, name,
            verdict_label => verdict_label(&t.verdict.state), action_label => action_label(&t.verdict.action),
            latest => latest.map(|d| d.id.to_string()),
            recipient => recipient.as_deref().map(|r| auth.show(r)),
            iccid => latest.and_then(|d| d.iccid.clone()),
            phone => latest.and_then(|d| d.phone_number.clone()),
            suppressed => suppressed.map(|s| auth.show(&s.email)).filter(|_| auth.sees_addresses()),
            can_resend => auth.role.allows(Permission::Resend),
            can_unsuppress => auth.role.allows(Permission::Unsuppress),
        },
    )
}

fn verdict_label(state: &impl Serialize) -> String {
    let raw = serde_json::to_value(state).ok();
    match raw.as_ref().and_then(|v| v.as_str()) {
        Some("inProgress") => "in progress",
        Some("delivered") => "delivered, not opened",
        Some("opened") => "link opened, not installed",
        Some(other) => other,
        None => "unknown",
    }
    .to_owned()
}

fn action_label(action: &impl Serialize) -> String {
    let raw = serde_json::to_value(action).ok();
    match raw.as_ref().and_then(|v| v.as_str()) {
        Some("resend") => "resend the eSIM email",
        Some("unsuppress") => "confirm the address, then lift the suppression",
        Some("wait") => "wait",
        _ => "nothing to do",
    }
    .to_owned()
}

/// The deliveries page's filters, as the form sends them.
#[derive(Deserialize, Serialize, Default)]
pub(super) struct Filters {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub kind: String,
    /// `YYYY-MM-DD`, UTC.
    #[serde(default)]
    pub since: String,
    #[serde(default)]
    pub until: String,
    #[serde(default)]
    pub after: String,
}

impl Filters {
    fn list_filter(&self) -> Result<ListFilter, ApiError> {
        let bad = |what: &str| ApiError::BadRequest(format!("{what} is not valid"));
        let day = |s: &str| -> Result<Option<chrono::DateTime<Utc>>, ApiError> {
            if s.is_empty() {
                return Ok(None);
            }
            let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| bad("the date"))?;
            Ok(Some(Utc.from_utc_datetime(
                &d.and_hms_opt(0, 0, 0).expect("midnight"),
            )))
        };
        Ok(ListFilter {
            status: (!self.status.is_empty())
                .then(|| self.status.parse::<DeliveryStatus>())
                .transpose()
                .map_err(|_| bad("status"))?,
            kind: (!self.kind.is_empty())
                .then(|| self.kind.parse::<DeliveryKind>())
                .transpose()
                .map_err(|_| bad("kind"))?,
            since: day(&self.since)?,
            until: day(&self.until)?,
            ..ListFilter::default()
        })
    }

    /// This page's address with `after` set: the next page keeps every filter.
    fn with_after(&self, after: &str) -> String {
        let query = serde_urlencoded_pairs(&[
            ("status", &self.status),
            ("kind", &self.kind),
            ("since", &self.since),
            ("until", &self.until),
            ("after", after),
        ]);
        format!("/console/deliveries?{query}")
    }
}

fn serde_urlencoded_pairs(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().filter(|(_, v)| !v.is_empty()))
        .finish()
}

pub(super) fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub(super) async fn deliveries(
    me: Me,
    pages: web::Data<Pages>,
    pool: web::Data<PgPool>,
    f: web::Query<Filters>,
) -> Result<HttpResponse, ConsoleError> {
    let mut filter = f.list_filter()?;
    if !f.after.is_empty() {
        let cursor = DeliveryId::parse(f.after.as_str())
            .map_err(|_| ApiError::BadRequest("the page cursor is not valid".into()))?;
        filter.before_seq = deliveries::seq_of(&pool, &cursor)
            .await
            .map_err(ApiError::from)?;
    }
    let mut rows = deliveries::list(&pool, &filter, PAGE)
        .await
        .map_err(ApiError::from)?;
    let more = rows.len() as i64 > PAGE;
    rows.truncate(PAGE as usize);
    let next = more
        .then(|| rows.last().map(|r| f.with_after(r.id.as_str())))
        .flatten();
    let auth = &me.auth;
    let shown: Vec<_> = rows
        .iter()
        .map(|d| {
            context! {
                created => utc(d.created_at), sim => d.sim_id, kind => d.kind, status => d.status,
                recipient => d.recipient.as_deref().map(|r| auth.show(r)),
                reason => d.reason.as_deref().map(|r| auth.show_text(r)),
            }
        })
        .collect();
    let retryable = matches!(f.status.as_str(), "failed" | "bounced");
    let retry_link = (retryable && auth.role.allows(Permission::BulkRetry)).then(|| {
        // Every filter in place goes along: the retry is of exactly this list.
        let query = serde_urlencoded_pairs(&[
            ("status", &f.status),
            ("kind", &f.kind),
            ("since", &f.since),
            ("until", &f.until),
        ]);
        format!("/console/deliveries/retry?{query}")
    });
    page(
        &pages,
        "deliveries.html",
        context! {
            title => "Deliveries", me => Layout::of(&me), rows => shown, next, f => &*f, retry_link,
            statuses => DeliveryStatus::ALL.map(|s| s.as_str()),
            kinds => DeliveryKind::ALL.map(|k| k.as_str()),
        },
    )
}

#[derive(Deserialize)]
pub(super) struct Cursor {
    after: Option<String>,
    done: Option<String>,
}

pub(super) async fn suppressions(
    me: Me,
    pages: web::Data<Pages>,
    pool: web::Data<PgPool>,
    query: web::Query<Cursor>,
) -> Result<HttpResponse, ConsoleError> {
    let after = query
        .after
        .as_deref()
        .and_then(|a| a.parse().ok())
        .map(After::Seq);
    let mut rows = suppressions::list(&pool, after.as_ref(), PAGE)
        .await
        .map_err(ApiError::from)?;
    let more = rows.len() as i64 > PAGE;
    rows.truncate(PAGE as usize);
    let next = more
        .then(|| {
            rows.last()
                .map(|s| format!("/console/suppressions?after={}", s.seq))
        })
        .flatten();
    let auth = &me.auth;
    let shown: Vec<_> = rows
        .iter()
        .map(|s| {
            context! {
                email => auth.show(&s.email), since => utc(s.created_at), provider => s.provider,
                reason => auth.show_text(&s.reason),
            }
        })
        .collect();
    page(
        &pages,
        "suppressions.html",
        context! {
            title => "Suppressions", me => Layout::of(&me), rows => shown, next,
            flash => flash(query.done.as_deref()),
            can_unsuppress => auth.role.allows(Permission::Unsuppress) && auth.sees_addresses(),
        },
    )
}

pub(super) async fn alerts(
    me: Me,
    pages: web::Data<Pages>,
    pool: web::Data<PgPool>,
    query: web::Query<Cursor>,
) -> Result<HttpResponse, ConsoleError> {
    let (views, next) = alerts::page(&pool, &me.auth, query.after.as_deref(), PAGE).await?;
    let rows: Vec<_> = views
        .iter()
        .map(|a| {
            let sent = match (a.sent_at, &a.last_error) {
                (Some(at), _) => utc(at),
                (None, Some(e)) => format!("not yet ({e}; {} tries)", a.attempts),
                (None, None) => "waiting".into(),
            };
            context! { created => utc(a.created_at), kind => a.kind, text => a.text, sent }
        })
        .collect();
    let next = next.map(|n| format!("/console/alerts?after={n}"));
    page(
        &pages,
        "alerts.html",
        context! { title => "Alerts", me => Layout::of(&me), rows, next },
    )
}

#[derive(Deserialize, Serialize)]
pub(super) struct AuditQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    after: String,
}

pub(super) async fn audit(
    me: Me,
    pages: web::Data<Pages>,
    pool: web::Data<PgPool>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ConsoleError> {
    me.auth.require(Permission::ReadAudit)?;
    let action = (!query.action.is_empty())
        .then(|| query.action.parse::<AuditAction>())
        .transpose()
        .map_err(|_| ApiError::BadRequest("the action is not valid".into()))?;
    let before_seq = match crate::domain::AuditId::parse(query.after.as_str()) {
        Ok(id) => audit_log::seq_of(&pool, &id)
            .await
            .map_err(ApiError::from)?,
        Err(_) => None,
    };
    let filter = AuditFilter {
        actor: (!query.actor.is_empty()).then(|| query.actor.clone()),
        action,
        before_seq,
        ..AuditFilter::default()
    };
    let mut rows = audit_log::list(&pool, &filter, PAGE)
        .await
        .map_err(ApiError::from)?;
    let more = rows.len() as i64 > PAGE;
    rows.truncate(PAGE as usize);
    let next = more.then(|| rows.last()).flatten().map(|e| {
        let q = serde_urlencoded_pairs(&[
            ("actor", &query.actor),
            ("action", &query.action),
            ("after", e.id.as_str()),
        ]);
        format!("/console/audit?{q}")
    });
    let shown: Vec<_> = rows
        .iter()
        .map(|e| {
            context! {
                at => utc(e.at), actor => e.actor, role => e.role.map(|r| r.as_str()),
                action => e.action.as_str(), target => e.target, detail => e.detail,
            }
        })
        .collect();
    page(
        &pages,
        "audit.html",
        context! {
            title => "Audit log", me => Layout::of(&me), rows => shown, next, f => &*query,
            actions => AuditAction::ALL.map(|a| a.as_str()),
        },
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_read_in_the_largest_units() {
        assert_eq!(super::duration(42.0), "42 s");
        assert_eq!(super::duration(600.0), "10 min");
        assert_eq!(super::duration(3.0 * 3600.0 + 720.0), "3 h 12 min");
        assert_eq!(super::duration(2.0 * 86_400.0 + 3.0 * 3600.0), "2 d 3 h");
    }
}
