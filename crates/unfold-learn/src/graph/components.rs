//! Connected components and breadth-first order of a [`SparseGraph`], its edges taken as
//! undirected (a stored entry `i → j` joins `i` and `j` whatever its weight), and the joining of
//! components by their closest pairs of points ([`connect_components`], scikit-learn's
//! `_fix_connected_components`).

use rayon::prelude::*;

use super::csr::SparseGraph;
use crate::prefetch::{self, ROWS_AHEAD};

/// The connected components: their number and a label per vertex, labels numbered in the order
/// of each component's smallest vertex (union–find with path halving; the smaller root wins).
///
/// ```
/// use unfold_learn::graph::{SparseGraph, connected_components};
/// // 0 – 2, 1 alone.
/// let g = SparseGraph::from_parts(3, vec![0, 1, 1, 2], vec![2, 0], vec![1.0, 1.0])?;
/// assert_eq!(connected_components(&g), (2, vec![0, 1, 0]));
/// # Ok::<(), unfold_learn::Error>(())
/// ```
pub fn connected_components(graph: &SparseGraph) -> (usize, Vec<u32>) {
    let n = graph.n_points();
    let mut parent: Vec<u32> = (0..n as u32).collect();
    fn find(parent: &mut [u32], mut v: u32) -> u32 {
        while parent[v as usize] != v {
            let up = parent[parent[v as usize] as usize];
            parent[v as usize] = up;
            v = up;
        }
        v
    }
    for (i, (cols, _)) in graph.rows().enumerate() {
        for &j in cols {
            let (a, b) = (find(&mut parent, i as u32), find(&mut parent, j));
            // The smaller root wins, so every root is its component's smallest vertex.
            if a < b {
                parent[b as usize] = a;
            } else if b < a {
                parent[a as usize] = b;
            }
        }
    }
    let mut labels = vec![u32::MAX; n];
    let mut count = 0u32;
    for v in 0..n {
        let root = find(&mut parent, v as u32) as usize;
        if labels[root] == u32::MAX {
            labels[root] = count;
            count += 1;
        }
        labels[v] = labels[root];
    }
    (count as usize, labels)
}

/// The vertices in breadth-first order along out-edges: from the lowest-numbered unvisited
/// vertex, neighbours in column order, each component after the other. Renumbering a graph in
/// this order puts a vertex's neighbours near it in memory, which speeds up sparse products.
///
/// ```
/// use unfold_learn::graph::{SparseGraph, breadth_first_order};
/// // The path 0 – 2 – 1 and the isolated vertex 3.
/// let g = SparseGraph::from_parts(4, vec![0, 1, 2, 4, 4], vec![2, 2, 0, 1], vec![1.0; 4])?;
/// assert_eq!(breadth_first_order(&g), [0, 2, 1, 3]);
/// # Ok::<(), unfold_learn::Error>(())
/// ```
pub fn breadth_first_order(graph: &SparseGraph) -> Vec<u32> {
    breadth_first_order_csr(graph.indptr(), graph.indices())
}

/// [`breadth_first_order`] of the graph given as CSR arrays (`indptr` of length `n + 1`,
/// columns below `n`).
pub(crate) fn breadth_first_order_csr(indptr: &[usize], indices: &[u32]) -> Vec<u32> {
    let n = indptr.len() - 1;
    let mut seen = vec![false; n];
    let mut order = Vec::with_capacity(n);
    for root in 0..n {
        if seen[root] {
            continue;
        }
        seen[root] = true;
        let mut head = order.len();
        order.push(root as u32);
        while head < order.len() {
            // The rows queued next are random reads: they are started early.
            let ahead = |a: usize| order.get(head + a).map(|&w| w as usize);
            prefetch::csr_rows(indptr, ahead(2 * ROWS_AHEAD), ahead(ROWS_AHEAD), |r| prefetch::slice(&indices[r]));
            let v = order[head] as usize;
            head += 1;
            for &j in &indices[indptr[v]..indptr[v + 1]] {
                if !std::mem::replace(&mut seen[j as usize], true) {
                    order.push(j);
                }
            }
        }
    }
    order
}

