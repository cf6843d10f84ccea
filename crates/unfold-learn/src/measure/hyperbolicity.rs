//! Gromov δ-hyperbolicity of a finite metric space: the rows under a metric, a precomputed
//! distance matrix, or the geodesic (shortest-path) distances of the data's kNN graph.
//!
//! **The definition used: the four-point δ, a maximum over quadruples.** For points
//! `x, y, z, w` let `S₁ ≥ S₂ ≥ S₃` be the three sums `d(x,y) + d(z,w)`, `d(x,z) + d(y,w)`,
//! `d(x,w) + d(y,z)`; `δ(x,y,z,w) = (S₁ − S₂) / 2` and `δ = max δ(x,y,z,w)` over all quadruples.
//! Trees (and every metric tree) have `δ = 0`; the cycle `C_4k` has `δ = k`. (Some authors leave
//! out the `½`; their δ is twice this one.)
//!
//! **The base-point δ** `δ_w = max_{x,y,z} [min((x|z)_w, (y|z)_w) − (x|y)_w]`, with the Gromov
//! product `(x|y)_w = (d(x,w) + d(y,w) − d(x,y)) / 2`, is the maximum of `δ(x,y,z,w)` over the
//! quadruples that contain `w`, so `δ_w ≤ δ ≤ 2 δ_w` (Gromov). It is one `(max, min)` matrix
//! product of the Gromov products, `O(n³)` ([`base_point_delta`]).
//!
//! **Exact δ** ([`HyperbolicityMethod::Exact`], up to [`EXACT_MAX`] points): the pruned
//! enumeration of Cohen, Coudert & Lancin ("On computing the Gromov hyperbolicity", 2015). The
//! pairs are visited by decreasing distance; a quadruple is scored when the later of its two
//! pairs of largest sum `S₁` is reached, and since `δ(x,y,z,w) ≤ min(d(x,y), d(z,w)) / 2`, the
//! search stops at the first pair shorter than twice the best δ found. It starts from the base
//! point δ of an end of the longest pair, and stops as soon as it reaches the upper bound
//! `2 δ_w` (at once when `δ_w = 0`, as on trees). The worst case stays `O(n⁴)`.
//!
//! **Sampled δ** ([`HyperbolicityMethod::Sampled`]): the largest `δ(x,y,z,w)` over `n_samples`
//! seeded quadruples of distinct points, a lower bound on δ; the number of quadruples is
//! reported.

use rayon::prelude::*;

use crate::data::Data;
use crate::error::{Error, Result};
use crate::graph::{SparseGraph, Symmetrization, symmetrize};
use crate::knn::{KnnParams, knn_graph};
use crate::metric::Metric;
use crate::progress::Progress;
use crate::rng::{SeedSource, below};

/// Most points for the exact four-point δ.
pub const EXACT_MAX: usize = 2000;
/// Most points whose distance matrix is built (`f32`, 4 bytes a pair).
pub const MAX_POINTS: usize = 40_000;

/// How δ is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HyperbolicityMethod {
    /// Exact up to [`EXACT_MAX`] points, sampled above.
    Auto,
    /// The exact four-point δ (pruned enumeration).
    Exact,
    /// The largest four-point δ of `n_samples` random quadruples (a lower bound).
    Sampled,
}

/// What [`hyperbolicity`] computes.
#[derive(Debug, Clone, PartialEq)]
pub struct HyperbolicityParams {
    /// Distance between rows; [`Metric::Precomputed`] when the data is a distance matrix.
    pub metric: Metric,
    /// Geodesic distances on the kNN graph of this many neighbours (symmetrised, edges weighted
    /// by the metric); `None`: the metric's distances themselves.
    pub n_neighbors: Option<usize>,
    /// Exact or sampled.
    pub method: HyperbolicityMethod,
    /// Quadruples drawn by the sampled method.
    pub n_samples: usize,
    /// Seed of the sampled quadruples and of the approximate neighbour search.
    pub seed: Option<u64>,
    /// Worker threads; `None` = all cores.
    pub threads: Option<usize>,
}

impl Default for HyperbolicityParams {
    fn default() -> Self {
        HyperbolicityParams { metric: Metric::Euclidean, n_neighbors: None, method: HyperbolicityMethod::Auto, n_samples: 1_000_000, seed: None, threads: None }
    }
}

