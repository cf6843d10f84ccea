//! PHATE against phate 2.0.0 (tests/fixtures/make_phate_fixtures.py): the kernel, the diffusion
//! and landmark operators, the entropy curve and t, the potential and the embedding.

use unfold_learn::embed::phate::{MdsSolver, Phate, PhateModel, PhateParams, diffusion_potential, embed_mds};
use unfold_learn::graph::alpha_decay::AlphaDecayKernel;
use unfold_learn::graph::landmarks::LandmarkOperator;
use unfold_learn::linalg::procrustes::procrustes;
use unfold_learn::linalg::vne::{knee_point, von_neumann_entropy};
use unfold_learn::linalg::{ReversiblePower, matrix_power, reversible_matrix_power, singular_values};
use unfold_learn::measure::demap::demap;
use unfold_learn::method::{Auto, FitData, Fitted, Input};
use unfold_learn::prelude::*;

use crate::common::load_fixture;

fn data(name: &str) -> Embedding {
    let (x, n, d) = load_fixture(name);
    Data::from_vec(x.iter().map(|&v| v as f32).collect(), n, d).unwrap()
}

fn params(case: &str) -> PhateParams {
    let base = PhateParams { mds_solver: MdsSolver::Smacof, ..Default::default() };
    match case {
        "log" => base,
        "sqrt" => PhateParams { knn: 7, decay: 20.0, t: Auto::Value(12), gamma: 0.0, ..base },
        "landmark" => PhateParams { n_landmark: Some(40), ..base },
        _ => unreachable!(),
    }
}

fn fit_with(x: &Data, p: PhateParams, ctx: &Context) -> PhateModel {
    Phate::new(p).unwrap().fit(FitData { x: Input::F32(x), y: None, knn: None }, ctx).unwrap()
}

