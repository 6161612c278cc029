//! What a test sends: signed webhooks and status API calls, and the worker driven by hand.
use serde_json::Value;

use super::{SECRET, TOKEN, TestApp, uuid_like};
use esim_courier::webhooks::{WebhookSecret, sign};

/// A copy of the fixture event with fresh ids, so tests do not collide.
pub fn event_with(
    base: &str,
    event_id: &str,
    sim_id: &str,
    edit: impl FnOnce(&mut Value),
) -> String {
    let mut v: Value = serde_json::from_str(base).unwrap();
    v["id"] = event_id.into();
    v["data"]["sim"]["id"] = sim_id.into();
    edit(&mut v);
    serde_json::to_string(&v).unwrap()
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

pub fn signature(webhook_id: &str, ts: i64, body: &str) -> String {
    sign(
        &WebhookSecret::parse(SECRET).unwrap(),
        webhook_id,
        ts,
        body.as_bytes(),
    )
}

impl TestApp {
    pub async fn post_webhook(&self, webhook_id: &str, body: &str) -> reqwest::Response {
        let ts = now();
        self.post_webhook_raw(
            &[
                ("webhook-id", webhook_id.to_owned()),
                ("webhook-timestamp", ts.to_string()),
                ("webhook-signature", signature(webhook_id, ts, body)),
            ],
            body.as_bytes().to_vec(),
        )
        .await
    }

    pub async fn post_webhook_raw(
        &self,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> reqwest::Response {
        let mut req = self
            .client
            .post(format!("{}/webhooks/gigs", self.address))
            .header("content-type", "application/json");
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        req.body(body).send().await.expect("request sent")
    }

    /// Sends a signed webhook and returns the delivery id it answered with.
    pub async fn deliver_event(&self, body: &str) -> String {
        let webhook_id = format!("msg_{}", uuid_like());
        let response = self.post_webhook(&webhook_id, body).await;
        assert_eq!(response.status(), 200);
        let json: Value = response.json().await.unwrap();
        json["delivery"].as_str().expect("a delivery").to_owned()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
    }

    /// A GET without credentials, as probes and scrapers send.
    pub async fn get_anonymous(&self, path: &str) -> reqwest::Response {
        let url = format!("{}{path}", self.address);
        self.client.get(url).send().await.unwrap()
    }

    pub async fn post(&self, path: &str) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.address))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
    }

    /// A status API call with `token`: GET, POST (with a JSON body) or DELETE.
    pub async fn call_as(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.address))
            .bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await.unwrap()
    }

    pub async fn get_as(&self, token: &str, path: &str) -> reqwest::Response {
        self.call_as(token, reqwest::Method::GET, path, None).await
    }

    pub async fn delivery(&self, id: &str) -> Value {
        let response = self.get(&format!("/deliveries/{id}")).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// Every row of `tables` (all of the app's tables when empty), as JSON text, a line
    /// each: what a test searches for something that must be nowhere.
    pub async fn rows_as_text(&self, tables: &[&str]) -> String {
        let tables: Vec<String> = if tables.is_empty() {
            sqlx::query_scalar("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'")
                .fetch_all(&self.pool)
                .await
                .unwrap()
        } else {
            tables.iter().map(|t| (*t).to_owned()).collect()
        };
        assert!(tables.len() >= 3, "{tables:?}");
        let mut all = String::new();
        for table in tables {
            let rows: Vec<String> =
                sqlx::query_scalar(&format!(r#"SELECT row_to_json(t)::text FROM "{table}" t"#))
                    .fetch_all(&self.pool)
                    .await
                    .unwrap();
            for row in rows {
                all.push_str(&row);
                all.push('\n');
            }
        }
        all
    }

    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    /// Runs the worker until the delivery reaches a final state, making retries due at
    /// once instead of waiting out their backoff.
    pub async fn drive(&self, id: &str) -> Value {
        for _ in 0..30 {
            sqlx::query("UPDATE deliveries SET next_attempt_at = now() WHERE status = 'retrying'")
                .execute(&self.pool)
                .await
                .unwrap();
            self.worker.process_due().await.unwrap();
            let d = self.delivery(id).await;
            if ["delivered", "failed", "skipped"].contains(&d["status"].as_str().unwrap()) {
                return d;
            }
        }
        panic!("delivery {id} did not settle");
    }
}
