//! Issuing install-link tokens and looking them up; only their hashes are stored.
use std::time::Duration;

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use url::Url;

use super::Device;
use crate::{
    domain::{BASE62, DeliveryId, SimId},
    store::install_links::{self, LiveLink},
};

/// Issues tokens for emails when `PUBLIC_BASE_URL` is set.
#[derive(Clone)]
pub struct InstallLinks {
    pool: PgPool,
    base: Url,
    ttl: Duration,
    key: SecretString,
}

/// How a link is stored: an HMAC of its token with `INSTALL_LINK_SECRET`. The table alone
/// opens nothing, and rotating the secret ends every link issued under the old one.
pub fn hash_token(key: &str, token: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes any key");
    mac.update(b"esim-courier install link hash\0");
    mac.update(token.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// How links issued before they were keyed are stored: a plain SHA-256.
fn legacy_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

impl InstallLinks {
    pub fn new(pool: PgPool, base: Url, ttl: Duration, key: SecretString) -> Self {
        Self {
            pool,
            base,
            ttl,
            key,
        }
    }

    /// The delivery's link: every attempt (and a copy sent again after a crash) carries
    /// the same one, derived from the delivery id with a server key, so nothing that
    /// opens it is stored. 32 base62 characters carry about 190 bits.
    pub async fn issue(
        &self,
        delivery: &DeliveryId,
        project: &str,
        sim: &SimId,
    ) -> crate::store::Result<String> {
        let key = self.key.expose_secret();
        let token = derive_token(key, delivery);
        install_links::insert(
            &self.pool,
            &hash_token(key, &token),
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

fn derive_token(key: &str, delivery: &DeliveryId) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes any key");
    mac.update(b"esim-courier install link v1\0");
    mac.update(delivery.as_str().as_bytes());
    let digest = mac.finalize().into_bytes();
    // 32 characters of base62 from 32 bytes: each byte picks one (a slight bias that
    // leaves about 190 bits).
    digest
        .iter()
        .map(|b| BASE62[usize::from(*b) % BASE62.len()] as char)
        .collect()
}

/// The live link a token opens, under the current `INSTALL_LINK_SECRET`.
pub async fn find_live(
    pool: &PgPool,
    key: &SecretString,
    token: &str,
) -> crate::store::Result<Option<LiveLink>> {
    let keyed = hash_token(key.expose_secret(), token);
    install_links::find_live(pool, &keyed, &legacy_hash(token)).await
}

/// Counts a click of `link` and notes it in the delivery's history, with the device class.
pub async fn record_click(
    pool: &PgPool,
    link: &LiveLink,
    device: Device,
    detail: &str,
) -> crate::store::Result<()> {
    install_links::record_click(pool, &link.token_hash, device.as_str(), detail).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivery_always_gets_the_same_token_and_another_delivery_another() {
        let a = DeliveryId::generate();
        let b = DeliveryId::generate();
        let t = derive_token("key", &a);
        assert_eq!(t, derive_token("key", &a));
        assert_eq!(t.len(), 32);
        assert!(t.bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(t, derive_token("key", &b));
        assert_ne!(t, derive_token("other key", &a));
    }
}
