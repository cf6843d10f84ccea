//! UMAP's layout optimisation: stochastic gradient descent on the fuzzy graph with negative
//! sampling (McInnes, Healy & Melville 2018, §3.2; umap-learn's `optimize_layout_euclidean`).
//!
//! Each edge `(j, k)` of weight `w` is sampled every `w_max / w` epochs. A sample pulls `j` and
//! `k` together with the gradient of `log φ(d) = −log(1 + a d^{2b})`,
//! `c = −2ab d^{2(b−1)} / (1 + a d^{2b})`, and pushes `j` away from `negative_sample_rate`
//! random points per sample with `c = 2γb / ((0.001 + d²)(1 + a d^{2b}))`; each coordinate of
//! each move is clipped to ±4 and scaled by the learning rate, which decays linearly to 0. Edges
//! lighter than `w_max / n_epochs` are never sampled and are dropped first, as umap-learn does.
//!
//! **Order-independent updates.** umap-learn moves points edge by edge, so its result depends on
//! the order in which threads reach the edges (it runs on one thread when seeded). Here, in a
//! fit, every move of a sub-epoch (an eighth of the epoch, see [`SUB_EPOCHS`]) is computed from
//! the coordinates at its start, and each point sums the moves it receives itself, from its own
//! row of the (symmetric) graph. A sample of edge `(j, k)` pulls both ends toward each other
//! and pushes `j` from its negative samples, as in umap-learn: row `j` applies its own sample
//! (pull and pushes), and row `k` applies the same pull from its stored edge `(k, j)` in the same
//! sub-epoch (the edge's mirror, see [`sample_part`]). The two directions of an edge are sampled
//! half an epoch apart. Negative samples are a hash of `(seed, epoch, edge, sample)` (above 262,144
//! points, consecutive points of the sub-epoch's pool from an offset drawn per row, see [`Pool`]
//! and [`Negatives`]; the points are then moved in breadth-first order, see [`Problem::order`]). The result
//! is bit-identical at any thread count, and every point's work is independent, so all cores are
//! used.
//!
//! Moving both ends of a sample in the same sub-epoch matters: when only one end moved (by the
//! pull of both directions at once), a pair of strongly joined points whose step overshot the
//! other end leapfrogged each other, one sub-epoch after the other, always in the same direction,
//! and drifted far from the rest (umap-learn's tutorial digits at `n_neighbors=5`: 18 points
//! flung to ±245 while the rest spanned 20). A sample that moves both ends leaves the pair's
//! midpoint in place, as in umap-learn.

use multiversion::multiversion;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::graph::components::breadth_first_order_csr;
use crate::prefetch::{self, ROWS_AHEAD};
use crate::progress::Progress;
use crate::rng::{SeedSource, below, mix64};
use crate::threads::split_at_ends;

use super::densmap::{DensEpoch, DensMapParams, DensTarget};
use super::output::OutputMetric;

/// Parameters of [`optimize_layout`]; `Default` = umap-learn's.
#[derive(Debug, Clone, PartialEq)]
pub struct LayoutParams {
    /// Epochs (umap-learn: 500 for ≤ 10,000 points, 200 above; see [`default_epochs`]).
    pub n_epochs: usize,
    /// Initial learning rate α₀ (1.0).
    pub learning_rate: f32,
    /// Weight γ of the repulsion (1.0).
    pub repulsion_strength: f32,
    /// Negative samples per positive sample (5).
    pub negative_sample_rate: usize,
    /// Curve parameter `a` (see `find_ab_params`).
    pub a: f32,
    /// Curve parameter `b`.
    pub b: f32,
    /// Seed of the negative samples.
    pub seed: Option<u64>,
    /// The output space (umap-learn's `output_metric`): euclidean takes the fast passes, the
    /// others [`epoch_pass_generic`].
    pub output_metric: OutputMetric,
}

impl Default for LayoutParams {
    fn default() -> Self {
        LayoutParams {
            n_epochs: 200,
            learning_rate: 1.0,
            repulsion_strength: 1.0,
            negative_sample_rate: 5,
            a: 1.576_943_4,
            b: 0.895_060_9,
            seed: None,
            output_metric: OutputMetric::Euclidean,
        }
    }
}

/// umap-learn's default number of epochs for `n` points: 500 up to 10,000 points, else 200.
pub fn default_epochs(n: usize) -> usize {
    if n <= 10_000 { 500 } else { 200 }
}

impl LayoutParams {
    /// Checks the ranges.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the parameter and its range.
    pub fn validate(&self) -> Result<()> {
        if self.n_epochs == 0 {
            return Err(Error::param("n_epochs", 0, "must be at least 1"));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(Error::param("learning_rate", self.learning_rate, "must be a finite number > 0"));
        }
        if !(self.repulsion_strength.is_finite() && self.repulsion_strength >= 0.0) {
            return Err(Error::param("repulsion_strength", self.repulsion_strength, "must be a finite number ≥ 0"));
        }
        if !(self.a.is_finite() && self.a > 0.0) {
            return Err(Error::param("a", self.a, "must be a finite number > 0"));
        }
        if !(self.b.is_finite() && self.b > 0.0) {
            return Err(Error::param("b", self.b, "must be a finite number > 0"));
        }
        Ok(())
    }
}

/// Largest move of one coordinate in one sample.
const CLIP: f32 = 4.0;

/// Optimises `embedding` (`n × dim`, row-major) on the symmetric graph given as CSR
/// (`indptr`, `indices`, `weights`; both directions of every edge present with equal weights).
///
/// # Errors
/// [`Error::InvalidParameter`] for out-of-range parameters, [`Error::InvalidData`] when the
/// graph and the embedding disagree in size or the graph has more rows than
/// [`MAX_POINTS`](crate::knn::MAX_POINTS), [`Error::Cancelled`] when `progress` asks to stop.
pub fn optimize_layout(
    indptr: &[usize],
    indices: &[u32],
    weights: &[f32],
    embedding: &mut [f32],
    dim: usize,
    params: &LayoutParams,
    progress: &dyn Progress,
) -> Result<()> {
    optimize_layout_densmap(indptr, indices, weights, embedding, dim, params, None, progress)
}

/// [`optimize_layout`] with densMAP's density term: `densmap` holds its parameters and the log
/// local radii of the data, one per point ([`super::densmap::original_radii`]).
///
/// # Errors
/// As [`optimize_layout`], and [`Error::InvalidParameter`] for densMAP parameters out of range.
#[allow(clippy::too_many_arguments)]
pub fn optimize_layout_densmap(
    indptr: &[usize],
    indices: &[u32],
    weights: &[f32],
    embedding: &mut [f32],
    dim: usize,
    params: &LayoutParams,
    densmap: Option<(&DensMapParams, &[f32])>,
    progress: &dyn Progress,
) -> Result<()> {
    let n = indptr.len().saturating_sub(1);
    check_sizes(indptr, indices, weights, embedding.len(), n, dim, "embedding")?;
    let dens = match densmap {
        Some((p, ro)) => {
            p.validate()?;
            if ro.len() != n {
                return Err(Error::InvalidData(format!("densMAP needs one radius per point: {} radii for {n} points", ro.len())));
            }
            Some(DensTarget::new(*p, ro, weights))
        }
        None => None,
    };
    // Points in breadth-first order when the snapshot is beyond a core's cache (densMAP's
    // statistics sum over points, so its order stays): see [`Problem::order`].
    let reorder = dens.is_none() && Pool::pooled(n);
    fit(indptr, indices, weights, embedding, dim, params, dens, reorder, progress)
}

/// The layout of a fit, its inputs checked; with `reorder`, the points are moved in
/// breadth-first order of the graph (see [`Problem::order`]), with the same result.
#[allow(clippy::too_many_arguments)]
fn fit(
    indptr: &[usize],
    indices: &[u32],
    weights: &[f32],
    embedding: &mut [f32],
    dim: usize,
    params: &LayoutParams,
    dens: Option<DensTarget>,
    reorder: bool,
    progress: &dyn Progress,
) -> Result<()> {
    let n = indptr.len() - 1;
    let order = reorder.then(|| breadth_first_order_csr(indptr, indices));
    // Each point's key is its index; the problem keeps them in its own order.
    let keys: Vec<u64> = (0..n as u64).collect();
    let problem = Problem::new(indptr, indices, weights, SampleRate::new(weights, None, params.n_epochs), &keys, true, dens, order, n);
    drop(keys);
    let Some(order) = &problem.order else {
        return run(&problem, embedding, dim, params, progress, "UMAP layout", Reference::Snapshot(vec![0f32; embedding.len()]));
    };
    let mut moving = vec![0f32; embedding.len()];
    moving.par_chunks_mut(dim).zip(order.par_iter()).for_each(|(row, &o)| row.copy_from_slice(&embedding[o as usize * dim..(o as usize + 1) * dim]));
    run(&problem, &mut moving, dim, params, progress, "UMAP layout", Reference::Snapshot(vec![0f32; embedding.len()]))?;
    for (row, &o) in moving.chunks_exact(dim).zip(order) {
        embedding[o as usize * dim..(o as usize + 1) * dim].copy_from_slice(row);
    }
    Ok(())
}