/// The result of [`hyperbolicity`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Hyperbolicity {
    /// The four-point δ (exact), or the largest over the sampled quadruples.
    pub delta: f64,
    /// `"exact"` or `"sampled"`.
    pub method: &'static str,
    /// A quadruple attaining `delta`.
    pub quadruple: [usize; 4],
    /// The largest distance; `delta / diameter` is scale-free (at most ½).
    pub diameter: f64,
    /// Quadruples scored (the sampled method's draws; the exact method's enumerated ones).
    pub n_quadruples: u64,
    /// The base point of the exact method's bounds, and its δ_w (`δ_w ≤ δ ≤ 2 δ_w`).
    pub base_point: Option<usize>,
    /// `δ_w` of `base_point`.
    pub delta_base_point: Option<f64>,
}

/// `δ(x,y,z,w) = (S₁ − S₂) / 2` from the three pair sums.
#[inline]
fn four_point(d: &[f32], n: usize, x: usize, y: usize, z: usize, w: usize) -> f64 {
    let at = |a: usize, b: usize| f64::from(d[a * n + b]);
    let s1 = at(x, y) + at(z, w);
    let s2 = at(x, z) + at(y, w);
    let s3 = at(x, w) + at(y, z);
    let (hi, mid) = if s1 >= s2 {
        if s2 >= s3 {
            (s1, s2)
        } else if s1 >= s3 {
            (s1, s3)
        } else {
            (s3, s1)
        }
    } else if s1 >= s3 {
        (s2, s1)
    } else if s2 >= s3 {
        (s2, s3)
    } else {
        (s3, s2)
    };
    (hi - mid) / 2.0
}

/// The four-point δ of one quadruple of the `n × n` distance matrix `d` (row-major).
pub fn quadruple_delta(d: &[f32], n: usize, q: [usize; 4]) -> f64 {
    four_point(d, n, q[0], q[1], q[2], q[3])
}

/// The base-point δ_w of the `n × n` distance matrix `d` (see the [module docs](self)): one
/// `(max, min)` product of the Gromov products at `w`, rows in parallel.
pub fn base_point_delta(d: &[f32], n: usize, w: usize) -> f64 {
    let dw = &d[w * n..(w + 1) * n];
    let g: Vec<f64> = (0..n * n).into_par_iter().map(|e| (f64::from(dw[e / n]) + f64::from(dw[e % n]) - f64::from(d[e])) / 2.0).collect();
    (0..n)
        .into_par_iter()
        .map(|x| {
            let gx = &g[x * n..(x + 1) * n];
            let mut best = f64::NEG_INFINITY;
            for y in 0..n {
                let gy = &g[y * n..(y + 1) * n];
                let m = gx.iter().zip(gy).fold(f64::NEG_INFINITY, |m, (&a, &b)| m.max(a.min(b)));
                best = best.max(m - gx[y]);
            }
            best
        })
        .reduce(|| f64::NEG_INFINITY, f64::max)
        .max(0.0)
}

/// The best of two scored quadruples: the larger δ, then the earlier in the visiting order.
fn better(a: (f64, u64), b: (f64, u64)) -> (f64, u64) {
    if b.0 > a.0 || (b.0 == a.0 && b.1 < a.1) { b } else { a }
}

