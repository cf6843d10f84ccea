//! 2-D scatter plots of embeddings, rendered to PNG bytes in memory.
//!
//! The frame (title, axes, grid, tick labels, legend) is drawn with
//! `plotters` on an in-memory RGB buffer; the points themselves are splatted
//! straight into that buffer with alpha blending, which keeps a plot of a
//! million points at well under a second. The buffer is then PNG-encoded
//! with the `image` crate, so nothing touches the file system and the caller
//! can write the bytes atomically.
//!
//! Text uses the DejaVu Sans font bundled next to this file
//! (`DejaVuSans.ttf`, licence in `DejaVuSans-LICENSE.txt`): it is registered
//! with plotters' `ab_glyph` font table under the family name
//! `"sans-serif"` and rasterised with `ab_glyph` by a thin wrapper around
//! the bitmap backend that places glyphs correctly. No system fonts or
//! fontconfig are needed.
//!
//! Point radius and opacity shrink as the number of points grows: small
//! anti-aliased discs for a few thousand points, single low-alpha pixels
//! from a few hundred thousand on, so that density stays readable. Points
//! are drawn in a deterministic shuffled order (rows grouped by a hash of
//! their index), so a class that happens to come last in the input does not
//! paint over the others.

mod disk;
mod palette;
mod text;

use anyhow::{Result, anyhow, bail};
use image::ImageEncoder;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use palette::{TAB10, palette};
use text::{FONT_FAMILY, TextBackend, font};

pub use disk::{DiskSpec, disk_png};

/// A categorical colouring of the points: `codes[i]` indexes `names`.
pub struct Categories {
    /// One code per point, each `< names.len()`.
    pub codes: Vec<u32>,
    /// Display name of each category, shown in the legend.
    pub names: Vec<String>,
}

/// What to draw and how large: the input of [`scatter_png`].
pub struct ScatterSpec<'a> {
    /// `n × dims` coordinates, row-major. Only the first two columns are
    /// drawn; with `dims == 1` the points are drawn as a strip at `y = 0`.
    pub coords: &'a [f32],
    /// Number of columns of `coords` (at least 1).
    pub dims: usize,
    /// Optional colouring by category, with a legend; `None` draws every
    /// point in one colour.
    pub categories: Option<&'a Categories>,
    /// Title drawn at the top of the image (may be empty).
    pub title: &'a str,
    /// Image width in pixels.
    pub width: u32,
    /// Image height in pixels.
    pub height: u32,
}

/// Smallest accepted image width and height, in pixels.
const MIN_SIDE: u32 = 200;
/// Largest accepted image width and height, in pixels.
const MAX_SIDE: u32 = 16_384;
/// Above this many categories the legend only says how many there are.
const MAX_LEGEND_ENTRIES: usize = 30;
/// Legend names longer than this many characters are cut with an ellipsis.
const MAX_NAME_CHARS: usize = 32;
/// Turns a plotters error (whose type carries the backend) into `anyhow`.
fn draw_err<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow!("drawing the plot failed: {e}")
}

/// Padded axis range `(lo, hi)` of `[min, max]`: 3% of the span on each
/// side, or a small window around the value when all values are equal.
fn padded_range(min: f64, max: f64) -> (f64, f64) {
    let span = max - min;
    let scale = min.abs().max(max.abs());
    if span > scale * 1e-9 && span.is_finite() {
        (min - 0.03 * span, max + 0.03 * span)
    } else {
        let mid = 0.5 * (min + max);
        let half = if scale > 0.0 { scale * 0.05 } else { 1.0 };
        (mid - half, mid + half)
    }
}

/// Tick-label formatter for an axis over `lo..hi`: as many decimals as the
/// tick spacing needs (plus one, trailing zeros trimmed), and scientific
/// notation for very large or very small magnitudes.
fn tick_formatter(lo: f64, hi: f64) -> impl Fn(&f64) -> String {
    let magnitude = lo.abs().max(hi.abs());
    // Ticks come roughly (hi - lo) / 8 apart.
    let step = ((hi - lo) / 8.0).max(f64::MIN_POSITIVE);
    let step_exp = step.log10().floor();
    let scientific = !(1e-3..1e6).contains(&magnitude);
    let decimals = if scientific { (magnitude.log10().floor() - step_exp + 1.0).clamp(0.0, 8.0) as usize } else { (1.0 - step_exp).clamp(0.0, 8.0) as usize };
    fn trim(mantissa: &str) -> &str {
        if mantissa.contains('.') { mantissa.trim_end_matches('0').trim_end_matches('.') } else { mantissa }
    }
    move |v: &f64| {
        if v.abs() < step * 1e-6 {
            return "0".to_string();
        }
        if scientific {
            let s = format!("{v:.decimals$e}");
            match s.split_once('e') {
                Some((mantissa, exp)) => format!("{}e{exp}", trim(mantissa)),
                None => s,
            }
        } else {
            trim(&format!("{v:.decimals$}")).to_string()
        }
    }
}

