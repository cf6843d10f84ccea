//! Ollivier–Ricci curvature of the edges of a graph — the data's kNN graph — as
//! GraphRicciCurvature 0.6 (`OllivierRicci(G, alpha=0.5, method="OTD")`) computes it.
//!
//! For an edge `(x, y)`: each endpoint spreads a unit of mass, `α` (the idleness, default ½) on
//! itself and `1 − α` on its neighbours in proportion to `base^(−w^exp_power)` (`w` the edge's
//! weight; `base = e`, `exp_power = 2`; uniform when those weights sum below `1e-7`, as they do
//! for large distances). `W(m_x, m_y)` is the exact optimal transport (earth mover's) cost
//! between the two measures with the graph's shortest-path distances as ground cost, and
//! `κ(x, y) = 1 − W(m_x, m_y) / d(x, y)`, `d` the shortest-path distance (0 when `d < 1e-7`).
//! A point's curvature is the mean over its edges.
//!
//! The transport problems are small (one endpoint's neighbourhood against the other's): each
//! is solved exactly by successive shortest paths on the bipartite network ([`transport_cost`]),
//! the edges in parallel. The ground costs come from all-pairs shortest paths, so the graph is
//! limited to [`MAX_POINTS`] vertices.

use rayon::prelude::*;

use crate::data::Data;
use crate::error::{Error, Result};
use crate::graph::SparseGraph;
use crate::graph::shortest_paths::all_pairs_shortest_paths;
use crate::metric::Metric;
use crate::progress::Progress;

/// Most vertices (the all-pairs distance matrix, 4 bytes a pair).
pub const MAX_POINTS: usize = 20_000;
/// GraphRicciCurvature's threshold for a negligible weight sum or distance.
const EPSILON: f64 = 1e-7;

/// What [`ollivier_ricci`] computes, with GraphRicciCurvature's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct RicciParams {
    /// Neighbours of the kNN graph (symmetrised; default 10).
    pub n_neighbors: usize,
    /// Distance between rows, the edges' weights; [`Metric::Precomputed`] for a distance matrix.
    pub metric: Metric,
    /// Weigh the edges by the metric (`false`: every edge 1, the hop distance).
    pub weighted: bool,
    /// Idleness: the mass an endpoint keeps (`alpha`, default 0.5).
    pub alpha: f64,
    /// `base` of the neighbour weights `base^(−w^exp_power)` (default e).
    pub base: f64,
    /// `exp_power` of the neighbour weights (default 2).
    pub exp_power: f64,
    /// Seed of the approximate neighbour search.
    pub seed: Option<u64>,
    /// Worker threads; `None` = all cores.
    pub threads: Option<usize>,
}

impl Default for RicciParams {
    fn default() -> Self {
        RicciParams {
            n_neighbors: 10,
            metric: Metric::Euclidean,
            weighted: true,
            alpha: 0.5,
            base: std::f64::consts::E,
            exp_power: 2.0,
            seed: None,
            threads: None,
        }
    }
}

/// The result of [`ollivier_ricci`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RicciCurvature {
    /// The edges `(i, j)`, `i < j`, in increasing order.
    pub edges: Vec<[u32; 2]>,
    /// `κ` of each edge.
    pub edge_curvature: Vec<f64>,
    /// The mean `κ` of each vertex's edges (0 for a vertex without edges).
    pub node_curvature: Vec<f64>,
}

