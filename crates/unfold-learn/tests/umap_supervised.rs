//! Supervised UMAP's graph operations against umap-learn fixtures
//! (tests/fixtures/make_umap_supervised_fixtures.py), plus their invariants.

use unfold_learn::Data;
use unfold_learn::embed::umap::graph::{FuzzyGraph, FuzzySetParams, fuzzy_simplicial_set};
use unfold_learn::embed::umap::supervised::{
    UNKNOWN_DIST, categorical_far_dist, categorical_simplicial_set_intersection, general_simplicial_set_intersection, knn_target_intersection,
    numeric_target_intersection, reset_local_connectivity,
};
use unfold_learn::graph::SparseGraph;
use unfold_learn::knn::KnnGraph;
use unfold_learn::metric::Metric;

use crate::common::{fixture_graph_weights, load_npy as load, umap_knn_fixture};

/// umap-learn's `n_neighbors` for the data graph and the width of the saved kNN files.
const N_NEIGHBORS: usize = 10;

/// A kNN fixture of `N_NEIGHBORS` columns as this crate's graph of `k − 1` neighbours.
fn knn_from_fixture(prefix: &str, k: usize) -> KnnGraph {
    umap_knn_fixture(prefix, N_NEIGHBORS, k)
}

/// umap-learn's data graph of the fixtures: `fuzzy_simplicial_set` with its defaults.
fn data_graph() -> FuzzyGraph {
    fuzzy_simplicial_set(&knn_from_fixture("umap_knn", N_NEIGHBORS), &FuzzySetParams::default()).unwrap()
}

fn labels() -> Vec<i64> {
    load("umap_sup_labels")
}

/// Same edges as umap-learn's graph `name`, weights within a relative 1e-4.
fn check_against(g: &FuzzyGraph, name: &str) {
    check_against_within(g, name, 1e-4);
}

fn check_against_within(g: &FuzzyGraph, name: &str, tol: f32) {
    let vals = fixture_graph_weights(g, name);
    assert_close(g, &vals, tol, name);
    assert_symmetric(g);
}

fn assert_close(g: &FuzzyGraph, want: &[f32], tol: f32, what: &str) {
    for (p, (&got, &w)) in g.weights().iter().zip(want).enumerate() {
        assert!((got - w).abs() <= tol * w.abs(), "{what}: entry {p}: got {got}, expected {w}");
    }
}

/// Symmetric, rows strictly increasing, weights in (0, 1].
fn assert_symmetric(g: &FuzzyGraph) {
    assert_eq!(g.indptr().len(), g.n_points() + 1);
    assert_eq!(*g.indptr().last().unwrap(), g.indices().len());
    for i in 0..g.n_points() {
        let (cols, w) = g.row(i);
        assert!(cols.windows(2).all(|c| c[0] < c[1]), "row {i}: columns not strictly increasing");
        for (&j, &wij) in cols.iter().zip(w) {
            assert!(wij > 0.0 && wij <= 1.0, "({i}, {j}): weight {wij}");
            assert_eq!(g.weight(j as usize, i), wij, "({i}, {j}) vs ({j}, {i})");
        }
    }
}

/// After resetting local connectivity every point with an edge has one of weight 1 (up to the
/// rounding of `1 + w − 1·w` in f32).
fn assert_connectivity_reset(g: &FuzzyGraph) {
    for i in 0..g.n_points() {
        let w = g.row(i).1;
        if !w.is_empty() {
            let max = w.iter().copied().fold(0.0, f32::max);
            assert!((max - 1.0).abs() <= f32::EPSILON, "row {i}: largest weight {max}");
        }
    }
}

#[test]
fn categorical_intersection_matches_umap_learn() {
    let graph = data_graph();
    let y = labels();
    for (target_weight, tag) in [(1.0, "tw1"), (0.5, "tw05")] {
        let far_dist = categorical_far_dist(target_weight).unwrap();
        let sup = categorical_simplicial_set_intersection(&graph, &y, UNKNOWN_DIST, far_dist).unwrap();
        check_against(&sup, &format!("umap_sup_cat_{tag}"));
        assert_connectivity_reset(&sup);
        assert_eq!((&sup.sigmas, &sup.rhos), (&graph.sigmas, &graph.rhos), "{tag}: sigmas and rhos");
    }
}

#[test]
fn target_weight_one_cuts_every_edge_between_known_different_labels() {
    let graph = data_graph();
    let y = labels();
    let sup = categorical_simplicial_set_intersection(&graph, &y, UNKNOWN_DIST, categorical_far_dist(1.0).unwrap()).unwrap();
    let mut kept_unknown = 0;
    for i in 0..graph.n_points() {
        for &j in graph.row(i).0 {
            let (a, b) = (y[i], y[j as usize]);
            let w = sup.weight(i, j as usize);
            if a >= 0 && b >= 0 && a != b {
                assert_eq!(w, 0.0, "({i}, {j}): labels {a} and {b}");
            } else {
                assert!(w > 0.0, "({i}, {j}): labels {a} and {b}");
                kept_unknown += usize::from(a < 0 || b < 0);
            }
        }
    }
    assert!(kept_unknown > 0, "the fixture has edges at unknown labels");
}

