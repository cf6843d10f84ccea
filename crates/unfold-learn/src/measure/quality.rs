//! Embedding quality: trustworthiness, continuity, neighbour preservation, kNN accuracy.
//!
//! For `n` points and `k` neighbours, let `r(i, j)` be the rank of `j` among the neighbours of
//! `i` in the data X (the point itself excluded, ranks from 1), and `U_k(i)` the `k` nearest
//! neighbours of `i` in the embedding Y that are not among its `k` nearest in X. Then
//!
//! ```text
//! T(k) = 1 − 2 / (n k (2n − 3k − 1)) · Σ_i Σ_{j ∈ U_k(i)} (r(i, j) − k)
//! ```
//!
//! is the *trustworthiness* (Venna & Kaski, 2001): 1 when every embedding neighbour is a true
//! neighbour, about 0.5 for a random embedding. *Continuity* `C(k)` is the same with the roles of
//! the spaces swapped: ranks `r̂(i, j)` in Y and `V_k(i)` the X-neighbours missing from the
//! Y-neighbours. `k < n / 2` keeps both in `[0, 1]`.
//!
//! * [`trustworthiness`] equals scikit-learn's `sklearn.manifold.trustworthiness(X, Y,
//!   n_neighbors=k, metric=...)`: `metric` applies to X, the embedding is always euclidean.
//!   With [`Metric::Precomputed`], X is the square matrix of distances between the points
//!   (scikit-learn's `metric="precomputed"`; the diagonal is ignored).
//! * [`continuity`] equals `sklearn.manifold.trustworthiness(Y, X, n_neighbors=k)`: ranks in Y
//!   (euclidean), neighbour sets in X (with `metric`; scikit-learn would use euclidean there, so
//!   the two agree for the euclidean metric).
//! * [`neighbor_preservation`]: the mean over points of `|kNN_X(i) ∩ kNN_Y(i)| / k`.
//! * [`knn_accuracy`]: leave-one-out accuracy of a `k`-nearest-neighbour classifier in the
//!   embedding (majority vote of the `k` nearest other points, a tied vote going to the smallest
//!   label code).
//!
//! All four are exact: every pair of points is compared. Points are ordered by distance, ties by
//! index. scikit-learn ranks X distances with an unstable sort, so on exact ties (duplicate rows)
//! its ranks follow the sort's internal order; the values agree whenever ties do not change the
//! sum, which is always the case for data without duplicates. X distances are computed in `f64`:
//! euclidean, squared euclidean, cosine and correlation through the Gram matrix (as
//! scikit-learn's `pairwise_distances` does), other metrics pair by pair; embedding distances from
//! coordinate differences in `f64`. The sums are integers, so results do not depend on the
//! number of threads. Time is `O(n² d)`; memory `O(n d)` (an `f64` copy of the prepared rows for
//! the Gram path, plus blocks of at most 2²⁰ distances per worker), never an `n × n` matrix.
//!
//! [`evaluate`] computes all four with one pass over the X distances; above
//! [`QualityParams::sample_above`] points it works on a seeded uniform subsample of
//! [`QualityParams::sample`] points, which keeps it fast on large data (the cost is quadratic
//! in the number of points used).
//!
//! Reference: J. Venna and S. Kaski, *Neighborhood preservation in nonlinear projection methods:
//! an experimental study*, ICANN 2001, 485–491.
//!
//! ```
//! use unfold_learn::measure::quality::{continuity, trustworthiness};
//! use unfold_learn::prelude::*;
//! let x: Vec<f32> = (0..90).map(|i| ((i * 7919) % 101) as f32).collect();
//! let data = Data::from_row_major(&x, 30, 3)?;
//! let same = Data::from_row_major(&x, 30, 3)?;
//! assert_eq!(trustworthiness(&data, &same, 5, Metric::Euclidean)?, 1.0);
//! assert_eq!(continuity(&data, &same, 5, Metric::Euclidean)?, 1.0);
//! # Ok::<(), unfold_learn::Error>(())
//! ```