/// The exact four-point δ of the `n × n` distance matrix `d` (see the [module docs](self)).
fn exact_delta(d: &[f32], n: usize, progress: &dyn Progress) -> Result<Hyperbolicity> {
    let mut pairs: Vec<(f32, u32, u32)> = (0..n).flat_map(|i| (i + 1..n).map(move |j| (d[i * n + j], i as u32, j as u32))).collect();
    pairs.par_sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let diameter = pairs.first().map_or(0.0, |p| f64::from(p.0));
    let w = pairs[0].1 as usize;
    let delta_w = base_point_delta(d, n, w);
    let upper = 2.0 * delta_w;
    // The base point's best quadruple is not kept: start below it so that one is found.
    let mut best = (f64::NEG_INFINITY, u64::MAX);
    let mut lower = delta_w;
    let mut scored: u64 = 0;
    let found = |i: usize, j: usize| -> f64 {
        let (_, a, b) = pairs[i];
        let (_, c, e) = pairs[j];
        four_point(d, n, a as usize, b as usize, c as usize, e as usize)
    };
    progress.stage("four-point enumeration", 0);
    for (i, pair) in pairs.iter().enumerate().skip(1) {
        if f64::from(pair.0) / 2.0 <= lower || lower >= upper {
            break;
        }
        if i % 4096 == 0 {
            progress.check()?;
        }
        let local = if i < 2048 {
            (0..i).map(|j| (found(i, j), ((i as u64) << 32) | j as u64)).fold((f64::NEG_INFINITY, u64::MAX), better)
        } else {
            (0..i).into_par_iter().with_min_len(1024).map(|j| (found(i, j), ((i as u64) << 32) | j as u64)).reduce(|| (f64::NEG_INFINITY, u64::MAX), better)
        };
        scored += i as u64;
        best = better(best, local);
        lower = lower.max(best.0);
    }
    progress.finish_stage();
    let (delta, quadruple) = if best.0 >= delta_w && best.1 != u64::MAX {
        let (i, j) = ((best.1 >> 32) as usize, (best.1 & 0xffff_ffff) as usize);
        (best.0, [pairs[i].1 as usize, pairs[i].2 as usize, pairs[j].1 as usize, pairs[j].2 as usize])
    } else {
        // Nothing beat δ_w (the enumeration stopped at once): δ = δ_w, found at w.
        let q = base_point_quadruple(d, n, w, delta_w);
        (delta_w, q)
    };
    Ok(Hyperbolicity { delta, method: "exact", quadruple, diameter, n_quadruples: scored, base_point: Some(w), delta_base_point: Some(delta_w) })
}

/// A quadruple containing `w` whose δ is `target` (the base point's best), by search.
fn base_point_quadruple(d: &[f32], n: usize, w: usize, target: f64) -> [usize; 4] {
    let found = (0..n)
        .into_par_iter()
        .find_first(|&x| (x + 1..n).any(|y| (y + 1..n).any(|z| (four_point(d, n, x, y, z, w) - target).abs() <= 1e-12 * target.max(1.0))));
    let x = found.unwrap_or(0);
    for y in x + 1..n {
        for z in y + 1..n {
            if (four_point(d, n, x, y, z, w) - target).abs() <= 1e-12 * target.max(1.0) {
                return [x, y, z, w];
            }
        }
    }
    [0, 1, 2, w]
}

/// The largest four-point δ of `n_samples` seeded quadruples of distinct points.
fn sampled_delta(d: &[f32], n: usize, n_samples: usize, seed: Option<u64>) -> Hyperbolicity {
    let seeds = SeedSource::new(seed);
    let draw = |s: usize| -> [usize; 4] {
        let mut q = [0usize; 4];
        let mut sorted = [0usize; 4];
        for k in 0..4 {
            let mut v = below(seeds.value(0x4e7b_0001, (4 * s + k) as u64), n - k);
            // Skip the points already drawn, in increasing order, so all four are distinct.
            for &p in sorted[..k].iter() {
                if v >= p {
                    v += 1;
                }
            }
            q[k] = v;
            sorted[k] = v;
            sorted[..=k].sort_unstable();
        }
        q
    };
    let best = (0..n_samples)
        .into_par_iter()
        .with_min_len(4096)
        .map(|s| {
            let q = draw(s);
            (quadruple_delta(d, n, q), s as u64)
        })
        .reduce(|| (f64::NEG_INFINITY, u64::MAX), better);
    let diameter = d.par_iter().map(|&v| f64::from(v)).reduce(|| 0.0, f64::max);
    Hyperbolicity {
        delta: best.0.max(0.0),
        method: "sampled",
        quadruple: draw(best.1 as usize),
        diameter,
        n_quadruples: n_samples as u64,
        base_point: None,
        delta_base_point: None,
    }
}

/// The distance matrix δ is measured on (`f32`, row-major): the metric's, the precomputed one,
/// or the kNN graph's shortest paths.
fn distances(data: &Data, params: &HyperbolicityParams, progress: &dyn Progress) -> Result<Vec<f32>> {
    let n = data.n_rows();
    let precomputed = params.metric == Metric::Precomputed;
    if precomputed {
        super::topology::check_distance_matrix(data)?;
    }
    match params.n_neighbors {
        None => {
            let metric = if precomputed { Metric::Precomputed } else { params.metric.fitted(data)? };
            progress.stage("distances", 0);
            let d = super::topology::distance_matrix(data, &metric);
            progress.finish_stage();
            Ok(d)
        }
        Some(k) => {
            if k == 0 || k >= n {
                return Err(Error::param("n_neighbors", k, format!("must be in [1, n_samples - 1 = {}]", n.saturating_sub(1))));
            }
            let graph = knn_graph_of(data, &params.metric, k, params.seed, progress)?;
            progress.stage("geodesic distances", n as u64);
            let d = crate::graph::shortest_paths::all_pairs_shortest_paths(&graph, progress)?;
            progress.finish_stage();
            if let Some(e) = d.iter().position(|v| v.is_infinite()) {
                return Err(Error::param(
                    "n_neighbors",
                    k,
                    format!("gives a disconnected kNN graph (no path from point {} to point {}): δ needs finite distances; use more neighbours", e / n, e % n),
                ));
            }
            Ok(d)
        }
    }
}

