//! Tests of the scatter renderer.

use super::*;

fn decode(png: &[u8]) -> image::RgbImage {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    image::load_from_memory_with_format(png, image::ImageFormat::Png).expect("valid PNG").to_rgb8()
}

/// Deterministic pseudo-random blobs: `k` clusters, `n` points.
fn blobs(n: usize, k: usize) -> (Vec<f32>, Vec<u32>) {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut coords = Vec::with_capacity(2 * n);
    let mut codes = Vec::with_capacity(n);
    for i in 0..n {
        let c = i * k / n.max(1);
        let angle = c as f64 / k as f64 * std::f64::consts::TAU;
        coords.push((5.0 * angle.cos() + next() - 0.5) as f32);
        coords.push((5.0 * angle.sin() + next() - 0.5) as f32);
        codes.push(c as u32);
    }
    (coords, codes)
}

fn non_white(img: &image::RgbImage) -> usize {
    img.pixels().filter(|p| p.0 != [255, 255, 255]).count()
}

#[test]
fn png_has_signature_and_requested_size() {
    let (coords, _) = blobs(500, 3);
    let spec = ScatterSpec { coords: &coords, dims: 2, categories: None, title: "test plot", width: 640, height: 480 };
    let png = scatter_png(&spec).unwrap();
    // IHDR by hand: width and height are the first two big-endian u32s.
    assert_eq!(&png[12..16], b"IHDR");
    assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 640);
    assert_eq!(u32::from_be_bytes(png[20..24].try_into().unwrap()), 480);
    let img = decode(&png);
    assert_eq!(img.dimensions(), (640, 480));
    // Points in the default (tab10 blue) colour are present.
    let blueish = img.pixels().filter(|p| p.0[2] > p.0[0].saturating_add(60) && p.0[2] > 150).count();
    assert!(blueish > 500, "expected blue points, found {blueish} pixels");
}

#[test]
fn legend_with_ten_categories() {
    let (coords, codes) = blobs(5_000, 10);
    let cats = Categories { codes, names: (0..10).map(|i| format!("class {i}")).collect() };
    let spec = ScatterSpec { coords: &coords, dims: 2, categories: Some(&cats), title: "ten classes", width: 900, height: 700 };
    let img = decode(&scatter_png(&spec).unwrap());
    assert_eq!(img.dimensions(), (900, 700));
    // Every legend swatch is drawn at full opacity, so each tab10
    // colour appears exactly somewhere in the image.
    for &(r, g, b) in &TAB10 {
        assert!(img.pixels().any(|p| p.0 == [r, g, b]), "colour {r},{g},{b} missing");
    }
    // The legend sits right of the plotting area: its column holds the
    // swatches but no scattered points beyond them.
    let right_strip = (700..900).flat_map(|x| (0..700).map(move |y| (x, y))).filter(|&(x, y)| img.get_pixel(x, y).0 != [255, 255, 255]).count();
    assert!(right_strip > 0, "legend missing");
}

#[test]
fn many_categories_are_summarised() {
    let n = 2_000;
    let cats = Categories { codes: (0..n as u32).map(|i| i % 45).collect(), names: (0..45).map(|i| format!("c{i}")).collect() };
    let (coords, _) = blobs(n, 45);
    let spec = ScatterSpec { coords: &coords, dims: 2, categories: Some(&cats), title: "", width: 500, height: 400 };
    let img = decode(&scatter_png(&spec).unwrap());
    assert_eq!(img.dimensions(), (500, 400));
    assert_eq!(palette(45).len(), 45);
}

#[test]
fn one_dimensional_strip() {
    let coords: Vec<f32> = (0..1_000).map(|i| (i as f32 * 0.37).sin() * 3.0).collect();
    let spec = ScatterSpec { coords: &coords, dims: 1, categories: None, title: "strip", width: 600, height: 300 };
    let img = decode(&scatter_png(&spec).unwrap());
    assert_eq!(img.dimensions(), (600, 300));
    // All points lie on one horizontal band: find the rows holding
    // strongly blue pixels and check they are few and adjacent.
    let rows: Vec<u32> = (0..300)
        .filter(|&y| {
            (0..600).any(|x| {
                let p = img.get_pixel(x, y).0;
                p[2] > 150 && p[0] < 120
            })
        })
        .collect();
    assert!(!rows.is_empty(), "no points drawn");
    assert!(rows.last().unwrap() - rows.first().unwrap() < 12, "rows {rows:?}");
}

#[test]
fn nan_row_is_named() {
    for (index, bad, row) in [(7 * 2 + 1, f32::NAN, 7), (3 * 2, f32::INFINITY, 3)] {
        let mut coords = vec![0.5f32; 20];
        coords[index] = bad;
        let spec = ScatterSpec { coords: &coords, dims: 2, categories: None, title: "", width: 400, height: 300 };
        let msg = scatter_png(&spec).unwrap_err().to_string();
        assert!(msg.contains(&format!("row {row}")), "{msg}");
    }
}

