//! Persistent homology of the Vietoris–Rips filtration, as ripser.py computes it, and distances
//! between persistence diagrams, as persim computes them.
//!
//! * [`rips_persistence`]: the diagrams of dimensions 0 to `maxdim` over Z/2 ([`rips`]: Ripser's
//!   algorithm — combinatorial numbering of simplices, cohomology with clearing, apparent and
//!   emergent pairs). The input is a point cloud under any of the crate's metrics, or a square
//!   distance matrix (`metric = precomputed`, symmetric with a zero diagonal). As ripser.py,
//!   distances are rounded to `f32`, `thresh = ∞` means the enclosing radius (above it the
//!   complex is a cone and nothing changes), only pairs of positive persistence are reported and
//!   an essential class dies at `∞`.
//! * `n_perm`: the persistence of a maxmin subsample of `n_perm` points (ripser.py's greedy
//!   permutation, [`maxmin_points`]), with `idx_perm` and the covering radius `r_cover`.
//! * A size guard refuses inputs whose distance matrix or simplices would not fit in memory,
//!   naming `n_perm` and `thresh` as the way out.
//! * [`diagram_distance`]: bottleneck and p-Wasserstein distances between diagrams.

pub mod diagram_distance;
pub(crate) mod rips;

use rayon::prelude::*;

use crate::data::Data;
use crate::error::{Error, Result};
use crate::graph::shortest_paths::maxmin_points;
use crate::linalg::mds::euclidean_dissimilarities;
use crate::metric::Metric;
use crate::progress::Progress;

/// Largest distance matrix built (bytes, the `f32` matrix and, for euclidean, its `f64` source).
pub const MAX_MATRIX_BYTES: u64 = 6 << 30;
/// Largest number of simplices of one dimension above 1 that the reduction may enumerate and
/// store (16 bytes each).
pub const MAX_SIMPLICES: u64 = 1 << 27;

/// What [`rips_persistence`] computes.
#[derive(Debug, Clone, PartialEq)]
pub struct RipsParams {
    /// Highest homology dimension (ripser.py's `maxdim`, default 1).
    pub maxdim: usize,
    /// Largest diameter of a simplex in the filtration (`thresh`, default ∞).
    pub thresh: f64,
    /// Distance between rows; [`Metric::Precomputed`] when the data is a distance matrix.
    pub metric: Metric,
    /// Compute on a maxmin subsample of this many points (ripser.py's `n_perm`).
    pub n_perm: Option<usize>,
    /// Worker threads; `None` = all cores.
    pub threads: Option<usize>,
}

impl Default for RipsParams {
    fn default() -> Self {
        RipsParams { maxdim: 1, thresh: f64::INFINITY, metric: Metric::Euclidean, n_perm: None, threads: None }
    }
}

/// The result of [`rips_persistence`], with ripser.py's keys.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Persistence {
    /// One diagram per dimension `0..=maxdim`: `(birth, death)` pairs, `death = ∞` for essential
    /// classes, in the order they were found.
    pub dgms: Vec<Vec<[f64; 2]>>,
    /// Edges in the filtration (pairs within the threshold actually used).
    pub num_edges: usize,
    /// The points used, in order (all of them without `n_perm`).
    pub idx_perm: Vec<usize>,
    /// Largest distance of a point to its nearest subsample point (0 without `n_perm`).
    pub r_cover: f64,
}