/// Optimises the rows of `moving` (`m × dim`) against a fixed `reference` embedding
/// (`n_ref × dim`), as umap-learn's `transform` does: only the moving points move, edges are
/// `moving row → reference point` (CSR with `m` rows, columns `< n_ref`), and negative samples are
/// reference points. `w_max` is the weight that is sampled every epoch (`None`: the largest
/// of `weights`).
///
/// `keys` names each moving row for the random choices; a row's result depends only on its own
/// edges, its key and the seed, never on the other rows, so transforming a subset gives the same
/// rows as transforming everything when the keys are the same.
///
/// # Errors
/// As [`optimize_layout`].
#[allow(clippy::too_many_arguments)]
pub fn optimize_layout_fixed(
    indptr: &[usize],
    indices: &[u32],
    weights: &[f32],
    w_max: Option<f32>,
    keys: &[u64],
    moving: &mut [f32],
    reference: &[f32],
    dim: usize,
    params: &LayoutParams,
    progress: &dyn Progress,
) -> Result<()> {
    let m = indptr.len().saturating_sub(1);
    check_sizes(indptr, indices, weights, moving.len(), m, dim, "moving embedding")?;
    let n_ref = reference.len().checked_div(dim).unwrap_or(0);
    // Columns past the reference are caught in `run`, for the fit's graph too.
    if n_ref == 0 || reference.len() != n_ref * dim || keys.len() != m {
        return Err(Error::InvalidData(format!(
            "the layout needs a reference embedding of n_ref × {dim} values and one key per row: {} values, {} keys for {m} rows",
            reference.len(),
            keys.len()
        )));
    }
    let problem = Problem::new(indptr, indices, weights, SampleRate::new(weights, w_max, params.n_epochs), keys, false, None, None, n_ref);
    run(&problem, moving, dim, params, progress, "UMAP transform layout", Reference::Fixed(reference))
}

fn check_sizes(indptr: &[usize], indices: &[u32], weights: &[f32], len: usize, n: usize, dim: usize, what: &str) -> Result<()> {
    // Rows are `u32` ids in the edge lists, as columns are.
    crate::knn::check_point_count(n)?;
    if dim == 0 || len != n * dim || indices.len() != weights.len() || indptr.last() != Some(&indices.len()) {
        return Err(Error::InvalidData(format!(
            "the layout needs a CSR graph and an n × dim {what} of the same n: graph has {n} rows and {} edges, {what} {len} values for dim {dim}",
            indices.len(),
        )));
    }
    Ok(())
}

/// Samples per epoch of an edge of weight `w`, `w / w_max` (`w_max` defaults to the largest
/// weight); 0 for edges umap-learn prunes (`w < w_max / n_epochs`), which are never sampled.
#[derive(Clone, Copy)]
struct SampleRate {
    w_max: f32,
    n_epochs: usize,
}

impl SampleRate {
    fn new(weights: &[f32], w_max: Option<f32>, n_epochs: usize) -> SampleRate {
        SampleRate { w_max: w_max.unwrap_or_else(|| weights.par_iter().copied().reduce(|| 0.0f32, f32::max)), n_epochs }
    }

    #[inline]
    fn of(self, w: f32) -> f32 {
        if w > 0.0 && w >= self.w_max / self.n_epochs as f32 { (w as f64 / self.w_max as f64) as f32 } else { 0.0 }
    }
}

/// Directed edges of the moving rows, grouped by sub-epoch, then by row.
struct EdgeSet {
    /// The edges of row `v` in sub-epoch `p` are `ptr[p·n + v]..ptr[p·n + v + 1]` of `cols`,
    /// `weights` and `rates`, in their order in the given graph. A sub-epoch's edges are
    /// contiguous, row after row.
    ptr: Vec<usize>,
    cols: Vec<u32>,
    /// The weight of each edge, kept for densMAP only (empty without it).
    weights: Vec<f32>,
    /// The part of each edge's negative-sample hash that does not change with the epoch, from
    /// the key of its row's random choices and its other end (see [`Step::edge_hash`]). Kept
    /// rather than recomputed: a fit's epoch on MNIST took 8 % longer without it. Empty when the
    /// negative samples come from a pool ([`Negatives`]).
    hash_keys: Vec<u64>,
    /// Samples per epoch of each edge (≤ 1).
    rates: Vec<f32>,
    rows: usize,
}

/// Rows per task when an [`EdgeSet`] is built.
const BUILD_ROWS: usize = 4096;

/// The pieces of `data` that tasks of [`BUILD_ROWS`] rows write, task by task, each with one
/// piece per part: `ptr` as in [`EdgeSet`]; none when `data` is empty.
fn task_pieces<'a, T>(data: &'a mut [T], ptr: &[usize], n: usize, parts: usize) -> Vec<Vec<&'a mut [T]>> {
    let tasks = n.div_ceil(BUILD_ROWS).max(1);
    if data.is_empty() {
        // An array that is not kept: no pieces.
        return (0..tasks).map(|_| Vec::new()).collect();
    }
    let ends = (0..parts).flat_map(|p| (1..=tasks).map(move |t| ptr[p * n + (t * BUILD_ROWS).min(n)]));
    let mut by_task: Vec<Vec<&mut [T]>> = (0..tasks).map(|_| Vec::with_capacity(parts)).collect();
    for (i, piece) in split_at_ends(data, ends).into_iter().enumerate() {
        by_task[i % tasks].push(piece);
    }
    by_task
}

impl EdgeSet {
    /// The edges of the CSR graph, edge `e` of row `v` in sub-epoch `part_of(v, e)`, sampled
    /// `rate` times per epoch, with `keys[v]` the key of row `v`'s random choices;
    /// `keep_weights` keeps their weights. With `order`, moving row `i` is row `order[i]` of the
    /// graph and column `c` becomes `position[c]` (the inverse), the keys, parts and hashes
    /// staying those of the given numbering. Rows are sorted into their parts in parallel, with no
    /// per-edge index kept: on 1M points the serial version took 6 s, and its edge indices and
    /// copied weights held 260 MB at the peak of the fit.
    #[allow(clippy::too_many_arguments)]
    fn new(
        indptr: &[usize],
        indices: &[u32],
        weights: &[f32],
        rate: SampleRate,
        keys: &[u64],
        keep_weights: bool,
        hashed: bool,
        parts: usize,
        part_of: impl Fn(usize, usize) -> usize + Sync,
        order: Option<(&[u32], &[u32])>,
    ) -> EdgeSet {
        let n = indptr.len() - 1;
        let m = indices.len();
        let source = |v: usize| order.map_or(v, |(order, _)| order[v] as usize);
        let column = |c: u32| order.map_or(c, |(_, position)| position[c as usize]);
        // Edges per row and part, row by row, then the offsets part by part.
        // In breadth-first order each row is a random read: the next rows' are started early.
        // On UMAP's graph of 1M points the counts took 0.22 s instead of 0.38 s with it, and the
        // filling 0.35 s instead of 0.57 s.
        let ahead = |v: usize| {
            let row = |a: usize| (v + a < n).then(|| source(v + a));
            prefetch::csr_rows(indptr, row(2 * ROWS_AHEAD), row(ROWS_AHEAD), |r| {
                prefetch::slice(&indices[r.clone()]);
                prefetch::slice(&weights[r]);
            });
        };
        let mut counts = vec![0u32; n * parts];
        counts.par_chunks_mut(parts * BUILD_ROWS).enumerate().for_each(|(t, c)| {
            for (v, c) in (t * BUILD_ROWS..).zip(c.chunks_exact_mut(parts)) {
                ahead(v);
                let o = source(v);
                (indptr[o]..indptr[o + 1]).for_each(|e| c[part_of(o, e)] += 1);
            }
        });
        let mut ptr = Vec::with_capacity(n * parts + 1);
        ptr.push(0usize);
        for p in 0..parts {
            for v in 0..n {
                ptr.push(ptr[ptr.len() - 1] + counts[v * parts + p] as usize);
            }
        }
        drop(counts);
        let mut cols = vec![0u32; m];
        let mut rates = vec![0f32; m];
        let mut hash_keys = vec![0u64; if hashed { m } else { 0 }];
        let mut kept = vec![0f32; if keep_weights { m } else { 0 }];
        task_pieces(&mut cols, &ptr, n, parts)
            .into_par_iter()
            .zip(task_pieces(&mut rates, &ptr, n, parts))
            .zip(task_pieces(&mut hash_keys, &ptr, n, parts))
            .zip(task_pieces(&mut kept, &ptr, n, parts))
            .enumerate()
            .for_each(|(t, (((mut c, mut q), mut h), mut w))| {
                let mut at = vec![0usize; parts];
                for v in t * BUILD_ROWS..((t + 1) * BUILD_ROWS).min(n) {
                    ahead(v);
                    let o = source(v);
                    for e in indptr[o]..indptr[o + 1] {
                        let p = part_of(o, e);
                        let i = at[p];
                        c[p][i] = column(indices[e]);
                        q[p][i] = rate.of(weights[e]);
                        if hashed {
                            h[p][i] = mix64(keys[o] ^ mix64(indices[e] as u64));
                        }
                        if keep_weights {
                            w[p][i] = weights[e];
                        }
                        at[p] += 1;
                    }
                }
            });
        EdgeSet { ptr, cols, weights: kept, hash_keys, rates, rows: n }
    }

    /// The edges of row `v` in sub-epoch `part`.
    #[inline]
    fn edges(&self, v: usize, part: usize) -> std::ops::Range<usize> {
        let at = part * self.rows + v;
        self.ptr[at]..self.ptr[at + 1]
    }
}

