//! Nearest neighbours of new points among an indexed data set.
//!
//! Up to [`super::EXACT_MAX_ROWS`] indexed rows, every query is compared with every row. Above,
//! a best-first search walks the index's kNN graph, pruned of edges that a shorter path replaces
//! and made undirected (HNSW's and pynndescent's "diversified" graph), as they search it. It
//! starts from the leaf of a small tree where the query falls, keeps the `ef` best points seen,
//! expands the closest unexpanded one, and stops when that is farther than `1 + ε` times the worst
//! kept ([`EPSILON`], pynndescent's rule).
//!
//! The tree splits each node at the median of `d(x, a) − d(x, b)` for two of its points `a`, `b`
//! (a hyperplane between them for squared euclidean distance), so it needs no coordinates of its
//! own, works for every metric, and a query finds its leaf with two distances a level. The rows
//! of a point's neighbours are prefetched before their distances are computed: the search is
//! bound by memory, not arithmetic.
//!
//! A query's result depends only on the query and the index, never on the other queries of the
//! same call, so searching a subset gives the same rows as searching everything. The queries are
//! searched in the order of their leaves, so that a thread's consecutive queries read many of
//! the same rows while they are still in its cache: 10,000 MNIST queries took about 10 % less
//! time than in their given order.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::Data;
use crate::error::{Error, Result};
use crate::metric::{Metric, PreparedMetric, from_sum_of_squares, sq_euclidean_u8};
use crate::prefetch;
use crate::progress::Progress;
use crate::rng::{below, mix64};

use super::KnnGraph;

/// Most points in a leaf of the entry tree.
const LEAF_SIZE: usize = 32;

/// How far past the worst of the `ef` best a graph search still expands points (relative). On
/// MNIST (10,000 queries into 60,000 rows, `k` = 15, then with 64 fixed entry points and the
/// unpruned graph) `ef = k` with ε = 0.1 gave the UMAP transform a 10-NN accuracy of 0.9587 in
/// 1.5–1.7 s, against 0.9563 in 1.9–2.3 s for `ef` = 96 with ε = 0; ε = 0.05 gave 0.9553, ε = 0.02
/// 0.9414. With the entry tree and the pruned graph: ε = 0.05, 0.08, 0.1 gave 211, 274, 332
/// distances a query and accuracies 0.9555, 0.9578, 0.9588.
const EPSILON: f32 = 0.1;

/// A node of the entry tree, in preorder: a split's first child is the next node.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
enum Node {
    /// A point with `d(x, a) − d(x, b) ≤ threshold` goes to the next node, any other to the
    /// node `right` places further on.
    Split { a: u32, b: u32, threshold: f32, right: u32 },
    /// The points `start..end`.
    Leaf { start: u32, end: u32 },
}

/// The search graph of an indexed data set: undirected kNN adjacency in CSR form (`usize`
/// offsets, which pass 2³² at 10⁸ points and `k` = 30; `u32` point ids, see
/// [`super::MAX_POINTS`]), plus the entry tree. Its points are numbered in the order of the tree's leaves, so that a leaf is a run of
/// points and graph neighbours are mostly near in memory: point `t` is indexed row `ids[t]`, and
/// the searches take the indexed rows in that order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchGraph {
    indptr: Vec<usize>,
    indices: Vec<u32>,
    nodes: Vec<Node>,
    ids: Vec<u32>,
}

impl SearchGraph {
    /// Builds the search graph from the kNN graph of the indexed rows and `dist(i, j)` between
    /// indexed rows (the distance later searches use), as pynndescent prepares its index: each
    /// point's neighbours, less those a nearer kept neighbour is closer to (which leaves about 5
    /// of 15 on MNIST), then the points that kept it, up to `1.5 k` in all (7 on average); and
    /// the entry tree, whose split points `seed` picks. Then the points are renumbered in leaf
    /// order ([`Self::ids`]).
    pub fn new(graph: &KnnGraph, seed: u64, dist: impl Fn(usize, usize) -> f32 + Sync) -> SearchGraph {
        let (n, k) = (graph.n_points(), graph.k());
        // A neighbour j of i is dropped when a nearer kept neighbour q is closer to j than i is:
        // the search reaches j through q.
        let forward: Vec<Vec<u32>> = (0..n)
            .into_par_iter()
            .map(|i| {
                let mut kept: Vec<u32> = Vec::with_capacity(k);
                for &j in graph.neighbors(i).0.iter().filter(|&&j| j as usize != i) {
                    let dij = dist(i, j as usize);
                    if kept.iter().all(|&q| dist(q as usize, j as usize) >= dij) {
                        kept.push(j);
                    }
                }
                kept
            })
            .collect();
        let mut reverse: Vec<Vec<u32>> = vec![Vec::new(); n];
        for (i, row) in forward.iter().enumerate() {
            for &j in row {
                reverse[j as usize].push(i as u32);
            }
        }
        let cap = (3 * k).div_ceil(2);
        let mut indptr = Vec::with_capacity(n + 1);
        let mut indices = Vec::new();
        indptr.push(0);
        for (row, rev) in forward.iter().zip(&reverse) {
            indices.extend_from_slice(row);
            indices.extend(rev.iter().filter(|j| !row.contains(j)).take(cap.saturating_sub(row.len())));
            indptr.push(indices.len());
        }
        let mut ids: Vec<u32> = (0..n as u32).collect();
        let nodes = split(&mut ids, 0, mix64(seed), &dist);
        let mut new_id = vec![0u32; n];
        for (t, &i) in ids.iter().enumerate() {
            new_id[i as usize] = t as u32;
        }
        let mut renumbered = Vec::with_capacity(indices.len());
        let mut new_indptr = Vec::with_capacity(n + 1);
        new_indptr.push(0);
        for &i in &ids {
            let i = i as usize;
            renumbered.extend(indices[indptr[i]..indptr[i + 1]].iter().map(|&j| new_id[j as usize]));
            new_indptr.push(renumbered.len());
        }
        let nodes = nodes
            .into_iter()
            .map(|node| match node {
                Node::Split { a, b, threshold, right } => Node::Split { a: new_id[a as usize], b: new_id[b as usize], threshold, right },
                leaf => leaf,
            })
            .collect();
        SearchGraph { indptr: new_indptr, indices: renumbered, nodes, ids }
    }