fn max_gap(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

#[test]
fn kernel_equals_graphtools() {
    let x = data("phate_X.npy");
    for (case, knn, decay) in [("log", 5, 40.0), ("sqrt", 7, 20.0)] {
        let (expected, n, _) = load_fixture(&format!("phate_{case}_kernel.npy"));
        let (g, _, _) = AlphaDecayKernel { knn, decay, thresh: 1e-4 }.fit(&x, &Metric::Euclidean, Some(0), &unfold_learn::progress::NoProgress).unwrap();
        let dense: Vec<f64> = (0..n * n).map(|p| g.weight(p / n, p % n) as f64).collect();
        // Entries at the threshold may fall either side with float32 distances.
        let gap = dense.iter().zip(&expected).map(|(a, b)| if (a.min(*b) == 0.0) && a.max(*b) < 1.2e-4 { 0.0 } else { (a - b).abs() }).fold(0.0, f64::max);
        assert!(gap < 1e-5, "{case}: kernel differs by {gap}");
        // Must fail on a wrong decay.
        let (g2, _, _) =
            AlphaDecayKernel { knn, decay: decay + 1.0, thresh: 1e-4 }.fit(&x, &Metric::Euclidean, Some(0), &unfold_learn::progress::NoProgress).unwrap();
        assert!((0..n * n).any(|p| (g2.weight(p / n, p % n) as f64 - expected[p]).abs() > 1e-3));
    }
}

#[test]
fn operator_entropy_t_potential_and_embedding_equal_phates() {
    let x = data("phate_X.npy");
    let (new, m_new, d) = load_fixture("phate_new.npy");
    let new = Data::from_vec(new.iter().map(|&v| v as f32).collect(), m_new, d).unwrap();
    for (case, optimal) in [("log", Some(22)), ("sqrt", None)] {
        let model = fit_with(&x, params(case), &Context::seeded(0));
        let (diff_op, n) = model.diff_op();
        let (expected, _, _) = load_fixture(&format!("phate_{case}_diff_op.npy"));
        let gap = max_gap(diff_op, &expected);
        // The kernel is held in float32.
        assert!(gap < 1e-5, "{case}: diff_op differs by {gap}");
        let (h, _, _) = load_fixture(&format!("phate_{case}_entropy.npy"));
        let gap = max_gap(model.entropy(), &h);
        assert!(gap < 1e-5, "{case}: entropy differs by {gap}");
        assert_eq!(model.optimal_t(), optimal, "{case}: optimal_t");
        // The potential from the package's own operator, exactly.
        let mut pot = matrix_power(&expected, n, model.t());
        diffusion_potential(&mut pot, params(case).gamma);
        let (pot_expected, _, _) = load_fixture(&format!("phate_{case}_potential.npy"));
        let scale = pot_expected.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        assert!(max_gap(&pot, &pot_expected) < 1e-9 * scale, "{case}: potential");
        // The embedding up to rotation, and as the package orients it.
        let (emb, _, k) = load_fixture(&format!("phate_{case}_embedding.npy"));
        let ours: Vec<f64> = model.embedding().unwrap().as_slice().iter().map(|&v| v as f64).collect();
        let fit = procrustes(&emb, &ours, n, k).unwrap();
        assert!(fit.disparity < 1e-6, "{case}: disparity {}", fit.disparity);
        assert!(max_gap(&ours, &emb) < 1e-3, "{case}: orientation");
        let (tr, _, _) = load_fixture(&format!("phate_{case}_transform.npy"));
        let got: Vec<f64> = model.transform(Input::F32(&new), &Context::seeded(0)).unwrap().as_slice().iter().map(|&v| v as f64).collect();
        assert!(max_gap(&got, &tr) < 1e-3, "{case}: transform");
    }
}

#[test]
fn landmark_operator_entropy_and_mds_equal_graphtools_for_its_clusters() {
    let x = data("phate_Xl.npy");
    let (labels, n, _) = load_fixture("phate_landmark_clusters.npy");
    let labels: Vec<u32> = labels.iter().map(|&v| v as u32).collect();
    let (kernel, _, _) =
        AlphaDecayKernel { knn: 5, decay: 40.0, thresh: 1e-4 }.fit(&x, &Metric::Euclidean, Some(0), &unfold_learn::progress::NoProgress).unwrap();
    let op = LandmarkOperator::new(&kernel, &labels);
    let (expected, m, _) = load_fixture("phate_landmark_diff_op.npy");
    assert_eq!(op.n_landmarks, m);
    assert!(max_gap(&op.operator, &expected) < 1e-6, "landmark_op");
    let (tr, _, _) = load_fixture("phate_landmark_transitions.npy");
    let dense: Vec<f64> = op
        .transitions
        .iter()
        .flat_map(|row| {
            let mut r = vec![0.0; m];
            row.iter().for_each(|&(c, w)| r[c as usize] = w);
            r
        })
        .collect();
    assert_eq!(dense.len(), n * m);
    let gap = max_gap(&dense, &tr);
    assert!(gap < 1e-5, "transitions differ by {gap}");
    let h = von_neumann_entropy(&singular_values(&expected, m, "test").unwrap(), 100);
    let (h_expected, _, _) = load_fixture("phate_landmark_entropy.npy");
    assert!(max_gap(&h, &h_expected) < 1e-9);
    assert_eq!(knee_point(&h), Some(49));
    // MDS of the package's potential gives its landmark embedding.
    let (pot, _, _) = load_fixture("phate_landmark_potential.npy");
    let y = embed_mds(&pot, m, 2, &params("landmark"), Some(0), &Context::seeded(0)).unwrap();
    let (ly, _, _) = load_fixture("phate_landmark_landmark_embedding.npy");
    assert!(procrustes(&ly, &y, m, 2).unwrap().disparity < 1e-6);
    let (emb, _, _) = load_fixture("phate_landmark_embedding.npy");
    let interpolated = op.interpolate(&ly, 2);
    assert!(max_gap(&interpolated, &emb) < 1e-5);
}

#[test]
fn landmark_fit_is_close_to_phates_and_thread_count_free() {
    let x = data("phate_Xl.npy");
    let (emb, n, k) = load_fixture("phate_landmark_embedding.npy");
    for solver in [MdsSolver::Smacof, MdsSolver::Sgd] {
        let p = PhateParams { mds_solver: solver, ..params("landmark") };
        let one = fit_with(&x, p.clone(), &Context { threads: Some(1), ..Context::seeded(3) });
        let two = fit_with(&x, p, &Context { threads: Some(2), ..Context::seeded(3) });
        assert_eq!(one.embedding().unwrap().as_slice(), two.embedding().unwrap().as_slice(), "{solver:?}");
        assert_eq!(one.clusters().unwrap().iter().copied().max(), Some(39));
        let ours: Vec<f64> = one.embedding().unwrap().as_slice().iter().map(|&v| v as f64).collect();
        let d = procrustes(&emb, &ours, n, k).unwrap().disparity;
        // Other clusters (Lloyd's k-means, not MiniBatchKMeans) give another landmark set: the
        // package's own embeddings at random_state 1 and 2 lie at disparity 0.67 and 0.61 from
        // its random_state 0 one, and a shapeless one near 1.
        assert!(d < 0.67, "{solver:?}: disparity {d}");
    }
}

#[test]
fn sgd_solver_matches_smacof_shape_and_model_round_trips() {
    let x = data("phate_X.npy");
    let (emb, n, k) = load_fixture("phate_log_embedding.npy");
    let model = fit_with(&x, PhateParams::default(), &Context::seeded(1));
    let ours: Vec<f64> = model.embedding().unwrap().as_slice().iter().map(|&v| v as f64).collect();
    let d = procrustes(&emb, &ours, n, k).unwrap().disparity;
    assert!(d < 0.02, "sgd disparity {d}");
    let bytes = Fitted::to_bytes(&model).unwrap();
    let back = PhateModel::from_bytes(&bytes).unwrap();
    let (new, m, dim) = load_fixture("phate_new.npy");
    let new = Data::from_vec(new.iter().map(|&v| v as f32).collect(), m, dim).unwrap();
    let a = model.transform(Input::F32(&new), &Context::seeded(0)).unwrap();
    let b = back.transform(Input::F32(&new), &Context::seeded(0)).unwrap();
    assert_eq!(a.as_slice(), b.as_slice());
    assert_eq!(back.embedding().unwrap().as_slice(), model.embedding().unwrap().as_slice());
    // A training row transforms to its own embedding.
    let first = Data::from_vec(x.row(0).to_vec(), 1, dim).unwrap();
    assert_eq!(model.transform(Input::F32(&first), &Context::seeded(0)).unwrap().as_slice(), &model.embedding().unwrap().as_slice()[..2]);
}

#[test]
fn bad_parameters_name_themselves() {
    let x = data("phate_X.npy");
    let err = Phate::new(PhateParams { gamma: 1.5, ..Default::default() }).unwrap_err().to_string();
    assert!(err.contains("gamma") && err.contains("[-1, 1]"), "{err}");
    let err = Phate::new(PhateParams { knn: 0, ..Default::default() }).unwrap_err().to_string();
    assert!(err.contains("knn"), "{err}");
    let err = Phate::new(PhateParams { knn: 200, ..Default::default() })
        .unwrap()
        .fit(FitData { x: Input::F32(&x), y: None, knn: None }, &Context::seeded(0))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("knn"), "{err}");
}

