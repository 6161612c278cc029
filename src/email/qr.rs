//! QR codes as PNG, generated here so no third party ever sees the activation code.
use qrcode::{Color, EcLevel, QrCode};

/// Modules of white around the code, as the QR standard asks.
const QUIET_ZONE: usize = 4;
/// The smallest side in pixels: large enough to scan from a laptop screen.
const MIN_SIDE: usize = 440;

pub fn qr_png(data: &str) -> anyhow::Result<Vec<u8>> {
    // Level M survives a smudged or compressed screenshot and keeps the code small.
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)?;
    let modules = code.width() + 2 * QUIET_ZONE;
    let scale = MIN_SIDE.div_ceil(modules);
    let side = modules * scale;
    let colors = code.to_colors();
    let dark = |x: usize, y: usize| {
        let (mx, my) = (x / scale, y / scale);
        let inside = QUIET_ZONE..QUIET_ZONE + code.width();
        inside.contains(&mx)
            && inside.contains(&my)
            && colors[(my - QUIET_ZONE) * code.width() + (mx - QUIET_ZONE)] == Color::Dark
    };
    let mut pixels = Vec::with_capacity(side * side);
    for y in 0..side {
        pixels.extend((0..side).map(|x| if dark(x, y) { 0u8 } else { 255 }));
    }
    let mut png = Vec::new();
    let mut encoder = png::Encoder::new(&mut png, side as u32, side as u32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.write_header()?.write_image_data(&pixels)?;
    Ok(png)
}