/// Cuts `name` to at most [`MAX_NAME_CHARS`] characters, with an ellipsis.
fn legend_label(name: &str) -> String {
    if name.chars().count() <= MAX_NAME_CHARS {
        name.to_string()
    } else {
        let mut s: String = name.chars().take(MAX_NAME_CHARS - 1).collect();
        s.push('…');
        s
    }
}

/// Radius (pixels) and opacity of one point for `n` points on a plotting
/// area whose shorter side is `side` pixels. A radius below 0.75 means
/// "single pixel".
fn point_style(n: usize, side: f64) -> (f64, f64) {
    let l = (n.max(1) as f64).log10();
    let size_scale = (side / 850.0).clamp(0.5, 3.0);
    let radius = (2.5 - 0.7 * (l - 3.0)).clamp(0.0, 3.5) * size_scale;
    let alpha = (0.85 - 0.18 * (l - 3.0)).clamp(0.15, 0.9);
    (radius, alpha)
}

/// Number of draw-order buckets for `n` points (a power of two).
fn bucket_count(n: usize) -> usize {
    n.clamp(1, 4096).next_power_of_two()
}

/// Draw-order bucket of `row` among `buckets` (a power of two): a fixed
/// hash of the row index (the splitmix64 finaliser), so the order is
/// deterministic, every bucket holds rows from across the whole input, and
/// rows far apart in the input (say, two classes stored one after the
/// other) land in unrelated buckets.
#[inline(always)]
fn bucket_of(row: usize, buckets: usize) -> usize {
    let mut h = (row as u64).wrapping_add(0x9e37_79b9_7f4a_7c15);
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    (h & (buckets as u64 - 1)) as usize
}

/// A legend line: label and swatch colour (`None`: text only).
type LegendEntry = (String, Option<(u8, u8, u8)>);

/// One point ready to draw: continuous pixel position and palette index.
#[derive(Clone, Copy, Default)]
struct Splat {
    x: f32,
    y: f32,
    colour: u32,
}

/// Maps every row to a [`Splat`] and returns them in drawing order: rows
/// grouped by [`bucket_of`], buckets in turn, rows within a bucket in input
/// order. This interleaves the input deterministically (a class that comes
/// last in the input is spread over the whole drawing sequence) while
/// reading the input sequentially, which is far faster than visiting rows
/// in a shuffled order.
fn draw_order(n: usize, map: &PixelMap, xs: impl Fn(usize) -> f64, ys: impl Fn(usize) -> f64, colour_of: impl Fn(usize) -> u32) -> Vec<Splat> {
    let buckets = bucket_count(n);
    let mut start = vec![0usize; buckets + 1];
    for row in 0..n {
        start[bucket_of(row, buckets) + 1] += 1;
    }
    for b in 0..buckets {
        start[b + 1] += start[b];
    }
    let mut out = vec![Splat::default(); n];
    for row in 0..n {
        let (fx, fy) = map.map(xs(row), ys(row));
        let slot = &mut start[bucket_of(row, buckets)];
        out[*slot] = Splat { x: fx as f32, y: fy as f32, colour: colour_of(row) };
        *slot += 1;
    }
    out
}

/// Blends colour `c` with opacity `a` (0..=256) into the pixel at `px`.
#[inline(always)]
fn blend(px: &mut [u8], c: (u8, u8, u8), a: i32) {
    let mix = |dst: &mut u8, src: u8| {
        let d = i32::from(*dst);
        *dst = (d + (((i32::from(src) - d) * a + 128) >> 8)) as u8;
    };
    mix(&mut px[0], c.0);
    mix(&mut px[1], c.1);
    mix(&mut px[2], c.2);
}

/// Maps data coordinates to continuous pixel coordinates of the buffer and
/// holds the plotting area's pixel rectangle for clipping.
struct PixelMap {
    x_lo: f64,
    x_scale: f64,
    px_x0: f64,
    y_lo: f64,
    y_scale: f64,
    px_y0: f64,
    clip_x: (i32, i32),
    clip_y: (i32, i32),
}

