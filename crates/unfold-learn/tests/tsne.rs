//! t-SNE against independent references: a brute-force repulsion, openTSNE's affinities and
//! KL divergences (fixtures made by `fixtures/make_tsne_fixtures.py`).

use crate::common::load_fixture;
use unfold_learn::embed::tsne::{
    Gradient, PartialInit, Tsne, TsneAffinity, TsneInit, TsneMethod, TsneModel, TsneParams, TsneTransformParams, affinity, bh, exact,
};
use unfold_learn::knn::{KnnAlgorithm, KnnParams, knn_graph};
use unfold_learn::method::{Input, Value, params_from};
use unfold_learn::prelude::*;
use unfold_learn::progress::NoProgress;

/// Points from a fixed hash, in `dim` dimensions, with some structure (two clusters).
fn points(n: usize, dim: usize) -> Vec<f64> {
    (0..n * dim)
        .map(|i| {
            let h = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(17) >> 11;
            (h as f64 / (1u64 << 53) as f64) * 4.0 - 2.0 + if (i / dim).is_multiple_of(3) { 6.0 } else { 0.0 }
        })
        .collect()
}

/// The repulsion written out pair by pair, `w = (1 + d²/α)^−α` by `powf` always.
fn brute_force(y: &[f64], dim: usize, dof: f64) -> (Vec<f64>, f64) {
    let n = y.len() / dim;
    let mut out = vec![0.0; n * dim];
    let mut z = 0.0;
    for i in 0..n {
        for j in 0..n {
            if i == j {
                continue;
            }
            let d2: f64 = (0..dim).map(|d| (y[i * dim + d] - y[j * dim + d]).powi(2)).sum();
            let w = (1.0 + d2 / dof).powf(-dof);
            z += w;
            for d in 0..dim {
                out[i * dim + d] += w.powf((dof + 1.0) / dof) * (y[i * dim + d] - y[j * dim + d]);
            }
        }
    }
    (out, z)
}

fn max_rel(a: &[f64], b: &[f64]) -> f64 {
    let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    a.iter().zip(b).fold(0.0f64, |m, (x, y)| m.max((x - y).abs())) / scale
}

#[test]
fn exact_repulsion_is_the_pairwise_sum() {
    for (dim, dof) in [(1, 1.0), (2, 1.0), (2, 0.5), (3, 1.0), (3, 2.5), (5, 1.0)] {
        let y = points(300, dim);
        let (want, want_z) = brute_force(&y, dim, dof);
        let mut got = vec![f64::NAN; y.len()];
        let z = exact::repulsion(&y, dim, dof, &mut got);
        assert!(max_rel(&got, &want) < 1e-12, "dim {dim} dof {dof}: {}", max_rel(&got, &want));
        assert!((z - want_z).abs() < 1e-12 * want_z, "dim {dim} dof {dof}: Z {z} vs {want_z}");
    }
}

#[test]
fn barnes_hut_at_theta_zero_is_exact() {
    for (dim, dof) in [(1, 1.0), (2, 1.0), (2, 0.7), (3, 1.0)] {
        let y = points(400, dim);
        let (want, want_z) = brute_force(&y, dim, dof);
        let mut got = vec![f64::NAN; y.len()];
        let z = bh::repulsion(&y, dim, dof, 0.0, &mut got);
        // Only openTSNE's ε in each squared distance separates them.
        assert!(max_rel(&got, &want) < 1e-10, "dim {dim}: {}", max_rel(&got, &want));
        assert!((z - want_z).abs() < 1e-10 * want_z, "dim {dim}: Z {z} vs {want_z}");
    }
}

