//! Supervised and semi-supervised UMAP: the fuzzy graph of the data combined with a target `y`,
//! as umap-learn 0.5's `UMAP.fit(X, y)` does before the layout.
//!
//! * **Labels** ([`categorical_simplicial_set_intersection`]): every edge `(i, j)` is scaled by
//!   `exp(−unknown_dist)` when either label is unknown (negative) and otherwise by
//!   `exp(−far_dist)` when the labels differ; then [`reset_local_connectivity`]. umap-learn
//!   derives `far_dist` from `target_weight` ([`categorical_far_dist`]): `2.5 / (1 − w)`, and
//!   `1e12` for `w = 1`, which removes every edge between different labels. Its `unknown_dist`
//!   is fixed at 1 ([`UNKNOWN_DIST`]).
//! * **Numeric targets** ([`numeric_target_intersection`]): the *directed* memberships `T` of a
//!   kNN graph of `y` (umap-learn builds them with `fuzzy_simplicial_set(…,
//!   apply_set_operations=False)`: `local_connectivity = 1`, no fuzzy union) are intersected
//!   with the data graph `G` ([`general_simplicial_set_intersection`]), then
//!   [`reset_local_connectivity`] makes the result symmetric again.
//! * **Intersection** with weight `w` = `target_weight`: each entry stored in `G` or `T` becomes
//!   `g · t^(w/(1−w))` for `w < 0.5` and `g^((1−w)/w) · t` otherwise, so `w = 0.5` is the plain
//!   product, `w = 0` keeps `G` and `w = 1` takes `T`. A missing `g` counts as
//!   `max(min G / 2, 1e-8)` and a missing `t` as `min(max(min T / 2, 1e-8), 1e-4)`; an entry
//!   where neither value exceeds its floor keeps `g + t` (umap-learn's `sparse.general_sset_intersection`).
//! * [`reset_local_connectivity`]: each row divided by its largest weight, so every point again
//!   has an edge of weight 1, then the fuzzy union `S + Sᵀ − S∘Sᵀ`. `UMAP.fit` calls it with
//!   `reset_local_metric=False` (only adding or multiplying fitted models passes `True`), so the
//!   per-row power rescaling of that option is not provided.
//!
//! Every function returns a symmetric [`FuzzyGraph`] with sorted rows and no stored zeros (as
//! umap-learn's `eliminate_zeros`), and keeps the input's `sigmas` and `rhos`. The arithmetic
//! follows umap-learn's precision: weights `f32`, the label factors and the intersection
//! computed in `f64` and stored as `f32`. On the test fixtures every weight agrees with
//! umap-learn 0.5.12 within 1e-4 on the same edges.
//!
//! Differences from umap-learn: every negative label is unknown (umap-learn treats only −1 so,
//! and other negative labels as ordinary classes); the target's kNN graph comes from
//! [`crate::knn`] (exact up to 4,096 points, as umap-learn's pairwise-distance path, and
//! NN-descent above). umap-learn's discrete target metrics (`ordinal`, `count`, `string`, …)
//! are not covered.
//!
//! ```
//! use unfold_learn::knn::KnnGraph;
//! use unfold_learn::embed::umap::graph::{fuzzy_simplicial_set, FuzzySetParams};
//! use unfold_learn::embed::umap::supervised::{categorical_far_dist, categorical_simplicial_set_intersection, UNKNOWN_DIST};
//! // Four points on a line at 0, 1, 2, 3, each with its two nearest neighbours.
//! let knn = KnnGraph::from_parts(4, 2, vec![1, 2, 0, 2, 1, 3, 2, 1], vec![1.0, 2.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0])?;
//! let graph = fuzzy_simplicial_set(&knn, &FuzzySetParams::default())?;
//! // Points 0 and 1 are class 0, point 2 class 1, point 3 unknown.
//! let far_dist = categorical_far_dist(1.0)?; // target_weight 1: classes never mix
//! let sup = categorical_simplicial_set_intersection(&graph, &[0, 0, 1, -1], UNKNOWN_DIST, far_dist)?;
//! assert_eq!(sup.weight(1, 2), 0.0); // different classes: the edge is gone
//! assert!(sup.weight(2, 3) > 0.0); // an unknown label keeps its edges
//! assert_eq!(sup.weight(0, 1), 1.0);
//! # Ok::<(), unfold_learn::Error>(())
//! ```

