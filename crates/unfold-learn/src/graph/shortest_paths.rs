//! Geodesic (shortest-path) distances on a weighted undirected [`SparseGraph`], as Isomap and
//! PHATE's landmark variants need them.
//!
//! * [`shortest_path_rows`]: Dijkstra (1959) from many sources in parallel, each row written
//!   straight into the caller's output; [`all_pairs_shortest_paths`] is every vertex a source.
//! * [`maxmin_landmarks`]: farthest-point ("maxmin") landmarks by geodesic distance (de Silva &
//!   Tenenbaum, 2004): the first from the seed, each next one the vertex farthest from those
//!   chosen.
//! * [`maxmin_points`]: the same greedy choice by any distance between points (ripser.py's
//!   greedy permutation), for landmark subsamples of point clouds.
//!
//! The graph must be symmetric (an edge stored in both directions with one weight, as
//! [`symmetrize`](super::symmetrize) makes it); edges are read as undirected, as scipy's
//! `shortest_path(directed=False)`. Unreachable vertices get `f32::INFINITY`.
//!
//! **Precision.** Distances are accumulated in `f32`: the edge weights are `f32` distances, the
//! output is `f32` (scikit-learn's `dist_matrix_` is `float32` for `float32` data), and a path
//! of `h` edges carries a relative rounding error of at most about `h · 2⁻²⁴` (≈ 6·10⁻⁶ for 100
//! hops), far below the error of the kNN graph itself. Rounding is monotone, so `d + w ≥ d` and
//! Dijkstra's order stays valid.
//!
//! **Speed.** The priority queue is a 4-ary heap with decrease-key whose entries are single
//! `u64`s (the bits of the non-negative `f32` key, which order as the numbers do, above the
//! vertex), so every vertex enters once and one integer comparison orders two entries. (A radix
//! heap with lazy deletion was tried first: its pops, which redistribute buckets, took 35% of an
//! Isomap fit of 10,000 MNIST images.) Each worker keeps its heap between sources (no allocation
//! per source), and the distance array of a source is its output row.
//!
//! **Determinism.** Each row is computed by one task with a fixed order of operations, so the
//! output is bit-identical at any thread count.

use rayon::prelude::*;

use super::csr::SparseGraph;
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::rng::SeedSource;

/// Not in the heap.
const ABSENT: u32 = u32::MAX;

/// A 4-ary min-heap of vertices keyed by `f32` distance, with decrease-key: each entry is one
/// `u64`, the key's bits (non-negative `f32`s order as their bit patterns do) above the vertex,
/// so one integer comparison orders by distance and then by vertex, and `pos` says where each
/// vertex sits.
#[derive(Debug, Default)]
struct QuadHeap {
    heap: Vec<u64>,
    pos: Vec<u32>,
}

impl QuadHeap {
    /// Empties the heap for a graph on `n` vertices.
    fn reset(&mut self, n: usize) {
        self.heap.clear();
        self.pos.clear();
        self.pos.resize(n, ABSENT);
    }

    #[inline]
    fn entry(key: f32, v: u32) -> u64 {
        ((key.to_bits() as u64) << 32) | v as u64
    }

    /// Inserts `v` with `key`, or lowers its key if it is in the heap.
    #[inline]
    fn push_or_decrease(&mut self, key: f32, v: u32) {
        let e = Self::entry(key, v);
        let at = match self.pos[v as usize] {
            ABSENT => {
                self.heap.push(e);
                self.heap.len() - 1
            }
            p => p as usize,
        };
        self.sift_up(at, e);
    }

    #[inline]
    fn sift_up(&mut self, mut i: usize, e: u64) {
        while i > 0 {
            let parent = (i - 1) / 4;
            let pe = self.heap[parent];
            if pe <= e {
                break;
            }
            self.heap[i] = pe;
            self.pos[pe as u32 as usize] = i as u32;
            i = parent;
        }
        self.heap[i] = e;
        self.pos[e as u32 as usize] = i as u32;
    }

