//! Mapping points of a fitted UMAP embedding back into data space (umap-learn's
//! `UMAP.inverse_transform`).
//!
//! For each new embedded point `y`:
//!
//! 1. **Neighbourhood** ([`DelaunayGraph`], [`inverse_neighbours`]): the Delaunay triangulation
//!    of the embedding, searched breadth first along its edges from the embedded point nearest
//!    `y`, until more than `min_vertices = min(n_features, n_train)` training points have been
//!    reached (the points already found at that moment complete the set, as umap-learn's
//!    `breadth_first_search` does); of these, the `min_vertices` nearest to `y`.
//! 2. **Memberships** `w = 1 / (1 + a d^{2b})` of those points, `d` their distance to `y` in the
//!    embedding.
//! 3. **Start**: the `w`-weighted mean of their data rows.
//! 4. **SGD in data space**: each sample of a neighbour `k` pulls the point along the input
//!    metric's gradient, scaled by `1 / (w σ_k + 10⁻⁶)`; each of its negative samples (uniform
//!    over the training points) pushes it by `γ w_h / ((1 − w_h) σ_k + 10⁻⁶)` with
//!    `w_h = exp(−max(d − ρ_k, 10⁻⁶) / (σ_k + 10⁻⁶))`, where `σ`, `ρ` are the data's fuzzy-set
//!    bandwidths from the fit. Every coordinate of a move is clipped to ±4; the step starts at
//!    `learning_rate / 4` and decays linearly; `n_epochs / 3` epochs, 100 when `n_epochs` was not
//!    set. Edge `k` is sampled every `1 / w` epochs, with `negative_sample_rate` negative samples
//!    per sample.
//!
//! Differences from umap-learn 0.5.12, each for a reason:
//!
//! - **Where the search starts.** umap-learn starts at the first vertex (in qhull's order) of the
//!   simplex holding `y`, and for a point outside the convex hull — where scipy's
//!   `find_simplex` returns −1 — at the last simplex in scipy's list: a place unrelated to `y`, so
//!   its result there is arbitrary. Here the search always starts at the embedded point nearest
//!   `y` (a vertex of the triangle holding `y`, or next to it), so a point outside the hull is
//!   mapped from the part of the embedding nearest to it.
//! - **A point's result depends only on the point**, as in [`super::transform`]: umap-learn takes
//!   30 epochs instead of 100 for batches of more than 10,000 points, samples each edge
//!   relative to the heaviest membership of the whole batch, and draws negative samples from one
//!   stream for the batch. Here the epochs are fixed, an edge of membership `w` is sampled `w`
//!   times per epoch (1 is the largest possible membership, and about the heaviest of any batch
//!   that comes near an embedded point), and the negative samples come from a stream keyed by
//!   `transform_seed` and a hash of the point's coordinates.
//! - **Dimensions.** umap-learn triangulates in any dimension with qhull. The triangulation here
//!   is 2-D; in 1 or ≥ 3 dimensions the `min_vertices` embedded points nearest `y` are found
//!   exactly, which is what the triangulation's neighbourhood approximates.
//! - **Equal embedded points** share one vertex of the triangulation (umap-learn joggles them
//!   apart with qhull's `QJ`); each of them counts toward `min_vertices`.
//!
//! Only input metrics with a gradient ([`Metric::has_gradient`]) can be followed; models of
//! precomputed distances or densMAP are refused, as umap-learn refuses them.

use rand_xoshiro::rand_core::Rng;
use rayon::prelude::*;
use spade::{DelaunayTriangulation, HasPosition, HierarchyHintGenerator, Point2, Triangulation, mitigate_underflow};

use crate::data::{Data, Embedding};
use crate::error::{Error, Result};
use crate::metric::Metric;
use crate::progress::{NoProgress, Progress};
use crate::rng::{SeedSource, Stream, below};

use super::model::UmapModel;
use super::transform::{TrainRows, row_key};