#[test]
fn barnes_hut_at_default_theta_is_close() {
    // openTSNE's θ = 0.5 (the full cell side; bhtsne's 0.25). Bounds: the largest force error
    // within 3 % of the largest force, Z within 1 %.
    for dim in [2, 3] {
        let y = points(2000, dim);
        let (want, want_z) = brute_force(&y, dim, 1.0);
        let mut got = vec![0.0; y.len()];
        let z = bh::repulsion(&y, dim, 1.0, 0.5, &mut got);
        let err = max_rel(&got, &want);
        assert!(err < 3e-2 && err > 0.0, "dim {dim}: force error {err}");
        eprintln!("dim {dim}: force error {err:.2e}, Z error {:.2e}", (z - want_z).abs() / want_z);
        assert!((z - want_z).abs() < 1e-2 * want_z, "dim {dim}: Z {z} vs {want_z}");
        let gradient = Gradient::BarnesHut { theta: 0.5 };
        let mut again = vec![0.0; y.len()];
        assert_eq!(gradient.repulsion(&y, dim, 1.0, &mut again).to_bits(), z.to_bits());
        assert_eq!(again, got);
    }
}

#[test]
fn barnes_hut_merges_duplicates() {
    // Many copies of one point, as a precomputed block of coincident points gives.
    let mut y = [1.0, 1.0].repeat(50);
    y.extend([3.0, 1.0, 1.0, 4.0]);
    let mut got = vec![0.0; y.len()];
    let z = bh::repulsion(&y, 2, 1.0, 0.5, &mut got);
    assert!(z.is_finite() && got.iter().all(|v| v.is_finite()));
}

#[test]
fn repulsion_is_identical_at_one_and_two_threads() {
    let y = points(3000, 2);
    for gradient in [Gradient::Exact, Gradient::BarnesHut { theta: 0.5 }] {
        let run = |t| {
            unfold_learn::threads::install(Some(t), || {
                let mut out = vec![0.0; y.len()];
                let z = gradient.repulsion(&y, 2, 1.0, &mut out);
                (out, z.to_bits(), rayon::current_num_threads())
            })
            .unwrap()
        };
        let (a, b) = (run(1), run(2));
        assert_eq!(b.2, 2);
        assert_eq!(a.0, b.0);
        assert_eq!(a.1, b.1);
    }
}

#[test]
fn repulsion_against_a_reference_matches_brute_force() {
    let reference = points(500, 2);
    let new: Vec<f64> = points(40, 2).iter().map(|v| v + 0.37).collect();
    let mut want = vec![0.0; new.len()];
    let mut want_q = vec![0.0; 40];
    for i in 0..40 {
        for r in reference.chunks(2) {
            let d2 = (new[2 * i] - r[0]).powi(2) + (new[2 * i + 1] - r[1]).powi(2);
            let w = 1.0 / (1.0 + d2);
            want_q[i] += w;
            want[2 * i] += w * w * (new[2 * i] - r[0]);
            want[2 * i + 1] += w * w * (new[2 * i + 1] - r[1]);
        }
    }
    for gradient in [Gradient::Exact, Gradient::BarnesHut { theta: 0.0 }] {
        let (mut out, mut q) = (vec![0.0; new.len()], vec![0.0; 40]);
        gradient.repulsion_against(&reference, &new, 2, 1.0, &mut out, &mut q);
        assert!(max_rel(&out, &want) < 1e-10, "{gradient:?}");
        assert!(max_rel(&q, &want_q) < 1e-10, "{gradient:?}");
    }
}

/// The fixture's points and their exact neighbours in `f64`: (x, n, d, indices, distances) for
/// `k` neighbours.
fn fixture_neighbours(k: usize) -> (Vec<f64>, usize, usize, Vec<u32>, Vec<f64>) {
    let (x, n, d) = load_fixture("tsne_X.npy");
    let (mut idx, mut dist) = (Vec::new(), Vec::new());
    for i in 0..n {
        let mut row: Vec<(f64, usize)> =
            (0..n).filter(|&j| j != i).map(|j| ((0..d).map(|c| (x[i * d + c] - x[j * d + c]).powi(2)).sum::<f64>().sqrt(), j)).collect();
        row.sort_by(|a, b| a.0.total_cmp(&b.0));
        idx.extend(row[..k].iter().map(|r| r.1 as u32));
        dist.extend(row[..k].iter().map(|r| r.0));
    }
    (x, n, d, idx, dist)
}

