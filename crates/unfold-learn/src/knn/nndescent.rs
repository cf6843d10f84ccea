//! NN-descent (Dong, Moses & Li, 2011) with a random-projection-forest start, after pynndescent.
//!
//! 1. Random-projection trees (`knn/rptree.rs`) on a sketch of the data; all pairs inside each
//!    leaf seed the graph. The points are then **reordered by the first tree's leaves**, so that
//!    neighbours sit close in memory for the rest of the search.
//! 2. Each iteration samples, for every point, up to `max_candidates` "new" and "old" candidates
//!    among its neighbours and reverse neighbours (random priorities), then joins them: every
//!    new–new and new–old pair is a proposed edge in both directions. Proposals are filtered by
//!    the receiving point's current k-th distance and applied block by block.
//! 3. Stops when fewer than `delta · n · k` entries changed in an iteration, or after `n_iters`.
//!
//! Pairs already in both graph rows are not recomputed, pairs in one row reuse its distance, and
//! float distances stop accumulating once they cannot enter either row. For (squared) euclidean
//! distance on data whose values are all integers in `0..=255` (images), the rows are kept as
//! bytes: the distances are exactly the same and a quarter of the memory is moved.
//!
//! Proposals are generated from a snapshot and applied as a set (see the module docs of
//! [`crate::knn`]), and every random choice is a hash of `(seed, stage, unit)`; with a seed the
//! result is identical at any thread count.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use rayon::prelude::*;

use super::rptree::{Tree, build_tree, sketch};
use super::{EMPTY, Heaps, KnnGraph, KnnParams, has_id, write_sorted};
use crate::data::Data;
use crate::error::Result;
use crate::metric::{Kernel, KernelVisitor, Metric, PreparedMetric, sq_euclidean_u8};
use crate::progress::Progress;
use crate::rng::{SeedSource, below};

pub(super) const STAGE_SKETCH: u64 = 1;
const STAGE_TREE: u64 = 2;
const STAGE_FILL: u64 = 3;
const STAGE_SAMPLE: u64 = 1000;

/// Points whose joins are proposed before the proposals are applied.
const JOIN_BLOCK: usize = 16_384;
/// Points per parallel task.
const TASK: usize = 64;
/// Pairs ahead of the current one whose partner row a local join prefetches.
const AHEAD: usize = 2;
/// Target ranges that proposals are bucketed into, so ranges can be updated in parallel.
const BUCKETS: usize = 64;

/// A proposed edge: `target` should consider `neighbor` at reduced distance `dist`.
type Proposal = (u32, u32, f32);

/// Approximate kNN graph by NN-descent (a [`Metric::Precomputed`] distance matrix is read as
/// [`super::exact::exact_knn`] does).
///
/// # Errors
/// As [`super::exact::exact_knn`].
pub fn nn_descent(data: &Data, params: &KnnParams, progress: &dyn Progress) -> Result<KnnGraph> {
    super::check_point_count(data.n_rows())?;
    nn_descent_prepared(data, params, &PreparedMetric::new(params.metric.clone(), data.n_cols())?, progress)
}