    /// The indexed row of each point of the graph: the order in which searches take the rows.
    pub fn ids(&self) -> &[u32] {
        &self.ids
    }

    /// Number of indexed points.
    pub fn n_points(&self) -> usize {
        self.indptr.len() - 1
    }

    fn row(&self, i: usize) -> &[u32] {
        &self.indices[self.indptr[i]..self.indptr[i + 1]]
    }

    /// Checks the structure (after loading from a file).
    ///
    /// # Errors
    /// [`Error::InvalidData`] when offsets or indices are out of range.
    pub fn validate(&self, n: usize) -> Result<()> {
        let bad = |what: String| Err(Error::InvalidData(format!("the neighbour search graph does not fit {n} indexed points: {what}")));
        let (indptr, len) = (&self.indptr, self.nodes.len());
        if indptr.len() != n + 1 || indptr[0] != 0 || indptr[n] != self.indices.len() {
            let ends = indptr.first().zip(indptr.last()).map_or("none".to_string(), |(a, b)| format!("{a} to {b}"));
            return bad(format!(
                "{} row offsets running {ends} for {} neighbour ids (needs {} from 0 to the id count)",
                indptr.len(),
                self.indices.len(),
                n + 1
            ));
        }
        if let Some(i) = indptr.windows(2).position(|w| w[0] > w[1]) {
            return bad(format!("the row offsets decrease at point {i} ({} then {})", indptr[i], indptr[i + 1]));
        }
        if let Some(e) = self.indices.iter().position(|&j| j as usize >= n) {
            return bad(format!("neighbour id {e} is {}", self.indices[e]));
        }
        if self.ids.len() != n {
            return bad(format!("the point order has {} ids", self.ids.len()));
        }
        let mut seen = vec![false; n];
        if let Some(t) = self.ids.iter().position(|&j| j as usize >= n || std::mem::replace(&mut seen[j as usize], true)) {
            return bad(format!("the point order's id {t} is {}, out of range or repeated", self.ids[t]));
        }
        if len == 0 {
            return bad("the entry tree has no node".into());
        }
        let node_ok = |(i, node): (usize, &Node)| match *node {
            Node::Split { a, b, threshold, right } => {
                (a as usize) < n && (b as usize) < n && !threshold.is_nan() && i + 1 < len && right > 1 && i + (right as usize) < len
            }
            Node::Leaf { start, end } => start < end && end as usize <= n,
        };
        if let Some(i) = self.nodes.iter().enumerate().position(|e| !node_ok(e)) {
            return bad(format!("entry tree node {i} of {len} ({:?}) points outside the tree or the points", self.nodes[i]));
        }
        Ok(())
    }

    /// The leaf of the entry tree where a point falls, from its distances to the graph's points,
    /// as a range of them: leaves in preorder have increasing starts.
    fn leaf(&self, mut dist: impl FnMut(u32) -> f32) -> std::ops::Range<usize> {
        let mut i = 0;
        loop {
            match self.nodes[i] {
                Node::Split { a, b, threshold, right } => i += if dist(a) - dist(b) <= threshold { 1 } else { right as usize },
                Node::Leaf { start, end } => return start as usize..end as usize,
            }
        }
    }
}

