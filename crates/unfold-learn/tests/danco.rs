//! DANCo against scikit-dimension 0.5's `skdim.id.DANCo` and scipy's splines
//! (fixtures/make_danco_fixtures.py), and balls of known dimension.

use unfold_learn::Metric;
use unfold_learn::data::Data;
use unfold_learn::error::Error;
use unfold_learn::measure::danco::{DancoParams, DancoStatistics, DancoVersion, danco, danco_graph, danco_kl, danco_statistics, kl_minimum, uniform_ball};
use unfold_learn::measure::intrinsic_dim::{Estimator, IdParams, intrinsic_dimension};
use unfold_learn::progress::NoProgress;
use unfold_learn::rng::SeedSource;

use crate::common::{fixtures, load_fixture};

fn expected() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join("danco_expected.json")).unwrap()).unwrap()
}

fn data(name: &str) -> Data<'static> {
    let (x, n, d) = load_fixture(&format!("{name}.npy"));
    Data::from_vec(x.iter().map(|&v| v as f32).collect(), n, d).unwrap()
}

fn stats(v: &serde_json::Value) -> DancoStatistics {
    DancoStatistics { dhat: v["dhat"].as_f64().unwrap(), mu_nu: v["mu_nu"].as_f64().unwrap(), mu_tau: v["mu_tau"].as_f64().unwrap() }
}

fn close(got: f64, want: f64, tol: f64, what: &str) {
    assert!((got - want).abs() <= tol * want.abs().max(1.0), "{what}: {got} vs reference {want}");
}

fn params(ver: DancoVersion, fractal: bool, seed: u64) -> IdParams {
    IdParams {
        estimator: Estimator::Danco { max_dim: None, ver, fractal },
        n_neighbors: None,
        per_point: false,
        metric: Metric::Euclidean,
        seed: Some(seed),
        threads: None,
    }
}

#[test]
fn data_statistics_equal_scikit_dimension() {
    let e = &expected()["small"];
    let x = data("danco_small");
    let knn = danco_graph(&x, 10, None, &NoProgress).unwrap();
    let got = danco_statistics(&x, &knn, 10, 6).unwrap();
    let want = stats(&e["statistics"]);
    close(got.dhat, want.dhat, 1e-6, "MiND-MLk dhat");
    close(got.mu_nu, want.mu_nu, 1e-9, "mean von Mises location");
    close(got.mu_tau, want.mu_tau, 1e-9, "mean von Mises concentration");
    for (ver, key) in [(DancoVersion::MindMlk, "mind_mlk"), (DancoVersion::MindMli, "mind_mli")] {
        let p = DancoParams { ver, ..DancoParams::default() };
        close(danco(&x, &knn, &p, &NoProgress).unwrap().dimension, e[key].as_f64().unwrap(), 1e-6, key);
    }
}

#[test]
fn divergence_equals_scikit_dimension() {
    let e = &expected()["small"];
    let data_stats = stats(&e["statistics"]);
    let cal = e["calibration"].as_array().unwrap();
    let kl = e["kl"].as_array().unwrap();
    assert_eq!(cal.len(), 6);
    for (d, (c, want)) in cal.iter().zip(kl).enumerate() {
        close(danco_kl(10, &data_stats, &stats(c)), want.as_f64().unwrap(), 1e-9, &format!("KL from the {}-ball", d + 1));
    }
}