/// [`nn_descent`] under `metric` (in place of `params.metric`), its row map already set up.
pub(crate) fn nn_descent_prepared(data: &Data, params: &KnnParams, metric: &PreparedMetric, progress: &dyn Progress) -> Result<KnnGraph> {
    let (n, d) = (data.n_rows(), data.n_cols());
    if *metric.metric() == Metric::Precomputed {
        // The distances are all there: reading them is exact and cheaper than any search.
        return super::exact::precomputed_knn(data, params.k, progress);
    }
    let prepared = metric.rows(data.as_slice());
    let seeds = SeedSource::new(params.seed);
    let (sk, s) = sketch(&prepared, n, d, &seeds, STAGE_SKETCH);
    let forest = Forest::build(sk, s, n, params, &seeds, progress)?;
    let euclidean = matches!(metric.metric(), Metric::Euclidean | Metric::SqEuclidean);
    if euclidean && is_bytes(&prepared) {
        // Pixel-like data: every value an integer in 0..=255. One byte per value is lossless
        // and moves a quarter of the memory, which is what bounds NN-descent.
        let rows = ByteRows { rows: permuted(&prepared, d, &forest.perm, |v| v as u8), d, root: *metric.metric() == Metric::Euclidean };
        return descend(&rows, &forest, params, &seeds, progress);
    }
    struct Run<'a> {
        rows: &'a [f32],
        d: usize,
        forest: &'a Forest,
        params: &'a KnnParams,
        seeds: &'a SeedSource,
        progress: &'a dyn Progress,
    }
    impl KernelVisitor for Run<'_> {
        type Output = Result<KnnGraph>;
        fn visit<K: Kernel>(self, kernel: K) -> Result<KnnGraph> {
            let rows = FloatRows { rows: permuted(self.rows, self.d, &self.forest.perm, |v| v), d: self.d, kernel };
            descend(&rows, self.forest, self.params, self.seeds, self.progress)
        }
    }
    metric.visit_kernel(Run { rows: &prepared, d, forest: &forest, params, seeds: &seeds, progress })
}

/// The random-projection forest and the point order it induces.
pub(super) struct Forest {
    trees: Vec<Tree>,
    /// Position → original index.
    pub perm: Vec<u32>,
    /// Original index → position.
    inv: Vec<u32>,
}

impl Forest {
    /// The forest of `params.n_trees` trees (default: pynndescent's rule) on the sketch `sk`
    /// (`n × s`), and the order of the first tree's leaves.
    pub(super) fn build(sk: Vec<f32>, s: usize, n: usize, params: &KnnParams, seeds: &SeedSource, progress: &dyn Progress) -> Result<Forest> {
        let n_trees = params.n_trees.unwrap_or_else(|| 32.min(5 + (n as f64).powf(0.25).round() as usize));
        let leaf_size = 10.max(params.k);
        progress.stage("kNN trees", n_trees as u64);
        let trees: Vec<Tree> = (0..n_trees)
            .into_par_iter()
            .map(|t| {
                let tree = build_tree(&sk, s, n, leaf_size, seeds.stream(STAGE_TREE, t as u64));
                progress.inc(1);
                tree
            })
            .collect();
        drop(sk);
        progress.check()?;
        // Work in the first tree's leaf order: position p holds original point perm[p].
        let perm: Vec<u32> = trees[0].order.clone();
        let mut inv = vec![0u32; n];
        for (p, &i) in perm.iter().enumerate() {
            inv[i as usize] = p as u32;
        }
        Ok(Forest { trees, perm, inv })
    }
}

/// True when every value is an integer in `0..=255`.
pub(crate) fn is_bytes(values: &[f32]) -> bool {
    // In 0..=255 (NaN fails both compares) and an integer: adding and taking away 2²³ rounds to
    // the nearest integer. Compares, adds and masks only, so four or more values per instruction
    // (a round trip through `as u8` saturates lane by lane).
    const ROUND: f32 = 8_388_608.0;
    values.par_chunks(1 << 16).all(|c| c.iter().fold(true, |ok, &v| ok & (0.0..=255.0).contains(&v) & ((v + ROUND) - ROUND == v)))
}

/// The rows in the order `perm`, converted by `conv`.
fn permuted<T: Copy + Send + Sync + Default>(rows: &[f32], d: usize, perm: &[u32], conv: impl Fn(f32) -> T + Sync) -> Vec<T> {
    let mut out = vec![T::default(); perm.len() * d];
    out.par_chunks_mut(d).zip(perm.par_iter()).for_each(|(dst, &i)| {
        for (o, &v) in dst.iter_mut().zip(&rows[i as usize * d..(i as usize + 1) * d]) {
            *o = conv(v);
        }
    });
    out
}