/// The entry (sub)tree over `points` (which it reorders so that every leaf is a run), whose first
/// point is at `start` of the whole order; `key` picks the split points.
fn split(points: &mut [u32], start: usize, key: u64, dist: &(impl Fn(usize, usize) -> f32 + Sync)) -> Vec<Node> {
    /// Nodes larger than this split in parallel.
    const PARALLEL: usize = 4096;
    let len = points.len();
    if len <= LEAF_SIZE {
        return vec![Node::Leaf { start: start as u32, end: (start + len) as u32 }];
    }
    let a = points[below(mix64(key ^ 1), len)];
    let mut b = points[below(mix64(key ^ 2), len - 1)];
    if b == a {
        b = points[len - 1];
    }
    let side = |&p: &u32| (dist(p as usize, a as usize) - dist(p as usize, b as usize), p);
    let mut keyed: Vec<(f32, u32)> = if len > PARALLEL { points.par_iter().map(side).collect() } else { points.iter().map(side).collect() };
    let mid = len / 2;
    keyed.select_nth_unstable_by(mid - 1, |x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
    let threshold = keyed[mid - 1].0;
    for (p, &(_, q)) in points.iter_mut().zip(&keyed) {
        *p = q;
    }
    let (l, r) = points.split_at_mut(mid);
    let (lk, rk) = (mix64(key ^ 3), mix64(key ^ 4));
    let (left, right) = if len > PARALLEL {
        rayon::join(|| split(l, start, lk, dist), || split(r, start + mid, rk, dist))
    } else {
        (split(l, start, lk, dist), split(r, start + mid, rk, dist))
    };
    let mut nodes = Vec::with_capacity(1 + left.len() + right.len());
    nodes.push(Node::Split { a, b, threshold, right: 1 + left.len() as u32 });
    nodes.extend(left);
    nodes.extend(right);
    nodes
}

/// The `k` nearest rows of `index` for every row of `queries`, as an `m × k` graph over the
/// indexed rows (indices into `index`; a query equal to an indexed row finds it at distance 0).
///
/// `graph` is needed above [`super::EXACT_MAX_ROWS`] indexed rows; with it, `index` holds the
/// indexed rows in the graph's order ([`SearchGraph::ids`]), and the result still names them by
/// their indexed row. `ef` (at least `k`) is the size of the search's candidate list: larger is
/// slower and more accurate.
///
/// `metric` must be the one the index was built with, with its parameters ([`Metric::fitted`]
/// on the indexed rows). [`Metric::Precomputed`] has no distances between new rows and indexed
/// ones, and is refused.
///
/// # Errors
/// [`Error::InvalidData`] when the column counts differ or either side has more rows than
/// [`MAX_POINTS`](super::MAX_POINTS); [`Error::InvalidParameter`] for `k`
/// outside `1..=n`, for the precomputed metric, or new rows that do not fit the metric (negative
/// values under hellinger); [`Error::Cancelled`].
pub fn query(
    index: &Data,
    graph: Option<&SearchGraph>,
    queries: &Data,
    k: usize,
    metric: &Metric,
    ef: usize,
    progress: &dyn Progress,
) -> Result<(Vec<u32>, Vec<f32>)> {
    let n = index.n_rows();
    if queries.n_cols() != index.n_cols() {
        return Err(Error::InvalidData(format!("the new data has {} columns but the indexed data has {}", queries.n_cols(), index.n_cols())));
    }
    if *metric == Metric::Precomputed {
        return Err(precomputed_transform_error());
    }
    let metric = PreparedMetric::new(metric.clone(), index.n_cols())?;
    query_mapped(&metric.rows(index.as_slice()), n, graph, queries, k, &metric, ef, progress)
}

/// [`query`] on indexed rows already mapped by `metric` ([`PreparedMetric::rows`]; `n` of them)
/// and already checked against the queries' column count.
#[allow(clippy::too_many_arguments)]
pub(crate) fn query_mapped(
    index: &[f32],
    n: usize,
    graph: Option<&SearchGraph>,
    queries: &Data,
    k: usize,
    metric: &PreparedMetric,
    ef: usize,
    progress: &dyn Progress,
) -> Result<(Vec<u32>, Vec<f32>)> {
    if *metric.metric() == Metric::Hellinger {
        metric.metric().fitted(queries)?;
    }
    let d = queries.n_cols();
    let mapped = metric.rows(queries.as_slice());
    let (row, query) = (|j: usize| &index[j * d..(j + 1) * d], |i: usize| &mapped[i * d..(i + 1) * d]);
    search(n, queries.n_rows(), k, ef, graph, progress, |i, j, _| metric.distance(query(i), row(j)), |j| prefetch::slice(row(j)))
}

/// The `k` nearest indexed points of new points given by their distances, as umap-learn's
/// `transform` reads them under `metric='precomputed'`: row `i` of `distances` (`m × n`) holds
/// the distances from new point `i` to the `n` indexed points, and its `k` smallest entries are
/// its neighbours (sorted by distance, ties by index; a zero is an indexed point it duplicates).
///
/// # Errors
/// [`Error::InvalidParameter`] for `k` outside `1..=n` or a negative distance (naming its row and
/// column); [`Error::InvalidData`] for more rows or columns than [`MAX_POINTS`](super::MAX_POINTS);
/// [`Error::Cancelled`].
pub fn query_precomputed(distances: &Data, k: usize, progress: &dyn Progress) -> Result<(Vec<u32>, Vec<f32>)> {
    let n = distances.n_cols();
    if let Some(pos) = distances.as_slice().par_iter().position_first(|&v| v < 0.0) {
        return Err(Error::param(
            "metric",
            "precomputed",
            format!("distances must be non-negative, but row {}, column {} is {}", pos / n, pos % n, distances.as_slice()[pos]),
        ));
    }
    search(n, distances.n_rows(), k, k, None, progress, |i, j, _| distances.row(i)[j], |_| {})
}

/// The error for searching new rows under [`Metric::Precomputed`] (umap-learn 0.4's refusal).
pub fn precomputed_transform_error() -> Error {
    Error::param(
        "metric",
        "precomputed",
        "cannot place new data: with precomputed distances the model knows its training points only by their distances to each other",
    )
}

/// [`query`] for rows of bytes under (squared) euclidean distance (`root`: euclidean), as
/// NN-descent keeps pixel-like data: `index` is `n × d`, `queries` `m × d`. The distances are
/// exact and each costs a quarter of the memory traffic of `f32` rows.
///
/// A distance stops after the first half of the columns when that part alone already rules the
/// point out, and only that half is prefetched: with the columns ordered by decreasing variance
/// (as [`variance_order`] gives), a third of the candidates of MNIST queries stop there, and the
/// search takes 5–7 % less time. The result does not depend on the column order.
///
/// # Errors
/// As [`query`].
#[allow(clippy::too_many_arguments)]
pub(crate) fn query_bytes(
    index: &[u8],
    graph: Option<&SearchGraph>,
    queries: &[u8],
    d: usize,
    k: usize,
    root: bool,
    ef: usize,
    progress: &dyn Progress,
) -> Result<(Vec<u32>, Vec<f32>)> {
    if d == 0 || !index.len().is_multiple_of(d) || !queries.len().is_multiple_of(d) {
        return Err(Error::InvalidData(format!("{} indexed and {} query values do not make rows of {d} columns", index.len(), queries.len())));
    }
    let row = |j: usize| &index[j * d..(j + 1) * d];
    // Half the columns, in whole 32-byte blocks of the distance kernel.
    let half = (d / 64 * 32).max(d.min(32));
    let finish = |r: u64| from_sum_of_squares(r, root);
    let dist = |i: usize, j: usize, bound: f32| {
        let (a, b) = (&queries[i * d..(i + 1) * d], row(j));
        let head = sq_euclidean_u8(&a[..half], &b[..half]);
        // `finish` is monotone, so the partial distance bounds the whole one from below.
        if finish(head) > bound { finish(head) } else { finish(head + sq_euclidean_u8(&a[half..], &b[half..])) }
    };
    search(index.len() / d, queries.len() / d, k, ef, graph, progress, dist, |j| prefetch::slice(&row(j)[..half]))
}

/// The columns of rows (`n × d`, row-major, `d` at most `u32::MAX`) by decreasing variance, ties by index.
pub(crate) fn variance_order<T: Copy + Into<f64> + Sync>(rows: &[T], d: usize) -> Vec<u32> {
    let zeros = || (vec![0f64; d], vec![0f64; d]);
    let (sum, sq) = rows
        .par_chunks(d.max(1) * 1024)
        .fold(zeros, |(mut sum, mut sq), block| {
            for row in block.chunks_exact(d) {
                for (c, &v) in row.iter().enumerate() {
                    let v: f64 = v.into();
                    sum[c] += v;
                    sq[c] += v * v;
                }
            }
            (sum, sq)
        })
        .reduce(zeros, |(mut s1, mut q1), (s2, q2)| {
            s1.iter_mut().zip(s2).for_each(|(a, b)| *a += b);
            q1.iter_mut().zip(q2).for_each(|(a, b)| *a += b);
            (s1, q1)
        });
    let n = (rows.len() / d.max(1)).max(1) as f64;
    let var: Vec<f64> = sum.iter().zip(&sq).map(|(&s, &q)| q / n - (s / n).powi(2)).collect();
    let mut order: Vec<u32> = (0..d as u32).collect();
    order.sort_by(|&x, &y| var[y as usize].total_cmp(&var[x as usize]).then(x.cmp(&y)));
    order
}

/// The `k` nearest of `n` indexed rows for each of `m` queries, by exhaustive comparison or, with
/// a `graph` above [`super::EXACT_MAX_ROWS`] rows, by [`best_first`] search; with a `graph`, the
/// rows are in its order and the result maps them back to [`SearchGraph::ids`]. `dist(query, row,
/// bound)` is the distance, or any value above `bound` that is at most the distance (a partial
/// sum: the search keeps no point farther than `bound`); `touch(row)` prefetches a row whose
/// distance is about to be needed.
#[allow(clippy::too_many_arguments)]
fn search(
    n: usize,
    m: usize,
    k: usize,
    ef: usize,
    graph: Option<&SearchGraph>,
    progress: &dyn Progress,
    dist: impl Fn(usize, usize, f32) -> f32 + Sync,
    touch: impl Fn(usize) + Sync,
) -> Result<(Vec<u32>, Vec<f32>)> {
    // Indexed rows are returned, and queries ordered, by `u32` ids.
    super::check_point_count(n)?;
    super::check_point_count(m)?;
    if k == 0 || k > n {
        return Err(Error::param("k", k, format!("must be between 1 and the number of indexed rows ({n})")));
    }
    let ids = graph.map(SearchGraph::ids);
    let graph = graph.filter(|_| n > super::EXACT_MAX_ROWS);
    // With a graph, queries are searched in the order of their leaves of the entry tree, so that
    // consecutive queries of a thread are near one another and read many of the same rows.
    let order: Option<Vec<u32>> = graph.map(|g| {
        let mut keyed: Vec<(u32, u32)> = (0..m).into_par_iter().map(|i| (g.leaf(|j| dist(i, j as usize, f32::INFINITY)).start as u32, i as u32)).collect();
        keyed.par_sort_unstable();
        keyed.into_iter().map(|(_, i)| i).collect()
    });
    let mut idx = vec![0u32; m * k];
    let mut dist_out = vec![0f32; m * k];
    progress.stage("neighbours of new points", m as u64);
    idx.par_chunks_mut(k).zip(dist_out.par_chunks_mut(k)).enumerate().with_min_len(16).try_for_each_init(
        || Scratch::new(if graph.is_some() { n } else { 0 }),
        |scratch, (t, (oi, od))| {
            if t % 256 == 0 {
                progress.check()?;
                progress.inc(256.min(m - t) as u64);
            }
            let i = order.as_ref().map_or(t, |o| o[t] as usize);
            scratch.out.clear();
            match graph {
                None => scratch.out.extend((0..n).map(|j| (dist(i, j, f32::INFINITY), j as u32))),
                Some(g) => best_first(g, |j, bound| dist(i, j as usize, bound), |j| touch(j as usize), ef.max(k), scratch),
            }
            if let Some(ids) = ids {
                scratch.out.iter_mut().for_each(|p| p.1 = ids[p.1 as usize]);
            }
            super::write_sorted(&mut scratch.out, oi, od, |d| d);
            Ok::<(), Error>(())
        },
    )?;
    if let Some(order) = order {
        let (mut by_query, mut by_query_d) = (vec![0u32; m * k], vec![0f32; m * k]);
        for (t, &i) in order.iter().enumerate() {
            let (to, from) = (i as usize * k..(i as usize + 1) * k, t * k..(t + 1) * k);
            by_query[to.clone()].copy_from_slice(&idx[from.clone()]);
            by_query_d[to].copy_from_slice(&dist_out[from]);
        }
        (idx, dist_out) = (by_query, by_query_d);
    }
    progress.finish_stage();
    Ok((idx, dist_out))
}

/// `(distance, index)` ordered by distance, then index.
struct D(f32, u32);

impl PartialEq for D {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o).is_eq()
    }
}

