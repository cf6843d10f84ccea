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
    let model = Pca::builder().n_components(k).solver(solver).build().unwrap().fit(&data, &Context::seeded(3)).unwrap();
    let what = format!("{prefix} {solver:?}");
    // f32 input: agreement to ~1e-4 relative is what the input precision allows.
    assert_close(model.components(), &load_fixture(&format!("{prefix}_full_components.npy")).0, 2e-4, &format!("{what} components"));
    assert_close(model.mean(), &load_fixture(&format!("{prefix}_mean.npy")).0, 1e-5, &format!("{what} mean"));
    assert_close(model.explained_variance(), &load_fixture(&format!("{prefix}_full_explained_variance.npy")).0, 1e-4, &format!("{what} variance"));
    assert_close(model.explained_variance_ratio(), &load_fixture(&format!("{prefix}_full_explained_variance_ratio.npy")).0, 1e-4, &format!("{what} ratio"));
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
    let model = Pca::builder().n_components(4).build().unwrap().fit(&Data::from_row_major(&x32, n, d).unwrap(), &Context::default()).unwrap();
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
    let e = Pca::builder().n_components(3).build().unwrap().fit(&data, &Context::default()).unwrap_err().to_string();
    assert!(e.contains("`n_components`") && e.contains("min(3, 2) = 2"), "{e}");
    let one = Data::from_row_major(&x[..2], 1, 2).unwrap();
    let e = Pca::builder().n_components(1).build().unwrap().fit(&one, &Context::default()).unwrap_err().to_string();
    // The wording scikit-learn's estimator checks look for ("n_samples = 1").
    assert!(e.contains("PCA needs at least 2 rows") && e.contains("n_samples = 1"), "{e}");
    assert!(PcaSolver::parse("arpack").unwrap_err().to_string().contains("svd_solver"));
}

#[test]
fn randomized_oversampling_beyond_the_data_is_the_full_sketch() {
    // k + n_oversamples overflowed usize (a panic in debug builds, a tiny wrapped sketch in
    // release); any n_oversamples ≥ min(n, d) − k gives the same min(n, d)-column sketch, and
    // with it scikit-learn's exact components.
    let (x, n, d) = load_fixture("pca_X.npy");
    let data = DataF64::from_row_major(&x, n, d).unwrap();
    let fit = |n_oversamples: usize| {
        let params = PcaParams { n_components: PcaComponents::Count(3), svd_solver: PcaSolver::Randomized, n_oversamples, ..PcaParams::default() };
        Pca::new(params).unwrap().fit(&data, &Context::seeded(4)).unwrap()
    };
    let full = fit(n.min(d) - 3);
    for huge in [usize::MAX, usize::MAX - 2, 1 << 62] {
        // The same model; only the recorded n_oversamples differs.
        let model = fit(huge);
        assert!(model.components() == full.components() && model.singular_values() == full.singular_values(), "n_oversamples = {huge}");
        assert!(model.embedding().as_slice() == full.embedding().as_slice() && model.noise_variance() == full.noise_variance(), "n_oversamples = {huge}");
    }
    let exact = Pca::builder().n_components(3).solver(PcaSolver::Full).build().unwrap().fit(&data, &Context::default()).unwrap();
    assert_close(full.explained_variance_ratio(), exact.explained_variance_ratio(), 1e-10, "ratio");
    assert_close(full.components(), exact.components(), 1e-8, "components");
}

#[test]
fn constant_data_gives_zero_variance_not_nan() {
    let x = vec![3.0f32; 40];
    let data = Data::from_row_major(&x, 10, 4).unwrap();
    let model = Pca::builder().n_components(2).build().unwrap().fit(&data, &Context::default()).unwrap();
    assert!(model.embedding().as_slice().iter().all(|v| *v == 0.0));
    assert!(model.explained_variance_ratio().iter().all(|v| v.is_finite()));
}

