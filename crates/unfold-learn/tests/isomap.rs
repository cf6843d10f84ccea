//! Isomap against scikit-learn's (fixtures/make_isomap_fixtures.py), the Swiss roll, landmark
//! Isomap against exact Isomap, determinism and every refused input.

use unfold_learn::data::Data;
use unfold_learn::embed::isomap::{EigenSolver, Isomap, IsomapModel, IsomapParams};
use unfold_learn::method::{Context, FitData, Fitted, Input, Params, Value};
use unfold_learn::metric::Metric;

use crate::common::{fixtures, load_fixture, load_npy};

fn expected() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join("isomap.json")).unwrap()).unwrap()
}

fn data32(name: &str) -> Data<'static> {
    let (x, n, d) = load_fixture(name);
    Data::from_vec(x.iter().map(|&v| v as f32).collect(), n, d).unwrap()
}

fn fit(x: &Data, p: IsomapParams, ctx: &Context) -> unfold_learn::Result<IsomapModel> {
    Isomap::new(p)?.fit(FitData::from(Input::F32(x)), ctx)
}

fn emb(m: &IsomapModel) -> Vec<f64> {
    m.embedding().unwrap().as_slice().iter().map(|&v| v as f64).collect()
}

/// Compares column by column up to each column's sign, relative to the largest entry.
fn assert_close_up_to_sign(got: &[f64], want: &[f64], k: usize, tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    let scale = want.iter().fold(0f64, |a, v| a.max(v.abs()));
    for c in 0..k {
        let dot: f64 = got.iter().skip(c).step_by(k).zip(want.iter().skip(c).step_by(k)).map(|(a, b)| a * b).sum();
        let s = if dot < 0.0 { -1.0 } else { 1.0 };
        for (i, (a, b)) in got.iter().skip(c).step_by(k).zip(want.iter().skip(c).step_by(k)).enumerate() {
            assert!((s * a - b).abs() <= tol * scale, "{what}[{i}, {c}]: {a} vs {b}");
        }
    }
}

fn roll_params() -> IsomapParams {
    IsomapParams { n_neighbors: Some(8), eigen_solver: EigenSolver::Dense, ..Default::default() }
}

#[test]
fn swiss_roll_matches_scikit_learn() {
    let x = data32("isomap_X.npy");
    let model = fit(&x, roll_params(), &Context::seeded(0)).unwrap();
    let e = &expected()["roll"];
    let dist = load_npy::<f32>("isomap_roll_dist");
    for (p, (a, b)) in model.dist_matrix().iter().zip(&dist).enumerate() {
        assert!((a - b).abs() <= 1e-4 * (1.0 + b), "dist_matrix_[{}, {}]: {a} vs {b}", p / 300, p % 300);
    }
    for (a, b) in model.eigenvalues().iter().zip(e["eigenvalues"].as_array().unwrap()) {
        let b = b.as_f64().unwrap();
        assert!((a - b).abs() < 1e-4 * b, "eigenvalue {a} vs {b}");
    }
    // svd_flip signs the columns as scikit-learn does.
    let want = load_fixture("isomap_roll_embedding.npy").0;
    let got = emb(&model);
    let scale = want.iter().fold(0f64, |a, v| a.max(v.abs()));
    assert!(got.iter().zip(&want).all(|(a, b)| (a - b).abs() <= 1e-3 * scale), "embedding signs or values differ");
    let err = e["reconstruction_error"].as_f64().unwrap();
    assert!((model.reconstruction_error() - err).abs() < 1e-3 * err, "{} vs {err}", model.reconstruction_error());
    let new = data32("isomap_new.npy");
    let t = model.transform(Input::F32(&new), &Context::seeded(0)).unwrap();
    let want = load_fixture("isomap_roll_transform.npy").0;
    let got: Vec<f64> = t.as_slice().iter().map(|&v| v as f64).collect();
    assert!(got.iter().zip(&want).all(|(a, b)| (a - b).abs() <= 1e-3 * scale), "transform: {got:?} vs {want:?}");
    // A training row placed by transform lands on its embedding.
    let first = Data::from_vec(x.row(0).to_vec(), 1, 3).unwrap();
    let placed = model.transform(Input::F32(&first), &Context::seeded(0)).unwrap();
    assert!(placed.as_slice().iter().zip(&emb(&model)[..2]).all(|(a, b)| (*a as f64 - b).abs() < 1e-3 * scale));
}

