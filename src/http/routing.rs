//! How a route is declared: GET routes answer HEAD, other methods get 405 with `Allow`,
//! routes that read a JSON body get its deadline; and the answers of no route.
use actix_web::{
    FromRequest, Handler, Resource, Responder, Route,
    error::{JsonPayloadError, QueryPayloadError},
    http::{
        StatusCode,
        header::{self, HeaderValue},
    },
    middleware, web,
};

use super::{ApiError, deadline, error_response};

/// A GET route that answers HEAD too (without a body), and 405 to other methods.
pub(super) fn readable<F, Args>(path: &str, handler: F) -> Resource
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    web::resource(path)
        .route(web::get().to(handler.clone()))
        .route(web::head().to(handler))
        .default_service(not_allowed("GET, HEAD"))
}

/// A route taking one method (`POST`, `DELETE`), and 405 to the others.
pub(super) fn only(method: &'static str, route: Route, path: &str) -> Resource {
    web::resource(path)
        .route(route)
        .default_service(not_allowed(method))
}

/// A POST route whose JSON body must arrive within `REQUEST_BODY_TIMEOUT_SECS`.
pub(super) fn post_json<F, Args>(
    path: &str,
    handler: F,
) -> Resource<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
>
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    only("POST", web::post().to(handler), path).wrap(middleware::from_fn(deadline::body_deadline))
}

/// The route exists, but not for this method: say so, and which ones it takes.
fn not_allowed(allow: &'static str) -> Route {
    web::to(move || async move {
        let mut response = error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            "methodNotAllowed",
            &format!("this route takes {allow}"),
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(allow));
        response
    })
}

pub(super) fn json_error(e: JsonPayloadError, _: &actix_web::HttpRequest) -> actix_web::Error {
    match e {
        JsonPayloadError::Payload(p) if deadline::is_timeout(&p) => ApiError::BodyTimeout.into(),
        e => ApiError::BadRequest(format!("invalid JSON body: {e}")).into(),
    }
}

pub(super) fn query_error(e: QueryPayloadError, _: &actix_web::HttpRequest) -> actix_web::Error {
    ApiError::BadRequest(format!("invalid query: {e}")).into()
}

pub(super) async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound("no such route"))
}
