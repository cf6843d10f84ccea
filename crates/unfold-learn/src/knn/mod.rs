//! k-nearest-neighbour graphs: the engine under every graph-based method.
//!
//! Two algorithms behind one entry point, [`knn_graph`]:
//!
//! * **exact** ([`exact`]): all pairs, in cache-sized blocks. For euclidean-type metrics the
//!   block distances come from a matrix product (`|a|² + |b|² − 2 a·b`) and the best candidates
//!   are then re-checked with the direct formula, so cancellation cannot reorder neighbours.
//! * **NN-descent** ([`nndescent`], Dong, Moses & Li 2011, as refined in pynndescent):
//!   random-projection trees give a first graph, then "a neighbour of a neighbour is likely a
//!   neighbour" local joins improve it until fewer than `delta · n · k` entries change.
//!
//! `Auto` uses exact search up to 4,096 points and NN-descent above (lists shorter than
//! [`NN_DESCENT_MIN_K`] are searched that long and cut, for their recall). With
//! [`Metric::Precomputed`] the data is a square distance matrix and both read the neighbours
//! from it. Metrics whose parameters default to the data's (`seuclidean`, `mahalanobis`) take
//! them with [`Metric::fitted`]. The graph never contains a
//! point as its own neighbour; duplicate points are neighbours at distance 0. Neighbours are
//! sorted by distance, ties by index.
//!
//! **Determinism.** Every random choice is a hash of `(seed, stage, unit)`. NN-descent proposes
//! updates from a snapshot of the graph and applies them as a set: the top-k of a set under the
//! total order (distance, index) does not depend on the order of insertion, so with a seed the
//! graph is bit-identical at any thread count.

pub(crate) mod byte_product;
pub mod exact;
pub mod nndescent;
mod rptree;
pub mod search;
pub mod sparse;

pub use sparse::{SPARSE_METRICS, check_sparse_metric, sparse_knn, sparse_knn_graph};

use serde::{Deserialize, Serialize};

use crate::data::Data;
use crate::error::{Error, Result};
use crate::metric::{Metric, PreparedMetric};
use crate::progress::{NoProgress, Progress};

/// How neighbours are searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum KnnAlgorithm {
    /// Exact up to 4,096 points, NN-descent above.
    #[default]
    Auto,
    /// Brute force over all pairs.
    Exact,
    /// Approximate: random-projection forest + NN-descent.
    NnDescent,
}

/// Parameters of a kNN search. `Default`: k = 15, euclidean, automatic algorithm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnnParams {
    /// Neighbours per point, excluding the point itself (1 ≤ k < n).
    pub k: usize,
    /// Distance.
    pub metric: Metric,
    /// Algorithm.
    pub algorithm: KnnAlgorithm,
    /// Seed; with a seed the result is identical at any thread count.
    pub seed: Option<u64>,
    /// Worker threads; `None` = all cores.
    pub threads: Option<usize>,
    /// NN-descent: random-projection trees (`None`: `min(32, 5 + round(n^¼))`, pynndescent's rule).
    pub n_trees: Option<usize>,
    /// NN-descent: maximum iterations (`None`: `max(5, round(log2 n))`).
    pub n_iters: Option<usize>,
    /// NN-descent: candidates sampled per point and iteration (`None`: `min(60, k)`).
    pub max_candidates: Option<usize>,
    /// NN-descent stops when fewer than `delta · n · k` graph entries changed in an iteration.
    pub delta: f64,
}

impl Default for KnnParams {
    fn default() -> Self {
        KnnParams {
            k: 15,
            metric: Metric::Euclidean,
            algorithm: KnnAlgorithm::Auto,
            seed: None,
            threads: None,
            n_trees: None,
            n_iters: None,
            max_candidates: None,
            delta: 0.001,
        }
    }
}

