//! The status API's error enum and the one JSON error shape every route answers with.
use actix_web::{
    HttpResponse, ResponseError,
    http::{
        StatusCode,
        header::{self, HeaderValue},
    },
};
use serde::Serialize;

use crate::{
    domain::Role,
    store::{self, Fault},
};

/// Every error answer. The cause stays in the logs.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody<'a> {
    /// Always `error`.
    pub object: &'static str,
    /// A stable, machine-readable kind, e.g. `invalidSignature`.
    #[serde(rename = "type")]
    pub kind: &'a str,
    pub message: &'a str,
}

pub fn error_response(status: StatusCode, kind: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(ErrorBody {
        object: "error",
        kind,
        message,
    })
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("a valid bearer token is required")]
    Unauthorized,
    #[error("the {0} role may not do this")]
    Forbidden(Role),
    #[error("{0}")]
    NotFound(&'static str),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Conflict(&'static str),
    #[error("the request body did not arrive in time")]
    BodyTimeout,
    #[error("{message}")]
    TooManyRequests {
        message: String,
        retry_after_secs: u64,
    },
    #[error("the database is unavailable")]
    Unavailable(#[source] store::Error),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl From<store::Error> for ApiError {
    fn from(e: store::Error) -> Self {
        match e.fault() {
            // A lost race is won by trying again.
            Fault::Unavailable | Fault::Conflict => Self::Unavailable(e),
            Fault::InvalidInput => {
                Self::BadRequest("a parameter holds text that cannot be stored or searched".into())
            }
            Fault::Other => Self::Internal(e.into()),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let kind = match self {
            Self::Unauthorized => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "notFound",
            Self::BadRequest(_) => "invalidRequest",
            Self::Conflict(_) => "conflict",
            Self::BodyTimeout => "requestTimeout",
            Self::TooManyRequests { .. } => "tooManyRequests",
            Self::Unavailable(_) => "serviceUnavailable",
            Self::Internal(_) => "internalError",
        };
        match self {
            Self::Unavailable(e) => tracing::warn!(error = %e, "database unavailable"),
            Self::Internal(e) => tracing::error!(error = ?e, "request failed"),
            _ => {}
        }
        let mut response = error_response(self.status_code(), kind, &self.to_string());
        let headers = response.headers_mut();
        match self {
            Self::Unauthorized => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::TooManyRequests {
                retry_after_secs, ..
            } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            _ => {}
        }
        if matches!(self, Self::BodyTimeout) {
            // The rest of a stalled body is not worth reading: close the connection.
            response
                .head_mut()
                .set_connection_type(actix_web::http::ConnectionType::Close);
        }
        response
    }
}
