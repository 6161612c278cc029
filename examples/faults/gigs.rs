//! The Gigs API as the service sees it: the demo sandbox behind a switch that adds a
//! real API's latency, or answers every call `503`, or `429` with `Retry-After`.
use std::{
    net::TcpListener,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, dev::ServerHandle, web};
use serde_json::json;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// Every call `503 Service Unavailable`.
    Unavailable,
    /// Every call `429 Too Many Requests` with `Retry-After: {0}` (seconds).
    RateLimited(u64),
}

struct State {
    mode: Mutex<Mode>,
    sandbox: String,
    client: reqwest::Client,
    latency: Duration,
    /// Calls answered with an error by the switch.
    refused: AtomicU64,
}

pub struct Gigs {
    pub url: String,
    state: Arc<State>,
    server: ServerHandle,
    sandbox: ServerHandle,
}

impl Gigs {
    /// Starts the sandbox and the switch in front of it, both on loopback; each call in
    /// `Normal` mode takes `latency` more.
    pub fn start(latency: Duration) -> anyhow::Result<Self> {
        let (sandbox_url, sandbox) =
            esim_courier::demo::sandbox::start("jerry@example.com".into())?;
        let state = Arc::new(State {
            mode: Mutex::new(Mode::Normal),
            sandbox: sandbox_url,
            client: esim_courier::tls::client_builder().build()?,
            latency,
            refused: AtomicU64::new(0),
        });
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let url = format!("http://127.0.0.1:{}", listener.local_addr()?.port());
        let data = web::Data::from(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(answer))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)?
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Ok(Self {
            url,
            state,
            server: handle,
            sandbox,
        })
    }

    pub fn set(&self, mode: Mode) {
        *self.state.mode.lock().expect("lock") = mode;
    }

    /// Calls answered with an error by the switch so far.
    pub fn refused(&self) -> u64 {
        self.state.refused.load(Ordering::Relaxed)
    }

    pub async fn stop(self) {
        self.server.stop(false).await;
        self.sandbox.stop(false).await;
    }
}

async fn answer(request: HttpRequest, state: web::Data<State>) -> HttpResponse {
    let mode = *state.mode.lock().expect("lock");
    let error = |kind: &str| json!({"object": "error", "type": kind, "message": "fault injected"});
    match mode {
        Mode::Normal => {}
        Mode::Unavailable => {
            state.refused.fetch_add(1, Ordering::Relaxed);
            return HttpResponse::ServiceUnavailable().json(error("unavailable"));
        }
        Mode::RateLimited(secs) => {
            state.refused.fetch_add(1, Ordering::Relaxed);
            return HttpResponse::TooManyRequests()
                .insert_header(("Retry-After", secs.to_string()))
                .json(error("rateLimitExceeded"));
        }
    }
    tokio::time::sleep(state.latency).await;
    let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
    let forwarded = state
        .client
        .get(format!("{}{path}", state.sandbox))
        .send()
        .await;
    match forwarded {
        Ok(response) => {
            let status = actix_web::http::StatusCode::from_u16(response.status().as_u16())
                .unwrap_or(actix_web::http::StatusCode::BAD_GATEWAY);
            let body = response.bytes().await.unwrap_or_default();
            HttpResponse::build(status)
                .content_type("application/json")
                .body(body)
        }
        Err(_) => HttpResponse::BadGateway().json(error("badGateway")),
    }
}
