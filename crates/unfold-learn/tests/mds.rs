//! MDS against scikit-learn's SMACOF (fixtures/make_mds_fixtures.py) and closed forms.

use unfold_learn::embed::mds::{MAX_POINTS, Mds, MdsInit, MdsMetric, MdsModel, MdsParams, NormalizedStress};
use unfold_learn::linalg::DataF64;
use unfold_learn::linalg::mds::classical_mds;
use unfold_learn::method::{Context, FitData, Fitted, Input, Value};

use crate::common::{fixtures, load_fixture};

fn expected() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join("mds_metric.json")).unwrap()).unwrap()
}

fn fit(x: &DataF64, params: MdsParams, ctx: &Context) -> unfold_learn::Result<MdsModel> {
    Mds::new(params)?.fit(FitData::from(Input::F64(x)), ctx)
}

fn init() -> MdsInit {
    let (values, _, n_cols) = load_fixture("mds_init.npy");
    MdsInit::Array { values, n_cols }
}

fn assert_close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    let scale = want.iter().fold(0f64, |a, v| a.max(v.abs()));
    for (i, (a, b)) in got.iter().zip(want).enumerate() {
        assert!((a - b).abs() <= tol * scale, "{what}[{i}]: {a} vs {b}");
    }
}

#[test]
fn metric_smacof_follows_scikit_learn_from_the_same_start() {
    let (x, n, d) = load_fixture("mds_X.npy");
    let x = DataF64::from_row_major(&x, n, d).unwrap();
    let e = expected();
    let model = fit(&x, MdsParams { init: init(), ..Default::default() }, &Context::seeded(0)).unwrap();
    let stress = e["metric"]["stress"].as_f64().unwrap();
    assert!((model.stress() - stress).abs() < 1e-8 * stress, "{} vs {stress}", model.stress());
    assert_eq!(model.n_iter() as u64, e["metric"]["n_iter"].as_u64().unwrap());
    assert_close(model.embedding_f64(), &load_fixture("mds_metric_embedding.npy").0, 1e-7, "embedding");
    let normalized = fit(&x, MdsParams { init: init(), normalized_stress: NormalizedStress::Given(true), ..Default::default() }, &Context::seeded(0)).unwrap();
    let s1 = e["metric_normalized"]["stress"].as_f64().unwrap();
    assert!((normalized.stress() - s1).abs() < 1e-8 * s1, "{} vs {s1}", normalized.stress());
}

#[test]
fn nonmetric_smacof_follows_scikit_learn_with_ties_and_missing_pairs() {
    let (dm, n, _) = load_fixture("mds_D.npy");
    let dm = DataF64::from_row_major(&dm, n, n).unwrap();
    let e = expected();
    let p = MdsParams { init: init(), metric_mds: false, metric: MdsMetric::Precomputed, ..Default::default() };
    let model = fit(&dm, p, &Context::seeded(0)).unwrap();
    let stress = e["nonmetric"]["stress"].as_f64().unwrap();
    assert!((model.stress() - stress).abs() < 1e-7 * stress, "{} vs {stress}", model.stress());
    assert_eq!(model.n_iter() as u64, e["nonmetric"]["n_iter"].as_u64().unwrap());
    assert_close(model.embedding_f64(), &load_fixture("mds_nonmetric_embedding.npy").0, 1e-6, "embedding");
}

