//! Classical MDS against scikit-learn's ClassicalMDS (fixtures/make_mds_fixtures.py) and closed
//! forms.

use unfold_learn::embed::classical_mds::{ClassicalMds, ClassicalMdsModel, ClassicalMdsParams};
use unfold_learn::embed::mds::MdsMetric;
use unfold_learn::linalg::DataF64;
use unfold_learn::method::{Context, FitData, Fitted, Input};

use crate::common::{fixtures, load_fixture};

fn fit(x: &DataF64, params: ClassicalMdsParams, ctx: &Context) -> unfold_learn::Result<ClassicalMdsModel> {
    ClassicalMds::new(params)?.fit(FitData::from(Input::F64(x)), ctx)
}

fn fixture(name: &str) -> DataF64<'static> {
    let (x, n, d) = load_fixture(name);
    DataF64::from_vec(x, n, d).unwrap()
}

fn expected(key: &str) -> Vec<f64> {
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(fixtures().join("mds_metric.json")).unwrap()).unwrap();
    v[key].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect()
}

fn assert_close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    let scale = want.iter().fold(0f64, |a, v| a.max(v.abs()));
    for (i, (a, b)) in got.iter().zip(want).enumerate() {
        assert!((a - b).abs() <= tol * scale, "{what}[{i}]: {a} vs {b}");
    }
}

/// `n` points spread over a 10 × 10 square (a low-discrepancy sequence), row-major `n × 2`.
fn plane(n: usize) -> Vec<f64> {
    (0..n).flat_map(|i| [((i as f64 * 0.618_033_988_75).fract()) * 10.0, ((i as f64 * 0.414_213_562_37).fract()) * 10.0]).collect()
}

fn dist(x: &[f64], k: usize, i: usize, j: usize) -> f64 {
    (0..k).map(|c| (x[i * k + c] - x[j * k + c]).powi(2)).sum::<f64>().sqrt()
}

#[test]
fn equals_scikit_learn_on_rows_and_on_a_precomputed_matrix() {
    // Rows: the euclidean distances of 40 points in 5 dimensions, three components.
    let x = fixture("mds_X.npy");
    let m = fit(&x, ClassicalMdsParams { n_components: 3, ..Default::default() }, &Context::default()).unwrap();
    assert_close(m.embedding_f64(), &load_fixture("mds_classical_euclidean.npy").0, 1e-9, "euclidean embedding");
    assert_close(m.eigenvalues(), &expected("classical_euclidean_eigenvalues"), 1e-12, "euclidean eigenvalues");
    assert!(m.warnings().is_empty(), "{:?}", m.warnings());
    // A precomputed matrix with ties and a missing pair (not euclidean).
    let d = fixture("mds_D.npy");
    let m = fit(&d, ClassicalMdsParams { metric: MdsMetric::Precomputed, ..Default::default() }, &Context::default()).unwrap();
    assert_close(m.embedding_f64(), &load_fixture("mds_classical.npy").0, 1e-9, "precomputed embedding");
    assert_close(m.eigenvalues(), &expected("classical_eigenvalues"), 1e-12, "precomputed eigenvalues");
    let names: Vec<&str> = m.attributes().iter().map(|a| a.name).collect();
    assert_eq!(names, ["embedding_", "eigenvalues_", "dissimilarity_matrix_"]);
    assert_eq!(m.dissimilarity_matrix().unwrap(), d.as_slice());
}

