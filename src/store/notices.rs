//! Where a SIM's previous email went: the address a notice goes to when its credentials
//! are sent somewhere new.
use sqlx::PgPool;

use super::Result;
use crate::domain::{DeliveryId, SimId};

/// The SIM's latest credentials email before `this`, as delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Previous {
    pub recipient: String,
    pub locale: Option<String>,
}

pub async fn previous(
    pool: &PgPool,
    project: &str,
    sim: &SimId,
    this: &DeliveryId,
) -> Result<Option<Previous>> {
    Ok(sqlx::query_as!(
        Previous,
        r#"SELECT recipient AS "recipient!", locale FROM deliveries
           WHERE project = $1 AND sim_id = $2 AND id <> $3 AND kind <> 'notice'
             AND status IN ('delivered', 'bounced') AND recipient IS NOT NULL
           ORDER BY delivered_at DESC NULLS LAST, seq DESC LIMIT 1"#,
        project,
        sim as _,
        this as _,
    )
    .fetch_optional(pool)
    .await?)
}