    /// The vertex of least key and its key; it leaves the heap for good.
    #[inline]
    fn pop(&mut self) -> Option<(f32, u32)> {
        let top = *self.heap.first()?;
        let last = self.heap.pop().expect("non-empty");
        let len = self.heap.len();
        if len > 0 {
            // Sift `last` down from the root.
            let mut i = 0;
            loop {
                let first = 4 * i + 1;
                if first >= len {
                    break;
                }
                let end = (first + 4).min(len);
                let mut best = first;
                for c in first + 1..end {
                    if self.heap[c] < self.heap[best] {
                        best = c;
                    }
                }
                let be = self.heap[best];
                if be >= last {
                    break;
                }
                self.heap[i] = be;
                self.pos[be as u32 as usize] = i as u32;
                i = best;
            }
            self.heap[i] = last;
            self.pos[last as u32 as usize] = i as u32;
        }
        Some((f32::from_bits((top >> 32) as u32), top as u32))
    }
}

/// One worker's reusable state.
#[derive(Debug, Default)]
struct Dijkstra {
    heap: QuadHeap,
}

impl Dijkstra {
    /// Distances from `source` into `dist` (every entry overwritten), given the finished rows
    /// `row_of` has: such a vertex `x`, once popped at its final distance `d`, is not expanded;
    /// `dist = min(dist, d + row(x))` covers at once every vertex whose shortest path from
    /// `source` runs through `x`. The search thus walks only the unfinished vertices, out to the
    /// first finished ones around the source (rows are used early in the search only:
    /// [`ROWS_WHILE_SETTLED_BELOW`]). A vertex lowered by such a pass after it entered the heap
    /// pops with a stale key and is skipped: it lies beyond `x` too.
    fn run_with_rows<'r>(&mut self, graph: &SparseGraph, source: usize, dist: &mut [f32], row_of: impl Fn(usize) -> Option<&'r [f32]>) {
        let n = dist.len();
        dist.fill(f32::INFINITY);
        self.heap.reset(n);
        dist[source] = 0.0;
        self.heap.push_or_decrease(0.0, source as u32);
        let (indptr, indices, weights) = (graph.indptr(), graph.indices(), graph.weights());
        let mut settled = 0usize;
        while let Some((d, u)) = self.heap.pop() {
            let u = u as usize;
            if d > dist[u] {
                continue;
            }
            settled += 1;
            if u != source
                && settled * ROWS_WHILE_SETTLED_BELOW < n
                && let Some(row) = row_of(u)
            {
                min_plus(dist, d, row);
                continue;
            }
            let edges = indptr[u]..indptr[u + 1];
            for (&v, &w) in indices[edges.clone()].iter().zip(&weights[edges]) {
                let nd = d + w;
                let slot = &mut dist[v as usize];
                if nd < *slot {
                    *slot = nd;
                    self.heap.push_or_decrease(nd, v);
                }
            }
        }
    }
}

/// `acc = min(acc, w + row)`, elementwise (vectorised).
#[inline]
fn min_plus(acc: &mut [f32], w: f32, row: &[f32]) {
    for (a, &r) in acc.iter_mut().zip(row) {
        let x = w + r;
        *a = if x < *a { x } else { *a };
    }
}

/// A finished row is used only while fewer than `n / ROWS_WHILE_SETTLED_BELOW` vertices are
/// settled: later in the search most of a row's entries are final already, and its pass over `n`
/// values costs more than expanding the vertex's few edges. (MNIST's test set, 5 neighbours: the
/// geodesic stage took 1.27 s using rows throughout, 1.26 / 1.11 / 1.07 / 1.15 s with the bound
/// at n/4, n/16, n/32, n/64.)
const ROWS_WHILE_SETTLED_BELOW: usize = 32;

/// Most sources per round of [`all_pairs_shortest_paths`].
const ROUND: usize = 128;
/// Sources in the first round of [`all_pairs_shortest_paths`]; each next round doubles, up to
/// [`ROUND`]. Early sources find few finished rows and run near-full Dijkstras, so smaller
/// early rounds make rows available sooner (MNIST's test set, 5 neighbours: geodesic stage
/// 0.94 s with every round 128, 0.87 s from 32, 0.92 s from 16, 0.95 s from 4).
const FIRST_ROUND: usize = 32;