/// scikit-learn's `neighbors_algorithm`, for the methods that take it (Isomap, LLE): every
/// choice but `"auto"` is an exact search (a k-d tree, a ball tree and brute force find the same
/// neighbours).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NeighborsAlgorithm {
    /// Exact up to 4,096 points, NN-descent above ([`KnnAlgorithm::Auto`]).
    Auto,
    /// Exact.
    Brute,
    /// Exact (scikit-learn's k-d tree; the same neighbours).
    KdTree,
    /// Exact (scikit-learn's ball tree; the same neighbours).
    BallTree,
}
crate::choice_param!(NeighborsAlgorithm { Auto = "auto", Brute = "brute", KdTree = "kd_tree", BallTree = "ball_tree" });

impl NeighborsAlgorithm {
    /// The search that gives these neighbours.
    pub fn knn_algorithm(self) -> KnnAlgorithm {
        match self {
            NeighborsAlgorithm::Auto => KnnAlgorithm::Auto,
            _ => KnnAlgorithm::Exact,
        }
    }
}

/// Largest data set that `Auto` searches exactly.
pub const EXACT_MAX_ROWS: usize = 4096;

/// Whether the exact search of `k` neighbours among `n_rows` points is expected to be faster
/// than NN-descent: up to [`EXACT_MAX_ROWS`] points, or up to `7 k²`. NN-descent's local joins
/// grow with `k²` per point, the all-pairs products with `n` per point; on MNIST's 10,000 × 784
/// rows (2 threads) the exact search takes 1.0 s for k = 15 against NN-descent's 0.3 s, 1.3 s
/// against 1.1 s for k = 30 and 1.8 s against 4.8 s for k = 63. Methods that ask for many
/// neighbours (diffusion maps' 64) choose [`KnnAlgorithm::Exact`] by it; `Auto` keeps the fixed
/// bound, as umap-learn's.
///
/// ```
/// use unfold_learn::knn::exact_is_faster;
/// assert!(exact_is_faster(4096, 15) && !exact_is_faster(4097, 15));
/// assert!(exact_is_faster(20_000, 63) && !exact_is_faster(70_000, 63));
/// ```
pub fn exact_is_faster(n_rows: usize, k: usize) -> bool {
    n_rows <= EXACT_MAX_ROWS.max(k.saturating_mul(k).saturating_mul(7))
}

/// Most points [`exact_is_faster_on`] searches exactly on byte rows multiplied on AMX tiles, for
/// up to 16 neighbours: `max(AMX_EXACT_MAX_ROWS, AMX_EXACT_PER_K2 · k²)`.
pub const AMX_EXACT_MAX_ROWS: usize = 16_384;

/// Points per squared neighbour of [`exact_is_faster_on`]'s bound on AMX tiles. NN-descent grows
/// with `k²` per point, the exact search with `n` per point: on all 70,000 MNIST rows the exact
/// search takes 3.9 s against NN-descent's 2.6 s for k = 20 (whole `unfold neighbors`
/// processes), 4.1 s against 4.7 s for k = 30, 4.5 s against 9.6 s for k = 50 and 4.7 s against
/// 26 s for k = 100; the bound puts the change between k = 30 (54,000 rows) and k = 35.
pub const AMX_EXACT_PER_K2: usize = 60;

/// [`exact_is_faster`] for `data` under `metric`: also true for euclidean searches of
/// pixel-like rows (every value an integer in `0..=255`) up to `max(`[`AMX_EXACT_MAX_ROWS`]`,
/// `[`AMX_EXACT_PER_K2`]` · k²)` points where the processor multiplies them on AMX tiles. There
/// the exact search of MNIST's test set for k = 20 takes 0.14 s (the whole `unfold neighbors`
/// process) against NN-descent's 0.28 s, and its graph is the exact one; elsewhere such rows keep
/// NN-descent, so the graph chosen depends on the machine.
pub fn exact_is_faster_on(data: &Data, metric: &Metric, k: usize) -> bool {
    let n = data.n_rows();
    exact_is_faster(n, k)
        || (n <= AMX_EXACT_MAX_ROWS.max(k.saturating_mul(k).saturating_mul(AMX_EXACT_PER_K2))
            && matches!(metric, Metric::Euclidean | Metric::SqEuclidean)
            && byte_product::amx_ready()
            && nndescent::is_bytes(data.as_slice()))
}