#[test]
fn seeded_randomized_is_identical_across_thread_counts() {
    let (m, _) = crate::common::demo();
    let data = m.data().unwrap();
    let data = data.select_rows(&(0..2000).collect::<Vec<_>>());
    let fit = |t| {
        Pca::builder()
            .n_components(3)
            .solver(PcaSolver::Randomized)
            .build()
            .unwrap()
            .fit(&data, &Context { seed: Some(9), threads: Some(t), ..Context::default() })
            .unwrap()
    };
    let (a, b) = (fit(1), fit(2));
    assert!(a.embedding().as_slice() == b.embedding().as_slice(), "embeddings differ between 1 and 2 threads");
    assert!(a.components() == b.components(), "components differ between 1 and 2 threads");
    // And it is PCA: the first component agrees with the exact solver.
    let exact = Pca::builder().n_components(3).solver(PcaSolver::Full).build().unwrap().fit(&data, &Context::default()).unwrap();
    let dot: f64 = a.components()[..784].iter().zip(&exact.components()[..784]).map(|(x, y)| x * y).sum();
    assert!(dot > 0.9999, "first components differ: cos = {dot}");
}

// --- scale and offset: tests/fixtures/make_pca_fixtures.py ---------------------------------

fn f32s(x: &[f64]) -> Vec<f32> {
    x.iter().map(|&v| v as f32).collect()
}

/// Compares a fit to a `make_pca_fixtures.py` case whose data was multiplied by `factor`
/// (PCA is scale-equivariant: same ratios and components, projections times `factor`).
fn check_scale_case(model: &PcaModel, prefix: &str, factor: f64, tol: f64) {
    let what = format!("{prefix} × {factor:e}");
    assert_close(model.explained_variance_ratio(), &load_fixture(&format!("{prefix}_ratio.npy")).0, tol, &format!("{what} ratio"));
    assert_close(model.components(), &load_fixture(&format!("{prefix}_components.npy")).0, tol, &format!("{what} components"));
    let singular: Vec<f64> = load_fixture(&format!("{prefix}_singular.npy")).0.iter().map(|s| s * factor).collect();
    for (g, w) in model.singular_values().iter().zip(&singular) {
        assert!((g - w).abs() <= tol * w.abs(), "{what} singular value: got {g}, scikit-learn {w}");
    }
    let (want, _, _) = load_fixture(&format!("{prefix}_transformed.npy"));
    let max = want.iter().fold(0.0f64, |m, v| m.max(v.abs())) * factor;
    for (g, w) in model.embedding().as_slice().iter().zip(&want) {
        assert!(g.is_finite() && (*g as f64 - w * factor).abs() <= tol * max, "{what} embedding: got {g}, scikit-learn {}", w * factor);
    }
}

#[test]
fn huge_and_tiny_values_match_sklearn_in_f32_and_f64() {
    // At 1e18–1e20 the f32 scatter matrix overflowed (NaN output or a failed
    // eigendecomposition); at 1e-25 its squares underflowed to zero.
    let (x, n, d) = load_fixture("pca_big_X.npy");
    for solver in [PcaSolver::Auto, PcaSolver::Full, PcaSolver::Randomized] {
        for factor in [1.0, 1e-1, 1e-2, 1e-45] {
            let scaled: Vec<f64> = x.iter().map(|v| v * factor).collect();
            let x32 = f32s(&scaled);
            let pca = Pca::builder().n_components(2).solver(solver).build().unwrap();
            let model = pca.fit(&Data::from_row_major(&x32, n, d).unwrap(), &Context::seeded(1)).unwrap();
            check_scale_case(&model, "pca_big", factor, 2e-4);
            let model = pca.fit(&DataF64::from_row_major(&scaled, n, d).unwrap(), &Context::seeded(1)).unwrap();
            check_scale_case(&model, "pca_big", factor, 1e-6);
        }
    }
}

#[test]
fn a_large_offset_is_centred_in_f64() {
    // 1e6 + 1e-3 u: float32 cannot hold these values; as f64 data they give scikit-learn's PCA,
    // whichever solver (the covariance solver centres before it squares).
    let (x, n, d) = load_fixture("pca_offset_X.npy");
    let data = DataF64::from_row_major(&x, n, d).unwrap();
    for solver in [PcaSolver::Auto, PcaSolver::CovarianceEigh, PcaSolver::Full, PcaSolver::Randomized] {
        let model = Pca::builder().n_components(2).solver(solver).build().unwrap().fit(&data, &Context::seeded(1)).unwrap();
        check_scale_case(&model, "pca_offset", 1.0, 1e-5);
        let mean = model.mean();
        assert!(mean.iter().all(|m| (m - 1e6).abs() < 1e-3), "mean {mean:?}");
        // transform of f64 rows equals the embedding.
        let again = model.transform(&data).unwrap();
        assert_eq!(again.as_slice(), model.embedding().as_slice());
    }
}