/// Checks that `graph` can be walked as an undirected graph from `sources`.
fn check(graph: &SparseGraph, sources: &[u32], out_len: usize) -> Result<()> {
    let n = graph.n_points();
    if let Some(&s) = sources.iter().find(|&&s| s as usize >= n) {
        return Err(Error::InvalidData(format!("shortest paths: source {s} is not a vertex of a graph on {n} vertices")));
    }
    if sources.len().checked_mul(n) != Some(out_len) {
        return Err(Error::InvalidData(format!("shortest paths: an output of {out_len} values cannot hold {} rows of {n}", sources.len())));
    }
    Ok(())
}

/// The geodesic distances from each of `sources` to every vertex of the symmetric graph
/// `graph`, written as rows of `out` (`sources.len() × n`, row-major); unreachable vertices get
/// `f32::INFINITY`. Rows are computed in parallel, each by one task, with no allocation per row.
///
/// ```
/// use unfold_learn::graph::SparseGraph;
/// use unfold_learn::graph::shortest_paths::shortest_path_rows;
/// // The path 0 – 1 – 2 with weights 1 and 2, and the isolated vertex 3.
/// let g = SparseGraph::from_parts(4, vec![0, 1, 3, 4, 4], vec![1, 0, 2, 1], vec![1.0, 1.0, 2.0, 2.0])?;
/// let mut out = vec![0.0f32; 8];
/// shortest_path_rows(&g, &[0, 2], &mut out)?;
/// assert_eq!(out, [0.0, 1.0, 3.0, f32::INFINITY, 3.0, 2.0, 0.0, f32::INFINITY]);
/// # Ok::<(), unfold_learn::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidData`] when a source is not a vertex or `out` has the wrong length.
pub fn shortest_path_rows(graph: &SparseGraph, sources: &[u32], out: &mut [f32]) -> Result<()> {
    check(graph, sources, out.len())?;
    let n = graph.n_points();
    if n == 0 {
        return Ok(());
    }
    out.par_chunks_mut(n).zip(sources.par_iter()).for_each_init(Dijkstra::default, |state, (row, &s)| state.run_with_rows(graph, s as usize, row, |_| None));
    Ok(())
}

/// The `n × n` geodesic distance matrix of the symmetric graph `graph` (row-major `f32`).
///
/// The rows are computed in rounds, highest degree first (ties: the lower vertex), each round
/// in parallel; the rounds grow from 32 sources, doubling, to 128. A source's Dijkstra
/// stops at every vertex whose row an earlier round finished: popped at its final distance `d`,
/// such a vertex `x` gives `d(s, v) = min(…, d + d(x, v))` for all `v` in one vectorised
/// min-plus pass over its row, exact for every `v` whose shortest path runs through `x`, and is
/// not expanded. The search walks only the unfinished vertices out to the first finished ones
/// around the source, so the later rounds cost a few passes over rows instead of a full
/// Dijkstra each (MNIST's test set, 5 neighbours: 1.85 s → about 1.1 s). Each task writes its
/// row in place in the output (a round's buffer copied in afterwards took another 0.1 s there:
/// one thread, and the first touch of every page of the output). The rounds are fixed by the
/// graph alone, so the result is the same at any thread count; it equals [`shortest_path_rows`]
/// up to the rounding of `f32` sums taken along the paths in another order.
///
/// `progress` counts the rows as each round ends, and a cancellation stops between rounds.
///
/// # Errors
/// As [`shortest_path_rows`]; [`Error::Cancelled`].
pub fn all_pairs_shortest_paths(graph: &SparseGraph, progress: &dyn Progress) -> Result<Vec<f32>> {
    let n = graph.n_points();
    let mut out = vec![0.0f32; n * n];
    if n == 0 {
        return Ok(out);
    }
    let degree = |v: u32| graph.indptr()[v as usize + 1] - graph.indptr()[v as usize];
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.sort_by_key(|&v| (std::cmp::Reverse(degree(v)), v));
    // round_of[v]: the round in which v's row was made (usize::MAX: not yet).
    let mut round_of = vec![usize::MAX; n];
    // Each row of `out` as its own slice: a round takes its sources' rows out to write them in
    // parallel and reads the other rows, then puts its own back (no copy, no second buffer).
    let mut rows: Vec<Option<&mut [f32]>> = out.chunks_mut(n).map(Some).collect();
    let mut rounds = Vec::new();
    let (mut start, mut size) = (0, FIRST_ROUND);
    while start < n {
        rounds.push(&order[start..(start + size).min(n)]);
        start += size;
        size = (2 * size).min(ROUND);
    }
    for (r, sources) in rounds.into_iter().enumerate() {
        progress.check()?;
        let mut mine: Vec<(u32, &mut [f32])> = sources.iter().map(|&s| (s, rows[s as usize].take().expect("each vertex is a source once"))).collect();
        let (known, round_of_ref) = (&rows, &round_of);
        let row_of = |u: usize| if round_of_ref[u] < r { known[u].as_deref() } else { None };
        mine.par_iter_mut().for_each_init(Dijkstra::default, |state, (s, row)| state.run_with_rows(graph, *s as usize, row, row_of));
        for (s, row) in mine {
            rows[s as usize] = Some(row);
            round_of[s as usize] = r;
        }
        progress.inc(sources.len() as u64);
    }
    drop(rows);
    Ok(out)
}