use std::borrow::Cow;
use std::ops::Range;

use crate::linalg::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::{Data, Labels};
use crate::error::{Error, Result};
use crate::metric::{Metric, PreparedMetric};
use crate::progress::{NoProgress, Progress};
use crate::rng::{SeedSource, sample_sorted};

/// Stage of the subsample draw in the seed's streams.
const SUBSAMPLE_STAGE: u64 = 1;
/// Upper bound on the values in one block of distance rows (`block rows × n`, `f64`).
const BLOCK_VALUES: usize = 1 << 20;
/// Most rows per block of distance rows.
const MAX_BLOCK_ROWS: usize = 128;
/// Rows per unit of work in embedding-only passes.
const CHUNK_ROWS: usize = 256;

/// Parameters of [`evaluate`]. The defaults follow the benchmarks: `k = 15`, kNN accuracy with
/// 10 neighbours, a 5,000-point subsample above 10,000 points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityParams {
    /// Neighbours for trustworthiness, continuity and neighbour preservation (default 15);
    /// `1 ≤ k < n / 2` with `n` the number of points used.
    pub k: usize,
    /// Neighbours of the kNN classifier (default 10); `1 ≤ knn_k < n`.
    pub knn_k: usize,
    /// Points used when subsampling (default 5,000); at least `2 k + 2`.
    pub sample: usize,
    /// Subsample only when there are more points than this (default 10,000).
    pub sample_above: usize,
    /// Seed of the subsample (default 0).
    pub seed: u64,
    /// Distance in the data space X (default euclidean); the embedding is always euclidean.
    pub metric: Metric,
    /// Worker threads; `None` = all cores.
    pub threads: Option<usize>,
}

impl Default for QualityParams {
    fn default() -> Self {
        QualityParams { k: 15, knn_k: 10, sample: 5000, sample_above: 10_000, seed: 0, metric: Metric::Euclidean, threads: None }
    }
}

impl QualityParams {
    /// The rows [`evaluate`] uses for `n` points: `None` (all of them) unless there are more than
    /// `sample_above` and more than `sample`, else the seeded [`subsample_indices`].
    pub fn subsample(&self, n: usize) -> Option<Vec<usize>> {
        (n > self.sample_above && self.sample < n).then(|| subsample_indices(n, self.sample, self.seed))
    }

    /// Checks the ranges that do not depend on the data.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `k == 0`, `knn_k == 0`, `sample < 2 k + 2` or
    /// `threads == Some(0)`.
    pub fn validate(&self) -> Result<()> {
        if self.k == 0 {
            return Err(Error::param("k", 0, "must be at least 1 and less than half the number of points"));
        }
        if self.knn_k == 0 {
            return Err(Error::param("knn_k", 0, "must be at least 1 and less than the number of points"));
        }
        if self.sample < 2 * self.k + 2 {
            return Err(Error::param(
                "sample",
                self.sample,
                format!("must be at least 2·k + 2 = {} so that k = {} stays below half the sample", 2 * self.k + 2, self.k),
            ));
        }
        crate::threads::check(self.threads)?;
        Ok(())
    }
}

/// The result of [`evaluate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityReport {
    /// Trustworthiness `T(k)`.
    pub trustworthiness: f64,
    /// Continuity `C(k)`.
    pub continuity: f64,
    /// Mean fraction of the `k` nearest neighbours in X that are also nearest in Y.
    pub neighbor_preservation: f64,
    /// Leave-one-out kNN accuracy in the embedding (`knn_k` neighbours), when labels were given.
    pub knn_accuracy: Option<f64>,
    /// The `k` used.
    pub k: usize,
    /// Number of points in the input.
    pub n: usize,
    /// Number of points used when a subsample was drawn; `None` when all points were used.
    pub sample: Option<usize>,
}