#[test]
fn demap_equals_a_brute_force_scipy_reference() {
    let x = data("demap_X.npy");
    let y = data("demap_Y.npy");
    let expected: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(crate::common::fixtures().join("demap.json")).unwrap()).unwrap();
    let got = demap(&x, &y, 10, 2000, 0, &Metric::Euclidean, &unfold_learn::progress::NoProgress).unwrap();
    let want = expected["demap"].as_f64().unwrap();
    assert!((got - want).abs() < 1e-6, "{got} vs {want}");
    // Another neighbourhood size gives another value (the graph matters).
    let other = demap(&x, &y, 4, 2000, 0, &Metric::Euclidean, &unfold_learn::progress::NoProgress).unwrap();
    assert!((other - want).abs() > 1e-4);
    // A subsample is seeded: the same seed, the same value.
    let a = demap(&x, &y, 10, 50, 7, &Metric::Euclidean, &unfold_learn::progress::NoProgress).unwrap();
    let b = demap(&x, &y, 10, 50, 7, &Metric::Euclidean, &unfold_learn::progress::NoProgress).unwrap();
    assert_eq!(a, b);
    let err = demap(&x, &y, 0, 2000, 0, &Metric::Euclidean, &unfold_learn::progress::NoProgress).unwrap_err().to_string();
    assert!(err.contains("n_neighbors"), "{err}");
}

