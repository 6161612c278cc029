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

#[cfg(test)]
mod tests {
    use actix_web::{
        App, HttpRequest, HttpResponse,
        http::header::HeaderValue,
        middleware::from_fn,
        test,
        web::{self, Bytes},
    };

    /// Where the handler's `x-probe` value lives, and what it says.
    async fn probe(req: HttpRequest) -> HttpResponse {
        let value = req.headers().get("x-probe").map(HeaderValue::as_bytes);
        let at = value.map_or(0, |v| v.as_ptr() as usize);
        HttpResponse::Ok().body(format!(
            "{at} {}",
            String::from_utf8_lossy(value.unwrap_or(b""))
        ))
    }

    #[actix_web::test]
    async fn header_values_stop_pointing_into_the_connection_buffer() {
        // As actix-http parses them: slices of one larger buffer.
        let buffer = Bytes::from(vec![b'x'; 64 * 1024]);
        let start = buffer.as_ptr() as usize;
        let inside = start..start + buffer.len();
        let shared = HeaderValue::from_maybe_shared(buffer.slice(0..16)).unwrap();
        assert!(inside.contains(&(shared.as_bytes().as_ptr() as usize)));

        let app = test::init_service(
            App::new()
                .wrap(from_fn(super::detach_header_values))
                .route("/", web::get().to(probe)),
        )
        .await;
        let req = test::TestRequest::get()
            .uri("/")
            .insert_header(("x-probe", shared))
            .to_request();
        let body = test::call_and_read_body(&app, req).await;
        let body = std::str::from_utf8(&body).unwrap();
        let (at, value) = body.split_once(' ').unwrap();
        assert_eq!(value, "x".repeat(16));
        assert!(
            !inside.contains(&at.parse::<usize>().unwrap()),
            "still in the buffer"
        );
    }
}
