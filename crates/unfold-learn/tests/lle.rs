//! Locally linear embedding against scikit-learn (fixtures/make_lle_fixtures.py): each variant's
//! embedding up to an orthogonal map (Procrustes), its reconstruction error and its transform;
//! thread-count invariance, model files and every invalid input.

use unfold_learn::data::Data;
use unfold_learn::embed::lle::{EigenSolver, Lle, LleMethod, LleModel, LleParams};
use unfold_learn::method::{self, Context, FitData, Fitted, Input, Value};

use crate::common::{fixtures, load_fixture};

fn expected() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join("lle.json")).unwrap()).unwrap()
}

fn f32_fixture(name: &str) -> (Vec<f32>, usize, usize) {
    let (x, n, d) = load_fixture(name);
    (x.iter().map(|&v| v as f32).collect(), n, d)
}

fn fit(x: &Data, params: LleParams, ctx: &Context) -> unfold_learn::Result<LleModel> {
    Lle::new(params)?.fit(FitData::from(Input::F32(x)), ctx)
}

/// The orthogonal `R` (2 × 2, row-major) minimising ‖A R − B‖ for `n × 2` row-major `A`, `B`:
/// `R = U Vᵀ` from the SVD of `Aᵀ B`, in closed form for 2 × 2.
fn procrustes(a: &[f64], b: &[f64]) -> [f64; 4] {
    let mut m = [0.0; 4];
    for (ra, rb) in a.chunks(2).zip(b.chunks(2)) {
        for i in 0..2 {
            for j in 0..2 {
                m[i * 2 + j] += ra[i] * rb[j];
            }
        }
    }
    // Best rotation and best reflection; keep the better.
    let rot = (m[0] + m[3], m[2] - m[1]);
    let refl = (m[0] - m[3], m[1] + m[2]);
    let (c, s, det) = if rot.0.hypot(rot.1) >= refl.0.hypot(refl.1) {
        let r = rot.0.hypot(rot.1);
        (rot.0 / r, rot.1 / r, 1.0)
    } else {
        let r = refl.0.hypot(refl.1);
        (refl.0 / r, refl.1 / r, -1.0)
    };
    // Rotation [[c, -s], [s, c]]ᵀ applied on the right, or the reflection [[c, s], [s, -c]].
    if det > 0.0 { [c, -s, s, c] } else { [c, s, s, -c] }
}

fn apply(a: &[f64], r: &[f64; 4]) -> Vec<f64> {
    a.chunks(2).flat_map(|row| [row[0] * r[0] + row[1] * r[2], row[0] * r[1] + row[1] * r[3]]).collect()
}

fn relative_error(got: &[f64], want: &[f64]) -> f64 {
    let diff: f64 = got.iter().zip(want).map(|(a, b)| (a - b).powi(2)).sum();
    let norm: f64 = want.iter().map(|b| b * b).sum();
    (diff / norm).sqrt()
}

fn check_method(method: LleMethod, name: &str, solver: EigenSolver, tol_embedding: f64, tol_error: f64) {
    let (x, n, d) = f32_fixture("lle_X.npy");
    let x = Data::from_row_major(&x, n, d).unwrap();
    let (xn, m, _) = f32_fixture("lle_X_new.npy");
    let xn = Data::from_row_major(&xn, m, d).unwrap();
    let p = LleParams { n_neighbors: 10, method, eigen_solver: solver, tol: 1e-9, max_iter: 500, ..Default::default() };
    let model = fit(&x, p, &Context::seeded(0)).unwrap();
    let want = load_fixture(&format!("lle_{name}_embedding.npy")).0;
    let got = model.embedding_f64();
    let r = procrustes(got, &want);
    let aligned = apply(got, &r);
    let err = relative_error(&aligned, &want);
    assert!(err < tol_embedding, "{name} ({solver:?}): embedding differs from scikit-learn's by {err:e} after Procrustes");
    // Columns are unit vectors, as scikit-learn's eigenvectors.
    for c in 0..2 {
        let norm: f64 = (0..n).map(|i| got[i * 2 + c].powi(2)).sum();
        assert!((norm - 1.0).abs() < 1e-8, "{name}: column {c} has squared norm {norm}");
    }
    let e = expected()[name]["reconstruction_error"].as_f64().unwrap();
    let rel = (model.reconstruction_error() - e).abs() / e;
    assert!(rel < tol_error, "{name} ({solver:?}): reconstruction error {} vs scikit-learn's {e} (relative {rel:e})", model.reconstruction_error());
    let placed = model.transform(Input::F32(&xn), &Context::seeded(0)).unwrap();
    let placed: Vec<f64> = placed.as_slice().iter().map(|&v| v as f64).collect();
    let want_t = load_fixture(&format!("lle_{name}_transform.npy")).0;
    let err_t = relative_error(&apply(&placed, &r), &want_t);
    assert!(err_t < 10.0 * tol_embedding.max(1e-6), "{name} ({solver:?}): transform differs from scikit-learn's by {err_t:e}");
}