/// Shortest neighbour list NN-descent searches: a shorter one is searched this long and cut.
/// Local joins among few neighbours miss many true ones: on MNIST's test set (10,000 × 784,
/// seed 0) the recall against the exact graph was 0.66 for k = 2, 0.86 for k = 5 and 0.97 for
/// k = 10 searched as such; the first two of a list of 10 are found at 0.99.
pub const NN_DESCENT_MIN_K: usize = 10;

/// Most points a neighbour graph can hold: `u32::MAX` = 4,294,967,295.
///
/// Point ids are `u32`, in the kNN graph's `n · k` indices and in every graph built from it (the
/// fuzzy graph's columns, the search graph, the layout's rows): half the memory of `usize` ids,
/// in the arrays that dominate the memory of a large fit. `u32::MAX` itself marks an empty slot
/// while the graph is searched, so ids run up to `u32::MAX − 1`. Offsets into these arrays
/// (`n · k` and beyond) are `usize`.
pub const MAX_POINTS: usize = u32::MAX as usize;

/// Checks, before any work, that `n_rows` points can be numbered by the graphs' `u32` ids.
///
/// ```
/// use unfold_learn::knn::{MAX_POINTS, check_point_count};
/// assert!(check_point_count(MAX_POINTS).is_ok());
/// assert!(check_point_count(5_000_000_000).unwrap_err().to_string().contains("5000000000 rows"));
/// ```
///
/// # Errors
/// [`Error::InvalidData`] naming the number of rows and the limit ([`MAX_POINTS`]).
pub fn check_point_count(n_rows: usize) -> Result<()> {
    if n_rows > MAX_POINTS {
        return Err(Error::InvalidData(format!(
            "the data has {n_rows} rows, more than the {MAX_POINTS} (2³² − 1) that neighbour graphs can number with their 32-bit point ids; split it into parts of at most {MAX_POINTS} rows (fit on one, transform the others)"
        )));
    }
    Ok(())
}

impl KnnParams {
    /// Checks the parameters against data with `n_rows` rows and `n_cols` columns.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the parameter and its allowed range.
    pub fn validate(&self, n_rows: usize, n_cols: usize) -> Result<()> {
        if self.k == 0 {
            return Err(Error::param("k", 0, "must be at least 1"));
        }
        if self.k >= n_rows {
            return Err(Error::param("k", self.k, format!("must be less than the number of rows ({n_rows}), since a point is not its own neighbour")));
        }
        crate::threads::check(self.threads)?;
        if self.n_trees == Some(0) {
            return Err(Error::param("n_trees", 0, "must be at least 1"));
        }
        if self.n_iters == Some(0) {
            return Err(Error::param("n_iters", 0, "must be at least 1"));
        }
        if self.max_candidates == Some(0) {
            return Err(Error::param("max_candidates", 0, "must be at least 1"));
        }
        if !(self.delta >= 0.0 && self.delta < 1.0) {
            return Err(Error::param("delta", self.delta, "must be in [0, 1)"));
        }
        self.metric.check_dims(n_cols)
    }

    /// The algorithm `Auto` resolves to for `n_rows` points.
    pub fn resolved_algorithm(&self, n_rows: usize) -> KnnAlgorithm {
        match self.algorithm {
            KnnAlgorithm::Auto if n_rows <= EXACT_MAX_ROWS => KnnAlgorithm::Exact,
            KnnAlgorithm::Auto => KnnAlgorithm::NnDescent,
            a => a,
        }
    }
}

/// A kNN graph: for each of `n` points, `k` neighbours sorted by distance (ties by index).
/// Neighbours are `u32` point ids, so `n` is at most [`MAX_POINTS`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnnGraph {
    n: usize,
    k: usize,
    indices: Vec<u32>,
    distances: Vec<f32>,
}