/// Trustworthiness `T(k)` of the embedding `y` of `x`, as scikit-learn's
/// `trustworthiness(X, Y, n_neighbors=k, metric=...)`.
///
/// # Errors
/// [`Error::InvalidData`] when `x` and `y` have different numbers of rows;
/// [`Error::InvalidParameter`] unless `1 ≤ k < n / 2`, or when `metric` does not fit `x`.
pub fn trustworthiness(x: &Data, y: &Data, k: usize, metric: Metric) -> Result<f64> {
    let metric = check_rank_inputs(x, y, k, &metric)?;
    Ok(rank_totals(x, y, k, &metric, &NoProgress)?.trustworthiness(x.n_rows(), k))
}

/// Continuity `C(k)`: trustworthiness with the spaces swapped, i.e. scikit-learn's
/// `trustworthiness(Y, X, n_neighbors=k)`. Ranks come from euclidean distances in `y`,
/// neighbour sets from `metric` in `x`.
///
/// # Errors
/// As [`trustworthiness`].
pub fn continuity(x: &Data, y: &Data, k: usize, metric: Metric) -> Result<f64> {
    let metric = check_rank_inputs(x, y, k, &metric)?;
    Ok(rank_totals(x, y, k, &metric, &NoProgress)?.continuity(x.n_rows(), k))
}

/// Mean over points of `|kNN_X(i) ∩ kNN_Y(i)| / k` (the point itself excluded, distance ties
/// broken by index; euclidean in `y`, `metric` in `x`).
///
/// # Errors
/// [`Error::InvalidData`] when `x` and `y` have different numbers of rows;
/// [`Error::InvalidParameter`] unless `1 ≤ k < n`, or when `metric` does not fit `x`.
pub fn neighbor_preservation(x: &Data, y: &Data, k: usize, metric: Metric) -> Result<f64> {
    check_same_rows(x, y)?;
    check_knn_k("k", k, x.n_rows())?;
    let metric = metric.fit(x)?;
    Ok(rank_totals(x, y, k, &metric, &NoProgress)?.neighbor_preservation(x.n_rows(), k))
}

/// Leave-one-out accuracy of a `k`-nearest-neighbour classifier in the embedding `y`: each point
/// is predicted by a majority vote of its `k` nearest other points (euclidean, distance ties
/// broken by index), a tied vote going to the smallest label code.
///
/// # Errors
/// [`Error::InvalidData`] when `labels` does not have one entry per row;
/// [`Error::InvalidParameter`] unless `1 ≤ k < n`.
pub fn knn_accuracy(y: &Data, labels: &Labels, k: usize) -> Result<f64> {
    labels.check_len(y.n_rows())?;
    check_knn_k("k", k, y.n_rows())?;
    Ok(knn_correct(y, labels, k, &NoProgress)? as f64 / y.n_rows() as f64)
}

/// The rows [`evaluate`] uses when it subsamples: `sample` distinct indices drawn uniformly
/// from `0..n` with `seed`, sorted. All of `0..n` when `sample ≥ n`.
///
/// ```
/// use unfold_learn::measure::quality::subsample_indices;
/// let rows = subsample_indices(100, 10, 7);
/// assert_eq!(rows.len(), 10);
/// assert!(rows.windows(2).all(|w| w[0] < w[1]));
/// assert_eq!(rows, subsample_indices(100, 10, 7));
/// ```
pub fn subsample_indices(n: usize, sample: usize, seed: u64) -> Vec<usize> {
    sample_sorted(n, sample, &SeedSource::new(Some(seed)), SUBSAMPLE_STAGE)
}