use rayon::prelude::*;

use super::graph::{FuzzyGraph, FuzzySetParams};
use crate::data::Data;
use crate::error::{Error, Result};
use crate::graph::csr::merge_rows;
use crate::graph::{SparseGraph, Symmetrization, symmetrize};
use crate::knn::{KnnGraph, KnnParams, knn};
use crate::metric::Metric;

/// umap-learn's distance of an unknown label from any other: edges at a point with an unknown
/// label are scaled by `exp(−1)`.
pub const UNKNOWN_DIST: f32 = 1.0;

/// The `far_dist` umap-learn uses for categorical labels with `target_weight = w`:
/// `2.5 / (1 − w)` for `w < 1`, and `1e12` (edges between different labels vanish) for `w = 1`.
///
/// ```
/// use unfold_learn::embed::umap::supervised::categorical_far_dist;
/// assert_eq!(categorical_far_dist(0.5)?, 5.0); // umap-learn's default target_weight
/// assert_eq!(categorical_far_dist(1.0)?, 1e12);
/// assert!(categorical_far_dist(1.5).is_err());
/// # Ok::<(), unfold_learn::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] naming `target_weight` when it is outside `[0, 1]` or NaN.
pub fn categorical_far_dist(target_weight: f32) -> Result<f32> {
    check_target_weight(target_weight)?;
    Ok(if target_weight < 1.0 { (2.5 * (1.0 / (1.0 - target_weight as f64))) as f32 } else { 1e12 })
}

/// Scales each edge of `graph` by how the labels `y` of its ends agree, then
/// [`reset_local_connectivity`]: umap-learn's `discrete_metric_simplicial_set_intersection`
/// (`fast_intersection`) for `target_metric="categorical"`.
///
/// An edge with an unknown (negative) label at either end is multiplied by
/// `exp(−unknown_dist)`; otherwise an edge between different labels is multiplied by
/// `exp(−far_dist)`; edges that reach 0 are removed. Use [`UNKNOWN_DIST`] and
/// [`categorical_far_dist`] for umap-learn's values. With every label unknown, all edges are
/// scaled alike and the result is [`reset_local_connectivity`] of `graph`.
///
/// # Errors
/// [`Error::InvalidParameter`] naming `y` when it does not have one label per point, and
/// `unknown_dist` or `far_dist` when negative or NaN (`+∞` is allowed and removes the edges).
pub fn categorical_simplicial_set_intersection(graph: &FuzzyGraph, y: &[i64], unknown_dist: f32, far_dist: f32) -> Result<FuzzyGraph> {
    check_len("y", y.len(), "labels", graph.n_points())?;
    check_distance("unknown_dist", unknown_dist)?;
    check_distance("far_dist", far_dist)?;
    let unknown = (-(unknown_dist as f64)).exp();
    let far = (-(far_dist as f64)).exp();
    let rows: Vec<Vec<(u32, f32)>> = (0..graph.n_points())
        .into_par_iter()
        .map(|i| {
            let (cols, weights) = graph.row(i);
            cols.iter()
                .zip(weights)
                .map(|(&j, &w)| {
                    let (a, b) = (y[i], y[j as usize]);
                    let factor = if a < 0 || b < 0 {
                        unknown
                    } else if a != b {
                        far
                    } else {
                        1.0
                    };
                    (j, (w as f64 * factor) as f32)
                })
                .collect()
        })
        .collect();
    Ok(reset_local_connectivity_of(&SparseGraph::from_sorted_rows(rows, true), graph))
}

/// umap-learn's fuzzy intersection of `graph` with another fuzzy graph `target` on the same
/// points, weighted by `target_weight` (`sparse.general_sset_intersection`, see the
/// [module docs](self) for the formula). Entries stored in either graph are kept; zeros are
/// dropped. umap-learn follows this with [`reset_local_connectivity`], which is not done here.
///
/// `UMAP.fit` intersects with the *directed* memberships of the target's kNN graph, which
/// [`knn_target_intersection`] and [`numeric_target_intersection`] reproduce; this function
/// takes a symmetric target such as one from [`fuzzy_simplicial_set`](super::graph::fuzzy_simplicial_set).
///
/// # Errors
/// [`Error::InvalidParameter`] naming `target_weight` when outside `[0, 1]`, or `target` when
/// its number of points differs from `graph`'s.
pub fn general_simplicial_set_intersection(graph: &FuzzyGraph, target: &FuzzyGraph, target_weight: f32) -> Result<FuzzyGraph> {
    check_target_weight(target_weight)?;
    check_len("target", target.n_points(), "points", graph.n_points())?;
    Ok(FuzzyGraph { graph: intersect(graph, target, target_weight), sigmas: graph.sigmas.clone(), rhos: graph.rhos.clone() })
}