/// The moving rows, their edges grouped by sub-epoch, and how they are sampled.
struct Problem<'a> {
    /// The graph as given (CSR), for densMAP's radii.
    indptr: &'a [usize],
    indices: &'a [u32],
    /// Sub-epochs per epoch (see [`SUB_EPOCHS`]).
    parts: usize,
    /// The samples of each row's own edges: a pull on the row and its negative samples.
    own: EdgeSet,
    /// In a fit, the other end's side of every sample: the edge `(v, k)` of row `v`, in the
    /// sub-epoch where `k` samples its edge `(k, v)` (half an epoch from its own, see
    /// [`sample_part`]), pulls `v` as that sample pulls `k`.
    mirror: bool,
    /// Whether moving row `v` is also reference point `v` (a negative sample equal to it is skipped).
    own_index: bool,
    /// densMAP's target, when on.
    dens: Option<DensTarget>,
    /// In a fit of more than [`POOL_FROM`] points, the points in breadth-first order of the
    /// graph: moving row `i` is point `order[i]`, and `position` is the inverse. A sampled edge
    /// reads its other end from the snapshot; in the given order those reads were random over
    /// all of it (8 MB on 1M points), and `perf` put a quarter of the layout on them. In this
    /// order a point's neighbours are mostly near it in memory. Every random choice is made
    /// from the given numbering, so the result is the same, bit for bit.
    order: Option<Vec<u32>>,
    position: Vec<u32>,
    /// The key of each moving row's random choices, in the order of the moving rows.
    keys: Vec<u64>,
}

/// The sub-epoch in which row `v` samples its edge to `k`, of `parts` (even) in an epoch. Both
/// directions of an edge fall half an epoch apart, from a hash of the pair.
fn sample_part(v: usize, k: usize, parts: usize) -> usize {
    let (lo, hi) = (v.min(k) as u64, v.max(k) as u64);
    let first = (mix64(mix64(lo) ^ hi) % parts as u64) as usize;
    if v < k { first } else { (first + parts / 2) % parts }
}

impl<'a> Problem<'a> {
    /// A fit (`symmetric`: the graph holds both directions of every edge, with equal weights,
    /// and the moving rows are the points themselves, in [`SUB_EPOCHS`] sub-epochs) or a
    /// transform (one sub-epoch, edges from the moving rows to a fixed reference).
    #[allow(clippy::too_many_arguments)]
    fn new(
        indptr: &'a [usize],
        indices: &'a [u32],
        weights: &[f32],
        rate: SampleRate,
        keys: &[u64],
        symmetric: bool,
        dens: Option<DensTarget>,
        order: Option<Vec<u32>>,
        n_ref: usize,
    ) -> Problem<'a> {
        let parts = if symmetric { SUB_EPOCHS } else { 1 };
        let part_of = |v, e: usize| if symmetric { sample_part(v, indices[e] as usize, parts) } else { 0 };
        let mut position = Vec::new();
        if let Some(order) = &order {
            position = vec![0u32; order.len()];
            order.iter().enumerate().for_each(|(i, &o)| position[o as usize] = i as u32);
        }
        // Hashes for the negative samples only without a pool (see [`Negatives`]).
        let hashed = !Pool::pooled(n_ref);
        let own =
            EdgeSet::new(indptr, indices, weights, rate, keys, dens.is_some(), hashed, parts, part_of, order.as_deref().map(|o| (o, position.as_slice())));
        let keys = match &order {
            Some(order) => order.iter().map(|&o| keys[o as usize]).collect(),
            None => keys.to_vec(),
        };
        Problem { indptr, indices, parts, own, mirror: symmetric, own_index: symmetric, dens, order, position, keys }
    }

    /// In a fit, the part whose edges a row pulls as mirrors in sub-epoch `part`: its edges that
    /// their other ends sample then, those of the sub-epoch half an epoch away.
    fn mirror_part(&self, part: usize) -> Option<usize> {
        self.mirror.then_some((part + self.parts / 2) % self.parts)
    }

    /// The parts whose edges a row samples in sub-epoch `part`, each with its number of negative
    /// samples: its own edges of `part`, then its mirrored ones (without negative samples).
    fn sampled_parts(&self, part: usize, negatives: usize) -> impl Iterator<Item = (usize, usize)> {
        std::iter::once((part, negatives)).chain(self.mirror_part(part).map(|p| (p, 0)))
    }

    /// Row `v`'s edges sampled in this sub-epoch, in order, each with its number of negative
    /// samples (0 for the mirrored ones).
    fn due_edges(&self, v: usize, step: &Step) -> impl Iterator<Item = (usize, usize)> {
        let (epoch, set) = (step.epoch, &self.own);
        self.sampled_parts(step.part, step.negatives)
            .flat_map(move |(part, negatives)| set.edges(v, part).filter(move |&e| due(set.rates[e], epoch)).map(move |e| (e, negatives)))
    }
}

/// Whether an edge with `rate` samples per epoch is sampled in epoch `epoch`: the `s`-th sample
/// falls in the first epoch at or after `s / rate`, as in umap-learn's schedule.
#[inline]
fn due(rate: f32, epoch: usize) -> bool {
    // Floors compared as floats: exact for the integers an epoch count reaches, and one
    // instruction each, so a run of edges is tested in vector lanes. No edge is due in epoch 0,
    // which is skipped.
    debug_assert!(epoch > 0);
    (epoch as f32 * rate).floor() > ((epoch - 1) as f32 * rate).floor()
}

/// Where the other end of an edge and the negative samples are read from.
enum Reference<'a> {
    /// The moving points themselves, as they were at the start of the epoch.
    Snapshot(Vec<f32>),
    /// A fixed embedding.
    Fixed(&'a [f32]),
}

fn run(problem: &Problem, moving: &mut [f32], dim: usize, params: &LayoutParams, progress: &dyn Progress, stage: &str, mut reference: Reference) -> Result<()> {
    params.validate()?;
    let n_epochs = params.n_epochs;
    let seeds = SeedSource::new(params.seed);
    let kernel = Kernel::new(params.a, params.b, params.repulsion_strength);
    if !params.output_metric.is_euclidean() && problem.dens.is_some() {
        return Err(Error::param("output_metric", params.output_metric.name(), "must be euclidean with densMAP's density term"));
    }
    params.output_metric.check_components(dim)?;
    if params.negative_sample_rate > MAX_NEGATIVES {
        return Err(Error::param("negative_sample_rate", params.negative_sample_rate, format!("must be at most {MAX_NEGATIVES}")));
    }
    let n_ref = match &reference {
        Reference::Snapshot(s) => s.len(),
        Reference::Fixed(r) => r.len(),
    } / dim;
    if let Some(&c) = problem.own.cols.iter().find(|&&c| c as usize >= n_ref) {
        return Err(Error::InvalidData(format!("the layout's graph has an edge to point {c}, but there are only {n_ref} points")));
    }
    let mut pool = Pool::new(n_ref, dim);
    progress.stage(stage, n_epochs as u64);
    progress.inc(1);
    for epoch in 1..n_epochs {
        progress.check()?;
        let alpha = params.learning_rate * (1.0 - epoch as f32 / n_epochs as f32);
        // Sub-epochs: each handles every `parts`-th edge, against a snapshot refreshed in
        // between, so the other ends are less stale than with one snapshot per epoch.
        let seed = seeds.value(1, epoch as u64);
        let mut dens_stats = None;
        for part in 0..problem.parts {
            let reference: &[f32] = match &mut reference {
                Reference::Snapshot(snapshot) => {
                    // In parallel: one thread copied 10.5 ms per sub-epoch on 10M points,
                    // 17 s of a 200-epoch layout.
                    snapshot.par_chunks_mut(COPY_CHUNK).zip(moving.par_chunks(COPY_CHUNK)).for_each(|(s, m)| s.copy_from_slice(m));
                    snapshot
                }
                Reference::Fixed(r) => r,
            };
            pool.draw(seeds.value(POOL_STAGE, (epoch * problem.parts + part) as u64), reference, dim, &problem.position);
            if part == 0 {
                dens_stats = match &problem.dens {
                    Some(t) if t.params.active(epoch, n_epochs) => Some(DensEpoch::new(t, problem.indptr, problem.indices, reference, dim, params.a, params.b)),
                    _ => None,
                };
            }
            let step = Step { epoch, alpha, seed, kernel, negatives: params.negative_sample_rate, dens: dens_stats.take(), part, pool: &pool };
            // The plane's passes are chosen here, outside the loops, so they are the same code
            // whatever other output spaces exist.
            match (params.output_metric, dim) {
                (OutputMetric::Euclidean, 2) => epoch_pass::<2>(problem, moving, reference, &step),
                (OutputMetric::Euclidean, 3) => epoch_pass::<3>(problem, moving, reference, &step),
                (OutputMetric::Euclidean, _) => epoch_pass_dyn(problem, moving, reference, dim, &step),
                (metric, _) => epoch_pass_generic(problem, moving, reference, dim, &step, metric),
            }
            dens_stats = step.dens;
        }
        progress.inc(1);
    }
    progress.finish_stage();
    Ok(())
}

/// Coordinates per task when a snapshot is copied.
const COPY_CHUNK: usize = 1 << 16;

/// Snapshots per epoch in a fit (see [`run`]). On MNIST 70k, 4 instead of 1 raised
/// trustworthiness@15 from 0.946 to 0.951 (umap-learn: 0.950–0.952) at the same cost. Since every
/// move of a sub-epoch starts from the snapshot ([`rows_pass_batched`]), 8 instead of 4 raised
/// it from 0.9507 to 0.9522 (means over eight seeds) for 2 % more layout time.
const SUB_EPOCHS: usize = 8;

/// Largest `negative_sample_rate`.
const MAX_NEGATIVES: usize = 64;

/// What one epoch needs besides the problem and the coordinates.
struct Step<'a, 'p> {
    epoch: usize,
    alpha: f32,
    seed: u64,
    kernel: Kernel,
    negatives: usize,
    dens: Option<DensEpoch<'a>>,
    /// This sub-epoch (see [`SUB_EPOCHS`]).
    part: usize,
    /// Where this sub-epoch's negative samples come from.
    pool: &'p Pool,
}