/// Trustworthiness, continuity, neighbour preservation and (with labels) kNN accuracy of the
/// embedding `y` of `x`, on a seeded subsample when there are more than `params.sample_above`
/// points. The X distances are computed once for the first three.
///
/// `report.n` is the number of input points, `report.sample` the number used when a subsample
/// was drawn. Set `sample_above` to `usize::MAX` to always use every point.
///
/// # Errors
/// [`Error::InvalidData`] when `x` and `y` (or `labels`) disagree on the number of rows;
/// [`Error::InvalidParameter`] for parameters out of range (see [`QualityParams`]);
/// [`Error::Cancelled`] when `progress` asks to stop.
///
/// # Example
/// ```
/// use unfold_learn::measure::quality::evaluate;
/// use unfold_learn::prelude::*;
/// let x: Vec<f32> = (0..300).map(|i| ((i * 7919) % 101) as f32).collect();
/// let data = Data::from_row_major(&x, 100, 3)?;
/// let pca = Pca::builder().n_components(2).build()?.fit(&data, &Context::default())?;
/// let labels = Labels::from_ints(&(0..100).map(|i| i % 3).collect::<Vec<_>>());
/// let params = QualityParams { k: 10, ..Default::default() };
/// let report = evaluate(&data, &pca.embedding(), Some(&labels), &params, &NoProgress)?;
/// assert!(report.trustworthiness > 0.5 && report.continuity > 0.5);
/// assert_eq!((report.n, report.sample), (100, None));
/// assert!(report.knn_accuracy.is_some());
/// # Ok::<(), unfold_learn::Error>(())
/// ```
pub fn evaluate(x: &Data, y: &Data, labels: Option<&Labels>, params: &QualityParams, progress: &dyn Progress) -> Result<QualityReport> {
    params.validate()?;
    check_same_rows(x, y)?;
    let n = x.n_rows();
    if let Some(labels) = labels {
        labels.check_len(n)?;
    }
    let rows = params.subsample(n);
    let used = rows.as_ref().map_or(n, Vec::len);
    check_rank_k(params.k, used)?;
    if labels.is_some() {
        check_knn_k("knn_k", params.knn_k, used)?;
    }
    crate::threads::install(params.threads, || {
        // Parameters taken from the data (seuclidean's V, mahalanobis's VI) come from all of it.
        let metric = params.metric.fit(x)?;
        let sub = rows.as_ref().map(|rows| select_points(x, y, rows, &metric));
        let labels_sub = rows.as_ref().and_then(|rows| labels.map(|l| l.select(rows)));
        let (x, y, labels) = match &sub {
            Some((x_sub, y_sub)) => (x_sub, y_sub, labels_sub.as_ref()),
            None => (x, y, labels),
        };
        let totals = rank_totals(x, y, params.k, &metric, progress)?;
        let knn_accuracy = match labels {
            Some(labels) => {
                progress.check()?;
                Some(knn_correct(y, labels, params.knn_k, progress)? as f64 / used as f64)
            }
            None => None,
        };
        Ok(QualityReport {
            trustworthiness: totals.trustworthiness(used, params.k),
            continuity: totals.continuity(used, params.k),
            neighbor_preservation: totals.neighbor_preservation(used, params.k),
            knn_accuracy,
            k: params.k,
            n,
            sample: rows.as_ref().map(Vec::len),
        })
    })?
}

pub(super) fn check_same_rows(x: &Data, y: &Data) -> Result<()> {
    if x.n_rows() != y.n_rows() {
        return Err(Error::InvalidData(format!(
            "the data has {} rows but the embedding has {} rows; they must describe the same points",
            x.n_rows(),
            y.n_rows()
        )));
    }
    Ok(())
}

/// scikit-learn's condition for trustworthiness to lie in `[0, 1]`: `1 ≤ k < n / 2`.
fn check_rank_k(k: usize, n: usize) -> Result<()> {
    if k == 0 || 2 * k >= n {
        return Err(Error::param("k", k, format!("must be at least 1 and less than n_samples / 2 = {} (n_samples = {n})", n as f64 / 2.0)));
    }
    Ok(())
}

