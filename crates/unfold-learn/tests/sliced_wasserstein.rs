//! The intrinsic sliced Wasserstein distance against a numpy reference
//! (`fixtures/make_isw_fixtures.py`), closed forms and its metric properties.

use unfold_learn::Data;
use unfold_learn::graph::SparseGraph;
use unfold_learn::graph::sliced_wasserstein::{IntrinsicSlicedWasserstein, IswParams, SpectralWeight, wasserstein_1d};

use crate::common::load_fixture;

/// A symmetric graph from a dense adjacency fixture.
fn graph_from_dense(w: &[f64], n: usize) -> SparseGraph {
    let (mut indptr, mut indices, mut weights) = (vec![0], vec![], vec![]);
    for i in 0..n {
        for j in 0..n {
            if w[i * n + j] != 0.0 {
                indices.push(j as u32);
                weights.push(w[i * n + j] as f32);
            }
        }
        indptr.push(indices.len());
    }
    SparseGraph::from_parts(n, indptr, indices, weights).unwrap()
}

fn fixture_model(name: &str, l: usize, weight: SpectralWeight) -> IntrinsicSlicedWasserstein {
    let (w, n, _) = load_fixture(&format!("isw_{name}_adjacency.npy"));
    let params = IswParams { n_eigenvectors: l, weight, seed: Some(1), threads: None };
    IntrinsicSlicedWasserstein::fit_graph(&graph_from_dense(&w, n), &params).unwrap()
}

fn path(n: usize) -> SparseGraph {
    let mut w = vec![0.0; n * n];
    for i in 0..n - 1 {
        w[i * n + i + 1] = 1.0;
        w[(i + 1) * n + i] = 1.0;
    }
    graph_from_dense(&w, n)
}

#[test]
fn matches_numpy_reference() {
    for (name, l) in [("path", 5), ("random", 8)] {
        let (expected_values, _, _) = load_fixture(&format!("isw_{name}_eigenvalues.npy"));
        let (dists, m, _) = load_fixture(&format!("isw_{name}_distributions.npy"));
        for (wname, weight) in [("biharmonic", SpectralWeight::Power(2.0)), ("power1", SpectralWeight::Power(1.0)), ("heat", SpectralWeight::Heat(0.5))] {
            let model = fixture_model(name, l, weight);
            for (a, b) in model.eigenvalues().iter().zip(&expected_values) {
                assert!((a - b).abs() < 1e-10 * b.max(1.0), "{name}: eigenvalue {a} vs {b}");
            }
            let (expected, _, _) = load_fixture(&format!("isw_{name}_{wname}.npy"));
            let got = model.pairwise(&dists).unwrap();
            assert_eq!(got.len(), m * m);
            for (k, (g, e)) in got.iter().zip(&expected).enumerate() {
                assert!((g - e).abs() <= 1e-9 * e.max(1e-3), "{name} {wname} pair {k}: {g} vs {e}");
            }
            // The single-pair method agrees with the matrix.
            let n = model.n_vertices();
            let d = model.distance(&dists[0..n], &dists[n..2 * n]).unwrap();
            assert!((d - got[1]).abs() <= 1e-14 * d);
        }
    }
}

#[test]
fn one_dimensional_w2_closed_forms() {
    // Uniform on n equally spaced points against the same shifted by s: W2 = W1 = |s|.
    let u: Vec<f64> = (0..7).map(|i| i as f64 * 0.3).collect();
    let v: Vec<f64> = u.iter().map(|x| x - 1.25).collect();
    assert!((wasserstein_1d(&u, &v, None, None, 2).unwrap() - 1.25).abs() < 1e-14);
    assert!((wasserstein_1d(&u, &v, None, None, 1).unwrap() - 1.25).abs() < 1e-14);
    // Bernoulli(p) on {0, 1} against Bernoulli(q): W2² = W1 = |p − q|.
    let (p, q) = (0.3, 0.75);
    let w2 = wasserstein_1d(&[0.0, 1.0], &[0.0, 1.0], Some(&[1.0 - p, p]), Some(&[1.0 - q, q]), 2).unwrap();
    assert!((w2 * w2 - (q - p)).abs() < 1e-14);
    // Uniform on {1..n} against δ0: W2² = mean of squares = (n+1)(2n+1)/6; W1 = mean = (n+1)/2.
    let n = 10usize;
    let u: Vec<f64> = (1..=n).map(|i| i as f64).collect();
    let w2 = wasserstein_1d(&u, &[0.0], None, None, 2).unwrap();
    assert!((w2 * w2 - (n + 1) as f64 * (2 * n + 1) as f64 / 6.0).abs() < 1e-12);
    assert!((wasserstein_1d(&u, &[0.0], None, None, 1).unwrap() - 5.5).abs() < 1e-13);
    // Unnormalised weights are normalised; zero weights drop their atoms.
    let a = wasserstein_1d(&[0.0, 5.0, 2.0], &[1.0], Some(&[2.0, 0.0, 2.0]), Some(&[7.0]), 2).unwrap();
    assert!((a - 1.0).abs() < 1e-15);
}