impl Eq for D {}

impl PartialOrd for D {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

impl Ord for D {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&o.0).then(self.1.cmp(&o.1))
    }
}

/// What one thread's searches reuse from query to query.
struct Scratch {
    /// `stamps[j] == stamp` marks the points the current query has seen.
    stamps: Vec<u32>,
    stamp: u32,
    /// Points to expand, nearest first, and the `ef` best, farthest first.
    frontier: BinaryHeap<Reverse<D>>,
    best: BinaryHeap<D>,
    /// The neighbours of the point being expanded that the query has not seen.
    fresh: Vec<u32>,
    /// The result: `(distance, index)`.
    out: Vec<(f32, u32)>,
}

impl Scratch {
    /// Scratch for graph searches over `n` indexed points (0: exhaustive comparison).
    fn new(n: usize) -> Scratch {
        Scratch { stamps: vec![0; n], stamp: 0, frontier: BinaryHeap::new(), best: BinaryHeap::new(), fresh: Vec::new(), out: Vec::new() }
    }
}

/// Best-first search from the query's leaf of the entry tree; fills `scratch.out` with the `ef`
/// best `(distance, index)`.
fn best_first(g: &SearchGraph, dist: impl Fn(u32, f32) -> f32, touch: impl Fn(u32), ef: usize, scratch: &mut Scratch) {
    let Scratch { stamps, stamp, frontier, best, fresh, out } = scratch;
    *stamp = stamp.wrapping_add(1);
    if *stamp == 0 {
        stamps.fill(0);
        *stamp = 1;
    }
    let stamp = *stamp;
    frontier.clear();
    best.clear();
    let slack = 1.0 + EPSILON;
    let keep = |d: f32, j: u32, frontier: &mut BinaryHeap<Reverse<D>>, best: &mut BinaryHeap<D>| {
        let full = best.len() >= ef;
        let worst = if full { best.peek().expect("non-empty").0 } else { f32::INFINITY };
        if d < slack * worst {
            frontier.push(Reverse(D(d, j)));
        }
        if !full || D(d, j) < *best.peek().expect("non-empty") {
            best.push(D(d, j));
            if best.len() > ef {
                best.pop();
            }
        }
    };
    // The split points on the way down, then the leaf.
    fresh.clear();
    let leaf = g.leaf(|j| {
        let d = dist(j, f32::INFINITY);
        if stamps[j as usize] != stamp {
            stamps[j as usize] = stamp;
            keep(d, j, frontier, best);
        }
        d
    });
    fresh.extend(leaf.map(|j| j as u32).filter(|&j| std::mem::replace(&mut stamps[j as usize], stamp) != stamp));
    loop {
        // Rows are prefetched one ahead of the distance being computed.
        for (t, &j) in fresh.iter().enumerate() {
            if let Some(&next) = fresh.get(t + 1) {
                touch(next);
            }
            // A distance above this can be neither kept nor expanded.
            let bound = if best.len() >= ef { slack * best.peek().expect("non-empty").0 } else { f32::INFINITY };
            keep(dist(j, bound), j, frontier, best);
        }
        let Some(Reverse(D(d, j))) = frontier.pop() else { break };
        if best.len() >= ef && d > slack * best.peek().expect("non-empty").0 {
            break;
        }
        fresh.clear();
        fresh.extend(g.row(j as usize).iter().copied().filter(|&nb| std::mem::replace(&mut stamps[nb as usize], stamp) != stamp));
        if let Some(&first) = fresh.first() {
            touch(first);
        }
    }
    out.extend(best.drain().map(|D(d, j)| (d, j)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knn::{KnnParams, knn};
    use crate::progress::NoProgress;

    #[test]
    fn more_rows_than_u32_ids_are_refused_up_front() {
        // Symbolic sizes: the check comes before anything of that size is allocated or visited.
        let big = 5_000_000_000;
        for (n, m) in [(big, 1), (10, big)] {
            let e = search(n, m, 1, 1, None, &NoProgress, |_, _, _| 0.0, |_| {}).unwrap_err().to_string();
            assert!(e.contains("5000000000 rows") && e.contains("4294967295"), "{e}");
        }
    }

    /// `data`'s rows in the order of `sg`, as searches take them.
    fn in_graph_order(data: &Data, sg: &SearchGraph) -> Data<'static> {
        data.select_rows(&sg.ids.iter().map(|&i| i as usize).collect::<Vec<_>>())
    }

    fn cloud(n: usize, d: usize, salt: u64) -> Vec<f32> {
        let s = crate::rng::SeedSource::new(Some(salt));
        (0..n * d).map(|i| (s.value(0, i as u64) % 10_000) as f32 / 1000.0).collect()
    }

    #[test]
    fn graph_search_finds_the_exact_neighbours_mostly() {
        let (n, d, m, k) = (6000, 8, 200, 10);
        let x = cloud(n, d, 1);
        let data = Data::from_row_major(&x, n, d).unwrap();
        let g = knn(&data, &KnnParams { k: 15, seed: Some(1), ..Default::default() }).unwrap();
        let sg = SearchGraph::new(&g, 7, |i, j| Metric::Euclidean.distance(data.row(i), data.row(j)));
        sg.validate(n).unwrap();
        let qx = cloud(m, d, 2);
        let qd = Data::from_row_major(&qx, m, d).unwrap();
        let ordered = in_graph_order(&data, &sg);
        let (gi, _) = query(&ordered, Some(&sg), &qd, k, &Metric::Euclidean, 40, &NoProgress).unwrap();
        let (ei, ed) = query(&data, None, &qd, k, &Metric::Euclidean, k, &NoProgress).unwrap();
        // Brute force below the exact threshold is the reference; check it on one row first.
        let mut all: Vec<(f32, u32)> = (0..n).map(|j| (Metric::Euclidean.distance(qd.row(0), data.row(j)), j as u32)).collect();
        all.sort_by(|a, b| a.0.total_cmp(&b.0));
        assert_eq!(&ei[..k], &all[..k].iter().map(|p| p.1).collect::<Vec<_>>()[..]);
        assert!(ed[..k].windows(2).all(|w| w[0] <= w[1]));
        let hits: usize = (0..m).map(|i| gi[i * k..(i + 1) * k].iter().filter(|j| ei[i * k..(i + 1) * k].contains(j)).count()).sum();
        let recall = hits as f64 / (m * k) as f64;
        assert!(recall > 0.95, "recall {recall}");
        // The candidate list of a UMAP transform, `ef = k`, still finds nearly all.
        let (gk, _) = query(&ordered, Some(&sg), &qd, k, &Metric::Euclidean, k, &NoProgress).unwrap();
        let hits: usize = (0..m).map(|i| gk[i * k..(i + 1) * k].iter().filter(|j| ei[i * k..(i + 1) * k].contains(j)).count()).sum();
        assert!(hits as f64 > 0.95 * (m * k) as f64, "recall {} at ef = k", hits as f64 / (m * k) as f64);
        // A subset of queries gets the same rows.
        let sub = qd.select_rows(&[5, 17, 100]);
        let (si, _) = query(&ordered, Some(&sg), &sub, k, &Metric::Euclidean, 40, &NoProgress).unwrap();
        for (r, &i) in [5usize, 17, 100].iter().enumerate() {
            assert_eq!(&si[r * k..(r + 1) * k], &gi[i * k..(i + 1) * k]);
        }
    }

    #[test]
    fn entry_tree_leaves_partition_the_points() {
        // Two clusters far apart: the kNN graph has no edge between them, so a query must start
        // in its own cluster to find its neighbours.
        let (n, d, k) = (6000, 5, 10);
        let mut x = cloud(n, d, 3);
        x[n / 2 * d..].iter_mut().for_each(|v| *v += 1000.0);
        let data = Data::from_row_major(&x, n, d).unwrap();
        let g = knn(&data, &KnnParams { k: 15, seed: Some(1), ..Default::default() }).unwrap();
        let dist = |i: usize, j: usize| Metric::Euclidean.distance(data.row(i), data.row(j));
        let sg = SearchGraph::new(&g, 7, dist);
        sg.validate(n).unwrap();
        let mut holder = vec![usize::MAX; n];
        for (l, node) in sg.nodes.iter().enumerate() {
            if let Node::Leaf { start, end } = *node {
                assert!(end - start <= LEAF_SIZE as u32 && end - start >= LEAF_SIZE as u32 / 2, "leaf of {}", end - start);
                for &p in &sg.ids[start as usize..end as usize] {
                    assert_eq!(holder[p as usize], usize::MAX, "point {p} in two leaves");
                    holder[p as usize] = l;
                }
            }
        }
        assert!(holder.iter().all(|&l| l != usize::MAX));
        // An indexed point descends to its own leaf, unless its key ties with a split's threshold
        // (common here: far from both split points, d(x, a) − d(x, b) loses its low bits).
        let home = (0..n).filter(|&p| sg.ids[sg.leaf(|j| dist(p, sg.ids[j as usize] as usize))].contains(&(p as u32))).count();
        assert!(home as f64 >= 0.9 * n as f64, "{home} of {n} points find their own leaf");
        assert_eq!(SearchGraph::new(&g, 7, dist), sg);
        assert_ne!(SearchGraph::new(&g, 8, dist).nodes, sg.nodes);
        // Queries in both clusters find their exact neighbours.
        let mut q = cloud(200, d, 4);
        q[100 * d..].iter_mut().for_each(|v| *v += 1000.0);
        let qd = Data::from_row_major(&q, 200, d).unwrap();
        let (gi, _) = query(&in_graph_order(&data, &sg), Some(&sg), &qd, k, &Metric::Euclidean, k, &NoProgress).unwrap();
        let (ei, _) = query(&data, None, &qd, k, &Metric::Euclidean, k, &NoProgress).unwrap();
        let hits = gi.iter().zip(&ei).filter(|(a, b)| a == b).count();
        assert!(hits as f64 >= 0.95 * gi.len() as f64, "{hits} of {}", gi.len());
        // A tree that points outside itself is refused, and so is every other part out of range;
        // the message names the part and the numbers.
        let refused = |change: &dyn Fn(&mut SearchGraph), expected: &str| {
            let mut bad = sg.clone();
            change(&mut bad);
            let e = bad.validate(n).unwrap_err().to_string();
            assert!(
                e.starts_with(&format!("the neighbour search graph does not fit {n} indexed points: ")) && e.contains(expected),
                "expected {expected:?} in {e:?}"
            );
        };
        let len = sg.nodes.len();
        refused(
            &|g| {
                if let Node::Split { right, .. } = &mut g.nodes[0] {
                    *right = u32::MAX;
                }
            },
            &format!("entry tree node 0 of {len}"),
        );
        // An order of the rows that names one twice.
        refused(&|g| g.ids[0] = g.ids[1], "the point order's id 1 is");
        refused(&|g| g.ids[3] = n as u32, &format!("the point order's id 3 is {n}, out of range"));
        refused(&|g| g.indices[5] = n as u32 + 2, &format!("neighbour id 5 is {}", n + 2));
        refused(&|g| g.indptr.swap(2, 3), "the row offsets decrease at point 2");
        refused(&|g| g.indptr.truncate(n), &format!("{n} row offsets"));
        refused(&|g| g.nodes.clear(), "the entry tree has no node");
    }

    #[test]
    fn byte_rows_find_the_same_neighbours_as_floats() {
        // Integer pixel-like values, so the byte and the float rows are the same points: each
        // row spreads four random values over its columns (a 4-dimensional set, as images are
        // low-dimensional, where a graph search finds the exact neighbours).
        let bytes = |n: usize, d: usize, salt: u64| -> Vec<u8> {
            let s = crate::rng::SeedSource::new(Some(salt));
            (0..n * d).map(|i| ((s.value(0, (i / d * 4 + i % d % 4) as u64) % 64) * (1 + (i % d / 4 % 3) as u64)) as u8).collect()
        };
        let floats = |b: &[u8]| b.iter().map(|&v| v as f32).collect::<Vec<f32>>();
        // 70 columns: distances stop early after 32 of them, and the tail is not a whole block.
        let (d, m, k) = (70, 100, 10);
        for n in [3000, 6000] {
            let (xb, qb) = (bytes(n, d, 3), bytes(m, d, 4));
            let (xf, qf) = (floats(&xb), floats(&qb));
            let data = Data::from_row_major(&xf, n, d).unwrap();
            let qd = Data::from_row_major(&qf, m, d).unwrap();
            let g = knn(&data, &KnnParams { k: 15, seed: Some(1), ..Default::default() }).unwrap();
            let sg = SearchGraph::new(&g, 7, |i, j| Metric::Euclidean.distance(data.row(i), data.row(j)));
            for metric in [Metric::Euclidean, Metric::SqEuclidean] {
                let (fi, fd) = query(&in_graph_order(&data, &sg), Some(&sg), &qd, k, &metric, 40, &NoProgress).unwrap();
                let xb_ordered: Vec<u8> = sg.ids.iter().flat_map(|&i| xb[i as usize * d..(i as usize + 1) * d].to_vec()).collect();
                let (bi, bd) = query_bytes(&xb_ordered, Some(&sg), &qb, d, k, metric == Metric::Euclidean, 40, &NoProgress).unwrap();
                // Brute force on one query as the reference of the distances.
                let mut all: Vec<f64> = (0..n).map(|j| (0..d).map(|c| (qf[c] as f64 - xf[j * d + c] as f64).powi(2)).sum::<f64>()).collect();
                all.sort_by(f64::total_cmp);
                let root = |v: f64| if metric == Metric::Euclidean { v.sqrt() } else { v };
                for c in 0..k {
                    assert!((bd[c] as f64 - root(all[c])).abs() <= 1e-6 * root(all[c]).max(1.0), "n {n}, {metric:?}: {} against {}", bd[c], root(all[c]));
                }
                let same = fi.iter().zip(&bi).filter(|(a, b)| a == b).count();
                assert!(same as f64 >= 0.99 * (m * k) as f64, "n {n}, {metric:?}: {same} of {} entries agree", m * k);
                assert!(fd.iter().zip(&bd).all(|(a, b)| (a - b).abs() <= 1e-3 * a.max(1.0)));
            }
        }
        assert!(query_bytes(&[0; 12], None, &[0; 12], 12, 2, true, 2, &NoProgress).unwrap_err().to_string().contains("`k`"));
        assert!(query_bytes(&[0; 12], None, &[0; 10], 12, 1, true, 1, &NoProgress).unwrap_err().to_string().contains("rows of 12 columns"));
    }

    #[test]
    fn bad_queries() {
        let x = cloud(50, 3, 1);
        let data = Data::from_row_major(&x, 50, 3).unwrap();
        let q = Data::from_row_major(&x[..4], 2, 2).unwrap();
        assert!(query(&data, None, &q, 3, &Metric::Euclidean, 3, &NoProgress).unwrap_err().to_string().contains("2 columns"));
        let q = Data::from_row_major(&x[..6], 2, 3).unwrap();
        assert!(query(&data, None, &q, 51, &Metric::Euclidean, 51, &NoProgress).unwrap_err().to_string().contains("`k`"));
    }
}

/// The training rows of a fitted model, kept to find the nearest of them to new rows: what every
/// method that places new points by their neighbours needs (diffusion maps' Nyström extension,
/// Isomap's and LLE's `transform`). Up to [`super::EXACT_MAX_ROWS`] rows every query is compared
/// with every row; above, the rows are kept in the order of a [`SearchGraph`] built from the
/// fit's kNN graph and searched through it. Under [`Metric::Precomputed`] no rows are kept and
/// the queries are the new points' distances to the training points ([`query_precomputed`]).
///
/// ```
/// use unfold_learn::data::Data;
/// use unfold_learn::knn::{KnnParams, knn};
/// use unfold_learn::knn::search::NeighborIndex;
/// use unfold_learn::metric::Metric;
/// use unfold_learn::progress::NoProgress;
/// let x = [0.0f32, 1.0, 3.0, 7.0];
/// let data = Data::from_row_major(&x, 4, 1)?;
/// let graph = knn(&data, &KnnParams { k: 1, ..KnnParams::default() })?;
/// let index = NeighborIndex::new(&data, &graph, &Metric::Euclidean, 0)?;
/// let (idx, dist) = index.query(&Data::from_row_major(&[2.6f32], 1, 1)?, 2, &NoProgress)?;
/// assert_eq!(idx, vec![2, 1]);
/// assert!((dist[0] - 0.4).abs() < 1e-6);
/// # Ok::<(), unfold_learn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NeighborIndex {
    n: usize,
    n_cols: usize,
    /// The metric fitted to the training rows ([`Metric::fitted`]).
    metric: Metric,
    /// The rows, `n × n_cols`, in the search graph's order when there is one; empty under the
    /// precomputed metric.
    rows: Vec<f32>,
    graph: Option<SearchGraph>,
    /// Where each indexed row sits in `rows` (the inverse of the graph's order), built on first
    /// use by [`NeighborIndex::row`].
    #[serde(skip)]
    positions: std::sync::OnceLock<Vec<u32>>,
}