/// The exact optimal transport cost between `supply` (`m` masses) and `demand` (`n` masses, the
/// same total) with costs `cost` (`m × n` row-major, non-negative): successive shortest paths
/// with potentials on the complete bipartite network, each augmentation saturating a supply, a
/// demand or a reversed flow.
pub fn transport_cost(supply: &[f64], demand: &[f64], cost: &[f64]) -> f64 {
    let (m, n) = (supply.len(), demand.len());
    let total: f64 = supply.iter().sum();
    let tol = 1e-13 * total.max(f64::MIN_POSITIVE);
    let mut ra = supply.to_vec();
    let mut rb = demand.to_vec();
    let mut flow = vec![0f64; m * n];
    let mut pot = vec![0f64; m + n];
    let mut dist = vec![f64::INFINITY; m + n];
    let mut prev = vec![usize::MAX; m + n];
    let mut done = vec![false; m + n];
    loop {
        if ra.iter().all(|&a| a <= tol) || rb.iter().all(|&b| b <= tol) {
            break;
        }
        dist.fill(f64::INFINITY);
        prev.fill(usize::MAX);
        done.fill(false);
        for i in 0..m {
            if ra[i] > tol {
                dist[i] = 0.0;
            }
        }
        let mut target = usize::MAX;
        for _ in 0..m + n {
            let mut u = usize::MAX;
            for v in 0..m + n {
                if !done[v] && dist[v].is_finite() && (u == usize::MAX || dist[v] < dist[u]) {
                    u = v;
                }
            }
            if u == usize::MAX {
                break;
            }
            done[u] = true;
            if u >= m && rb[u - m] > tol {
                target = u;
                break;
            }
            if u < m {
                for j in 0..n {
                    let reduced = (cost[u * n + j] + pot[u] - pot[m + j]).max(0.0);
                    if dist[u] + reduced < dist[m + j] {
                        dist[m + j] = dist[u] + reduced;
                        prev[m + j] = u;
                    }
                }
            } else {
                let j = u - m;
                for i in 0..m {
                    if flow[i * n + j] > tol {
                        let reduced = (-cost[i * n + j] + pot[u] - pot[i]).max(0.0);
                        if dist[u] + reduced < dist[i] {
                            dist[i] = dist[u] + reduced;
                            prev[i] = u;
                        }
                    }
                }
            }
        }
        if target == usize::MAX {
            break;
        }
        let reach = dist[target];
        for v in 0..m + n {
            pot[v] += dist[v].min(reach);
        }
        // The bottleneck along the path, then the augmentation.
        let mut amount = rb[target - m];
        let mut v = target;
        while prev[v] != usize::MAX {
            let u = prev[v];
            if u >= m {
                amount = amount.min(flow[v * n + (u - m)]);
            }
            v = u;
        }
        amount = amount.min(ra[v]);
        ra[v] -= amount;
        rb[target - m] -= amount;
        let mut v = target;
        while prev[v] != usize::MAX {
            let u = prev[v];
            if u < m {
                flow[u * n + (v - m)] += amount;
            } else {
                flow[v * n + (u - m)] -= amount;
            }
            v = u;
        }
    }
    flow.iter().zip(cost).map(|(f, c)| f.max(0.0) * c).sum()
}

fn validate(params: &RicciParams) -> Result<()> {
    if !(0.0..=1.0).contains(&params.alpha) {
        return Err(Error::param("alpha", params.alpha, "must be in [0, 1]: the mass an endpoint keeps"));
    }
    if !(params.base.is_finite() && params.base > 0.0) {
        return Err(Error::param("base", params.base, "must be a positive finite number"));
    }
    if !params.exp_power.is_finite() {
        return Err(Error::param("exp_power", params.exp_power, "must be a finite number"));
    }
    crate::threads::check(params.threads)
}