impl Step<'_, '_> {
    /// densMAP's extra pull on row `v` along its edge `e` of `set` to `k`, per coordinate
    /// difference, or 0.
    #[inline]
    fn dens_coefficient(&self, v: usize, k: usize, set: &EdgeSet, e: usize, d2: f32, d2b: f32) -> f32 {
        match &self.dens {
            // The edge weights are kept only when densMAP is on.
            Some(de) if d2 > 0.0 => 2.0 * de.coefficient(v, k, set.weights[e], d2, d2b, self.kernel.a, self.kernel.b),
            _ => 0.0,
        }
    }

    /// The hash from which the negative samples of edge `e` are drawn by [`negative_sample`]
    /// when there is no pool (0 with one). It depends only on the epoch's seed, the key of the
    /// edge's row and its other end, never on threads or other rows.
    #[inline]
    fn edge_hash(&self, problem: &Problem, e: usize) -> u64 {
        if self.pool.ids.is_empty() { mix64(self.seed ^ problem.own.hash_keys[e]) } else { 0 }
    }

    /// The negative samples of moving row `v` in this sub-epoch.
    #[inline]
    fn negatives_of(&self, problem: &Problem, v: usize) -> Negatives {
        let size = self.pool.ids.len();
        Negatives { at: if size == 0 { 0 } else { below(mix64(mix64(self.seed ^ self.part as u64) ^ problem.keys[v]), size) } }
    }
}

/// The negative samples of one moving row in one sub-epoch. Without a pool, sample `s` of an
/// edge is drawn from the edge's hash ([`negative_sample`]). With one, the row's samples are
/// consecutive points of the pool, from an offset drawn from the seed, the sub-epoch and the
/// row's key: the pool's points are independent uniform draws, so these are too. That spares a
/// hash and a random read of the pool per sample, and the 8 bytes an edge of the hashes' keys
/// (200 MB on 1M points).
struct Negatives {
    /// The pool index of the next sample.
    at: usize,
}

impl Negatives {
    /// The pool index of the next sample, for a pool of `size` points.
    #[inline(always)]
    fn next_index(&mut self, size: usize) -> usize {
        let at = self.at;
        self.at = if at + 1 == size { 0 } else { at + 1 };
        at
    }

    /// Negative sample `s` (from 1) of an edge with hash `h` ([`Step::edge_hash`]): a
    /// reference point below `n_ref`.
    #[inline(always)]
    fn next(&mut self, step: &Step, h: u64, s: usize, n_ref: usize) -> usize {
        match step.pool.ids.len() {
            0 => negative_sample(h, s, n_ref),
            size => step.pool.ids[self.next_index(size)] as usize,
        }
    }
}

/// Reference points from which one sub-epoch draws its negative samples. With more than
/// [`POOL_FROM`] reference points, each sub-epoch first draws [`POOL_SIZE`] of them uniformly
/// (with replacement, from the seed) and copies their coordinates together; a row's negative
/// samples are then consecutive points of the pool ([`Negatives`]), each still uniform over all
/// points, as in umap-learn. Otherwise samples are drawn from all points directly and the pool
/// is empty.
///
/// The reason is memory: on 1M points a sample read 8 bytes anywhere in an 8 MB snapshot
/// (80 MB at 10M), beyond a core's cache, and `perf` put most of the layout's time on the
/// prefetches and loads of those reads (five of the six random reads of a sampled edge). The
/// pool stays in a core's cache; drawing it costs [`POOL_SIZE`] reads per sub-epoch instead of
/// millions. On 1M points, 60 epochs took 13.3–13.6 s with a pool of 65,536 points (512 KB in
/// the plane), 12.3–12.6 s with 16,384 (128 KB), and no less with 4,096.
#[derive(Default)]
struct Pool {
    ids: Vec<u32>,
    /// `ids.len() × dim` coordinates of the pooled points, as in the reference.
    coords: Vec<f32>,
}

/// Points in a sub-epoch's pool of negative samples (see [`Pool`]).
const POOL_SIZE: usize = 1 << 14;
/// Reference points above which negative samples come from a pool (see [`Pool`]): below,
/// a plane's snapshot (2 MB at this size) is within a core's cache share anyway.
const POOL_FROM: usize = 1 << 18;
/// Seed stage of the pools.
const POOL_STAGE: u64 = 2;

impl Pool {
    /// Whether negative samples among `n_ref` reference points come from a pool.
    fn pooled(n_ref: usize) -> bool {
        n_ref > POOL_FROM
    }

    fn new(n_ref: usize, dim: usize) -> Pool {
        if !Pool::pooled(n_ref) {
            return Pool::default();
        }
        Pool { ids: vec![0; POOL_SIZE], coords: vec![0.0; POOL_SIZE * dim] }
    }

    /// Draws the pool's points from `seed` and copies their coordinates from `reference`; a
    /// point drawn is at `position[point]` in `reference` when `position` is not empty.
    fn draw(&mut self, seed: u64, reference: &[f32], dim: usize, position: &[u32]) {
        if self.ids.is_empty() {
            return;
        }
        let n_ref = reference.len() / dim;
        self.ids.par_chunks_mut(4096).enumerate().for_each(|(c, ids)| {
            for (u, id) in ids.iter_mut().enumerate() {
                let drawn = below(mix64(seed ^ mix64((c * 4096 + u) as u64)), n_ref);
                *id = if position.is_empty() { drawn as u32 } else { position[drawn] };
            }
        });
        self.coords.par_chunks_mut(4096 * dim).zip(self.ids.par_chunks(4096)).for_each(|(coords, ids)| {
            for (xy, &id) in coords.chunks_exact_mut(dim).zip(ids) {
                xy.copy_from_slice(&reference[id as usize * dim..(id as usize + 1) * dim]);
            }
        });
    }
}

/// Negative sample `s` (from 1) of the edge with hash `h` ([`Step::edge_hash`]): a point below `n_ref`.
#[inline(always)]
fn negative_sample(h: u64, s: usize, n_ref: usize) -> usize {
    below(mix64(h.wrapping_add(s as u64)), n_ref)
}

/// Lanes of the batched force computation.
const LANES: usize = 8;
/// Lanes of [`clipped_moves`]: one AVX-512 vector, two AVX2 ones. With the AVX-512 build of
/// [`rows_pass_batched`], 16 instead of 8 took a layout of 1M points (200 epochs, alternating
/// runs) from 39.6–40.0 s to 37.8–38.4 s, with the same output bit for bit.
const WIDE: usize = 16;

/// One sub-epoch for `D`-dimensional coordinates: without densMAP's term all moves at once
/// ([`rows_pass_batched`]), with it each moving row walks its sampled edges in order
/// ([`rows_pass`]); rows are independent, and each task takes [`ROWS_PER_TASK`] of them.
fn epoch_pass<const D: usize>(problem: &Problem, moving: &mut [f32], reference: &[f32], step: &Step) {
    let (reference, _) = reference.as_chunks::<D>();
    if step.dens.is_none() {
        moving
            .as_chunks_mut::<D>()
            .0
            .par_chunks_mut(ROWS_PER_TASK)
            .enumerate()
            .for_each_init(Batch::default, |scratch, (c, chunk)| rows_pass_batched::<D>(problem, c * ROWS_PER_TASK, chunk, reference, step, scratch));
        return;
    }
    moving
        .as_chunks_mut::<D>()
        .0
        .par_chunks_mut(ROWS_PER_TASK)
        .enumerate()
        .for_each_init(<[DueEdges; 2]>::default, |scratch, (c, chunk)| rows_pass::<D>(problem, c * ROWS_PER_TASK, chunk, reference, step, scratch));
}

/// Scratch of one task of [`rows_pass_batched`].
#[derive(Default)]
struct Batch {
    due: DueEdges,
    due_mirror: DueEdges,
    /// The differences `start − other end` of the due edges' pulls (own edges, then mirrored
    /// ones), one block per coordinate, replaced by the moves, then by each edge's total move.
    pulls: Vec<f32>,
    /// The same for the own edges' negative samples: per coordinate, one block per sample
    /// number, each as long as the own edges' part of a block of `pulls`.
    pushes: Vec<f32>,
    /// Per edge, the sum of its negative samples' moves along one coordinate.
    sums: Vec<f32>,
}

