//! Chordal flag mean and median: the Grassmann closed form, the paper's algorithm on numpy
//! fixtures (make_flag_mean_fixtures.py), robustness of the median, errors and determinism.

use unfold_learn::manifold::flag_mean::{FlagMeanParams, FlagMedianParams, chordal_distance, flag_mean, flag_median};

struct Case {
    n: usize,
    signature: Vec<usize>,
    x: Vec<f64>,
    weights: Option<Vec<f64>>,
    center: Vec<f64>,
    mean: Vec<f64>,
    median: Option<Vec<f64>>,
}

fn flat(v: &serde_json::Value) -> Vec<f64> {
    match v {
        serde_json::Value::Array(a) => a.iter().flat_map(flat).collect(),
        v => vec![v.as_f64().unwrap()],
    }
}

fn case(name: &str) -> Case {
    let text = std::fs::read_to_string(crate::common::fixtures().join("flag_mean_fixtures.json")).unwrap();
    let fx: serde_json::Value = serde_json::from_str(&text).unwrap();
    let c = &fx[name];
    Case {
        n: c["n"].as_u64().unwrap() as usize,
        signature: c["signature"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect(),
        x: flat(&c["X"]),
        weights: c["weights"].as_array().map(|_| flat(&c["weights"])),
        center: flat(&c["center"]),
        mean: flat(&c["mean"]),
        median: c.get("median").map(flat),
    }
}

/// The projector `Y[:, :d] Y[:, :d]ᵀ` onto the span of the first `d` of `p` columns.
fn projector(y: &[f64], n: usize, p: usize, d: usize) -> Vec<f64> {
    let mut out = vec![0.0; n * n];
    for a in 0..n {
        for b in 0..n {
            out[a * n + b] = (0..d).map(|c| y[a * p + c] * y[b * p + c]).sum();
        }
    }
    out
}

/// The largest entrywise difference of the projectors onto each nested subspace: zero exactly
/// when the frames are the same flag (whatever the rotations inside the blocks).
fn flag_gap(a: &[f64], b: &[f64], n: usize, signature: &[usize]) -> f64 {
    let p = *signature.last().unwrap();
    signature.iter().map(|&d| projector(a, n, p, d).iter().zip(projector(b, n, p, d)).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)).fold(0.0, f64::max)
}

/// `Σ wᵢ d(Xᵢ, Y)^power`, written out here from the definition.
fn objective(c: &Case, y: &[f64], power: i32) -> f64 {
    let p = *c.signature.last().unwrap();
    let len = c.n * p;
    let mut starts = vec![0];
    starts.extend_from_slice(&c.signature[..c.signature.len() - 1]);
    c.x.chunks(len)
        .enumerate()
        .map(|(i, xi)| {
            let mut d2 = 0.0;
            for (&s, &e) in starts.iter().zip(&c.signature) {
                let mut overlap = 0.0;
                for a in s..e {
                    for b in s..e {
                        let v: f64 = (0..c.n).map(|r| xi[r * p + a] * y[r * p + b]).sum();
                        overlap += v * v;
                    }
                }
                d2 += (e - s) as f64 - overlap;
            }
            let w = c.weights.as_ref().map_or(1.0, |w| w[i]);
            w * d2.max(0.0).sqrt().powi(power)
        })
        .sum()
}

fn mean_params(c: &Case) -> FlagMeanParams {
    FlagMeanParams { weights: c.weights.clone(), ..Default::default() }
}

fn median_params(c: &Case) -> FlagMedianParams {
    FlagMedianParams { weights: c.weights.clone(), conv_eps: 1e-12, max_iters: 2000, ..Default::default() }
}

#[test]
fn grassmann_mean_is_the_top_eigenvectors() {
    let c = case("grassmann");
    let m = flag_mean(c.n, &c.signature, &c.x, &mean_params(&c)).unwrap();
    assert_eq!(m.n_iter, 0);
    assert!(m.converged);
    let gap = flag_gap(&m.point, &c.mean, c.n, &c.signature);
    assert!(gap < 1e-10, "projector gap to numpy's eigh: {gap}");
    let want = objective(&c, &m.point, 2);
    assert!((m.objective - want).abs() < 1e-10 * want.max(1.0), "objective {} vs {want}", m.objective);
    // Orthonormal output, and a different weighting moves it (the weights are used).
    let p = c.signature[0];
    for a in 0..p {
        for b in 0..p {
            let g: f64 = (0..c.n).map(|r| m.point[r * p + a] * m.point[r * p + b]).sum();
            assert!((g - if a == b { 1.0 } else { 0.0 }).abs() < 1e-12);
        }
    }
    let mut w = c.weights.clone().unwrap();
    w[0] *= 50.0;
    let moved = flag_mean(c.n, &c.signature, &c.x, &FlagMeanParams { weights: Some(w), ..Default::default() }).unwrap();
    assert!(flag_gap(&moved.point, &m.point, c.n, &c.signature) > 1e-3);
}

