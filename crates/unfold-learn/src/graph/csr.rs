//! [`SparseGraph`]: a weighted graph on `n` vertices as a square sparse matrix in compressed
//! sparse row (CSR) form.
//!
//! Row `i` holds the out-edges of vertex `i`: columns strictly increasing, weights finite and at
//! least 0. Vertices are numbered by `u32`, as the kNN graph's points (at most
//! [`MAX_POINTS`](crate::knn::MAX_POINTS)); offsets into the edge arrays are `usize`. The matrix
//! need not be symmetric: a kNN graph is directed until it is symmetrised (see
//! [`super::symmetrize`]).

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::knn::{KnnGraph, check_point_count};
use crate::threads::split_at_ends;

/// Old rows per block of [`SparseGraph::transpose`]'s first pass (their offsets fit in `u16`).
const TRANSPOSE_SOURCE_ROWS: usize = 1 << 16;
/// New rows per block of [`SparseGraph::transpose`]'s second pass: their entries, about 0.4 MB
/// in a kNN graph, stay in cache while they are placed.
const TRANSPOSE_ROWS: usize = 1 << 12;

/// A weighted graph on `n` vertices: a square sparse matrix in CSR form with `u32` columns and
/// `f32` weights (see the [module docs](self) for the invariants).
///
/// ```
/// use unfold_learn::graph::SparseGraph;
/// // 0 → 1 (0.5), 0 → 2 (1), 2 → 0 (0.25).
/// let g = SparseGraph::from_parts(3, vec![0, 2, 2, 3], vec![1, 2, 0], vec![0.5, 1.0, 0.25])?;
/// assert_eq!(g.row(0), (&[1, 2][..], &[0.5, 1.0][..]));
/// assert_eq!(g.transpose().row(0), (&[2][..], &[0.25][..]));
/// assert_eq!(g.degrees(), [1.5, 0.0, 0.25]);
/// # Ok::<(), unfold_learn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SparseGraph {
    n: usize,
    indptr: Vec<usize>,
    indices: Vec<u32>,
    weights: Vec<f32>,
}

impl SparseGraph {
    /// The graph with CSR arrays `indptr` (length `n + 1`, starting at 0, non-decreasing, ending
    /// at the number of edges), `indices` (columns below `n`, strictly increasing within each
    /// row) and `weights` (finite, at least 0), after checking all of that.
    ///
    /// # Errors
    /// [`Error::InvalidData`] naming the first array, row and entry that break an invariant, or
    /// when `n` exceeds [`MAX_POINTS`](crate::knn::MAX_POINTS).
    pub fn from_parts(n: usize, indptr: Vec<usize>, indices: Vec<u32>, weights: Vec<f32>) -> Result<SparseGraph> {
        check_point_count(n)?;
        let bad = |msg: String| Err(Error::InvalidData(format!("sparse graph on {n} vertices: {msg}")));
        if indptr.len() != n + 1 {
            return bad(format!("indptr has {} entries, expected n + 1 = {}", indptr.len(), n + 1));
        }
        if indices.len() != weights.len() {
            return bad(format!("{} column indices but {} weights", indices.len(), weights.len()));
        }
        if indptr[0] != 0 || indptr[n] != indices.len() {
            return bad(format!("indptr runs from {} to {}, expected 0 to the number of edges, {}", indptr[0], indptr[n], indices.len()));
        }
        for i in 0..n {
            let (start, end) = (indptr[i], indptr[i + 1]);
            if end < start {
                return bad(format!("row {i}: indptr decreases from {start} to {end}"));
            }
            let cols = &indices[start..end];
            if let Some(p) = cols.iter().position(|&j| j as usize >= n) {
                return bad(format!("row {i}: column {} is not a vertex (at most {})", cols[p], n.saturating_sub(1)));
            }
            if let Some(p) = cols.windows(2).position(|w| w[0] >= w[1]) {
                return bad(format!("row {i}: columns must be strictly increasing, but {} is followed by {}", cols[p], cols[p + 1]));
            }
            if let Some(p) = weights[start..end].iter().position(|w| !(w.is_finite() && *w >= 0.0)) {
                return bad(format!("row {i}: the weight of column {} is {}, expected a finite number of at least 0", cols[p], weights[start + p]));
            }
        }
        Ok(SparseGraph { n, indptr, indices, weights })
    }