/// [`rows_pass`] without densMAP: every move of a sub-epoch starts from the row's coordinates at
/// its start, not from its coordinates after its previous edge, so the interactions (the pull and
/// the negative samples of each due edge) are all independent. They are computed in three flat
/// loops: gather the differences to the other ends, compute all moves in vector lanes
/// ([`clipped_moves`]), add each edge's moves to its row in edge order. A negative sample that
/// hits the row itself has a zero difference, hence no move, as umap-learn skips it.
///
/// On MNIST this took an epoch from 40 to 25 ms on one thread: the per-edge version's
/// dependency chain (start → distance → `pow` → division → clip → sum → next start) left most
/// execution units idle, and its batch of [`LANES`] per edge had two of eight lanes empty with
/// five negative samples. With [`SUB_EPOCHS`] raised to 8, the layout quality is that of the
/// per-edge version (trustworthiness@15 / 10-NN accuracy, means over eight seeds: 0.9522 /
/// 0.9692 against 0.9517 / 0.9686). A transform (one sub-epoch, fixed reference) of 10,000
/// MNIST rows took 0.12–0.15 s instead of 0.17–0.26 s, with the same 10-NN accuracy (0.9588).
#[multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2+fma"))]
fn rows_pass_batched<const D: usize>(problem: &Problem, first: usize, cur: &mut [[f32; D]], reference: &[[f32; D]], step: &Step, batch: &mut Batch) {
    let Batch { due, due_mirror, pulls, pushes, sums } = batch;
    let (own, own_rows) = due.list(&problem.own, first, cur.len(), step.part, step.epoch);
    let (mirrored, mirrored_rows): (&[usize], &[u32]) = match problem.mirror_part(step.part) {
        Some(part) => due_mirror.list(&problem.own, first, cur.len(), part, step.epoch),
        None => (&[], &[]),
    };
    let (n_own, n_all) = (own.len(), own.len() + mirrored.len());
    if n_all == 0 {
        return;
    }
    let (n_ref, r) = (reference.len(), step.negatives);
    let pool = step.pool.coords.as_chunks::<D>().0;
    // Whole lanes: the padding has zero differences, so its moves are 0.
    let len_pull = n_all.next_multiple_of(WIDE);
    let len_own = n_own.next_multiple_of(WIDE);
    let len_push = r * len_own;
    pulls.clear();
    pulls.resize(D * len_pull, 0.0);
    pushes.clear();
    pushes.resize(D * len_push, 0.0);
    // As slices, so that the gathers below keep their addresses in registers: through the
    // vectors, every store reloaded them.
    let (pulls, pushes) = (pulls.as_mut_slice(), pushes.as_mut_slice());
    // Every point this task reads, asked for at once before any is used: the reads are random
    // over the whole snapshot, and one at a time each waited on the last-level cache or memory.
    // On 1M rows this took the layout from 13.5–15.2 s to 10.6 s (60 epochs), same output.
    // A pool of negative samples is in cache already.
    for &e in own {
        prefetch::item(&reference[problem.own.cols[e] as usize]);
        if pool.is_empty() {
            let h = step.edge_hash(problem, e);
            for q in 0..r {
                prefetch::item(&reference[negative_sample(h, q + 1, n_ref)]);
            }
        }
    }
    for &e in mirrored {
        prefetch::item(&reference[problem.own.cols[e] as usize]);
    }
    // With a pool, the row's negative samples, and the row.
    let (mut negatives, mut last) = (Negatives { at: 0 }, u32::MAX);
    for (t, (&e, &i)) in own.iter().zip(own_rows).enumerate() {
        let k = problem.own.cols[e] as usize;
        let s = cur[i as usize];
        for d in 0..D {
            pulls[d * len_pull + t] = s[d] - reference[k][d];
        }
        if pool.is_empty() {
            let h = step.edge_hash(problem, e);
            for q in 0..r {
                let m = negative_sample(h, q + 1, n_ref);
                for d in 0..D {
                    pushes[d * len_push + q * len_own + t] = s[d] - reference[m][d];
                }
            }
            continue;
        }
        if i != last {
            (negatives, last) = (step.negatives_of(problem, first + i as usize), i);
        }
        for q in 0..r {
            let m = negatives.next_index(pool.len());
            for d in 0..D {
                pushes[d * len_push + q * len_own + t] = s[d] - pool[m][d];
            }
        }
    }
    for (t, (&e, &i)) in (n_own..).zip(mirrored.iter().zip(mirrored_rows)) {
        let s = cur[i as usize];
        let k = problem.own.cols[e] as usize;
        for d in 0..D {
            pulls[d * len_pull + t] = s[d] - reference[k][d];
        }
    }
    let (alpha, kernel) = (step.alpha, step.kernel);
    clipped_moves::<D>(pulls, len_pull, kernel.b, alpha * CLIP, |d2, pw| alpha * kernel.attraction_with(d2, pw));
    clipped_moves::<D>(pushes, len_push, kernel.b, alpha * CLIP, |d2, pw| alpha * kernel.repulsion_with(d2, pw));
    // Each own edge's total move, the sums over its samples in vector lanes across edges (the
    // padding past the own edges adds zeros to the first mirrored ones).
    sums.resize(len_own, 0.0);
    for (d, total) in pulls.chunks_exact_mut(len_pull).enumerate().filter(|_| len_push > 0) {
        sums.fill(0.0);
        for block in pushes[d * len_push..(d + 1) * len_push].chunks_exact(len_own) {
            sums.iter_mut().zip(block).for_each(|(s, &p)| *s += p);
        }
        total.iter_mut().zip(sums.iter()).for_each(|(t, &s)| *t += s);
    }
    for (t, &i) in own_rows.iter().chain(mirrored_rows).enumerate() {
        for d in 0..D {
            cur[i as usize][d] += pulls[d * len_pull + t];
        }
    }
}

/// Replaces the differences in `diff` (`D` blocks of `len`, a multiple of [`WIDE`]) by their
/// moves, `coef(d², d^{2b})` times the difference clipped to `±clip`, or 0 where `d = 0`.
#[inline(always)]
fn clipped_moves<const D: usize>(diff: &mut [f32], len: usize, b: f32, clip: f32, coef: impl Fn(f32, f32) -> f32) {
    for j0 in (0..len).step_by(WIDE) {
        let mut x = [[0f32; WIDE]; D];
        for (d, xd) in x.iter_mut().enumerate() {
            xd.copy_from_slice(&diff[d * len + j0..d * len + j0 + WIDE]);
        }
        let mut d2 = [0f32; WIDE];
        for xd in &x {
            for l in 0..WIDE {
                d2[l] += xd[l] * xd[l];
            }
        }
        let mut pw = [0f32; WIDE];
        for l in 0..WIDE {
            pw[l] = pow(d2[l].max(f32::MIN_POSITIVE), b);
        }
        let mut c = [0f32; WIDE];
        for l in 0..WIDE {
            // `finite` outside the condition: inside, the compiler moved the coefficient's
            // divisions into a branch and computed them lane by lane, a third slower.
            let v = finite(coef(d2[l].max(f32::MIN_POSITIVE), pw[l]));
            c[l] = if d2[l] > 0.0 { v } else { 0.0 };
        }
        for (d, xd) in x.iter_mut().enumerate() {
            for l in 0..WIDE {
                xd[l] = (c[l] * xd[l]).clamp(-clip, clip);
            }
            diff[d * len + j0..d * len + j0 + WIDE].copy_from_slice(xd);
        }
    }
}

/// Rows per task of [`epoch_pass`]. Each task starts by reading its rows' edge offsets in each
/// sampled part (`n` apart), which missed the cache; on 1M points 512 rows instead of 128 took
/// 60 epochs from 14.5–15.0 s to 13.5–13.7 s (2,048: 15.8 s), with the same output (a row's
/// moves do not depend on the task it is in) and the same time on MNIST.
const ROWS_PER_TASK: usize = 512;

/// Scratch of one task: its due edges and their rows, the due test of its edges, and where
/// its rows' edges end. Edge ids are `usize`: a graph of 10⁸ points with 30 neighbours each has
/// more than 2³² edges.
#[derive(Default)]
struct DueEdges {
    list: Vec<usize>,
    rows: Vec<u32>,
    flags: Vec<u8>,
    ends: Vec<u32>,
}

impl DueEdges {
    /// The edges of moving rows `first..first + rows` due in this sub-epoch, in order, and the
    /// row of each (from `first`). The task's edges are one contiguous range: they are tested at
    /// once in vector lanes, then listed in one flat pass without branches, so that neither the
    /// listing nor the loop over the due edges mispredicts on the rows' varying edge counts.
    ///
    /// Each edge's row is counted from the rows' ends rather than stored: 4 bytes an edge less
    /// to read twice an epoch (a layout on 1M points read its edge arrays at about 5 GB/s),
    /// and 100 MB less on 1M points.
    #[inline(always)]
    fn list(&mut self, set: &EdgeSet, first: usize, rows: usize, part: usize, epoch: usize) -> (&[usize], &[u32]) {
        let start = set.edges(first, part).start;
        let end = set.edges(first + rows - 1, part).end;
        // `ends[i]`: the rows whose edges end just before edge `start + i`.
        self.ends.clear();
        self.ends.resize(end - start + 1, 0);
        let at = part * set.rows + first;
        for &next in &set.ptr[at + 1..at + rows] {
            self.ends[next - start] += 1;
        }
        // Whole vectors are stored past the due edges: room for one more.
        self.list.resize(end - start + DUE_BLOCK, 0);
        self.rows.resize(end - start + DUE_BLOCK, 0);
        let rates = &set.rates[start..end];
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: AVX-512F is available, checked just above; the lists hold a vector more
            // than the edges, and `ends` one entry more.
            let len = unsafe { due_edges_avx512(rates, start, epoch, &self.ends, &mut self.list, &mut self.rows) };
            return (&self.list[..len], &self.rows[..len]);
        }
        let len = due_edges(rates, start, epoch, &self.ends, &mut self.flags, &mut self.list, &mut self.rows);
        (&self.list[..len], &self.rows[..len])
    }
}

/// The body of [`DueEdges::list`]: for the `rates` of edges `start..start + rates.len()`, writes
/// the due ones to `list` and the row of each to `rows`, counted from `ends` (the rows whose
/// edges end just before each edge, one entry more than the edges), and returns how many.
/// `list` and `rows` hold at least one entry per edge; `flags` is scratch.
fn due_edges(rates: &[f32], start: usize, epoch: usize, ends: &[u32], flags: &mut Vec<u8>, list: &mut [usize], rows: &mut [u32]) -> usize {
    flags.clear();
    flags.extend(rates.iter().map(|&rate| due(rate, epoch) as u8));
    let (mut len, mut row) = (0, 0);
    for ((e, &flag), &ended) in (start..).zip(flags.iter()).zip(ends) {
        row += ended;
        list[len] = e;
        rows[len] = row;
        len += flag as usize;
    }
    len
}

/// Edges of [`due_edges_avx512`]'s blocks: one vector of `f32` rates and `u32` row numbers.
const DUE_BLOCK: usize = 16;