#[test]
fn fractal_minimum_equals_the_spline_minimum() {
    for case in expected()["fractal"].as_array().unwrap() {
        let kl: Vec<f64> = case["kl"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        let degree = if case["kind"] == "cubic" { 3 } else { 2 };
        let want = case["minimum"].as_f64().unwrap();
        close(kl_minimum(&kl, degree), want, 1e-6, &format!("{} spline minimum of {kl:?}", case["kind"]));
        // scikit-dimension stops L-BFGS-B early; it lands near the same minimum.
        close(case["skdim_lbfgsb"].as_f64().unwrap(), want, 0.1, "scikit-dimension's L-BFGS-B");
    }
    // Linear interpolation: the whole argmin; numpy's first-of-equals.
    assert_eq!(kl_minimum(&[3.0, 1.0, 1.0, 2.0], 1), 2.0);
    assert_eq!(kl_minimum(&[3.0, 1.0, 1.0, 2.0], 0), 2.0);
}

/// The calibration balls are random, so whole estimates agree where scikit-dimension's own
/// three seeds agree (within one where they do not), and the mean fractal estimate of three
/// seeds lies within the two spreads (plus 0.1) of scikit-dimension's. Besides the noise,
/// scikit-dimension's L-BFGS-B often stops MiND-MLk at its whole starting point on the
/// calibration balls (the likelihood's maximum is found here), which moves its fractal
/// estimates of the 2-D sets up by about 0.07.
#[test]
fn benchmark_manifolds_match_scikit_dimension() {
    let spread = |v: &[f64]| v.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    for (name, row) in expected()["benchmark"].as_object().unwrap() {
        let x = data(&format!("danco_{name}"));
        let list = |k: &str| row[k].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect::<Vec<f64>>();
        let (whole, fractal) = (list("whole"), list("fractal"));
        let run = |fractal: bool| -> Vec<f64> {
            (0..3).map(|s| intrinsic_dimension(&x, &params(DancoVersion::Danco, fractal, s), &NoProgress).unwrap().dimension).collect()
        };
        let (got_whole, got) = (run(false), run(true));
        let (lo, hi) = spread(&whole);
        for w in &got_whole {
            let ok = if lo == hi { *w == lo } else { *w >= lo - 1.0 && *w <= hi + 1.0 };
            assert!(ok, "{name}: whole dimensions {got_whole:?}, scikit-dimension's {whole:?}");
        }
        let (a, b) = spread(&fractal);
        let (c, d) = spread(&got);
        let tol = 0.1 + (b - a) + (d - c);
        assert!((mean(&got) - mean(&fractal)).abs() <= tol, "{name}: fractal {got:?}, scikit-dimension's {fractal:?}");
    }
}

#[test]
fn balls_of_known_dimension() {
    let seeds = SeedSource::new(Some(3));
    for d in [2usize, 4, 6] {
        // A d-ball linearly embedded in d + 3 columns.
        let n = 2000;
        let ball = uniform_ball(n, d, &seeds);
        let cols = d + 3;
        let x: Vec<f32> = ball.chunks(d).flat_map(|p| (0..cols).map(move |c| if c < d { p[c] } else { 0.5 * p[c % d] - 0.25 * p[(c + 1) % d] })).collect();
        let x = Data::from_vec(x, n, cols).unwrap();
        let got = intrinsic_dimension(&x, &params(DancoVersion::Danco, true, 1), &NoProgress).unwrap().dimension;
        assert!((got - d as f64).abs() < 0.5, "{d}-ball: DANCo {got}");
    }
}

#[test]
fn seeded_result_is_identical_at_one_and_two_threads() {
    let x = data("danco_M2_Affine_3to5");
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let knn = danco_graph(&x, 10, Some(5), &NoProgress).unwrap();
            danco(&x, &knn, &DancoParams { seed: Some(5), ..DancoParams::default() }, &NoProgress).unwrap()
        })
    };
    let (a, b) = (run(1), run(2));
    assert_eq!(a.dimension.to_bits(), b.dimension.to_bits());
    assert_eq!(a.kl.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), b.kl.iter().map(|v| v.to_bits()).collect::<Vec<_>>());
    assert_eq!(a.calibration, b.calibration);
    // A reused calibration gives the same answer, and an extended one equals one made at once.
    let knn = danco_graph(&x, 10, Some(5), &NoProgress).unwrap();
    let mut short = a.calibration.clone().unwrap();
    short.statistics.truncate(2);
    let again = danco(&x, &knn, &DancoParams { seed: Some(5), calibration: Some(short), ..DancoParams::default() }, &NoProgress).unwrap();
    assert_eq!(again.dimension.to_bits(), a.dimension.to_bits());
}

#[test]
fn bad_input_is_named() {
    let x = data("danco_small");
    let err = |p: IdParams, x: &Data| intrinsic_dimension(x, &p, &NoProgress).unwrap_err().to_string();
    let mut p = params(DancoVersion::Danco, true, 0);
    p.estimator = Estimator::Danco { max_dim: Some(0), ver: DancoVersion::Danco, fractal: true };
    assert!(err(p, &x).contains("`D`"), "D = 0");
    let mut p = params(DancoVersion::Danco, true, 0);
    p.n_neighbors = Some(399);
    assert!(err(p, &x).contains("n_neighbors"));
    let mut p = params(DancoVersion::Danco, true, 0);
    p.metric = Metric::Manhattan;
    assert!(err(p, &x).contains("euclidean"));
    // A duplicate of row 7 at the end.
    let (mut v, n, d) = load_fixture("danco_small.npy");
    v.extend_from_within(7 * d..8 * d);
    let dup = Data::from_vec(v.iter().map(|&a| a as f32).collect(), n + 1, d).unwrap();
    let msg = err(params(DancoVersion::Danco, true, 0), &dup);
    assert!(msg.contains("row 7") || msg.contains(&format!("row {n}")), "{msg}");
    assert!(msg.contains("duplicate"), "{msg}");
    let knn = danco_graph(&x, 10, None, &NoProgress).unwrap();
    assert!(matches!(danco(&x, &knn, &DancoParams { k: 1, ..DancoParams::default() }, &NoProgress), Err(Error::InvalidParameter { name: "k", .. })));
}
