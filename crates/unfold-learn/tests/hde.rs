//! The hyperbolic diffusion embedding against a brute-force numpy reference of the paper's
//! formulas (tests/fixtures/make_hde_fixtures.py), and the distance's properties: a metric, and
//! on a hierarchy it ranks pairs as the tree does.

use unfold_learn::embed::hde::{Hde, HdeModel, HdeParams};
use unfold_learn::method::{Auto, FitData, Fitted, Input};
use unfold_learn::prelude::*;

use crate::common::load_fixture;

fn data(name: &str) -> Embedding {
    let (x, n, d) = load_fixture(name);
    Data::from_vec(x.iter().map(|&v| v as f32).collect(), n, d).unwrap()
}

fn fit(x: &Data, p: HdeParams, ctx: &Context) -> HdeModel {
    Hde::new(p).unwrap().fit(FitData { x: Input::F32(x), y: None, knn: None }, ctx).unwrap()
}

fn params(case: &str) -> HdeParams {
    match case {
        "auto" => HdeParams::default(),
        "given" => HdeParams { n_scales: 3, epsilon: Auto::Value(2.5), alpha: 0.5, ..Default::default() },
        _ => unreachable!(),
    }
}

#[test]
fn distances_and_coordinates_equal_the_brute_force_reference() {
    let x = data("hde_X.npy");
    let meta: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(crate::common::fixtures().join("hde_cases.json")).unwrap()).unwrap();
    for case in ["auto", "given"] {
        let model = fit(&x, params(case), &Context::seeded(0));
        let eps = meta[case]["epsilon"].as_f64().unwrap();
        assert!((model.epsilon() - eps).abs() < 1e-9 * eps, "{case}: epsilon {} vs {eps}", model.epsilon());
        let (expected, n, _) = load_fixture(&format!("hde_{case}_dist.npy"));
        let got = model.pairwise_distances(None).unwrap();
        let scale = expected.iter().fold(0.0f64, |a, v| a.max(*v));
        let gap = got.iter().zip(&expected).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        assert!(gap < 1e-5 * scale, "{case}: distances differ by {gap} (max {scale})");
        let (coords, rows, width) = load_fixture(&format!("hde_{case}_embedding.npy"));
        assert_eq!(model.n_components(), width);
        let emb = model.embedding().unwrap();
        for i in 0..rows {
            let gap = emb.row(i).iter().zip(&coords[i * width..(i + 1) * width]).map(|(&a, &b)| (a as f64 - b).abs()).fold(0.0, f64::max);
            assert!(gap < 1e-6, "{case}: row {i} coordinates differ by {gap}");
        }
        // Some rows against all: the same values as those rows of all pairs.
        let some = model.pairwise_distances(Some(&[7, 0, 59])).unwrap();
        for (r, &i) in [7usize, 0, 59].iter().enumerate() {
            let gap = some[r * n..(r + 1) * n].iter().zip(&got[i * n..(i + 1) * n]).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
            assert!(gap < 1e-12 * scale, "{case}: row {i} alone differs by {gap}");
        }
    }
}

#[test]
fn the_distance_is_a_metric_and_the_fit_ignores_thread_count() {
    let x = data("hde_X.npy");
    let one = fit(&x, params("auto"), &Context { threads: Some(1), ..Context::seeded(0) });
    let two = fit(&x, params("auto"), &Context { threads: Some(2), ..Context::seeded(0) });
    assert_eq!(one.embedding().unwrap().as_slice(), two.embedding().unwrap().as_slice());
    assert_eq!(one.poincare(), two.poincare());
    let d = one.pairwise_distances(None).unwrap();
    let n = x.n_rows();
    for i in 0..n {
        assert_eq!(d[i * n + i], 0.0);
        for j in 0..n {
            assert!((d[i * n + j] - d[j * n + i]).abs() < 1e-12 * d[i * n + j].max(1.0));
            if i != j {
                assert!(d[i * n + j] > 0.0);
            }
            for k in 0..n {
                assert!(d[i * n + k] <= d[i * n + j] + d[j * n + k] + 1e-9, "triangle ({i}, {j}, {k})");
            }
        }
    }
    // The 2-D view lies inside the unit disk.
    assert!(one.poincare().chunks(2).all(|p| p[0].is_finite() && p[0] * p[0] + p[1] * p[1] < 1.0));
    let e = one.pairwise_distances(Some(&[60])).unwrap_err().to_string();
    assert!(e.contains("row 60 is out of range"), "{e}");
}