/// Epochs when `n_epochs` was not set (umap-learn's for batches of up to 10,000 points).
const DEFAULT_INVERSE_EPOCHS: usize = 100;
/// Stage of the inverse transform's random streams.
const STAGE_INVERSE: u64 = 11;

/// A vertex of the triangulation: a distinct embedded position and its group of training points.
#[derive(Debug, Clone, Copy)]
struct Site {
    position: Point2<f64>,
    group: u32,
}

impl HasPosition for Site {
    type Scalar = f64;
    fn position(&self) -> Point2<f64> {
        self.position
    }
}

/// The hierarchy hint makes nearest-vertex queries start from fixed places, so their answers do
/// not depend on earlier queries or threads.
type Triangles = DelaunayTriangulation<Site, (), (), (), HierarchyHintGenerator<f64>>;

/// The Delaunay triangulation of a 2-D embedding, as a graph between its distinct points.
///
/// ```
/// use unfold_learn::embed::umap::inverse::DelaunayGraph;
/// // A unit square and its centre: the centre is joined to every corner.
/// let y = [0.0f32, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.5, 0.5];
/// let g = DelaunayGraph::new(&y)?;
/// assert_eq!(g.neighbours(g.group_of(4)).len(), 4);
/// assert_eq!(g.members(g.nearest_group([0.9, 0.2])), &[1]);
/// # Ok::<(), unfold_learn::Error>(())
/// ```
#[derive(Debug)]
pub struct DelaunayGraph {
    /// Group `g` (a distinct position) holds the training points `members[member_ptr[g]..member_ptr[g + 1]]`.
    member_ptr: Vec<usize>,
    members: Vec<u32>,
    group_of: Vec<u32>,
    /// The groups joined to group `g` by an edge: `adjacent[adjacent_ptr[g]..adjacent_ptr[g + 1]]`, ascending.
    adjacent_ptr: Vec<usize>,
    adjacent: Vec<u32>,
    triangles: Triangles,
}

/// Reusable buffers of [`DelaunayGraph::neighbourhood`].
#[derive(Debug, Default)]
pub struct SearchScratch {
    mark: Vec<u32>,
    level: Vec<u32>,
    queue: Vec<u32>,
    generation: u32,
}

impl DelaunayGraph {
    /// Triangulates the embedding `y` (row-major `n × 2`).
    ///
    /// # Errors
    /// [`Error::InvalidData`] for an empty embedding, a coordinate that is not finite, or more
    /// points than [`MAX_POINTS`](crate::knn::MAX_POINTS);
    /// [`Error::Numerical`] if the triangulation fails.
    pub fn new(y: &[f32]) -> Result<DelaunayGraph> {
        let n = y.len() / 2;
        // Points and groups are `u32` ids.
        crate::knn::check_point_count(n)?;
        if n == 0 || y.len() != 2 * n || y.iter().any(|v| !v.is_finite()) {
            return Err(Error::InvalidData(format!("a Delaunay triangulation needs a non-empty n × 2 embedding of finite values, got {} values", y.len())));
        }
        // Positions equal as numbers (0.0 and −0.0 alike) form one group, in the order of their
        // smallest member.
        let key = |i: usize| ((y[2 * i] + 0.0).to_bits(), (y[2 * i + 1] + 0.0).to_bits());
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.sort_by_key(|&i| (key(i as usize), i));
        let mut runs: Vec<&[u32]> = order.chunk_by(|&i, &j| key(i as usize) == key(j as usize)).collect();
        runs.sort_by_key(|r| r[0]);
        let (mut member_ptr, mut members, mut group_of) = (vec![0], Vec::with_capacity(n), vec![0u32; n]);
        for (g, run) in runs.iter().enumerate() {
            members.extend_from_slice(run);
            member_ptr.push(members.len());
            run.iter().for_each(|&i| group_of[i as usize] = g as u32);
        }
        let sites: Vec<Site> = runs
            .iter()
            .enumerate()
            .map(|(g, run)| {
                let i = run[0] as usize;
                Site { position: point(&y[2 * i..2 * i + 2]), group: g as u32 }
            })
            .collect();
        let n_groups = sites.len();
        let triangles = Triangles::bulk_load(sites)
            .map_err(|e| Error::Numerical { stage: "UMAP inverse transform", message: format!("the Delaunay triangulation of the embedding failed: {e:?}") })?;
        let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(2 * triangles.num_undirected_edges());
        for edge in triangles.undirected_edges() {
            let [a, b] = edge.vertices().map(|v| v.data().group);
            pairs.extend([(a, b), (b, a)]);
        }
        pairs.sort_unstable();
        pairs.dedup();
        let mut adjacent_ptr = vec![0usize; n_groups + 1];
        pairs.iter().for_each(|&(a, _)| adjacent_ptr[a as usize + 1] += 1);
        for g in 0..n_groups {
            adjacent_ptr[g + 1] += adjacent_ptr[g];
        }
        let adjacent = pairs.into_iter().map(|(_, b)| b).collect();
        Ok(DelaunayGraph { member_ptr, members, group_of, adjacent_ptr, adjacent, triangles })
    }