/// Distances between points of the working order.
pub(super) trait RowSet: Sync {
    /// The reduced distance between positions `a` and `b`.
    fn dist(&self, a: u32, b: u32) -> f32;
    /// The reduced distance, or any value above `bound` once it surely exceeds it.
    fn dist_bounded(&self, a: u32, b: u32, bound: f32) -> f32;
    /// The true distance from a reduced one.
    fn finalize(&self, r: f32) -> f32;
    /// Per-task scratch for [`RowSet::set_anchor`].
    type Anchor: Default;
    /// Prepares `scratch` for distances from position `a` (a local join compares one point
    /// with many); nothing by default.
    #[inline]
    fn set_anchor(&self, _a: u32, _scratch: &mut Self::Anchor) {}
    /// [`RowSet::dist_bounded`] from the anchor `a` last set in `scratch` to `b`.
    #[inline]
    fn dist_from_anchor(&self, _scratch: &Self::Anchor, a: u32, b: u32, bound: f32) -> f32 {
        if bound == f32::INFINITY { self.dist(a, b) } else { self.dist_bounded(a, b, bound) }
    }
    /// Asks the cache for position `b`'s row, which a distance will read soon; nothing by default.
    #[inline]
    fn prefetch(&self, _b: u32) {}
}

/// `f32` rows and a metric kernel.
struct FloatRows<K> {
    rows: Vec<f32>,
    d: usize,
    kernel: K,
}

impl<K: Kernel> RowSet for FloatRows<K> {
    type Anchor = ();
    #[inline]
    fn dist(&self, a: u32, b: u32) -> f32 {
        let (a, b, d) = (a as usize, b as usize, self.d);
        self.kernel.reduced(&self.rows[a * d..(a + 1) * d], &self.rows[b * d..(b + 1) * d])
    }
    #[inline]
    fn dist_bounded(&self, a: u32, b: u32, bound: f32) -> f32 {
        let (a, b, d) = (a as usize, b as usize, self.d);
        self.kernel.reduced_bounded(&self.rows[a * d..(a + 1) * d], &self.rows[b * d..(b + 1) * d], bound)
    }
    fn finalize(&self, r: f32) -> f32 {
        self.kernel.finalize(r)
    }
    #[inline]
    fn prefetch(&self, b: u32) {
        crate::prefetch::slice(&self.rows[b as usize * self.d..(b as usize + 1) * self.d]);
    }
}

/// Byte rows under (squared) euclidean distance, computed exactly in integers.
struct ByteRows {
    rows: Vec<u8>,
    d: usize,
    root: bool,
}

impl RowSet for ByteRows {
    type Anchor = ();
    #[inline]
    fn dist(&self, a: u32, b: u32) -> f32 {
        let (a, b, d) = (a as usize, b as usize, self.d);
        sq_euclidean_u8(&self.rows[a * d..(a + 1) * d], &self.rows[b * d..(b + 1) * d]) as f32
    }
    #[inline]
    fn dist_bounded(&self, a: u32, b: u32, _bound: f32) -> f32 {
        self.dist(a, b)
    }
    fn finalize(&self, r: f32) -> f32 {
        if self.root { r.sqrt() } else { r }
    }
    #[inline]
    fn prefetch(&self, b: u32) {
        crate::prefetch::slice(&self.rows[b as usize * self.d..(b as usize + 1) * self.d]);
    }
}