fn max_abs_rel(a: &[f64], b: &[f64]) -> f64 {
    let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    a.iter().zip(b).fold(0.0f64, |m, (x, y)| m.max((x - y).abs())) / scale
}

#[test]
fn affinities_match_open_tsne() {
    let (_, n, _, idx, dist) = fixture_neighbours(30);
    assert_eq!(affinity::neighbours_for(10.0, n), 30);
    let cond = affinity::perplexity_search(&dist, 30, 10.0);
    let p = affinity::joint_probabilities(n, 30, &idx, &cond).to_dense();
    let (want, ..) = load_fixture("tsne_P_nn.npy");
    assert!(max_abs_rel(&p, &want) < 1e-10, "{}", max_abs_rel(&p, &want));
    assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    // scikit-learn's own search (float32, entropy to 1e-5 in nats) lands close by.
    let (sk, ..) = load_fixture("tsne_P_sklearn.npy");
    let err = max_abs_rel(&p, &sk);
    assert!(err < 1e-3, "against scikit-learn: {err}");
}

#[test]
fn exact_full_affinities_match_open_tsne() {
    let (_, n, _, idx, dist) = fixture_neighbours(149);
    let cond = affinity::perplexity_search(&dist, n - 1, 10.0);
    let p = affinity::joint_probabilities(n, n - 1, &idx, &cond).to_dense();
    let (want, ..) = load_fixture("tsne_P_full.npy");
    assert!(max_abs_rel(&p, &want) < 1e-10, "{}", max_abs_rel(&p, &want));
}

#[test]
fn affinities_through_the_knn_graph_match_open_tsne() {
    let (x, n, d) = load_fixture("tsne_X.npy");
    let xf: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let data = Data::from_row_major(&xf, n, d).unwrap();
    let knn = knn_graph(&data, &KnnParams { k: 30, algorithm: KnnAlgorithm::Exact, ..KnnParams::default() }, &NoProgress).unwrap();
    let p = affinity::perplexity_affinities(&knn, 10.0).to_dense();
    let (want, ..) = load_fixture("tsne_P_nn.npy");
    // Distances in f32.
    assert!(max_abs_rel(&p, &want) < 1e-5, "{}", max_abs_rel(&p, &want));
}

/// The fixture's exact `k` nearest neighbours as a kNN graph (distances in `f32`).
fn fixture_knn(k: usize) -> unfold_learn::KnnGraph {
    let (_, n, _, idx, dist) = fixture_neighbours(k);
    unfold_learn::KnnGraph::from_parts(n, k, idx, dist.iter().map(|&d| d as f32).collect()).unwrap()
}

#[test]
fn multiscale_and_uniform_affinities_match_open_tsne() {
    let p = affinity::multiscale_affinities(&fixture_knn(60), &[5.0, 20.0]).to_dense();
    let (want, ..) = load_fixture("tsne_P_multiscale.npy");
    assert!(max_abs_rel(&p, &want) < 1e-5, "{}", max_abs_rel(&p, &want));
    // Not the affinities of either perplexity alone.
    let single = affinity::perplexity_affinities(&fixture_knn(60), 20.0).to_dense();
    assert!(max_abs_rel(&single, &want) > 0.1);
    let p = affinity::uniform_affinities(&fixture_knn(10)).to_dense();
    let (want, ..) = load_fixture("tsne_P_uniform.npy");
    assert!(max_abs_rel(&p, &want) < 1e-12, "{}", max_abs_rel(&p, &want));
}