fn check_knn_k(name: &'static str, k: usize, n: usize) -> Result<()> {
    if k == 0 || k >= n {
        return Err(Error::param(name, k, format!("must be between 1 and n_samples − 1 = {} (n_samples = {n})", n.saturating_sub(1))));
    }
    Ok(())
}

/// Checks the inputs of the rank measures and returns the metric fitted to `x`.
fn check_rank_inputs(x: &Data, y: &Data, k: usize, metric: &Metric) -> Result<PreparedMetric> {
    check_same_rows(x, y)?;
    check_rank_k(k, x.n_rows())?;
    metric.fit(x)
}

/// The points `rows` of `x` and `y` (for a precomputed `x`, the square submatrix on `rows`).
pub(super) fn select_points(x: &Data, y: &Data, rows: &[usize], metric: &PreparedMetric) -> (Data<'static>, Data<'static>) {
    let x_sub = if *metric.metric() == Metric::Precomputed { select_square(x, rows) } else { x.select_rows(rows) };
    (x_sub, y.select_rows(rows))
}

/// The submatrix of a square distance matrix on `rows` and the same columns.
fn select_square(x: &Data, rows: &[usize]) -> Data<'static> {
    let values = rows.iter().flat_map(|&i| rows.iter().map(move |&j| x.row(i)[j])).collect();
    Data::from_trusted(values, rows.len(), rows.len())
}

/// Integer sums behind the rank-based measures.
#[derive(Debug, Default, Clone, Copy)]
struct RankTotals {
    /// `Σ_i Σ_{j ∈ U_k(i)} (r(i, j) − k)`.
    trust: u64,
    /// `Σ_i Σ_{j ∈ V_k(i)} (r̂(i, j) − k)`.
    continuity: u64,
    /// `Σ_i |kNN_X(i) ∩ kNN_Y(i)|`.
    shared: u64,
}

impl RankTotals {
    fn add(self, o: RankTotals) -> RankTotals {
        RankTotals { trust: self.trust + o.trust, continuity: self.continuity + o.continuity, shared: self.shared + o.shared }
    }

    /// `1 − t · 2 / (n k (2n − 3k − 1))`, in scikit-learn's order of operations.
    fn from_penalty(t: u64, n: usize, k: usize) -> f64 {
        let denominator = (n * k) as f64 * (2.0 * n as f64 - 3.0 * k as f64 - 1.0);
        1.0 - t as f64 * (2.0 / denominator)
    }

    fn trustworthiness(&self, n: usize, k: usize) -> f64 {
        Self::from_penalty(self.trust, n, k)
    }

    fn continuity(&self, n: usize, k: usize) -> f64 {
        Self::from_penalty(self.continuity, n, k)
    }

    fn neighbor_preservation(&self, n: usize, k: usize) -> f64 {
        self.shared as f64 / (n * k) as f64
    }
}

/// One pass over all X distance rows (in blocks) and Y distance rows, collecting the integer
/// sums of trustworthiness, continuity and neighbour preservation.
fn rank_totals(x: &Data, y: &Data, k: usize, metric: &PreparedMetric, progress: &dyn Progress) -> Result<RankTotals> {
    let totals = fold_distance_rows(
        x,
        y,
        metric,
        progress,
        "trustworthiness and continuity",
        RankTotals::default,
        |(nn_x, nn_y): &mut NeighbourLists, t: &mut RankTotals, i, dx, dy| *t = t.add(row_terms(dx, dy, i, k, nn_x, nn_y)),
    )?;
    Ok(totals.into_iter().fold(RankTotals::default(), RankTotals::add))
}

/// A point's nearest neighbours in X and in Y, as `(distance, index)`.
type NeighbourLists = (Vec<(f64, usize)>, Vec<(f64, usize)>);

