//! A per-point sectional curvature estimate from distances alone, by triangle comparison (Gu,
//! Sala, Gunel & Ré 2019, "Learning Mixed-Curvature Representations in Product Spaces", §3.2;
//! the estimate Manify's `curvature_estimation.sectional_curvature` module is built on).
//!
//! In a space of constant curvature `K`, the median `a m` of a geodesic triangle `a b c` (`m` the
//! midpoint of `b c`) is longer than the flat one when `K > 0` and shorter when `K < 0`. For a
//! point `m`, two of its graph neighbours `b, c` and a reference point `a`,
//!
//! `ξ(m; b, c; a) = (d(a,m)² + d(b,c)²/4 − (d(a,b)² + d(a,c)²)/2) / (2 d(a,m))`
//!
//! is zero in the plane when `m` is the midpoint, `≤ 0` on a tree (it is `0` or `−d(b,m)` on a
//! tree of unit edges) and positive on a sphere. The estimate at `m` is the mean of `ξ` over the
//! pairs `b < c` of `m`'s neighbours and over the reference points `a` with `d(a, m) > 0` (so
//! never `m` itself; Manify's `K` counts `a = m` as a zero instead, a factor `(n − 1)/n`).
//!
//! * **Graph.** The neighbours are those of the symmetrised kNN graph of `n_neighbors` (Manify
//!   uses the graph's edges `G.edges(m)`); for a precomputed matrix, the `n_neighbors` smallest
//!   entries of each row, symmetrised.
//! * **Distances.** The kNN graph's shortest paths (edges weighted by the metric), or the
//!   precomputed matrix as given (a tree's or a sphere's geodesic distances, say).
//! * **References.** `n_samples` points drawn once from the seed and shared by every point, or
//!   all points (`None`, or `n_samples ≥ n`: the exact average, no randomness). Geodesic mode runs
//!   one Dijkstra per reference, and one local Dijkstra from each neighbour `b` of each point that
//!   stops when the later neighbours `c` are settled (they lie within `d(b,m) + d(m,c)`).
//!
//! Points with fewer than two neighbours (possible with `n_neighbors = 1`) have no triangle:
//! their estimate is reported as 0 and counted in `n_without_pairs`; the global figure is the
//! mean over the others. The points run in parallel, each summed in a fixed order, so a seeded
//! result is bit-identical at any thread count.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rayon::prelude::*;

use crate::data::Data;
use crate::error::{Error, Result};
use crate::graph::SparseGraph;
use crate::graph::shortest_paths::shortest_path_rows;
use crate::metric::Metric;
use crate::progress::Progress;
use crate::rng::{SeedSource, sample_sorted};

/// Most reference-distance entries kept (`references × points`, 4 bytes each).
pub const MAX_REFERENCE_ENTRIES: usize = 400_000_000;
/// The seed stage of the reference points.
const STAGE_REFERENCES: u64 = 0x5EC7_10A1;

/// What [`sectional_curvature`] computes.
#[derive(Debug, Clone, PartialEq)]
pub struct SectionalParams {
    /// Neighbours of the kNN graph (symmetrised), whose pairs `b, c` make the triangles
    /// (Manify's `k_neighbors`, default 5).
    pub n_neighbors: usize,
    /// Distance between rows, the edges' weights; [`Metric::Precomputed`] for a distance matrix,
    /// whose entries are then the distances themselves.
    pub metric: Metric,
    /// Reference points `a`, drawn once from the seed (default 100, Manify's `n_samples`);
    /// `None`: every point.
    pub n_samples: Option<usize>,
    /// Seed of the reference points and of the approximate neighbour search.
    pub seed: Option<u64>,
    /// Worker threads; `None` = all cores.
    pub threads: Option<usize>,
}

impl Default for SectionalParams {
    fn default() -> Self {
        SectionalParams { n_neighbors: 5, metric: Metric::Euclidean, n_samples: Some(100), seed: None, threads: None }
    }
}

/// The result of [`sectional_curvature`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SectionalCurvature {
    /// Each point's estimate (0 for a point with fewer than two neighbours).
    pub per_point: Vec<f64>,
    /// The mean over the points that have an estimate.
    pub mean: f64,
    /// The reference points, increasing.
    pub references: Vec<usize>,
    /// Points with fewer than two neighbours (no triangle, no estimate).
    pub n_without_pairs: usize,
}

