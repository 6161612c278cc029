//! The credentials email: templates, QR code, MIME composition and SMTP transport.
mod compose;
mod locale;
mod qr;
mod render;
mod smtp;
mod templates;
mod theme;
mod transport;

pub use compose::{Composed, EmailComposer, Recipient};
pub use locale::{SUPPORTED_LOCALES, locale_for, locale_from_accept_language};
pub use qr::qr_png;
pub(crate) use render::url_value;
pub use render::{EmailContext, Rendered, SAMPLE_ANDROID, SAMPLE_IOS, SAMPLE_LPA, samples};
pub use templates::{TemplateError, Templates};
pub use theme::Theme;
pub use transport::{Mailer, SendError};

#[cfg(test)]
mod tests;
