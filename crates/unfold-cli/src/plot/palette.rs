//! Qualitative colour palettes for categories.

pub(super) const TAB10: [(u8, u8, u8); 10] = [
    (0x1f, 0x77, 0xb4),
    (0xff, 0x7f, 0x0e),
    (0x2c, 0xa0, 0x2c),
    (0xd6, 0x27, 0x28),
    (0x94, 0x67, 0xbd),
    (0x8c, 0x56, 0x4b),
    (0xe3, 0x77, 0xc2),
    (0x7f, 0x7f, 0x7f),
    (0xbc, 0xbd, 0x22),
    (0x17, 0xbe, 0xcf),
];

/// The light halves of tab20, in the same hue order as [`TAB10`].
const TAB20_LIGHT: [(u8, u8, u8); 10] = [
    (0xae, 0xc7, 0xe8),
    (0xff, 0xbb, 0x78),
    (0x98, 0xdf, 0x8a),
    (0xff, 0x98, 0x96),
    (0xc5, 0xb0, 0xd5),
    (0xc4, 0x9c, 0x94),
    (0xf7, 0xb6, 0xd2),
    (0xc7, 0xc7, 0xc7),
    (0xdb, 0xdb, 0x8d),
    (0x9e, 0xda, 0xe5),
];

/// Qualitative palette with `k` colours: tab10 for up to 10, tab20 (the ten
/// dark tones first, then the ten light ones, so neighbouring codes differ
/// in hue) for up to 20, then golden-angle hues with varied saturation and
/// value.
pub(super) fn palette(k: usize) -> Vec<(u8, u8, u8)> {
    if k <= 10 {
        TAB10[..k.max(1)].to_vec()
    } else if k <= 20 {
        TAB10.iter().chain(TAB20_LIGHT.iter()).take(k).copied().collect()
    } else {
        (0..k)
            .map(|i| {
                let h = (i as f64 * 0.618_033_988_749_895).fract();
                let s = [0.80, 0.55, 0.95][i % 3];
                let v = [0.85, 0.65, 0.95][(i / 3) % 3];
                hsv_to_rgb(h, s, v)
            })
            .collect()
    }
}

fn hsv_to_rgb(h: f64, s: f64, v: f64) -> (u8, u8, u8) {
    let h6 = (h.fract() * 6.0).clamp(0.0, 5.999_999);
    let sector = h6.floor() as u32;
    let f = h6 - f64::from(sector);
    let p = v * (1.0 - s);
    let q = v * (1.0 - s * f);
    let t = v * (1.0 - s * (1.0 - f));
    let (r, g, b) = match sector {
        0 => (v, t, p),
        1 => (q, v, p),
        2 => (p, v, t),
        3 => (p, q, v),
        4 => (t, p, v),
        _ => (v, p, q),
    };
    let to8 = |c: f64| (c * 255.0).round().clamp(0.0, 255.0) as u8;
    (to8(r), to8(g), to8(b))
}
