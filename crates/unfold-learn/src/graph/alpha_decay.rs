//! The α-decay kernel of PHATE (Moon et al., "Visualizing structure and transitions in
//! high-dimensional biological data", Nature Biotechnology 2019) as graphtools builds it: the
//! kernel PHATE and the heat-geodesic embedding share.
//!
//! Each point `i` has its own bandwidth `σ_i`, the distance to its `knn`-th nearest other point,
//! and `K_ij = exp(−(d_ij / σ_i)^decay)`. Entries below `thresh` are dropped; since the kernel
//! falls below `thresh` exactly at `r_i = σ_i (−ln thresh)^(1/decay)`, row `i` holds every point
//! within `r_i`. As graphtools, the search starts with `6 (knn + 1)` neighbours (the point
//! itself counted) and any row whose farthest found neighbour is still inside `r_i` is completed
//! by a full pass over the points: the kernel is the exact thresholded one (graphtools grows its
//! search, then a radius search, to the same end). The self-affinity is 1, and the directed
//! kernel is symmetrised as `(K + Kᵀ)/2` (graphtools' default `"+"`).
//!
//! New points ([`AlphaDecayKernel::rows_to`]) get a bandwidth from their `knn`-th nearest
//! training point (there is no self-pair) and their thresholded kernel row to the training
//! points, unsymmetrised (graphtools' `build_kernel_to_data`).

use rayon::prelude::*;

use super::csr::SparseGraph;
use super::symmetrize::{Symmetrization, symmetrize};
use crate::data::Data;
use crate::error::{Error, Result};
use crate::knn::search::NeighborIndex;
use crate::knn::{KnnAlgorithm, KnnGraph, KnnParams, exact_is_faster, knn_graph};
use crate::metric::Metric;
use crate::progress::Progress;

/// graphtools' growth factor of the neighbour search (`search_multiplier`).
const SEARCH_MULTIPLIER: usize = 6;

/// The α-decay kernel's parameters: `knn`, `decay` and `thresh` (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AlphaDecayKernel {
    /// The bandwidth is the distance to the `knn`-th nearest other point.
    pub knn: usize,
    /// The decay exponent α.
    pub decay: f64,
    /// Kernel values below this are dropped (raised to `f64::EPSILON` if below it, as graphtools).
    pub thresh: f64,
}

impl AlphaDecayKernel {
    /// `r / σ`: the distance, in bandwidths, beyond which the kernel is below `thresh`.
    pub fn radius_factor(&self) -> f64 {
        (-self.thresh.max(f64::EPSILON).ln()).powf(1.0 / self.decay)
    }

    /// The kernel value at distance `d` with bandwidth `sigma`, or `None` below `thresh`.
    fn value(&self, d: f64, sigma: f64) -> Option<f64> {
        let v = (-(d / sigma).powf(self.decay)).exp();
        let v = if v.is_nan() { 1.0 } else { v };
        (v >= self.thresh.max(f64::EPSILON)).then_some(v)
    }

    /// The symmetrised kernel of the rows of `data` under `metric` (`n ≥ knn + 2`), each
    /// point's bandwidth `σ_i` and the neighbour graph searched (`6 (knn + 1) − 1` others). `seed` seeds the approximate neighbour search of large inputs.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `knn` when it is not below `n − 1`; the errors of the
    /// kNN search; [`Error::Cancelled`].
    pub fn fit(&self, data: &Data, metric: &Metric, seed: Option<u64>, progress: &dyn Progress) -> Result<(SparseGraph, Vec<f64>, KnnGraph)> {
        let n = data.n_rows();
        if self.knn == 0 || self.knn + 2 > n {
            return Err(Error::param("knn", self.knn, format!("must be at least 1 and at most n_samples - 2 = {}", n as i64 - 2)));
        }
        let others = (SEARCH_MULTIPLIER * (self.knn + 1)).min(n) - 1;
        let algorithm = if exact_is_faster(n, others) { KnnAlgorithm::Exact } else { KnnAlgorithm::Auto };
        let params = KnnParams { k: others, algorithm, metric: metric.clone(), seed, ..KnnParams::default() };
        let knn = knn_graph(data, &params, progress)?;
        progress.check()?;
        let factor = self.radius_factor();
        let sigma: Vec<f64> = (0..n).map(|i| (knn.neighbors(i).1[self.knn - 1] as f64).max(f64::EPSILON)).collect();
        let rows: Vec<Vec<(u32, f32)>> = (0..n)
            .into_par_iter()
            .map(|i| {
                let (idx, dist) = knn.neighbors(i);
                let complete = others + 1 >= n || (*dist.last().unwrap_or(&0.0) as f64) >= sigma[i] * factor;
                let mut row: Vec<(u32, f32)> = vec![(i as u32, 1.0)];
                if complete {
                    row.extend(
                        idx.iter().zip(dist).filter(|&(&j, _)| j as usize != i).filter_map(|(&j, &d)| self.value(d as f64, sigma[i]).map(|v| (j, v as f32))),
                    );
                } else {
                    // Points past the radius (with a margin for the kernel's rounding) are
                    // dropped before the kernel's power and exponential.
                    let (xi, reach) = (data.row(i), sigma[i] * factor * (1.0 + 1e-6));
                    row.extend((0..n).filter(|&j| j != i).filter_map(|j| {
                        let d = metric.distance(xi, data.row(j)) as f64;
                        if d > reach { None } else { self.value(d, sigma[i]).map(|v| (j as u32, v as f32)) }
                    }));
                }
                row.sort_unstable_by_key(|&(j, _)| j);
                row.dedup_by_key(|&mut (j, _)| j);
                row
            })
            .collect();
        let mut indptr = Vec::with_capacity(n + 1);
        indptr.push(0);
        let (mut indices, mut weights) = (Vec::new(), Vec::new());
        for row in rows {
            indices.extend(row.iter().map(|&(j, _)| j));
            weights.extend(row.iter().map(|&(_, w)| w));
            indptr.push(indices.len());
        }
        let directed = SparseGraph::from_parts(n, indptr, indices, weights)?;
        Ok((symmetrize(&directed, Symmetrization::Mean)?, sigma, knn))
    }