#[test]
fn diracs_give_the_spectral_distance() {
    // ISW(δx, δy)² = Σ α(λ_l)(φ_l(x) − φ_l(y))², the biharmonic distance truncated at L.
    let model = IntrinsicSlicedWasserstein::fit_graph(&path(9), &IswParams { n_eigenvectors: 6, ..Default::default() }).unwrap();
    let (phi, l) = (model.eigenvectors(), 6);
    for (x, y) in [(0, 8), (2, 3), (4, 7)] {
        let delta = |i: usize| (0..9).map(|k| if k == i { 1.0 } else { 0.0 }).collect::<Vec<f64>>();
        let d = model.distance(&delta(x), &delta(y)).unwrap();
        let want: f64 = (0..l).map(|c| model.spectral_weights()[c] * (phi[x * l + c] - phi[y * l + c]).powi(2)).sum::<f64>().sqrt();
        assert!((d - want).abs() < 1e-13 * want, "{x}, {y}: {d} vs {want}");
        assert_eq!(model.distance_samples(&[x], &[y]).unwrap(), d);
    }
    // Path eigenpairs in closed form: λ_k = 2 − 2cos(πk/n), φ_k(i) ∝ cos(πk(i + ½)/n).
    for (k, lam) in model.eigenvalues().iter().enumerate() {
        let want = 2.0 - 2.0 * (std::f64::consts::PI * (k + 1) as f64 / 9.0).cos();
        assert!((lam - want).abs() < 1e-12);
    }
}

#[test]
fn sign_flips_do_not_change_the_distance() {
    let model = fixture_model("random", 8, SpectralWeight::Power(2.0));
    let (dists, _, _) = load_fixture("isw_random_distributions.npy");
    let mut phi = model.eigenvectors();
    for (k, v) in phi.iter_mut().enumerate() {
        if k % 8 % 3 == 1 {
            *v = -*v;
        }
    }
    let flipped = IntrinsicSlicedWasserstein::from_eigenpairs(model.eigenvalues(), &phi, SpectralWeight::Power(2.0), None).unwrap();
    let (a, b) = (model.pairwise(&dists).unwrap(), flipped.pairwise(&dists).unwrap());
    for (x, y) in a.iter().zip(&b) {
        assert!((x - y).abs() <= 1e-14 * x.max(1e-300));
    }
}

#[test]
fn metric_properties_on_random_triples() {
    let model = fixture_model("random", 8, SpectralWeight::Heat(0.2));
    let n = model.n_vertices();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let m = 30;
    let rows: Vec<f64> = (0..m * n).map(|_| if next() < 0.5 { next() } else { 0.0 }).collect();
    let mut rows = rows;
    for r in 0..m {
        rows[r * n + r % n] += 0.1; // no all-zero row
    }
    let d = model.pairwise(&rows).unwrap();
    for i in 0..m {
        assert_eq!(d[i * m + i], 0.0);
        assert_eq!(model.distance(&rows[i * n..(i + 1) * n], &rows[i * n..(i + 1) * n]).unwrap(), 0.0);
        // Scaling a distribution does not change it.
        let scaled: Vec<f64> = rows[i * n..(i + 1) * n].iter().map(|v| v * 3.5).collect();
        assert!(model.distance(&scaled, &rows[i * n..(i + 1) * n]).unwrap() < 1e-9);
        for j in 0..m {
            assert_eq!(d[i * m + j], d[j * m + i]);
            if i != j {
                assert!(d[i * m + j] > 0.0);
            }
            for k in 0..m {
                assert!(d[i * m + k] <= d[i * m + j] + d[j * m + k] + 1e-12, "triangle {i} {j} {k}");
            }
        }
    }
}

#[test]
fn thread_count_does_not_change_results() {
    let (dists, _, _) = load_fixture("isw_random_distributions.npy");
    let (w, n, _) = load_fixture("isw_random_adjacency.npy");
    let g = graph_from_dense(&w, n);
    let run = |t| {
        let p = IswParams { n_eigenvectors: 8, threads: Some(t), seed: Some(3), ..Default::default() };
        IntrinsicSlicedWasserstein::fit_graph(&g, &p).unwrap().pairwise(&dists).unwrap()
    };
    assert_eq!(run(1), run(2));
}