impl KnnGraph {
    /// Builds a graph from row-major `n × k` arrays.
    ///
    /// # Errors
    /// [`Error::InvalidData`] when lengths disagree, an index is out of range or is the row itself,
    /// or a distance is negative or not finite.
    pub fn from_parts(n: usize, k: usize, indices: Vec<u32>, distances: Vec<f32>) -> Result<KnnGraph> {
        check_point_count(n)?;
        if indices.len() != n * k || distances.len() != n * k {
            return Err(Error::InvalidData(format!(
                "a {n} × {k} kNN graph needs {} indices and distances, got {} and {}",
                n * k,
                indices.len(),
                distances.len()
            )));
        }
        for (pos, (&j, &d)) in indices.iter().zip(&distances).enumerate() {
            let (i, c) = (pos / k.max(1), pos % k.max(1));
            if j as usize >= n || j as usize == i {
                return Err(Error::InvalidData(format!("kNN graph row {i}, column {c}: neighbour index {j} is out of range or the point itself")));
            }
            if !(d.is_finite() && d >= 0.0) {
                return Err(Error::InvalidData(format!("kNN graph row {i}, column {c}: distance {d} is not a finite non-negative number")));
            }
        }
        Ok(KnnGraph { n, k, indices, distances })
    }

    /// Number of points.
    pub fn n_points(&self) -> usize {
        self.n
    }
    /// Neighbours per point.
    pub fn k(&self) -> usize {
        self.k
    }
    /// Neighbour indices, row-major `n × k`.
    pub fn indices(&self) -> &[u32] {
        &self.indices
    }
    /// Neighbour distances, row-major `n × k`, ascending in each row.
    pub fn distances(&self) -> &[f32] {
        &self.distances
    }
    /// The graph of each point's first `k` neighbours (`k` at most [`KnnGraph::k`]).
    pub fn truncated(&self, k: usize) -> KnnGraph {
        let k = k.min(self.k);
        let (indices, distances) = (0..self.n)
            .flat_map(|i| {
                let (idx, d) = self.neighbors(i);
                idx[..k].iter().copied().zip(d[..k].iter().copied())
            })
            .unzip();
        KnnGraph { n: self.n, k, indices, distances }
    }
    /// The neighbours of point `i` and their distances.
    pub fn neighbors(&self, i: usize) -> (&[u32], &[f32]) {
        (&self.indices[i * self.k..(i + 1) * self.k], &self.distances[i * self.k..(i + 1) * self.k])
    }
}

/// Computes the kNN graph of `data`.
///
/// ```
/// use unfold_learn::prelude::*;
/// use unfold_learn::knn::knn_graph;
/// let x = [0.0f32, 1.0, 3.0, 7.0];
/// let data = Data::from_row_major(&x, 4, 1)?;
/// let g = knn_graph(&data, &KnnParams { k: 2, ..Default::default() }, &NoProgress)?;
/// assert_eq!(g.neighbors(0).0, &[1, 2]);
/// assert_eq!(g.neighbors(3).1, &[4.0, 6.0]);
/// # Ok::<(), unfold_learn::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidData`] for more rows than [`MAX_POINTS`]; [`Error::InvalidParameter`] for
/// `k = 0`, `k ≥ n` and other out-of-range parameters, or data that does not fit the metric (see
/// [`Metric::fitted`]); [`Error::Cancelled`] when `progress` asks to stop.
pub fn knn_graph(data: &Data, params: &KnnParams, progress: &dyn Progress) -> Result<KnnGraph> {
    check_point_count(data.n_rows())?;
    params.validate(data.n_rows(), data.n_cols())?;
    crate::threads::install(params.threads, || knn_graph_fitted(data, params, &params.metric.fit(data)?, progress))?
}