impl NeighborIndex {
    /// Indexes the rows of `data`, whose kNN graph `knn` is (any `k`), compared under `metric`
    /// (fitted here to `data`); `seed` picks the search tree's split points.
    ///
    /// # Errors
    /// [`Error::InvalidData`] when `knn` is not a graph of `data`'s rows; the errors of
    /// [`Metric::fitted`].
    pub fn new(data: &Data, knn: &KnnGraph, metric: &Metric, seed: u64) -> Result<NeighborIndex> {
        let (n, d) = (data.n_rows(), data.n_cols());
        if *metric == Metric::Precomputed {
            return Ok(NeighborIndex { n, n_cols: d, metric: Metric::Precomputed, rows: Vec::new(), graph: None, positions: Default::default() });
        }
        if knn.n_points() != n {
            return Err(Error::InvalidData(format!("a kNN graph of {} points cannot index {n} rows", knn.n_points())));
        }
        let prepared = metric.fit(data)?;
        if n <= super::EXACT_MAX_ROWS {
            return Ok(NeighborIndex {
                n,
                n_cols: d,
                metric: prepared.into_metric(),
                rows: data.as_slice().to_vec(),
                graph: None,
                positions: Default::default(),
            });
        }
        let mapped = prepared.rows(data.as_slice());
        let row = |i: usize| &mapped[i * d..(i + 1) * d];
        let graph = SearchGraph::new(knn, seed, |i, j| prepared.distance(row(i), row(j)));
        let mut rows = Vec::with_capacity(n * d);
        for &i in graph.ids() {
            rows.extend_from_slice(data.row(i as usize));
        }
        drop(mapped);
        Ok(NeighborIndex { n, n_cols: d, metric: prepared.into_metric(), rows, graph: Some(graph), positions: Default::default() })
    }