#[test]
fn large_graph_iterative_path_and_point_clouds() {
    // A noisy circle of 2,400 points: its kNN graph is above the dense limit, so the
    // shift-invert solver runs; the lowest eigenpair pair is the circle's (cos, sin).
    let n = 2400;
    let x: Vec<f32> = (0..n)
        .flat_map(|i| {
            let t = 2.0 * std::f32::consts::PI * i as f32 / n as f32;
            [t.cos(), t.sin()]
        })
        .collect();
    let data = Data::from_row_major(&x, n, 2).unwrap();
    let fit =
        |t| IntrinsicSlicedWasserstein::fit_points(&data, 6, &IswParams { n_eigenvectors: 4, seed: Some(7), threads: Some(t), ..Default::default() }).unwrap();
    let model = fit(2);
    let v = model.eigenvalues();
    assert!((v[0] - v[1]).abs() < 1e-6 * v[0], "a circle's eigenvalues come in pairs: {v:?}");
    // Samples near angle 0 are closer to samples near angle 0.3 than to ones at π.
    let arc = |c: usize| (c..c + 40).map(|i| i % n).collect::<Vec<usize>>();
    let (a, b, far) = (arc(0), arc(120), arc(1200));
    assert!(model.distance_samples(&a, &b).unwrap() < model.distance_samples(&a, &far).unwrap());
    let samples = vec![a, b, far];
    assert_eq!(model.pairwise_samples(&samples).unwrap(), fit(1).pairwise_samples(&samples).unwrap());
}

#[test]
fn errors_name_the_problem() {
    let g = path(6);
    let err = |r: unfold_learn::Result<IntrinsicSlicedWasserstein>| r.unwrap_err().to_string();
    let p = |l| IswParams { n_eigenvectors: l, ..Default::default() };
    assert!(err(IntrinsicSlicedWasserstein::fit_graph(&g, &p(0))).contains("n_eigenvectors"));
    assert!(err(IntrinsicSlicedWasserstein::fit_graph(&g, &p(6))).contains("less than the number of vertices (6)"));
    let bad_weight = IswParams { n_eigenvectors: 2, weight: SpectralWeight::Power(-1.0), ..Default::default() };
    assert!(err(IntrinsicSlicedWasserstein::fit_graph(&g, &bad_weight)).contains("weight"));
    let bad_time = IswParams { n_eigenvectors: 2, weight: SpectralWeight::Heat(0.0), ..Default::default() };
    assert!(err(IntrinsicSlicedWasserstein::fit_graph(&g, &bad_time)).contains("diffusion_time"));
    // Two components.
    let two = SparseGraph::from_parts(4, vec![0, 1, 2, 3, 4], vec![1, 0, 3, 2], vec![1.0; 4]).unwrap();
    assert!(err(IntrinsicSlicedWasserstein::fit_graph(&two, &p(1))).contains("2 connected components"));
    // Not symmetric.
    let directed = SparseGraph::from_parts(3, vec![0, 1, 2, 2], vec![1, 2], vec![1.0; 2]).unwrap();
    assert!(err(IntrinsicSlicedWasserstein::fit_graph(&directed, &p(1))).contains("not symmetric"));

    let model = IntrinsicSlicedWasserstein::fit_graph(&g, &p(3)).unwrap();
    let ok = [1.0; 6];
    let msg = |mu: &[f64]| model.distance(mu, &ok).unwrap_err().to_string();
    assert!(msg(&[1.0, 0.0, -0.5, 0.0, 0.0, 0.0]).contains("`mu`[2] = -0.5"));
    assert!(msg(&[1.0, f64::NAN, 0.0, 0.0, 0.0, 0.0]).contains("`mu`[1] = NaN"));
    assert!(msg(&[0.0; 6]).contains("sums to 0"));
    assert!(msg(&[1.0; 5]).contains("has 5 weights; the graph has 6 vertices"));
    let rows = [ok.to_vec(), vec![0.0; 6]].concat();
    assert!(model.pairwise(&rows).unwrap_err().to_string().contains("`distributions[1]` sums to 0"));
    assert!(model.distance_samples(&[0, 9], &[1]).unwrap_err().to_string().contains("`a`[1] = 9 is not a vertex"));
    assert!(model.distance_samples(&[], &[1]).unwrap_err().to_string().contains("empty"));
    assert!(wasserstein_1d(&[0.0], &[1.0], None, None, 3).unwrap_err().to_string().contains("`p`"));
    assert!(wasserstein_1d(&[0.0], &[1.0], Some(&[-1.0]), None, 2).unwrap_err().to_string().contains("`u_weights`[0] = -1"));
    let x = [0.0f32, 0.0, 1.0, 0.0];
    let data = Data::from_row_major(&x, 2, 2).unwrap();
    assert!(IntrinsicSlicedWasserstein::fit_points(&data, 2, &p(1)).unwrap_err().to_string().contains("n_neighbors"));
}