/// The symmetrised (max) kNN graph of `k` neighbours of the rows of `data`, its edges weighted
/// by `metric` (for [`Metric::Precomputed`], the `k` smallest entries of each row, ties to the
/// lower column). `k` must be in `[1, n − 1]`.
pub(crate) fn knn_graph_of(data: &Data, metric: &Metric, k: usize, seed: Option<u64>, progress: &dyn Progress) -> Result<SparseGraph> {
    let n = data.n_rows();
    if *metric == Metric::Precomputed {
        let mut indptr = vec![0usize];
        let (mut indices, mut weights) = (Vec::new(), Vec::new());
        for i in 0..n {
            let row = data.row(i);
            let mut order: Vec<u32> = (0..n as u32).filter(|&j| j as usize != i).collect();
            order.sort_by(|&a, &b| row[a as usize].total_cmp(&row[b as usize]).then(a.cmp(&b)));
            let mut kept: Vec<u32> = order[..k].to_vec();
            kept.sort_unstable();
            weights.extend(kept.iter().map(|&j| row[j as usize]));
            indices.extend(kept);
            indptr.push(indices.len());
        }
        symmetrize(&SparseGraph::from_parts(n, indptr, indices, weights)?, Symmetrization::Max)
    } else {
        let knn = knn_graph(data, &KnnParams { k, metric: metric.clone(), seed, ..KnnParams::default() }, progress)?;
        symmetrize(&SparseGraph::from_knn(&knn), Symmetrization::Max)
    }
}

/// Gromov δ-hyperbolicity of the rows of `data` (see the [module docs](self)).
///
/// ```
/// use unfold_learn::prelude::*;
/// use unfold_learn::measure::hyperbolicity::{HyperbolicityParams, hyperbolicity};
/// // Points on a line are a tree: δ = 0.
/// let x: Vec<f32> = (0..30).map(|i| (i * i) as f32).collect();
/// let h = hyperbolicity(&Data::from_row_major(&x, 30, 1)?, &HyperbolicityParams::default(), &NoProgress)?;
/// assert_eq!(h.delta, 0.0);
/// # Ok::<(), unfold_learn::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] for `n_samples = 0`, `n_neighbors` outside `[1, n − 1]` or
/// giving a disconnected graph, the exact method above [`EXACT_MAX`] points, more than
/// [`MAX_POINTS`] points, a metric that does not fit the data; [`Error::InvalidData`] for fewer
/// than 4 points or a bad precomputed matrix; [`Error::Cancelled`].
pub fn hyperbolicity(data: &Data, params: &HyperbolicityParams, progress: &dyn Progress) -> Result<Hyperbolicity> {
    crate::threads::check(params.threads)?;
    let n = data.n_rows();
    if n < 4 {
        return Err(Error::InvalidData(format!("δ-hyperbolicity needs at least 4 points (a quadruple), got {n}")));
    }
    if params.n_samples == 0 {
        return Err(Error::param("n_samples", 0, "must be at least 1"));
    }
    if n > MAX_POINTS {
        return Err(Error::InvalidData(format!("δ-hyperbolicity builds the full distance matrix: at most {MAX_POINTS} points, got {n}; subsample the rows")));
    }
    let exact = match params.method {
        HyperbolicityMethod::Auto => n <= EXACT_MAX,
        HyperbolicityMethod::Exact if n > EXACT_MAX => {
            return Err(Error::param("method", "exact", format!("is offered up to {EXACT_MAX} points (got {n}); use method=sampled")));
        }
        HyperbolicityMethod::Exact => true,
        HyperbolicityMethod::Sampled => false,
    };
    crate::threads::install(params.threads, || {
        let d = distances(data, params, progress)?;
        progress.check()?;
        if exact { exact_delta(&d, n, progress) } else { Ok(sampled_delta(&d, n, params.n_samples, params.seed)) }
    })?
}
