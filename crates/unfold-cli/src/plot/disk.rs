//! The Poincaré disk: the unit circle, points of a 2-D hyperbolic embedding coloured by their
//! depth in the hierarchy, and the names of a few nodes.

use anyhow::{Result, anyhow, bail};
use image::ImageEncoder;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::draw_err;
use super::palette::TAB10;
use super::text::{FONT_FAMILY, TextBackend, font};

/// What [`disk_png`] draws.
pub struct DiskSpec<'a> {
    /// `n × dims` coordinates in the unit ball; the first two columns are drawn.
    pub coords: &'a [f64],
    /// Columns of `coords` (at least 2).
    pub dims: usize,
    /// A colour class per point (the depth), cycled through the palette.
    pub depth: &'a [usize],
    /// `(row, name)` of the points to label.
    pub labels: &'a [(usize, &'a str)],
    /// Title above the disk.
    pub title: &'a str,
    /// Side of the square image in pixels.
    pub side: u32,
}

/// Renders `spec` and returns the PNG file's bytes.
pub fn disk_png(spec: &DiskSpec) -> Result<Vec<u8>> {
    let dims = spec.dims;
    if dims < 2 || !spec.coords.len().is_multiple_of(dims) {
        bail!("cannot plot the Poincaré disk: it needs 2 columns (use --dims 2), not {dims}");
    }
    let n = spec.coords.len() / dims;
    if let Some(row) = (0..n).find(|&i| !spec.coords[i * dims..i * dims + 2].iter().all(|v| v.is_finite())) {
        bail!("cannot plot: row {row} has a non-finite coordinate");
    }
    let side = spec.side.clamp(200, 16_384);
    let font = font()?;
    let mut buf = vec![255u8; side as usize * side as usize * 3];
    let s = (f64::from(side) / 1000.0).sqrt().clamp(0.75, 2.5);
    {
        let backend = TextBackend { inner: BitMapBackend::with_buffer(&mut buf, (side, side)), font };
        let root = backend.into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        let title_style = (FONT_FAMILY, 22.0 * s).into_font().color(&RGBColor(40, 40, 40));
        let area = root.margin((10.0 * s) as i32, (10.0 * s) as i32, (10.0 * s) as i32, (10.0 * s) as i32).titled(spec.title, title_style).map_err(draw_err)?;
        let mut chart = ChartBuilder::on(&area).build_cartesian_2d(-1.04f64..1.04, -1.04f64..1.04).map_err(draw_err)?;
        let circle = (0..=720).map(|i| {
            let t = std::f64::consts::TAU * f64::from(i) / 720.0;
            (t.cos(), t.sin())
        });
        chart
            .draw_series(std::iter::once(PathElement::new(circle.collect::<Vec<_>>(), RGBColor(120, 120, 120).stroke_width((1.5 * s) as u32))))
            .map_err(draw_err)?;
        let radius = ((4.0 - (n as f64).log10()).clamp(1.0, 3.0) * s) as i32;
        chart
            .draw_series((0..n).map(|i| {
                let c = TAB10[spec.depth.get(i).copied().unwrap_or(0) % TAB10.len()];
                Circle::new((spec.coords[i * dims], spec.coords[i * dims + 1]), radius, RGBColor(c.0, c.1, c.2).mix(0.7).filled())
            }))
            .map_err(draw_err)?;
        let text = (FONT_FAMILY, 13.0 * s).into_font().color(&RGBColor(20, 20, 20)).pos(Pos::new(HPos::Left, VPos::Center));
        for &(row, name) in spec.labels {
            let (x, y) = (spec.coords[row * dims], spec.coords[row * dims + 1]);
            chart.draw_series(std::iter::once(Circle::new((x, y), radius + 2, BLACK.stroke_width(1)))).map_err(draw_err)?;
            let at = chart.backend_coord(&(x, y));
            root.draw(&Text::new(name.to_string(), (at.0 + radius + 4, at.1), text.clone())).map_err(draw_err)?;
        }
        root.present().map_err(draw_err)?;
    }
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(&buf, side, side, image::ColorType::Rgb8)
        .map_err(|e| anyhow!("encoding the plot as PNG failed: {e}"))?;
    Ok(png)
}