    /// Number of distinct embedded positions (vertices).
    pub fn n_groups(&self) -> usize {
        self.member_ptr.len() - 1
    }

    /// The vertex of training point `i`.
    pub fn group_of(&self, i: usize) -> usize {
        self.group_of[i] as usize
    }

    /// The training points at vertex `g`, ascending.
    pub fn members(&self, g: usize) -> &[u32] {
        &self.members[self.member_ptr[g]..self.member_ptr[g + 1]]
    }

    /// The vertices joined to vertex `g` by an edge of the triangulation, ascending.
    pub fn neighbours(&self, g: usize) -> &[u32] {
        &self.adjacent[self.adjacent_ptr[g]..self.adjacent_ptr[g + 1]]
    }

    /// The vertex nearest `p` (exact: a greedy walk on a Delaunay triangulation ends at the
    /// nearest vertex; among equally near ones, the walk's choice, the same every time).
    pub fn nearest_group(&self, p: [f32; 2]) -> usize {
        self.triangles.nearest_neighbor(point(&p)).map_or(0, |v| v.data().group as usize)
    }

    /// The training points found by a breadth-first search from vertex `start`, as umap-learn's
    /// `breadth_first_search`: vertices are taken level by level; once more than
    /// `min_vertices` training points have been taken, no new vertices are found, and the
    /// search ends with the ones already found. The points go to `out` (cleared first), vertex by
    /// vertex in the order of the search.
    pub fn neighbourhood(&self, start: usize, min_vertices: usize, scratch: &mut SearchScratch, out: &mut Vec<u32>) {
        let n_groups = self.n_groups();
        if scratch.mark.len() != n_groups || scratch.generation == u32::MAX {
            scratch.mark = vec![0; n_groups];
            scratch.level = vec![0; n_groups];
            scratch.generation = 0;
        }
        scratch.generation += 1;
        let generation = scratch.generation;
        let SearchScratch { mark, level, queue, .. } = scratch;
        queue.clear();
        out.clear();
        queue.push(start as u32);
        mark[start] = generation;
        level[start] = 0;
        let (mut head, mut taken, mut max_level) = (0, 0usize, u32::MAX);
        while head < queue.len() {
            let g = queue[head] as usize;
            head += 1;
            taken += self.member_ptr[g + 1] - self.member_ptr[g];
            if max_level == u32::MAX && taken > min_vertices {
                // The last vertex found is on the deepest level found so far.
                max_level = level[*queue.last().expect("the queue holds g") as usize];
            }
            if level[g] + 1 < max_level {
                for &h in self.neighbours(g) {
                    if mark[h as usize] != generation {
                        mark[h as usize] = generation;
                        level[h as usize] = level[g] + 1;
                        queue.push(h);
                    }
                }
            }
        }
        for &g in queue.iter() {
            out.extend_from_slice(self.members(g as usize));
        }
    }
}

