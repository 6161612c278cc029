//! Request header values copied out of the connection's read buffer.
use actix_web::{
    Error,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::HeaderValue,
    middleware::Next,
};

/// actix-http slices header values out of the connection's read buffer, the buffer the
/// body then streams through (up to 128 KiB). actix-web keeps up to 128 finished requests
/// per worker for reuse, heads included, so a flood of large bodies used to leave ~32 MiB
/// of strangers' bytes pinned after every connection was gone. A copy costs one small
/// allocation per header.
pub(super) async fn detach_header_values(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    // The outermost layer holds the only reference to the request, so it may be changed.
    req.headers_mut().retain(|_, value| {
        // The value passed actix's parser, which allows the same bytes; keep it if not.
        if let Ok(copy) = HeaderValue::from_bytes(value.as_bytes()) {
            *value = copy;
        }
        true
    });
    next.call(req).await
}