/// Visits every point `i` with its row of X distances `dx` (by `metric`, in `f64`) and its row
/// of squared euclidean Y distances `dy`, in parallel over blocks of points: `visit(scratch,
/// acc, i, dx, dy)` adds point `i`'s contribution to its block's accumulator (made by `zero`),
/// with `scratch` reused across a worker's rows. Returns the blocks' accumulators in block
/// order, so that any sum over them is independent of the number of threads.
pub(super) fn fold_distance_rows<S, T>(
    x: &Data,
    y: &Data,
    metric: &PreparedMetric,
    progress: &dyn Progress,
    stage: &str,
    zero: impl Fn() -> T + Sync,
    visit: impl Fn(&mut S, &mut T, usize, &[f64], &[f64]) + Sync,
) -> Result<Vec<T>>
where
    S: Default + Send,
    T: Send,
{
    let n = x.n_rows();
    let dist_x = DistanceRows::new(x, metric)?;
    let block = (BLOCK_VALUES / n).clamp(1, MAX_BLOCK_ROWS);
    progress.stage(stage, n as u64);
    let blocks = (0..n.div_ceil(block))
        .into_par_iter()
        .map_init(
            || (RowScratch::default(), S::default()),
            |(s, scratch), b| {
                progress.check()?;
                let RowScratch { block: dx, dy, .. } = s;
                let rows = b * block..((b + 1) * block).min(n);
                dist_x.fill(rows.clone(), dx);
                let mut acc = zero();
                for (r, i) in rows.clone().enumerate() {
                    euclidean_sq_row(y, i, dy);
                    visit(scratch, &mut acc, i, &dx[r * n..(r + 1) * n], dy);
                }
                progress.inc(rows.len() as u64);
                Ok(acc)
            },
        )
        .collect::<Result<Vec<_>>>()?;
    progress.finish_stage();
    Ok(blocks)
}

/// Buffers reused across the rows of one worker.
#[derive(Default)]
struct RowScratch {
    block: Vec<f64>,
    dy: Vec<f64>,
    nn_y: Vec<(f64, usize)>,
}

/// The contributions of point `i`, from its distances `dx` in X and `dy` in Y.
fn row_terms(dx: &[f64], dy: &[f64], i: usize, k: usize, nn_x: &mut Vec<(f64, usize)>, nn_y: &mut Vec<(f64, usize)>) -> RankTotals {
    nearest(dx, i, k, nn_x);
    nearest(dy, i, k, nn_y);
    let mut t = RankTotals::default();
    for &(_, j) in nn_y.iter() {
        if nn_x.iter().any(|&(_, l)| l == j) {
            t.shared += 1;
        } else {
            t.trust += rank(dx, i, j).saturating_sub(k) as u64;
        }
    }
    for &(_, j) in nn_x.iter() {
        if !nn_y.iter().any(|&(_, l)| l == j) {
            t.continuity += rank(dy, i, j).saturating_sub(k) as u64;
        }
    }
    t
}

/// The `k` points nearest to `i` (itself excluded) by `(distance, index)`, ascending.
fn nearest(d: &[f64], i: usize, k: usize, out: &mut Vec<(f64, usize)>) {
    out.clear();
    for (j, &v) in d.iter().enumerate() {
        if j == i || (out.len() == k && v >= out[k - 1].0) {
            continue;
        }
        // Indices arrive in increasing order, so an equal distance already held comes first.
        let at = out.partition_point(|&(w, _)| w <= v);
        if out.len() == k {
            out.pop();
        }
        out.insert(at, (v, j));
    }
}

/// The rank (from 1) of `j` among the neighbours of `i` ordered by `(distance, index)`:
/// `1 + #{l < j : d_l ≤ d_j} + #{l > j : d_l < d_j}`, not counting `i` itself.
fn rank(d: &[f64], i: usize, j: usize) -> usize {
    let dj = d[j];
    let before = d[..j].iter().map(|&v| (v <= dj) as usize).sum::<usize>();
    let after = d[j + 1..].iter().map(|&v| (v < dj) as usize).sum::<usize>();
    let self_counted = if i < j { d[i] <= dj } else { d[i] < dj };
    1 + before + after - self_counted as usize
}