    /// [`SparseGraph::from_parts`] for arrays built here that keep the invariants by
    /// construction; checked in debug builds only.
    pub(crate) fn from_parts_unchecked(n: usize, indptr: Vec<usize>, indices: Vec<u32>, weights: Vec<f32>) -> SparseGraph {
        debug_assert!(SparseGraph::from_parts(n, indptr.clone(), indices.clone(), weights.clone()).is_ok());
        SparseGraph { n, indptr, indices, weights }
    }

    /// Packs rows of `(column, weight)`, each sorted by column, leaving out zero weights when
    /// `drop_zeros` is true.
    pub(crate) fn from_sorted_rows(rows: Vec<Vec<(u32, f32)>>, drop_zeros: bool) -> SparseGraph {
        let n = rows.len();
        let nnz = rows.iter().map(Vec::len).sum();
        let mut indptr = Vec::with_capacity(n + 1);
        let (mut indices, mut weights) = (Vec::with_capacity(nnz), Vec::with_capacity(nnz));
        indptr.push(0);
        for row in rows {
            for (j, w) in row.into_iter().filter(|&(_, w)| !(drop_zeros && w == 0.0)) {
                indices.push(j);
                weights.push(w);
            }
            indptr.push(indices.len());
        }
        SparseGraph::from_parts_unchecked(n, indptr, indices, weights)
    }

    /// Builds a graph on `n` vertices row by row in parallel, without a vector per row: `row(i)`
    /// yields the entries of row `i` in increasing column order. It is called twice per row,
    /// to count and then to write, and must yield the same entries both times. For
    /// [`super::symmetrize`] it replaced a vector per row packed serially: UMAP's graph, edge
    /// lists and two epochs on 1M points took 3.43–3.79 s instead of 3.62–3.88 s.
    pub(crate) fn from_row_fn<I: Iterator<Item = (u32, f32)>>(n: usize, row: impl Fn(usize) -> I + Sync) -> SparseGraph {
        const ROWS: usize = 4096;
        let counts: Vec<usize> = (0..n).into_par_iter().map(|i| row(i).count()).collect();
        let indptr = offsets(counts);
        let nnz = indptr[n];
        let (mut indices, mut weights) = (vec![0u32; nnz], vec![0f32; nnz]);
        // Blocks of `ROWS` rows, each written by one task.
        let block_ends = || (1..=n.div_ceil(ROWS)).map(|b| indptr[(b * ROWS).min(n)]);
        let (cols, ws) = (split_at_ends(&mut indices, block_ends()), split_at_ends(&mut weights, block_ends()));
        cols.into_par_iter().zip(ws).enumerate().for_each(|(b, (c, w))| {
            let mut at = 0;
            for i in b * ROWS..((b + 1) * ROWS).min(n) {
                for (j, x) in row(i) {
                    (c[at], w[at]) = (j, x);
                    at += 1;
                }
            }
            debug_assert_eq!(at, c.len(), "`row` yielded other entries the second time");
        });
        SparseGraph::from_parts_unchecked(n, indptr, indices, weights)
    }

    /// The directed kNN graph: an edge `i → j` for each neighbour `j` of `i`, weighted by its
    /// distance (a distance of 0, between duplicate points, is kept as a stored 0).
    ///
    /// ```
    /// use unfold_learn::graph::SparseGraph;
    /// use unfold_learn::knn::KnnGraph;
    /// let knn = KnnGraph::from_parts(3, 2, vec![2, 1, 0, 2, 1, 0], vec![1.0, 3.0, 1.0, 2.0, 2.0, 3.0])?;
    /// let g = SparseGraph::from_knn(&knn);
    /// assert_eq!(g.row(0), (&[1, 2][..], &[3.0, 1.0][..])); // columns ascending
    /// # Ok::<(), unfold_learn::Error>(())
    /// ```
    pub fn from_knn(knn: &KnnGraph) -> SparseGraph {
        let (n, k) = (knn.n_points(), knn.k());
        let mut indices = vec![0u32; n * k];
        let mut weights = vec![0.0f32; n * k];
        indices.par_chunks_mut(k.max(1)).zip(weights.par_chunks_mut(k.max(1))).enumerate().for_each(|(i, (cols, ws))| {
            let (idx, dist) = knn.neighbors(i);
            let mut row: Vec<(u32, f32)> = idx.iter().copied().zip(dist.iter().copied()).collect();
            row.sort_unstable_by_key(|&(j, _)| j);
            for ((c, w), (j, d)) in cols.iter_mut().zip(ws.iter_mut()).zip(row) {
                (*c, *w) = (j, d);
            }
        });
        let indptr = (0..=n).map(|i| i * k).collect();
        SparseGraph::from_parts_unchecked(n, indptr, indices, weights)
    }