/// A spade point, with coordinates too small for its exact predicates set to 0.
fn point(p: &[f32]) -> Point2<f64> {
    mitigate_underflow(Point2::new(p[0] as f64, p[1] as f64))
}

/// For each row of `queries` (`m × dim`), its `min_vertices` neighbours among the embedded
/// points `y` (`n × dim`) as the inverse transform takes them (see the module doc): in 2-D, the
/// nearest of the triangulation's neighbourhood, else the nearest of all. Returns the indices and
/// the euclidean distances, `m × min_vertices` each, every row by increasing distance (ties by
/// index).
///
/// # Errors
/// [`Error::InvalidData`] when the sizes do not fit or `min_vertices` is 0 or above `n`;
/// as [`DelaunayGraph::new`].
pub fn inverse_neighbours(y: &[f32], queries: &[f32], dim: usize, min_vertices: usize) -> Result<(Vec<u32>, Vec<f32>)> {
    let n = y.len().checked_div(dim).unwrap_or(0);
    let m = queries.len().checked_div(dim).unwrap_or(0);
    if dim == 0 || y.len() != n * dim || queries.len() != m * dim || min_vertices == 0 || min_vertices > n {
        return Err(Error::InvalidData(format!(
            "inverse_neighbours needs n × {dim} embedded points, m × {dim} queries and 1 ≤ min_vertices ≤ n: {} and {} values, min_vertices = {min_vertices}",
            y.len(),
            queries.len()
        )));
    }
    let graph = if dim == 2 { Some(DelaunayGraph::new(y)?) } else { None };
    let k = min_vertices;
    let (mut idx, mut dist) = (vec![0u32; m * k], vec![0f32; m * k]);
    idx.par_chunks_mut(k).zip(dist.par_chunks_mut(k)).zip(queries.par_chunks(dim)).for_each_init(
        || (SearchScratch::default(), Vec::new(), Vec::new()),
        |(scratch, found, ranked), ((idx, dist), q)| {
            match &graph {
                Some(g) => g.neighbourhood(g.nearest_group([q[0], q[1]]), k, scratch, found),
                None => {
                    found.clear();
                    found.extend(0..n as u32);
                }
            }
            nearest_of(found, y, q, k, ranked);
            for ((i, d), &(dd, j)) in idx.iter_mut().zip(dist.iter_mut()).zip(ranked.iter()) {
                (*i, *d) = (j, dd);
            }
        },
    );
    Ok((idx, dist))
}

/// The `k` points of `found` nearest `q`, as `(distance, index)` by increasing distance then
/// index, into `ranked`.
fn nearest_of(found: &[u32], y: &[f32], q: &[f32], k: usize, ranked: &mut Vec<(f32, u32)>) {
    let dim = q.len();
    ranked.clear();
    ranked.extend(found.iter().map(|&j| {
        let row = &y[j as usize * dim..(j as usize + 1) * dim];
        let d2: f64 = row.iter().zip(q).map(|(&a, &b)| (a as f64 - b as f64).powi(2)).sum();
        (d2.sqrt() as f32, j)
    }));
    let order = |a: &(f32, u32), b: &(f32, u32)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
    if ranked.len() > k {
        ranked.select_nth_unstable_by(k - 1, order);
        ranked.truncate(k);
    }
    ranked.sort_unstable_by(order);
}

/// What the SGD of every point shares.
struct InverseSgd<'a> {
    rows: TrainRows<'a>,
    sigmas: &'a [f32],
    rhos: &'a [f32],
    metric: &'a Metric,
    n_epochs: usize,
    learning_rate: f32,
    gamma: f32,
    negative_sample_rate: usize,
}

/// Buffers of one point's SGD.
#[derive(Default)]
struct SgdScratch {
    grad: Vec<f32>,
    row: Vec<f32>,
    per_sample: Vec<f64>,
    next_sample: Vec<f64>,
    next_negative: Vec<f64>,
}

