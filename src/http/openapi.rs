//! The OpenAPI 3 description, generated from the handlers' annotations.
use actix_web::web;

use super::routing::readable;
use actix_web::HttpResponse;
use utoipa::{
    Modify, OpenApi,
    openapi::{
        Content, Ref, RefOr, ResponseBuilder,
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    },
};

use super::{alerts, audit, bounces, deliveries, desk, health, install, operations, webhooks};

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(readable("/openapi.json", openapi_json));
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "esim-courier",
        description = "Receives Gigs webhooks and emails eSIM credentials to subscribers."
    ),
    paths(
        webhooks::receive_webhook,
        deliveries::list_deliveries,
        deliveries::get_delivery,
        deliveries::resend_delivery,
        operations::retry_deliveries,
        bounces::receive_bounces,
        operations::list_suppressions,
        operations::delete_suppression,
        operations::erase_user,
        desk::search,
        desk::sim_timeline,
        audit::list_audit,
        alerts::list_alerts,
        install::open_install_link,
        health::healthz,
        health::readyz,
        health::metrics,
        openapi_json,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "webhooks", description = "Events from Gigs, bounces from mail providers"),
        (name = "deliveries", description = "Delivery status, for operators"),
        (name = "install", description = "The device-aware link in emails"),
        (name = "desk", description = "The support desk: search, one SIM's timeline, the audit log"),
        (name = "operations", description = "Suppressions, erasure, probes, metrics, this description"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("One of STATUS_API_TOKENS"))
                    .build(),
            ),
        );
        // Every operation that takes a token answers 429 to an address past its wrong
        // tokens, whatever the handler; said once here rather than on each handler.
        const GUESSED: &str = "After WRONG_TOKENS_PER_MINUTE wrong or missing tokens from \
            this address within a minute, until the minute is over; see Retry-After";
        let guessed = ResponseBuilder::new()
            .description(GUESSED)
            .content(
                "application/json",
                Content::new(Some(Ref::from_schema_name("ErrorBody"))),
            )
            .build();
        for item in openapi.paths.paths.values_mut() {
            let operations = [&mut item.get, &mut item.post, &mut item.put]
                .into_iter()
                .chain([&mut item.delete, &mut item.patch]);
            for op in operations.flatten() {
                if op.security.as_ref().is_none_or(|s| s.is_empty()) {
                    continue;
                }
                match op.responses.responses.get_mut("429") {
                    // The handler's own 429 (a resend too soon) gains the second cause.
                    Some(RefOr::T(own)) => {
                        own.description = format!("{} Also: {GUESSED}.", own.description);
                    }
                    Some(RefOr::Ref(_)) => {}
                    None => {
                        op.responses
                            .responses
                            .insert("429".into(), guessed.clone().into());
                    }
                }
            }
        }
    }
}

/// This description.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "OpenAPI 3 document", content_type = "application/json")))]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
