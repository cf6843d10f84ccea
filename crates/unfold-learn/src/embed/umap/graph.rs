//! UMAP's fuzzy simplicial set: the weighted graph the layout optimises, as umap-learn builds it.
//!
//! For each point `i` with neighbour distances `d_i1 ≤ … ≤ d_ik` (umap-learn's layout: the point
//! itself first, at distance 0, so `k = n_neighbors`):
//!
//! * `rho_i` is the distance to the `local_connectivity`-th nearest neighbour at a distance
//!   greater than 0, interpolated linearly for a fractional value;
//! * `sigma_i` solves `Σ_{j ≥ 2} exp(−max(0, d_ij − rho_i) / sigma_i) = log2(k) · bandwidth` by
//!   bisection (64 steps, stop within 1e-5), then is floored at 1e-3 times the mean of the row
//!   (or of all distances when `rho_i = 0`);
//! * the directed membership is `w_ij = exp(−(d_ij − rho_i) / sigma_i)`, or 1 when
//!   `d_ij ≤ rho_i` or `sigma_i = 0`, and 0 for the point itself.
//!
//! With `A` the directed memberships, the graph is the fuzzy set union mixed with the
//! intersection: `mix · (A + Aᵀ − A∘Aᵀ) + (1 − mix) · A∘Aᵀ`, zeros dropped
//! ([`Symmetrization::FuzzyMix`] of [`crate::graph::symmetrize`]).
//!
//! [`smooth_knn_dist`] and [`fuzzy_simplicial_set`] follow umap-learn 0.5 (`umap_.py`) step by
//! step, in the precision its compiled code uses (`f32` distances, `rho`, `sigma` and
//! memberships; the bisection in `f64`); on the test fixtures every `sigma`, `rho` and weight is
//! bit-identical to umap-learn 0.5.12. [`fuzzy_simplicial_set`] takes this crate's [`KnnGraph`],
//! which leaves the point itself out: its `k` is `n_neighbors − 1`.
//!
//! ```
//! use unfold_learn::knn::KnnGraph;
//! use unfold_learn::embed::umap::graph::{fuzzy_simplicial_set, FuzzySetParams};
//! // Three points on a line, each with 2 neighbours (umap-learn's n_neighbors = 3).
//! let knn = KnnGraph::from_parts(3, 2, vec![1, 2, 0, 2, 1, 0], vec![1.0, 3.0, 1.0, 2.0, 2.0, 3.0])?;
//! let g = fuzzy_simplicial_set(&knn, &FuzzySetParams::default())?;
//! assert_eq!(g.row(0).0, &[1, 2]);
//! assert_eq!(g.row(0).1[0], 1.0); // the nearest neighbour always has membership 1
//! # Ok::<(), unfold_learn::Error>(())
//! ```

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::graph::{SparseGraph, Symmetrization, symmetrize};
use crate::knn::KnnGraph;

/// Bisection stops when the membership sum is this close to the target (umap-learn's
/// `SMOOTH_K_TOLERANCE`).
const SMOOTH_K_TOLERANCE: f64 = 1e-5;
/// Floor of sigma relative to the mean distance (umap-learn's `MIN_K_DIST_SCALE`).
const MIN_K_DIST_SCALE: f64 = 1e-3;
/// Bisection steps (umap-learn's `n_iter`).
const N_ITER: usize = 64;

/// Parameters of [`fuzzy_simplicial_set`]. `Default` matches umap-learn's defaults for a
/// metric without a finite disconnection distance (euclidean and the like).
#[derive(Debug, Clone, PartialEq)]
pub struct FuzzySetParams {
    /// Number of nearest neighbours (beyond the zero distances) assumed fully connected; `rho`
    /// is the distance to this neighbour, interpolated when fractional. Finite, at least 0;
    /// default 1.
    pub local_connectivity: f32,
    /// Weight of the fuzzy union against the fuzzy intersection, in `[0, 1]`; default 1 (pure
    /// union).
    pub set_op_mix_ratio: f32,
    /// Multiplies the target `log2(n_neighbors)` of the membership sums; finite, greater than 0;
    /// default 1.
    pub bandwidth: f32,
    /// Neighbours at this distance or farther are removed before anything else; `None` keeps
    /// them all (umap-learn's `np.inf`). Greater than 0 when given.
    pub disconnection_distance: Option<f32>,
}

impl Default for FuzzySetParams {
    fn default() -> Self {
        FuzzySetParams { local_connectivity: 1.0, set_op_mix_ratio: 1.0, bandwidth: 1.0, disconnection_distance: None }
    }
}