/// [`due_edges`] in AVX-512 vectors, with the same result. Each block of [`DUE_BLOCK`]
/// edges takes one due test, a prefix sum of the row ends in the vector, and a compress of the
/// due lanes, where the scalar list took a few instructions per edge: 60 epochs on 1M points
/// took 12.46–12.73 s instead of 12.83–13.31 s (alternating runs).
///
/// # Safety
/// AVX-512F must be available; `ends` must hold `rates.len() + 1` entries, `list` and `rows`
/// at least `rates.len() + DUE_BLOCK`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn due_edges_avx512(rates: &[f32], start: usize, epoch: usize, ends: &[u32], list: &mut [usize], rows: &mut [u32]) -> usize {
    use std::arch::x86_64::*;
    let m = rates.len();
    assert!(ends.len() > m && list.len() >= m + DUE_BLOCK && rows.len() >= m + DUE_BLOCK);
    let (now, before) = (_mm512_set1_ps(epoch as f32), _mm512_set1_ps((epoch - 1) as f32));
    let zero = _mm512_setzero_si512();
    let (mut len, mut carry) = (0usize, zero);
    let (low, high) = (_mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7), _mm512_setr_epi64(8, 9, 10, 11, 12, 13, 14, 15));
    let last = _mm512_set1_epi32(DUE_BLOCK as i32 - 1);
    for b in (0..m).step_by(DUE_BLOCK) {
        let valid: __mmask16 = if m - b >= DUE_BLOCK { 0xFFFF } else { (1u16 << (m - b)) - 1 };
        // SAFETY: the masked loads read lanes below `m − b` only, inside `rates` and `ends`;
        // the stores write 16 lanes from `len ≤ b`, inside the lists (the caller's contract).
        unsafe {
            let rate = _mm512_maskz_loadu_ps(valid, rates.as_ptr().add(b));
            // As [`due`]: the floors of `epoch · rate` and `(epoch − 1) · rate`, compared.
            let a = _mm512_roundscale_ps::<{ _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC }>(_mm512_mul_ps(now, rate));
            let c = _mm512_roundscale_ps::<{ _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC }>(_mm512_mul_ps(before, rate));
            let due = _mm512_mask_cmp_ps_mask::<_CMP_GT_OQ>(valid, a, c);
            // Each edge's row: the ends so far, summed across the lanes in four shifts.
            let mut row = _mm512_maskz_loadu_epi32(valid, ends.as_ptr().add(b).cast());
            row = _mm512_add_epi32(row, _mm512_alignr_epi32::<15>(row, zero));
            row = _mm512_add_epi32(row, _mm512_alignr_epi32::<14>(row, zero));
            row = _mm512_add_epi32(row, _mm512_alignr_epi32::<12>(row, zero));
            row = _mm512_add_epi32(row, _mm512_alignr_epi32::<8>(row, zero));
            row = _mm512_add_epi32(row, carry);
            carry = _mm512_permutexvar_epi32(last, row);
            _mm512_storeu_si512(rows.as_mut_ptr().add(len).cast(), _mm512_maskz_compress_epi32(due, row));
            let base = _mm512_set1_epi64((start + b) as i64);
            let (lo, hi) = (due as u8, (due >> 8) as u8);
            let n_lo = lo.count_ones() as usize;
            _mm512_storeu_si512(list.as_mut_ptr().add(len).cast(), _mm512_maskz_compress_epi64(lo, _mm512_add_epi64(base, low)));
            _mm512_storeu_si512(list.as_mut_ptr().add(len + n_lo).cast(), _mm512_maskz_compress_epi64(hi, _mm512_add_epi64(base, high)));
            len += due.count_ones() as usize;
        }
    }
    len
}

/// The edges of moving rows `first..first + cur.len()` in one sub-epoch (see [`epoch_pass`]),
/// edge by edge: each move starts where the row's previous one ended. The own edges come first,
/// with their negative samples, then the mirrored ones.
#[multiversion(targets("x86_64+avx2+fma"))]
fn rows_pass<const D: usize>(problem: &Problem, first: usize, cur: &mut [[f32; D]], reference: &[[f32; D]], step: &Step, due: &mut [DueEdges; 2]) {
    for ((part, negatives), due) in problem.sampled_parts(step.part, step.negatives).zip(due.iter_mut()) {
        let (mut drawn, mut last) = (Negatives { at: 0 }, usize::MAX);
        let (edges, rows) = due.list(&problem.own, first, cur.len(), part, step.epoch);
        for (&e, &i) in edges.iter().zip(rows) {
            let (i, v) = (i as usize, first + i as usize);
            if v != last {
                (drawn, last) = (step.negatives_of(problem, v), v);
            }
            cur[i] = edge_move::<D>(problem, negatives, v, e, cur[i], reference, step, &mut drawn);
        }
    }
}

/// Row `v` at `start` after its sampled edge `e`: the pull toward the other end and the pushes
/// from `negatives` negative samples of the edge (0 for a mirrored edge), all computed from
/// `start`, in batches of [`LANES`] independent lanes (lane 0 of the first batch is the pull)
/// that the compiler vectorises, clipped one by one, and added.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn edge_move<const D: usize>(
    problem: &Problem,
    negatives: usize,
    v: usize,
    e: usize,
    start: [f32; D],
    reference: &[[f32; D]],
    step: &Step,
    drawn: &mut Negatives,
) -> [f32; D] {
    let set = &problem.own;
    let n_ref = reference.len();
    let (alpha, kernel, r) = (step.alpha, step.kernel, negatives);
    let clip_all = alpha * CLIP;
    let k = set.cols[e] as usize;
    let h = step.edge_hash(problem, e);
    let mut acc = [0f32; D];
    // Lane j of the whole sequence: 0 is the pull, 1..=r the negative samples.
    let mut lane0 = 0;
    while lane0 <= r {
        // Other ends, one array per coordinate; `live` is 0 for padding and for the row itself.
        let mut ys = [[0f32; LANES]; D];
        let mut live = [0f32; LANES];
        for l in 0..LANES {
            let j = lane0 + l;
            let m = if j == 0 {
                k
            } else if j <= r {
                drawn.next(step, h, j, n_ref)
            } else {
                continue;
            };
            for d in 0..D {
                ys[d][l] = reference[m][d];
            }
            live[l] = if j > 0 && problem.own_index && m == v { 0.0 } else { 1.0 };
        }
        let mut d2 = [0f32; LANES];
        for d in 0..D {
            for l in 0..LANES {
                let t = start[d] - ys[d][l];
                d2[l] += t * t;
            }
        }
        let mut coef = [0f32; LANES];
        let mut pw = [0f32; LANES];
        for l in 0..LANES {
            let x = d2[l].max(f32::MIN_POSITIVE);
            pw[l] = pow(x, kernel.b);
            let rep = kernel.two_gamma_b / ((0.001 + x) * (kernel.a * pw[l] + 1.0));
            let c = finite(alpha * rep * live[l]);
            coef[l] = if d2[l] > 0.0 { c } else { 0.0 };
        }
        let clip = [clip_all; LANES];
        let mut dens = 0.0;
        if lane0 == 0 {
            let x = d2[0];
            coef[0] = if x > 0.0 { finite(alpha * kernel.attraction_with(x, pw[0])) } else { 0.0 };
            dens = step.dens_coefficient(v, k, set, e, x, pw[0]);
        }
        for d in 0..D {
            let mut sum = 0.0;
            for l in 0..LANES {
                sum += (coef[l] * (start[d] - ys[d][l])).clamp(-clip[l], clip[l]);
            }
            if dens != 0.0 {
                sum += alpha * (dens * (start[d] - ys[d][0])).clamp(-CLIP, CLIP);
            }
            acc[d] += sum;
        }
        lane0 += LANES;
    }
    let mut end = start;
    for d in 0..D {
        end[d] += acc[d];
    }
    end
}

/// [`epoch_pass`] for any dimension.
fn epoch_pass_dyn(problem: &Problem, moving: &mut [f32], reference: &[f32], dim: usize, step: &Step) {
    let n_ref = reference.len() / dim;
    let (alpha, kernel) = (step.alpha, step.kernel);
    let clip = alpha * CLIP;
    moving.par_chunks_mut(dim).enumerate().with_min_len(256).for_each_init(
        || vec![0f32; dim],
        |start, (v, cur)| {
            let set = &problem.own;
            let mut drawn = step.negatives_of(problem, v);
            for (e, negatives) in problem.due_edges(v, step) {
                let k = set.cols[e] as usize;
                start.copy_from_slice(cur);
                let yk = &reference[k * dim..(k + 1) * dim];
                let d2 = sq_dist(start, yk);
                if d2 > 0.0 {
                    let d2b = pow(d2, kernel.b);
                    let c = finite(alpha * kernel.attraction_with(d2, d2b));
                    let dens = step.dens_coefficient(v, k, set, e, d2, d2b);
                    for ((p, &s0), &q) in cur.iter_mut().zip(start.iter()).zip(yk) {
                        *p += (c * (s0 - q)).clamp(-clip, clip) + alpha * (dens * (s0 - q)).clamp(-CLIP, CLIP);
                    }
                }
                if negatives == 0 {
                    continue;
                }
                let h = step.edge_hash(problem, e);
                for s in 1..=negatives {
                    let m = drawn.next(step, h, s, n_ref);
                    let ym = &reference[m * dim..(m + 1) * dim];
                    let d2 = sq_dist(start, ym);
                    if d2 > 0.0 && !(problem.own_index && m == v) {
                        let c = finite(alpha * kernel.repulsion(d2));
                        for ((p, &s0), &q) in cur.iter_mut().zip(start.iter()).zip(ym) {
                            *p += (c * (s0 - q)).clamp(-clip, clip);
                        }
                    }
                }
            }
        },
    );
}