#[test]
fn no_points_is_an_error() {
    let spec = ScatterSpec { coords: &[], dims: 2, categories: None, title: "", width: 400, height: 300 };
    let msg = scatter_png(&spec).unwrap_err().to_string();
    assert!(msg.contains("nothing to plot"), "{msg}");
}

#[test]
fn mismatched_categories_are_errors() {
    let coords = vec![0.0f32, 1.0, 2.0, 3.0];
    let short = Categories { codes: vec![0], names: vec!["a".into()] };
    let spec = ScatterSpec { coords: &coords, dims: 2, categories: Some(&short), title: "", width: 400, height: 300 };
    assert!(scatter_png(&spec).is_err());
    let bad = Categories { codes: vec![0, 5], names: vec!["a".into()] };
    let spec = ScatterSpec { categories: Some(&bad), ..spec };
    let msg = scatter_png(&spec).unwrap_err().to_string();
    assert!(msg.contains("row 1"), "{msg}");
}

#[test]
fn single_point_and_constant_data() {
    let coords = vec![2.0f32, 2.0, 2.0, 2.0];
    let spec = ScatterSpec { coords: &coords, dims: 2, categories: None, title: "constant", width: 400, height: 300 };
    let img = decode(&scatter_png(&spec).unwrap());
    assert!(non_white(&img) > 0);
    let one = [0.0f32, 0.0];
    let spec = ScatterSpec { coords: &one, ..spec };
    decode(&scatter_png(&spec).unwrap());
}

#[test]
fn later_class_does_not_hide_earlier_one() {
    // Two classes with the same distribution, input sorted by class.
    // Drawn in input order, the class stored second would cover the
    // other; with the interleaved order, swapping which class is stored
    // second barely changes the picture. Checked both for independent
    // samples and for exact duplicates.
    let n = 200_000;
    let (independent, _) = blobs(n, 1);
    let mut duplicated = independent[..n].to_vec();
    duplicated.extend_from_within(..);
    // Pixels of the plotting area where blue (code 0 colour) dominates.
    let blue_pixels = |coords: &[f32], blue_first: bool| {
        let cats = Categories { codes: (0..n).map(|i| u32::from((i >= n / 2) == blue_first)).collect(), names: vec!["blue".into(), "orange".into()] };
        let spec = ScatterSpec { coords, dims: 2, categories: Some(&cats), title: "", width: 400, height: 400 };
        let img = decode(&scatter_png(&spec).unwrap());
        img.enumerate_pixels().filter(|&(x, _, p)| x < 300 && i32::from(p.0[2]) > i32::from(p.0[0]) + 20).count()
    };
    for coords in [&independent, &duplicated] {
        let blue_first = blue_pixels(coords, true);
        let blue_last = blue_pixels(coords, false);
        assert!(blue_first > 1_000, "{blue_first}");
        let ratio = blue_first as f64 / blue_last as f64;
        assert!((0.85..1.18).contains(&ratio), "blue first {blue_first}, last {blue_last}");
    }
}

#[test]
fn draw_order_is_an_interleaved_permutation() {
    let map = PixelMap { x_lo: 0.0, x_scale: 1.0, px_x0: 0.0, y_lo: 0.0, y_scale: 1.0, px_y0: 0.0, clip_x: (0, 1 << 20), clip_y: (0, 1) };
    for n in [1usize, 2, 3, 10, 97, 1_000, 5_000, 100_000] {
        let order = draw_order(n, &map, |r| r as f64, |_| 0.0, |r| (r * 10 / n) as u32);
        let mut seen = vec![false; n];
        for p in &order {
            let row = p.x as usize;
            assert!(!seen[row], "n={n}: row {row} twice");
            seen[row] = true;
        }
        assert!(seen.iter().all(|&s| s), "n={n}: a row is missing");
        // Input sorted by class: every tenth of the drawing sequence
        // still contains every class.
        if n >= 1_000 {
            for chunk in order.chunks(n / 10) {
                let mut classes = [false; 10];
                for p in chunk {
                    classes[p.colour as usize] = true;
                }
                assert!(classes.iter().all(|&c| c), "n={n}: a class is missing from a chunk");
            }
        }
    }
}

#[test]
fn disk_plots_draw_the_unit_circle() {
    let coords: Vec<f32> = (0..200)
        .flat_map(|i| {
            let t = i as f32 * 0.1;
            [0.5 * t.cos(), 0.5 * t.sin()]
        })
        .collect();
    let spec = ScatterSpec { coords: &coords, dims: 2, categories: None, title: "", width: 600, height: 400 };
    let plain = decode(&scatter_png(&spec).unwrap());
    let disk = decode(&scatter_png_in_disk(&spec).unwrap());
    // The circle's grey: in the disk plot only.
    let grey = |img: &image::RgbImage| img.pixels().filter(|p| p.0 == [90, 90, 90]).count();
    assert!(grey(&disk) > 200 && grey(&plain) < grey(&disk) / 10, "{} {}", grey(&disk), grey(&plain));
}
