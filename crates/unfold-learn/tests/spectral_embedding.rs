//! Laplacian eigenmaps against scikit-learn's SpectralEmbedding
//! (tests/fixtures/make_spectral_fixtures.py).

use unfold_learn::embed::spectral_embedding::{
    ASYMMETRIC_WARNING, Affinity, DENSE_MAX_ROWS, DISCONNECTED_WARNING, SpectralEmbedding, SpectralEmbeddingModel, SpectralEmbeddingParams,
};
use unfold_learn::method::{Fitted, Input, Params, Value};
use unfold_learn::prelude::*;

use crate::common::load_fixture;

fn data(name: &str) -> Embedding {
    let (x, n, d) = load_fixture(name);
    Data::from_vec(x.iter().map(|&v| v as f32).collect(), n, d).unwrap()
}

fn fit(x: &Data, p: SpectralEmbeddingParams) -> SpectralEmbeddingModel {
    SpectralEmbedding::new(p).unwrap().fit(x, &Context::seeded(0)).unwrap()
}

/// The embedding equals scikit-learn's, signs included (both flip each vector so that its
/// largest-magnitude entry is positive), to `tol` of the largest coordinate.
fn assert_matches(model: &SpectralEmbeddingModel, fixture: &str, tol: f64) {
    let (want, n, k) = load_fixture(fixture);
    let got = model.embedding();
    assert_eq!((got.n_rows(), got.n_cols()), (n, k), "{fixture}: shape");
    let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for (i, (g, w)) in got.as_slice().iter().zip(&want).enumerate() {
        assert!((*g as f64 - w).abs() <= tol * scale, "{fixture}[{}, {}]: got {g}, scikit-learn {w} (scale {scale})", i / k, i % k);
    }
    assert!(model.warnings().is_empty(), "{fixture}: {:?}", model.warnings());
}

#[test]
fn equals_scikit_learn_for_each_affinity() {
    // The fixture's Laplacian eigenvalues are well separated (gaps ≥ 3.7e-3), so every
    // eigenvector is unique up to sign.
    let (values, rows, _) = load_fixture("spectral_eigenvalues.npy");
    for r in 0..rows {
        let v = &values[r * 5..(r + 1) * 5];
        assert!(v.windows(2).all(|w| w[1] - w[0] > 3e-3), "{v:?}");
    }
    let x = data("spectral_X.npy");
    let knn = fit(&x, SpectralEmbeddingParams::default());
    assert_matches(&knn, "spectral_knn.npy", 1e-6);
    let three = fit(&x, SpectralEmbeddingParams { n_components: 3, n_neighbors: Some(12), ..Default::default() });
    assert_matches(&three, "spectral_knn3.npy", 1e-6);
    let rbf = fit(&x, SpectralEmbeddingParams { affinity: Affinity::Rbf, gamma: Some(0.5), ..Default::default() });
    assert_matches(&rbf, "spectral_rbf.npy", 1e-6);
    let rbf_default = fit(&x, SpectralEmbeddingParams { affinity: Affinity::Rbf, ..Default::default() });
    assert_matches(&rbf_default, "spectral_rbf_default.npy", 1e-6);
    let a = data("spectral_A.npy");
    let pre = fit(&a, SpectralEmbeddingParams { affinity: Affinity::Precomputed, ..Default::default() });
    assert_matches(&pre, "spectral_pre.npy", 1e-5);
}

#[test]
fn sparse_input_equals_scikit_learn_for_each_affinity() {
    // The same fixtures given as sparse rows: kNN on sparse rows, rbf's distances over the
    // stored entries, and the precomputed affinity kept sparse (no dense n × n copy).
    let fit_sparse = |x: &Data, p| SpectralEmbedding::new(p).unwrap().fit_sparse(&SparseData::from_dense(x), &Context::seeded(0)).unwrap();
    let x = data("spectral_X.npy");
    assert_matches(&fit_sparse(&x, SpectralEmbeddingParams::default()), "spectral_knn.npy", 1e-6);
    assert_matches(&fit_sparse(&x, SpectralEmbeddingParams { affinity: Affinity::Rbf, gamma: Some(0.5), ..Default::default() }), "spectral_rbf.npy", 1e-6);
    let a = data("spectral_A.npy");
    assert_matches(&fit_sparse(&a, SpectralEmbeddingParams { affinity: Affinity::Precomputed, ..Default::default() }), "spectral_pre.npy", 1e-5);
}

