//! Writing a frame to a PNG (for `kata-cloud gui --screenshot`).

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

/// Why a screenshot could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ScreenshotError {
    #[error("cannot create {path:?}: {source}")]
    Create {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("cannot encode the PNG: {0}")]
    Encode(#[from] png::EncodingError),
}

/// Writes an RGBA image as PNG.
pub fn write_png(path: &Path, image: &egui::ColorImage) -> Result<(), ScreenshotError> {
    let file = File::create(path).map_err(|source| ScreenshotError::Create {
        path: path.to_path_buf(),
        source,
    })?;
    let [w, h] = image.size;
    let mut encoder = png::Encoder::new(
        BufWriter::new(file),
        u32::try_from(w).unwrap_or(0),
        u32::try_from(h).unwrap_or(0),
    );
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(image.as_raw())?;
    writer.finish()?;
    Ok(())
}