impl FuzzySetParams {
    /// Checks every parameter's range.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the parameter and its allowed range.
    pub fn validate(&self) -> Result<()> {
        if !(self.local_connectivity.is_finite() && self.local_connectivity >= 0.0) {
            return Err(Error::param("local_connectivity", self.local_connectivity, "must be a finite number of at least 0"));
        }
        if !(0.0..=1.0).contains(&self.set_op_mix_ratio) {
            return Err(Error::param("set_op_mix_ratio", self.set_op_mix_ratio, "must be in [0, 1]"));
        }
        if !(self.bandwidth.is_finite() && self.bandwidth > 0.0) {
            return Err(Error::param("bandwidth", self.bandwidth, "must be a finite number greater than 0"));
        }
        match self.disconnection_distance {
            Some(d) if d.is_nan() || d <= 0.0 => Err(Error::param("disconnection_distance", d, "must be greater than 0 (or None for no limit)")),
            _ => Ok(()),
        }
    }
}

/// UMAP's symmetric fuzzy graph, with the per-point `sigma` and `rho` it was built from.
///
/// The graph itself is a [`SparseGraph`] (membership strengths in `(0, 1]`, no stored zeros,
/// symmetric); `FuzzyGraph` dereferences to it, so `row`, `weight`, `indptr`, `indices`,
/// `weights`, `n_points` and `nnz` are [`SparseGraph`]'s.
#[derive(Debug, Clone, PartialEq)]
pub struct FuzzyGraph {
    /// The symmetric membership strengths.
    pub graph: SparseGraph,
    /// Per-point bandwidth `sigma` from [`smooth_knn_dist`] (may be infinite after a
    /// disconnection, as in umap-learn).
    pub sigmas: Vec<f32>,
    /// Per-point distance to the `local_connectivity`-th nearest neighbour, `rho`.
    pub rhos: Vec<f32>,
}

impl std::ops::Deref for FuzzyGraph {
    type Target = SparseGraph;

    fn deref(&self) -> &SparseGraph {
        &self.graph
    }
}

/// Per-point `sigma` and `rho` of UMAP, as umap-learn's `smooth_knn_dist`.
///
/// `distances` is row-major `n × k` in umap-learn's layout: each row ascending, starting with
/// the point itself at distance 0, so `k = n_neighbors`. Column 0 is left out of the membership
/// sum but counts in the row mean of the floor. The target sum is `log2(k) · bandwidth`.
/// Entries may be `+∞` (neighbours removed by a disconnection distance); as in umap-learn, they
/// add nothing to the sum but make the row mean, and so `sigma`, infinite.
/// Returns `(sigmas, rhos)`, one of each per row; rows are independent and computed in parallel.
///
/// ```
/// use unfold_learn::embed::umap::graph::smooth_knn_dist;
/// let (sigmas, rhos) = smooth_knn_dist(&[0.0, 1.0, 2.0, 4.0], 4, 1.0, 1.0);
/// assert_eq!(rhos, [1.0]);
/// // exp(0) + exp(−1/σ) + exp(−3/σ) = log2(4)
/// let s = sigmas[0];
/// assert!((1.0 + (-1.0 / s).exp() + (-3.0 / s).exp() - 2.0).abs() < 1e-4);
/// ```
///
/// # Panics
/// If `k` is 0 or `distances.len()` is not a multiple of `k`.
pub fn smooth_knn_dist(distances: &[f32], k: usize, local_connectivity: f32, bandwidth: f32) -> (Vec<f32>, Vec<f32>) {
    assert!(k > 0 && distances.len().is_multiple_of(k), "smooth_knn_dist: {} distances do not form rows of {k}", distances.len());
    let target = (k as f64).log2() * bandwidth as f64;
    let global_mean = if distances.is_empty() { 0.0 } else { distances.iter().map(|&d| d as f64).sum::<f64>() / distances.len() as f64 };
    distances.par_chunks(k).map(|row| smooth_row(row, target, local_connectivity as f64, global_mean)).unzip()
}

/// `(sigma, rho)` of one row; the arithmetic and its precision follow umap-learn line by line.
fn smooth_row(row: &[f32], target: f64, local_connectivity: f64, global_mean: f64) -> (f32, f32) {
    let nonzero: Vec<f32> = row.iter().copied().filter(|&d| d > 0.0).collect();
    let mut rho = 0.0f32;
    if !nonzero.is_empty() && nonzero.len() as f64 >= local_connectivity {
        let index = local_connectivity.floor() as usize;
        let interpolation = local_connectivity - index as f64;
        if index > 0 {
            rho = nonzero[index - 1];
            if interpolation > SMOOTH_K_TOLERANCE {
                rho = (rho as f64 + interpolation * (nonzero[index] - nonzero[index - 1]) as f64) as f32;
            }
        } else {
            rho = (interpolation * nonzero[0] as f64) as f32;
        }
    } else if !nonzero.is_empty() {
        rho = nonzero.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    }

    // The search runs in f64: umap-learn declares these locals float32, but its compiled
    // parallel loop evaluates them in float64, and only this reproduces its sigmas bit for bit.
    let max = f32::MAX as f64;
    let (mut lo, mut hi, mut mid) = (0.0f64, max, 1.0f64);
    for _ in 0..N_ITER {
        let mut psum = 0.0f64;
        for &d in &row[1..] {
            let d = d - rho;
            psum += if d > 0.0 { (-(d as f64 / mid)).exp() } else { 1.0 };
        }
        if (psum - target).abs() < SMOOTH_K_TOLERANCE {
            break;
        }
        if psum > target {
            hi = mid;
            mid = (lo + hi) / 2.0;
        } else {
            lo = mid;
            if hi >= max {
                mid *= 2.0;
            } else {
                mid = (lo + hi) / 2.0;
            }
        }
    }

    let mut sigma = mid as f32;
    let mean = if rho > 0.0 {
        // umap-learn sums the row in f32, in order, then divides in f64.
        row.iter().sum::<f32>() as f64 / row.len() as f64
    } else {
        global_mean
    };
    if (sigma as f64) < MIN_K_DIST_SCALE * mean {
        sigma = (MIN_K_DIST_SCALE * mean) as f32;
    }
    (sigma, rho)
}