#[test]
fn output_that_does_not_fit_is_an_error_naming_the_cause() {
    // f32 values near f32::MAX: the projections exceed float32.
    let x: Vec<f32> = (0..40).map(|i| if (i / 4 + i % 4) % 2 == 0 { 3e38 } else { -3e38 }).collect();
    let e = Pca::builder().n_components(1).build().unwrap().fit(&Data::from_row_major(&x, 10, 4).unwrap(), &Context::default()).unwrap_err().to_string();
    assert!(e.contains("the PCA embedding does not fit in float32") && e.contains("scale the data down"), "{e}");
    // f64 values of 1e200: the variances exceed float64.
    let x: Vec<f64> = (0..40).map(|i| ((i * 7919) % 13) as f64 * 1e200).collect();
    let e = Pca::builder().n_components(1).build().unwrap().fit(&DataF64::from_row_major(&x, 10, 4).unwrap(), &Context::default()).unwrap_err().to_string();
    assert!(e.contains("PCA's variances overflow float64") && e.contains("scale the data down"), "{e}");
    let bad = [1.0, f64::NAN, 2.0, 3.0];
    let e = DataF64::from_row_major(&bad, 2, 2).unwrap_err().to_string();
    assert!(e.contains("row 0, column 1 (counting from 0) is NaN"), "{e}");
}

// --- probabilistic PCA, whitening, choosing k ------------------------------------------------

fn prob_data() -> (Vec<f64>, usize, usize) {
    load_fixture("pca_prob_X.npy")
}

fn fit64(x: &[f64], n: usize, d: usize, pca: Pca) -> PcaModel {
    // The seed matters to the randomized solver only.
    pca.fit(&DataF64::from_row_major(x, n, d).unwrap(), &Context::seeded(0)).unwrap()
}

#[test]
fn likelihood_covariance_and_precision_match_sklearn() {
    let (x, n, d) = prob_data();
    let model = fit64(&x, n, d, Pca::builder().n_components(3).solver(PcaSolver::Full).build().unwrap());
    assert_close(&[model.noise_variance()], &load_fixture("pca_prob_noise.npy").0, 1e-10, "noise_variance");
    assert_close(&model.covariance(), &load_fixture("pca_prob_covariance.npy").0, 1e-10, "covariance");
    assert_close(&model.precision().unwrap(), &load_fixture("pca_prob_precision.npy").0, 1e-10, "precision");
    let head = DataF64::from_row_major(&x[..20 * d], 20, d).unwrap();
    let want = load_fixture("pca_prob_score_samples.npy").0;
    assert_close(&model.score_samples(&head).unwrap(), &want, 1e-10, "score_samples");
    let mean = want.iter().sum::<f64>() / 20.0;
    assert!((model.score(&head).unwrap() - mean).abs() < 1e-10);
    // The covariance solver and f32 data agree to their precision.
    let eigh = fit64(&x, n, d, Pca::builder().n_components(3).solver(PcaSolver::CovarianceEigh).build().unwrap());
    assert_close(&eigh.score_samples(&head).unwrap(), &want, 1e-8, "score_samples (covariance_eigh)");
    let randomized = fit64(&x, n, d, Pca::builder().n_components(3).solver(PcaSolver::Randomized).build().unwrap());
    assert_close(&[randomized.noise_variance()], &load_fixture("pca_prob_r_noise.npy").0, 1e-8, "randomized noise_variance");
}