#[test]
fn standard_lle_matches_scikit_learn() {
    check_method(LleMethod::Standard, "standard", EigenSolver::Dense, 1e-5, 1e-5);
    check_method(LleMethod::Standard, "standard", EigenSolver::Arpack, 1e-5, 1e-4);
}

#[test]
fn hessian_eigenmaps_match_scikit_learn() {
    check_method(LleMethod::Hessian, "hessian", EigenSolver::Dense, 1e-6, 1e-7);
    check_method(LleMethod::Hessian, "hessian", EigenSolver::Arpack, 1e-6, 1e-6);
}

#[test]
fn modified_lle_matches_scikit_learn() {
    check_method(LleMethod::Modified, "modified", EigenSolver::Dense, 1e-6, 1e-7);
    check_method(LleMethod::Modified, "modified", EigenSolver::Arpack, 1e-6, 1e-6);
}

#[test]
fn ltsa_matches_scikit_learn() {
    check_method(LleMethod::Ltsa, "ltsa", EigenSolver::Dense, 1e-6, 1e-7);
    check_method(LleMethod::Ltsa, "ltsa", EigenSolver::Arpack, 1e-6, 1e-6);
}

/// A noisy 2-D sheet rolled in 3-D, large enough for NN-descent and the sparse solver.
fn sheet(n: usize) -> Vec<f32> {
    let mut x = Vec::with_capacity(3 * n);
    let mut s = 0x1234_5678_9abc_def0u64;
    let mut u = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    for _ in 0..n {
        let t = 1.5 * std::f64::consts::PI * (1.0 + 2.0 * u());
        let h = 20.0 * u();
        x.extend([(t * t.cos()) as f32, h as f32, (t * t.sin()) as f32]);
    }
    x
}

#[test]
fn identical_at_one_and_two_threads_and_through_a_model_file() {
    let n = 5000;
    let x = sheet(n);
    let x = Data::from_row_major(&x, n, 3).unwrap();
    for method in [LleMethod::Standard, LleMethod::Hessian, LleMethod::Modified, LleMethod::Ltsa] {
        let p = LleParams { n_neighbors: 12, method, ..Default::default() };
        let run = |threads| fit(&x, p.clone(), &Context { threads: Some(threads), ..Context::seeded(7) }).unwrap();
        let (one, two) = (run(1), run(2));
        assert!(one.embedding_f64() == two.embedding_f64() && one.eigenvalues() == two.eigenvalues(), "{method:?}: 1 and 2 threads differ");
        assert!(one.reconstruction_error() > 0.0);
        let bytes = one.to_bytes().unwrap();
        let loaded = method::load(&bytes).unwrap();
        assert_eq!(loaded.method(), "lle");
        let new = Data::from_row_major(&x.as_slice()[..300], 100, 3).unwrap();
        let a = one.transform(Input::F32(&new), &Context { threads: Some(1), ..Context::seeded(0) }).unwrap();
        let b = loaded.transform(Input::F32(&new), &Context { threads: Some(2), ..Context::seeded(0) }).unwrap();
        assert_eq!(a.as_slice(), b.as_slice());
        assert!(loaded.params().iter().any(|(n, v)| *n == "eigen_solver" && *v == Value::Text("arpack".into())), "{:?}", loaded.params());
    }
}