/// `ξ(m; b, c; a)` summed over the references, from `d(a, m)`, `d(a, b)`, `d(a, c)` (one entry
/// per reference) and `d(b, c)`; references at distance 0 from `m` are left out.
#[inline]
fn xi_sum(am: &[f32], ab: &[f32], ac: &[f32], bc: f64) -> f64 {
    let quarter_bc2 = bc * bc / 4.0;
    let mut sum = 0.0;
    for ((&am, &ab), &ac) in am.iter().zip(ab).zip(ac) {
        let (am, ab, ac) = (f64::from(am), f64::from(ab), f64::from(ac));
        if am > 0.0 {
            sum += (am * am + quarter_bc2 - (ab * ab + ac * ac) / 2.0) / (2.0 * am);
        }
    }
    sum
}

/// A Dijkstra from one source that stops once given targets are settled, touching only the
/// vertices it reaches (its buffers are reused from call to call).
struct LocalDijkstra {
    dist: Vec<f32>,
    touched: Vec<u32>,
    heap: BinaryHeap<Reverse<(OrdF32, u32)>>,
}

#[derive(Clone, Copy, PartialEq)]
struct OrdF32(f32);
impl Eq for OrdF32 {}
impl PartialOrd for OrdF32 {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for OrdF32 {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

impl LocalDijkstra {
    fn new(n: usize) -> Self {
        LocalDijkstra { dist: vec![f32::INFINITY; n], touched: Vec::new(), heap: BinaryHeap::new() }
    }

