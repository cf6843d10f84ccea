//! Geodesic (shortest-path) distances on a weighted undirected [`SparseGraph`], as Isomap and
//! PHATE's landmark variants need them.
//!
//! * [`shortest_path_rows`]: Dijkstra (1959) from many sources in parallel, each row written
//!   straight into the caller's output; [`all_pairs_shortest_paths`] is every vertex a source.
//! * [`maxmin_landmarks`]: farthest-point ("maxmin") landmarks by geodesic distance (de Silva &
//!   Tenenbaum, 2004): the first from the seed, each next one the vertex farthest from those
//!   chosen.
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
//! **Speed.** The priority queue is a radix heap (Ahuja, Mehlhorn, Orlin & Tarjan 1990) on the
//! bit patterns of the non-negative `f32` keys, which order as the numbers do: pushes append to
//! one of 33 buckets and pops redistribute one bucket at a time, with lazy deletion instead of
//! decrease-key. Each worker keeps its heap between sources (no allocation per source), and the
//! distance array of a source is its output row.
//!
//! **Determinism.** Each row is computed by one task with a fixed order of operations, so the
//! output is bit-identical at any thread count.

use rayon::prelude::*;

use super::csr::SparseGraph;
use crate::error::{Error, Result};
use crate::rng::SeedSource;

/// A monotone priority queue of `(key, vertex)` on `u32` keys (the bits of non-negative `f32`
/// distances): every pushed key is at least the last popped one.
#[derive(Debug)]
struct RadixHeap {
    last: u32,
    len: usize,
    buckets: [Vec<(u32, u32)>; 33],
}

impl Default for RadixHeap {
    fn default() -> Self {
        RadixHeap { last: 0, len: 0, buckets: std::array::from_fn(|_| Vec::new()) }
    }
}

impl RadixHeap {
    #[inline]
    fn bucket(last: u32, key: u32) -> usize {
        (32 - (key ^ last).leading_zeros()) as usize
    }

    fn clear(&mut self) {
        self.last = 0;
        self.len = 0;
        self.buckets.iter_mut().for_each(Vec::clear);
    }

    #[inline]
    fn push(&mut self, key: u32, vertex: u32) {
        debug_assert!(key >= self.last);
        self.buckets[Self::bucket(self.last, key)].push((key, vertex));
        self.len += 1;
    }

    #[inline]
    fn pop(&mut self) -> Option<(u32, u32)> {
        if self.len == 0 {
            return None;
        }
        if self.buckets[0].is_empty() {
            let b = self.buckets.iter().position(|b| !b.is_empty()).expect("len > 0");
            let mut moving = std::mem::take(&mut self.buckets[b]);
            self.last = moving.iter().map(|&(k, _)| k).min().expect("non-empty");
            for &(k, v) in &moving {
                self.buckets[Self::bucket(self.last, k)].push((k, v));
            }
            moving.clear();
            // Keep the bucket's allocation for later pushes.
            self.buckets[b] = moving;
        }
        self.len -= 1;
        self.buckets[0].pop()
    }
}

/// One worker's reusable state.
#[derive(Debug, Default)]
struct Dijkstra {
    heap: RadixHeap,
}

impl Dijkstra {
    /// Distances from `source` into `dist` (length `n`): every entry is overwritten.
    fn run(&mut self, graph: &SparseGraph, source: usize, dist: &mut [f32]) {
        dist.fill(f32::INFINITY);
        self.heap.clear();
        dist[source] = 0.0;
        self.heap.push(0, source as u32);
        let (indptr, indices, weights) = (graph.indptr(), graph.indices(), graph.weights());
        while let Some((key, u)) = self.heap.pop() {
            let d = f32::from_bits(key);
            let u = u as usize;
            if d > dist[u] {
                continue; // a stale entry
            }
            let edges = indptr[u]..indptr[u + 1];
            for (&v, &w) in indices[edges.clone()].iter().zip(&weights[edges]) {
                let nd = d + w;
                let slot = &mut dist[v as usize];
                if nd < *slot {
                    *slot = nd;
                    self.heap.push(nd.to_bits(), v);
                }
            }
        }
    }
}

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
    out.par_chunks_mut(n).zip(sources.par_iter()).for_each_init(Dijkstra::default, |state, (row, &s)| state.run(graph, s as usize, row));
    Ok(())
}

/// The `n × n` geodesic distance matrix of the symmetric graph `graph` (row-major `f32`):
/// [`shortest_path_rows`] from every vertex.
///
/// # Errors
/// As [`shortest_path_rows`].
pub fn all_pairs_shortest_paths(graph: &SparseGraph) -> Result<Vec<f32>> {
    let n = graph.n_points();
    let sources: Vec<u32> = (0..n as u32).collect();
    let mut out = vec![0.0f32; n * n];
    shortest_path_rows(graph, &sources, &mut out)?;
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
    let mut heap = RadixHeap::default();
    let mut landmarks = Vec::with_capacity(m);
    let mut next = first;
    let (indptr, indices, weights) = (graph.indptr(), graph.indices(), graph.weights());
    loop {
        landmarks.push(next);
        if landmarks.len() == m {
            break;
        }
        // Lower `nearest` by the distances from `next`, only where they are lower.
        heap.clear();
        nearest[next as usize] = 0.0;
        heap.push(0, next);
        while let Some((key, u)) = heap.pop() {
            let d = f32::from_bits(key);
            let u = u as usize;
            if d > nearest[u] {
                continue;
            }
            let edges = indptr[u]..indptr[u + 1];
            for (&v, &w) in indices[edges.clone()].iter().zip(&weights[edges]) {
                let nd = d + w;
                if nd < nearest[v as usize] {
                    nearest[v as usize] = nd;
                    heap.push(nd.to_bits(), v);
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
        for (n, deg, seed) in [(1, 2, 1), (2, 2, 2), (30, 2, 3), (60, 3, 4), (120, 6, 5), (200, 4, 6)] {
            let g = random_graph(n, deg, seed);
            let fw = floyd_warshall(&g);
            let d = all_pairs_shortest_paths(&g).unwrap();
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
        let all = all_pairs_shortest_paths(&g).unwrap();
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
            assert_eq!(&one[r * 300..(r + 1) * 300], &all[s as usize * 300..(s as usize + 1) * 300]);
        }
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
