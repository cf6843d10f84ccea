//! The triangle-comparison sectional curvature against a plain numpy reference
//! (fixtures/make_sectional_fixtures.py, checked there against Manify's `Ka`) and closed forms:
//! a tree metric gives estimates ≤ 0 (exactly as counted), a sphere's geodesic distances > 0, a
//! flat grid nearly 0.

use unfold_learn::NoProgress;
use unfold_learn::data::Data;
use unfold_learn::measure::sectional::{SectionalParams, sectional_curvature};
use unfold_learn::metric::Metric;

use crate::common::{fixtures, load_npy};

fn exact(k: usize, metric: Metric) -> SectionalParams {
    SectionalParams { n_neighbors: k, metric, n_samples: None, ..SectionalParams::default() }
}

fn run(x: &[f32], n: usize, d: usize, p: &SectionalParams) -> unfold_learn::measure::sectional::SectionalCurvature {
    sectional_curvature(&Data::from_row_major(x, n, d).unwrap(), p, &NoProgress).unwrap()
}

/// The Euclidean distance matrix of `x` (`n × d`) as the fixture script makes it: f64 sums,
/// rounded to f32.
fn euclidean_matrix(x: &[f32], n: usize, d: usize) -> Vec<f32> {
    let mut out = vec![0f32; n * n];
    for i in 0..n {
        for j in 0..n {
            let s: f64 = (0..d).map(|t| (f64::from(x[i * d + t]) - f64::from(x[j * d + t])).powi(2)).sum();
            out[i * n + j] = s.sqrt() as f32;
        }
    }
    out
}

#[test]
fn matches_numpy_reference() {
    let cases: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(fixtures().join("sectional_expected.json")).unwrap()).unwrap();
    let saddle: Vec<f32> = load_npy("sectional_saddle");
    let cloud: Vec<f32> = load_npy("sectional_cloud");
    for case in cases.as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let k = case["n_neighbors"].as_u64().unwrap() as usize;
        let got = match name {
            "saddle" => run(&saddle, 90, 3, &exact(k, Metric::Euclidean)),
            "cloud" => run(&cloud, 70, 3, &exact(k, Metric::Euclidean)),
            "saddle_precomputed" => run(&euclidean_matrix(&saddle, 90, 3), 90, 90, &exact(k, Metric::Precomputed)),
            _ => panic!("unknown case {name}"),
        };
        let want: Vec<f64> = case["per_point"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        assert_eq!(got.per_point.len(), want.len(), "{name}");
        for (i, (g, w)) in got.per_point.iter().zip(&want).enumerate() {
            assert!((g - w).abs() < 1e-5 * (1.0 + w.abs()), "{name} point {i}: {g} vs {w}");
        }
        assert!((got.mean - case["mean"].as_f64().unwrap()).abs() < 1e-6, "{name}");
        assert_eq!(got.n_without_pairs, 0);
        assert_eq!(got.references, (0..want.len()).collect::<Vec<_>>());
    }
}

#[test]
fn tree_metric_is_hyperbolic() {
    // The complete binary tree of 63 vertices, numbered breadth first, hop distances. Each
    // vertex's nearest other vertex (ties to the lower index) is its parent (the root's: vertex
    // 1), so the symmetrised 1-NN graph is the tree itself and every neighbour pair has the
    // vertex as its midpoint: ξ is 0 (a beyond b or c) or −1 (a in a third branch).
    let n = 63;
    let depth = |mut v: usize| {
        let mut d = 0;
        while v > 0 {
            v = (v - 1) / 2;
            d += 1;
        }
        d
    };
    let ancestor_distance = |mut a: usize, mut b: usize| {
        let mut d = 0;
        while a != b {
            if depth(a) >= depth(b) {
                a = (a - 1) / 2;
            } else {
                b = (b - 1) / 2;
            }
            d += 1;
        }
        d as f32
    };
    let dist: Vec<f32> = (0..n * n).map(|e| ancestor_distance(e / n, e % n)).collect();
    let s = run(&dist, n, n, &exact(1, Metric::Precomputed));
    assert_eq!(s.n_without_pairs, 32, "the leaves have one neighbour");
    assert!(s.per_point.iter().all(|&k| k <= 1e-12), "{:?}", s.per_point);
    // The root's two branches hold every other vertex: ξ = 0 throughout.
    assert!(s.per_point[0].abs() < 1e-12);
    // An inner vertex v (parent p, children l, r): the pairs (p, l) and (p, r) give −1 for the
    // references below the other child, (l, r) for those outside v's subtree:
    // (2 · (2^h − 1) + (n − (2^(h+1) − 1))) / (3 (n − 1)), h the children's subtree height.
    for v in 1..31 {
        let h = 5 - depth(v);
        let below_child = 2f64.powi(h) - 1.0;
        let outside = n as f64 - (2f64.powi(h + 1) - 1.0);
        let want = -(2.0 * below_child + outside) / (3.0 * (n as f64 - 1.0));
        assert!((s.per_point[v] - want).abs() < 1e-12, "vertex {v}: {} vs {want}", s.per_point[v]);
    }
    assert!(s.mean < 0.0);
}