/// Ollivier–Ricci curvature of the edges of the symmetric weighted graph `graph` (both
/// directions of every edge stored, no self-loops), with `alpha`, `base` and `exp_power` of
/// `params` (see the [module docs](self)).
///
/// # Errors
/// [`Error::InvalidParameter`] for `alpha` outside `[0, 1]`, a non-positive `base`;
/// [`Error::InvalidData`] for a graph that is not symmetric or has more than [`MAX_POINTS`]
/// vertices; [`Error::Cancelled`].
pub fn ollivier_ricci_graph(graph: &SparseGraph, params: &RicciParams, progress: &dyn Progress) -> Result<RicciCurvature> {
    validate(params)?;
    let n = graph.n_points();
    if n > MAX_POINTS {
        return Err(Error::InvalidData(format!("Ollivier–Ricci curvature needs all-pairs shortest paths: at most {MAX_POINTS} vertices, got {n}")));
    }
    if !graph.is_symmetric() {
        return Err(Error::InvalidData("Ollivier–Ricci curvature needs an undirected graph (a symmetric adjacency)".into()));
    }
    crate::threads::install(params.threads, || {
        progress.stage("shortest paths", n as u64);
        let d = all_pairs_shortest_paths(graph, progress)?;
        let d = d.as_slice();
        progress.finish_stage();
        progress.check()?;
        // Each vertex's measure: its neighbours' masses, then its own.
        let measures: Vec<(Vec<u32>, Vec<f64>)> = (0..n)
            .into_par_iter()
            .map(|x| {
                let (cols, w) = graph.row(x);
                let keep: Vec<usize> = (0..cols.len()).filter(|&e| cols[e] as usize != x).collect();
                let raw: Vec<f64> = keep.iter().map(|&e| params.base.powf(-f64::from(w[e]).powf(params.exp_power))).collect();
                let sum: f64 = raw.iter().sum();
                let mut support: Vec<u32> = keep.iter().map(|&e| cols[e]).collect();
                let mut mass: Vec<f64> = if keep.is_empty() {
                    Vec::new()
                } else if sum > EPSILON {
                    raw.iter().map(|r| (1.0 - params.alpha) * r / sum).collect()
                } else {
                    vec![(1.0 - params.alpha) / keep.len() as f64; keep.len()]
                };
                support.push(x as u32);
                mass.push(if keep.is_empty() { 1.0 } else { params.alpha });
                (support, mass)
            })
            .collect();
        let edges: Vec<[u32; 2]> = (0..n).flat_map(|x| graph.row(x).0.iter().filter(move |&&y| y as usize > x).map(move |&y| [x as u32, y])).collect();
        progress.stage("optimal transport", edges.len() as u64);
        let edge_curvature: Vec<f64> = edges
            .par_iter()
            .with_min_len(64)
            .map(|&[x, y]| {
                let (x, y) = (x as usize, y as usize);
                let dxy = f64::from(d[x * n + y]);
                if dxy < EPSILON {
                    return 0.0;
                }
                let (sx, mx) = &measures[x];
                let (sy, my) = &measures[y];
                let cost: Vec<f64> = sx.iter().flat_map(|&u| sy.iter().map(move |&v| f64::from(d[u as usize * n + v as usize]))).collect();
                1.0 - transport_cost(mx, my, &cost) / dxy
            })
            .collect();
        progress.finish_stage();
        let mut sum = vec![0f64; n];
        let mut count = vec![0usize; n];
        for (&[x, y], &k) in edges.iter().zip(&edge_curvature) {
            for v in [x as usize, y as usize] {
                sum[v] += k;
                count[v] += 1;
            }
        }
        let node_curvature = sum.iter().zip(&count).map(|(&s, &c)| if c > 0 { s / c as f64 } else { 0.0 }).collect();
        Ok(RicciCurvature { edges, edge_curvature, node_curvature })
    })?
}

/// Ollivier–Ricci curvature of the kNN graph of the rows of `data` (symmetrised, edges weighted
/// by the metric unless `weighted` is false), and per point the mean of its edges.
///
/// ```
/// use unfold_learn::prelude::*;
/// use unfold_learn::measure::curvature::{RicciParams, ollivier_ricci};
/// // Six points of a line, one neighbour each side: a path, whose inner edges are flat.
/// let x: Vec<f32> = (0..6).map(|i| i as f32).collect();
/// let p = RicciParams { n_neighbors: 1, weighted: false, ..RicciParams::default() };
/// let r = ollivier_ricci(&Data::from_row_major(&x, 6, 1)?, &p, &NoProgress)?;
/// assert_eq!(r.edges.len(), 5);
/// assert!(r.edge_curvature[2].abs() < 1e-12);
/// # Ok::<(), unfold_learn::Error>(())
/// ```
///
/// # Errors
/// As [`ollivier_ricci_graph`]; [`Error::InvalidParameter`] for `n_neighbors` outside
/// `[1, n − 1]` or a metric that does not fit the data; [`Error::InvalidData`] for a bad
/// precomputed matrix.
pub fn ollivier_ricci(data: &Data, params: &RicciParams, progress: &dyn Progress) -> Result<RicciCurvature> {
    validate(params)?;
    let n = data.n_rows();
    if params.metric == Metric::Precomputed {
        super::topology::check_distance_matrix(data)?;
    }
    if params.n_neighbors == 0 || params.n_neighbors >= n {
        return Err(Error::param("n_neighbors", params.n_neighbors, format!("must be in [1, n_samples - 1 = {}]", n.saturating_sub(1))));
    }
    if n > MAX_POINTS {
        return Err(Error::InvalidData(format!(
            "Ollivier–Ricci curvature needs all-pairs shortest paths: at most {MAX_POINTS} points, got {n}; subsample the rows"
        )));
    }
    let mut graph =
        crate::threads::install(params.threads, || super::hyperbolicity::knn_graph_of(data, &params.metric, params.n_neighbors, params.seed, progress))??;
    if !params.weighted {
        let (n, indptr, indices, weights) = graph.into_parts();
        graph = SparseGraph::from_parts(n, indptr, indices, vec![1.0; weights.len()])?;
    }
    ollivier_ricci_graph(&graph, params, progress)
}
