//! Issuing install-link tokens and looking them up; only their hashes are stored.
use std::time::Duration;

use sha2::{Digest, Sha256};
use sqlx::PgPool;
use url::Url;

use crate::{
    domain::{DeliveryId, SimId, random_base62},
    store::install_links::{self, LiveLink},
};

/// Issues tokens for emails when `PUBLIC_BASE_URL` is set.
#[derive(Clone)]
pub struct InstallLinks {
    pool: PgPool,
    base: Url,
    ttl: Duration,
}

pub fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

impl InstallLinks {
    pub fn new(pool: PgPool, base: Url, ttl: Duration) -> Self {
        Self { pool, base, ttl }
    }

    /// A fresh link for this attempt's email. Links of earlier attempts stay valid: an
    /// attempt recorded as failed may still have reached the user. 32 base62 characters
    /// carry about 190 bits.
    pub async fn issue(
        &self,
        delivery: &DeliveryId,
        project: &str,
        sim: &SimId,
    ) -> sqlx::Result<String> {
        let token = random_base62(32);
        install_links::insert(
            &self.pool,
            &hash_token(&token),
            delivery,
            project,
            sim,
            self.ttl,
        )
        .await?;
        let base = self.base.as_str().trim_end_matches('/');
        Ok(format!("{base}/install/{token}"))
    }
}

pub async fn find_live(pool: &PgPool, token: &str) -> sqlx::Result<Option<LiveLink>> {
    install_links::find_live(pool, &hash_token(token)).await
}

/// Counts a click and notes it in the delivery's history.
pub async fn record_click(pool: &PgPool, token: &str, detail: &str) -> sqlx::Result<()> {
    install_links::record_click(pool, &hash_token(token), detail).await
}
