//! Diffusion maps against pyDiffMap (tests/fixtures/make_diffusion_fixtures.py) and closed forms.

use unfold_learn::embed::diffusion::{
    DISCONNECTED_WARNING, DiffusionMap, DiffusionMapModel, DiffusionMapParams, Epsilon, NEARLY_DISCONNECTED_WARNING, bgh_epsilon,
};
use unfold_learn::method::{FitData, Fitted, Input, Params, Value};
use unfold_learn::prelude::*;

use crate::common::load_fixture;

fn data(name: &str) -> Embedding {
    let (x, n, d) = load_fixture(name);
    Data::from_vec(x.iter().map(|&v| v as f32).collect(), n, d).unwrap()
}

fn fit_with(x: &Data, p: DiffusionMapParams, ctx: &Context) -> Result<DiffusionMapModel> {
    DiffusionMap::new(p)?.fit(FitData { x: Input::F32(x), y: None, knn: None }, ctx)
}

fn fit(x: &Data, p: DiffusionMapParams) -> DiffusionMapModel {
    fit_with(x, p, &Context::seeded(0)).unwrap()
}

/// Column `c` of a row-major `n × k` matrix.
fn column(v: &[f64], k: usize, c: usize) -> Vec<f64> {
    v.iter().skip(c).step_by(k).copied().collect()
}

fn unit(v: &[f64]) -> Vec<f64> {
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    v.iter().map(|x| x / norm).collect()
}

/// Largest entry-wise difference of two vectors after fixing the sign of `b` to `a`'s.
fn signed_gap(a: &[f64], b: &[f64]) -> f64 {
    let s = if a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>() < 0.0 { -1.0 } else { 1.0 };
    a.iter().zip(b).map(|(x, y)| (x - s * y).abs()).fold(0.0, f64::max)
}

/// The case `name` of the fixture, fitted with the same parameters.
fn case(name: &str) -> (DiffusionMapModel, usize) {
    let x = data("diffusion_X.npy");
    let p = match name {
        "bgh" => DiffusionMapParams { n_components: 3, ..Default::default() },
        "fixed" => DiffusionMapParams { n_components: 2, alpha: 1.0, n_neighbors: 30, epsilon: Epsilon::Fixed(2.0), ..Default::default() },
        "generous" => DiffusionMapParams { n_components: 3, alpha: 0.0, epsilon: Epsilon::BghGenerous, ..Default::default() },
        _ => unreachable!(),
    };
    let k = p.n_components;
    (fit(&x, p), k)
}

#[test]
fn eigenpairs_bandwidth_and_degrees_equal_pydiffmaps() {
    for name in ["bgh", "fixed", "generous"] {
        let (model, k) = case(name);
        let (meta, _, _) = load_fixture(&format!("diffusion_{name}_meta.npy"));
        assert_eq!(model.epsilon(), meta[0], "{name}: epsilon");
        assert_eq!(model.dimension(), (meta[1] >= 0.0).then_some(meta[1]), "{name}: dimension");
        // pyDiffMap's eigenvalues are its generator's: λ_P = 1 + ε λ_L.
        let (evals, _, _) = load_fixture(&format!("diffusion_{name}_evals.npy"));
        for (c, (&got, &l)) in model.eigenvalues().iter().zip(&evals).enumerate() {
            let want = 1.0 + meta[0] * l;
            assert!((got - want).abs() < 1e-6, "{name}: eigenvalue {c}: {got} against {want}");
        }
        // pyDiffMap's eigenvectors are the same right eigenvectors at unit norm.
        let (evecs, n, kk) = load_fixture(&format!("diffusion_{name}_evecs.npy"));
        assert_eq!((n, kk), (400, k));
        for c in 0..k {
            let gap = signed_gap(&unit(&column(model.eigenvectors(), k, c)), &column(&evecs, k, c));
            assert!(gap < 2e-5, "{name}: eigenvector {c} differs by {gap}");
        }
        let (q, _, _) = load_fixture(&format!("diffusion_{name}_q.npy"));
        let got_q = model.attributes().into_iter().find(|a| a.name == "kernel_degree_").unwrap().values;
        assert!(got_q.iter().zip(&q).all(|(g, w)| (g - w).abs() < 1e-5 * w), "{name}: kernel degrees");
    }
}