/// Supervision by a numeric target given as its kNN graph: the directed memberships of
/// `target_knn` (umap-learn's `fuzzy_simplicial_set` with `n_neighbors = target_knn.k() + 1`,
/// `local_connectivity = 1` and no set operations), [`general_simplicial_set_intersection`]
/// with `graph`, then [`reset_local_connectivity`] — the steps of `UMAP.fit` for a non-categorical
/// `target_metric`.
///
/// `target_knn` leaves each point out of its own neighbours, as every [`KnnGraph`] here.
///
/// # Errors
/// [`Error::InvalidParameter`] naming `target_weight` when outside `[0, 1]`, or `target_knn`
/// when its number of points differs from `graph`'s.
pub fn knn_target_intersection(graph: &FuzzyGraph, target_knn: &KnnGraph, target_weight: f32) -> Result<FuzzyGraph> {
    check_target_weight(target_weight)?;
    check_len("target_knn", target_knn.n_points(), "points", graph.n_points())?;
    let target = super::graph::directed_memberships(target_knn, &FuzzySetParams::default()).0;
    Ok(reset_local_connectivity_of(&intersect(graph, &target, target_weight), graph))
}

/// Supervision by a numeric target `y` (`n × t`): its kNN graph with `target_n_neighbors`
/// (counting the point itself, as umap-learn's `n_neighbors`; umap-learn's default −1 means the
/// data's `n_neighbors`) under `metric`, then [`knn_target_intersection`].
///
/// The kNN search uses [`crate::knn`]'s automatic choice (exact up to 4,096 points) with `seed`
/// and the current thread pool.
///
/// ```
/// use unfold_learn::prelude::*;
/// use unfold_learn::embed::umap::graph::{fuzzy_simplicial_set, FuzzySetParams};
/// use unfold_learn::embed::umap::supervised::numeric_target_intersection;
/// let x: Vec<f32> = (0..40).map(|i| ((i * 13) % 7) as f32).collect();
/// let data = Data::from_row_major(&x, 20, 2)?;
/// let graph = fuzzy_simplicial_set(&knn_graph(&data, &KnnParams { k: 4, ..Default::default() }, &NoProgress)?, &FuzzySetParams::default())?;
/// let y: Vec<f32> = (0..20).map(|i| i as f32).collect();
/// let sup = numeric_target_intersection(&graph, &Data::from_row_major(&y, 20, 1)?, 5, Metric::Euclidean, Some(7), 0.5)?;
/// assert_eq!(sup.n_points(), 20);
/// # Ok::<(), unfold_learn::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] naming `y` when its number of rows differs from the graph's
/// points, `target_n_neighbors` when it is below 2 or above the number of points,
/// `target_weight` when outside `[0, 1]`, or `metric` when it does not fit `y`'s columns.
pub fn numeric_target_intersection(
    graph: &FuzzyGraph,
    y: &Data,
    target_n_neighbors: usize,
    metric: Metric,
    seed: Option<u64>,
    target_weight: f32,
) -> Result<FuzzyGraph> {
    check_len("y", y.n_rows(), "rows", graph.n_points())?;
    if !(2..=graph.n_points()).contains(&target_n_neighbors) {
        return Err(Error::param(
            "target_n_neighbors",
            target_n_neighbors,
            format!("must be at least 2 (counting the point itself) and at most the number of points ({})", graph.n_points()),
        ));
    }
    check_target_weight(target_weight)?;
    let target_knn = knn(y, &KnnParams { k: target_n_neighbors - 1, metric, seed, ..Default::default() })?;
    knn_target_intersection(graph, &target_knn, target_weight)
}