#[test]
fn precomputed_affinities_reach_open_tsnes_kl() {
    // openTSNE's own P as the input: the fit must reach openTSNE's KL from the same start.
    let (p, n, _) = load_fixture("tsne_P_nn.npy");
    let pf: Vec<f32> = p.iter().map(|&v| v as f32).collect();
    let data = Data::from_row_major(&pf, n, n).unwrap();
    let params = TsneParams { affinity: TsneAffinity::Precomputed, init: fixture_init(), method: TsneMethod::BarnesHut, ..TsneParams::default() };
    let model = Tsne::new(params.clone()).unwrap().fit(Input::F32(&data).into(), &Context::seeded(0)).unwrap();
    let want = expected("kl");
    assert!((model.kl_divergence() - want).abs() < 0.05 * want, "KL {} vs openTSNE's {want}", model.kl_divergence());
    let e = model.to_bytes().unwrap_err().to_string();
    assert!(e.contains("precomputed affinities"), "{e}");
    // Bad matrices are named.
    let mut bad = pf.clone();
    bad[3 * n + 7] = -1.0;
    let err = |x: &[f32], rows: usize, cols: usize| {
        let data = Data::from_row_major(x, rows, cols).unwrap();
        let p = TsneParams { init: TsneInit::Random, ..params.clone() };
        Tsne::new(p).unwrap().fit(Input::F32(&data).into(), &Context::seeded(0)).unwrap_err().to_string()
    };
    assert!(err(&bad, n, n).contains("row 3, column 7"), "{}", err(&bad, n, n));
    assert!(err(&pf[..n * 10], 10, n).contains("square"));
    // Uniform affinities through the fit.
    let (x, n, d) = fixture_data();
    let data = Data::from_row_major(&x, n, d).unwrap();
    let uniform = TsneParams { affinity: TsneAffinity::Uniform, k_neighbors: 10, max_iter: 100, ..TsneParams::default() };
    let model = Tsne::new(uniform.clone()).unwrap().fit(Input::F32(&data).into(), &Context::seeded(0)).unwrap();
    assert!(model.kl_divergence().is_finite());
    let e = Tsne::new(TsneParams { k_neighbors: 150, ..uniform }).unwrap().fit(Input::F32(&data).into(), &Context::seeded(0)).unwrap_err().to_string();
    assert!(e.contains("k_neighbors") && e.contains("below n_samples = 150"), "{e}");
}

#[test]
fn perplexity_bound_is_checked() {
    assert!(affinity::check_perplexity(33.0, 100).is_ok());
    let e = affinity::check_perplexity(33.5, 100).unwrap_err().to_string();
    assert!(e.contains("perplexity") && e.contains("(n_samples - 1) / 3 = 33.0000"), "{e}");
}

fn fixture_data() -> (Vec<f32>, usize, usize) {
    let (x, n, d) = load_fixture("tsne_X.npy");
    (x.iter().map(|&v| v as f32).collect(), n, d)
}

fn expected(key: &str) -> f64 {
    let text = std::fs::read_to_string(crate::common::fixtures().join("tsne.json")).unwrap();
    serde_json::from_str::<serde_json::Value>(&text).unwrap()[key].as_f64().unwrap()
}

fn fixture_init() -> TsneInit {
    let (init, ..) = load_fixture("tsne_init.npy");
    TsneInit::Array(init)
}

#[test]
fn final_kl_is_within_five_percent_of_open_tsne() {
    let (x, n, d) = fixture_data();
    let data = Data::from_row_major(&x, n, d).unwrap();
    for (dof, key) in [(1.0, "kl"), (0.6, "kl_dof")] {
        let params = TsneParams { perplexity: 10.0, init: fixture_init(), dof, method: TsneMethod::BarnesHut, ..TsneParams::default() };
        let model = Tsne::new(params).unwrap().fit(Input::F32(&data).into(), &Context::seeded(0)).unwrap();
        let want = expected(key);
        let got = model.kl_divergence();
        assert!((got - want).abs() < 0.05 * want, "dof {dof}: KL {got} vs openTSNE's {want}");
        assert_eq!(model.n_iter(), 750);
        // Exact and Barnes–Hut gradients reach the same quality.
        let exact = Tsne::new(TsneParams {
            method: TsneMethod::Exact,
            ..Tsne::new(TsneParams { perplexity: 10.0, init: fixture_init(), dof, ..TsneParams::default() }).unwrap().params().clone()
        })
        .unwrap()
        .fit(Input::F32(&data).into(), &Context::seeded(0))
        .unwrap();
        assert!((exact.kl_divergence() - want).abs() < 0.1 * want, "dof {dof}: exact KL {} vs {want}", exact.kl_divergence());
    }
}