pub(super) fn descend<R: RowSet>(g: &R, forest: &Forest, params: &KnnParams, seeds: &SeedSource, progress: &dyn Progress) -> Result<KnnGraph> {
    let n = forest.perm.len();
    let k = params.k;
    let n_iters = params.n_iters.unwrap_or_else(|| 5.max((n as f64).log2().round() as usize));
    let max_candidates = params.max_candidates.unwrap_or(k.min(60));
    let (perm, inv) = (&forest.perm, &forest.inv);

    let mut heaps = Heaps::new(n, k);
    let mut flags = vec![0u8; n * k];
    progress.stage("kNN leaves", forest.trees.len() as u64);
    // Proposal lists, one per task of a block, kept with their capacity from block to block:
    // allocated afresh, they cost a kernel-zeroed page for every 340 proposals. A tree's leaves
    // are joined in blocks of as many tasks as the NN-descent blocks have, each block's
    // proposals applied before the next is filtered, so the lists never hold a whole tree.
    let mut proposals: Vec<Buckets> = (0..JOIN_BLOCK / TASK).map(|_| Buckets::new(n)).collect();
    let mut positions = vec![0u32; n];
    for tree in &forest.trees {
        positions.par_iter_mut().zip(&tree.order).for_each(|(p, &i)| *p = inv[i as usize]);
        let leaves: Vec<&[u32]> = tree.offsets.windows(2).map(|w| &positions[w[0] as usize..w[1] as usize]).collect();
        for block in leaves.chunks(proposals.len() * TASK) {
            let tasks = &mut proposals[..block.len().div_ceil(TASK)];
            tasks.par_iter_mut().zip(block.par_chunks(TASK)).for_each_init(R::Anchor::default, |anchor, (out, chunk)| {
                out.clear();
                for (l, leaf) in chunk.iter().enumerate() {
                    // Past the first tree, a leaf's points are scattered over the rows and the
                    // heaps: start loading the next leaf's while this one is joined.
                    for &p in chunk.get(l + 1).copied().unwrap_or_default() {
                        read_ahead(g, &heaps, p);
                    }
                    for (a_pos, &a) in leaf.iter().enumerate() {
                        g.set_anchor(a, anchor);
                        for &b in &leaf[a_pos + 1..] {
                            let dist = g.dist_from_anchor(anchor, a, b, f32::INFINITY);
                            out.propose(&heaps, a, b, dist);
                            out.propose(&heaps, b, a, dist);
                        }
                    }
                }
                out.finish();
            });
            apply(&mut heaps, &mut flags, tasks, n);
        }
        progress.inc(1);
        progress.check()?;
    }
    drop(positions);
    fill_random(&mut heaps, &mut flags, g, seeds);
    progress.finish_stage();

    progress.stage("NN-descent", n_iters as u64);
    let threshold = (params.delta * n as f64 * k as f64) as usize;
    let mut sampler = Sampler::new(n, k, max_candidates);
    for iter in 0..n_iters {
        sampler.sample(&heaps, &mut flags, seeds, iter as u64);
        let (new_c, old_c) = (&sampler.new_c, &sampler.old_c);
        let mut changed = 0usize;
        for block in (0..n).step_by(JOIN_BLOCK) {
            let end = (block + JOIN_BLOCK).min(n);
            let tasks = &mut proposals[..(end - block).div_ceil(TASK)];
            tasks.par_iter_mut().enumerate().for_each_init(R::Anchor::default, |anchor, (t, out)| {
                out.clear();
                let t0 = block + t * TASK;
                for p in t0..(t0 + TASK).min(end) {
                    // The candidates are scattered over the rows and the heaps: start loading
                    // the next point's while this one's are joined.
                    if p + 1 < end {
                        for &c in new_c.row(p + 1).iter().chain(old_c.row(p + 1)) {
                            read_ahead(g, &heaps, c);
                        }
                    }
                    local_join(g, &heaps, new_c.row(p), old_c.row(p), out, anchor);
                }
                out.finish();
            });
            changed += apply(&mut heaps, &mut flags, tasks, n);
            progress.check()?;
        }
        progress.inc(1);
        if changed <= threshold {
            break;
        }
    }
    progress.finish_stage();
    drop((sampler, proposals, flags));

    // Back to the original numbering; ties re-sorted by original index.
    let mut indices = vec![0u32; n * k];
    let mut distances = vec![0f32; n * k];
    indices.par_chunks_mut(k).zip(distances.par_chunks_mut(k)).enumerate().for_each(|(i, (oi, od))| {
        let p = inv[i] as usize;
        let mut row: Vec<(f32, u32)> = (0..k).map(|c| (heaps.dist[p * k + c], perm[heaps.idx[p * k + c] as usize])).collect();
        write_sorted(&mut row, oi, od, |r| g.finalize(r));
    });
    KnnGraph::from_parts(n, k, indices, distances)
}

/// Proposals of one task, bucketed by target range.
///
/// They are collected in one list and sorted by range (stably) when the task ends: a list per
/// range, kept from block to block, would grow to the largest share that range ever had, and the
/// ranges' shares move with the block (neighbours sit close in the search order).
struct Buckets {
    proposed: Vec<Proposal>,
    sorted: Vec<Proposal>,
    /// Range `b` is `sorted[starts[b]..starts[b + 1]]`.
    starts: [usize; BUCKETS + 1],
    rows_per_bucket: usize,
}