#[test]
fn a_fit_without_its_data_gives_the_embedding_but_no_transform() {
    let (x, n, d) = f32_fixture("lle_X.npy");
    let x = Data::from_row_major(&x, n, d).unwrap();
    let model = fit(&x, LleParams { n_neighbors: 10, ..Default::default() }, &Context { keep_data: false, ..Context::seeded(0) }).unwrap();
    assert!(model.embedding().is_some() && !model.capabilities().transform);
    let e = model.transform(Input::F32(&x), &Context::seeded(0)).unwrap_err().to_string();
    assert!(e.contains("without keeping its training rows"), "{e}");
    assert!(model.to_bytes().unwrap_err().to_string().contains("without keeping"));
}

#[test]
fn invalid_parameters_and_data_are_named() {
    let (x, n, d) = f32_fixture("lle_X.npy");
    let x = Data::from_row_major(&x, n, d).unwrap();
    let err = |p: LleParams| fit(&x, p, &Context::seeded(0)).unwrap_err().to_string();
    let e = err(LleParams { method: LleMethod::Hessian, n_neighbors: 5, ..Default::default() });
    assert!(e.contains("`n_neighbors`") && e.contains("greater than n_components · (n_components + 3) / 2 = 5"), "{e}");
    let e = err(LleParams { method: LleMethod::Modified, n_neighbors: 2, n_components: 3, ..Default::default() });
    assert!(e.contains("`n_neighbors`") && e.contains("at least n_components = 3"), "{e}");
    let e = err(LleParams { n_components: 4, ..Default::default() });
    assert!(e.contains("`n_components`") && e.contains("at most the number of features, 3"), "{e}");
    let e = err(LleParams { n_neighbors: 300, ..Default::default() });
    assert!(e.contains("`n_neighbors`") && e.contains("less than n_samples = 300"), "{e}");
    let e = err(LleParams { n_neighbors: 0, ..Default::default() });
    assert!(e.contains("`n_neighbors`") && e.contains("at least 1"), "{e}");
    let e = err(LleParams { reg: -1.0, ..Default::default() });
    assert!(e.contains("`reg`") && e.contains("at least 0"), "{e}");
    let e = err(LleParams { tol: f64::NAN, ..Default::default() });
    assert!(e.contains("`tol`"), "{e}");
    let e = err(LleParams { max_iter: 0, ..Default::default() });
    assert!(e.contains("`max_iter`"), "{e}");
    let e = err(LleParams { hessian_tol: -1e-3, ..Default::default() });
    assert!(e.contains("`hessian_tol`"), "{e}");
    let e = err(LleParams { modified_tol: -1.0, ..Default::default() });
    assert!(e.contains("`modified_tol`"), "{e}");
    let e = method::params_from::<LleParams>(&[("method", Value::Text("isomap".into()))]).unwrap_err().to_string();
    assert!(e.contains("`method`") && e.contains("standard, hessian, modified, ltsa"), "{e}");
    let e = method::params_from::<LleParams>(&[("eigen_solver", Value::Text("lobpcg".into()))]).unwrap_err().to_string();
    assert!(e.contains("`eigen_solver`") && e.contains("auto, arpack, dense"), "{e}");
    let e = method::params_from::<LleParams>(&[("neighbors_algorithm", Value::Text("hnsw".into()))]).unwrap_err().to_string();
    assert!(e.contains("`neighbors_algorithm`") && e.contains("kd_tree"), "{e}");
    // reg = 0 with a neighbourhood that coincides with its point: singular, named.
    let dup = [0.0f32, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 2.0];
    let dup = Data::from_row_major(&dup, 4, 2).unwrap();
    let e = fit(&dup, LleParams { n_neighbors: 2, n_components: 1, reg: 0.0, ..Default::default() }, &Context::seeded(0)).unwrap_err().to_string();
    assert!(e.contains("row 0") && e.contains("reg"), "{e}");
    // The wrong number of columns in transform.
    let model = fit(&x, LleParams { n_neighbors: 10, ..Default::default() }, &Context::seeded(0)).unwrap();
    let bad = Data::from_row_major(&[0.0f32; 4], 2, 2).unwrap();
    let e = model.transform(Input::F32(&bad), &Context::seeded(0)).unwrap_err().to_string();
    assert!(e.contains("3 features") && e.contains("has 2"), "{e}");
    // A corrupt model file is refused.
    let mut bytes = model.to_bytes().unwrap();
    let at = bytes.len() - 3;
    bytes[at] ^= 0xff;
    assert!(LleModel::from_bytes(&bytes).is_err());
}