#[test]
fn fitted_attributes_as_scikit_learn_names_them() {
    let x = data("spectral_X.npy");
    let model = fit(&x, SpectralEmbeddingParams::default());
    let attrs = model.attributes();
    let get = |name: &str| attrs.iter().find(|a| a.name == name).unwrap_or_else(|| panic!("{name}"));
    // n_neighbors = None → max(⌊300/10⌋, 1) = 30.
    assert_eq!(get("n_neighbors_").values, vec![30.0]);
    let a = get("affinity_matrix_");
    assert_eq!(a.shape, vec![300, 300]);
    let (rows, _, _) = load_fixture("spectral_knn_rows.npy");
    for i in 0..300 {
        let row = &a.values[i * 300..(i + 1) * 300];
        let (sum, nnz) = (row.iter().sum::<f64>(), row.iter().filter(|&&v| v != 0.0).count());
        assert_eq!((sum, nnz as f64), (rows[2 * i], rows[2 * i + 1]), "row {i}: sum and stored entries");
        assert_eq!(row[i], 1.0, "row {i}: the point is its own neighbour");
    }
    let rbf = fit(&x, SpectralEmbeddingParams { affinity: Affinity::Rbf, ..Default::default() });
    let attrs = rbf.attributes();
    let gamma = attrs.iter().find(|a| a.name == "gamma_").unwrap();
    assert_eq!(gamma.values, vec![1.0 / 3.0]);
    assert!(attrs.iter().all(|a| a.name != "n_neighbors_"));
    assert!(!rbf.capabilities().transform);
    assert!(rbf.transform(Input::F32(&x), &Context::default()).unwrap_err().to_string().contains("cannot transform"));
    // The model file records the resolved parameters and round-trips.
    let back = unfold_learn::method::load(&model.to_bytes().unwrap()).unwrap();
    assert_eq!(back.embedding().unwrap().as_slice(), model.embedding().as_slice());
    assert!(back.params().contains(&("n_neighbors", Value::Int(30))));
}

#[test]
fn iterative_path_equals_scikit_learn_and_is_identical_at_any_thread_count() {
    // 2,500 points: past the dense eigensolver's 2,000 rows.
    let x = data("spectral_big_X.npy");
    let run = |threads| {
        let ctx = Context { seed: Some(0), threads: Some(threads), ..Context::default() };
        SpectralEmbedding::new(SpectralEmbeddingParams::default()).unwrap().fit(&x, &ctx).unwrap()
    };
    let one = run(1);
    assert_matches(&one, "spectral_big.npy", 1e-4);
    let two = run(2);
    assert!(one.embedding().as_slice() == two.embedding().as_slice(), "1 and 2 threads differ");
}

#[test]
fn a_disconnected_graph_warns_as_scikit_learn() {
    // Two groups of 20 points on a line, far apart: 4 neighbours never cross the gap.
    let x: Vec<f32> = (0..40).map(|i| if i < 20 { i as f32 } else { 1000.0 + i as f32 }).collect();
    let x = Data::from_vec(x, 40, 1).unwrap();
    let model = fit(&x, SpectralEmbeddingParams { n_neighbors: Some(4), ..Default::default() });
    assert_eq!(model.warnings(), [DISCONNECTED_WARNING.to_string()]);
    assert_eq!(DISCONNECTED_WARNING, "Graph is not fully connected, spectral embedding may not work as expected.");
    assert!(model.embedding().as_slice().iter().all(|v| v.is_finite()));
}

#[test]
fn bad_input_is_named() {
    let x = data("spectral_X.npy");
    let err = |x: &Data, p: SpectralEmbeddingParams| SpectralEmbedding::new(p).unwrap().fit(x, &Context::seeded(0)).unwrap_err().to_string();
    let pre = SpectralEmbeddingParams { affinity: Affinity::Precomputed, ..Default::default() };
    let e = err(&x, pre.clone());
    assert!(e.contains("square affinity matrix") && e.contains("300 rows and 3 columns"), "{e}");
    let e = err(&Data::from_vec(vec![0.0, 1.0, 1.0, -0.5, 0.0, 1.0, 1.0, 1.0, 0.0], 3, 3).unwrap(), SpectralEmbeddingParams { n_components: 1, ..pre.clone() });
    assert!(e.contains("row 1, column 0 holds -0.5"), "{e}");
    let e = err(&Data::from_vec(vec![0.0, 1.0], 1, 2).unwrap(), SpectralEmbeddingParams::default());
    assert!(e.contains("n_samples = 1"), "{e}");
    let e = err(&x, SpectralEmbeddingParams { n_neighbors: Some(301), ..Default::default() });
    assert!(e.contains("`n_neighbors`") && e.contains("at most n_samples (300)"), "{e}");
    let big = Data::from_vec(vec![0.0; DENSE_MAX_ROWS + 1], DENSE_MAX_ROWS + 1, 1).unwrap();
    let e = err(&big, SpectralEmbeddingParams { affinity: Affinity::Rbf, ..Default::default() });
    assert!(e.contains("affinity=\"rbf\"") && e.contains("10000"), "{e}");
    let e = SpectralEmbeddingParams::from_values([("gamma", &Value::Float(-1.0))]).unwrap_err().to_string();
    assert!(e.contains("`gamma`"), "{e}");
    // An asymmetric precomputed affinity is averaged with its transpose, with scikit-learn's warning.
    let a = Data::from_vec(vec![1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0], 3, 3).unwrap();
    let model = fit(&a, SpectralEmbeddingParams { n_components: 1, ..pre });
    assert_eq!(model.warnings(), [ASYMMETRIC_WARNING.to_string()]);
    let sym = model.attributes().into_iter().find(|a| a.name == "affinity_matrix_").unwrap();
    assert_eq!(sym.values, vec![1.0, 0.5, 0.5, 0.5, 1.0, 0.5, 0.5, 0.5, 1.0]);
}