    /// Number of vertices (rows and columns).
    pub fn n_points(&self) -> usize {
        self.n
    }

    /// Number of stored entries (edges; a symmetric graph counts each in both directions).
    pub fn nnz(&self) -> usize {
        self.indices.len()
    }

    /// Row pointers: row `i` occupies `indptr[i]..indptr[i + 1]` of the column and weight arrays.
    pub fn indptr(&self) -> &[usize] {
        &self.indptr
    }

    /// Column of each stored entry, strictly increasing within each row.
    pub fn indices(&self) -> &[u32] {
        &self.indices
    }

    /// Weight of each stored entry.
    pub fn weights(&self) -> &[f32] {
        &self.weights
    }

    /// The columns and weights of row `i`, columns ascending.
    pub fn row(&self, i: usize) -> (&[u32], &[f32]) {
        let r = self.indptr[i]..self.indptr[i + 1];
        (&self.indices[r.clone()], &self.weights[r])
    }

    /// The rows in order, as [`SparseGraph::row`] gives them.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = (&[u32], &[f32])> + '_ {
        (0..self.n).map(|i| self.row(i))
    }

    /// The weight of edge `(i, j)`, 0 when absent.
    pub fn weight(&self, i: usize, j: usize) -> f32 {
        let (cols, w) = self.row(i);
        // A column past u32 is no vertex of the graph, not a wrapped one.
        u32::try_from(j).ok().and_then(|j| cols.binary_search(&j).ok()).map_or(0.0, |p| w[p])
    }

    /// The weighted out-degree of every vertex, `d_i = Σ_j w_ij`, summed in `f64` in column order.
    pub fn degrees(&self) -> Vec<f64> {
        (0..self.n).into_par_iter().map(|i| self.row(i).1.iter().map(|&w| w as f64).sum()).collect()
    }

    /// The transpose (every edge reversed). Each new row lists its entries in the order of their
    /// old rows, so it comes out sorted.
    ///
    /// Written in two passes, both parallel and cache-local: blocks of [`TRANSPOSE_SOURCE_ROWS`]
    /// old rows each sort their edges by the block of [`TRANSPOSE_ROWS`] new rows they land in,
    /// then each block of new rows reads its share from every old block in order and places it
    /// in its rows, which fit in cache. The direct scatter, one random write per edge, took
    /// 1.6 s for the 27M edges of UMAP's graph of 1M points.
    pub fn transpose(&self) -> SparseGraph {
        let n = self.n;
        let (sources, targets) = (n.div_ceil(TRANSPOSE_SOURCE_ROWS), n.div_ceil(TRANSPOSE_ROWS));
        // Pass 1: each old block's edges as (old row, new row) within their blocks and weight,
        // grouped by new block (in old order within each group), with the groups' ends.
        type Staged = (Vec<(u16, u16, f32)>, Vec<usize>);
        let staged: Vec<Staged> = (0..sources)
            .into_par_iter()
            .map(|s| {
                let rows = s * TRANSPOSE_SOURCE_ROWS..((s + 1) * TRANSPOSE_SOURCE_ROWS).min(n);
                let edges = self.indptr[rows.start]..self.indptr[rows.end];
                let mut counts = vec![0usize; targets];
                for &j in &self.indices[edges.clone()] {
                    counts[j as usize / TRANSPOSE_ROWS] += 1;
                }
                let ends = offsets(counts);
                let mut next = ends[..targets].to_vec();
                let mut out = vec![(0u16, 0u16, 0f32); edges.len()];
                for i in rows.clone() {
                    for e in self.indptr[i]..self.indptr[i + 1] {
                        let j = self.indices[e] as usize;
                        let at = &mut next[j / TRANSPOSE_ROWS];
                        out[*at] = ((i - rows.start) as u16, (j % TRANSPOSE_ROWS) as u16, self.weights[e]);
                        *at += 1;
                    }
                }
                (out, ends)
            })
            .collect();
        // Each new block's size, then pass 2: every new block in its own slice of the output.
        let block_sizes: Vec<usize> = (0..targets).into_par_iter().map(|t| staged.iter().map(|(_, ends)| ends[t + 1] - ends[t]).sum()).collect();
        let block_ends = offsets(block_sizes);
        let nnz = self.nnz();
        debug_assert_eq!(block_ends[targets], nnz);
        let (mut indices, mut weights) = (vec![0u32; nnz], vec![0f32; nnz]);
        let mut counts = vec![0usize; n];
        let (cols, ws) = (split_at_ends(&mut indices, block_ends[1..].iter().copied()), split_at_ends(&mut weights, block_ends[1..].iter().copied()));
        cols.into_par_iter().zip(ws).zip(counts.par_chunks_mut(TRANSPOSE_ROWS)).enumerate().for_each(|(t, ((cols, ws), counts))| {
            let groups = || staged.iter().map(|(out, ends)| &out[ends[t]..ends[t + 1]]);
            for &(_, j, _) in groups().flatten() {
                counts[j as usize] += 1;
            }
            let mut next = offsets(counts.iter().copied());
            for (s, group) in groups().enumerate() {
                for &(i, j, w) in group {
                    let at = &mut next[j as usize];
                    (cols[*at], ws[*at]) = ((s * TRANSPOSE_SOURCE_ROWS + i as usize) as u32, w);
                    *at += 1;
                }
            }
        });
        drop(staged);
        SparseGraph::from_parts_unchecked(n, offsets(counts), indices, weights)
    }

    /// Whether the matrix equals its transpose, weights included.
    pub fn is_symmetric(&self) -> bool {
        *self == self.transpose()
    }

    /// The connected component (or union of components) `vertices`, ascending, renumbered by
    /// `local`: vertex `vertices[t]` becomes `t`, where `local[vertices[t]] == t`. No edge leaves
    /// a component, so none is dropped, and `local` can serve every component at once: a
    /// [`SparseGraph::subgraph`] per component sets up a map over the whole graph each time.
    ///
    /// # Panics
    /// If an edge leaves `vertices` (in debug builds) or `local` is shorter than the graph.
    pub(crate) fn component(&self, vertices: &[u32], local: &[u32]) -> SparseGraph {
        let mut indptr = Vec::with_capacity(vertices.len() + 1);
        let edges = vertices.iter().map(|&v| self.indptr[v as usize + 1] - self.indptr[v as usize]).sum();
        let (mut indices, mut weights) = (Vec::with_capacity(edges), Vec::with_capacity(edges));
        indptr.push(0);
        for &v in vertices {
            let (cols, w) = self.row(v as usize);
            indices.extend(cols.iter().map(|&j| local[j as usize]));
            weights.extend_from_slice(w);
            indptr.push(indices.len());
        }
        debug_assert!(indices.iter().all(|&t| (t as usize) < vertices.len()), "component: an edge leaves the vertices");
        SparseGraph::from_parts_unchecked(vertices.len(), indptr, indices, weights)
    }

    /// The subgraph induced by `vertices` (ascending, no repeats), renumbered `0..vertices.len()`
    /// in that order; edges leaving the set are dropped.
    ///
    /// # Panics
    /// If `vertices` is not strictly increasing or names a vertex past the graph.
    pub fn subgraph(&self, vertices: &[u32]) -> SparseGraph {
        assert!(vertices.windows(2).all(|w| w[0] < w[1]), "subgraph: vertices must be strictly increasing");
        let mut local = vec![u32::MAX; self.n];
        for (t, &v) in vertices.iter().enumerate() {
            local[v as usize] = t as u32;
        }
        let mut indptr = Vec::with_capacity(vertices.len() + 1);
        let (mut indices, mut weights) = (Vec::new(), Vec::new());
        indptr.push(0);
        for &v in vertices {
            let (cols, w) = self.row(v as usize);
            for (&j, &wj) in cols.iter().zip(w) {
                // Renumbering keeps the order, so the columns stay increasing.
                if local[j as usize] != u32::MAX {
                    indices.push(local[j as usize]);
                    weights.push(wj);
                }
            }
            indptr.push(indices.len());
        }
        SparseGraph::from_parts_unchecked(vertices.len(), indptr, indices, weights)
    }

    /// Keeps the edges `(i, j, w)` for which `keep` returns true, in place.
    pub fn retain(&mut self, mut keep: impl FnMut(usize, u32, f32) -> bool) {
        let mut out = 0;
        for i in 0..self.n {
            let (start, end) = (self.indptr[i], self.indptr[i + 1]);
            self.indptr[i] = out;
            for e in start..end {
                if keep(i, self.indices[e], self.weights[e]) {
                    self.indices[out] = self.indices[e];
                    self.weights[out] = self.weights[e];
                    out += 1;
                }
            }
        }
        self.indptr[self.n] = out;
        self.indices.truncate(out);
        self.weights.truncate(out);
    }

    /// The arrays `(n, indptr, indices, weights)`.
    pub fn into_parts(self) -> (usize, Vec<usize>, Vec<u32>, Vec<f32>) {
        (self.n, self.indptr, self.indices, self.weights)
    }
}