#[test]
fn numeric_target_intersection_matches_umap_learn() {
    let graph = data_graph();
    let y: Vec<f32> = load("umap_sup_y");
    let y = Data::from_vec(y, graph.n_points(), 1).unwrap();
    for (k, target_weight, tag) in [(10, 0.5, "k10_tw05"), (6, 0.2, "k6_tw02")] {
        let name = format!("umap_sup_num_{tag}");
        let target_knn = knn_from_fixture("umap_sup_y_knn", k);
        let sup = knn_target_intersection(&graph, &target_knn, target_weight).unwrap();
        check_against(&sup, &name);
        assert_connectivity_reset(&sup);
        assert_eq!((&sup.sigmas, &sup.rhos), (&graph.sigmas, &graph.rhos), "{tag}: sigmas and rhos");

        // The same from y itself, through this crate's exact kNN search. It finds the same
        // neighbours, but computes distances on centred rows, which moves them by a few 1e-5
        // relative from the fixture's |y_i − y_j|; the smallest weights move most.
        let from_y = numeric_target_intersection(&graph, &y, k, Metric::Euclidean, Some(3), target_weight).unwrap();
        check_against_within(&from_y, &name, 1e-3);
    }
}

#[test]
fn far_dist_follows_umap_learn() {
    for (w, far) in [(0.0, 2.5), (0.5, 5.0), (0.75, 10.0), (0.9, 25.0), (1.0, 1e12)] {
        let got = categorical_far_dist(w).unwrap();
        assert!((got - far).abs() <= 1e-6 * far, "target_weight {w}: {got}, expected {far}");
    }
}

#[test]
fn all_unknown_labels_only_reset_local_connectivity() {
    let graph = data_graph();
    let reset = reset_local_connectivity(&graph);
    assert_symmetric(&reset);
    assert_connectivity_reset(&reset);
    // Every edge is scaled by the same exp(−1), which the row normalisation undoes.
    for unknown in [-1, -7] {
        let sup = categorical_simplicial_set_intersection(&graph, &vec![unknown; graph.n_points()], UNKNOWN_DIST, 5.0).unwrap();
        assert_eq!((&sup.indptr(), &sup.indices()), (&reset.indptr(), &reset.indices()), "edges");
        assert_close(&sup, reset.weights(), 1e-4, "all unknown vs reset");
        assert_symmetric(&sup);
    }
}

#[test]
fn reset_local_connectivity_by_hand() {
    // Rows 0: (1, 0.5), (2, 0.25); 1: (0, 0.5); 2: (0, 0.25). Row maxima 0.5, 0.5, 0.25, so the
    // scaled matrix S is 0: (1, 1), (2, 0.5); 1: (0, 1); 2: (0, 1), and S + Sᵀ − S∘Sᵀ has
    // (0, 1) = 1 and (0, 2) = 0.5 + 1 − 0.5 = 1.
    let g = FuzzyGraph {
        graph: SparseGraph::from_parts(3, vec![0, 2, 3, 4], vec![1, 2, 0, 0], vec![0.5, 0.25, 0.5, 0.25]).unwrap(),
        sigmas: vec![1.0, 2.0, 3.0],
        rhos: vec![0.1, 0.2, 0.3],
    };
    let r = reset_local_connectivity(&g);
    assert_eq!(r.weights(), [1.0; 4]);
    assert_eq!((r.indptr(), r.indices()), (g.indptr(), g.indices()));
    assert_eq!((r.sigmas, r.rhos), (g.sigmas, g.rhos));
}