#[test]
fn embedding_is_eigenvalue_to_the_t_times_eigenvector() {
    let x = data("diffusion_X.npy");
    for t in [0, 1, 3] {
        let model = fit(&x, DiffusionMapParams { t, ..Default::default() });
        let emb = model.embedding().unwrap();
        for (at, &v) in emb.as_slice().iter().enumerate() {
            let want = model.eigenvalues()[at % 2].powi(t as i32) * model.eigenvectors()[at];
            assert!((v as f64 - want).abs() <= 1e-6 * want.abs().max(1e-3), "t = {t}, entry {at}");
        }
    }
}

#[test]
fn eigenvectors_are_pi_orthonormal() {
    let (model, k) = case("bgh");
    // π ∝ d_i = Σ_j K^(α)_ij with K^(α) = K / (q_i q_j)^α; from q alone only for α = 0, so
    // check with the α = 0 case where d = q.
    let (generous, _) = case("generous");
    let q = generous.attributes().into_iter().find(|a| a.name == "kernel_degree_").unwrap().values;
    let total: f64 = q.iter().sum();
    for a in 0..k {
        for b in 0..k {
            let dot: f64 = (0..400).map(|i| q[i] / total * generous.eigenvectors()[i * k + a] * generous.eigenvectors()[i * k + b]).sum();
            assert!((dot - f64::from(u8::from(a == b))).abs() < 1e-8, "<ψ{a}, ψ{b}>_π = {dot}");
        }
    }
    assert_eq!(model.eigenvectors().len(), 400 * k);
}

#[test]
fn nystrom_extension_is_pydiffmaps_times_one_over_lambda() {
    // pyDiffMap's extension is P(y, ·) dmap; Nyström's formula divides by λ_k. Per column, ours
    // over theirs is (training coordinate ratio) / λ_k.
    let y = data("diffusion_Y.npy");
    for name in ["bgh", "fixed", "generous"] {
        let (model, k) = case(name);
        let got = model.transform(Input::F32(&y), &Context::seeded(0)).unwrap();
        let (oos, m, _) = load_fixture(&format!("diffusion_{name}_oos.npy"));
        let (dmap, _, _) = load_fixture(&format!("diffusion_{name}_dmap.npy"));
        let emb = model.embedding().unwrap();
        for c in 0..k {
            let train: Vec<f64> = emb.as_slice().iter().skip(c).step_by(k).map(|&v| v as f64).collect();
            let theirs = column(&dmap, k, c);
            let ratio = train.iter().zip(&theirs).map(|(a, b)| a * b).sum::<f64>() / theirs.iter().map(|b| b * b).sum::<f64>();
            for i in 0..m {
                let want = oos[i * k + c] * ratio / model.eigenvalues()[c];
                let g = got.row(i)[c] as f64;
                assert!(
                    (g - want).abs() < 1e-4 * ratio.abs() * theirs.iter().fold(0.0f64, |a, v| a.max(v.abs())),
                    "{name}: row {i}, column {c}: {g} against {want}"
                );
            }
        }
    }
}

#[test]
fn a_training_row_gets_its_own_coordinates_and_a_nearby_point_about_them() {
    let x = data("diffusion_X.npy");
    let model = fit(&x, DiffusionMapParams { epsilon: Epsilon::Fixed(4.0), ..Default::default() });
    let emb = model.embedding().unwrap();
    assert_eq!(model.transform(Input::F32(&x), &Context::seeded(0)).unwrap().as_slice(), emb.as_slice());
    // Moved by 1e-3: the Nyström extension from its own (unsymmetrised) kernel row, close to
    // the training coordinates.
    let moved = Data::from_vec(x.as_slice().iter().map(|v| v + 1e-3).collect(), 400, 3).unwrap();
    let again = model.transform(Input::F32(&moved), &Context::seeded(0)).unwrap();
    let scale = emb.as_slice().iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let worst = emb.as_slice().iter().zip(again.as_slice()).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(worst > 0.0 && worst < 0.05 * scale, "{worst} of {scale}");
}

