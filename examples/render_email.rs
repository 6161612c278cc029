//! Writes each locale's email as a standalone HTML file, the QR code inlined as a data URI
//! (a browser cannot resolve `cid:`), for `scripts/render-emails` to screenshot.
use std::path::PathBuf;

use base64::{Engine, engine::general_purpose::STANDARD as B64};
use esim_courier::email::{EmailContext, SUPPORTED_LOCALES, Templates, qr_png};

fn main() -> anyhow::Result<()> {
    let out: PathBuf = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/email-preview".into())
        .into();
    std::fs::create_dir_all(&out)?;
    let templates = Templates::new()?;
    // Gigs' documentation example, as in the test fixtures.
    let code = "LPA:1$smdp.gigs.com$2M-3L0MX-F8HE2";
    let qr = format!("data:image/png;base64,{}", B64.encode(qr_png(code)?));
    let ios = format!("https://esimsetup.apple.com/esim_qrcode_provisioning?carddata={code}");
    let android = format!("https://esimsetup.android.com/esim_qrcode_provisioning?carddata={code}");
    for locale in SUPPORTED_LOCALES {
        let rendered = templates.render(&EmailContext {
            kind: esim_courier::domain::DeliveryKind::Activation,
            locale,
            brand: "Acme Mobile",
            support_url: Some("https://acme.example/help"),
            name: Some("Jerry Seinfeld"),
            install_link: Some(
                "https://esim.acme.example/install/Xq3bT9wLr2mPz8KdVh4sNc7YfJ1gAeU6",
            ),
            ios_url: Some(&ios),
            android_url: Some(&android),
            smdp: "smdp.gigs.com",
            matching_id: "2M-3L0MX-F8HE2",
            qr_cid: "QR",
        })?;
        let html = rendered.html.replace("cid:QR", &qr);
        let path = out.join(format!("email-{locale}.html"));
        std::fs::write(&path, html)?;
        std::fs::write(
            out.join(format!("email-{locale}.txt")),
            format!("Subject: {}\n\n{}", rendered.subject, rendered.text),
        )?;
        println!("{}", path.display());
    }
    Ok(())
}