/// [`knn_graph`] under `metric` ([`Metric::fit`] to `data`, in place of `params.metric`), with
/// `params` validated, on the current thread pool.
pub(crate) fn knn_graph_fitted(data: &Data, params: &KnnParams, metric: &PreparedMetric, progress: &dyn Progress) -> Result<KnnGraph> {
    check_point_count(data.n_rows())?;
    let graph = match params.resolved_algorithm(data.n_rows()) {
        KnnAlgorithm::Exact => exact::exact_knn_prepared(data, params.k, metric, progress),
        _ if params.k < NN_DESCENT_MIN_K && data.n_rows() > NN_DESCENT_MIN_K => {
            let longer = KnnParams { k: NN_DESCENT_MIN_K, ..params.clone() };
            nndescent::nn_descent_prepared(data, &longer, metric, progress).map(|g| g.truncated(params.k))
        }
        _ => nndescent::nn_descent_prepared(data, params, metric, progress),
    };
    graph.map_err(|e| match e {
        Error::InvalidData(_) => float32_overflow(data.as_slice(), data.n_cols()).unwrap_or(e),
        e => e,
    })
}

/// The error for data so large that distances computed in `f32` overflow (a finite input whose
/// graph came out with an infinite distance), or `None` when the values (dense rows, or the
/// stored values of sparse ones, `n_cols` wide) are not that large.
pub(crate) fn float32_overflow(values: &[f32], n_cols: usize) -> Option<Error> {
    let max = values.iter().fold(0.0f64, |m, &v| m.max((v as f64).abs()));
    // A squared difference of two rows reaches d · (2 max)².
    let bound = n_cols as f64 * (2.0 * max).powi(2);
    (bound > f32::MAX as f64).then(|| {
        Error::InvalidData(format!(
            "distances between rows overflow float32: the data's values reach {max:e} in {} columns, so squared distances can exceed {:e}; divide the data by a constant first (e.g. its largest absolute value), which keeps every neighbour",
            n_cols,
            f32::MAX
        ))
    })
}

/// [`knn_graph`] without progress reporting.
pub fn knn(data: &Data, params: &KnnParams) -> Result<KnnGraph> {
    knn_graph(data, params, &NoProgress)
}

/// Bounded sorted lists of `(distance, index)` pairs stored flat: the working form of a graph.
pub(crate) struct Heaps {
    pub k: usize,
    pub dist: Vec<f32>,
    pub idx: Vec<u32>,
}

pub(crate) const EMPTY: u32 = u32::MAX;

impl Heaps {
    pub fn new(n: usize, k: usize) -> Heaps {
        Heaps { k, dist: vec![f32::INFINITY; n * k], idx: vec![EMPTY; n * k] }
    }
}

/// Inserts `(d, j)` into the sorted row (`dist`, `idx`) of length k, keeping the k smallest under
/// the order (distance, index) and rejecting an index already present. Returns the slot it went
/// to, or `None`.
#[inline]
pub(crate) fn push_sorted(dist: &mut [f32], idx: &mut [u32], d: f32, j: u32) -> Option<usize> {
    let k = dist.len();
    let last = k - 1;
    if (d, j) >= (dist[last], idx[last]) || d.is_nan() {
        return None;
    }
    if has_id(idx, j) {
        return None;
    }
    let mut pos = last;
    while pos > 0 && (d, j) < (dist[pos - 1], idx[pos - 1]) {
        dist[pos] = dist[pos - 1];
        idx[pos] = idx[pos - 1];
        pos -= 1;
    }
    dist[pos] = d;
    idx[pos] = j;
    Some(pos)
}

/// Whether `ids` holds `j`: a scan without an early exit, which the compiler turns into vector
/// compares. `contains` branches on every entry; on rows of 90 neighbours its scans drew a
/// fifth of the NN-descent joins' profile samples.
#[inline]
pub(crate) fn has_id(ids: &[u32], j: u32) -> bool {
    ids.iter().fold(false, |found, &x| found | (x == j))
}