    /// The geodesic distances from `source` to each of `targets`, written to `out`.
    fn run(&mut self, graph: &SparseGraph, source: u32, targets: &[u32], out: &mut [f32]) {
        out.fill(f32::INFINITY);
        let mut left = targets.len();
        self.dist[source as usize] = 0.0;
        self.touched.push(source);
        self.heap.push(Reverse((OrdF32(0.0), source)));
        while let Some(Reverse((OrdF32(d), u))) = self.heap.pop() {
            if d > self.dist[u as usize] {
                continue;
            }
            if let Some(t) = targets.iter().position(|&t| t == u)
                && out[t].is_infinite()
            {
                out[t] = d;
                left -= 1;
                if left == 0 {
                    break;
                }
            }
            let (cols, weights) = graph.row(u as usize);
            for (&v, &w) in cols.iter().zip(weights) {
                let nd = d + w;
                let slot = &mut self.dist[v as usize];
                if nd < *slot {
                    if slot.is_infinite() {
                        self.touched.push(v);
                    }
                    *slot = nd;
                    self.heap.push(Reverse((OrdF32(nd), v)));
                }
            }
        }
        for &v in &self.touched {
            self.dist[v as usize] = f32::INFINITY;
        }
        self.touched.clear();
        self.heap.clear();
    }
}

fn validate(params: &SectionalParams, n: usize) -> Result<()> {
    if params.n_neighbors == 0 || params.n_neighbors >= n {
        return Err(Error::param("n_neighbors", params.n_neighbors, format!("must be in [1, n_samples - 1 = {}]", n.saturating_sub(1))));
    }
    if params.n_samples == Some(0) {
        return Err(Error::param("n_samples", 0, "must be at least 1 (reference points), or None for every point"));
    }
    crate::threads::check(params.threads)
}

/// The per-point triangle-comparison sectional curvature of the rows of `data` (see the
/// [module docs](self)).
///
/// ```
/// use unfold_learn::prelude::*;
/// use unfold_learn::measure::sectional::{SectionalParams, sectional_curvature};
/// // A path of 8 points, one neighbour a side: every inner point is the midpoint of its
/// // neighbours and the path is a tree, so every estimate is 0.
/// let x: Vec<f32> = (0..8).map(|i| i as f32).collect();
/// let p = SectionalParams { n_neighbors: 1, n_samples: None, ..SectionalParams::default() };
/// let s = sectional_curvature(&Data::from_row_major(&x, 8, 1)?, &p, &NoProgress)?;
/// assert!(s.per_point.iter().all(|k| k.abs() < 1e-12));
/// # Ok::<(), unfold_learn::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] for `n_neighbors` outside `[1, n − 1]` or giving a disconnected
/// kNN graph, `n_samples = 0` or more reference distances than [`MAX_REFERENCE_ENTRIES`], a
/// metric that does not fit the data; [`Error::InvalidData`] for fewer than 3 points, a bad
/// precomputed matrix or a point whose references all lie at distance 0; [`Error::Cancelled`].
pub fn sectional_curvature(data: &Data, params: &SectionalParams, progress: &dyn Progress) -> Result<SectionalCurvature> {
    let n = data.n_rows();
    if n < 3 {
        return Err(Error::InvalidData(format!("sectional curvature needs at least 3 points (a triangle), got {n}")));
    }
    validate(params, n)?;
    let precomputed = params.metric == Metric::Precomputed;
    if precomputed {
        super::topology::check_distance_matrix(data)?;
    }
    let references = match params.n_samples {
        Some(s) if s < n => sample_sorted(n, s, &SeedSource::new(params.seed), STAGE_REFERENCES),
        _ => (0..n).collect(),
    };
    let r = references.len();
    let all = r == n;
    if !(precomputed && all) && r.saturating_mul(n) > MAX_REFERENCE_ENTRIES {
        return Err(Error::param(
            "n_samples",
            r,
            format!("keeps n_samples × {n} points reference distances, at most {MAX_REFERENCE_ENTRIES}: use at most {}", MAX_REFERENCE_ENTRIES / n),
        ));
    }
    crate::threads::install(params.threads, || {
        let graph = super::hyperbolicity::knn_graph_of(data, &params.metric, params.n_neighbors, params.seed, progress)?;
        progress.check()?;
        // `columns[v * r + i]` = d(reference i, v); a precomputed matrix with every point as a
        // reference is used as it is.
        let columns: Vec<f32> = if precomputed {
            if all { Vec::new() } else { (0..n).flat_map(|v| references.iter().map(move |&a| data.row(v)[a])).collect() }
        } else {
            progress.stage("reference distances", 0);
            let sources: Vec<u32> = references.iter().map(|&a| a as u32).collect();
            let mut rows = vec![0f32; r * n];
            shortest_path_rows(&graph, &sources, &mut rows)?;
            progress.finish_stage();
            if let Some(e) = rows.iter().position(|v| v.is_infinite()) {
                return Err(Error::param(
                    "n_neighbors",
                    params.n_neighbors,
                    format!("gives a disconnected kNN graph (no path from point {} to point {}): use more neighbours", references[e / n], e % n),
                ));
            }
            let mut columns = vec![0f32; n * r];
            columns.par_chunks_mut(r).enumerate().for_each(|(v, col)| {
                for (i, c) in col.iter_mut().enumerate() {
                    *c = rows[i * n + v];
                }
            });
            columns
        };
        let column = |v: usize| -> &[f32] { if precomputed && all { data.row(v) } else { &columns[v * r..(v + 1) * r] } };
        progress.check()?;
        progress.stage("sectional curvature", n as u64);
        let estimates: Vec<Option<f64>> = (0..n)
            .into_par_iter()
            .with_min_len(16)
            .map_init(
                || (LocalDijkstra::new(if precomputed { 0 } else { n }), Vec::<u32>::new(), Vec::<f32>::new()),
                |(dijkstra, nbrs, bc), m| {
                    if m % 256 == 0 {
                        progress.inc(256.min(n - m) as u64);
                    }
                    nbrs.clear();
                    nbrs.extend(graph.row(m).0.iter().copied().filter(|&v| v as usize != m));
                    if nbrs.len() < 2 {
                        return Ok(None);
                    }
                    let am = column(m);
                    let valid = am.iter().filter(|&&d| d > 0.0).count();
                    if valid == 0 {
                        return Err(Error::InvalidData(format!(
                            "sectional curvature: every reference point lies at distance 0 from point {m}; use more references (n_samples)"
                        )));
                    }
                    let mut total = 0.0;
                    let mut pairs = 0usize;
                    for i in 0..nbrs.len() - 1 {
                        let b = nbrs[i] as usize;
                        let later = &nbrs[i + 1..];
                        bc.resize(later.len(), 0.0);
                        if precomputed {
                            for (slot, &c) in bc.iter_mut().zip(later) {
                                *slot = data.row(b)[c as usize];
                            }
                        } else {
                            dijkstra.run(&graph, b as u32, later, bc);
                        }
                        for (&c, &dbc) in later.iter().zip(bc.iter()) {
                            total += xi_sum(am, column(b), column(c as usize), f64::from(dbc));
                            pairs += 1;
                        }
                    }
                    Ok(Some(total / (pairs * valid) as f64))
                },
            )
            .collect::<Result<_>>()?;
        progress.finish_stage();
        let n_without_pairs = estimates.iter().filter(|e| e.is_none()).count();
        let with: Vec<f64> = estimates.iter().filter_map(|&e| e).collect();
        let mean = if with.is_empty() { 0.0 } else { with.iter().sum::<f64>() / with.len() as f64 };
        Ok(SectionalCurvature { per_point: estimates.into_iter().map(|e| e.unwrap_or(0.0)).collect(), mean, references, n_without_pairs })
    })?
}