impl PixelMap {
    #[inline(always)]
    fn map(&self, x: f64, y: f64) -> (f64, f64) {
        (self.px_x0 + (x - self.x_lo) * self.x_scale, self.px_y0 + (y - self.y_lo) * self.y_scale)
    }
}

/// Draws `splats` in order into `buf` (RGB, `width` pixels per row),
/// clipped to the plotting area.
fn splat_points(buf: &mut [u8], width: usize, map: &PixelMap, splats: &[Splat], palette: &[(u8, u8, u8)], radius: f64, alpha: f64) {
    let (cx0, cx1) = map.clip_x;
    let (cy0, cy1) = map.clip_y;
    let a_full = (alpha * 256.0).round() as i32;
    if radius < 0.75 {
        for p in splats {
            let (px, py) = (p.x.floor() as i32, p.y.floor() as i32);
            if px >= cx0 && px < cx1 && py >= cy0 && py < cy1 {
                let o = (py as usize * width + px as usize) * 3;
                blend(&mut buf[o..o + 3], palette[p.colour as usize], a_full);
            }
        }
        return;
    }
    // Discs centred on the continuous position; coverage falls off
    // linearly over the last pixel for anti-aliased edges.
    let reach = (radius + 0.5).ceil() as i32;
    for p in splats {
        let c = palette[p.colour as usize];
        let (ccx, ccy) = (f64::from(p.x) + 0.5, f64::from(p.y) + 0.5);
        let (bx, by) = (ccx.floor() as i32, ccy.floor() as i32);
        for py in (by - reach).max(cy0)..(by + reach + 1).min(cy1) {
            let dy = f64::from(py) + 0.5 - ccy;
            for px in (bx - reach).max(cx0)..(bx + reach + 1).min(cx1) {
                let dx = f64::from(px) + 0.5 - ccx;
                let cover = (radius + 0.5 - (dx * dx + dy * dy).sqrt()).clamp(0.0, 1.0);
                if cover > 0.0 {
                    let a = (alpha * cover * 256.0).round() as i32;
                    let o = (py as usize * width + px as usize) * 3;
                    blend(&mut buf[o..o + 3], c, a);
                }
            }
        }
    }
}

/// Renders a scatter plot of `spec` and returns the PNG file's bytes.
///
/// Errors when there is nothing to plot (no rows), when `coords` does not
/// hold whole rows of `dims` values, when a coordinate is NaN or infinite
/// (the message names the row), when the categories do not match the rows,
/// or when the image size is outside 200..=16384 pixels per side.
pub fn scatter_png(spec: &ScatterSpec) -> Result<Vec<u8>> {
    render(spec, false)
}

/// [`scatter_png`] of points in the Poincaré disk: the unit circle drawn, the axes from −1.05 to
/// 1.05 along the shorter side of the plotting area and at the same scale along the other, so the
/// circle is round.
pub fn scatter_png_in_disk(spec: &ScatterSpec) -> Result<Vec<u8>> {
    render(spec, true)
}