    /// Number of indexed rows.
    pub fn n_points(&self) -> usize {
        self.n
    }

    /// The metric, fitted to the indexed rows.
    pub fn metric(&self) -> &Metric {
        &self.metric
    }

    /// Indexed row `j` as it was given (`None` under the precomputed metric, which keeps none).
    pub fn row(&self, j: usize) -> Option<&[f32]> {
        if self.metric == Metric::Precomputed {
            return None;
        }
        let at = match &self.graph {
            None => j,
            Some(g) => {
                let positions = self.positions.get_or_init(|| {
                    let mut at = vec![0u32; self.n];
                    for (t, &i) in g.ids().iter().enumerate() {
                        at[i as usize] = t as u32;
                    }
                    at
                });
                positions[j] as usize
            }
        };
        Some(&self.rows[at * self.n_cols..(at + 1) * self.n_cols])
    }

    /// For a query row and its neighbours found by [`NeighborIndex::query`] (`idx`, `dist`), the
    /// indexed row it duplicates, if any: the first neighbour at distance 0 whose values are the
    /// query's (under the precomputed metric, the first at distance 0).
    pub fn duplicate_of(&self, query: &[f32], idx: &[u32], dist: &[f32]) -> Option<u32> {
        idx.iter().zip(dist).take_while(|&(_, &d)| d == 0.0).map(|(&j, _)| j).find(|&j| self.row(j as usize).is_none_or(|r| r == query))
    }