#[test]
fn the_diffusion_map_of_a_circle_is_a_circle() {
    // Past 2,000 points, where the eigensolver is iterative; λ_1 = λ_2 (cos and sin), so the
    // pair is unique only up to a rotation: the radius is what must hold.
    let n = 2500;
    let pts: Vec<f32> = (0..n)
        .flat_map(|i| {
            let a = i as f64 * std::f64::consts::TAU / n as f64;
            [a.cos() as f32, a.sin() as f32, 0.1 * (3.0 * a).sin() as f32]
        })
        .collect();
    let x = Data::from_vec(pts, n, 3).unwrap();
    let model = fit(&x, DiffusionMapParams { n_neighbors: 20, ..Default::default() });
    let emb = model.embedding().unwrap();
    let r: Vec<f64> = (0..n).map(|i| (emb.row(i)[0] as f64).hypot(emb.row(i)[1] as f64)).collect();
    let mean = r.iter().sum::<f64>() / n as f64;
    let spread = r.iter().map(|v| (v - mean).abs()).fold(0.0, f64::max);
    assert!(spread < 0.01 * mean, "radius {mean} ± {spread}");
    let l = model.eigenvalues();
    assert!((l[0] - l[1]).abs() < 1e-6 && l[0] < 1.0, "{l:?}");
    // The angle goes round once, in order.
    let angle: Vec<f64> = (0..n).map(|i| (emb.row(i)[1] as f64).atan2(emb.row(i)[0] as f64)).collect();
    let turns: f64 = (0..n)
        .map(|i| {
            let d = angle[(i + 1) % n] - angle[i];
            d - std::f64::consts::TAU * (d / std::f64::consts::TAU).round()
        })
        .sum::<f64>()
        / std::f64::consts::TAU;
    assert!((turns.abs() - 1.0).abs() < 1e-9, "{turns} turns");
}

#[test]
fn bgh_on_a_closed_form() {
    // Points of a d-dimensional lattice: Σ exp(−s/4ε) grows like ε^{d/2} between the spacing and
    // the extent, so the slope is d/2 there. Pairs of a 2-d grid of 30 × 30, spacing 1.
    let mut s = Vec::new();
    for a in 0..900usize {
        for b in 0..900usize {
            let (dx, dy) = ((a % 30) as f64 - (b % 30) as f64, (a / 30) as f64 - (b / 30) as f64);
            s.push(dx * dx + dy * dy);
        }
    }
    let (eps, dim) = bgh_epsilon(&s);
    assert_eq!(dim, 2.0);
    assert!((0.25..=64.0).contains(&eps), "{eps}");
}

#[test]
fn adaptive_bandwidth_is_the_kth_neighbour_distance() {
    let x = data("diffusion_X.npy");
    let model = fit(&x, DiffusionMapParams { adaptive_k: Some(7), ..Default::default() });
    let sigma = model.attributes().into_iter().find(|a| a.name == "bandwidths_").unwrap().values;
    // Brute force: the 7th smallest distance to another row.
    for i in [0usize, 17, 399] {
        let mut d: Vec<f64> =
            (0..400).filter(|&j| j != i).map(|j| x.row(i).iter().zip(x.row(j)).map(|(a, b)| (*a as f64 - *b as f64).powi(2)).sum::<f64>().sqrt()).collect();
        d.sort_by(f64::total_cmp);
        assert!((sigma[i] - d[6]).abs() < 1e-5 * d[6], "row {i}: {} against {}", sigma[i], d[6]);
    }
    // The kernel exponent is d²/(σ_i σ_j): BGH then finds an ε of order 1.
    assert!((0.01..=100.0).contains(&model.epsilon()), "{}", model.epsilon());
    let y = data("diffusion_Y.npy");
    assert!(model.transform(Input::F32(&y), &Context::seeded(0)).unwrap().as_slice().iter().all(|v| v.is_finite()));
}

#[test]
fn identical_at_one_and_two_threads_and_through_a_model_file() {
    let n = 3000;
    let x = Data::from_vec((0..n * 4).map(|i| ((i * 7919 % 1000) as f32 / 100.0).sin()).collect(), n, 4).unwrap();
    let y = data("diffusion_Y.npy");
    let p = DiffusionMapParams { n_neighbors: 15, ..Default::default() };
    let run = |threads| fit_with(&x, p.clone(), &Context { threads: Some(threads), ..Context::seeded(3) }).unwrap();
    let (one, two) = (run(1), run(2));
    assert_eq!(one.embedding().unwrap().as_slice(), two.embedding().unwrap().as_slice());
    let bytes = one.to_bytes().unwrap();
    let loaded = DiffusionMapModel::from_bytes(&bytes).unwrap();
    assert_eq!(loaded.embedding().unwrap().as_slice(), one.embedding().unwrap().as_slice());
    let y4 = Data::from_vec(y.as_slice().iter().chain(&[0.5f32; 25]).copied().collect(), 25, 4).unwrap();
    let ctx1 = Context { threads: Some(1), ..Context::seeded(0) };
    let a = one.transform(Input::F32(&y4), &ctx1).unwrap();
    let b = loaded.transform(Input::F32(&y4), &Context { threads: Some(2), ..Context::seeded(0) }).unwrap();
    assert_eq!(a.as_slice(), b.as_slice());
    // A point's extension does not depend on the others transformed with it.
    let first = Data::from_vec(y4.row(3).to_vec(), 1, 4).unwrap();
    assert_eq!(one.transform(Input::F32(&first), &ctx1).unwrap().as_slice(), a.row(3));
    assert_eq!(loaded.params().iter().find(|(k, _)| *k == "n_neighbors").unwrap().1, Value::Int(15));
}

