//! QR codes as PNG, generated here so no third party ever sees the activation code.
use qrcode::{Color, EcLevel, QrCode};

/// Modules of white around the code, as the QR standard asks.
const QUIET_ZONE: usize = 4;
/// The smallest side in pixels: large enough to scan from a laptop screen.
const MIN_SIDE: usize = 440;

/// A black-and-white PNG of one bit per pixel: an eighth of the bytes to compress and send
/// that an 8-bit image would take, and every mail client shows it.
pub fn qr_png(data: &str) -> anyhow::Result<Vec<u8>> {
    // Level M survives a smudged or compressed screenshot and keeps the code small.
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)?;
    let width = code.width();
    let modules = width + 2 * QUIET_ZONE;
    let scale = MIN_SIDE.div_ceil(modules);
    let side = modules * scale;
    let colors = code.to_colors();
    let row_bytes = side.div_ceil(8);
    let mut pixels = Vec::with_capacity(row_bytes * side);
    // Each row of modules makes one row of pixels, repeated `scale` times.
    for my in 0..modules {
        let mut row = vec![0xFFu8; row_bytes];
        for mx in QUIET_ZONE..QUIET_ZONE + width {
            let inside = (QUIET_ZONE..QUIET_ZONE + width).contains(&my);
            if inside && colors[(my - QUIET_ZONE) * width + (mx - QUIET_ZONE)] == Color::Dark {
                for x in mx * scale..(mx + 1) * scale {
                    row[x / 8] &= !(0x80 >> (x % 8));
                }
            }
        }
        for _ in 0..scale {
            pixels.extend_from_slice(&row);
        }
    }
    let mut png = Vec::new();
    let mut encoder = png::Encoder::new(&mut png, side as u32, side as u32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::One);
    encoder.set_compression(png::Compression::Fast);
    encoder.write_header()?.write_image_data(&pixels)?;
    Ok(png)
}
