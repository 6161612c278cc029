//! The console's pages, compiled into the binary and rendered with autoescaping: anything
//! that came in a payload (a name, an address) is shown as text, never as markup.
use minijinja::Environment;
use serde::Serialize;

const PAGES: [(&str, &str); 12] = [
    (
        "base.html",
        include_str!("../../../templates/console/base.html"),
    ),
    (
        "login.html",
        include_str!("../../../templates/console/login.html"),
    ),
    (
        "overview.html",
        include_str!("../../../templates/console/overview.html"),
    ),
    (
        "search.html",
        include_str!("../../../templates/console/search.html"),
    ),
    (
        "sim.html",
        include_str!("../../../templates/console/sim.html"),
    ),
    (
        "deliveries.html",
        include_str!("../../../templates/console/deliveries.html"),
    ),
    (
        "retry.html",
        include_str!("../../../templates/console/retry.html"),
    ),
    (
        "suppressions.html",
        include_str!("../../../templates/console/suppressions.html"),
    ),
    (
        "alerts.html",
        include_str!("../../../templates/console/alerts.html"),
    ),
    (
        "audit.html",
        include_str!("../../../templates/console/audit.html"),
    ),
    (
        "message.html",
        include_str!("../../../templates/console/message.html"),
    ),
    ("empty.html", ""),
];

/// The stylesheet, served from `/console/assets/console.css` (no inline style: the CSP
/// allows none).
pub const STYLESHEET: &str = include_str!("../../../templates/console/console.css");

pub struct Pages {
    env: Environment<'static>,
}

impl Pages {
    pub fn new() -> anyhow::Result<Self> {
        let mut env = Environment::new();
        // `.html` templates escape every value unless marked safe (only the SVG chart,
        // drawn here from numbers, is).
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
        for (name, source) in PAGES {
            env.add_template(name, source)?;
        }
        Ok(Self { env })
    }

    pub fn render(&self, name: &str, context: impl Serialize) -> anyhow::Result<String> {
        Ok(self.env.get_template(name)?.render(context)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_text_is_escaped_on_every_page() {
        let pages = Pages::new().unwrap();
        let hostile = "<img src=x onerror=alert(1)><script>alert(2)</script>";
        let html = pages
            .render(
                "message.html",
                minijinja::context! { heading => hostile, text => hostile, me => minijinja::context! { name => hostile } },
            )
            .unwrap();
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(!html.contains("<img src=x"), "{html}");
        assert!(html.contains("&lt;script&gt;"));
    }
}