#[test]
fn on_a_hierarchy_the_distance_ranks_pairs_as_the_tree_does() {
    // A binary tree of depth 4: each leaf's centre is the sum of offsets along its path, halving
    // with depth; 6 points per leaf. The tree distance of two points is twice the number of
    // levels up to their lowest common ancestor.
    let (depth, per_leaf, dim) = (4usize, 6usize, 8usize);
    let noise = |a: u64, b: u64| (((a * 1_000_003 + b + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as f64 / (1u64 << 24) as f64 - 0.5) * 2.0;
    let mut x = Vec::new();
    let mut leaf_of = Vec::new();
    for leaf in 0..1usize << depth {
        let mut centre = vec![0.0f64; dim];
        for level in 1..=depth {
            let node = ((leaf >> (depth - level)) + (1 << level)) as u64;
            for (c, v) in centre.iter_mut().enumerate() {
                *v += 8.0 * 0.5f64.powi(level as i32) * noise(node, c as u64);
            }
        }
        for p in 0..per_leaf {
            for (c, v) in centre.iter().enumerate() {
                x.push((v + 0.05 * noise(1000 + (leaf * per_leaf + p) as u64, c as u64)) as f32);
            }
            leaf_of.push(leaf);
        }
    }
    let n = leaf_of.len();
    let x = Data::from_vec(x, n, dim).unwrap();
    let model = fit(&x, HdeParams { n_scales: 8, ..Default::default() }, &Context::seeded(0));
    let d = model.pairwise_distances(None).unwrap();
    let (mut hdd, mut tree) = (Vec::new(), Vec::new());
    for i in 0..n {
        for j in i + 1..n {
            let (a, b) = (leaf_of[i], leaf_of[j]);
            let up = (0..=depth).find(|&s| a >> s == b >> s).unwrap();
            hdd.push(d[i * n + j]);
            tree.push(2.0 * up as f64);
        }
    }
    let rho = crate::common::spearman(&hdd, &tree);
    assert!(rho > 0.8, "Spearman {rho}");
}

#[test]
fn bad_parameters_and_inputs_name_themselves() {
    let err = |p: HdeParams| Hde::new(p).unwrap_err().to_string();
    assert!(err(HdeParams { n_scales: 0, ..Default::default() }).contains("`n_scales`: 0"));
    assert!(err(HdeParams { alpha: 2.0, ..Default::default() }).contains("`alpha`: 2"));
    assert!(err(HdeParams { epsilon: Auto::Value(-1.0), ..Default::default() }).contains("`epsilon`"));
    let x = data("hde_X.npy");
    let pre = Hde::new(HdeParams { metric: Metric::Precomputed, ..Default::default() }).unwrap();
    let e = pre.fit(FitData { x: Input::F32(&x), y: None, knn: None }, &Context::seeded(0)).unwrap_err().to_string();
    assert!(e.contains("square distance matrix"), "{e}");
    // Precomputed euclidean distances give the euclidean fit.
    let n = x.n_rows();
    let dist: Vec<f32> =
        (0..n * n).map(|p| x.row(p / n).iter().zip(x.row(p % n)).map(|(&a, &b)| (a as f64 - b as f64).powi(2)).sum::<f64>().sqrt() as f32).collect();
    let dx = Data::from_vec(dist, n, n).unwrap();
    let a = pre.fit(FitData { x: Input::F32(&dx), y: None, knn: None }, &Context::seeded(0)).unwrap();
    let b = fit(&x, HdeParams::default(), &Context::seeded(0));
    let (da, db) = (a.pairwise_distances(Some(&[3])).unwrap(), b.pairwise_distances(Some(&[3])).unwrap());
    assert!(da.iter().zip(&db).all(|(p, q)| (p - q).abs() < 1e-4 * q.max(1.0)));
}
