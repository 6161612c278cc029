//! The subscriber's messages and pages: templates, QR code, MIME composition and SMTP.
//!
//! Modules depend one way: `templates` (what is loaded) ← `render`, `notice`, `page`
//! (one message or page each) ← `load` (reads the files, renders every sample once).
mod compose;
mod headers;
mod load;
mod locale;
mod notice;
mod overrides;
mod page;
mod qr;
mod render;
mod samples;
mod smtp;
mod strict;
mod templates;
mod theme;
mod transport;
mod warnings;

pub use compose::{Composed, EmailComposer, Recipient};
pub use headers::DELIVERY_HEADER;
pub use locale::{SUPPORTED_LOCALES, locale_for, locale_from_accept_language};
pub use notice::NoticeContext;
pub use page::{InstallDetails, Page, PageContext};
pub use qr::qr_png;
pub use render::{EmailContext, Rendered};
pub use samples::{SAMPLE_ANDROID, SAMPLE_IOS, SAMPLE_LPA, notice_samples, page_samples, samples};
pub use templates::{TemplateError, Templates};
pub use theme::Theme;
pub use transport::{Mailer, SendError};
pub use warnings::warnings;

#[cfg(test)]
mod notice_tests;
#[cfg(test)]
mod override_tests;
#[cfg(test)]
mod tests;