#[test]
fn whitening_matches_sklearn_and_inverts() {
    let (x, n, d) = prob_data();
    let model = fit64(&x, n, d, Pca::builder().n_components(3).whiten(true).solver(PcaSolver::Full).build().unwrap());
    assert!(model.whiten());
    let head = DataF64::from_row_major(&x[..20 * d], 20, d).unwrap();
    let y = model.transform(&head).unwrap();
    let y64: Vec<f64> = y.as_slice().iter().map(|&v| v as f64).collect();
    assert_close(&y64, &load_fixture("pca_prob_w_transformed.npy").0, 1e-6, "whitened transform");
    // Whitened training embedding: unit variance per component.
    let emb = model.embedding();
    for c in 0..3 {
        let var = (0..n).map(|i| (emb.row(i)[c] as f64).powi(2)).sum::<f64>() / (n - 1) as f64;
        assert!((var - 1.0).abs() < 1e-5, "component {c} variance {var}");
    }
    let (w_y, _, _) = load_fixture("pca_prob_w_transformed.npy");
    let back = model.inverse_transform(&DataF64::from_row_major(&w_y, 20, 3).unwrap()).unwrap();
    assert_close(&back, &load_fixture("pca_prob_w_inverse.npy").0, 1e-10, "whitened inverse_transform");
    assert_close(&model.covariance(), &load_fixture("pca_prob_w_covariance.npy").0, 1e-10, "whitened covariance");
    assert_close(&model.precision().unwrap(), &load_fixture("pca_prob_w_precision.npy").0, 1e-10, "whitened precision");
    assert_close(&model.score_samples(&head).unwrap(), &load_fixture("pca_prob_w_score_samples.npy").0, 1e-10, "whitened score_samples");
}

#[test]
fn inverse_transform_with_every_component_gives_the_data_back() {
    let (x, n, d) = prob_data();
    let model = fit64(&x, n, d, Pca::builder().n_components(d).build().unwrap());
    let y: Vec<f64> = model.embedding().as_slice().iter().map(|&v| v as f64).collect();
    let back = model.inverse_transform(&DataF64::from_row_major(&y, n, d).unwrap()).unwrap();
    let scale = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for (b, v) in back.iter().zip(&x) {
        assert!((b - v).abs() <= 1e-5 * scale, "got {b}, data {v}");
    }
    let e = model.inverse_transform(&DataF64::from_row_major(&y[..2 * n], n, 2).unwrap()).unwrap_err().to_string();
    assert!(e.contains("the model has 8 components but the data to map back has 2 columns"), "{e}");
}

#[test]
fn variance_fraction_and_mle_choose_sklearns_k() {
    let (x, n, d) = prob_data();
    let frac = fit64(&x, n, d, Pca::builder().variance_fraction(0.9).build().unwrap());
    assert_eq!(frac.n_components() as f64, load_fixture("pca_prob_frac_k.npy").0[0]);
    let ratio: f64 = frac.explained_variance_ratio().iter().sum();
    assert!(ratio > 0.9, "kept ratio {ratio}");
    let mle = fit64(&x, n, d, Pca::builder().mle().build().unwrap());
    assert_eq!(mle.n_components() as f64, load_fixture("pca_prob_mle_k.npy").0[0]);
    assert_close(mle.explained_variance(), &load_fixture("pca_prob_mle_variance.npy").0, 1e-10, "mle explained_variance");
    assert_eq!(mle.embedding().n_cols(), mle.n_components());
}

#[test]
fn invalid_component_rules_and_singular_models_are_refused() {
    for f in [0.0, 1.0, 1.5, f64::NAN] {
        let e = Pca::builder().variance_fraction(f).build().unwrap_err().to_string();
        assert!(e.contains("`n_components`") && e.contains("strictly between 0 and 1"), "{e}");
    }
    let e = Pca::builder().variance_fraction(0.5).solver(PcaSolver::Randomized).build().unwrap_err().to_string();
    assert!(e.contains("`n_components`: 0.5") && e.contains("not randomized"), "{e}");
    let e = Pca::builder().mle().solver(PcaSolver::Randomized).build().unwrap_err().to_string();
    assert!(e.contains("`n_components`: mle"), "{e}");
    let (x, _, d) = prob_data();
    let wide = DataF64::from_row_major(&x[..5 * d], 5, d).unwrap();
    let e = Pca::builder().mle().build().unwrap().fit(&wide, &Context::default()).unwrap_err().to_string();
    assert!(e.contains("only supported if n_samples >= n_features, but the data has 5 samples and 8 features"), "{e}");
    // k = n < d: no noise variance, a singular covariance.
    let model = Pca::builder().n_components(5).build().unwrap().fit(&wide, &Context::default()).unwrap();
    assert_eq!(model.noise_variance(), 0.0);
    let e = model.precision().unwrap_err().to_string();
    assert!(e.contains("covariance is singular") && e.contains("n_components = 5, n_features = 8"), "{e}");
    assert!(model.score_samples(&wide).unwrap_err().to_string().contains("covariance is singular"));
}