/// Persistence diagrams of the Rips filtration of `data` (rows are points, or a square distance
/// matrix with `metric = precomputed`).
///
/// ```
/// use unfold_learn::prelude::*;
/// use unfold_learn::measure::topology::{RipsParams, rips_persistence};
/// // Eight points on a circle: one loop, born at the side and filled at the chord over three
/// // sides (Adamaszek & Adams 2017: the complex is a circle until then).
/// let x: Vec<f32> = (0..8).flat_map(|i| { let t = i as f32 * std::f32::consts::TAU / 8.0; [t.cos(), t.sin()] }).collect();
/// let p = rips_persistence(&Data::from_row_major(&x, 8, 2)?, &RipsParams::default(), &NoProgress)?;
/// assert_eq!(p.dgms[0].len(), 8);
/// assert_eq!(p.dgms[1].len(), 1);
/// let chord = |k: f64| 2.0 * (k * std::f64::consts::PI / 8.0).sin();
/// assert!((p.dgms[1][0][0] - chord(1.0)).abs() < 1e-6 && (p.dgms[1][0][1] - chord(3.0)).abs() < 1e-6);
/// # Ok::<(), unfold_learn::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] for `thresh` negative or NaN, `n_perm` outside `[1, n]`, a
/// metric that does not fit the data, or a problem too large for memory (the message suggests
/// `n_perm` and `thresh`); [`Error::InvalidData`] for a precomputed matrix that is not square,
/// symmetric, non-negative with a zero diagonal (naming the first bad entry);
/// [`Error::Cancelled`].
pub fn rips_persistence(data: &Data, params: &RipsParams, progress: &dyn Progress) -> Result<Persistence> {
    validate(params)?;
    let precomputed = params.metric == Metric::Precomputed;
    if precomputed {
        check_distance_matrix(data)?;
    }
    let n = data.n_rows();
    if n == 0 {
        return Err(Error::InvalidData("persistent homology needs at least 1 point, got 0".into()));
    }
    if let Some(m) = params.n_perm
        && (m == 0 || m > n)
    {
        return Err(Error::param("n_perm", m, format!("must be in [1, n_samples = {n}]: the number of points of the greedy subsample")));
    }
    crate::threads::install(params.threads, || {
        let metric = if precomputed { Metric::Precomputed } else { params.metric.fitted(data)? };
        let k = params.n_perm.unwrap_or(n);
        check_matrix_size(k, &metric)?;
        progress.stage("distances", 0);
        let (idx_perm, r_cover, dist) = match params.n_perm {
            Some(m) => {
                let (idx, lambdas) = greedy_permutation(data, &metric, m);
                let dist = if precomputed {
                    idx.iter().flat_map(|&a| idx.iter().map(move |&b| data.row(a)[b])).collect()
                } else {
                    distance_matrix(&data.select_rows(&idx), &metric)
                };
                (idx, lambdas[m - 1], dist)
            }
            None => ((0..n).collect(), 0.0, distance_matrix(data, &metric)),
        };
        progress.finish_stage();
        progress.check()?;
        let threshold = if params.thresh.is_infinite() { rips::enclosing_radius(&dist, k) } else { params.thresh as f32 };
        let num_edges = count_edges(&dist, k, threshold);
        check_simplices(&dist, k, threshold, params.maxdim)?;
        progress.stage("persistent homology", 0);
        let dgms = rips::Rips::new(&dist, k, threshold, params.maxdim).compute(progress)?;
        progress.finish_stage();
        let dgms = dgms.into_iter().map(|d| d.into_iter().map(|(b, e)| [f64::from(b), f64::from(e)]).collect()).collect();
        Ok(Persistence { dgms, num_edges, idx_perm, r_cover })
    })?
}

fn validate(params: &RipsParams) -> Result<()> {
    if params.thresh.is_nan() || params.thresh < 0.0 {
        return Err(Error::param("thresh", params.thresh, "must be a non-negative number or inf"));
    }
    if params.maxdim > 3 {
        return Err(Error::param("maxdim", params.maxdim, "must be in [0, 3]"));
    }
    crate::threads::check(params.threads)
}

/// Square, non-negative, symmetric, zero diagonal; the first bad entry is named.
pub(crate) fn check_distance_matrix(data: &Data) -> Result<()> {
    let (n, c) = (data.n_rows(), data.n_cols());
    if n != c {
        return Err(Error::InvalidData(format!("a precomputed distance matrix must be square, but it has {n} rows and {c} columns")));
    }
    for i in 0..n {
        let row = data.row(i);
        if row[i] != 0.0 {
            return Err(Error::InvalidData(format!("a precomputed distance matrix needs a zero diagonal, but row {i}, column {i} holds {}", row[i])));
        }
        for (j, &a) in row.iter().enumerate() {
            let b = data.row(j)[i];
            if a < 0.0 {
                return Err(Error::InvalidData(format!("distances must be non-negative, but row {i}, column {j} holds {a}")));
            }
            if j > i && a != b {
                return Err(Error::InvalidData(format!(
                    "a precomputed distance matrix must be symmetric, but row {i}, column {j} holds {a} and row {j}, column {i} holds {b}"
                )));
            }
        }
    }
    Ok(())
}