#[test]
fn landmark_mode_recovers_planar_points_exactly() {
    // Points of a plane: classical MDS of any three or more landmarks in general position is
    // the plane up to a rigid motion, and triangulation places every other point exactly, so all
    // pairwise distances are kept (de Silva & Tenenbaum 2004).
    let n = 500;
    let x = DataF64::from_vec(plane(n), n, 2).unwrap();
    let m = fit(&x, ClassicalMdsParams { n_landmarks: Some(30), ..Default::default() }, &Context::seeded(3)).unwrap();
    let y = m.embedding_f64();
    for (i, j) in [(0, 1), (7, 499), (123, 321), (250, 251), (42, 420)] {
        let (a, b) = (dist(y, 2, i, j), dist(x.as_slice(), 2, i, j));
        assert!((a - b).abs() < 1e-9 * b.max(1.0), "({i}, {j}): {a} vs {b}");
    }
    let attrs = m.attributes();
    assert_eq!(attrs.iter().find(|a| a.name == "landmarks_").unwrap().values.len(), 30);
    assert!(attrs.iter().all(|a| a.name != "dissimilarity_matrix_"));
    // A precomputed matrix in landmark mode reads the landmarks' columns: the same placement.
    let d: Vec<f64> = (0..n).flat_map(|i| (0..n).map(move |j| (i, j))).map(|(i, j)| dist(x.as_slice(), 2, i, j)).collect();
    let d = DataF64::from_vec(d, n, n).unwrap();
    let p = fit(&d, ClassicalMdsParams { metric: MdsMetric::Precomputed, n_landmarks: Some(30), ..Default::default() }, &Context::seeded(3)).unwrap();
    assert_close(p.embedding_f64(), y, 1e-9, "precomputed landmark embedding");
    // The same at any thread count; every point a landmark is the exact fit.
    let two = fit(&x, ClassicalMdsParams { n_landmarks: Some(30), ..Default::default() }, &Context { threads: Some(2), ..Context::seeded(3) }).unwrap();
    let one = fit(&x, ClassicalMdsParams { n_landmarks: Some(30), ..Default::default() }, &Context { threads: Some(1), ..Context::seeded(3) }).unwrap();
    assert!(one.embedding_f64() == two.embedding_f64());
    let exact = fit(&x, ClassicalMdsParams::default(), &Context::seeded(3)).unwrap();
    let all = fit(&x, ClassicalMdsParams { n_landmarks: Some(n), ..Default::default() }, &Context::seeded(3)).unwrap();
    assert!(all.embedding_f64() == exact.embedding_f64() && all.eigenvalues() == exact.eigenvalues());
}

#[test]
fn non_euclidean_dissimilarities_warn_and_give_zero_not_nan() {
    // Four points at mutual distance 1 except one pair at 3: B has a negative eigenvalue.
    let mut d = vec![1.0; 16];
    (0..4).for_each(|i| d[i * 5] = 0.0);
    d[1] = 3.0;
    d[4] = 3.0;
    let d = DataF64::from_vec(d, 4, 4).unwrap();
    let m = fit(&d, ClassicalMdsParams { n_components: 4, metric: MdsMetric::Precomputed, ..Default::default() }, &Context::default()).unwrap();
    assert!(m.eigenvalues()[3] < -0.1, "{:?}", m.eigenvalues());
    assert!((0..4).all(|i| m.embedding_f64()[i * 4 + 3] == 0.0));
    assert!(
        m.warnings().iter().any(|w| w.contains("positive eigenvalue(s) for 4 components") && w.contains("where scikit-learn's are NaN")),
        "{:?}",
        m.warnings()
    );
}

#[test]
fn bad_input_is_named() {
    let x = fixture("mds_X.npy");
    let err = |x: &DataF64, p| fit(x, p, &Context::seeded(0)).unwrap_err().to_string();
    let e = err(&x, ClassicalMdsParams { n_components: 41, ..Default::default() });
    assert!(e.contains("n_components") && e.contains("at most the number of points embedded exactly (40)"), "{e}");
    for bad in [2, 41] {
        let e = err(&x, ClassicalMdsParams { n_landmarks: Some(bad), ..Default::default() });
        assert!(e.contains("n_landmarks") && e.contains("[3, 40]"), "{e}");
    }
    let e = err(&x, ClassicalMdsParams { metric: MdsMetric::Precomputed, ..Default::default() });
    assert!(e.contains("square dissimilarity matrix, but the data has 40 rows and 5 columns"), "{e}");
    let mut d = fixture("mds_D.npy").as_slice().to_vec();
    d[3 * 40 + 7] += 0.5;
    let e = err(&DataF64::from_vec(d, 40, 40).unwrap(), ClassicalMdsParams { metric: MdsMetric::Precomputed, ..Default::default() });
    assert!(e.contains("row 3, column 7") && e.contains("symmetric"), "{e}");
}

#[test]
fn model_file_keeps_the_fit() {
    let x = fixture("mds_X.npy");
    let m = fit(&x, ClassicalMdsParams::default(), &Context::default()).unwrap();
    let back = unfold_learn::method::load(&m.to_bytes().unwrap()).unwrap();
    assert_eq!(back.method(), "classical-mds");
    assert!(back.embedding().unwrap().as_slice() == m.embedding().unwrap().as_slice());
    assert_eq!(back.attributes(), m.attributes());
    let e = back.transform(Input::F64(&x), &Context::default()).err().unwrap().to_string();
    assert!(e.contains("cannot transform"), "{e}");
}