#[test]
fn disconnected_graph_is_joined_as_scikit_learn_joins_it() {
    let x = data32("isomap_blobs_X.npy");
    let p = IsomapParams { n_neighbors: Some(4), eigen_solver: EigenSolver::Dense, ..Default::default() };
    let model = fit(&x, p, &Context::seeded(0)).unwrap();
    let e = &expected()["blobs"];
    assert_eq!(model.warnings(), &[e["warnings"][0].as_str().unwrap().to_string()][..]);
    let dist = load_npy::<f32>("isomap_blobs_dist");
    for (p, (a, b)) in model.dist_matrix().iter().zip(&dist).enumerate() {
        assert!((a - b).abs() <= 1e-4 * (1.0 + b), "dist_matrix_[{}, {}]: {a} vs {b}", p / 60, p % 60);
    }
    assert_close_up_to_sign(&emb(&model), &load_fixture("isomap_blobs_embedding.npy").0, 2, 1e-3, "embedding");
    let err = e["reconstruction_error"].as_f64().unwrap();
    assert!((model.reconstruction_error() - err).abs() < 1e-3 * err, "{} vs {err}", model.reconstruction_error());
}

#[test]
fn manhattan_metric_matches_scikit_learn() {
    let full = data32("isomap_X.npy");
    let x = Data::from_vec(full.as_slice()[..360].to_vec(), 120, 3).unwrap();
    let p = IsomapParams { n_neighbors: Some(6), n_components: 3, metric: Metric::Manhattan, eigen_solver: EigenSolver::Dense, ..Default::default() };
    let model = fit(&x, p, &Context::seeded(0)).unwrap();
    assert_close_up_to_sign(&emb(&model), &load_fixture("isomap_manhattan_embedding.npy").0, 3, 1e-3, "embedding");
    let err = expected()["manhattan"]["reconstruction_error"].as_f64().unwrap();
    assert!((model.reconstruction_error() - err).abs() < 1e-3 * err);
}