/// Restores local connectivity after an intersection: each row divided by its largest weight,
/// then the fuzzy union `S + Sᵀ − S∘Sᵀ` (umap-learn's `reset_local_connectivity` as `UMAP.fit`
/// calls it). Afterwards every point with an edge has one of weight 1, up to the rounding of
/// `1 + w − 1·w` in `f32`.
///
/// ```
/// use unfold_learn::knn::KnnGraph;
/// use unfold_learn::embed::umap::graph::{fuzzy_simplicial_set, FuzzySetParams};
/// use unfold_learn::embed::umap::supervised::reset_local_connectivity;
/// let knn = KnnGraph::from_parts(3, 2, vec![1, 2, 0, 2, 1, 0], vec![1.0, 3.0, 1.0, 2.0, 2.0, 3.0])?;
/// let graph = fuzzy_simplicial_set(&knn, &FuzzySetParams::default())?;
/// let reset = reset_local_connectivity(&graph);
/// for i in 0..3 {
///     let strongest = reset.row(i).1.iter().copied().fold(0.0, f32::max);
///     assert!((strongest - 1.0).abs() <= f32::EPSILON);
/// }
/// # Ok::<(), unfold_learn::Error>(())
/// ```
pub fn reset_local_connectivity(graph: &FuzzyGraph) -> FuzzyGraph {
    reset_local_connectivity_of(graph, graph)
}

fn check_target_weight(target_weight: f32) -> Result<()> {
    if !(0.0..=1.0).contains(&target_weight) {
        return Err(Error::param("target_weight", target_weight, "must be in [0, 1]"));
    }
    Ok(())
}

fn check_distance(name: &'static str, value: f32) -> Result<()> {
    if value.is_nan() || value < 0.0 {
        return Err(Error::param(name, value, "must be a number of at least 0"));
    }
    Ok(())
}

/// Checks that `name` has one entry (`what`) per point of the graph.
fn check_len(name: &'static str, len: usize, what: &str, n: usize) -> Result<()> {
    if len != n {
        return Err(Error::param(name, format!("{len} {what}"), format!("must have one per point of the graph, which has {n} points")));
    }
    Ok(())
}

/// [`reset_local_connectivity`] of a square sparse matrix that need not be symmetric (an
/// intersection with directed memberships); `sigmas` and `rhos` come from `like`.
fn reset_local_connectivity_of(matrix: &SparseGraph, like: &FuzzyGraph) -> FuzzyGraph {
    // umap-learn uses scikit-learn's normalize(norm="max"), which divides in the matrix's f32.
    let scaled_rows = (0..matrix.n_points())
        .into_par_iter()
        .map(|i| {
            let (cols, weights) = matrix.row(i);
            let max = weights.iter().copied().fold(0.0f32, f32::max);
            cols.iter().zip(weights).map(|(&j, &w)| (j, if max > 0.0 { w / max } else { w })).collect()
        })
        .collect();
    let scaled = SparseGraph::from_sorted_rows(scaled_rows, true);
    let graph = symmetrize(&scaled, Symmetrization::FuzzyUnion).expect("rows scaled to a maximum of 1 are memberships");
    FuzzyGraph { graph, sigmas: like.sigmas.clone(), rhos: like.rhos.clone() }
}

/// umap-learn's `general_sset_intersection` of two square sparse matrices on the same points.
fn intersect(left: &SparseGraph, right: &SparseGraph, weight: f32) -> SparseGraph {
    // umap-learn's floors, in f64 as its compiled code computes them.
    let half_min = |w: &[f32]| w.iter().copied().reduce(f32::min).map(|m| m as f64 / 2.0);
    let left_min = half_min(left.weights()).map_or(1e-8, |m| m.max(1e-8));
    let right_min = half_min(right.weights()).map_or(1e-8, |m| m.max(1e-8)).min(1e-4);
    let weight = weight as f64;
    let combine = |l: f64, r: f64| {
        if weight < 0.5 { l * r.powf(weight / (1.0 - weight)) } else { l.powf((1.0 - weight) / weight) * r }
    };
    let rows = (0..left.n_points())
        .into_par_iter()
        .map(|i| {
            merge_rows(left.row(i), right.row(i))
                .map(|(j, l, r)| {
                    let (lv, rv) = (l.map_or(left_min, f64::from), r.map_or(right_min, f64::from));
                    let w = if lv > left_min || rv > right_min {
                        combine(lv, rv) as f32
                    } else {
                        // umap-learn starts from the sum of the two matrices and keeps it here.
                        l.unwrap_or(0.0) + r.unwrap_or(0.0)
                    };
                    (j, w)
                })
                .collect()
        })
        .collect();
    SparseGraph::from_sorted_rows(rows, true)
}