#[test]
fn fft_gradient_reaches_open_tsnes_kl_and_is_identical_at_one_and_two_threads() {
    let (x, n, d) = fixture_data();
    let data = Data::from_row_major(&x, n, d).unwrap();
    let want = expected("kl_fft");
    let params = TsneParams { perplexity: 10.0, init: fixture_init(), method: TsneMethod::Fft, ..TsneParams::default() };
    let run = |threads| Tsne::new(params.clone()).unwrap().fit(Input::F32(&data).into(), &Context { threads: Some(threads), ..Context::seeded(0) }).unwrap();
    let (one, two) = (run(1), run(2));
    assert!((one.kl_divergence() - want).abs() < 0.05 * want, "FFT KL {} vs openTSNE's {want}", one.kl_divergence());
    assert_eq!(one.embedding_f64(), two.embedding_f64());
    // The automatic choice is openTSNE's: Barnes–Hut below 10,000 points, FFT from there.
    let auto = Tsne::new(TsneParams::default()).unwrap();
    assert!(matches!(auto.gradient(9_999), Gradient::BarnesHut { .. }) && matches!(auto.gradient(10_000), Gradient::Fft(_)));
    let three = Tsne::new(TsneParams { n_components: 3, ..TsneParams::default() }).unwrap();
    assert!(matches!(three.gradient(50_000), Gradient::BarnesHut { .. }));
}

#[test]
fn kl_falls_over_the_iterations() {
    let (x, n, d) = fixture_data();
    let data = Data::from_row_major(&x, n, d).unwrap();
    let seen = std::sync::Mutex::new(Vec::new());
    let cb = |it: usize, kl: f64, y: &[f64]| {
        assert_eq!(y.len(), 2 * n);
        seen.lock().unwrap().push((it, kl));
        false
    };
    let params = TsneParams { perplexity: 10.0, ..TsneParams::default() };
    let model = Tsne::new(params).unwrap().fit_with_callback(Input::F32(&data).into(), &Context::seeded(3), Some(&cb)).unwrap();
    let seen = seen.into_inner().unwrap();
    assert_eq!(seen.iter().map(|s| s.0).collect::<Vec<_>>(), (1..=15).map(|i| 50 * i).collect::<Vec<_>>());
    // Within each phase the KL falls (the reported KL of the exaggerated phase is not comparable).
    for w in seen[5..].windows(2) {
        assert!(w[1].1 <= w[0].1 + 1e-3, "{seen:?}");
    }
    assert!(seen[5].1 > seen[14].1);
    // The reported KL is that of the layout the iteration started from; the final one is after it.
    assert!((model.kl_divergence() - seen[14].1).abs() < 1e-3 * seen[14].1, "{} vs {}", model.kl_divergence(), seen[14].1);
    // A callback returning true stops the optimisation there.
    let stop = |it: usize, _: f64, _: &[f64]| it >= 100;
    let short = Tsne::new(TsneParams { perplexity: 10.0, ..TsneParams::default() })
        .unwrap()
        .fit_with_callback(Input::F32(&data).into(), &Context::seeded(3), Some(&stop))
        .unwrap();
    assert_eq!(short.n_iter(), 100);
}