#[test]
fn general_intersection_by_hand() {
    // G has edges 0–1 (0.8) and 1–2 (0.4); T has 0–1 (0.5) and 0–2 (0.6).
    // Floors: G's 0.4 / 2 = 0.2 and min(T's 0.5 / 2, 1e-4) = 1e-4.
    let graph = |edges: &[(u32, u32, f32)]| {
        let mut rows = vec![Vec::new(); 3];
        for &(i, j, w) in edges {
            rows[i as usize].push((j, w));
            rows[j as usize].push((i, w));
        }
        let (mut indptr, mut indices, mut weights) = (vec![0], vec![], vec![]);
        for mut row in rows {
            row.sort_by_key(|e: &(u32, f32)| e.0);
            indices.extend(row.iter().map(|e| e.0));
            weights.extend(row.iter().map(|e| e.1));
            indptr.push(indices.len());
        }
        FuzzyGraph { graph: SparseGraph::from_parts(3, indptr, indices, weights).unwrap(), sigmas: vec![1.0; 3], rhos: vec![0.0; 3] }
    };
    let g = graph(&[(0, 1, 0.8), (1, 2, 0.4)]);
    let t = graph(&[(0, 1, 0.5), (0, 2, 0.6)]);
    let (g_min, t_min) = (0.2f64, 1e-4f64);
    for (w, combine) in [
        (0.5, (|l: f64, r: f64| l * r) as fn(f64, f64) -> f64),
        (0.25, |l: f64, r: f64| l * r.powf(1.0 / 3.0)),
        (0.8, |l: f64, r: f64| l.powf(0.25) * r),
        (1.0, |_, r| r),
        (0.0, |l, _| l),
    ] {
        let out = general_simplicial_set_intersection(&g, &t, w as f32).unwrap();
        assert_symmetric(&out);
        let expect = [((0, 1), combine(0.8, 0.5)), ((1, 2), combine(0.4, t_min)), ((0, 2), combine(g_min, 0.6))];
        for ((i, j), e) in expect {
            let got = out.weight(i, j) as f64;
            assert!((got - e).abs() <= 1e-6 * e, "weight {w}, ({i}, {j}): got {got}, expected {e}");
        }
        assert_eq!(out.nnz(), 6);
    }
}

#[test]
fn result_does_not_depend_on_thread_count() {
    let graph = data_graph();
    let target_knn = knn_from_fixture("umap_sup_y_knn", N_NEIGHBORS);
    let y = labels();
    let run = || (knn_target_intersection(&graph, &target_knn, 0.3).unwrap(), categorical_simplicial_set_intersection(&graph, &y, UNKNOWN_DIST, 5.0).unwrap());
    let many = run();
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap().install(run);
    assert_eq!(many, one);
}

#[test]
fn invalid_parameters_are_named() {
    let graph = data_graph();
    let n = graph.n_points();
    let msg = |r: unfold_learn::Result<FuzzyGraph>| {
        let e = r.unwrap_err();
        assert!(e.is_invalid_parameter(), "{e}");
        e.to_string()
    };

    for w in [-0.1f32, 1.5] {
        assert_eq!(categorical_far_dist(w).unwrap_err().to_string(), format!("invalid value for `target_weight`: {w} (must be in [0, 1])"));
    }
    assert!(categorical_far_dist(f32::NAN).unwrap_err().to_string().contains("`target_weight`"));

    let y = labels();
    assert_eq!(
        msg(categorical_simplicial_set_intersection(&graph, &y[..150], UNKNOWN_DIST, 5.0)),
        format!("invalid value for `y`: 150 labels (must have one per point of the graph, which has {n} points)")
    );
    assert_eq!(msg(categorical_simplicial_set_intersection(&graph, &y, -1.0, 5.0)), "invalid value for `unknown_dist`: -1 (must be a number of at least 0)");
    assert!(msg(categorical_simplicial_set_intersection(&graph, &y, UNKNOWN_DIST, f32::NAN)).contains("`far_dist`"));

    let target_knn = knn_from_fixture("umap_sup_y_knn", N_NEIGHBORS);
    assert_eq!(msg(knn_target_intersection(&graph, &target_knn, 2.0)), "invalid value for `target_weight`: 2 (must be in [0, 1])");
    assert_eq!(msg(general_simplicial_set_intersection(&graph, &graph, -1.0)), "invalid value for `target_weight`: -1 (must be in [0, 1])");
    let small = fuzzy_simplicial_set(&KnnGraph::from_parts(3, 1, vec![1, 0, 1], vec![1.0, 1.0, 2.0]).unwrap(), &FuzzySetParams::default()).unwrap();
    assert_eq!(
        msg(general_simplicial_set_intersection(&graph, &small, 0.5)),
        format!("invalid value for `target`: 3 points (must have one per point of the graph, which has {n} points)")
    );

    let y_num: Vec<f32> = load("umap_sup_y");
    let y_num = Data::from_vec(y_num, n, 1).unwrap();
    let numeric = |y: &Data, k: usize, w: f32| numeric_target_intersection(&graph, y, k, Metric::Euclidean, None, w);
    assert_eq!(
        msg(numeric(&y_num.select_rows(&[0, 1, 2]), 10, 0.5)),
        format!("invalid value for `y`: 3 rows (must have one per point of the graph, which has {n} points)")
    );
    for k in [1, n + 1] {
        assert_eq!(
            msg(numeric(&y_num, k, 0.5)),
            format!("invalid value for `target_n_neighbors`: {k} (must be at least 2 (counting the point itself) and at most the number of points ({n}))")
        );
    }
    assert!(msg(numeric(&y_num, 10, f32::NAN)).contains("`target_weight`"));
    let y2 = Data::from_vec(vec![0.5; 3 * n], n, 3).unwrap();
    assert!(msg(numeric_target_intersection(&graph, &y2, 10, Metric::Haversine, None, 0.5)).contains("haversine"));
}
