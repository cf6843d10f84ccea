//! Intrinsic-dimension estimators against scikit-dimension 0.5
//! (fixtures/make_intrinsic_dim_fixtures.py) and closed forms.

use unfold_learn::Metric;
use unfold_learn::data::Data;
use unfold_learn::knn::{KnnAlgorithm, KnnGraph, KnnParams, knn};
use unfold_learn::measure::intrinsic_dim::{
    Combine, EssVersion, LpcaVersion, MindVersion, TwoNnMethod, corr_int, data_spectrum, ess_pointwise, lpca, lpca_pointwise, mada_pointwise, mind_ml,
    mle_pointwise, twonn,
};
use unfold_learn::progress::NoProgress;

use crate::common::{fixtures, load_fixture};

fn expected(name: &str) -> serde_json::Value {
    let all: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(fixtures().join("id_expected.json")).unwrap()).unwrap();
    all[name].clone()
}

fn data(name: &str) -> Data<'static> {
    let (x, n, d) = load_fixture(&format!("{name}.npy"));
    Data::from_vec(x.iter().map(|&v| v as f32).collect(), n, d).unwrap()
}

fn graph(x: &Data, k: usize) -> KnnGraph {
    knn(x, &KnnParams { k, algorithm: KnnAlgorithm::Exact, ..Default::default() }).unwrap()
}

fn close(got: f64, want: f64, rel: f64, what: &str) {
    assert!((got - want).abs() <= rel * want.abs(), "{what}: {got} vs scikit-dimension's {want}");
}