#[test]
fn seeded_fit_is_identical_at_one_and_two_threads() {
    // Enough points that the repulsion and the gradient split into several blocks.
    let n = 1200;
    let x: Vec<f32> = points(n, 5).iter().map(|&v| v as f32).collect();
    let data = Data::from_row_major(&x, n, 5).unwrap();
    for init in [TsneInit::Pca, TsneInit::Random] {
        let run = |threads| {
            let threads_seen = std::sync::Mutex::new(0);
            let cb = |_: usize, _: f64, _: &[f64]| {
                *threads_seen.lock().unwrap() = rayon::current_num_threads();
                false
            };
            let params = TsneParams { perplexity: 20.0, max_iter: 100, early_exaggeration_iter: 50, init: init.clone(), ..TsneParams::default() };
            let ctx = Context { threads: Some(threads), ..Context::seeded(9) };
            let m = Tsne::new(params).unwrap().fit_with_callback(Input::F32(&data).into(), &ctx, Some(&cb)).unwrap();
            assert_eq!(*threads_seen.lock().unwrap(), threads);
            m
        };
        let (a, b) = (run(1), run(2));
        assert!(n > 4 * 256, "the work splits into several blocks");
        assert_eq!(a.embedding_f64(), b.embedding_f64());
        assert_eq!(a.kl_divergence().to_bits(), b.kl_divergence().to_bits());
    }
}

#[test]
fn invalid_parameters_are_named() {
    let cases: Vec<(&str, Value, &str)> = vec![
        ("perplexity", Value::Float(0.0), "invalid value for `perplexity`: 0 (must be a finite number > 0)"),
        ("early_exaggeration", Value::Float(-1.0), "invalid value for `early_exaggeration`: -1 (must be a finite number > 0)"),
        ("exaggeration", Value::Float(0.0), "invalid value for `exaggeration`: 0 (must be a finite number > 0)"),
        ("learning_rate", Value::Float(0.0), "invalid value for `learning_rate`: 0 (must be a finite number > 0)"),
        ("angle", Value::Float(1.5), "invalid value for `angle`: 1.5 (must be in [0, 1])"),
        ("dof", Value::Float(-0.5), "invalid value for `dof`: -0.5 (must be a finite number > 0)"),
        ("n_components", Value::Int(0), "invalid value for `n_components`: 0 (must be at least 1)"),
        ("method", Value::Text("fast".into()), "invalid value for `method`: fast (must be auto, exact, barnes_hut (bh) or fft)"),
        ("n_interpolation_points", Value::Int(17), "invalid value for `n_interpolation_points`: 17 (must be in [1, 16])"),
        ("min_num_intervals", Value::Int(0), "invalid value for `min_num_intervals`: 0 (must be at least 1)"),
        ("ints_in_interval", Value::Float(0.0), "invalid value for `ints_in_interval`: 0 (must be a finite number > 0)"),
        ("init", Value::Text("umap".into()), "invalid value for `init`: umap (must be pca, random, spectral, or an array"),
    ];
    for (name, value, message) in cases {
        let e = params_from::<TsneParams>(&[(name, value)]).unwrap_err().to_string();
        assert!(e.starts_with(message), "{name}: {e}");
    }
    let e = Tsne::new(TsneParams { n_components: 4, method: TsneMethod::BarnesHut, ..TsneParams::default() }).unwrap_err().to_string();
    assert!(e.contains("`n_components`: 4 (must be at most 3 with method = barnes_hut"), "{e}");
    let e = Tsne::new(TsneParams { n_components: 3, method: TsneMethod::Fft, ..TsneParams::default() }).unwrap_err().to_string();
    assert!(e.contains("`n_components`: 3 (must be 1 or 2 with method = fft"), "{e}");
    let (x, n, d) = fixture_data();
    let data = Data::from_row_major(&x, n, d).unwrap();
    let e = Tsne::new(TsneParams { perplexity: 50.0, ..TsneParams::default() })
        .unwrap()
        .fit(Input::F32(&data).into(), &Context::seeded(0))
        .unwrap_err()
        .to_string();
    assert!(e.contains("`perplexity`: 50") && e.contains("(n_samples - 1) / 3 = 49.6667"), "{e}");
    let e = Tsne::new(TsneParams { perplexity: 10.0, init: TsneInit::Array(vec![0.0; 10]), ..TsneParams::default() })
        .unwrap()
        .fit(Input::F32(&data).into(), &Context::seeded(0))
        .unwrap_err()
        .to_string();
    assert!(e.contains("`init`") && e.contains("(150, 2)"), "{e}");
}