#[test]
fn model_bytes_round_trip_and_name_their_kind() {
    let (x, n, d) = prob_data();
    let model = fit64(&x, n, d, Pca::builder().n_components(3).whiten(true).build().unwrap());
    let bytes = model.to_bytes().unwrap();
    assert_eq!(PcaModel::from_bytes(&bytes).unwrap(), model);
    assert_eq!(unfold_learn::io::model::kind_of(&bytes).unwrap(), "pca");
    let umap = bytes.to_vec();
    let e = UmapModel::from_bytes(&umap).unwrap_err().to_string();
    assert!(e.contains("holds a `pca` model, not a `umap` model"), "{e}");
}

#[test]
fn randomized_with_a_sketch_narrower_than_the_features_recovers_a_known_spectrum() {
    // X = U diag(σ) Vᵀ + noise, U (300 × 5, centred columns) and V (200 × 5) orthonormal: the
    // centred data's top singular values are σ up to the noise (0.01 per entry, singular values
    // of the noise about 0.01 (√300 + √200) ≈ 0.31, shifting σ by about 0.31² / σ).
    let (n, d, k) = (300, 200, 5);
    let defaults = PcaParams::default();
    assert!(k + defaults.n_oversamples < d, "the sketch must be narrower than the features");
    let sigma = [60.0, 45.0, 30.0, 20.0, 12.0];
    let s = unfold_learn::rng::SeedSource::new(Some(21));
    let gauss = |stage: u64, u: usize| unfold_learn::rng::normal_f64(s.value(stage, 2 * u as u64), s.value(stage, 2 * u as u64 + 1));
    let orthonormal = |rows: usize, stage: u64, centre: bool| -> Vec<Vec<f64>> {
        let mut cols: Vec<Vec<f64>> = Vec::new();
        for c in 0..k {
            let mut v: Vec<f64> = (0..rows).map(|i| gauss(stage, i * k + c)).collect();
            if centre {
                let m = v.iter().sum::<f64>() / rows as f64;
                v.iter_mut().for_each(|x| *x -= m);
            }
            for _ in 0..2 {
                for q in &cols {
                    let dot: f64 = v.iter().zip(q).map(|(a, b)| a * b).sum();
                    v.iter_mut().zip(q).for_each(|(a, b)| *a -= dot * b);
                }
            }
            let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
            cols.push(v.into_iter().map(|a| a / norm).collect());
        }
        cols
    };
    let (u, v) = (orthonormal(n, 1, true), orthonormal(d, 2, false));
    let x: Vec<f32> = (0..n * d)
        .map(|p| {
            let (i, j) = (p / d, p % d);
            ((0..k).map(|c| u[c][i] * sigma[c] * v[c][j]).sum::<f64>() + 5.0 + 0.01 * gauss(3, p)) as f32
        })
        .collect();
    let data = Data::from_row_major(&x, n, d).unwrap();
    let fit = |solver| Pca::builder().n_components(k).solver(solver).build().unwrap().fit(&data, &Context::seeded(4)).unwrap();
    let (randomized, exact) = (fit(PcaSolver::Randomized), fit(PcaSolver::Full));
    assert_eq!(randomized.solver(), PcaSolver::Randomized);
    for c in 0..k {
        let (got, want) = (randomized.singular_values()[c], exact.singular_values()[c]);
        assert!((got - want).abs() <= 1e-5 * want, "singular value {c}: randomized {got}, exact {want}");
        assert!((got - sigma[c]).abs() <= 0.01 * sigma[c], "singular value {c}: {got}, built with {}", sigma[c]);
        let dot: f64 = randomized.components()[c * d..(c + 1) * d].iter().zip(&v[c]).map(|(a, b)| a * b).sum();
        assert!(dot.abs() > 0.9999, "component {c}: |cos| with the built direction {}", dot.abs());
    }
    assert_close(randomized.explained_variance_ratio(), exact.explained_variance_ratio(), 1e-5, "randomized ratio");
    assert_close(randomized.components(), exact.components(), 1e-4, "randomized components");
}