#[test]
fn flag_mean_matches_the_reference_steepest_descent() {
    for name in ["flag123", "flag235_weighted", "outlier"] {
        let c = case(name);
        let m = flag_mean(c.n, &c.signature, &c.x, &mean_params(&c)).unwrap();
        assert!(m.converged, "{name}: not converged after {} steps (gradient {})", m.n_iter, m.residual);
        assert!(m.n_iter >= 1);
        let gap = flag_gap(&m.point, &c.mean, c.n, &c.signature);
        assert!(gap < 1e-8, "{name}: projector gap to the reference {gap}");
        let (got, want) = (objective(&c, &m.point, 2), objective(&c, &c.mean, 2));
        assert!((m.objective - got).abs() < 1e-10 * got.max(1.0));
        assert!(got <= want + 1e-10 * want, "{name}: objective {got} above the reference's {want}");
    }
}

#[test]
fn flag_mean_ignores_rotations_inside_blocks_and_starts() {
    let c = case("flag235_weighted");
    let p = *c.signature.last().unwrap();
    let len = c.n * p;
    // Rotate block 1 (columns 0..2) of every point by a point-dependent angle and flip column 2.
    let mut x = c.x.clone();
    for (i, xi) in x.chunks_mut(len).enumerate() {
        let t = 0.3 + i as f64;
        for r in 0..c.n {
            let (a, b) = (xi[r * p], xi[r * p + 1]);
            xi[r * p] = t.cos() * a - t.sin() * b;
            xi[r * p + 1] = t.sin() * a + t.cos() * b;
            xi[r * p + 2] = -xi[r * p + 2];
        }
    }
    let a = flag_mean(c.n, &c.signature, &c.x, &mean_params(&c)).unwrap();
    let b = flag_mean(c.n, &c.signature, &x, &mean_params(&c)).unwrap();
    assert!(flag_gap(&a.point, &b.point, c.n, &c.signature) < 1e-9);
    // From another start (the data's generating flag) the trust region reaches the same flag.
    let from_center = flag_mean(c.n, &c.signature, &c.x, &FlagMeanParams { initial_point: Some(c.center.clone()), ..mean_params(&c) }).unwrap();
    assert!(flag_gap(&a.point, &from_center.point, c.n, &c.signature) < 1e-8);
}

#[test]
fn flag_median_matches_the_reference_irls() {
    for name in ["flag123", "flag235_weighted", "outlier"] {
        let c = case(name);
        let m = flag_median(c.n, &c.signature, &c.x, &median_params(&c)).unwrap();
        assert!(m.converged, "{name}: IRLS not converged after {} steps (step {})", m.n_iter, m.residual);
        let gap = flag_gap(&m.point, c.median.as_ref().unwrap(), c.n, &c.signature);
        assert!(gap < 1e-6, "{name}: projector gap to the reference {gap}");
        let got = objective(&c, &m.point, 1);
        assert!((m.objective - got).abs() < 1e-10 * got.max(1.0));
        // The median has the smaller sum of distances, the mean the smaller sum of squares.
        let mean = flag_mean(c.n, &c.signature, &c.x, &mean_params(&c)).unwrap();
        assert!(got <= objective(&c, &mean.point, 1) + 1e-9);
        assert!(objective(&c, &mean.point, 2) <= objective(&c, &m.point, 2) + 1e-9);
    }
}

#[test]
fn flag_median_resists_outliers() {
    let c = case("outlier");
    let mean = flag_mean(c.n, &c.signature, &c.x, &mean_params(&c)).unwrap();
    let median = flag_median(c.n, &c.signature, &c.x, &FlagMedianParams::default()).unwrap();
    let to_center = |y: &[f64]| chordal_distance(c.n, &c.signature, y, &c.center).unwrap();
    let (dm, dmed) = (to_center(&mean.point), to_center(&median.point));
    // 25 points near the centre and 6 near one tilted flag: the mean is pulled towards the
    // outliers, the median stays near the centre.
    assert!(dmed < 0.4 * dm, "median {dmed} vs mean {dm} from the centre");
    // Without the outliers, both agree with the centre better than the mean with them.
    let clean = &c.x[..25 * c.n * 3];
    let clean_mean = flag_mean(c.n, &c.signature, clean, &FlagMeanParams::default()).unwrap();
    assert!(to_center(&clean_mean.point) < dm);
}

