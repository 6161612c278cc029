//! The HTML pages behind an install link: QR code and manual details, or "not available".
use base64::{Engine, engine::general_purpose::STANDARD as B64};
use minijinja::Environment;

use crate::{domain::LpaActivationCode, email::qr_png};

pub struct Pages {
    env: Environment<'static>,
    brand: String,
}

impl Pages {
    pub fn new(brand: &str) -> anyhow::Result<Self> {
        let mut env = Environment::new();
        env.add_template("install.html", include_str!("../../templates/install.html"))?;
        Ok(Self {
            env,
            brand: brand.to_owned(),
        })
    }

    /// The QR code is a `data:` URI: no request to anyone else can leak it.
    pub fn install(&self, lpa: &LpaActivationCode) -> anyhow::Result<String> {
        let png = qr_png(lpa.expose())?;
        let ctx = minijinja::context! {
            found => true,
            brand => &self.brand,
            // Base64 and the scheme hold no character HTML needs escaped.
            qr_data_uri => minijinja::Value::from_safe_string(
                format!("data:image/png;base64,{}", B64.encode(png)),
            ),
            smdp => lpa.smdp_address(),
            matching_id => lpa.matching_id(),
        };
        Ok(self.env.get_template("install.html")?.render(ctx)?)
    }

    pub fn not_available(&self) -> String {
        let ctx = minijinja::context! { found => false, brand => &self.brand };
        self.env
            .get_template("install.html")
            .and_then(|t| t.render(ctx))
            .unwrap_or_else(|_| "This link is not available.".to_owned())
    }
}