/// umap-learn's clip of every coordinate of a move.
#[inline]
fn clip(v: f64) -> f32 {
    v.clamp(-4.0, 4.0) as f32
}

impl InverseSgd<'_> {
    /// Moves `x` by umap-learn's `optimize_layout_inverse` for the edges to `cols` of
    /// memberships `weights` (by increasing embedding distance), drawing negative samples from
    /// `rng`.
    fn optimise(&self, x: &mut [f32], cols: &[u32], weights: &[f32], rng: &mut Stream, s: &mut SgdScratch) {
        let d = x.len();
        let n = self.sigmas.len();
        let SgdScratch { grad, row, per_sample, next_sample, next_negative } = s;
        grad.resize(d, 0.0);
        row.resize(d, 0.0);
        per_sample.clear();
        per_sample.extend(weights.iter().map(|&w| if w > 0.0 { 1.0 / w as f64 } else { f64::INFINITY }));
        next_sample.clear();
        next_sample.extend_from_slice(per_sample);
        let rate = self.negative_sample_rate as f64;
        next_negative.clear();
        next_negative.extend(per_sample.iter().map(|&p| p / rate));
        let mut alpha = self.learning_rate as f64;
        for epoch in 0..self.n_epochs {
            let now = epoch as f64;
            for (e, (&j, &w)) in cols.iter().zip(weights).enumerate() {
                if next_sample[e] > now {
                    continue;
                }
                let j = j as usize;
                let sigma = self.sigmas[j] as f64;
                let other = self.rows.row(j, row);
                self.metric.distance_gradient(x, other, grad);
                let coef = -1.0 / (w as f64 * sigma + 1e-6);
                for (xc, &g) in x.iter_mut().zip(grad.iter()) {
                    *xc += clip(coef * g as f64) * alpha as f32;
                }
                next_sample[e] += per_sample[e];
                if self.negative_sample_rate == 0 {
                    continue;
                }
                let per_negative = per_sample[e] / rate;
                let n_negative = ((now - next_negative[e]) / per_negative).max(0.0) as usize;
                for _ in 0..n_negative {
                    let k = below(rng.next_u64(), n);
                    let (sigma, rho) = (self.sigmas[k] as f64, self.rhos[k] as f64);
                    let other = self.rows.row(k, row);
                    let dist = self.metric.distance_gradient(x, other, grad).unwrap_or(0.0) as f64;
                    let w_h = (-(dist - rho).max(1e-6) / (sigma + 1e-6)).exp();
                    let coef = self.gamma as f64 * w_h / ((1.0 - w_h) * sigma + 1e-6);
                    for (xc, &g) in x.iter_mut().zip(grad.iter()) {
                        *xc += clip(coef * g as f64) * alpha as f32;
                    }
                }
                next_negative[e] += n_negative as f64 * per_negative;
            }
            alpha = self.learning_rate as f64 * (1.0 - now / self.n_epochs as f64);
        }
    }
}

impl UmapModel {
    /// Maps points of the embedding space back into data space (umap-learn's
    /// `inverse_transform`; see [the module doc](self) for the method and where it differs).
    ///
    /// ```
    /// use unfold_learn::prelude::*;
    /// // Two blobs in 4-D; the middle of one blob's embedding maps back near that blob.
    /// let x: Vec<f32> = (0..400).map(|i| ((i * 7919) % 101) as f32 / 50.0 + (i / 200) as f32 * 20.0).collect();
    /// let data = Data::from_row_major(&x, 100, 4)?;
    /// let model = Umap::builder().n_neighbors(10).n_epochs(50).build()?.fit(&data, &Context::seeded(42))?;
    /// let y = model.embedding();
    /// let centre: Vec<f32> = (0..2).map(|c| (0..50).map(|i| y.row(i)[c]).sum::<f32>() / 50.0).collect();
    /// let back = model.inverse_transform(&Data::from_row_major(&centre, 1, 2)?)?;
    /// assert!(back.row(0).iter().all(|&v| v < 10.0));
    /// # Ok::<(), unfold_learn::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`UmapModel::inverse_transform_with`].
    pub fn inverse_transform(&self, points: &Data) -> Result<Embedding> {
        self.inverse_transform_with(points, &NoProgress)
    }