/// `m` landmarks of the connected symmetric graph `graph`, chosen farthest-point first ("maxmin",
/// de Silva & Tenenbaum 2004): the first is a vertex drawn from `seed`, each next one the vertex
/// whose geodesic distance to the landmarks already chosen is largest (ties: the lowest vertex).
///
/// The distance to the nearest landmark is kept up to date by a Dijkstra from each new landmark
/// that stops where it no longer improves it, so the choice costs about one shortest-path tree
/// in total, not `m`; the landmarks' full rows come after, from [`shortest_path_rows`].
///
/// ```
/// use unfold_learn::graph::SparseGraph;
/// use unfold_learn::graph::shortest_paths::maxmin_landmarks;
/// // The path 0 – 1 – 2 – 3 – 4 with unit weights.
/// let g = SparseGraph::from_parts(5, vec![0, 1, 3, 5, 7, 8], vec![1, 0, 2, 1, 3, 2, 4, 3], vec![1.0; 8])?;
/// let l = maxmin_landmarks(&g, 3, Some(7))?;
/// assert_eq!(l.len(), 3);
/// // After any first landmark, the next is an end of the path.
/// assert!(l[1] == 0 || l[1] == 4);
/// # Ok::<(), unfold_learn::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] naming `n_landmarks` when `m` is 0 or more than the vertices.
pub fn maxmin_landmarks(graph: &SparseGraph, m: usize, seed: Option<u64>) -> Result<Vec<u32>> {
    let n = graph.n_points();
    if m == 0 || m > n {
        return Err(Error::param("n_landmarks", m, format!("must be in [1, n_samples = {n}]")));
    }
    let first = (SeedSource::new(seed).value(0x6c61_6e64, 0) % n as u64) as u32;
    let mut nearest = vec![f32::INFINITY; n];
    let mut heap = QuadHeap::default();
    let mut landmarks = Vec::with_capacity(m);
    let mut next = first;
    let (indptr, indices, weights) = (graph.indptr(), graph.indices(), graph.weights());
    loop {
        landmarks.push(next);
        if landmarks.len() == m {
            break;
        }
        // Lower `nearest` by the distances from `next`, only where they are lower.
        heap.reset(n);
        nearest[next as usize] = 0.0;
        heap.push_or_decrease(0.0, next);
        while let Some((d, u)) = heap.pop() {
            let u = u as usize;
            let edges = indptr[u]..indptr[u + 1];
            for (&v, &w) in indices[edges.clone()].iter().zip(&weights[edges]) {
                let nd = d + w;
                if nd < nearest[v as usize] {
                    nearest[v as usize] = nd;
                    heap.push_or_decrease(nd, v);
                }
            }
        }
        // The farthest vertex; an unreachable one (infinite) first.
        let mut best = 0usize;
        for (v, &d) in nearest.iter().enumerate() {
            if d > nearest[best] {
                best = v;
            }
        }
        next = best as u32;
    }
    Ok(landmarks)
}