#[test]
fn flag_average_errors_name_the_problem() {
    let c = case("flag123");
    let d = FlagMeanParams::default();
    let msg = |r: unfold_learn::Result<_>| -> String {
        match r {
            Ok(_) => panic!("expected an error"),
            Err(e) => e.to_string(),
        }
    };
    assert!(msg(flag_mean(c.n, &[1, 1, 3], &c.x, &d)).contains("signature"));
    assert!(msg(flag_mean(c.n, &[], &c.x, &d)).contains("signature"));
    assert!(msg(flag_mean(c.n, &[0, 3], &c.x, &d)).contains("signature"));
    assert!(msg(flag_mean(2, &[1, 2, 3], &c.x, &d)).contains("signature"));
    assert!(msg(flag_mean(0, &[1], &c.x, &d)).contains("`n`"));
    assert!(msg(flag_mean(c.n, &c.signature, &c.x[..29], &d)).contains("frame"));
    assert!(msg(flag_mean(c.n, &c.signature, &[], &d)).contains("frame"));
    let mut bad = c.x.clone();
    bad[3 * 30 + 4] += 0.1;
    let e = msg(flag_mean(c.n, &c.signature, &bad, &d));
    assert!(e.contains("row 3") && e.contains("orthonormal"), "{e}");
    bad[3 * 30 + 4] = f64::NAN;
    assert!(msg(flag_mean(c.n, &c.signature, &bad, &d)).contains("row 3"));
    let with = |w: Vec<f64>| FlagMeanParams { weights: Some(w), ..Default::default() };
    assert!(msg(flag_mean(c.n, &c.signature, &c.x, &with(vec![1.0; 3]))).contains("weights"));
    let mut w = vec![1.0; 30];
    w[7] = -1.0;
    assert!(msg(flag_mean(c.n, &c.signature, &c.x, &with(w.clone()))).contains("weight 7"));
    w[7] = f64::INFINITY;
    assert!(msg(flag_mean(c.n, &c.signature, &c.x, &with(w))).contains("weight 7"));
    assert!(msg(flag_mean(c.n, &c.signature, &c.x, &with(vec![0.0; 30]))).contains("positive sum"));
    assert!(msg(flag_mean(c.n, &c.signature, &c.x, &FlagMeanParams { max_iters: 0, ..Default::default() })).contains("max_iters"));
    assert!(msg(flag_mean(c.n, &c.signature, &c.x, &FlagMeanParams { tol: f64::NAN, ..Default::default() })).contains("tol"));
    assert!(msg(flag_mean(c.n, &c.signature, &c.x, &FlagMeanParams { threads: Some(0), ..Default::default() })).contains("threads"));
    assert!(msg(flag_mean(c.n, &c.signature, &c.x, &FlagMeanParams { initial_point: Some(vec![1.0; 30]), ..Default::default() })).contains("initial_point"));
    assert!(msg(flag_mean(c.n, &c.signature, &c.x, &FlagMeanParams { initial_point: Some(vec![0.0; 3]), ..Default::default() })).contains("initial_point"));
    let m = FlagMedianParams::default();
    assert!(msg(flag_median(c.n, &c.signature, &c.x, &FlagMedianParams { wt_eps: 0.0, ..m.clone() })).contains("wt_eps"));
    assert!(msg(flag_median(c.n, &c.signature, &c.x, &FlagMedianParams { conv_eps: -1.0, ..m.clone() })).contains("conv_eps"));
    assert!(msg(flag_median(c.n, &c.signature, &c.x, &FlagMedianParams { max_iters: 0, ..m.clone() })).contains("max_iters"));
    assert!(msg(flag_median(c.n, &[3, 2], &c.x, &m)).contains("signature"));
}

#[test]
fn flag_averages_are_identical_at_one_and_two_threads() {
    let c = case("flag235_weighted");
    // 30 copies of the 20 points (600, more than one block of the parallel sums), each copy
    // with its weights scaled differently.
    let x: Vec<f64> = (0..30).flat_map(|_| c.x.clone()).collect();
    let w: Vec<f64> = (0..30).flat_map(|k| c.weights.clone().unwrap().into_iter().map(move |v| v * (1.0 + 0.1 * k as f64))).collect();
    let run = |threads| {
        let mean = flag_mean(c.n, &c.signature, &x, &FlagMeanParams { weights: Some(w.clone()), threads: Some(threads), ..Default::default() }).unwrap();
        let median = flag_median(c.n, &c.signature, &x, &FlagMedianParams { weights: Some(w.clone()), threads: Some(threads), ..Default::default() }).unwrap();
        (mean.point, mean.objective.to_bits(), median.point, median.objective.to_bits(), median.n_iter)
    };
    let (a, b) = (run(1), run(2));
    assert_eq!(a.0.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), b.0.iter().map(|v| v.to_bits()).collect::<Vec<_>>());
    assert_eq!(a.2.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), b.2.iter().map(|v| v.to_bits()).collect::<Vec<_>>());
    assert_eq!((a.1, a.3, a.4), (b.1, b.3, b.4));
}

#[test]
fn chordal_distance_is_the_definition_and_exact_at_zero() {
    let c = case("flag123");
    let len = c.n * 3;
    let (a, b) = (&c.x[..len], &c.x[len..2 * len]);
    let one = Case { x: a.to_vec(), weights: None, ..case("flag123") };
    let want = objective(&one, b, 1);
    assert!((chordal_distance(c.n, &c.signature, a, b).unwrap() - want).abs() < 1e-12);
    // The trace form would leave √(rounding) ≈ 1e-8 here.
    assert!(chordal_distance(c.n, &c.signature, a, a).unwrap() < 1e-14);
    let mut w = vec![0.0; 30];
    w[5] = 2.0;
    let m = flag_median(c.n, &c.signature, &c.x, &FlagMedianParams { weights: Some(w), ..Default::default() }).unwrap();
    assert!(m.objective < 1e-12, "{}", m.objective);
    assert!(chordal_distance(c.n, &c.signature, &m.point, &c.x[5 * len..6 * len]).unwrap() < 1e-12);
}