    /// The `k` nearest indexed rows of each row of `queries`, `m × k` (indexed row numbers, and
    /// distances ascending). Under the precomputed metric `queries` holds each new point's
    /// distances to the `n` indexed points.
    ///
    /// # Errors
    /// [`Error::InvalidData`] for queries with the wrong number of columns; the errors of
    /// [`query`] and [`query_precomputed`].
    pub fn query(&self, queries: &Data, k: usize, progress: &dyn Progress) -> Result<(Vec<u32>, Vec<f32>)> {
        if self.metric == Metric::Precomputed {
            if queries.n_cols() != self.n {
                return Err(Error::InvalidData(format!(
                    "with metric=\"precomputed\" the new data holds each new point's distances to the {} training points, so it needs {} columns, not {}",
                    self.n,
                    self.n,
                    queries.n_cols()
                )));
            }
            return query_precomputed(queries, k, progress);
        }
        let index = Data::from_trusted_slice(&self.rows, self.n, self.n_cols);
        query(&index, self.graph.as_ref(), queries, k, &self.metric, k, progress)
    }

    /// Checks the structure (after loading from a file).
    ///
    /// # Errors
    /// [`Error::InvalidData`] saying what does not fit.
    pub fn validate(&self) -> Result<()> {
        let rows = if self.metric == Metric::Precomputed { 0 } else { self.n * self.n_cols };
        if self.rows.len() != rows {
            return Err(Error::InvalidData(format!("the neighbour index holds {} values, not {} × {}", self.rows.len(), self.n, self.n_cols)));
        }
        if let Some(p) = self.rows.iter().position(|v| !v.is_finite()) {
            return Err(Error::InvalidData(format!("the neighbour index holds {} at value {p}", self.rows[p])));
        }
        match &self.graph {
            Some(g) => g.validate(self.n),
            None if self.n > super::EXACT_MAX_ROWS && self.metric != Metric::Precomputed => {
                Err(Error::InvalidData(format!("the neighbour index of {} rows has no search graph", self.n)))
            }
            None => Ok(()),
        }
    }
}
