//! PCA against scikit-learn fixtures (tests/fixtures/make_fixtures.py) and closed forms.

use unfold_learn::prelude::*;

use crate::common::load_fixture;

fn assert_close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol * (1.0 + w.abs()), "{what}[{i}]: got {g}, scikit-learn {w}");
    }
}

fn check_against_sklearn(prefix: &str, k: usize, solver: PcaSolver) {
    let (x, n, d) = load_fixture(&format!("{prefix}_X.npy"));
    let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let data = Data::from_row_major(&x32, n, d).unwrap();
    let model = Pca::builder().n_components(k).solver(solver).seed(3).build().unwrap().fit(&data).unwrap();
    let what = format!("{prefix} {solver:?}");
    // f32 input: agreement to ~1e-4 relative is what the input precision allows.
    assert_close(model.components(), &load_fixture(&format!("{prefix}_full_components.npy")).0, 2e-4, &format!("{what} components"));
    assert_close(model.mean(), &load_fixture(&format!("{prefix}_mean.npy")).0, 1e-5, &format!("{what} mean"));
    assert_close(model.explained_variance(), &load_fixture(&format!("{prefix}_full_explained_variance.npy")).0, 1e-4, &format!("{what} variance"));
    assert_close(
        model.explained_variance_ratio(),
        &load_fixture(&format!("{prefix}_full_explained_variance_ratio.npy")).0,
        1e-4,
        &format!("{what} ratio"),
    );
    assert_close(model.singular_values(), &load_fixture(&format!("{prefix}_full_singular_values.npy")).0, 1e-4, &format!("{what} singular values"));
    let emb: Vec<f64> = model.embedding().as_slice().iter().map(|&v| v as f64).collect();
    let (want, _, _) = load_fixture(&format!("{prefix}_full_transformed.npy"));
    let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for (i, (g, w)) in emb.iter().zip(&want).enumerate() {
        assert!((g - w).abs() <= 2e-4 * scale, "{what} embedding[{i}]: got {g}, scikit-learn {w}");
    }
}

#[test]
fn matches_sklearn_full_on_tall_data_with_every_solver() {
    for solver in [PcaSolver::Full, PcaSolver::CovarianceEigh, PcaSolver::Randomized, PcaSolver::Auto] {
        check_against_sklearn("pca", 4, solver);
    }
}

#[test]
fn matches_sklearn_full_on_wide_data() {
    for solver in [PcaSolver::Full, PcaSolver::Randomized, PcaSolver::Auto] {
        check_against_sklearn("pcaw", 3, solver);
    }
}

#[test]
fn transform_of_new_rows_matches_sklearn() {
    let (x, n, d) = load_fixture("pca_X.npy");
    let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let model = Pca::builder().n_components(4).build().unwrap().fit(&Data::from_row_major(&x32, n, d).unwrap()).unwrap();
    let (z, m, _) = load_fixture("pca_transform_new_X.npy");
    let z32: Vec<f32> = z.iter().map(|&v| v as f32).collect();
    let y = model.transform(&Data::from_row_major(&z32, m, d).unwrap()).unwrap();
    let got: Vec<f64> = y.as_slice().iter().map(|&v| v as f64).collect();
    let (want, _, _) = load_fixture("pca_transform_new_Y.npy");
    let scale = want.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    for (g, w) in got.iter().zip(&want) {
        assert!((g - w).abs() <= 2e-4 * scale, "got {g}, scikit-learn {w}");
    }
    let wrong = Data::from_row_major(&z32[..m * 3], m, 3).unwrap();
    let e = model.transform(&wrong).unwrap_err().to_string();
    assert!(e.contains("fitted on 12 columns") && e.contains("has 3"), "{e}");
}

#[test]
fn solver_choice_follows_sklearn() {
    assert_eq!(PcaSolver::Auto.resolve(70_000, 784, 2), PcaSolver::CovarianceEigh);
    assert_eq!(PcaSolver::Auto.resolve(300, 120, 2), PcaSolver::Full);
    assert_eq!(PcaSolver::Auto.resolve(2000, 1500, 2), PcaSolver::Randomized);
    assert_eq!(PcaSolver::Auto.resolve(2000, 1500, 1400), PcaSolver::Full);
}

#[test]
fn invalid_parameters_and_data() {
    let e = Pca::builder().n_components(0).build().unwrap_err().to_string();
    assert!(e.contains("`n_components`") && e.contains("at least 1"), "{e}");
    let x = [1.0f32, 2.0, 3.0, 4.0, 5.0, 7.0];
    let data = Data::from_row_major(&x, 3, 2).unwrap();
    let e = Pca::builder().n_components(3).build().unwrap().fit(&data).unwrap_err().to_string();
    assert!(e.contains("`n_components`") && e.contains("min(3, 2) = 2"), "{e}");
    let one = Data::from_row_major(&x[..2], 1, 2).unwrap();
    let e = Pca::builder().n_components(1).build().unwrap().fit(&one).unwrap_err().to_string();
    assert!(e.contains("PCA needs at least 2 rows"), "{e}");
    assert!(PcaSolver::parse("arpack").unwrap_err().to_string().contains("svd_solver"));
}

#[test]
fn constant_data_gives_zero_variance_not_nan() {
    let x = vec![3.0f32; 40];
    let data = Data::from_row_major(&x, 10, 4).unwrap();
    let model = Pca::builder().n_components(2).build().unwrap().fit(&data).unwrap();
    assert!(model.embedding().as_slice().iter().all(|v| *v == 0.0));
    assert!(model.explained_variance_ratio().iter().all(|v| v.is_finite()));
}

#[test]
fn seeded_randomized_is_identical_across_thread_counts() {
    let (m, _) = crate::common::demo();
    let data = m.data().unwrap();
    let data = data.select_rows(&(0..2000).collect::<Vec<_>>());
    let fit = |t| {
        Pca::builder().n_components(3).solver(PcaSolver::Randomized).seed(9).threads(t).build().unwrap().fit(&data).unwrap()
    };
    let (a, b) = (fit(1), fit(2));
    assert!(a.embedding().as_slice() == b.embedding().as_slice(), "embeddings differ between 1 and 2 threads");
    assert!(a.components() == b.components(), "components differ between 1 and 2 threads");
    // And it is PCA: the first component agrees with the exact solver.
    let exact = Pca::builder().n_components(3).solver(PcaSolver::Full).build().unwrap().fit(&data).unwrap();
    let dot: f64 = a.components()[..784].iter().zip(&exact.components()[..784]).map(|(x, y)| x * y).sum();
    assert!(dot > 0.9999, "first components differ: cos = {dot}");
}