/// A Swiss roll of `n` points: (t cos t, 21 v, t sin t), t = 1.5π(1 + 2u), from a fixed LCG.
fn swiss_roll(n: usize) -> (Data<'static>, Vec<f64>) {
    let mut s = 0x2545_f491_4f6c_dd1du64;
    let mut u = || {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut x = Vec::with_capacity(n * 3);
    let mut t = Vec::with_capacity(n);
    for _ in 0..n {
        let ti = 1.5 * std::f64::consts::PI * (1.0 + 2.0 * u());
        let h = 21.0 * u();
        x.extend([(ti * ti.cos()) as f32, h as f32, (ti * ti.sin()) as f32]);
        t.push(ti);
    }
    (Data::from_vec(x, n, 3).unwrap(), t)
}

#[test]
fn swiss_roll_is_unrolled_exact_iterative_and_landmark() {
    let (x, t) = swiss_roll(1800);
    // Exact with the iterative solver (above 1,500 points), and landmark mode.
    for n_landmarks in [None, Some(150)] {
        let p = IsomapParams { n_neighbors: Some(10), n_landmarks, ..Default::default() };
        let model = fit(&x, p, &Context::seeded(3)).unwrap();
        assert_eq!(model.is_landmark(), n_landmarks.is_some());
        let first: Vec<f64> = emb(&model).iter().step_by(2).copied().collect();
        let rho = crate::common::spearman(&first, &t).abs();
        assert!(rho > 0.98, "landmarks {n_landmarks:?}: Spearman {rho}");
    }
}

/// Relative root-mean-square difference of two centred 2-d embeddings after aligning `b` to `a`
/// by the best rotation or reflection (orthogonal Procrustes: the polar factor of `bᵀ a`).
fn procrustes_difference(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() / 2;
    let m = |r: usize, c: usize| (0..n).map(|i| b[i * 2 + r] * a[i * 2 + c]).sum::<f64>();
    let (p, q, r, s) = (m(0, 0), m(0, 1), m(1, 0), m(1, 1));
    let rot = if p * s - q * r >= 0.0 {
        let t = (q - r).atan2(p + s);
        [t.cos(), t.sin(), -t.sin(), t.cos()]
    } else {
        let t = (q + r).atan2(p - s);
        [t.cos(), t.sin(), t.sin(), -t.cos()]
    };
    let (mut err, mut total) = (0f64, 0f64);
    for i in 0..n {
        let (u, v) = (b[i * 2], b[i * 2 + 1]);
        let aligned = [u * rot[0] + v * rot[2], u * rot[1] + v * rot[3]];
        err += (aligned[0] - a[i * 2]).powi(2) + (aligned[1] - a[i * 2 + 1]).powi(2);
        total += a[i * 2].powi(2) + a[i * 2 + 1].powi(2);
    }
    (err / total).sqrt()
}

#[test]
fn landmark_isomap_is_exact_with_every_point_a_landmark_and_close_with_few() {
    // Every point a landmark: the triangulation is kernel PCA itself.
    let x = data32("isomap_X.npy");
    let exact = fit(&x, roll_params(), &Context::seeded(0)).unwrap();
    let all = fit(&x, IsomapParams { n_landmarks: Some(300), ..roll_params() }, &Context::seeded(0)).unwrap();
    let rel = procrustes_difference(&emb(&exact), &emb(&all));
    assert!(rel < 1e-4, "every point a landmark: {rel}");
    // 100 of 1,000 points of a clean roll.
    let (x, _) = swiss_roll(1000);
    let p = IsomapParams { n_neighbors: Some(10), ..Default::default() };
    let exact = fit(&x, p.clone(), &Context::seeded(0)).unwrap();
    let landmark = fit(&x, IsomapParams { n_landmarks: Some(100), ..p }, &Context::seeded(0)).unwrap();
    let nl = landmark.landmarks().unwrap().len();
    assert_eq!((nl, landmark.dist_matrix().len()), (100, 100 * 1000));
    // Landmark rows are the exact rows of those points.
    let l0 = landmark.landmarks().unwrap()[0] as usize;
    for (a, b) in landmark.dist_matrix()[..1000].iter().zip(&exact.dist_matrix()[l0 * 1000..(l0 + 1) * 1000]) {
        assert!((a - b).abs() <= 1e-5 * b, "{a} vs {b}");
    }
    let (a, b) = (emb(&exact), emb(&landmark));
    for c in 0..2 {
        let mean: f64 = (0..1000).map(|i| b[i * 2 + c]).sum::<f64>() / 1000.0;
        assert!(mean.abs() < 1e-3, "landmark embedding column {c} has mean {mean}");
    }
    let rel = procrustes_difference(&a, &b);
    assert!(rel < 0.03, "landmark vs exact: relative RMS difference {rel}");
    // A landmark's transform reproduces its embedding.
    let scale = b.iter().fold(0f64, |m, v| m.max(v.abs()));
    let row = Data::from_vec(x.row(l0).to_vec(), 1, 3).unwrap();
    let placed = landmark.transform(Input::F32(&row), &Context::seeded(0)).unwrap();
    assert!(placed.as_slice().iter().zip(&b[l0 * 2..l0 * 2 + 2]).all(|(p, q)| (*p as f64 - q).abs() < 1e-3 * scale));
}

#[test]
fn seeded_fits_are_identical_at_one_and_two_threads() {
    let (x, _) = swiss_roll(1700);
    for n_landmarks in [None, Some(100)] {
        let run = |threads| {
            let ctx = Context { threads: Some(threads), ..Context::seeded(11) };
            let m = fit(&x, IsomapParams { n_neighbors: Some(7), n_landmarks, ..Default::default() }, &ctx).unwrap();
            (emb(&m), m.dist_matrix().to_vec(), m.reconstruction_error())
        };
        assert!(run(1) == run(2), "landmarks {n_landmarks:?}");
    }
}

#[test]
fn model_file_round_trip_transforms_alike() {
    let x = data32("isomap_X.npy");
    for n_landmarks in [None, Some(50)] {
        let model = fit(&x, IsomapParams { n_landmarks, ..roll_params() }, &Context::seeded(0)).unwrap();
        let bytes = model.to_bytes().unwrap();
        let back = unfold_learn::method::load(&bytes).unwrap();
        assert_eq!(back.method(), "isomap");
        let new = data32("isomap_new.npy");
        let a = model.transform(Input::F32(&new), &Context::seeded(0)).unwrap();
        let b = back.transform(Input::F32(&new), &Context::seeded(0)).unwrap();
        assert_eq!(a.as_slice(), b.as_slice());
        assert_eq!(back.params().iter().find(|(n, _)| *n == "n_neighbors").unwrap().1, Value::Int(8));
        let mut corrupt = bytes.clone();
        let at = corrupt.len() - 3;
        corrupt[at] ^= 0x55;
        assert!(unfold_learn::method::load(&corrupt).is_err());
    }
    let without = fit(&x, roll_params(), &Context { keep_data: false, ..Context::seeded(0) }).unwrap();
    assert!(without.to_bytes().unwrap_err().to_string().contains("without keeping its training rows"));
}

#[test]
fn invalid_inputs_are_refused_with_their_ranges() {
    let x = data32("isomap_blobs_X.npy");
    let err = |values: &[(&str, Value)]| -> String {
        match IsomapParams::from_values(values.iter().map(|(n, v)| (*n, v))).and_then(Isomap::new) {
            Err(e) => e.to_string(),
            Ok(iso) => iso.fit(FitData::from(Input::F32(&x)), &Context::seeded(0)).unwrap_err().to_string(),
        }
    };
    let cases: &[(&[(&str, Value)], &str)] = &[
        (&[("radius", Value::Float(1.0))], "invalid value for `radius`: 1 (must be none: radius neighbourhoods are not offered"),
        (&[("n_neighbors", Value::None)], "invalid value for `n_neighbors`: none (must be a whole number ≥ 1"),
        (&[("n_neighbors", Value::Int(0))], "`n_neighbors`: 0 (must be at least 1)"),
        (&[("n_neighbors", Value::Int(60))], "`n_neighbors`: 60 (must be less than n_samples = 60)"),
        (&[("n_components", Value::Int(0))], "`n_components`: 0 (must be at least 1)"),
        (&[("n_components", Value::Int(61))], "`n_components`: 61 (must be at most n_samples = 60)"),
        (&[("n_landmarks", Value::Int(2))], "`n_landmarks`: 2 (must be in [n_components + 1, n_samples] = [3, 60])"),
        (&[("n_landmarks", Value::Int(61))], "`n_landmarks`: 61 (must be in [n_components + 1, n_samples] = [3, 60])"),
        (&[("n_landmarks", Value::Int(0))], "`n_landmarks`: 0 (must be at least 1)"),
        (&[("p", Value::Float(0.5))], "`p`: 0.5 (must be at least 1)"),
        (&[("tol", Value::Float(-1.0))], "`tol`: -1 (must be at least 0)"),
        (&[("max_iter", Value::Int(0))], "`max_iter`: 0 (must be at least 1)"),
        (&[("eigen_solver", Value::Text("lobpcg".into()))], "`eigen_solver`: lobpcg (must be one of auto, arpack, dense)"),
        (&[("path_method", Value::Text("BF".into()))], "`path_method`: BF (must be one of auto, FW, D)"),
        (&[("neighbors_algorithm", Value::Text("lsh".into()))], "`neighbors_algorithm`: lsh (must be one of auto, brute, kd_tree, ball_tree)"),
        (&[("metric", Value::Text("nope".into()))], "`metric`: nope"),
    ];
    for (values, message) in cases {
        let got = err(values);
        assert!(got.contains(message), "{values:?}: {got}");
    }
    // A precomputed matrix that is not square.
    let p = IsomapParams { metric: Metric::Precomputed, ..Default::default() };
    let got = fit(&x, p, &Context::seeded(0)).unwrap_err().to_string();
    assert!(got.contains("square"), "{got}");
}

#[test]
fn path_methods_and_precomputed_distances_give_the_same_embedding() {
    let x = data32("isomap_blobs_X.npy");
    let base = fit(&x, IsomapParams { n_neighbors: Some(4), ..Default::default() }, &Context::seeded(0)).unwrap();
    for pm in ["FW", "D"] {
        let mut p = IsomapParams { n_neighbors: Some(4), ..Default::default() };
        p.set("path_method", &Value::Text(pm.into())).unwrap();
        assert_eq!(emb(&fit(&x, p, &Context::seeded(0)).unwrap()), emb(&base));
    }
    let n = 60;
    let d: Vec<f32> = (0..n * n).map(|p| Metric::Euclidean.distance(x.row(p / n), x.row(p % n))).collect();
    let dm = Data::from_vec(d, n, n).unwrap();
    let pre = fit(&dm, IsomapParams { n_neighbors: Some(4), metric: Metric::Precomputed, ..Default::default() }, &Context::seeded(0)).unwrap();
    let (a, b) = (emb(&pre), emb(&base));
    let scale = b.iter().fold(0f64, |m, v| m.max(v.abs()));
    assert!(a.iter().zip(&b).all(|(p, q)| (p - q).abs() < 1e-4 * scale));
}