/// The compressed rows (`indptr`, `indices`, `values`) renumbered so that old vertex `order[r]`
/// is the new vertex `r` (`P A Pᵀ`): row `r` is old row `order[r]` with its columns renamed, its
/// entries in their old order.
///
/// # Panics
/// If `order` is not a permutation of `0..n`.
pub(crate) fn permuted_csr(indptr: &[usize], indices: &[u32], values: &[f64], order: &[u32]) -> (Vec<usize>, Vec<u32>, Vec<f64>) {
    let n = indptr.len() - 1;
    assert_eq!(order.len(), n, "permuted: the order must name every vertex once");
    let mut at = vec![u32::MAX; n];
    for (new, &old) in order.iter().enumerate() {
        assert!(at[old as usize] == u32::MAX, "permuted: vertex {old} appears twice");
        at[old as usize] = new as u32;
    }
    let mut new_indptr = Vec::with_capacity(n + 1);
    let (mut new_indices, mut new_values) = (Vec::with_capacity(values.len()), Vec::with_capacity(values.len()));
    new_indptr.push(0);
    for (new, &old) in order.iter().enumerate() {
        // In breadth-first order the old rows are random reads: they are started early.
        let ahead = |a: usize| order.get(new + a).map(|&w| w as usize);
        prefetch::csr_rows(indptr, ahead(2 * ROWS_AHEAD), ahead(ROWS_AHEAD), |r| {
            prefetch::slice(&indices[r.clone()]);
            prefetch::slice(&values[r]);
        });
        let r = indptr[old as usize]..indptr[old as usize + 1];
        new_indices.extend(indices[r.clone()].iter().map(|&j| at[j as usize]));
        new_values.extend_from_slice(&values[r]);
        new_indptr.push(new_indices.len());
    }
    (new_indptr, new_indices, new_values)
}

/// The edges scikit-learn's `_fix_connected_components` adds to join the `n_components`
/// components of `graph` (labels `labels`, as [`connected_components`] gives them): for every pair
/// of components `j < i`, the closest pair of points `(a in i, b in j)` under `distance` (ties:
/// the first `a`, then the first `b`, in vertex order), as `(a, b, distance)`, in the order
/// `i = 1, 2, …`, `j = 0 … i − 1`.
///
/// It compares every point of each component with every point of each other one: `O(n²)`
/// distances in the worst case, as scikit-learn's; each pair of components is searched in
/// parallel over the points of the first, with a fixed reduction, so the result does not depend
/// on the thread count.
pub fn closest_component_pairs(labels: &[u32], n_components: usize, distance: impl Fn(usize, usize) -> f32 + Sync) -> Vec<(u32, u32, f32)> {
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); n_components];
    for (v, &l) in labels.iter().enumerate() {
        members[l as usize].push(v as u32);
    }
    let mut out = Vec::new();
    for i in 1..n_components {
        for j in 0..i {
            let (a_set, b_set) = (&members[i], &members[j]);
            let best = a_set
                .par_iter()
                .map(|&a| {
                    let mut best = (f32::INFINITY, a, b_set[0]);
                    for &b in b_set {
                        let d = distance(a as usize, b as usize);
                        if d < best.0 {
                            best = (d, a, b);
                        }
                    }
                    best
                })
                // The first minimum in (a, b) order: the smaller distance, or on a tie the earlier a.
                .reduce(|| (f32::INFINITY, u32::MAX, u32::MAX), |x, y| if y.0 < x.0 || (y.0 == x.0 && y.1 < x.1) { y } else { x });
            out.push((best.1, best.2, best.0));
        }
    }
    out
}

/// `graph` (symmetric) with its components joined as scikit-learn 1.x's Isomap joins them
/// ([`closest_component_pairs`], each edge added in both directions with the pair's distance),
/// and the number of components it had. A connected graph comes back unchanged.
///
/// ```
/// use unfold_learn::graph::{SparseGraph, connect_components, connected_components};
/// // Points 0, 1 on a line at 0 and 1, points 2, 3 at 5 and 7: two components.
/// let x = [0.0f32, 1.0, 5.0, 7.0];
/// let g = SparseGraph::from_parts(4, vec![0, 1, 2, 3, 4], vec![1, 0, 3, 2], vec![1.0, 1.0, 2.0, 2.0])?;
/// let (joined, before) = connect_components(&g, |a, b| (x[a] - x[b]).abs());
/// assert_eq!(before, 2);
/// assert_eq!(connected_components(&joined).0, 1);
/// assert_eq!(joined.weight(1, 2), 4.0);
/// # Ok::<(), unfold_learn::Error>(())
/// ```
pub fn connect_components(graph: &SparseGraph, distance: impl Fn(usize, usize) -> f32 + Sync) -> (SparseGraph, usize) {
    let (count, labels) = connected_components(graph);
    if count <= 1 {
        return (graph.clone(), count);
    }
    let added = closest_component_pairs(&labels, count, distance);
    let mut rows: Vec<Vec<(u32, f32)>> = graph.rows().map(|(c, w)| c.iter().copied().zip(w.iter().copied()).collect()).collect();
    for &(a, b, d) in &added {
        rows[a as usize].push((b, d));
        rows[b as usize].push((a, d));
    }
    for r in rows.iter_mut() {
        // Components are disjoint, so an added edge is never already stored.
        r.sort_unstable_by_key(|&(j, _)| j);
    }
    (SparseGraph::from_sorted_rows(rows, false), count)
}
