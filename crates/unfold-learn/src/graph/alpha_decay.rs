//! The α-decay kernel of PHATE (Moon et al., "Visualizing structure and transitions in
//! high-dimensional biological data", Nature Biotechnology 2019) as graphtools builds it: the
//! kernel PHATE and the heat-geodesic embedding share.
//!
//! Each point `i` has its own bandwidth `σ_i`, the distance to its `knn`-th nearest other point,
//! and `K_ij = exp(−(d_ij / σ_i)^decay)`. Entries below `thresh` are dropped; since the kernel
//! falls below `thresh` exactly at `r_i = σ_i (−ln thresh)^(1/decay)`, row `i` holds every point
//! within `r_i`. The search starts with `4 (knn + 1)` neighbours (the point itself counted;
//! graphtools starts with `6 (knn + 1)`), and any row whose farthest found neighbour is still
//! inside `r_i` is completed over all points ([`AlphaDecayKernel::fit`]): the kernel is the exact
//! thresholded one either way (graphtools grows its search, then a radius search, to the same
//! end), and the smaller search costs less than the rows it leaves to complete (on MNIST's
//! 70,000 rows, 787 of them: search and kernel 2.6 s instead of 4.3 s). The self-affinity is
//! 1, and the directed kernel is symmetrised as `(K + Kᵀ)/2` (graphtools' default `"+"`).
//!
//! New points ([`AlphaDecayKernel::rows_to`]) get a bandwidth from their `knn`-th nearest
//! training point (there is no self-pair) and their thresholded kernel row to the training
//! points, unsymmetrised (graphtools' `build_kernel_to_data`).

use faer::{Accum, MatMut, MatRef, Par};
use rayon::prelude::*;

use super::csr::SparseGraph;
use super::symmetrize::{Symmetrization, symmetrize};
use crate::data::Data;
use crate::error::{Error, Result};
use crate::knn::search::NeighborIndex;
use crate::knn::{KnnAlgorithm, KnnGraph, KnnParams, exact_is_faster, knn_graph};
use crate::linalg::{f32_square_error, matmul};
use crate::metric::Metric;
use crate::progress::Progress;