fn render(spec: &ScatterSpec, disk: bool) -> Result<Vec<u8>> {
    let dims = spec.dims;
    if dims == 0 {
        bail!("cannot plot: dims must be at least 1");
    }
    if !spec.coords.len().is_multiple_of(dims) {
        bail!("cannot plot: {} coordinates do not form whole rows of {dims} columns", spec.coords.len());
    }
    let n = spec.coords.len() / dims;
    if n == 0 {
        bail!("nothing to plot: there are no points");
    }
    let (width, height) = (spec.width, spec.height);
    if !(MIN_SIDE..=MAX_SIDE).contains(&width) || !(MIN_SIDE..=MAX_SIDE).contains(&height) {
        bail!("cannot plot: image size {width}x{height} is outside {MIN_SIDE}..={MAX_SIDE} pixels per side");
    }

    // Validate every row and find the data range of the drawn columns.
    let (mut x_min, mut x_max) = (f64::INFINITY, f64::NEG_INFINITY);
    let (mut y_min, mut y_max) = (f64::INFINITY, f64::NEG_INFINITY);
    for (row, values) in spec.coords.chunks_exact(dims).enumerate() {
        if let Some(col) = values.iter().position(|v| !v.is_finite()) {
            bail!("cannot plot: row {row} has a non-finite coordinate ({} in column {col})", values[col]);
        }
        let x = f64::from(values[0]);
        x_min = x_min.min(x);
        x_max = x_max.max(x);
        if dims >= 2 {
            let y = f64::from(values[1]);
            y_min = y_min.min(y);
            y_max = y_max.max(y);
        }
    }
    let one_d = dims == 1;
    let disk = disk && !one_d;
    const DISK_HALF: f64 = 1.05;
    let (mut x_lo, mut x_hi) = if disk { (-DISK_HALF, DISK_HALF) } else { padded_range(x_min, x_max) };
    let (y_lo, y_hi) = if disk {
        (-DISK_HALF, DISK_HALF)
    } else if one_d {
        (-1.0, 1.0)
    } else {
        padded_range(y_min, y_max)
    };

    if let Some(cats) = spec.categories {
        if cats.codes.len() != n {
            bail!("cannot plot: {} category codes for {n} points", cats.codes.len());
        }
        if let Some(row) = cats.codes.iter().position(|&c| c as usize >= cats.names.len()) {
            bail!("cannot plot: row {row} has category code {} but there are only {} category names", cats.codes[row], cats.names.len());
        }
    }
    let n_cats = spec.categories.map_or(1, |c| c.names.len());
    let colours = palette(n_cats);

    let font = font()?;

    let (w, h) = (width as usize, height as usize);
    let mut buf = vec![255u8; w * h * 3];
    // Text sizes grow gently with the image's shorter side (1000 px =
    // nominal size).
    let s = (f64::from(width.min(height)) / 1000.0).sqrt().clamp(0.75, 2.5);
    let px = |v: f64| (v * s).round() as i32;

    let map = {
        let backend = TextBackend { inner: BitMapBackend::with_buffer(&mut buf, (width, height)), font };
        let root = backend.into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;

        let plot_area = if spec.title.trim().is_empty() {
            root.margin(px(12.0), 0, 0, 0)
        } else {
            // Shrink the title to fit the width if it is long.
            let mut title_px = f64::from(px(24.0));
            let (tw, _) = root.estimate_text_size(spec.title, &TextStyle::from((FONT_FAMILY, title_px).into_font())).map_err(draw_err)?;
            let room = f64::from(width) - 2.0 * f64::from(px(10.0));
            if f64::from(tw) > room {
                title_px = (title_px * room / f64::from(tw)).max(9.0).floor();
            }
            let title_style = (FONT_FAMILY, title_px).into_font().color(&RGBColor(40, 40, 40));
            root.margin(px(10.0), 0, 0, 0).titled(spec.title, title_style).map_err(draw_err)?
        };

        // Legend panel on the right, sized to its widest entry.
        let legend: Option<Vec<LegendEntry>> = spec.categories.map(|cats| {
            if cats.names.len() <= MAX_LEGEND_ENTRIES {
                cats.names.iter().zip(colours.iter()).map(|(name, &c)| (legend_label(name), Some(c))).collect()
            } else {
                vec![(format!("{} categories", cats.names.len()), None)]
            }
        });
        let (chart_area, legend_area) = match &legend {
            Some(entries) => {
                let rows = entries.len().max(1) as f64;
                // Shrink the legend font if the entries would not fit.
                let avail = f64::from(plot_area.dim_in_pixel().1) - 24.0 * s;
                let font_px = (15.0 * s).min(avail / (rows * 1.55)).max(7.0);
                let font = TextStyle::from((FONT_FAMILY, font_px).into_font());
                let mut text_w = 0u32;
                for (label, _) in entries {
                    let (tw, _) = root.estimate_text_size(label, &font).map_err(draw_err)?;
                    text_w = text_w.max(tw);
                }
                let swatch = (font_px * 0.8).round();
                let legend_w = (swatch + font_px * 0.6 + f64::from(text_w) + 2.0 * font_px).ceil().min(f64::from(width) * 0.4) as u32;
                let (left, right) = plot_area.split_horizontally(width - legend_w);
                (left, Some((right, font_px, swatch as i32)))
            }
            None => (plot_area, None),
        };

        let y_fmt = tick_formatter(y_lo, y_hi);
        let label_font = (FONT_FAMILY, f64::from(px(14.0))).into_font().color(&RGBColor(90, 90, 90));
        // Room for the widest y tick label (the range ends format longest),
        // plus the tick mark and its gap.
        let y_label_w = if one_d {
            px(10.0)
        } else {
            let mut widest = 0u32;
            for v in [y_lo, y_hi, -y_lo.abs().max(y_hi.abs())] {
                let (tw, _) = root.estimate_text_size(&y_fmt(&v), &label_font).map_err(draw_err)?;
                widest = widest.max(tw);
            }
            widest as i32 + px(22.0)
        };
        if disk {
            // The plotting area as the chart below lays it out: widen the x range to its aspect.
            let (cw, ch) = chart_area.dim_in_pixel();
            let pw = f64::from(cw) - f64::from(px(12.0) + px(16.0) + y_label_w);
            let ph = f64::from(ch) - f64::from(px(8.0) + px(8.0) + px(34.0));
            if pw > 0.0 && ph > 0.0 {
                let half = DISK_HALF * (pw / ph).max(1.0);
                (x_lo, x_hi) = (-half, half);
            }
        }
        let x_fmt = tick_formatter(x_lo, x_hi);
        let mut chart = ChartBuilder::on(&chart_area)
            .margin_left(px(12.0))
            .margin_right(px(16.0))
            .margin_top(px(8.0))
            .margin_bottom(px(8.0))
            .x_label_area_size(px(34.0))
            .y_label_area_size(y_label_w)
            .build_cartesian_2d(x_lo..x_hi, y_lo..y_hi)
            .map_err(draw_err)?;

        let mut mesh = chart.configure_mesh();
        mesh.light_line_style(RGBColor(244, 244, 244))
            .max_light_lines(4)
            .bold_line_style(RGBColor(226, 226, 226))
            .axis_style(RGBColor(170, 170, 170))
            .label_style(label_font)
            .x_labels(9)
            .y_labels(if one_d { 0 } else { 9 })
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt);
        if one_d {
            mesh.disable_y_mesh();
        }
        mesh.draw().map_err(draw_err)?;
        if disk {
            let circle = (0..=720).map(|i| {
                let t = f64::from(i) * std::f64::consts::PI / 360.0;
                (t.cos(), t.sin())
            });
            let style = RGBColor(90, 90, 90).stroke_width(px(1.5).max(1) as u32);
            chart.draw_series(std::iter::once(PathElement::new(circle.collect::<Vec<_>>(), style))).map_err(draw_err)?;
        }

        if let (Some(entries), Some((area, font_px, swatch))) = (&legend, &legend_area) {
            let text_style = (FONT_FAMILY, *font_px).into_font().color(&RGBColor(50, 50, 50)).pos(Pos::new(HPos::Left, VPos::Center));
            let row_h = (font_px * 1.55).round() as i32;
            let x0 = (font_px * 0.5).round() as i32;
            // First row level with the top of the plotting area.
            let mut centre = px(8.0) + row_h / 2;
            for (label, colour) in entries {
                let mut tx = x0;
                if let Some(c) = colour {
                    let top = centre - swatch / 2;
                    area.draw(&Rectangle::new([(x0, top), (x0 + swatch, top + swatch)], RGBColor(c.0, c.1, c.2).filled())).map_err(draw_err)?;
                    tx += swatch + (font_px * 0.6).round() as i32;
                }
                area.draw(&Text::new(label.clone(), (tx, centre), text_style.clone())).map_err(draw_err)?;
                centre += row_h;
            }
        }

        // Pixel geometry of the plotting area, for drawing the points.
        let (range_x, range_y) = chart.plotting_area().get_pixel_range();
        let (ax, ay) = chart.backend_coord(&(x_lo, y_lo));
        let (bx, by) = chart.backend_coord(&(x_hi, y_hi));
        root.present().map_err(draw_err)?;
        PixelMap {
            x_lo,
            x_scale: f64::from(bx - ax) / (x_hi - x_lo),
            px_x0: f64::from(ax),
            y_lo,
            y_scale: f64::from(by - ay) / (y_hi - y_lo),
            px_y0: f64::from(ay),
            clip_x: (range_x.start.max(0), range_x.end.min(width as i32)),
            clip_y: (range_y.start.max(0), range_y.end.min(height as i32)),
        }
    };

    let plot_side = f64::from((map.clip_x.1 - map.clip_x.0).min(map.clip_y.1 - map.clip_y.0));
    let (radius, alpha) = point_style(n, plot_side);
    let coords = spec.coords;
    let xs = |row: usize| f64::from(coords[row * dims]);
    let ys = |row: usize| {
        if one_d { 0.0 } else { f64::from(coords[row * dims + 1]) }
    };
    let splats = match spec.categories {
        Some(cats) => draw_order(n, &map, xs, ys, |row| cats.codes[row]),
        None => draw_order(n, &map, xs, ys, |_| 0),
    };
    let point_colours = if spec.categories.is_some() { &colours[..] } else { &TAB10[..1] };
    splat_points(&mut buf, w, &map, &splats, point_colours, radius, alpha);
    drop(splats);

    let mut png = Vec::with_capacity(w * h / 4);
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(&buf, width, height, image::ColorType::Rgb8)
        .map_err(|e| anyhow!("encoding the plot as PNG failed: {e}"))?;
    Ok(png)
}

#[cfg(test)]
mod tests;
