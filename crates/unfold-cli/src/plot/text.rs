//! Text for plots: the bundled DejaVu Sans font and a bitmap backend that lays text out itself.

use std::sync::OnceLock;

use ab_glyph::{Font as _, FontRef, PxScale, ScaleFont as _, point};
use anyhow::{Result, anyhow};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use plotters::style::{FontStyle, register_font};
use plotters_backend::{BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind};

/// Font family under which the bundled font is registered.
pub(super) const FONT_FAMILY: &str = "sans-serif";

static FONT_BYTES: &[u8] = include_bytes!("DejaVuSans.ttf");
static FONT: OnceLock<std::result::Result<FontRef<'static>, String>> = OnceLock::new();

/// The bundled font, parsed once; also registered with plotters under
/// [`FONT_FAMILY`] so that any text plotters lays out itself finds it.
pub(super) fn font() -> Result<&'static FontRef<'static>> {
    FONT.get_or_init(|| {
        register_font(FONT_FAMILY, FontStyle::Normal, FONT_BYTES).map_err(|_| "the bundled DejaVu Sans font could not be registered".to_string())?;
        FontRef::try_from_slice(FONT_BYTES).map_err(|e| format!("the bundled DejaVu Sans font could not be parsed: {e}"))
    })
    .as_ref()
    .map_err(|e| anyhow!("{e}"))
}

/// A [`BitMapBackend`] that lays out and rasterises text itself with
/// `ab_glyph`, honouring side bearings, kerning, sub-pixel glyph positions
/// and text anchors (plotters' own `ab_glyph` text path drops the side
/// bearings, which visibly misplaces letters). Everything else is passed
/// through unchanged. Every text style is drawn in the bundled font.
pub(super) struct TextBackend<'a> {
    pub(super) inner: BitMapBackend<'a>,
    pub(super) font: &'static FontRef<'static>,
}

impl TextBackend<'_> {
    /// Advance width of `text` in pixels at pixel height `size`.
    pub(super) fn text_width(&self, text: &str, size: f32) -> f32 {
        let scaled = self.font.as_scaled(PxScale::from(size));
        let mut width = 0.0;
        let mut prev = None;
        for ch in text.chars() {
            let id = scaled.glyph_id(ch);
            if let Some(p) = prev {
                width += scaled.kern(p, id);
            }
            width += scaled.h_advance(id);
            prev = Some(id);
        }
        width
    }
}

impl<'a> DrawingBackend for TextBackend<'a> {
    type ErrorType = <BitMapBackend<'a> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> std::result::Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> std::result::Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> std::result::Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(&mut self, from: BackendCoord, to: BackendCoord, style: &S) -> std::result::Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> std::result::Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn blit_bitmap(&mut self, pos: BackendCoord, size: (u32, u32), src: &[u8]) -> std::result::Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn estimate_text_size<S: BackendTextStyle>(&self, text: &str, style: &S) -> std::result::Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        let size = style.size() as f32;
        let scaled = self.font.as_scaled(PxScale::from(size));
        let height = scaled.ascent() - scaled.descent();
        Ok((self.text_width(text, size).ceil() as u32, height.ceil() as u32))
    }

    fn draw_text<S: BackendTextStyle>(&mut self, text: &str, style: &S, pos: BackendCoord) -> std::result::Result<(), DrawingErrorKind<Self::ErrorType>> {
        let color = style.color();
        if color.alpha <= 0.0 || text.is_empty() {
            return Ok(());
        }
        let font = self.font;
        let size = style.size() as f32;
        let scaled = font.as_scaled(PxScale::from(size));
        let anchor = style.anchor();
        let width = self.text_width(text, size);
        let origin_x = match anchor.h_pos {
            HPos::Left => 0.0,
            HPos::Center => -0.5 * width,
            HPos::Right => -width,
        };
        // Baseline offset from the anchor point (y grows downwards).
        let origin_y = match anchor.v_pos {
            VPos::Top => scaled.ascent(),
            VPos::Bottom => scaled.descent(),
            VPos::Center => {
                // Centre on the capital height, which centres digits and
                // most labels visually. (Unscaled outline bounds keep the
                // font's y-up units, with the glyph's top in `min.y`.)
                let cap = font.outline(font.glyph_id('H')).map_or(0.62 * size, |o| o.bounds.min.y * scaled.v_scale_factor());
                0.5 * cap
            }
        };
        let transform = style.transform();
        let mut caret = origin_x;
        let mut prev = None;
        let mut result = Ok(());
        for ch in text.chars() {
            let id = scaled.glyph_id(ch);
            if let Some(p) = prev {
                caret += scaled.kern(p, id);
            }
            let glyph = id.with_scale_and_position(size, point(caret, origin_y));
            caret += scaled.h_advance(id);
            prev = Some(id);
            let Some(outline) = scaled.outline_glyph(glyph) else {
                continue;
            };
            let bounds = outline.px_bounds();
            let inner = &mut self.inner;
            outline.draw(|x, y, coverage| {
                if coverage <= 0.0 || result.is_err() {
                    return;
                }
                let dx = bounds.min.x as i32 + x as i32;
                let dy = bounds.min.y as i32 + y as i32;
                let (tx, ty) = transform.transform(dx, dy);
                result = inner.draw_pixel((pos.0 + tx, pos.1 + ty), color.mix(f64::from(coverage.min(1.0))));
            });
            if result.is_err() {
                break;
            }
        }
        result
    }
}