impl Buckets {
    fn new(n: usize) -> Buckets {
        Buckets { proposed: Vec::new(), sorted: Vec::new(), starts: [0; BUCKETS + 1], rows_per_bucket: n.div_ceil(BUCKETS) }
    }

    fn clear(&mut self) {
        self.proposed.clear();
    }

    /// Proposes `neighbor` to `target` if it beats the target's current k-th entry.
    #[inline]
    fn propose(&mut self, heaps: &Heaps, target: u32, neighbor: u32, dist: f32) {
        let last = (target as usize + 1) * heaps.k - 1;
        if dist <= heaps.dist[last] {
            self.proposed.push((target, neighbor, dist));
        }
    }

    /// Sorts the proposals by range, each range in the order proposed (a counting sort).
    fn finish(&mut self) {
        let bucket = |p: &Proposal| p.0 as usize / self.rows_per_bucket;
        self.starts = [0; BUCKETS + 1];
        for p in &self.proposed {
            self.starts[bucket(p) + 1] += 1;
        }
        for b in 0..BUCKETS {
            self.starts[b + 1] += self.starts[b];
        }
        let mut next = self.starts;
        self.sorted.resize(self.proposed.len(), (0, 0, 0.0));
        for &p in &self.proposed {
            let slot = &mut next[bucket(&p)];
            self.sorted[*slot] = p;
            *slot += 1;
        }
    }

    /// The proposals to range `b`, after [`Buckets::finish`].
    fn range(&self, b: usize) -> &[Proposal] {
        &self.sorted[self.starts[b]..self.starts[b + 1]]
    }
}

/// Applies all proposals (ranges in parallel) and returns how many entries entered the graph.
/// Each range applies its proposals in task order, so the count is deterministic too.
fn apply(heaps: &mut Heaps, flags: &mut [u8], proposals: &[Buckets], n: usize) -> usize {
    let k = heaps.k;
    let rows_per_bucket = n.div_ceil(BUCKETS);
    heaps
        .dist
        .par_chunks_mut(rows_per_bucket * k)
        .zip(heaps.idx.par_chunks_mut(rows_per_bucket * k))
        .zip(flags.par_chunks_mut(rows_per_bucket * k))
        .enumerate()
        .map(|(b, ((dist, idx), flag))| {
            let base = b * rows_per_bucket;
            let mut changed = 0;
            for task in proposals {
                for &(t, j, dd) in task.range(b) {
                    let r = t as usize - base;
                    if push_flagged(&mut dist[r * k..(r + 1) * k], &mut idx[r * k..(r + 1) * k], &mut flag[r * k..(r + 1) * k], dd, j) {
                        changed += 1;
                    }
                }
            }
            changed
        })
        .sum()
}

/// [`super::push_sorted`] that also shifts the "new" flags and marks the inserted entry new.
#[inline]
fn push_flagged(dist: &mut [f32], idx: &mut [u32], flag: &mut [u8], d: f32, j: u32) -> bool {
    let k = dist.len();
    let Some(pos) = super::push_sorted(dist, idx, d, j) else { return false };
    flag.copy_within(pos..k - 1, pos + 1);
    flag[pos] = 1;
    true
}

/// Tops up rows the forest left short with random points (every row ends full since k < n).
fn fill_random<R: RowSet>(heaps: &mut Heaps, flags: &mut [u8], g: &R, seeds: &SeedSource) {
    let k = heaps.k;
    let n = heaps.dist.len() / k;
    heaps.dist.par_chunks_mut(k).zip(heaps.idx.par_chunks_mut(k)).zip(flags.par_chunks_mut(k)).enumerate().for_each(|(p, ((dist, idx), flag))| {
        let mut attempt = 0u64;
        while idx[k - 1] == EMPTY {
            // Random draws first; a scan guarantees termination when n is close to k.
            let c = if attempt < 64 * k as u64 { below(seeds.value(STAGE_FILL, ((p as u64) << 32) | attempt), n) } else { (attempt as usize - 64 * k) % n };
            attempt += 1;
            if c != p && !has_id(idx, c as u32) {
                push_flagged(dist, idx, flag, g.dist(p as u32, c as u32), c as u32);
            }
        }
    });
}