/// `m` points chosen farthest-point first ("maxmin", greedy permutation) by any distance: the
/// first is point 0, each next one the point whose distance to the points already chosen is
/// largest (ties: the lowest index), as ripser.py's `get_greedy_perm`. `row(i, out)` writes the
/// distances from point `i` to all `n` points. Returns the points and, for each, its distance to
/// those chosen before it when it was chosen (`lambdas`); the last value is the covering radius
/// of all `m`: the largest distance of a point to its nearest chosen one.
///
/// ```
/// use unfold_learn::graph::shortest_paths::maxmin_points;
/// let x = [0.0f64, 1.0, 5.0, 9.0, 10.0];
/// let (idx, lambdas) = maxmin_points(5, 3, |i, out| out.iter_mut().zip(&x).for_each(|(o, v)| *o = (v - x[i]).abs()));
/// assert_eq!(idx, [0, 4, 2]);
/// assert_eq!(lambdas, [10.0, 5.0, 1.0]);
/// ```
pub fn maxmin_points(n: usize, m: usize, mut row: impl FnMut(usize, &mut [f64])) -> (Vec<usize>, Vec<f64>) {
    let mut nearest = vec![0f64; n];
    let mut buffer = vec![0f64; n];
    let mut chosen = Vec::with_capacity(m);
    let mut lambdas = Vec::with_capacity(m);
    if m == 0 || n == 0 {
        return (chosen, lambdas);
    }
    row(0, &mut nearest);
    chosen.push(0);
    let farthest = |d: &[f64]| d.iter().enumerate().fold((0usize, f64::NEG_INFINITY), |best, (i, &v)| if v > best.1 { (i, v) } else { best });
    while chosen.len() < m {
        let (next, lambda) = farthest(&nearest);
        lambdas.push(lambda);
        chosen.push(next);
        row(next, &mut buffer);
        nearest.iter_mut().zip(&buffer).for_each(|(a, &b)| *a = a.min(b));
    }
    lambdas.push(farthest(&nearest).1);
    (chosen, lambdas)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::unit_f64;

    /// A random symmetric graph on `n` vertices with about `deg` edges per vertex.
    pub(crate) fn random_graph(n: usize, deg: usize, seed: u64) -> SparseGraph {
        let s = SeedSource::new(Some(seed));
        let mut rows: Vec<Vec<(u32, f32)>> = vec![Vec::new(); n];
        for i in 0..n {
            for e in 0..deg / 2 {
                let j = (s.value(1, (i * deg + e) as u64) % n as u64) as usize;
                if j == i {
                    continue;
                }
                // Weights with a few exact zeros (duplicate points).
                let u = unit_f64(s.value(2, (i * deg + e) as u64));
                let w = if u < 0.05 { 0.0 } else { (u * 10.0) as f32 };
                rows[i].push((j as u32, w));
                rows[j].push((i as u32, w));
            }
        }
        for r in rows.iter_mut() {
            r.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
            r.dedup_by_key(|e| e.0);
        }
        // Keep it symmetric after the dedup: take the minimum weight of each pair both ways.
        let mut w = std::collections::HashMap::new();
        for (i, r) in rows.iter().enumerate() {
            for &(j, x) in r {
                let key = (i.min(j as usize), i.max(j as usize));
                let e = w.entry(key).or_insert(x);
                *e = e.min(x);
            }
        }
        for (i, r) in rows.iter_mut().enumerate() {
            for e in r.iter_mut() {
                e.1 = w[&(i.min(e.0 as usize), i.max(e.0 as usize))];
            }
        }
        SparseGraph::from_sorted_rows(rows, false)
    }

    /// Floyd–Warshall in f64.
    fn floyd_warshall(g: &SparseGraph) -> Vec<f64> {
        let n = g.n_points();
        let mut d = vec![f64::INFINITY; n * n];
        for i in 0..n {
            d[i * n + i] = 0.0;
            let (c, w) = g.row(i);
            for (&j, &x) in c.iter().zip(w) {
                d[i * n + j as usize] = d[i * n + j as usize].min(x as f64);
            }
        }
        for k in 0..n {
            for i in 0..n {
                for j in 0..n {
                    let via = d[i * n + k] + d[k * n + j];
                    if via < d[i * n + j] {
                        d[i * n + j] = via;
                    }
                }
            }
        }
        d
    }

    #[test]
    fn dijkstra_matches_floyd_warshall_on_random_graphs() {
        for (n, deg, seed) in [(1, 2, 1), (2, 2, 2), (30, 2, 3), (60, 3, 4), (120, 6, 5), (200, 4, 6), (400, 8, 7)] {
            let g = random_graph(n, deg, seed);
            let fw = floyd_warshall(&g);
            let d = all_pairs_shortest_paths(&g, &crate::progress::NoProgress).unwrap();
            for (p, (&a, &b)) in d.iter().zip(&fw).enumerate() {
                if b.is_infinite() {
                    assert!(a.is_infinite(), "n {n}: pair {p}: {a} vs ∞");
                } else {
                    assert!((a as f64 - b).abs() <= 1e-5 * (1.0 + b), "n {n}: pair {p}: {a} vs {b}");
                }
            }
        }
    }

    #[test]
    fn rows_are_identical_at_one_and_two_threads_and_match_all_pairs() {
        let g = random_graph(300, 6, 9);
        let all = all_pairs_shortest_paths(&g, &crate::progress::NoProgress).unwrap();
        let sources = [5u32, 299, 0, 5];
        let run = |t| {
            crate::threads::install(Some(t), || {
                let mut out = vec![0.0f32; sources.len() * 300];
                shortest_path_rows(&g, &sources, &mut out).map(|_| out)
            })
            .unwrap()
            .unwrap()
        };
        let (one, two) = (run(1), run(2));
        assert_eq!(one, two);
        for (r, &s) in sources.iter().enumerate() {
            for (a, b) in one[r * 300..(r + 1) * 300].iter().zip(&all[s as usize * 300..(s as usize + 1) * 300]) {
                assert!(a == b || (a - b).abs() <= 1e-6 * a, "{a} vs {b}");
            }
        }
        let all_two = crate::threads::install(Some(2), || all_pairs_shortest_paths(&g, &crate::progress::NoProgress)).unwrap().unwrap();
        let all_one = crate::threads::install(Some(1), || all_pairs_shortest_paths(&g, &crate::progress::NoProgress)).unwrap().unwrap();
        assert!(all_one == all_two);
    }

    #[test]
    fn all_pairs_stops_between_rounds_when_cancelled() {
        use std::sync::atomic::{AtomicU64, Ordering};
        /// Asks to stop once the first round has been counted.
        struct StopAfterFirstRound(AtomicU64);
        impl Progress for StopAfterFirstRound {
            fn inc(&self, delta: u64) {
                self.0.fetch_add(delta, Ordering::Relaxed);
            }
            fn is_cancelled(&self) -> bool {
                self.0.load(Ordering::Relaxed) > 0
            }
        }
        let g = random_graph(3 * ROUND, 4, 2);
        let progress = StopAfterFirstRound(AtomicU64::new(0));
        assert!(all_pairs_shortest_paths(&g, &progress).unwrap_err().is_cancelled());
        assert_eq!(progress.0.load(Ordering::Relaxed), FIRST_ROUND as u64);
    }

    #[test]
    fn bad_sources_and_outputs_are_refused() {
        let g = random_graph(10, 2, 1);
        let mut out = vec![0.0f32; 10];
        assert!(shortest_path_rows(&g, &[10], &mut out).unwrap_err().to_string().contains("source 10 is not a vertex"));
        assert!(shortest_path_rows(&g, &[1, 2], &mut out).unwrap_err().to_string().contains("cannot hold 2 rows of 10"));
        assert!(maxmin_landmarks(&g, 0, None).unwrap_err().to_string().contains("n_landmarks"));
        assert!(maxmin_landmarks(&g, 11, None).unwrap_err().to_string().contains("[1, n_samples = 10]"));
    }

    #[test]
    fn maxmin_landmarks_are_farthest_points_by_brute_force() {
        let g = random_graph(150, 6, 11);
        let fw = floyd_warshall(&g);
        let n = 150;
        let l = maxmin_landmarks(&g, 12, Some(3)).unwrap();
        assert_eq!(l, maxmin_landmarks(&g, 12, Some(3)).unwrap());
        let mut sorted = l.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 12, "distinct landmarks");
        for t in 1..l.len() {
            let nearest = |v: usize| l[..t].iter().map(|&a| fw[a as usize * n + v]).fold(f64::INFINITY, f64::min);
            let best = (0..n).map(nearest).fold(f64::NEG_INFINITY, f64::max);
            let got = nearest(l[t] as usize);
            assert!(got == best || (got - best).abs() <= 1e-5 * (1.0 + best), "landmark {t}: {got} vs the farthest {best}");
        }
    }
}