/// Gaussian values from a seed (`SeedSource` streams, as the crate draws them).
fn gaussians(seed: u64, count: usize) -> Vec<f64> {
    let s = unfold_learn::rng::SeedSource::new(Some(seed));
    (0..count).map(|u| unfold_learn::rng::normal_f64(s.value(0, 2 * u as u64), s.value(0, 2 * u as u64 + 1))).collect()
}

#[test]
fn singular_values_equal_a_closed_form_on_both_routes() {
    // M = H diag(s) Πᵀ with H a Householder reflection and Π a permutation: σ(M) = sorted s.
    // Large enough that the decompositions split their work.
    let n = 400;
    let v = gaussians(1, n);
    let vv: f64 = v.iter().map(|x| x * x).sum();
    let matrix = |s: &[f64]| -> Vec<f64> {
        let mut m = vec![0f64; n * n];
        for i in 0..n {
            for c in 0..n {
                let h = if i == c { 1.0 } else { 0.0 } - 2.0 * v[i] * v[c] / vv;
                m[i * n + (c * 7 + 3) % n] = h * s[c];
            }
        }
        m
    };
    // Well conditioned: the route through m mᵀ, to rounding.
    let s: Vec<f64> = (0..n).map(|c| 0.1 + 0.9 * ((c * 37) % n) as f64 / n as f64).collect();
    let mut sorted = s.clone();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let got = singular_values(&matrix(&s), n, "test").unwrap();
    assert!(max_gap(&got, &sorted) < 1e-13, "well conditioned: {}", max_gap(&got, &sorted));
    // Values far below √(nε)·σ_max, which squaring would lose: the SVD route, 1e-9 kept to 1e-4.
    let mut s = s;
    s[5] = 1e-9;
    s[200] = 3e-12;
    let got = singular_values(&matrix(&s), n, "test").unwrap();
    assert!((got[n - 2] - 1e-9).abs() < 1e-13 && (got[n - 1] - 3e-12).abs() < 1e-13, "{:e} {:e}", got[n - 2], got[n - 1]);
    assert!((got[0] - 1.0 + 0.9 / n as f64).abs() < 1e-13);
    // That route splits its work: the same bits on one thread.
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap().install(|| singular_values(&matrix(&s), n, "test").unwrap());
    assert_eq!(one, got);
}

#[test]
fn orthonormal_columns_span_the_input() {
    use unfold_learn::linalg::orthonormal_columns;
    // More rows than one block of the parallel products, so they are split.
    let (n, l) = (5000, 12);
    for deficient in [false, true] {
        let mut y = gaussians(2, n * l);
        if deficient {
            for i in 0..n {
                y[i * l + 5] = y[i * l + 2] - 3.0 * y[i * l + 3];
            }
        }
        let q = orthonormal_columns(n, &y, l, "test").unwrap();
        assert_eq!(q.len(), n * l);
        let dot = |a: &[f64], ca: usize, b: &[f64], cb: usize| (0..n).map(|i| a[i * l + ca] * b[i * l + cb]).sum::<f64>();
        for a in 0..l {
            for b in 0..l {
                let want = if a == b { 1.0 } else { 0.0 };
                assert!((dot(&q, a, &q, b) - want).abs() < 1e-12, "deficient {deficient}: QᵀQ[{a},{b}]");
            }
        }
        // Y = Q Qᵀ Y: every column of Y lies in Q's span.
        for c in 0..l {
            let coef: Vec<f64> = (0..l).map(|a| dot(&q, a, &y, c)).collect();
            let resid = (0..n).map(|i| (y[i * l + c] - (0..l).map(|a| q[i * l + a] * coef[a]).sum::<f64>()).abs()).fold(0.0, f64::max);
            assert!(resid < 1e-10, "deficient {deficient}: column {c} residual {resid:e}");
        }
    }
}