/// One sub-epoch in a non-euclidean output space (umap-learn's `optimize_layout_generic`): each
/// moving row walks its due edges in order, every move from where the previous one left it, with
/// the output distance `d` and its gradient ([`OutputMetric::distance_grad`]): a pull of
/// `2b (w − 1) / (d + 10⁻⁶)` and pushes of `2γb w / (d + 10⁻⁶)` from the negative samples, with
/// `w = 1 / (1 + a d^{2b})` (1 at `d = 0`). Rows are independent and read the other ends from
/// the snapshot, so the result does not depend on the threads.
fn epoch_pass_generic(problem: &Problem, moving: &mut [f32], reference: &[f32], dim: usize, step: &Step, metric: OutputMetric) {
    let n_ref = reference.len() / dim;
    let (alpha, a, b) = (step.alpha as f64, step.kernel.a as f64, step.kernel.b as f64);
    let two_gamma_b = step.kernel.two_gamma_b as f64;
    let similarity = |d: f64| if d > 0.0 { 1.0 / (1.0 + a * (d * d).powf(b)) } else { 1.0 };
    moving.par_chunks_mut(dim).enumerate().with_min_len(256).for_each_init(
        || vec![0f64; dim],
        |grad, (v, cur)| {
            let set = &problem.own;
            let mut drawn = step.negatives_of(problem, v);
            for (e, negatives) in problem.due_edges(v, step) {
                let k = set.cols[e] as usize;
                let d = metric.distance_grad(cur, &reference[k * dim..(k + 1) * dim], grad);
                let coef = 2.0 * b * (similarity(d) - 1.0) / (d + 1e-6);
                metric.step(cur, grad, coef, CLIP as f64, alpha);
                if negatives == 0 {
                    continue;
                }
                let h = step.edge_hash(problem, e);
                for s in 1..=negatives {
                    let m = drawn.next(step, h, s, n_ref);
                    if problem.own_index && m == v {
                        continue;
                    }
                    let d = metric.distance_grad(cur, &reference[m * dim..(m + 1) * dim], grad);
                    let coef = two_gamma_b * similarity(d) / (d + 1e-6);
                    metric.step(cur, grad, coef, CLIP as f64, alpha);
                }
            }
        },
    );
}

/// The two gradient coefficients of the low-dimensional similarity `1 / (1 + a d^{2b})`.
#[derive(Clone, Copy)]
struct Kernel {
    a: f32,
    b: f32,
    two_ab: f32,
    two_gamma_b: f32,
}

impl Kernel {
    fn new(a: f32, b: f32, gamma: f32) -> Kernel {
        Kernel { a, b, two_ab: 2.0 * a * b, two_gamma_b: 2.0 * gamma * b }
    }

    /// `−2ab d^{2(b−1)} / (1 + a d^{2b})` for `d2 = d² > 0`, given `d2b = d2^b`, written as
    /// `−2ab / (d² (a + d^{−2b}))` so that a steep curve (large `a` or `b`, where `a d^{2b}`
    /// overflows) gives 0 rather than `∞ / ∞`.
    #[inline(always)]
    fn attraction_with(&self, d2: f32, d2b: f32) -> f32 {
        -self.two_ab / (d2 * (self.a + 1.0 / d2b))
    }

    /// `2γb / ((0.001 + d²)(1 + a d^{2b}))` for `d2 = d² > 0`.
    #[inline]
    fn repulsion(&self, d2: f32) -> f32 {
        self.repulsion_with(d2, pow(d2, self.b))
    }

    /// [`Kernel::repulsion`] given `d2b = d2^b`.
    #[inline(always)]
    fn repulsion_with(&self, d2: f32, d2b: f32) -> f32 {
        self.two_gamma_b / ((0.001 + d2) * (self.a * d2b + 1.0))
    }
}

/// `c` with an infinite value replaced by the largest finite one of its sign: on a steep curve
/// (large `a` or `b`) a coefficient can overflow, and `∞ · 0` along a coordinate where the two
/// points agree would be NaN; the largest finite coefficient still clips to the full step.
#[inline(always)]
fn finite(c: f32) -> f32 {
    c.clamp(-f32::MAX, f32::MAX)
}

/// `x^y` for `x > 0` as `2^(y log₂ x)` with short polynomials: relative error below 5e-6 over
/// the range a layout meets, about 5× faster than `powf`.
#[inline(always)]
fn pow(x: f32, y: f32) -> f32 {
    exp2(y * log2(x))
}

/// `log₂ x` for finite `x > 0`: exponent from the bits, mantissa `m ∈ [√½, √2)` by the series of
/// `2 atanh(t) / ln 2`, `t = (m − 1)/(m + 1)`, `|t| < 0.172`, as an odd polynomial of degree 5
/// fitted by least squares on that range (error below 1e-7).
#[inline(always)]
fn log2(x: f32) -> f32 {
    let bits = x.to_bits();
    // Exponent such that the mantissa lands in [√½, √2).
    let adj = bits.wrapping_sub(0x3F35_04F3);
    let e = ((adj as i32) >> 23) as f32;
    let m = f32::from_bits(bits.wrapping_sub(adj & 0xFF80_0000));
    let t = (m - 1.0) / (m + 1.0);
    let t2 = t * t;
    let poly = 2.885_391 + t2 * (0.961_524_3 + t2 * 0.597_240_6);
    e + t * poly
}

/// `2^y`: integer part into the exponent bits, fraction `f ∈ [−½, ½]` by a degree-5 polynomial
/// fitted by least squares in relative error (below 2.5e-7).
#[inline(always)]
fn exp2(y: f32) -> f32 {
    let y = y.clamp(-126.0, 126.0);
    // Round to nearest by the 1.5 · 2²³ trick: the integer lands in the low mantissa bits, so
    // neither a libm call nor a float-to-int conversion is needed.
    const SHIFT: f32 = 12_582_912.0;
    let t = y + SHIFT;
    let f = y - (t - SHIFT);
    let i = t.to_bits().wrapping_sub(SHIFT.to_bits());
    let p = 1.0 + f * (0.693_146_9 + f * (0.240_223_2 + f * (0.055_508_34 + f * (0.009_666_754 + f * 0.001_321_695))));
    p * f32::from_bits(i.wrapping_add(127) << 23)
}

