//! UMAP's graph stages and curve fit against umap-learn fixtures
//! (tests/fixtures/make_umap_fixtures.py).

use unfold_learn::embed::umap::curve::find_ab_params;
use unfold_learn::embed::umap::graph::{FuzzyGraph, FuzzySetParams, fuzzy_simplicial_set, smooth_knn_dist};
use unfold_learn::knn::KnnGraph;

use crate::common::{fixture_graph_weights, fixtures, load_npy as load, umap_knn_fixture};

fn expected() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join("umap_ab.json")).unwrap()).unwrap()
}

const N_NEIGHBORS: usize = 10;

/// The fixture graph in umap-learn's layout (self in column 0): (n, indices, distances).
fn umap_layout() -> (usize, Vec<i64>, Vec<f32>) {
    let idx: Vec<i64> = load("umap_knn_indices");
    let dist: Vec<f32> = load("umap_knn_dists");
    (idx.len() / N_NEIGHBORS, idx, dist)
}

/// The same graph in this crate's layout: column 0 (the point itself) dropped.
fn knn() -> KnnGraph {
    umap_knn_fixture("umap_knn", N_NEIGHBORS, N_NEIGHBORS)
}

/// Relative agreement; infinite values (sigmas after a disconnection) must match exactly.
/// (On x86-64 with glibc the values are currently bit-identical to umap-learn's.)
fn assert_rel(got: &[f32], want: &[f32], tol: f32, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let ok = if w.is_infinite() { g == w } else { (g - w).abs() <= tol * w.abs().max(f32::MIN_POSITIVE) };
        assert!(ok, "{what}[{i}]: got {g}, umap-learn {w}");
    }
}

fn check_graph(g: &FuzzyGraph, tag: &str) {
    let vals = fixture_graph_weights(g, &format!("umap_graph_{tag}"));
    assert_rel(g.weights(), &vals, 1e-4, &format!("{tag} weights"));
    assert_rel(&g.sigmas, &load::<f32>(&format!("umap_graph_{tag}_sigmas")), 1e-4, &format!("{tag} sigmas"));
    assert_rel(&g.rhos, &load::<f32>(&format!("umap_graph_{tag}_rhos")), 1e-4, &format!("{tag} rhos"));
    assert_symmetric(g);
}

fn assert_symmetric(g: &FuzzyGraph) {
    assert_eq!(g.indptr().len(), g.n_points() + 1);
    for i in 0..g.n_points() {
        let (cols, w) = g.row(i);
        assert!(cols.windows(2).all(|c| c[0] < c[1]), "row {i}: columns not strictly increasing");
        for (&j, &wij) in cols.iter().zip(w) {
            assert!(wij > 0.0 && wij <= 1.0, "({i}, {j}): weight {wij}");
            assert_eq!(g.weight(j as usize, i), wij, "({i}, {j}) vs ({j}, {i})");
        }
    }
}

#[test]
fn smooth_knn_dist_matches_umap_learn() {
    let (_, _, dist) = umap_layout();
    let (sigmas, rhos) = smooth_knn_dist(&dist, N_NEIGHBORS, 1.0, 1.0);
    assert_rel(&sigmas, &load::<f32>("umap_sigmas"), 1e-4, "sigmas");
    assert_rel(&rhos, &load::<f32>("umap_rhos"), 1e-4, "rhos");
    // The duplicated rows (5 and 198, 100 and 199) see each other at distance 0: rho skips it.
    assert!(rhos[198] > 0.0 && rhos[199] > 0.0);
}

#[test]
fn fuzzy_simplicial_set_matches_umap_learn() {
    let knn = knn();
    for (mix, lc, tag) in [(1.0, 1.0, "mix1_lc1"), (0.5, 1.0, "mix05_lc1"), (1.0, 2.0, "mix1_lc2")] {
        let params = FuzzySetParams { set_op_mix_ratio: mix, local_connectivity: lc, ..Default::default() };
        check_graph(&fuzzy_simplicial_set(&knn, &params).unwrap(), tag);
    }
}

#[test]
fn disconnection_distance_matches_umap_learn() {
    let e = expected();
    let cut = e["disconnection_distance"].as_f64().unwrap() as f32;
    let knn = knn();
    let removed = knn.distances().iter().filter(|&&d| d >= cut).count();
    assert_eq!(removed as u64, e["disconnection_edges_removed"].as_u64().unwrap());
    let g = fuzzy_simplicial_set(&knn, &FuzzySetParams { disconnection_distance: Some(cut), ..Default::default() }).unwrap();
    check_graph(&g, "disc");
    // umap-learn's quirk, reproduced: the +∞ of a removed neighbour makes the row mean and so
    // sigma infinite, and every kept neighbour of such a row has membership 1.
    for i in 0..knn.n_points() {
        let (idx, dist) = knn.neighbors(i);
        let lost = dist.iter().any(|&d| d >= cut);
        assert_eq!(g.sigmas[i].is_infinite(), lost, "row {i}");
        for (&j, &d) in idx.iter().zip(dist) {
            if d >= cut {
                // Removed from i's side: only the other direction can keep the edge.
                let back = knn.neighbors(j as usize);
                let kept_back = back.0.iter().zip(back.1).any(|(&b, &db)| b as usize == i && db < cut);
                assert_eq!(g.weight(i, j as usize) > 0.0, kept_back, "edge ({i}, {j})");
            } else if lost {
                assert_eq!(g.weight(i, j as usize), 1.0, "edge ({i}, {j})");
            }
        }
    }
}