    /// [`UmapModel::inverse_transform`], reporting to `progress`. Returns `m × n_features`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a model of precomputed distances, of a metric without a
    /// gradient ([`Metric::has_gradient`]) or of densMAP; [`Error::InvalidData`] when `points`
    /// do not have `n_components` columns or the model was fitted without keeping its training
    /// rows; [`Error::Numerical`] if a coordinate overflows;
    /// [`Error::Cancelled`].
    pub fn inverse_transform_with(&self, points: &Data, progress: &dyn Progress) -> Result<Embedding> {
        let s = &self.state;
        let metric = s.metric();
        if *metric == Metric::Precomputed {
            return Err(Error::param(
                "metric",
                "precomputed",
                "is not supported by inverse_transform: a model of precomputed distances has no data space to map into",
            ));
        }
        if !metric.has_gradient() {
            return Err(Error::param(
                "metric",
                metric,
                "is not supported by inverse_transform, which follows the input metric's gradient: fit with euclidean, seuclidean, mahalanobis, manhattan, chebyshev, minkowski or wminkowski",
            ));
        }
        if s.densmap {
            return Err(Error::param("densmap", true, "is not supported by inverse_transform (as in umap-learn): fit without densMAP"));
        }
        if !s.output_metric.is_euclidean() {
            return Err(Error::param(
                "output_metric",
                s.output_metric.name(),
                "is not supported by inverse_transform, which interpolates in the plane: fit with output_metric = euclidean",
            ));
        }
        let rows = s.train_rows()?;
        let (dim, d, n) = (s.n_components, s.n_features, s.n_train());
        if points.n_cols() != dim {
            return Err(Error::InvalidData(format!("the model's embedding has {dim} columns but the points to map back have {}", points.n_cols())));
        }
        let m = points.n_rows();
        let k = d.min(n);
        progress.stage("UMAP inverse transform", m as u64);
        let (cols, dists) = inverse_neighbours(&s.embedding, points.as_slice(), dim, k)?;
        progress.check()?;
        let weights: Vec<f32> = dists.iter().map(|&e| (1.0 / (1.0 + s.a as f64 * (e as f64).powf(2.0 * s.b as f64))) as f32).collect();
        let (learning_rate, gamma, negative_sample_rate) = s.sgd();
        let sgd = InverseSgd {
            rows,
            sigmas: &s.scales.sigmas,
            rhos: &s.scales.rhos,
            metric,
            n_epochs: s.n_epochs().map(|e| e / 3).unwrap_or(DEFAULT_INVERSE_EPOCHS),
            learning_rate: learning_rate / 4.0,
            gamma,
            negative_sample_rate,
        };
        let seeds = SeedSource::new(Some(s.transform_seed()));
        let mut out = vec![0f32; m * d];
        out.par_chunks_mut(d).enumerate().for_each_init(
            || (SgdScratch::default(), vec![0f32; d]),
            |(scratch, buf), (i, x)| {
                if progress.is_cancelled() {
                    return;
                }
                let (c, w) = (&cols[i * k..(i + 1) * k], &weights[i * k..(i + 1) * k]);
                // The start: the membership-weighted mean of the neighbours' rows.
                // (Equal weights when every membership underflowed, for a point very far away.)
                let total: f64 = w.iter().map(|&w| w as f64).sum();
                x.fill(0.0);
                for (&j, &wj) in c.iter().zip(w) {
                    let row = sgd.rows.row(j as usize, buf);
                    let f = if total > 0.0 { (wj as f64 / total) as f32 } else { 1.0 / k as f32 };
                    x.iter_mut().zip(row).for_each(|(o, &v)| *o += f * v);
                }
                let mut rng = seeds.stream(STAGE_INVERSE, row_key(points.row(i)));
                sgd.optimise(x, c, w, &mut rng, scratch);
                progress.inc(1);
            },
        );
        progress.finish_stage();
        progress.check()?;
        if let Some(at) = out.iter().position(|v| !v.is_finite()) {
            return Err(Error::Numerical {
                stage: "UMAP inverse transform",
                message: format!("point {} got the value {} in column {}: the data-space layout overflowed", at / d, out[at], at % d),
            });
        }
        Ok(Data::from_trusted(out, m, d))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashMap};