/// UMAP's fuzzy simplicial set of a kNN graph, as umap-learn's `fuzzy_simplicial_set` with
/// `n_neighbors = graph.k() + 1`.
///
/// `graph` leaves each point out of its own neighbours (this crate's convention); umap-learn's
/// first neighbour is the point itself at distance 0, so the graph's `k` is `n_neighbors − 1`.
/// That entry is put back for [`smooth_knn_dist`] and, as in umap-learn, gets membership 0.
///
/// Neighbours at a distance of at least `params.disconnection_distance` are removed first. This
/// reproduces umap-learn's `UMAP.fit`, which marks them with index −1 and distance `+∞`: they
/// take no part in the sums, but the `+∞` makes the row mean infinite, so every row that lost a
/// neighbour gets `sigma = ∞` and its remaining neighbours all get membership 1; rows with
/// `rho = 0` use the mean of all distances, which is then infinite too.
///
/// The result is symmetric, its rows sorted by column, with zeros dropped. Rows are processed in
/// parallel; the output does not depend on the number of threads.
///
/// # Errors
/// [`Error::InvalidParameter`] when `params` is out of range (see [`FuzzySetParams::validate`]).
pub fn fuzzy_simplicial_set(graph: &KnnGraph, params: &FuzzySetParams) -> Result<FuzzyGraph> {
    params.validate()?;
    let (directed, sigmas, rhos) = directed_memberships(graph, params);
    let graph = symmetrize(&directed, Symmetrization::FuzzyMix(params.set_op_mix_ratio))?;
    Ok(FuzzyGraph { graph, sigmas, rhos })
}

/// The directed memberships `A` of [`fuzzy_simplicial_set`] before the fuzzy union, each row
/// sorted by column with zeros dropped, and the `sigmas` and `rhos` they came from (umap-learn's
/// `fuzzy_simplicial_set` with `apply_set_operations=False`). `params` must be valid.
pub(crate) fn directed_memberships(graph: &KnnGraph, params: &FuzzySetParams) -> (SparseGraph, Vec<f32>, Vec<f32>) {
    let (n, k) = (graph.n_points(), graph.k());
    let cut = params.disconnection_distance.unwrap_or(f32::INFINITY);

    // umap-learn's layout: self at distance 0 in column 0, removed neighbours at +∞.
    let width = k + 1;
    let mut padded = vec![0.0f32; n * width];
    padded.par_chunks_mut(width).enumerate().for_each(|(i, out)| {
        for (o, &d) in out[1..].iter_mut().zip(graph.neighbors(i).1) {
            *o = if d >= cut { f32::INFINITY } else { d };
        }
    });
    let (sigmas, rhos) = smooth_knn_dist(&padded, width, params.local_connectivity, params.bandwidth);

    // Directed memberships A, each row sorted by column in its own `k` slots, then packed.
    let mut slots = vec![(0u32, 0f32); n * k];
    let mut lens = vec![0u32; n];
    slots.par_chunks_mut(k.max(1)).zip(lens.par_iter_mut()).enumerate().for_each(|(i, (row, len))| {
        let (idx, dist) = graph.neighbors(i);
        let (rho, sigma) = (rhos[i], sigmas[i]);
        let mut m = 0;
        for (&j, &d) in idx.iter().zip(dist) {
            let w = if d - rho <= 0.0 || sigma == 0.0 { 1.0 } else { (-((d - rho) / sigma)).exp() };
            if d < cut && w != 0.0 {
                row[m] = (j, w);
                m += 1;
            }
        }
        row[..m].sort_unstable_by_key(|&(j, _)| j);
        *len = m as u32;
    });
    let directed = SparseGraph::from_row_fn(n, |i| slots[i * k..i * k + lens[i] as usize].iter().copied());
    (directed, sigmas, rhos)
}