#[test]
fn disconnection_distance_removes_far_edges() {
    // Points 0, 1, 2 on a line at 0, 1, 10; each has both others as neighbours.
    let knn = KnnGraph::from_parts(3, 2, vec![1, 2, 0, 2, 1, 0], vec![1.0, 10.0, 1.0, 9.0, 9.0, 10.0]).unwrap();
    let full = fuzzy_simplicial_set(&knn, &FuzzySetParams::default()).unwrap();
    assert_eq!(full.nnz(), 6);
    let cut = fuzzy_simplicial_set(&knn, &FuzzySetParams { disconnection_distance: Some(5.0), ..Default::default() }).unwrap();
    assert_eq!(cut.row(0), (&[1u32][..], &[1.0f32][..]));
    assert_eq!(cut.row(1), (&[0u32][..], &[1.0f32][..]));
    assert_eq!(cut.row(2).0.len(), 0);
    assert_symmetric(&cut);
}

#[test]
fn weight_of_a_column_past_u32_is_zero_not_wrapped() {
    let knn = KnnGraph::from_parts(3, 2, vec![1, 2, 0, 2, 1, 0], vec![1.0, 10.0, 1.0, 9.0, 9.0, 10.0]).unwrap();
    let g = fuzzy_simplicial_set(&knn, &FuzzySetParams::default()).unwrap();
    assert_eq!(g.weight(0, 1), 1.0);
    // 2³² + 1 would wrap to column 1 in u32.
    assert_eq!(g.weight(0, (1usize << 32) + 1), 0.0);
}

#[test]
fn neighbours_all_at_the_same_distance() {
    // A regular simplex: 5 points, every pair at distance 2.
    let n = 5;
    let (mut idx, mut dist) = (Vec::new(), Vec::new());
    for i in 0..n as u32 {
        idx.extend((0..n as u32).filter(|&j| j != i));
        dist.extend([2.0f32; 4]);
    }
    let knn = KnnGraph::from_parts(n, 4, idx, dist).unwrap();
    let g = fuzzy_simplicial_set(&knn, &FuzzySetParams::default()).unwrap();
    // Every d − rho is 0, so the sum is 4 > log2(5) at any sigma: the search shrinks sigma to
    // nothing and the floor 1e-3 · mean(0, 2, 2, 2, 2) takes over. All memberships are 1.
    for i in 0..n {
        assert_eq!(g.rhos[i], 2.0);
        assert!((g.sigmas[i] - 1.6e-3).abs() < 1e-9, "sigma {}", g.sigmas[i]);
        assert_eq!(g.row(i).1, &[1.0f32; 4]);
    }
    assert_eq!(g.nnz(), 20);
}

#[test]
fn result_does_not_depend_on_thread_count() {
    let knn = knn();
    let params = FuzzySetParams { set_op_mix_ratio: 0.5, ..Default::default() };
    let many = fuzzy_simplicial_set(&knn, &params).unwrap();
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap().install(|| fuzzy_simplicial_set(&knn, &params).unwrap());
    assert_eq!(many, one);
}

#[test]
fn find_ab_params_matches_umap_learn() {
    for case in expected()["find_ab_params"].as_array().unwrap() {
        let (spread, min_dist) = (case["spread"].as_f64().unwrap(), case["min_dist"].as_f64().unwrap());
        let (a, b) = find_ab_params(spread, min_dist).unwrap();
        let (wa, wb) = (case["a"].as_f64().unwrap(), case["b"].as_f64().unwrap());
        assert!((a - wa).abs() <= 1e-5 * wa.abs(), "spread {spread}, min_dist {min_dist}: a = {a}, umap-learn {wa}");
        assert!((b - wb).abs() <= 1e-5 * wb.abs(), "spread {spread}, min_dist {min_dist}: b = {b}, umap-learn {wb}");
    }
}

#[test]
fn invalid_parameters_are_named_with_their_range() {
    let msg = |r: unfold_learn::Result<(f64, f64)>| r.unwrap_err().to_string();
    assert_eq!(msg(find_ab_params(0.0, 0.1)), "invalid value for `spread`: 0 (must be a finite number greater than 0)");
    assert!(msg(find_ab_params(f64::NAN, 0.1)).contains("`spread`"));
    assert_eq!(msg(find_ab_params(1.0, -0.5)), "invalid value for `min_dist`: -0.5 (must be a finite number of at least 0)");
    assert_eq!(msg(find_ab_params(1.0, 1.5)), "invalid value for `min_dist`: 1.5 (must be less than or equal to spread (1))");

    let knn = knn();
    let err = |p: FuzzySetParams| {
        let e = fuzzy_simplicial_set(&knn, &p).unwrap_err();
        assert!(e.is_invalid_parameter());
        e.to_string()
    };
    let d = FuzzySetParams::default;
    assert_eq!(err(FuzzySetParams { local_connectivity: -1.0, ..d() }), "invalid value for `local_connectivity`: -1 (must be a finite number of at least 0)");
    assert_eq!(err(FuzzySetParams { set_op_mix_ratio: 1.5, ..d() }), "invalid value for `set_op_mix_ratio`: 1.5 (must be in [0, 1])");
    assert!(err(FuzzySetParams { set_op_mix_ratio: f32::NAN, ..d() }).contains("`set_op_mix_ratio`"));
    assert_eq!(err(FuzzySetParams { bandwidth: 0.0, ..d() }), "invalid value for `bandwidth`: 0 (must be a finite number greater than 0)");
    assert_eq!(
        err(FuzzySetParams { disconnection_distance: Some(0.0), ..d() }),
        "invalid value for `disconnection_distance`: 0 (must be greater than 0 (or None for no limit))"
    );
    assert!(FuzzySetParams::default().validate().is_ok());
}
