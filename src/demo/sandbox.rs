//! A stand-in for the Gigs API, serving one demo user, subscription and eSIM, and the
//! project's subscription list (so `reconcile` against it runs, and finds nothing to do).
use std::net::TcpListener;

use actix_web::{App, HttpResponse, HttpServer, dev::ServerHandle, web};
use serde_json::json;

pub const PROJECT: &str = "demo-project";
pub const USER: &str = "usr_demo";
pub const SUBSCRIPTION: &str = "sub_demo";

/// Gigs' own documentation example, so the demo email shows realistic values.
const ACTIVATION_CODE: &str = "LPA:1$smdp.gigs.com$2M-3L0MX-F8HE2";

async fn user(path: web::Path<(String, String)>, email: web::Data<String>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "object": "user",
        "id": path.1,
        "email": email.as_str(),
        "fullName": "Jerry Seinfeld",
        "preferredLocale": "en-US",
        "status": "active",
    }))
}

async fn subscription(path: web::Path<(String, String)>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "object": "subscription",
        "id": path.1,
        "user": {"object": "user", "id": USER},
    }))
}

/// The list's one subscription was created long ago: reconciliation checks it and, being
/// outside its window, queues nothing (the sandbox has no SIM of its own to email).
const LISTED_SINCE: &str = "2025-05-22T09:00:00Z";

/// `GET /projects/{p}/subscriptions`, in Gigs' list shape; one page.
async fn subscriptions() -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "object": "list",
        "items": [{
            "object": "subscription",
            "id": SUBSCRIPTION,
            "status": "active",
            "createdAt": LISTED_SINCE,
            "sim": {"object": "sim", "id": "sim_demo", "type": "eSIM"},
            "user": {"object": "user", "id": USER},
        }],
        "moreItemsAfter": null,
    }))
}

async fn credentials(path: web::Path<(String, String)>) -> HttpResponse {
    let sim = &path.1;
    let carddata = format!("carddata={ACTIVATION_CODE}");
    HttpResponse::Ok().json(json!({
        "object": "simCredentials",
        "activationCode": ACTIVATION_CODE,
        "androidInstallUrl": format!("https://esimsetup.android.com/esim_qrcode_provisioning?{carddata}"),
        "iosInstallUrl": format!("https://esimsetup.apple.com/esim_qrcode_provisioning?{carddata}"),
        "qrCodeUrl": null,
        "sim": sim,
    }))
}

fn app(
    recipient: web::Data<String>,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(recipient)
        .route("/projects/{p}/users/{id}", web::get().to(user))
        .route("/projects/{p}/subscriptions", web::get().to(subscriptions))
        .route(
            "/projects/{p}/subscriptions/{id}",
            web::get().to(subscription),
        )
        .route(
            "/projects/{p}/sims/{id}/credentials",
            web::get().to(credentials),
        )
}

/// Starts the sandbox on a free local port; returns its base URL and a stop handle.
pub fn start(recipient: String) -> anyhow::Result<(String, ServerHandle)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://127.0.0.1:{}", listener.local_addr()?.port());
    let recipient = web::Data::new(recipient);
    let server = HttpServer::new(move || app(recipient.clone()))
        .workers(1)
        .disable_signals()
        .listen(listener)?
        .run();
    let handle = server.handle();
    tokio::spawn(server);
    Ok((url, handle))
}

/// Serves the sandbox on `listen` until SIGINT or SIGTERM (`esim-courier sandbox`). It
/// answers for any project, user, subscription and SIM id, so any sample event works.
pub async fn serve(listen: &str, recipient: String) -> anyhow::Result<()> {
    let recipient = web::Data::new(recipient);
    let server = HttpServer::new(move || app(recipient.clone()))
        .workers(1)
        .bind(listen)?;
    tracing::info!(listen, "Gigs sandbox serving");
    server.run().await?;
    Ok(())
}