#[test]
fn classical_mds_matches_scikit_learn_and_keeps_exact_distances() {
    let (dm, n, _) = load_fixture("mds_D.npy");
    let c = classical_mds(&dm, n, 2).unwrap();
    let want: Vec<f64> = expected()["classical_eigenvalues"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_close(&c.eigenvalues, &want, 1e-10, "eigenvalues");
    assert_close(&c.embedding, &load_fixture("mds_classical.npy").0, 1e-9, "embedding");
    // Closed form: the corners and centre of a 3 × 4 rectangle, given only their distances,
    // come back with the same distances.
    let pts: [(f64, f64); 5] = [(0.0, 0.0), (3.0, 0.0), (0.0, 4.0), (3.0, 4.0), (1.5, 2.0)];
    let dist: Vec<f64> =
        pts.iter().flat_map(|a| pts.iter().map(move |b: &(f64, f64)| (a.0 - b.0) * (a.0 - b.0) + (a.1 - b.1) * (a.1 - b.1))).map(f64::sqrt).collect();
    let c = classical_mds(&dist, 5, 2).unwrap();
    for i in 0..5 {
        for j in 0..5 {
            let e = &c.embedding;
            let got = ((e[2 * i] - e[2 * j]).powi(2) + (e[2 * i + 1] - e[2 * j + 1]).powi(2)).sqrt();
            assert!((got - dist[i * 5 + j]).abs() < 1e-12, "({i}, {j}): {got} vs {}", dist[i * 5 + j]);
        }
    }
    // In closed form B is the centred coordinates' Gram matrix,
    // whose non-zero eigenvalues are the scatter along each axis: 4 · 1.5² = 9 and 4 · 2² = 16.
    assert!((c.eigenvalues[0] - 16.0).abs() < 1e-12 && (c.eigenvalues[1] - 9.0).abs() < 1e-12, "{:?}", c.eigenvalues);
}

#[test]
fn classical_mds_of_non_euclidean_dissimilarities_gives_zero_not_nan() {
    // Four points at mutual distance 1 except one pair at 3 (triangle inequality broken): B has
    // a negative eigenvalue.
    let mut d = vec![1.0; 16];
    (0..4).for_each(|i| d[i * 5] = 0.0);
    d[1] = 3.0;
    d[4] = 3.0;
    let c = classical_mds(&d, 4, 4).unwrap();
    assert!(c.eigenvalues[3] < -0.1, "{:?}", c.eigenvalues);
    assert!(c.embedding.iter().all(|v| v.is_finite()));
    assert!((0..4).all(|i| c.embedding[i * 4 + 3] == 0.0));
}

fn blobs(n: usize, d: usize) -> Vec<f64> {
    (0..n * d).map(|u| ((u * 7919 % 1013) as f64 / 1013.0) + (u / d % 3) as f64).collect()
}

#[test]
fn seeded_fits_are_identical_at_any_thread_count_and_keep_the_best_run() {
    let (n, d) = (120, 6);
    let x = blobs(n, d);
    let x = DataF64::from_row_major(&x, n, d).unwrap();
    for metric_mds in [true, false] {
        let p = MdsParams { n_init: 3, metric_mds, ..Default::default() };
        let run = |threads| fit(&x, p.clone(), &Context { threads: Some(threads), ..Context::seeded(11) }).unwrap();
        let (one, two) = (run(1), run(2));
        assert!(one.embedding_f64() == two.embedding_f64() && one.stress() == two.stress(), "metric_mds {metric_mds}");
        // The first of the three runs is the run of n_init = 1: the best of three is no worse.
        let single = fit(&x, MdsParams { n_init: 1, ..p }, &Context::seeded(11)).unwrap();
        assert!(one.stress() <= single.stress(), "{} vs {}", one.stress(), single.stress());
        let other = fit(&x, MdsParams { n_init: 1, metric_mds, ..Default::default() }, &Context::seeded(12)).unwrap();
        assert!(other.embedding_f64() != single.embedding_f64());
    }
}

#[test]
fn classical_start_and_deprecated_dissimilarity() {
    let (x, n, d) = load_fixture("mds_X.npy");
    let x = DataF64::from_row_major(&x, n, d).unwrap();
    let classical = fit(&x, MdsParams { init: MdsInit::ClassicalMds, n_init: 4, ..Default::default() }, &Context::seeded(0)).unwrap();
    assert!(classical.warnings().iter().any(|w| w.contains("only one init of the MDS instead of 4")), "{:?}", classical.warnings());
    // From the classical start, metric SMACOF ends no worse than scikit-learn's random start.
    assert!(classical.stress() <= expected()["metric"]["stress"].as_f64().unwrap() * 1.001);
    let (dm, _, _) = load_fixture("mds_D.npy");
    let dm = DataF64::from_row_major(&dm, n, n).unwrap();
    let values = [("dissimilarity", Value::Text("precomputed".into())), ("metric_mds", Value::Bool(false))];
    let entry = unfold_learn::method::method("mds").unwrap();
    let via_alias = (entry.fit)(&values, FitData::from(Input::F64(&dm)), &Context::seeded(3)).unwrap();
    assert!(via_alias.warnings().is_empty(), "{:?}", via_alias.warnings());
    let p = MdsParams { metric: MdsMetric::Precomputed, metric_mds: false, ..Default::default() };
    assert!(via_alias.embedding().unwrap().as_slice() == fit(&dm, p, &Context::seeded(3)).unwrap().embedding().unwrap().as_slice());
    let both = [("dissimilarity", Value::Text("precomputed".into())), ("metric", Value::Text("precomputed".into()))];
    let e = (entry.fit)(&both, FitData::from(Input::F64(&dm)), &Context::seeded(3)).err().unwrap().to_string();
    assert!(e.contains("use only `metric`"), "{e}");
    assert!(!via_alias.capabilities().transform && via_alias.capabilities().embedding);
}

#[test]
fn precomputed_matrices_are_checked_entry_by_entry() {
    let check = |m: Vec<f64>, rows: usize, cols: usize, expected: &str| {
        let x = DataF64::from_vec(m, rows, cols).unwrap();
        let e = fit(&x, MdsParams { metric: MdsMetric::Precomputed, ..Default::default() }, &Context::seeded(0)).unwrap_err().to_string();
        assert!(e.contains(expected), "expected {expected:?} in {e:?}");
    };
    let good = vec![0.0, 1.0, 2.0, 1.0, 0.0, 1.5, 2.0, 1.5, 0.0];
    check(good[..6].to_vec(), 2, 3, "square dissimilarity matrix, but the data has 2 rows and 3 columns");
    let mut m = good.clone();
    m[4] = 0.5;
    check(m, 3, 3, "zero diagonal (a point's dissimilarity to itself), but row 1, column 1 holds 0.5");
    let mut m = good.clone();
    m[5] = -1.5;
    m[7] = -1.5;
    check(m, 3, 3, "non-negative, but row 1, column 2 holds -1.5");
    let mut m = good.clone();
    m[2] = 2.1;
    check(m, 3, 3, "symmetric (within a relative 1e-6), but row 0, column 2 holds 2.1 and row 2, column 0 holds 2");
    // Within the tolerance: accepted, and averaged.
    let mut m = good.clone();
    m[2] = 2.0 * (1.0 + 1e-9);
    let x = DataF64::from_vec(m, 3, 3).unwrap();
    assert!(fit(&x, MdsParams { metric: MdsMetric::Precomputed, ..Default::default() }, &Context::seeded(0)).is_ok());
    // Non-metric MDS with every dissimilarity missing.
    let x = DataF64::from_vec(vec![0.0; 9], 3, 3).unwrap();
    let e = fit(&x, MdsParams { metric: MdsMetric::Precomputed, metric_mds: false, ..Default::default() }, &Context::seeded(0)).unwrap_err().to_string();
    assert!(e.contains("every dissimilarity between distinct points is 0"), "{e}");
}

/// `n` points spread over a 10 × 10 square (a low-discrepancy sequence), row-major `n × 2`.
fn plane(n: usize) -> Vec<f64> {
    (0..n).flat_map(|i| [((i as f64 * 0.618_033_988_75).fract()) * 10.0, ((i as f64 * 0.414_213_562_37).fract()) * 10.0]).collect()
}

/// All pairwise euclidean distances of `k`-column rows, brute force.
fn distances(x: &[f64], k: usize) -> Vec<f64> {
    let n = x.len() / k;
    (0..n).flat_map(|i| (0..n).map(move |j| (0..k).map(|c| (x[i * k + c] - x[j * k + c]).powi(2)).sum::<f64>().sqrt())).collect()
}

#[test]
fn landmark_mode_with_every_point_a_landmark_is_the_exact_fit() {
    let (n, d) = (60, 4);
    let x = blobs(n, d);
    let x = DataF64::from_row_major(&x, n, d).unwrap();
    for metric_mds in [true, false] {
        let exact = fit(&x, MdsParams { metric_mds, ..Default::default() }, &Context::seeded(4)).unwrap();
        let all = fit(&x, MdsParams { metric_mds, n_landmarks: Some(n), ..Default::default() }, &Context::seeded(4)).unwrap();
        assert!(all.embedding_f64() == exact.embedding_f64() && all.stress() == exact.stress(), "metric_mds {metric_mds}");
        let attrs = all.attributes();
        let landmarks = attrs.iter().find(|a| a.name == "landmarks_").expect("landmarks_");
        assert_eq!(landmarks.values, (0..n).map(|i| i as f64).collect::<Vec<_>>());
        assert!(attrs.iter().all(|a| a.name != "dissimilarity_matrix_"));
    }
}

#[test]
fn landmark_metric_mds_keeps_every_euclidean_distance() {
    // Points of a plane embedded in 2-D: the exact answer has zero stress, and every point placed
    // against the landmarks must land where its distances to all points are kept.
    let n = 500;
    let x = plane(n);
    let truth = distances(&x, 2);
    let rows = DataF64::from_row_major(&x, n, 2).unwrap();
    let matrix = DataF64::from_row_major(&truth, n, n).unwrap();
    let p = MdsParams { n_landmarks: Some(40), init: MdsInit::ClassicalMds, eps: 1e-12, ..Default::default() };
    let scale = truth.iter().fold(0f64, |a, &v| a.max(v));
    for (data, metric) in [(&rows, MdsMetric::Euclidean), (&matrix, MdsMetric::Precomputed)] {
        let model = fit(data, MdsParams { metric, ..p.clone() }, &Context::seeded(2)).unwrap();
        let got = distances(model.embedding_f64(), 2);
        let worst = got.iter().zip(&truth).map(|(a, b)| (a - b).abs()).fold(0f64, f64::max);
        assert!(worst < 1e-6 * scale, "{metric:?}: a distance is off by {worst}");
    }
}

#[test]
fn landmark_nonmetric_mds_keeps_the_order_of_dissimilarities() {
    // Dissimilarities that are a monotone but far from linear function of plane distances:
    // non-metric MDS must recover the plane's distances up to their order.
    let n = 300;
    let x = plane(n);
    let truth = distances(&x, 2);
    let warped: Vec<f64> = truth.iter().map(|&d| d.powi(3)).collect();
    let matrix = DataF64::from_row_major(&warped, n, n).unwrap();
    let p = MdsParams { metric: MdsMetric::Precomputed, metric_mds: false, n_landmarks: Some(60), n_init: 2, ..Default::default() };
    let model = fit(&matrix, p, &Context::seeded(9)).unwrap();
    let got = distances(model.embedding_f64(), 2);
    let off_diagonal = |v: &[f64]| (0..n).flat_map(|i| (i + 1..n).map(move |j| (i, j))).map(|(i, j)| v[i * n + j]).collect::<Vec<_>>();
    let rho = crate::common::spearman(&off_diagonal(&got), &off_diagonal(&truth));
    assert!(rho > 0.99, "Spearman {rho}");
}

#[test]
fn landmark_mode_is_identical_at_any_thread_count_and_checks_n_landmarks() {
    let (n, d) = (400, 5);
    let x = blobs(n, d);
    let x = DataF64::from_row_major(&x, n, d).unwrap();
    for metric_mds in [true, false] {
        let p = MdsParams { metric_mds, n_landmarks: Some(50), ..Default::default() };
        let run = |threads| fit(&x, p.clone(), &Context { threads: Some(threads), ..Context::seeded(8) }).unwrap();
        let (one, two) = (run(1), run(2));
        assert!(one.embedding_f64() == two.embedding_f64() && one.stress() == two.stress(), "metric_mds {metric_mds}");
    }
    for bad in [2, n + 1] {
        let e = fit(&x, MdsParams { n_landmarks: Some(bad), ..Default::default() }, &Context::seeded(0)).unwrap_err().to_string();
        assert!(e.contains("n_landmarks") && e.contains("[3, 400]"), "{e}");
    }
}

#[test]
fn more_points_than_embedded_exactly_switch_to_landmarks_with_a_warning() {
    let n = MAX_POINTS + 1;
    let x = DataF64::from_vec(plane(n), n, 2).unwrap();
    let model = fit(&x, MdsParams { max_iter: 20, ..Default::default() }, &Context::seeded(0)).unwrap();
    assert!(
        model.warnings().iter().any(|w| w.contains("20001 points are more than MDS embeds exactly (20000): 2000 random landmarks")),
        "{:?}",
        model.warnings()
    );
    let attrs = model.attributes();
    assert_eq!(attrs.iter().find(|a| a.name == "landmarks_").unwrap().values.len(), 2000);
    assert_eq!(model.embedding_f64().len(), n * 2);
}

#[test]
fn model_file_keeps_the_fit_and_the_dissimilarities_when_asked() {
    let (x, n, d) = load_fixture("mds_X.npy");
    let x = DataF64::from_row_major(&x, n, d).unwrap();
    let model = fit(&x, MdsParams::default(), &Context::seeded(5)).unwrap();
    let back = unfold_learn::method::load(&model.to_bytes().unwrap()).unwrap();
    assert!(back.embedding().unwrap().as_slice() == model.embedding().unwrap().as_slice());
    let attrs = back.attributes();
    let names: Vec<&str> = attrs.iter().map(|a| a.name).collect();
    assert_eq!(names, ["embedding_", "stress_", "n_iter_", "dissimilarity_matrix_"]);
    let dm = &attrs[3];
    assert_eq!(dm.shape, [n, n]);
    // The euclidean distances, in f64.
    let direct = ((0..d).map(|c| (x.row(3)[c] - x.row(17)[c]).powi(2)).sum::<f64>()).sqrt();
    assert!((dm.values[3 * n + 17] - direct).abs() < 1e-12);
    let lean = fit(&x, MdsParams::default(), &Context { keep_data: false, ..Context::seeded(5) }).unwrap();
    assert!(lean.dissimilarity_matrix().is_none() && lean.embedding_f64() == model.embedding_f64());
    let e = back.transform(Input::F64(&x), &Context::default()).err().unwrap().to_string();
    assert!(e.contains("a mds model cannot transform"), "{e}");
}