/// Sorts candidates by (reduced distance, index) and writes the first `out_idx.len()` of them,
/// with distances mapped through `finalize`.
pub(crate) fn write_sorted(cand: &mut [(f32, u32)], out_idx: &mut [u32], out_dist: &mut [f32], finalize: impl Fn(f32) -> f32) {
    cand.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    for ((oi, od), &(dist, j)) in out_idx.iter_mut().zip(out_dist.iter_mut()).zip(cand.iter()) {
        *oi = j;
        *od = finalize(dist);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_search_of_byte_rows_where_amx_multiplies_them() {
        let rows = |n: usize, value: fn(usize) -> f32| -> Vec<f32> { (0..n * 8).map(value).collect() };
        let bytes = rows(5000, |i| ((i * 37) % 256) as f32);
        let data = Data::from_trusted_slice(&bytes, 5000, 8);
        // Above EXACT_MAX_ROWS the byte rows are searched exactly only where AMX is ready, under
        // euclidean metrics.
        assert_eq!(exact_is_faster_on(&data, &Metric::Euclidean, 15), byte_product::amx_ready());
        assert_eq!(exact_is_faster_on(&data, &Metric::SqEuclidean, 15), byte_product::amx_ready());
        assert!(!exact_is_faster_on(&data, &Metric::Cosine, 15));
        let halves = rows(5000, |i| (i % 7) as f32 + 0.5);
        assert!(!exact_is_faster_on(&Data::from_trusted_slice(&halves, 5000, 8), &Metric::Euclidean, 15));
        let many = rows(AMX_EXACT_MAX_ROWS + 1, |i| (i % 256) as f32);
        let many = Data::from_trusted_slice(&many, AMX_EXACT_MAX_ROWS + 1, 8);
        assert!(!exact_is_faster_on(&many, &Metric::Euclidean, 15));
        // The bound grows with k²: 60 · 17² = 17,340 rows.
        assert_eq!(exact_is_faster_on(&many, &Metric::Euclidean, 17), byte_product::amx_ready());
        assert!(!exact_is_faster_on(&many, &Metric::Euclidean, 16));
        // At or below EXACT_MAX_ROWS every search is exact.
        assert!(exact_is_faster_on(&Data::from_trusted_slice(&halves[..EXACT_MAX_ROWS * 8], EXACT_MAX_ROWS, 8), &Metric::Cosine, 15));
    }

    #[test]
    fn push_sorted_keeps_k_smallest_and_rejects_duplicates() {
        let mut d = [f32::INFINITY; 3];
        let mut i = [EMPTY; 3];
        for (dd, j) in [(5.0, 1), (3.0, 2), (5.0, 0), (1.0, 3), (3.0, 2), (9.0, 4)] {
            push_sorted(&mut d, &mut i, dd, j);
        }
        assert_eq!(i, [3, 2, 0]);
        assert_eq!(d, [1.0, 3.0, 5.0]);
    }

    #[test]
    fn point_count_limit_is_u32_ids() {
        assert!(check_point_count(0).is_ok());
        assert!(check_point_count(u32::MAX as usize).is_ok());
        for n in [u32::MAX as usize + 1, 5_000_000_000] {
            let e = check_point_count(n).unwrap_err();
            assert!(matches!(e, Error::InvalidData(_)));
            let msg = e.to_string();
            assert!(msg.contains(&format!("{n} rows")) && msg.contains("4294967295"), "{msg}");
        }
    }

    #[test]
    fn graph_of_more_points_than_u32_ids_is_refused() {
        // 5·10⁹ points with no neighbours: nothing to allocate, and the lengths agree, so only
        // the point limit can refuse it.
        let e = KnnGraph::from_parts(5_000_000_000, 0, Vec::new(), Vec::new()).unwrap_err().to_string();
        assert!(e.contains("5000000000 rows"), "{e}");
    }

    #[test]
    fn validation_names_parameters() {
        let p = KnnParams { k: 10, ..Default::default() };
        assert!(p.validate(10, 3).unwrap_err().to_string().contains("less than the number of rows (10)"));
        let p = KnnParams { k: 0, ..Default::default() };
        assert!(p.validate(10, 3).unwrap_err().to_string().contains("`k`"));
        let p = KnnParams { metric: Metric::Haversine, ..Default::default() };
        assert!(p.validate(100, 3).unwrap_err().to_string().contains("haversine"));
    }
}