/// The running totals of `counts` from 0: `[0, c₀, c₀ + c₁, …]`, one more than the counts (row
/// pointers from row lengths).
fn offsets(counts: impl IntoIterator<Item = usize>) -> Vec<usize> {
    let counts = counts.into_iter();
    let mut out = Vec::with_capacity(counts.size_hint().0 + 1);
    out.push(0);
    out.extend(counts.scan(0usize, |total, c| {
        *total += c;
        Some(*total)
    }));
    out
}

/// The union of two sparse rows sorted by column: `(column, weight in a, weight in b)`.
pub(crate) fn merge_rows<'a>(a: (&'a [u32], &'a [f32]), b: (&'a [u32], &'a [f32])) -> impl Iterator<Item = (u32, Option<f32>, Option<f32>)> + 'a {
    let (mut p, mut q) = (0, 0);
    std::iter::from_fn(move || {
        let (ja, jb) = (a.0.get(p).copied(), b.0.get(q).copied());
        let item = match (ja, jb) {
            (Some(x), Some(y)) if x == y => (x, Some(a.1[p]), Some(b.1[q])),
            (Some(x), Some(y)) if x < y => (x, Some(a.1[p]), None),
            (Some(x), None) => (x, Some(a.1[p]), None),
            (_, Some(y)) => (y, None, Some(b.1[q])),
            (None, None) => return None,
        };
        p += usize::from(item.1.is_some());
        q += usize::from(item.2.is_some());
        Some(item)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::components::connected_components;

    #[test]
    fn components_renumbered_by_one_map_equal_their_induced_subgraphs() {
        // Three components, their vertices interleaved: a triangle {0, 3, 5}, a path 1 – 4 – 6
        // and the pair {2, 7}, with distinct weights.
        let edges = [(0, 3, 1.0), (3, 5, 2.0), (0, 5, 3.0), (1, 4, 4.0), (4, 6, 5.0), (2, 7, 6.0)];
        let n = 8;
        let mut rows: Vec<Vec<(u32, f32)>> = vec![Vec::new(); n];
        for &(a, b, w) in &edges {
            rows[a as usize].push((b, w));
            rows[b as usize].push((a, w));
        }
        let (mut indptr, mut indices, mut weights) = (vec![0], Vec::new(), Vec::new());
        for row in &mut rows {
            row.sort_by_key(|e| e.0);
            indices.extend(row.iter().map(|e| e.0));
            weights.extend(row.iter().map(|e| e.1));
            indptr.push(indices.len());
        }
        let g = SparseGraph::from_parts(n, indptr, indices, weights).unwrap();
        let (nc, labels) = connected_components(&g);
        assert_eq!(nc, 3);
        let mut members: Vec<Vec<u32>> = vec![Vec::new(); nc];
        let mut local = vec![0u32; n];
        for (v, &l) in labels.iter().enumerate() {
            local[v] = members[l as usize].len() as u32;
            members[l as usize].push(v as u32);
        }
        for verts in &members {
            assert_eq!(g.component(verts, &local), g.subgraph(verts));
        }
    }
}