/// Squared euclidean distances in `f64` from row `i` of `y` to every row.
pub(super) fn euclidean_sq_row(y: &Data, i: usize, out: &mut Vec<f64>) {
    let yi = y.row(i);
    out.clear();
    out.extend((0..y.n_rows()).map(|l| {
        let diffs = yi.iter().zip(y.row(l)).map(|(&a, &b)| a as f64 - b as f64);
        diffs.map(|d| d * d).sum::<f64>()
    }));
}

/// How distances relate to the Gram matrix `G = A Aᵀ` of the (prepared) rows.
#[derive(Clone, Copy)]
pub(super) enum GramDistance {
    /// `sqrt(|a_i|² + |a_j|² − 2 G_ij)`.
    Euclidean,
    /// `|a_i|² + |a_j|² − 2 G_ij`.
    SqEuclidean,
    /// `1 − G_ij` on unit rows (cosine, correlation).
    OneMinusDot,
}

/// Rows of the X distance matrix, produced a block at a time.
pub(super) enum DistanceRows<'a> {
    /// Through the Gram matrix in `f64`.
    Gram { rows: Vec<f64>, sq_norms: Vec<f64>, n_cols: usize, kind: GramDistance },
    /// Pair by pair with the metric's kernel, on the rows mapped by
    /// [`PreparedMetric::rows`].
    Pairwise { rows: Cow<'a, [f32]>, n_cols: usize, metric: &'a PreparedMetric },
    /// The rows of a square distance matrix, as they are.
    Precomputed(&'a Data<'a>),
}

impl<'a> DistanceRows<'a> {
    /// `metric` as [`Metric::fit`] returns it for `data`.
    pub(super) fn new(data: &'a Data<'a>, metric: &'a PreparedMetric) -> Result<Self> {
        let kind = match metric.metric() {
            Metric::SqEuclidean => GramDistance::SqEuclidean,
            // Standardised euclidean and Mahalanobis are euclidean on their prepared rows.
            m if m.is_euclidean_kind() => GramDistance::Euclidean,
            Metric::Cosine | Metric::Correlation => GramDistance::OneMinusDot,
            Metric::Precomputed => return Ok(DistanceRows::Precomputed(data)),
            _ => return Ok(DistanceRows::Pairwise { rows: metric.rows(data.as_slice()), n_cols: data.n_cols(), metric }),
        };
        let d = data.n_cols();
        let prepared = metric.rows(data.as_slice());
        let rows: Vec<f64> = prepared.par_iter().map(|&v| v as f64).collect();
        let sq_norms = rows.par_chunks(d).map(|r| r.iter().map(|v| v * v).sum()).collect();
        Ok(DistanceRows::Gram { rows, sq_norms, n_cols: d, kind })
    }

    /// The distance between rows `i` and `j`. On the Gram path it is computed from the
    /// coordinate differences (exact to rounding, where [`fill`](Self::fill) goes through the
    /// Gram matrix for speed).
    pub(super) fn pair(&self, i: usize, j: usize) -> f64 {
        match self {
            DistanceRows::Gram { rows, n_cols: d, kind, .. } => {
                let (a, b) = (&rows[i * d..(i + 1) * d], &rows[j * d..(j + 1) * d]);
                match kind {
                    GramDistance::Euclidean => a.iter().zip(b).map(|(u, v)| (u - v) * (u - v)).sum::<f64>().sqrt(),
                    GramDistance::SqEuclidean => a.iter().zip(b).map(|(u, v)| (u - v) * (u - v)).sum::<f64>(),
                    GramDistance::OneMinusDot => (1.0 - a.iter().zip(b).map(|(u, v)| u * v).sum::<f64>()).clamp(0.0, 2.0),
                }
            }
            DistanceRows::Pairwise { rows, n_cols: d, metric } => metric.distance(&rows[i * d..(i + 1) * d], &rows[j * d..(j + 1) * d]) as f64,
            DistanceRows::Precomputed(data) => data.row(i)[j] as f64,
        }
    }