fn list(v: &serde_json::Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

const SETS: [&str; 2] = ["id_ball", "id_sphere"];

#[test]
fn twonn_equals_scikit_dimension() {
    for name in SETS {
        let (x, e) = (data(name), expected(name));
        let g = graph(&x, 2);
        // Distances are float32 here, float64 there: the ratios agree to about 1e-7.
        let linear = twonn(&g, 0.1, TwoNnMethod::Linear).unwrap();
        close(linear.dimension, e["twonn_linear"].as_f64().unwrap(), 1e-5, name);
        assert_eq!((linear.dropped, linear.x.len()), (0, x.n_rows() * 9 / 10));
        close(twonn(&g, 0.1, TwoNnMethod::Mle).unwrap().dimension, e["twonn_mle"].as_f64().unwrap(), 1e-5, name);
    }
}

#[test]
fn mle_equals_scikit_dimension_per_point_and_combined() {
    for name in SETS {
        let (x, e) = (data(name), expected(name));
        let pw = mle_pointwise(&graph(&x, 20), false).unwrap();
        for (i, (a, b)) in pw.iter().zip(list(&e["mle_pw"])).enumerate() {
            close(*a, b, 1e-5, &format!("{name} row {i}"));
        }
        close(Combine::Mle.apply(&pw), e["mle"].as_f64().unwrap(), 1e-5, name);
        close(Combine::Mean.apply(&pw), e["mle_mean"].as_f64().unwrap(), 1e-5, name);
        close(Combine::Median.apply(&pw), e["mle_median"].as_f64().unwrap(), 1e-5, name);
        let unbiased = mle_pointwise(&graph(&x, 20), true).unwrap();
        close(Combine::Mle.apply(&unbiased), e["mle_unbiased"].as_f64().unwrap(), 1e-5, name);
    }
}

#[test]
fn local_pca_rules_equal_scikit_dimension() {
    for name in SETS {
        let (x, e) = (data(name), expected(name));
        let ev = data_spectrum(&x).unwrap();
        let want = list(&e["spectrum"]);
        assert_eq!(ev.len(), want.len());
        for (a, b) in ev.iter().zip(&want) {
            assert!((a - b).abs() <= 1e-9 * b, "{name}: spectrum {a} vs {b}");
        }
        let rules = [
            ("FO", LpcaVersion::Fo { alpha: 0.05 }),
            ("Fan", LpcaVersion::Fan { alpha: 10.0, beta: 0.8, p: 0.95 }),
            ("maxgap", LpcaVersion::Maxgap),
            ("ratio", LpcaVersion::Ratio { alpha: 0.05 }),
            ("Kaiser", LpcaVersion::Kaiser),
            ("broken_stick", LpcaVersion::BrokenStick),
        ];
        for (key, rule) in rules {
            assert_eq!(lpca(&ev, rule), e[format!("lpca_{key}")].as_f64().unwrap(), "{name} {key}");
        }
        close(lpca(&ev, LpcaVersion::ParticipationRatio), e["lpca_participation_ratio"].as_f64().unwrap(), 1e-9, name);
        let pw = lpca_pointwise(&x, &graph(&x, 30), LpcaVersion::Fo { alpha: 0.05 }).unwrap();
        assert_eq!(pw, list(&e["lpca_FO_pw30"]), "{name}: pointwise FO");
    }
}

#[test]
fn corr_int_equals_scikit_dimension() {
    for name in SETS {
        let (x, e) = (data(name), expected(name));
        let g = graph(&x, 20);
        close(corr_int(&x, &g, &Metric::Euclidean, 10, 20, &NoProgress).unwrap(), e["corrint"].as_f64().unwrap(), 1e-6, name);
        // With k1 = 5 on id_ball, r1 is exactly the distance of a pair (i is j's 5th neighbour and
        // j is i's), which `d < r1` leaves out; scikit-dimension's float64 matrix-product
        // distances round it below r1 and count it. Against the exact count (float64, direct
        // differences, in the script) the figure agrees; with scikit-dimension's to that one pair.
        let got = corr_int(&x, &g, &Metric::Euclidean, 5, 15, &NoProgress).unwrap();
        close(got, e["corrint_5_15_exact"].as_f64().unwrap(), 1e-6, name);
        close(got, e["corrint_5_15"].as_f64().unwrap(), 1e-3, name);
        // The same count from a precomputed distance matrix.
        let n = x.n_rows();
        let dm: Vec<f32> = (0..n).flat_map(|i| (0..n).map(move |j| (i, j))).map(|(i, j)| Metric::Euclidean.distance(x.row(i), x.row(j))).collect();
        let dm = Data::from_vec(dm, n, n).unwrap();
        let gp = knn(&dm, &KnnParams { k: 20, algorithm: KnnAlgorithm::Exact, metric: Metric::Precomputed, ..Default::default() }).unwrap();
        close(corr_int(&dm, &gp, &Metric::Precomputed, 10, 20, &NoProgress).unwrap(), e["corrint"].as_f64().unwrap(), 1e-6, name);
    }
}

/// Uniform values in [0, 1) from splitmix64 started at `state`.
fn splitmix_uniform(mut state: u64) -> impl FnMut() -> f64 {
    move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[test]
fn corr_int_counts_equal_brute_force_on_clustered_data() {
    // Dense clusters and sparse outliers, so that many points have their 20th neighbour inside
    // r2 and the direct comparisons carry much of the count.
    let mut uniform = splitmix_uniform(0x9e37_79b9_7f4a_7c15);
    let mut v = Vec::new();
    for i in 0..400u32 {
        let c = (i % 4) as f64 * 10.0;
        let s = if i < 300 { 0.2 } else { 3.0 };
        for _ in 0..3 {
            v.push((c + s * (uniform() - 0.5)) as f32);
        }
    }
    let x = Data::from_vec(v, 400, 3).unwrap();
    let g = graph(&x, 20);
    // No pair sits within rounding of r1 or r2, so the counts cannot depend on how a distance
    // is rounded.
    let (want, _) = brute_force_corr_int(&x, &g, &Metric::Euclidean, true);
    close(corr_int(&x, &g, &Metric::Euclidean, 10, 20, &NoProgress).unwrap(), want, 1e-12, "brute force");
}

/// scikit-dimension's CorrInt (k1 = 10, k2 = 20) by brute force over every pair under `metric`,
/// with r1 and r2 the medians of `g`'s 10th and 20th neighbour distances (`n` even); also the
/// number of points whose 20th neighbour lies inside r2 (those CorrInt compares directly). With
/// `no_ties`, asserts that no pair lies within rounding of r1 or r2.
fn brute_force_corr_int(x: &Data, g: &KnnGraph, metric: &Metric, no_ties: bool) -> (f64, usize) {
    let n = x.n_rows();
    let col = |c: usize| {
        let mut t: Vec<f64> = (0..n).map(|i| f64::from(g.neighbors(i).1[c])).collect();
        t.sort_by(f64::total_cmp);
        0.5 * (t[n / 2 - 1] + t[n / 2])
    };
    let (r1, r2) = (col(9), col(19));
    let open = (0..n).filter(|&i| f64::from(g.neighbors(i).1[19]) < r2).count();
    let (mut s1, mut s2) = (0u64, 0u64);
    for i in 0..n {
        for j in 0..i {
            let dist = f64::from(metric.distance(x.row(i), x.row(j)));
            assert!(!no_ties || ((dist - r1).abs() > 1e-6 * r1 && (dist - r2).abs() > 1e-6 * r2), "a tie at r");
            s1 += 2 * u64::from(dist < r1);
            s2 += 2 * u64::from(dist < r2);
        }
    }
    (((s2 as f64).ln() - (s1 as f64).ln()) / (r2 / r1).ln(), open)
}

#[test]
fn corr_int_counts_equal_brute_force_in_many_dimensions() {
    // 2,400 points in 160 dimensions (clusters on 5-dimensional planes, plus noise in every
    // direction): more than 1,024 points need direct comparisons in more than 128 dimensions, so
    // the pairs are screened in their principal directions first. The counts must stay exact.
    let (n, d) = (2400usize, 160usize);
    let mut centred = splitmix_uniform(0x2545_f491_4f6c_dd1d);
    let mut uniform = || centred() - 0.5;
    let planes: Vec<Vec<f64>> = (0..4 * 5).map(|_| (0..d).map(|_| uniform()).collect()).collect();
    let mut v = Vec::with_capacity(n * d);
    for i in 0..n {
        let c = i % 4;
        let coef: Vec<f64> = (0..5).map(|_| 4.0 * uniform()).collect();
        let plane = &planes[c * 5..(c + 1) * 5];
        for j in 0..d {
            let on_plane: f64 = coef.iter().zip(plane).map(|(a, p)| a * p[j]).sum();
            v.push((10.0 * c as f64 * f64::from(j == c) + on_plane + 0.05 * uniform()) as f32);
        }
    }
    let x = Data::from_vec(v, n, d).unwrap();
    let g = graph(&x, 20);
    let (want, open) = brute_force_corr_int(&x, &g, &Metric::Euclidean, true);
    assert!(open >= 1024, "only {open} points are compared directly: the screen is not used");
    close(corr_int(&x, &g, &Metric::Euclidean, 10, 20, &NoProgress).unwrap(), want, 1e-12, "brute force");
}

#[test]
fn corr_int_counts_equal_brute_force_on_byte_rows() {
    // Pixel-like rows (integers in 0..=255), which machines with AVX-512 VNNI count from exact
    // integer products. Squared distances are integers below 2^24, so every f32 distance is the
    // root of an exact sum whatever the order of the additions, and ties at r1 or r2 (likely with
    // integers) fall the same way in both counts.
    let (n, d) = (1500usize, 48usize);
    let mut uniform = splitmix_uniform(0x5851_f42d_4c95_7f2d);
    let mut v = Vec::with_capacity(n * d);
    for i in 0..n {
        let (c, s) = ((i % 4) as f64 * 60.0, if i % 10 == 0 { 120.0 } else { 12.0 });
        for j in 0..d {
            let centre = if j % 4 == i % 4 { 60.0 + c } else { 100.0 };
            v.push((centre + s * (uniform() - 0.5)).round().clamp(0.0, 255.0) as f32);
        }
    }
    let x = Data::from_vec(v, n, d).unwrap();
    for metric in [Metric::Euclidean, Metric::SqEuclidean] {
        let g = knn(&x, &KnnParams { k: 20, algorithm: KnnAlgorithm::Exact, metric: metric.clone(), ..Default::default() }).unwrap();
        let (want, open) = brute_force_corr_int(&x, &g, &metric, false);
        assert!(open > 500, "{metric:?}: only {open} points are compared directly");
        close(corr_int(&x, &g, &metric, 10, 20, &NoProgress).unwrap(), want, 1e-12, &format!("{metric:?} brute force"));
    }
}

#[test]
fn mada_equals_scikit_dimension() {
    for name in SETS {
        let (x, e) = (data(name), expected(name));
        let pw = mada_pointwise(&graph(&x, 20)).unwrap();
        for (i, (a, b)) in pw.iter().zip(list(&e["mada_pw"])).enumerate() {
            close(*a, b, 1e-5, &format!("{name} row {i}"));
        }
        close(Combine::Mean.apply(&pw), e["mada"].as_f64().unwrap(), 1e-5, name);
        close(Combine::Median.apply(&pw), e["mada_median"].as_f64().unwrap(), 1e-5, name);
    }
}

#[test]
fn ess_equals_scikit_dimension() {
    for name in SETS {
        let (x, e) = (data(name), expected(name));
        let pw = ess_pointwise(&x, &graph(&x, 100), EssVersion::A).unwrap();
        for (i, ((dim, ess), (want_dim, want_ess))) in pw.iter().zip(list(&e["ess_pw"]).into_iter().zip(list(&e["ess_essval"]))).enumerate() {
            close(*ess, want_ess, 1e-9, &format!("{name} row {i} statistic"));
            close(*dim, want_dim, 1e-8, &format!("{name} row {i}"));
        }
        let dims: Vec<f64> = pw.iter().map(|p| p.0).collect();
        close(Combine::Mean.apply(&dims), e["ess"].as_f64().unwrap(), 1e-8, name);
        let b = ess_pointwise(&x, &graph(&x, 30), EssVersion::B).unwrap();
        for (i, ((dim, _), want)) in b.iter().zip(list(&e["ess_b_30"])).enumerate() {
            close(*dim, want, 1e-8, &format!("{name} row {i} version b"));
        }
    }
}

/// Pixel-like rows (integers in 0..=255), whose neighbourhoods' Gram matrices and scatter matrix
/// are integer products where the machine has AVX-512 VNNI.
#[test]
fn ess_and_pca_spectrum_equal_scikit_dimension_on_byte_rows() {
    let x = data("id_bytes");
    let e: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(fixtures().join("id_bytes_expected.json")).unwrap()).unwrap();
    let pw = ess_pointwise(&x, &graph(&x, 100), EssVersion::A).unwrap();
    assert_eq!(pw.len(), 400);
    for (i, ((dim, ess), (want_dim, want_ess))) in pw.iter().zip(list(&e["ess_pw"]).into_iter().zip(list(&e["ess_essval"]))).enumerate() {
        close(*ess, want_ess, 1e-9, &format!("row {i} statistic"));
        close(*dim, want_dim, 1e-8, &format!("row {i}"));
    }
    let b = ess_pointwise(&x, &graph(&x, 30), EssVersion::B).unwrap();
    for (i, ((dim, _), want)) in b.iter().zip(list(&e["ess_b_30"])).enumerate() {
        close(*dim, want, 1e-8, &format!("row {i} version b"));
    }
    // The global PCA spectrum from the integer scatter matrix: the five large eigenvalues
    // relatively, the rounding noise under them against the largest.
    let (ev, want) = (data_spectrum(&x).unwrap(), list(&e["spectrum"]));
    assert_eq!(ev.len(), want.len());
    for (a, b) in ev.iter().zip(&want) {
        assert!((a - b).abs() <= 1e-9 * b.max(1e-3 * want[0]), "spectrum {a} vs {b}");
    }
    assert_eq!(lpca(&ev, LpcaVersion::Fo { alpha: 0.05 }), e["lpca_FO"].as_f64().unwrap());
}

#[test]
fn mind_ml_equals_scikit_dimension() {
    for name in SETS {
        let (x, e) = (data(name), expected(name));
        let g = graph(&x, 21);
        // scikit-dimension stops L-BFGS-B at its tolerance; the maximum here is exact.
        close(mind_ml(&g, 10, MindVersion::Mlk).unwrap(), e["mind_mlk"].as_f64().unwrap(), 1e-5, name);
        assert_eq!(mind_ml(&g, 10, MindVersion::Mli).unwrap(), e["mind_mli"].as_f64().unwrap(), "{name}");
        // Capped at D.
        assert_eq!(mind_ml(&g, 2, MindVersion::Mlk).unwrap(), 2.0);
    }
}

#[test]
fn closed_forms_and_bad_input() {
    // Evenly spaced points on a line: every ratio r2/r1 is 1 except at the ends (2), so the
    // ratios carry no dimension; TwoNN says so instead of returning NaN.
    let line = Data::from_vec((0..50).map(|i| i as f32).collect(), 50, 1).unwrap();
    let err = twonn(&graph(&line, 2), 0.1, TwoNnMethod::Linear).unwrap_err().to_string();
    assert!(err.contains("ratio") && err.contains("undefined"), "{err}");
    // The maximum-likelihood dimension of a point whose neighbours lie at distances r·j^(1/d)
    // (the quantiles of a uniform d-ball) is close to d; for exact powers it is
    // (k−1) / Σ ln(R_k/R_j) = (k−1) d / Σ ln(k/j).
    let k = 20usize;
    let d = 3.0f64;
    let dists: Vec<f32> = (1..=k).map(|j| (j as f64).powf(1.0 / d) as f32).collect();
    // k + 1 points, each with the others as neighbours at these distances.
    let indices: Vec<u32> = (0..=k as u32).flat_map(|i| (0..=k as u32).filter(move |&j| j != i)).collect();
    let g = KnnGraph::from_parts(k + 1, k, indices, dists.repeat(k + 1)).unwrap();
    let want = (k - 1) as f64 * d / (1..=k).map(|j| (k as f64 / j as f64).ln()).sum::<f64>();
    close(mle_pointwise(&g, false).unwrap()[0], want, 1e-6, "closed form");
    // Duplicates: an undefined MLE names its row; TwoNN drops them and counts them.
    let mut v: Vec<f32> = (0..40).map(|i| ((i * 37) % 11) as f32 + i as f32 * 0.01).collect();
    v.extend_from_slice(&[5.0; 4]);
    let dup = Data::from_vec(v, 44, 1).unwrap();
    let err = mle_pointwise(&graph(&dup, 3), false).unwrap_err().to_string();
    assert!(err.starts_with("row 40:") && err.contains("distance 0"), "{err}");
    assert_eq!(twonn(&graph(&dup, 2), 0.0, TwoNnMethod::Mle).unwrap().dropped, 4);
    let err = twonn(&graph(&dup, 2), 0.0, TwoNnMethod::Linear).unwrap_err().to_string();
    assert!(err.contains("discards none of the 40 ratios"), "{err}");
    for (got, needle) in [
        (twonn(&graph(&line, 2), 1.0, TwoNnMethod::Linear).unwrap_err().to_string(), "`discard_fraction`: 1 (must be in [0, 1))"),
        (twonn(&graph(&line, 1), 0.1, TwoNnMethod::Linear).unwrap_err().to_string(), "must be at least 2 for TwoNN"),
        (mle_pointwise(&graph(&line, 2), true).unwrap_err().to_string(), "must be at least 3 for the MLE"),
    ] {
        assert!(got.contains(needle), "{got}");
    }
    // ESS on a neighbourhood of equal rows (its statistic is 0/0): an error naming the first
    // such row, for byte rows (integer products) and other rows (f64 products).
    for offset in [0.0f32, 0.5] {
        let mut v: Vec<f32> = vec![3.0 + offset; 20 * 4];
        v.extend((0..20 * 4).map(|i| ((i * 37) % 101) as f32 + offset));
        let x = Data::from_vec(v, 40, 4).unwrap();
        let err = ess_pointwise(&x, &graph(&x, 5), EssVersion::A).unwrap_err().to_string();
        assert!(err.starts_with("row 0:") && err.contains("NaN"), "{err}");
    }
}