#[test]
fn sphere_is_positive_and_flat_grid_near_zero() {
    // 300 Fibonacci points of the unit sphere, great-circle distances.
    let n = 300;
    let p: Vec<[f64; 3]> = (0..n)
        .map(|i| {
            let phi = (1.0 - 2.0 * (i as f64 + 0.5) / n as f64).acos();
            let theta = std::f64::consts::PI * (1.0 + 5f64.sqrt()) * (i as f64 + 0.5);
            [theta.cos() * phi.sin(), theta.sin() * phi.sin(), phi.cos()]
        })
        .collect();
    let geo: Vec<f32> = (0..n * n)
        .map(|e| {
            let (a, b) = (p[e / n], p[e % n]);
            if e / n == e % n { 0.0 } else { (a[0] * b[0] + a[1] * b[1] + a[2] * b[2]).clamp(-1.0, 1.0).acos() as f32 }
        })
        .collect();
    let s = run(&geo, n, n, &exact(6, Metric::Precomputed));
    assert!(s.per_point.iter().all(|&k| k > 0.0), "min {}", s.per_point.iter().cloned().fold(f64::INFINITY, f64::min));
    // A flat square grid of unit spacing through its kNN graph (the four axis neighbours inside):
    // each ξ lies in [−1, 1] here, and they nearly cancel (the numpy reference gives 0.006).
    let grid: Vec<f32> = (0..400).flat_map(|i| [(i / 20) as f32, (i % 20) as f32]).collect();
    let s = run(&grid, 400, 2, &exact(4, Metric::Euclidean));
    assert!(s.mean.abs() < 0.02, "grid mean {}", s.mean);
}

#[test]
fn sampled_references_are_seeded_and_thread_independent() {
    let saddle: Vec<f32> = load_npy("sectional_saddle");
    let p = |threads, seed| SectionalParams { n_samples: Some(20), seed: Some(seed), threads: Some(threads), ..SectionalParams::default() };
    let one = run(&saddle, 90, 3, &p(1, 5));
    let two = run(&saddle, 90, 3, &p(2, 5));
    assert_eq!(one, two);
    assert_eq!(one.references.len(), 20);
    assert!(one.references.windows(2).all(|w| w[0] < w[1]));
    assert_ne!(run(&saddle, 90, 3, &p(2, 6)).references, one.references);
    // n_samples ≥ n: every point, the exact estimate.
    let all = run(&saddle, 90, 3, &SectionalParams { n_samples: Some(500), ..SectionalParams::default() });
    assert_eq!(all, run(&saddle, 90, 3, &exact(5, Metric::Euclidean)));
}

#[test]
fn errors_name_the_parameter() {
    let saddle: Vec<f32> = load_npy("sectional_saddle");
    let data = Data::from_row_major(&saddle, 90, 3).unwrap();
    let msg = |p: SectionalParams| sectional_curvature(&data, &p, &NoProgress).unwrap_err().to_string();
    assert!(msg(SectionalParams { n_neighbors: 0, ..SectionalParams::default() }).contains("n_neighbors"));
    assert!(msg(SectionalParams { n_neighbors: 90, ..SectionalParams::default() }).contains("[1, n_samples - 1 = 89]"));
    assert!(msg(SectionalParams { n_samples: Some(0), ..SectionalParams::default() }).contains("n_samples"));
    // Two clusters far apart, one neighbour each: a disconnected graph.
    let two: Vec<f32> = (0..10).map(|i| if i < 5 { i as f32 } else { 1000.0 + i as f32 }).collect();
    let e = sectional_curvature(&Data::from_row_major(&two, 10, 1).unwrap(), &SectionalParams { n_neighbors: 1, ..SectionalParams::default() }, &NoProgress)
        .unwrap_err()
        .to_string();
    assert!(e.contains("n_neighbors") && e.contains("disconnected"), "{e}");
    let tiny = [0f32, 1.0];
    assert!(sectional_curvature(&Data::from_row_major(&tiny, 2, 1).unwrap(), &SectionalParams::default(), &NoProgress).is_err());
}