/// The greedy permutation of ripser.py: `m` points, the first point 0, and the covering radii.
fn greedy_permutation(data: &Data, metric: &Metric, m: usize) -> (Vec<usize>, Vec<f64>) {
    let n = data.n_rows();
    match metric {
        Metric::Precomputed => maxmin_points(n, m, |i, out| out.iter_mut().zip(data.row(i)).for_each(|(o, &v)| *o = f64::from(v))),
        Metric::Euclidean => maxmin_points(n, m, |i, out| {
            let a = data.row(i);
            out.par_iter_mut().enumerate().for_each(|(j, o)| {
                *o = a.iter().zip(data.row(j)).map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2)).sum::<f64>().sqrt();
            });
        }),
        other => {
            let prepared = crate::metric::PreparedMetric::new(other.clone(), data.n_cols()).expect("metric fitted above");
            let rows = prepared.rows(data.as_slice());
            let d = data.n_cols();
            maxmin_points(n, m, |i, out| {
                let a = &rows[i * d..(i + 1) * d];
                out.par_iter_mut().enumerate().for_each(|(j, o)| *o = f64::from(prepared.distance(a, &rows[j * d..(j + 1) * d])));
            })
        }
    }
}

/// Refuses a distance matrix that would not fit in memory.
fn check_matrix_size(k: usize, metric: &Metric) -> Result<()> {
    let per_entry = if *metric == Metric::Euclidean { 12 } else { 4 };
    let bytes = (k as u64) * (k as u64) * per_entry;
    if bytes > MAX_MATRIX_BYTES {
        return Err(Error::param(
            "n_perm",
            k,
            format!(
                "is too many points: their distance matrix needs {:.1} GiB (at most {} GiB); pass n_perm (a maxmin subsample, e.g. n_perm=2000) to compute on fewer points",
                bytes as f64 / (1u64 << 30) as f64,
                MAX_MATRIX_BYTES >> 30
            ),
        ));
    }
    Ok(())
}

/// Refuses a complex whose simplices of dimension 2 to `maxdim` would not fit: an upper bound
/// `Σ_v C(deg⁺(v), k)` on the `k`-simplices, `deg⁺(v)` the neighbours of `v` within the threshold
/// with a larger index.
fn check_simplices(dist: &[f32], n: usize, threshold: f32, maxdim: usize) -> Result<()> {
    if maxdim < 2 {
        return Ok(());
    }
    let degrees: Vec<u64> = (0..n).into_par_iter().map(|i| dist[i * n + i + 1..(i + 1) * n].iter().filter(|&&d| d <= threshold).count() as u64).collect();
    for k in 2..=maxdim {
        let bound: f64 = degrees.iter().map(|&d| binomial_f64(d, k as u64)).sum();
        if bound > MAX_SIMPLICES as f64 {
            return Err(Error::param(
                "maxdim",
                maxdim,
                format!(
                    "needs up to {bound:.3e} simplices of dimension {k} for {n} points at thresh = {threshold} (at most {MAX_SIMPLICES}): pass n_perm (a maxmin subsample of fewer points), a smaller thresh, or a lower maxdim"
                ),
            ));
        }
    }
    Ok(())
}

fn binomial_f64(n: u64, k: u64) -> f64 {
    if k > n {
        return 0.0;
    }
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

fn count_edges(dist: &[f32], n: usize, threshold: f32) -> usize {
    (0..n).into_par_iter().map(|i| dist[i * n + i + 1..(i + 1) * n].iter().filter(|&&d| d <= threshold).count()).sum()
}

/// The full `n × n` matrix of `f32` distances between the rows of `data` (exactly symmetric,
/// zero diagonal). Euclidean distances are computed in `f64` first, as scikit-learn's
/// `pairwise_distances` that ripser.py calls, then rounded.
pub fn distance_matrix(data: &Data, metric: &Metric) -> Vec<f32> {
    let n = data.n_rows();
    match metric {
        Metric::Precomputed => {
            let mut d = data.as_slice().to_vec();
            mirror_upper(&mut d, n);
            d
        }
        Metric::Euclidean => euclidean_dissimilarities(data).into_par_iter().map(|v| v as f32).collect(),
        other => {
            let prepared = crate::metric::PreparedMetric::new(other.clone(), data.n_cols()).expect("metric fitted by the caller");
            let rows = prepared.rows(data.as_slice());
            let d = data.n_cols();
            let mut out = vec![0f32; n * n];
            out.par_chunks_mut(n.max(1)).enumerate().for_each(|(i, row)| {
                let a = &rows[i * d..(i + 1) * d];
                for (j, o) in row.iter_mut().enumerate().skip(i + 1) {
                    *o = prepared.distance(a, &rows[j * d..(j + 1) * d]);
                }
            });
            mirror_upper(&mut out, n);
            out
        }
    }
}

/// Copies the upper triangle onto the lower one and zeroes the diagonal.
fn mirror_upper(d: &mut [f32], n: usize) {
    for i in 0..n {
        d[i * n + i] = 0.0;
        for j in i + 1..n {
            d[j * n + i] = d[i * n + j];
        }
    }
}