/// Candidates with their random priorities.
type Prioritised = Vec<(u64, u32)>;

/// Up to `m` candidates per point, flat.
struct Candidates {
    m: usize,
    ids: Vec<u32>,
    len: Vec<u32>,
}

impl Candidates {
    fn new(n: usize, m: usize) -> Candidates {
        Candidates { m, ids: vec![0; n * m], len: vec![0; n] }
    }

    fn row(&self, p: usize) -> &[u32] {
        &self.ids[p * self.m..p * self.m + self.len[p] as usize]
    }
}

/// The buffers of [`Sampler::sample`], allocated once for all iterations: allocating them per
/// iteration cost a fresh, kernel-zeroed 250 MB per iteration on 1M points.
struct Sampler {
    /// Reverse adjacency (CSR): `offsets[p]..offsets[p + 1]` of `rev` are the entries listing
    /// `p`, each `(row << 8) | flag`. The offsets run to n · k, past u32 at 10⁸ points and k = 43.
    offsets: Vec<usize>,
    /// Per point, its in-degree, then the next free slot of its reverse list.
    fill: Vec<AtomicUsize>,
    rev: Vec<AtomicU64>,
    /// One bit per point: whether it has a new candidate this iteration (a new entry in its own
    /// row, or one listing it in another row). Only these points join, so only their reverse
    /// lists are built.
    active: Vec<AtomicU64>,
    new_c: Candidates,
    old_c: Candidates,
}

impl Sampler {
    fn new(n: usize, k: usize, m: usize) -> Sampler {
        Sampler {
            offsets: vec![0; n + 1],
            fill: (0..n).map(|_| AtomicUsize::new(0)).collect(),
            rev: (0..n * k).map(|_| AtomicU64::new(0)).collect(),
            active: (0..n.div_ceil(64)).map(|_| AtomicU64::new(0)).collect(),
            new_c: Candidates::new(n, m),
            old_c: Candidates::new(n, m),
        }
    }