#[test]
fn kmeans_ends_with_each_point_at_its_nearest_mean_at_any_thread_count() {
    use unfold_learn::graph::landmarks::kmeans_labels;
    // 200 overlapping blobs in 10-D, 200 clusters: enough centres that the late rounds compare
    // each point with its centre's nearest centres only.
    let (n, dim, m) = (6000, 10, 200);
    let centres = gaussians(3, m * dim);
    let noise = gaussians(4, n * dim);
    let x: Vec<f64> = (0..n * dim).map(|p| 3.0 * centres[((p / dim) % m) * dim + p % dim] + noise[p]).collect();
    let run = |threads: usize| rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(|| kmeans_labels(&x, n, dim, m, Some(5)));
    let labels = run(1);
    assert_eq!(labels, run(2));
    let k = labels.iter().map(|&c| c as usize + 1).max().unwrap();
    assert!(k > 150, "{k} clusters");
    // Brute force: the means of the final clusters, and each point's nearest of them.
    let mut means = vec![0f64; k * dim];
    let mut counts = vec![0usize; k];
    for (i, &c) in labels.iter().enumerate() {
        counts[c as usize] += 1;
        (0..dim).for_each(|j| means[c as usize * dim + j] += x[i * dim + j]);
    }
    (0..k * dim).for_each(|p| means[p] /= counts[p / dim] as f64);
    assert!(counts.iter().all(|&c| c > 0));
    let sq = |i: usize, c: usize| (0..dim).map(|j| (x[i * dim + j] - means[c * dim + j]).powi(2)).sum::<f64>();
    let misplaced = (0..n).filter(|&i| (0..k).any(|c| sq(i, c) < sq(i, labels[i] as usize) * (1.0 - 1e-12))).count();
    assert_eq!(misplaced, 0, "points nearer another cluster's mean");
}

#[test]
fn reversible_matrix_power_equals_the_plain_power() {
    // A reversible chain D⁻¹W, W symmetric and positive, over several blocks of rows.
    let n = 150;
    let g = gaussians(6, n * n);
    let w: Vec<f64> = (0..n * n).map(|p| (g[p] + g[(p % n) * n + p / n]).abs() + 1e-3).collect();
    let degrees: Vec<f64> = w.chunks(n).map(|r| r.iter().sum()).collect();
    let m: Vec<f64> = (0..n * n).map(|p| w[p] / degrees[p / n]).collect();
    for t in [0, 1, 2, 5, 24] {
        let (fast, plain) = (reversible_matrix_power(&m, &degrees, n, t), matrix_power(&m, n, t));
        let scale = plain.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        assert!(max_gap(&fast, &plain) < 1e-13 * scale, "t = {t}: {:e}", max_gap(&fast, &plain));
    }
    // Degrees that do not make D m symmetric: the plain power, exactly.
    let skewed: Vec<f64> = degrees.iter().enumerate().map(|(i, d)| d * (1.0 + i as f64 / n as f64)).collect();
    assert_eq!(reversible_matrix_power(&m, &skewed, n, 7), matrix_power(&m, n, 7));
    // Squares computed ahead, fewer or more than t needs: the same products, the same bits.
    for (ahead, t) in [(4, 0), (4, 3), (4, 16), (4, 24), (2, 41), (0, 5), (6, 57)] {
        assert_eq!(ReversiblePower::new(&m, &degrees, n, ahead).power(t), reversible_matrix_power(&m, &degrees, n, t), "{ahead} squares ahead, t = {t}");
        assert_eq!(ReversiblePower::new(&m, &skewed, n, ahead).power(t), matrix_power(&m, n, t), "skewed, {ahead} squares ahead, t = {t}");
    }
}