#[inline]
fn sq_dist(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::NoProgress;

    /// Two 6-cliques joined by one weak edge, as symmetric CSR.
    fn two_cliques() -> (Vec<usize>, Vec<u32>, Vec<f32>) {
        let n = 12;
        let mut rows: Vec<Vec<(u32, f32)>> = vec![Vec::new(); n];
        for c in 0..2 {
            for i in 0..6 {
                for j in 0..6 {
                    if i != j {
                        rows[c * 6 + i].push(((c * 6 + j) as u32, 1.0));
                    }
                }
            }
        }
        rows[0].push((6, 0.05));
        rows[6].push((0, 0.05));
        let mut indptr = vec![0];
        let (mut indices, mut weights) = (Vec::new(), Vec::new());
        for r in rows.iter_mut() {
            r.sort_by_key(|e| e.0);
            indices.extend(r.iter().map(|e| e.0));
            weights.extend(r.iter().map(|e| e.1));
            indptr.push(indices.len());
        }
        (indptr, indices, weights)
    }

    fn start() -> Vec<f32> {
        let s = SeedSource::new(Some(5));
        (0..24).map(|i| (s.value(9, i) % 2000) as f32 / 100.0).collect()
    }

    #[test]
    fn cliques_end_up_apart() {
        let (indptr, indices, weights) = two_cliques();
        let mut y = start();
        let params = LayoutParams { n_epochs: 200, seed: Some(1), ..Default::default() };
        optimize_layout(&indptr, &indices, &weights, &mut y, 2, &params, &NoProgress).unwrap();
        let d = |i: usize, j: usize| ((y[2 * i] - y[2 * j]).powi(2) + (y[2 * i + 1] - y[2 * j + 1]).powi(2)).sqrt();
        let within = (1..6).map(|j| d(1, j)).fold(0.0f32, f32::max).max((7..12).map(|j| d(7, j)).fold(0.0, f32::max));
        let between = (0..6).flat_map(|i| (6..12).map(move |j| (i, j))).map(|(i, j)| d(i, j)).fold(f32::INFINITY, f32::min);
        assert!(y.iter().all(|v| v.is_finite()));
        assert!(between > within, "cliques not separated: widest clique {within}, closest pair across {between}");
    }

    /// A ring of `n` points, each joined to the 4 nearest on either side with weights in
    /// (0.05, 1], as symmetric CSR.
    fn ring(n: usize) -> (Vec<usize>, Vec<u32>, Vec<f32>) {
        let weight = |i: usize, j: usize| 0.05 + 0.95 * (mix64((i.min(j) * n + i.max(j)) as u64) % 1000) as f32 / 1000.0;
        let mut indptr = vec![0];
        let (mut indices, mut weights) = (Vec::new(), Vec::new());
        for i in 0..n {
            let mut row: Vec<usize> = (1..=4).flat_map(|o| [(i + o) % n, (i + n - o) % n]).collect();
            row.sort_unstable();
            weights.extend(row.iter().map(|&j| weight(i, j)));
            indices.extend(row.iter().map(|&j| j as u32));
            indptr.push(indices.len());
        }
        (indptr, indices, weights)
    }

    #[test]
    fn seeded_layout_is_identical_across_thread_counts() {
        // Enough points for several tasks of every pass: the batched one (2-d), the per-edge one
        // (densMAP, 3-d) and the one for any dimension (5-d, rayon pieces of at least 256 rows).
        let n = 5 * ROWS_PER_TASK + 37;
        assert!(n.div_ceil(ROWS_PER_TASK) > 1 && n / 256 > 1);
        assert_every_pass_ignores_thread_count(n, 30);
    }

    /// Seeded layouts of [`ring`]`(n)` for `n_epochs` through each pass (batched 2-d, densMAP's
    /// per-edge 3-d, any dimension 5-d) are finite and the same at 1 and 2 threads.
    fn assert_every_pass_ignores_thread_count(n: usize, n_epochs: usize) {
        let (indptr, indices, weights) = ring(n);
        let s = SeedSource::new(Some(5));
        let radii: Vec<f32> = (0..n as u64).map(|i| (s.value(8, i) % 1000) as f32 / 500.0 - 1.0).collect();
        let dens = DensMapParams { frac: 1.0, ..Default::default() };
        for (dim, densmap) in [(2, None), (3, Some((&dens, &radii[..]))), (5, None)] {
            let run = |threads| {
                let mut y: Vec<f32> = (0..n * dim).map(|i| (s.value(9, i as u64) % 2000) as f32 / 100.0).collect();
                let params = LayoutParams { n_epochs, seed: Some(3), ..Default::default() };
                crate::threads::install(Some(threads), || optimize_layout_densmap(&indptr, &indices, &weights, &mut y, dim, &params, densmap, &NoProgress))
                    .unwrap()
                    .unwrap();
                y
            };
            let one = run(1);
            assert!(one.iter().all(|v| v.is_finite()));
            assert!(one == run(2), "dim {dim}: 1 and 2 threads differ");
        }
    }

    #[test]
    fn pooled_negative_samples_are_uniform_and_identical_across_thread_counts() {
        // A pool drawn from a reference just above the size where pools start.
        let (n, dim) = (POOL_FROM + 1, 2);
        let reference: Vec<f32> = (0..n * dim).map(|u| u as f32).collect();
        let mut pool = Pool::new(n, dim);
        pool.draw(7, &reference, dim, &[]);
        assert_eq!(pool.ids.len(), POOL_SIZE);
        for (&id, xy) in pool.ids.iter().zip(pool.coords.chunks_exact(dim)) {
            assert!((id as usize) < n);
            assert_eq!(xy, &reference[id as usize * dim..(id as usize + 1) * dim]);
        }
        // Uniform: the counts in 16 equal ranges of points pass Pearson's χ² test (15 degrees
        // of freedom, 37.7 at p = 0.001).
        let mut counts = [0usize; 16];
        pool.ids.iter().for_each(|&id| counts[id as usize * 16 / n] += 1);
        let expected = POOL_SIZE as f64 / 16.0;
        let chi2: f64 = counts.iter().map(|&c| (c as f64 - expected).powi(2) / expected).sum();
        assert!(chi2 < 37.7, "χ² {chi2}: {counts:?}");
        let first = pool.ids.clone();
        pool.draw(8, &reference, dim, &[]);
        assert_ne!(first, pool.ids, "the pool follows its seed");
        assert!(Pool::new(POOL_FROM, dim).ids.is_empty(), "no pool up to POOL_FROM points");

        // Layouts that draw from pools, through each pass.
        assert_every_pass_ignores_thread_count(n, 3);
    }

    #[test]
    fn breadth_first_order_gives_the_same_layout() {
        // A ring of 8-neighbourhoods: its breadth-first order from 0 (0, 1…4, n − 4…n − 1, 5…)
        // is not the given one. Pooled negative samples, as in every fit that is reordered.
        let n = POOL_FROM + 1;
        let (ptr, indices, weights) = ring(n);
        assert!(breadth_first_order_csr(&ptr, &indices).iter().enumerate().any(|(i, &o)| o as usize != i));
        let start: Vec<f32> = (0..n * 2).map(|i| ((i as u64 * 2_654_435_761) % 1000) as f32 / 100.0).collect();
        let params = LayoutParams { n_epochs: 4, seed: Some(11), ..Default::default() };
        let layout = |reorder| {
            let mut y = start.clone();
            fit(&ptr, &indices, &weights, &mut y, 2, &params, None, reorder, &NoProgress).unwrap();
            y
        };
        let (given, reordered) = (layout(false), layout(true));
        assert!(given != start);
        assert!(given == reordered, "the breadth-first order changed the layout");
    }

    #[test]
    fn rows_without_due_edges_stay_put() {
        // 300 moving rows against the 12 clique points: the first 200 (a whole task of rows and
        // more) have no edges, so they get no pull and no negative samples; the others each have
        // one edge.
        let (m, reference) = (300, start());
        let mut indptr = vec![0usize; 201];
        indptr.extend((1..=100).map(|e| e as usize));
        let indices: Vec<u32> = (0..100).map(|i| (i % 12) as u32).collect();
        let weights = vec![1.0f32; 100];
        let keys: Vec<u64> = (0..m as u64).collect();
        let before: Vec<f32> = (0..m * 2).map(|i| i as f32 * 0.01).collect();
        let mut y = before.clone();
        let params = LayoutParams { n_epochs: 30, seed: Some(2), ..Default::default() };
        optimize_layout_fixed(&indptr, &indices, &weights, None, &keys, &mut y, &reference, 2, &params, &NoProgress).unwrap();
        assert_eq!(y[..400], before[..400]);
        assert!((200..m).all(|i| y[2 * i..2 * i + 2] != before[2 * i..2 * i + 2]));
        assert!(y.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn due_edges_are_listed_with_their_rows() {
        // Runs of edges of every length around the vector width, rows with no edges (several
        // ends at one edge), rates from never to every epoch.
        let seeds = SeedSource::new(Some(9));
        for (case, m) in (0..40).chain([100, 257]).enumerate() {
            let rates: Vec<f32> = (0..m)
                .map(|i| match seeds.value(case as u64, i as u64) % 4 {
                    0 => 0.0,
                    1 => 1.0,
                    _ => (seeds.value(100 + case as u64, i as u64) % 1000) as f32 / 1000.0,
                })
                .collect();
            let mut ends = vec![0u32; m + 1];
            (0..m).for_each(|i| ends[i] = (seeds.value(200 + case as u64, i as u64) % 5).saturating_sub(2) as u32);
            let start = 1000 * case;
            for epoch in [1, 2, 3, 7, 50, 199] {
                // Directly: edge `i` is due by the schedule, and its row counts the ends up to it.
                let expected: Vec<(usize, u32)> = (0..m)
                    .filter(|&i| (epoch as f32 * rates[i]).floor() > ((epoch - 1) as f32 * rates[i]).floor())
                    .map(|i| (start + i, ends[..=i].iter().sum()))
                    .collect();
                let (mut list, mut rows, mut flags) = (vec![0usize; m + DUE_BLOCK], vec![0u32; m + DUE_BLOCK], Vec::new());
                let len = due_edges(&rates, start, epoch, &ends, &mut flags, &mut list, &mut rows);
                let got: Vec<(usize, u32)> = list[..len].iter().copied().zip(rows[..len].iter().copied()).collect();
                assert_eq!(got, expected, "{m} edges, epoch {epoch}");
                #[cfg(target_arch = "x86_64")]
                if std::arch::is_x86_feature_detected!("avx512f") {
                    let (mut list, mut rows) = (vec![0usize; m + DUE_BLOCK], vec![0u32; m + DUE_BLOCK]);
                    // SAFETY: AVX-512F is available; the lists and `ends` have the room it needs.
                    let len = unsafe { due_edges_avx512(&rates, start, epoch, &ends, &mut list, &mut rows) };
                    let got: Vec<(usize, u32)> = list[..len].iter().copied().zip(rows[..len].iter().copied()).collect();
                    assert_eq!(got, expected, "AVX-512, {m} edges, epoch {epoch}");
                }
            }
        }
    }

    #[test]
    fn fast_pow_matches_powf() {
        let mut worst = 0.0f64;
        for i in 0..200_000 {
            let x = 1e-6f32 * 1.0001f32.powi(i);
            for y in [0.2f32, 0.79, 0.895_060_9, 1.0, 1.9] {
                let (fast, exact) = (pow(x, y) as f64, (x as f64).powf(y as f64));
                worst = worst.max(((fast - exact) / exact).abs());
            }
        }
        assert!(worst < 5e-6, "worst relative error {worst}");
    }

    #[test]
    fn invalid_input() {
        let (indptr, indices, weights) = two_cliques();
        let mut y = start();
        let bad = LayoutParams { n_epochs: 0, ..Default::default() };
        let e = optimize_layout(&indptr, &indices, &weights, &mut y, 2, &bad, &NoProgress).unwrap_err().to_string();
        assert!(e.contains("`n_epochs`"), "{e}");
        let bad = LayoutParams { learning_rate: -1.0, ..Default::default() };
        assert!(optimize_layout(&indptr, &indices, &weights, &mut y, 2, &bad, &NoProgress).unwrap_err().to_string().contains("learning_rate"));
        let e = optimize_layout(&indptr, &indices, &weights, &mut y[..20], 2, &LayoutParams::default(), &NoProgress).unwrap_err();
        assert!(e.to_string().contains("12 rows"), "{e}");
        let mut far = indices.clone();
        far[3] = 12;
        let e = optimize_layout(&indptr, &far, &weights, &mut y, 2, &LayoutParams::default(), &NoProgress).unwrap_err();
        assert!(e.to_string().contains("edge to point 12"), "{e}");
        // The same check guards a transform against a smaller reference.
        let (mut moving, keys) = (y.clone(), (0..12u64).collect::<Vec<_>>());
        let e = optimize_layout_fixed(&indptr, &indices, &weights, None, &keys, &mut moving, &y[..20], 2, &LayoutParams::default(), &NoProgress).unwrap_err();
        assert!(e.to_string().contains("edge to point 10, but there are only 10 points"), "{e}");
    }
}