#[test]
fn a_disconnected_kernel_warns() {
    let pts: Vec<f32> = (0..60).flat_map(|i| [if i < 30 { 0.0 } else { 100.0 } + (i % 30) as f32 * 0.1, 0.0]).collect();
    let x = Data::from_vec(pts, 60, 2).unwrap();
    let model = fit(&x, DiffusionMapParams { n_neighbors: 10, ..Default::default() });
    assert_eq!(model.warnings(), &[DISCONNECTED_WARNING.to_string()]);
    assert!((model.eigenvalues()[0] - 1.0).abs() < 1e-9);
}

#[test]
fn a_kernel_joined_only_by_negligible_weights_warns() {
    // Two groups 10 apart, each a chain of spacing 0.1; with 40 neighbours every point reaches
    // the other group, but at epsilon 0.5 those kernel weights are about exp(-50) = 2e-22.
    let pts: Vec<f32> = (0..60).flat_map(|i| [if i < 30 { 0.0 } else { 10.0 } + (i % 30) as f32 * 0.1 / 3.0, 0.0]).collect();
    let x = Data::from_vec(pts, 60, 2).unwrap();
    let model = fit(&x, DiffusionMapParams { n_neighbors: 40, epsilon: Epsilon::Fixed(0.5), ..Default::default() });
    assert_eq!(model.warnings(), &[NEARLY_DISCONNECTED_WARNING.to_string()]);
    // A bandwidth that spans the gap gives no warning.
    let model = fit(&x, DiffusionMapParams { n_neighbors: 40, epsilon: Epsilon::Fixed(20.0), ..Default::default() });
    assert!(model.warnings().is_empty(), "{:?}", model.warnings());
}

#[test]
fn invalid_input_is_named() {
    let x = data("diffusion_X.npy");
    let err = |p: DiffusionMapParams| fit_with(&x, p, &Context::seeded(0)).unwrap_err().to_string();
    assert!(err(DiffusionMapParams { alpha: 1.5, ..Default::default() }).contains("`alpha`"));
    assert!(err(DiffusionMapParams { epsilon: Epsilon::Fixed(0.0), ..Default::default() }).contains("`epsilon`"));
    assert!(err(DiffusionMapParams { n_neighbors: 1, ..Default::default() }).contains("`n_neighbors`"));
    assert!(err(DiffusionMapParams { adaptive_k: Some(64), ..Default::default() }).contains("must be below n_neighbors (64)"));
    let mut p = DiffusionMapParams::default();
    assert!(p.set("epsilon", &Value::Text("silverman".into())).unwrap_err().to_string().contains("\"bgh\""));
    let tiny = Data::from_vec(vec![0.0, 1.0, 2.0], 3, 1).unwrap();
    let e = fit_with(&tiny, DiffusionMapParams::default(), &Context::seeded(0)).unwrap_err().to_string();
    assert!(e.contains("n_samples = 3 is too few for n_components = 2"), "{e}");
    // Duplicates make an adaptive bandwidth 0: named by row.
    let dup = Data::from_vec(vec![1.0; 20].into_iter().chain((0..20).map(|v| v as f32)).collect(), 40, 1).unwrap();
    let e = fit_with(&dup, DiffusionMapParams { n_neighbors: 10, adaptive_k: Some(3), ..Default::default() }, &Context::seeded(0)).unwrap_err().to_string();
    assert!(e.contains("row 0 of the data has 3 or more neighbours at distance 0"), "{e}");
    // Without its training rows a model embeds but cannot extend.
    let lean = fit_with(&x, DiffusionMapParams::default(), &Context { keep_data: false, ..Context::seeded(0) }).unwrap();
    assert!(!lean.capabilities().transform);
    assert!(lean.to_bytes().unwrap_err().to_string().contains("without keeping its training rows"));
    let y = data("diffusion_Y.npy");
    let model = fit(&x, DiffusionMapParams::default());
    let wrong = Data::from_vec(vec![0.0; 10], 5, 2).unwrap();
    assert!(model.transform(Input::F32(&wrong), &Context::seeded(0)).unwrap_err().to_string().contains("columns"));
    assert_eq!(model.transform(Input::F32(&y), &Context::seeded(0)).unwrap().n_rows(), 25);
}
