//! The credentials email: templates, QR code, MIME composition and SMTP transport.
mod compose;
mod qr;
mod smtp;
mod templates;
mod transport;

pub use compose::{Composed, EmailComposer, Recipient};
pub use qr::qr_png;
pub use templates::{EmailContext, Rendered, SUPPORTED_LOCALES, Templates, locale_for};
pub use transport::{Mailer, SendError};