    /// Samples new and old candidates for every point from its neighbours and reverse
    /// neighbours, keeping the `m` of lowest random priority in each class, and clears the "new"
    /// flag of the forward entries that were sampled.
    ///
    /// The reverse lists are filled by all threads at once, so the order within a list varies
    /// from run to run; the candidates do not, since each class is sorted by (priority, id).
    fn sample(&mut self, heaps: &Heaps, flags: &mut [u8], seeds: &SeedSource, iter: u64) {
        let k = heaps.k;
        let n = heaps.dist.len() / k;
        let Sampler { offsets, fill, rev, active, new_c, old_c } = self;
        // Once few entries change, few points have a new candidate, and the reverse lists of
        // the others are never read: building them (two random writes per graph entry) was most
        // of a late iteration on 10M points. The bit is tested before it is set, so a point
        // already marked costs a read, not an atomic write.
        let (is_active, mark) = {
            let active = &*active;
            let is_active = move |p: usize| active[p / 64].load(Ordering::Relaxed) & (1 << (p % 64)) != 0;
            let mark = move |p: usize| {
                if !is_active(p) {
                    active[p / 64].fetch_or(1 << (p % 64), Ordering::Relaxed);
                }
            };
            (is_active, mark)
        };
        active.par_iter().for_each(|a| a.store(0, Ordering::Relaxed));
        heaps.idx.par_chunks(k).zip(flags.par_chunks(k)).enumerate().for_each(|(p, (row, flag))| {
            for (&j, &f) in row.iter().zip(flag) {
                if f != 0 {
                    mark(p);
                    mark(j as usize);
                }
            }
        });
        fill.par_iter().for_each(|f| f.store(0, Ordering::Relaxed));
        heaps.idx.par_iter().filter(|&&j| is_active(j as usize)).for_each(|&j| {
            fill[j as usize].fetch_add(1, Ordering::Relaxed);
        });
        offsets[0] = 0;
        offsets[1..].par_iter_mut().zip(fill.par_iter()).for_each(|(o, f)| *o = f.load(Ordering::Relaxed));
        running_sum(offsets);
        fill.par_iter().zip(&offsets[..n]).for_each(|(f, &o)| f.store(o, Ordering::Relaxed));
        heaps.idx.par_chunks(k).zip(flags.par_chunks(k)).enumerate().for_each(|(p, (row, flag))| {
            for (&j, &f) in row.iter().zip(flag) {
                if is_active(j as usize) {
                    let slot = fill[j as usize].fetch_add(1, Ordering::Relaxed);
                    rev[slot].store(((p as u64) << 8) | f as u64, Ordering::Relaxed);
                }
            }
        });

        let stage = STAGE_SAMPLE + iter;
        let m = new_c.m;
        let priority = |p: usize, c: u32| seeds.value(stage, ((p as u64) << 32) | c as u64);
        let offsets = &*offsets;
        new_c.ids.par_chunks_mut(m).zip(new_c.len.par_iter_mut()).zip(old_c.ids.par_chunks_mut(m).zip(old_c.len.par_iter_mut())).enumerate().for_each_init(
            || (Vec::with_capacity(4 * k), Vec::with_capacity(4 * k)),
            |(new_list, old_list): &mut (Prioritised, Prioritised), (p, ((nid, nlen), (oid, olen)))| {
                // A point without new candidates joins nothing this iteration, so its old ones
                // are never read: they are not drawn (a hash and a sort per point).
                if !is_active(p) {
                    (*nlen, *olen) = (0, 0);
                    return;
                }
                new_list.clear();
                old_list.clear();
                let forward = (0..k).map(|c| (heaps.idx[p * k + c], flags[p * k + c]));
                let reverse = rev[offsets[p]..offsets[p + 1]].iter().map(|e| {
                    let e = e.load(Ordering::Relaxed);
                    ((e >> 8) as u32, (e & 0xff) as u8)
                });
                for (c, flag) in forward.chain(reverse) {
                    let list = if flag != 0 { &mut *new_list } else { &mut *old_list };
                    list.push((0, c));
                }
                for e in new_list.iter_mut().chain(old_list.iter_mut()) {
                    e.0 = priority(p, e.1);
                }
                for (list, ids, len) in [(&mut *new_list, &mut *nid, &mut *nlen), (&mut *old_list, &mut *oid, &mut *olen)] {
                    // A candidate's priority depends only on (p, c), so its copies sort next to
                    // each other and `dedup` leaves each candidate once.
                    list.sort_unstable();
                    list.dedup_by_key(|e| e.1);
                    let taken = list.len().min(m);
                    for (id, &(_, c)) in ids.iter_mut().zip(&list[..taken]) {
                        *id = c;
                    }
                    *len = taken as u32;
                }
            },
        );
        // A candidate can be both new (one direction) and old (the other): keep it new only.
        let new_c = &*new_c;
        old_c.ids.par_chunks_mut(m).zip(old_c.len.par_iter_mut()).enumerate().for_each(|(p, (oid, olen))| {
            let news = new_c.row(p);
            let mut w = 0;
            for r in 0..*olen as usize {
                if !news.contains(&oid[r]) {
                    oid[w] = oid[r];
                    w += 1;
                }
            }
            *olen = w as u32;
        });
        flags.par_chunks_mut(k).enumerate().filter(|(p, _)| !new_c.row(*p).is_empty()).for_each(|(p, flag)| {
            let news = new_c.row(p);
            for (c, f) in flag.iter_mut().enumerate() {
                if *f != 0 && news.contains(&heaps.idx[p * k + c]) {
                    *f = 0;
                }
            }
        });
    }
}

/// Turns counts into CSR offsets in place: `counts[i + 1]` becomes the sum of `counts[..=i + 1]`
/// (`counts[0]` is 0, the first row's start).
fn running_sum(counts: &mut [usize]) {
    for i in 1..counts.len() {
        counts[i] += counts[i - 1];
    }
}