    use super::*;
    use crate::rng::unit_f64;

    fn random_points(n: usize, dim: usize, seed: u64) -> Vec<f32> {
        let s = SeedSource::new(Some(seed));
        (0..n * dim).map(|i| (10.0 * unit_f64(s.value(0, i as u64))) as f32).collect()
    }

    /// Delaunay edges by definition: the edges of every triangle whose circumcircle holds no
    /// other point (points in general position).
    fn brute_delaunay(y: &[f32]) -> Vec<BTreeSet<u32>> {
        let n = y.len() / 2;
        let p = |i: usize| (y[2 * i] as f64, y[2 * i + 1] as f64);
        let mut adj = vec![BTreeSet::new(); n];
        for i in 0..n {
            for j in i + 1..n {
                for k in j + 1..n {
                    let ((ax, ay), (bx, by), (cx, cy)) = (p(i), p(j), p(k));
                    let det = 2.0 * (ax * (by - cy) + bx * (cy - ay) + cx * (ay - by));
                    if det.abs() < 1e-12 {
                        continue;
                    }
                    let (a2, b2, c2) = (ax * ax + ay * ay, bx * bx + by * by, cx * cx + cy * cy);
                    let ux = (a2 * (by - cy) + b2 * (cy - ay) + c2 * (ay - by)) / det;
                    let uy = (a2 * (cx - bx) + b2 * (ax - cx) + c2 * (bx - ax)) / det;
                    let r2 = (ax - ux).powi(2) + (ay - uy).powi(2);
                    let empty = (0..n).filter(|&q| q != i && q != j && q != k).all(|q| {
                        let (qx, qy) = p(q);
                        (qx - ux).powi(2) + (qy - uy).powi(2) > r2 * (1.0 + 1e-9)
                    });
                    if empty {
                        for (a, b) in [(i, j), (j, k), (i, k)] {
                            adj[a].insert(b as u32);
                            adj[b].insert(a as u32);
                        }
                    }
                }
            }
        }
        adj
    }

    /// umap-learn's `breadth_first_search`, transcribed line by line.
    fn reference_bfs(adj: &[BTreeSet<u32>], start: u32, min_vertices: usize) -> Vec<u32> {
        let (mut explored, mut queue, mut visited) = (Vec::new(), std::collections::VecDeque::from([start]), vec![start]);
        let mut levels = HashMap::from([(start, 0usize)]);
        let mut max_level = usize::MAX;
        while let Some(node) = queue.pop_front() {
            explored.push(node);
            if max_level == usize::MAX && explored.len() > min_vertices {
                max_level = *levels.values().max().unwrap();
            }
            if levels[&node] + 1 < max_level {
                for &nb in &adj[node as usize] {
                    if !visited.contains(&nb) {
                        queue.push_back(nb);
                        visited.push(nb);
                        levels.insert(nb, levels[&node] + 1);
                    }
                }
            }
        }
        explored
    }

    #[test]
    fn triangulation_has_the_delaunay_edges() {
        let y = random_points(40, 2, 3);
        let g = DelaunayGraph::new(&y).unwrap();
        let brute = brute_delaunay(&y);
        assert_eq!(g.n_groups(), 40);
        for (i, want) in brute.iter().enumerate() {
            let found: BTreeSet<u32> = g.neighbours(g.group_of(i)).iter().map(|&h| g.members(h as usize)[0]).collect();
            assert_eq!(&found, want, "point {i}");
        }
    }

