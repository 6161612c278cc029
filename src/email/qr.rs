//! QR codes as PNG, generated here so no third party ever sees the activation code.
use std::io::Cursor;

use image::{ImageFormat, Luma};
use qrcode::{EcLevel, QrCode};

pub fn qr_png(data: &str) -> anyhow::Result<Vec<u8>> {
    // Level M survives a smudged or compressed screenshot and keeps the code small.
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)?;
    let img = code
        .render::<Luma<u8>>()
        .min_dimensions(440, 440)
        .quiet_zone(true)
        .build();
    let mut png = Vec::new();
    img.write_to(&mut Cursor::new(&mut png), ImageFormat::Png)?;
    Ok(png)
}