/// A model whose embedding is openTSNE's reference embedding of the fixture (no iterations on
/// it), fitted with `method`.
fn reference_model(method: TsneMethod) -> (TsneModel, Vec<f64>) {
    let (x, n, d) = fixture_data();
    let data = Data::from_row_major(&x, n, d).unwrap();
    let (reference, ..) = load_fixture("tsne_ref_embedding.npy");
    let params =
        TsneParams { perplexity: 10.0, init: TsneInit::Array(reference.clone()), early_exaggeration_iter: 0, max_iter: 0, method, ..TsneParams::default() };
    let model = Tsne::new(params).unwrap().fit(Input::F32(&data).into(), &Context::seeded(0)).unwrap();
    assert_eq!(model.embedding_f64(), &reference[..]);
    (model, reference)
}

fn new_points() -> (Vec<f32>, usize, usize) {
    let (x, m, d) = load_fixture("tsne_new_X.npy");
    (x.iter().map(|&v| v as f32).collect(), m, d)
}

/// Mean distance between corresponding rows of two 2-D layouts.
fn mean_distance(a: &[f64], b: &[f64]) -> f64 {
    a.chunks(2).zip(b.chunks(2)).map(|(p, q)| (p[0] - q[0]).hypot(p[1] - q[1])).sum::<f64>() / (a.len() / 2) as f64
}

#[test]
fn transform_starts_at_open_tsnes_median_and_ends_near_its_result() {
    let (x, m, d) = new_points();
    let new = Data::from_row_major(&x, m, d).unwrap();
    let (median, ..) = load_fixture("tsne_new_median.npy");
    let (want, ..) = load_fixture("tsne_new_bh.npy");
    // The reference spreads over about 17 units (standard deviation); the median start is 3 away.
    let start_gap = mean_distance(&median, &want);
    assert!(start_gap > 2.0, "{start_gap}");
    for method in [TsneMethod::BarnesHut, TsneMethod::Exact, TsneMethod::Fft] {
        let (model, _) = reference_model(method);
        let start = model.transform_with(&new, &TsneTransformParams { max_iter: 0, ..TsneTransformParams::default() }, None, &NoProgress).unwrap();
        assert!(max_abs_rel(&start, &median) < 1e-12, "{method:?}: {}", max_abs_rel(&start, &median));
        let got = model.transform_with(&new, &TsneTransformParams::default(), None, &NoProgress).unwrap();
        // Barnes–Hut follows openTSNE's to 1e-6; the exact gradient differs by Barnes–Hut's error,
        // the FFT one by the interpolation's (about 0.15; openTSNE's own FFT transform lands
        // 0.71 from its Barnes–Hut result, with its gains reset at every step).
        let gap = mean_distance(&got, &want);
        let tol = match method {
            TsneMethod::BarnesHut => 1e-5,
            TsneMethod::Exact => 0.01,
            _ => 0.1 * start_gap,
        };
        assert!(gap < tol, "{method:?}: {gap} from openTSNE's result, started {start_gap} away");
    }
}

#[test]
fn transform_places_each_point_alone_and_is_identical_at_one_and_two_threads() {
    let (x, m, d) = new_points();
    let new = Data::from_row_major(&x, m, d).unwrap();
    for method in [TsneMethod::BarnesHut, TsneMethod::Fft] {
        let (model, _) = reference_model(method);
        let run = |threads| {
            unfold_learn::threads::install(Some(threads), || model.transform_with(&new, &TsneTransformParams::default(), None, &NoProgress)).unwrap().unwrap()
        };
        let all = run(2);
        assert_eq!(all, run(1), "{method:?}");
        for i in [0, 13, m - 1] {
            let one = Data::from_row_major(new.row(i), 1, d).unwrap();
            let alone = model.transform_with(&one, &TsneTransformParams::default(), None, &NoProgress).unwrap();
            assert_eq!(&alone[..], &all[2 * i..2 * i + 2], "{method:?}: row {i}");
        }
    }
}