    #[test]
    fn neighbourhoods_follow_umap_learns_search() {
        let y = random_points(60, 2, 5);
        let g = DelaunayGraph::new(&y).unwrap();
        let brute = brute_delaunay(&y);
        let mut scratch = SearchScratch::default();
        let mut out = Vec::new();
        for (start, min_vertices) in [(0usize, 1usize), (7, 5), (13, 12), (21, 30), (33, 59), (40, 100)] {
            g.neighbourhood(g.group_of(start), min_vertices, &mut scratch, &mut out);
            assert_eq!(out, reference_bfs(&brute, start as u32, min_vertices), "start {start}, min_vertices {min_vertices}");
        }
    }

    #[test]
    fn inverse_neighbours_are_the_nearest_of_the_neighbourhood() {
        let y = random_points(80, 2, 7);
        let brute = brute_delaunay(&y);
        // Queries inside and outside the hull of [0, 10]².
        let queries = [3.3f32, 4.1, 9.7, 0.2, 5.0, 5.0, -4.0, 12.0, 30.0, 5.0, 0.01, 9.99];
        let k = 9;
        let (idx, dist) = inverse_neighbours(&y, &queries, 2, k).unwrap();
        for (q, query) in queries.chunks(2).enumerate() {
            let d = |j: u32| ((y[2 * j as usize] as f64 - query[0] as f64).powi(2) + (y[2 * j as usize + 1] as f64 - query[1] as f64).powi(2)).sqrt();
            let nearest = (0..80u32).min_by(|&a, &b| d(a).total_cmp(&d(b))).unwrap();
            let mut expected = reference_bfs(&brute, nearest, k);
            expected.sort_by(|&a, &b| d(a).total_cmp(&d(b)).then(a.cmp(&b)));
            expected.truncate(k);
            assert_eq!(&idx[q * k..(q + 1) * k], &expected[..], "query {q}");
            for (&j, &dd) in idx[q * k..(q + 1) * k].iter().zip(&dist[q * k..(q + 1) * k]) {
                assert!((dd as f64 - d(j)).abs() < 1e-5);
            }
        }
    }

    #[test]
    fn other_dimensions_take_the_exact_nearest_points() {
        let y = random_points(50, 3, 9);
        let queries = random_points(4, 3, 10);
        let (idx, _) = inverse_neighbours(&y, &queries, 3, 6).unwrap();
        for (q, query) in queries.chunks(3).enumerate() {
            let d = |j: u32| (0..3).map(|c| (y[3 * j as usize + c] as f64 - query[c] as f64).powi(2)).sum::<f64>();
            let mut all: Vec<u32> = (0..50).collect();
            all.sort_by(|&a, &b| d(a).total_cmp(&d(b)).then(a.cmp(&b)));
            assert_eq!(&idx[q * 6..(q + 1) * 6], &all[..6]);
        }
    }

    #[test]
    fn equal_and_collinear_points_keep_every_training_point() {
        // Points on a line (no triangle at all), two of them repeated, one as −0.0.
        let y = [0.0f32, 0.0, 2.0, 2.0, 1.0, 1.0, -0.0, 0.0, 3.0, 3.0, 1.0, 1.0];
        let g = DelaunayGraph::new(&y).unwrap();
        assert_eq!(g.n_groups(), 4);
        assert_eq!(g.members(g.group_of(0)), &[0, 3]);
        assert_eq!(g.members(g.group_of(2)), &[2, 5]);
        let chain = |i: usize| g.neighbours(g.group_of(i)).iter().map(|&h| g.members(h as usize)[0]).collect::<Vec<_>>();
        assert_eq!(chain(0), vec![2]);
        assert_eq!(chain(2), vec![0, 1]);
        assert_eq!(chain(4), vec![1]);
        let (idx, _) = inverse_neighbours(&y, &[0.9, 1.2], 2, 6).unwrap();
        assert_eq!(BTreeSet::from_iter(idx), BTreeSet::from_iter(0..6u32));
        assert!(DelaunayGraph::new(&[0.0, f32::NAN]).is_err());
    }
}