    /// The kernel rows of new points `queries` to the training points of `index`: for each
    /// query, its training neighbours (indices) and kernel values, every training point within
    /// the query's radius.
    ///
    /// # Errors
    /// The errors of [`NeighborIndex::query`]; [`Error::InvalidData`] when the index holds
    /// fewer than `knn` points.
    pub fn rows_to(&self, index: &NeighborIndex, queries: &Data, progress: &dyn Progress) -> Result<Vec<Vec<(u32, f64)>>> {
        let n = index.n_points();
        if self.knn > n {
            return Err(Error::InvalidData(format!("the model holds {n} training points, fewer than knn = {}", self.knn)));
        }
        let search = (SEARCH_MULTIPLIER * self.knn).min(n);
        let (idx, dist) = index.query(queries, search, progress)?;
        progress.check()?;
        let factor = self.radius_factor();
        let metric = index.metric();
        let out = (0..queries.n_rows())
            .into_par_iter()
            .map(|q| {
                let (nb, d) = (&idx[q * search..(q + 1) * search], &dist[q * search..(q + 1) * search]);
                let sigma = (d[self.knn - 1] as f64).max(f64::EPSILON);
                let complete = search >= n || (d[search - 1] as f64) >= sigma * factor;
                let mut row: Vec<(u32, f64)> = if complete {
                    nb.iter().zip(d).filter_map(|(&j, &d)| self.value(d as f64, sigma).map(|v| (j, v))).collect()
                } else {
                    let y = queries.row(q);
                    (0..n)
                        .filter_map(|j| {
                            let xj = index.row(j)?;
                            self.value(metric.distance(y, xj) as f64, sigma).map(|v| (j as u32, v))
                        })
                        .collect()
                };
                row.sort_unstable_by_key(|&(j, _)| j);
                row
            })
            .collect();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_holds_every_pair_inside_the_radius() {
        // Points on a line, unevenly spaced: every bandwidth differs.
        let x: Vec<f32> = (0..40).map(|i| (i as f32).powf(1.3) / 40.0).collect();
        let data = Data::from_row_major(&x, 40, 1).unwrap();
        let k = AlphaDecayKernel { knn: 2, decay: 2.0, thresh: 1e-4 };
        let (g, sigma, _) = k.fit(&data, &Metric::Euclidean, Some(0), &crate::progress::NoProgress).unwrap();
        for i in 0..40 {
            for j in 0..40 {
                let d = (x[i] - x[j]).abs() as f64;
                let dir = |a: usize, d: f64| {
                    let v = (-(d / sigma[a]).powf(2.0)).exp();
                    if v >= 1e-4 { v } else { 0.0 }
                };
                let expected = if i == j { 1.0 } else { (dir(i, d) + dir(j, d)) / 2.0 };
                // The search's float32 distances round differently from these.
                assert!((g.weight(i, j) as f64 - expected).abs() < 1e-3, "({i}, {j}): {} vs {expected}", g.weight(i, j));
            }
        }
    }
}