#[test]
fn transform_survives_saving_and_keeps_points_inside_the_fft_grid() {
    let (x, m, d) = new_points();
    let new = Data::from_row_major(&x, m, d).unwrap();
    let (model, reference) = reference_model(TsneMethod::Fft);
    let loaded = TsneModel::from_bytes(&model.to_bytes().unwrap()).unwrap();
    assert_eq!(loaded.embedding_f64(), model.embedding_f64());
    assert_eq!(loaded.gradient(), model.gradient());
    let params = TsneTransformParams::default();
    assert_eq!(loaded.transform_with(&new, &params, None, &NoProgress).unwrap(), model.transform_with(&new, &params, None, &NoProgress).unwrap());
    // A learning rate far too large throws points outward; the grid (the reference's bounding
    // box, centred and padded by a quarter) holds them.
    let wild = model.transform_with(&new, &TsneTransformParams { learning_rate: 1e4, ..params.clone() }, None, &NoProgress).unwrap();
    let col = |c: usize| reference.iter().skip(c).step_by(2).fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let ((x0, x1), (y0, y1)) = (col(0), col(1));
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let radius = 1.25 * (x1 - x0).max(y1 - y0) / 2.0 * 2.0_f64.sqrt();
    for p in wild.chunks(2) {
        assert!(p[0].is_finite() && p[1].is_finite());
        assert!((p[0] - cx).hypot(p[1] - cy) <= radius, "{p:?} outside the grid");
    }
    // The training rows come back where the fit put them.
    let (x, n, d) = fixture_data();
    let again = model.transform_with(&Data::from_row_major(&x, n, d).unwrap(), &params, None, &NoProgress).unwrap();
    assert_eq!(again, reference);
    let corrupt = model.to_bytes().unwrap();
    assert!(TsneModel::from_bytes(&corrupt[..corrupt.len() - 5]).is_err());
}

#[test]
fn transform_parameters_are_checked() {
    let (x, m, d) = new_points();
    let new = Data::from_row_major(&x, m, d).unwrap();
    let (model, _) = reference_model(TsneMethod::BarnesHut);
    let err = |p: TsneTransformParams| model.transform_with(&new, &p, None, &NoProgress).unwrap_err().to_string();
    let e = err(TsneTransformParams { perplexity: 51.0, ..TsneTransformParams::default() });
    assert!(e.contains("perplexity") && e.contains("n_samples / 3 = 50.0000"), "{e}");
    let e = err(TsneTransformParams { perplexity: 0.2, ..TsneTransformParams::default() });
    assert!(e.contains("perplexity") && e.contains("at least 1/3"), "{e}");
    let e = err(TsneTransformParams { initialization: PartialInit::Array(vec![0.0; 4]), ..TsneTransformParams::default() });
    assert!(e.contains("initialization") && e.contains("(30, 2)"), "{e}");
    let e = err(TsneTransformParams { learning_rate: 0.0, ..TsneTransformParams::default() });
    assert!(e.contains("learning_rate"), "{e}");
    let wrong = Data::from_row_major(&x[..9], 1, 9).unwrap();
    assert!(model.transform_with(&wrong, &TsneTransformParams::default(), None, &NoProgress).is_err());
    // Given starting coordinates are used as they are.
    let start: Vec<f64> = (0..2 * m).map(|i| i as f64 * 0.1).collect();
    let p = TsneTransformParams { initialization: PartialInit::Array(start.clone()), max_iter: 0, ..TsneTransformParams::default() };
    assert!(max_abs_rel(&model.transform_with(&new, &p, None, &NoProgress).unwrap(), &start) < 1e-12);
}