/// Asks the cache for position `p`'s row and its k-th distance (the bound its proposals meet),
/// which a join will read soon.
#[inline(always)]
fn read_ahead<R: RowSet>(g: &R, heaps: &Heaps, p: u32) {
    g.prefetch(p);
    crate::prefetch::item(&heaps.dist[(p as usize + 1) * heaps.k - 1]);
}

/// Proposes every new–new and new–old pair among one point's candidates.
///
/// The distance is computed first, abandoned early once it cannot enter either row: most pairs
/// end there, before the rows are scanned. Of the rest, a pair already in both graph rows is
/// skipped and one already in one row takes its distance from there (a pair in a row is never
/// farther than that row's k-th, so it is never abandoned).
fn local_join<R: RowSet>(g: &R, heaps: &Heaps, new: &[u32], old: &[u32], out: &mut Buckets, anchor: &mut R::Anchor) {
    let k = heaps.k;
    let row = |p: u32| (p as usize * k)..(p as usize + 1) * k;
    for (a, &u) in new.iter().enumerate() {
        g.set_anchor(u, anchor);
        let (u_idx, u_dist) = (&heaps.idx[row(u)], &heaps.dist[row(u)]);
        let later = &new[a + 1..];
        let partner = |i: usize| if i < later.len() { later[i] } else { old[i - later.len()] };
        let partners = later.len() + old.len();
        for i in 0..partners {
            let v = partner(i);
            if i + AHEAD < partners {
                // The partners' rows are scattered over the data: start loading one a few
                // pairs ahead, with the entry its bound is read from.
                read_ahead(g, heaps, partner(i + AHEAD));
            }
            if u == v {
                continue;
            }
            let (v_idx, v_dist) = (&heaps.idx[row(v)], &heaps.dist[row(v)]);
            let bound = u_dist[k - 1].max(v_dist[k - 1]);
            let computed = g.dist_from_anchor(anchor, u, v, bound);
            if computed > bound {
                continue;
            }
            let (in_u, in_v) = (has_id(u_idx, v), has_id(v_idx, u));
            let dist = match (in_u, in_v) {
                (true, true) => continue,
                (true, false) => u_dist[u_idx.iter().position(|&x| x == v).expect("v is in u's row")],
                (false, true) => v_dist[v_idx.iter().position(|&x| x == u).expect("u is in v's row")],
                (false, false) => computed,
            };
            if !in_u {
                out.propose(heaps, u, v, dist);
            }
            if !in_v {
                out.propose(heaps, v, u, dist);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_offsets_pass_u32() {
        // Reverse-neighbour counts whose total passes 2³², as the n · k entries of 10⁸ points
        // with k = 43 do: the offsets continue past 2³² instead of wrapping.
        let big = u32::MAX as usize;
        let mut counts = vec![0, big, big, 5];
        running_sum(&mut counts);
        assert_eq!(counts, [0, 4_294_967_295, 8_589_934_590, 8_589_934_595]);
    }

    #[test]
    fn byte_detection() {
        assert!(is_bytes(&[0.0, 1.0, 255.0]));
        assert!(!is_bytes(&[0.5]));
        assert!(!is_bytes(&[256.0]));
        assert!(!is_bytes(&[-1.0]));
        assert!(!is_bytes(&[f32::NAN]));
        assert!(!is_bytes(&[f32::INFINITY]));
        assert!(!is_bytes(&[255.5]));
        // Every integer 0..=255 (and −0), against the round trip through u8, and the
        // non-integers next to each; a long slice runs the parallel chunks.
        let all: Vec<f32> = (0..=255).map(|v| v as f32).chain([-0.0]).collect();
        assert!(is_bytes(&all));
        for v in (0..=255).map(|v| v as f32) {
            for off in [v.next_down(), v.next_up(), v + 0.5, -v - 1.0, f32::NEG_INFINITY] {
                assert_eq!(is_bytes(&[v, off]), (off as u8) as f32 == off, "{off}");
            }
        }
        let mut long = vec![7.0f32; 300_000];
        assert!(is_bytes(&long));
        long[299_999] = 1e-30;
        assert!(!is_bytes(&long));
    }
}