    /// Writes the distances from each row in `range` to every row into `out` (row-major).
    pub(super) fn fill(&self, range: Range<usize>, out: &mut Vec<f64>) {
        match self {
            DistanceRows::Gram { rows, sq_norms, n_cols: d, kind } => {
                let (n, d, m) = (sq_norms.len(), *d, range.len());
                out.resize(m * n, 0.0);
                let lhs = MatRef::from_row_major_slice(&rows[range.start * d..range.end * d], m, d);
                let all = MatRef::from_row_major_slice(rows.as_slice(), n, d);
                // Sequential inside a block: blocks run in parallel, and a fixed schedule keeps
                // the rounding independent of the thread count.
                matmul(MatMut::from_row_major_slice_mut(&mut out[..m * n], m, n), Accum::Replace, lhs, all.transpose(), 1.0, Par::Seq);
                for (r, i) in range.enumerate() {
                    let ni = sq_norms[i];
                    let row = &mut out[r * n..(r + 1) * n];
                    match kind {
                        GramDistance::Euclidean => row.iter_mut().zip(sq_norms).for_each(|(g, &nj)| *g = (ni + nj - 2.0 * *g).max(0.0).sqrt()),
                        GramDistance::SqEuclidean => row.iter_mut().zip(sq_norms).for_each(|(g, &nj)| *g = (ni + nj - 2.0 * *g).max(0.0)),
                        GramDistance::OneMinusDot => row.iter_mut().for_each(|g| *g = (1.0 - *g).clamp(0.0, 2.0)),
                    }
                }
            }
            DistanceRows::Pairwise { rows, n_cols: d, metric } => {
                let (d, n) = (*d, rows.len() / *d);
                let row = |i: usize| &rows[i * d..(i + 1) * d];
                out.clear();
                for i in range {
                    let xi = row(i);
                    out.extend((0..n).map(|j| metric.distance(xi, row(j)) as f64));
                }
            }
            DistanceRows::Precomputed(data) => {
                out.clear();
                for i in range {
                    out.extend(data.row(i).iter().map(|&v| v as f64));
                }
            }
        }
    }
}

/// Number of points whose leave-one-out kNN vote in `y` predicts their own label.
fn knn_correct(y: &Data, labels: &Labels, k: usize, progress: &dyn Progress) -> Result<usize> {
    let n = y.n_rows();
    let n_classes = labels.codes.iter().max().map_or(0, |&c| c as usize + 1);
    progress.stage("kNN accuracy", n as u64);
    let correct = (0..n.div_ceil(CHUNK_ROWS))
        .into_par_iter()
        .map_init(
            || (RowScratch::default(), vec![0u32; n_classes]),
            |(s, counts), c| {
                progress.check()?;
                let rows = c * CHUNK_ROWS..((c + 1) * CHUNK_ROWS).min(n);
                let mut correct = 0usize;
                for i in rows.clone() {
                    euclidean_sq_row(y, i, &mut s.dy);
                    nearest(&s.dy, i, k, &mut s.nn_y);
                    counts.iter_mut().for_each(|c| *c = 0);
                    for &(_, j) in &s.nn_y {
                        counts[labels.codes[j] as usize] += 1;
                    }
                    // The first maximum is the smallest code: ties go to it.
                    let predicted = (0..n_classes).fold(0, |best, c| if counts[c] > counts[best] { c } else { best });
                    correct += (predicted == labels.codes[i] as usize) as usize;
                }
                progress.inc(rows.len() as u64);
                Ok(correct)
            },
        )
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .sum();
    progress.finish_stage();
    Ok(correct)
}