/// graphtools' growth factor of the neighbour search (`search_multiplier`), for new points.
const SEARCH_MULTIPLIER: usize = 6;
/// The fit's first search holds this many times `knn + 1` neighbours.
const FIRST_SEARCH: usize = 4;

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
    /// point's bandwidth `σ_i` and the neighbour graph searched (`4 (knn + 1) − 1` others). `seed` seeds the approximate neighbour search of large inputs.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `knn` when it is not below `n − 1`; the errors of the
    /// kNN search; [`Error::Cancelled`].
    pub fn fit(&self, data: &Data, metric: &Metric, seed: Option<u64>, progress: &dyn Progress) -> Result<(SparseGraph, Vec<f64>, KnnGraph)> {
        let n = data.n_rows();
        if self.knn == 0 || self.knn + 2 > n {
            return Err(Error::param("knn", self.knn, format!("must be at least 1 and at most n_samples - 2 = {}", n as i64 - 2)));
        }
        let others = (FIRST_SEARCH * (self.knn + 1)).min(n) - 1;
        let algorithm = if exact_is_faster(n, others) { KnnAlgorithm::Exact } else { KnnAlgorithm::Auto };
        let params = KnnParams { k: others, algorithm, metric: metric.clone(), seed, ..KnnParams::default() };
        let knn = knn_graph(data, &params, progress)?;
        progress.check()?;
        let factor = self.radius_factor();
        let sigma: Vec<f64> = (0..n).map(|i| (knn.neighbors(i).1[self.knn - 1] as f64).max(f64::EPSILON)).collect();
        // Past the radius (with a margin for the kernel's rounding) no point reaches the threshold.
        let reach: Vec<f64> = sigma.iter().map(|s| s * factor * (1.0 + 1e-6)).collect();
        let complete = |i: usize| others + 1 >= n || (*knn.neighbors(i).1.last().unwrap_or(&0.0) as f64) >= sigma[i] * factor;
        let incomplete: Vec<usize> = (0..n).filter(|&i| !complete(i)).collect();
        let mut within = within_reach(data, metric, &incomplete, &reach).into_iter();
        let mut rows: Vec<Vec<(u32, f32)>> = (0..n)
            .into_par_iter()
            .map(|i| {
                let mut row: Vec<(u32, f32)> = vec![(i as u32, 1.0)];
                if complete(i) {
                    let (idx, dist) = knn.neighbors(i);
                    row.extend(
                        idx.iter().zip(dist).filter(|&(&j, _)| j as usize != i).filter_map(|(&j, &d)| self.value(d as f64, sigma[i]).map(|v| (j, v as f32))),
                    );
                }
                row
            })
            .collect();
        for &i in &incomplete {
            let found = within.next().expect("a row per incomplete point");
            rows[i].extend(found.into_iter().filter(|&(j, _)| j as usize != i).filter_map(|(j, d)| self.value(d, sigma[i]).map(|v| (j, v as f32))));
        }
        rows.par_iter_mut().for_each(|row| {
            row.sort_unstable_by_key(|&(j, _)| j);
            row.dedup_by_key(|&mut (j, _)| j);
        });
        let mut indptr = Vec::with_capacity(n + 1);
        indptr.push(0);
        let (mut indices, mut weights) = (Vec::new(), Vec::new());
        for row in &rows {
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

/// For each row `i` of `rows`, every point of `data` within `reach[i]` of it (itself included)
/// and the distance, by `metric` over all points.
///
/// Under the Euclidean metric, a single-precision matrix product of a block of rows with a tile
/// of points (`‖x‖² + ‖y‖² − 2 x·y`, each within `e = (dim + 9) u (‖x‖² + max ‖y‖²)` of the exact
/// square, `u = 2⁻²⁴`) leaves only the points that may lie within reach, which are then measured
/// by `metric` as the search measures: the same points as measuring every pair, at a matrix
/// product's rate, in a fixed 4 MB per thread whatever the number of points.
fn within_reach(data: &Data, metric: &Metric, rows: &[usize], reach: &[f64]) -> Vec<Vec<(u32, f64)>> {
    within_reach_by_tiles(data, metric, rows, reach, 1 << 16)
}

/// [`within_reach`] with tiles of `tile` points.
fn within_reach_by_tiles(data: &Data, metric: &Metric, rows: &[usize], reach: &[f64], tile: usize) -> Vec<Vec<(u32, f64)>> {
    const BLOCK: usize = 16;
    let (n, dim) = (data.n_rows(), data.n_cols());
    let measured = |i: usize, j: usize| -> Option<(u32, f64)> {
        let d = metric.distance(data.row(i), data.row(j)) as f64;
        (d <= reach[i]).then_some((j as u32, d))
    };
    if !matches!(metric, Metric::Euclidean) {
        return rows.par_iter().map(|&i| (0..n).filter_map(|j| measured(i, j)).collect()).collect();
    }
    let sq_norm = |row: &[f32]| -> f64 { row.iter().map(|&v| v as f64 * v as f64).sum() };
    let norms: Vec<f32> = (0..n).into_par_iter().map(|j| sq_norm(data.row(j)) as f32).collect();
    let widest = norms.iter().fold(0f64, |a, &t| a.max(t as f64));
    let error = f32_square_error(dim);
    let all = MatRef::from_row_major_slice(data.as_slice(), n, dim);
    rows.par_chunks(BLOCK)
        .map_init(Vec::new, |approx, block| {
            let lhs: Vec<f32> = block.iter().flat_map(|&i| data.row(i).iter().copied()).collect();
            let lhs = MatRef::from_row_major_slice(&lhs, block.len(), dim);
            // A point may lie within reach when its single-precision square is below this.
            let limits: Vec<(f32, f32)> = block
                .iter()
                .map(|&i| {
                    let own = sq_norm(data.row(i));
                    (own as f32, (reach[i] * reach[i] * (1.0 + 1e-4) + 2.0 * error * (own + widest)) as f32)
                })
                .collect();
            let mut found = vec![Vec::new(); block.len()];
            for first in (0..n).step_by(tile) {
                let cols = tile.min(n - first);
                approx.resize(block.len() * cols, 0f32);
                matmul(
                    MatMut::from_row_major_slice_mut(approx, block.len(), cols),
                    Accum::Replace,
                    lhs,
                    all.subrows(first, cols).transpose(),
                    -2.0f32,
                    Par::Seq,
                );
                for (((&i, &(own, limit)), row), out) in block.iter().zip(&limits).zip(approx.chunks_exact(cols)).zip(&mut found) {
                    let candidates = row.iter().zip(&norms[first..first + cols]).enumerate().filter(|&(_, (&v, &t))| v + own + t <= limit);
                    out.extend(candidates.filter_map(|(c, _)| measured(i, first + c)));
                }
            }
            found
        })
        .flatten()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `count` standard normal values from `seed`, plus `offset`.
    fn gaussian_rows(seed: u64, count: usize, offset: f32) -> Vec<f32> {
        let seeds = crate::rng::SeedSource::new(Some(seed));
        (0..count).map(|p| offset + crate::rng::normal_f64(seeds.value(1, 2 * p as u64), seeds.value(1, 2 * p as u64 + 1)) as f32).collect()
    }

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

    #[test]
    fn rows_completed_over_all_points_hold_every_pair_inside_the_radius() {
        // 300 Gaussian points in 5-D far from the origin; with decay 5 the radius is 1.56
        // bandwidths, and most rows hold more points than the first search's 15.
        let (n, dim) = (300, 5);
        let x = gaussian_rows(1, n * dim, 100.0);
        let data = Data::from_row_major(&x, n, dim).unwrap();
        let k = AlphaDecayKernel { knn: 3, decay: 5.0, thresh: 1e-4 };
        for metric in [Metric::Euclidean, Metric::Manhattan] {
            let (g, sigma, search) = k.fit(&data, &metric, Some(0), &crate::progress::NoProgress).unwrap();
            let incomplete = (0..n).filter(|&i| (search.neighbors(i).1[14] as f64) < sigma[i] * k.radius_factor()).count();
            assert!(incomplete > n / 2, "{metric:?}: {incomplete} rows to complete");
            let distance = |i: usize, j: usize| -> f64 {
                let (a, b) = (&x[i * dim..(i + 1) * dim], &x[j * dim..(j + 1) * dim]);
                match metric {
                    Metric::Euclidean => a.iter().zip(b).map(|(&u, &v)| (u as f64 - v as f64).powi(2)).sum::<f64>().sqrt(),
                    _ => a.iter().zip(b).map(|(&u, &v)| (u as f64 - v as f64).abs()).sum(),
                }
            };
            let dir = |a: usize, d: f64| (-(d / sigma[a]).powf(5.0)).exp();
            for i in 0..n {
                for j in 0..n {
                    let d = distance(i, j);
                    let kept = |a: usize| if dir(a, d) >= 1e-4 { dir(a, d) } else { 0.0 };
                    let expected = if i == j { 1.0 } else { (kept(i) + kept(j)) / 2.0 };
                    let w = g.weight(i, j) as f64;
                    // The search's float32 distances round differently from these: an entry at
                    // the threshold may be in one and not the other, anything clearly inside is in.
                    assert!((w - expected).abs() < 1e-3, "{metric:?} ({i}, {j}): {w} vs {expected}");
                    assert!(i == j || dir(i, d).max(dir(j, d)) < 2e-4 || w > 0.0, "{metric:?} ({i}, {j}) missing");
                }
            }
        }
    }

    #[test]
    fn points_within_reach_by_tiles_of_a_product_equal_measuring_every_pair() {
        // Rows far from the origin, reaches from a few neighbours to most points, tiles that
        // split the points unevenly.
        let (n, dim) = (230, 7);
        let x = gaussian_rows(2, n * dim, 50.0);
        let data = Data::from_row_major(&x, n, dim).unwrap();
        let reach: Vec<f64> = (0..n).map(|i| 1.0 + 3.0 * (i % 5) as f64).collect();
        let rows: Vec<usize> = (0..n).step_by(3).collect();
        let every: Vec<Vec<(u32, f64)>> = rows
            .iter()
            .map(|&i| {
                (0..n).filter_map(|j| Some((j as u32, Metric::Euclidean.distance(data.row(i), data.row(j)) as f64)).filter(|&(_, d)| d <= reach[i])).collect()
            })
            .collect();
        assert!(every.iter().map(Vec::len).sum::<usize>() > rows.len() * 5, "too few points within reach");
        for tile in [1 << 16, 64, 37] {
            assert_eq!(within_reach_by_tiles(&data, &Metric::Euclidean, &rows, &reach, tile), every, "tiles of {tile}");
        }
    }
}
