//! Connected components and breadth-first order of a [`SparseGraph`], its edges taken as
//! undirected (a stored entry `i → j` joins `i` and `j` whatever its weight).

use super::csr::SparseGraph;

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
    let n = graph.n_points();
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
            let v = order[head] as usize;
            head += 1;
            for &j in graph.row(v).0 {
                if !std::mem::replace(&mut seen[j as usize], true) {
                    order.push(j);
                }
            }
        }
    }
    order
}
