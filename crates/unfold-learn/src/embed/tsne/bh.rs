//! The Barnes–Hut approximation of the t-SNE repulsion (van der Maaten 2014), with openTSNE
//! 1.0.4's tree (`quad_tree.pyx`) and traversal (`_tsne.pyx`), for 1 to 3 output dimensions.
//!
//! * **Tree.** The root is a cube centred at the middle of the bounding box, its side the
//!   largest span. A point goes to child `Σ_d [p_d > centre_d] 2^d`; children have half the
//!   side. A node takes a point into its running-mean centre of mass without splitting when it
//!   is an empty leaf, or when the point lies within `1e-6` of its centre of mass in every
//!   coordinate (duplicates merge). A leaf holding a point splits, and its old centre of mass
//!   moves into the child it falls in.
//! * **Traversal.** For point `p`, a node is skipped when empty, or when it is a leaf whose
//!   centre of mass lies within machine ε of `p` in every coordinate (`p` itself). With
//!   `D = ε + ‖com − p‖²`, the node is summarised when it is a leaf or `side / √D < θ`: it adds
//!   `n_node w` to the normaliser and `n_node w^{(α+1)/α} (p − com)` to the force, with
//!   `w = (1 + D/α)^−α`. Otherwise its children are visited in order. openTSNE compares the
//!   **full** side with θ (bhtsne and FIt-SNE use the half side), so θ = 0.5 here is bhtsne's 0.25.
//!
//! The tree is built serially; the points traverse it in parallel, each on its own, and the
//! normaliser adds fixed blocks in order, so the result does not depend on the thread count.

use super::repulsion::{CHUNK, kernel};
use rayon::prelude::*;

/// Largest output dimension the tree serves.
pub const MAX_DIM: usize = 3;

/// Points within this distance of a node's centre of mass in every coordinate merge into it.
const DUPLICATE_EPS: f64 = 1e-6;

#[derive(Debug, Clone, Copy)]
struct Node {
    center: [f64; MAX_DIM],
    length: f64,
    com: [f64; MAX_DIM],
    count: usize,
    /// Index of the first of `2^dim` children; 0 for a leaf.
    children: usize,
}

/// A Barnes–Hut space-partitioning tree (a quadtree in 2-D, an octree in 3-D).
#[derive(Debug, Clone)]
pub struct Tree {
    dim: usize,
    nodes: Vec<Node>,
}

impl Tree {
    /// The tree of the row-major `n × dim` points `y` (`1 ≤ dim ≤ 3`).
    pub fn new(y: &[f64], dim: usize) -> Tree {
        assert!((1..=MAX_DIM).contains(&dim), "the Barnes-Hut tree serves 1 to 3 dimensions");
        let (mut lo, mut hi) = ([f64::INFINITY; MAX_DIM], [f64::NEG_INFINITY; MAX_DIM]);
        for p in y.chunks_exact(dim) {
            for d in 0..dim {
                lo[d] = lo[d].min(p[d]);
                hi[d] = hi[d].max(p[d]);
            }
        }
        let mut center = [0.0; MAX_DIM];
        let mut length = 0.0f64;
        for d in 0..dim {
            center[d] = (hi[d] + lo[d]) / 2.0;
            length = length.max(hi[d] - lo[d]);
        }
        let mut tree = Tree { dim, nodes: Vec::with_capacity(2 * y.len() / dim + 1) };
        tree.nodes.push(Node { center, length, com: [0.0; MAX_DIM], count: 0, children: 0 });
        for p in y.chunks_exact(dim) {
            tree.add(p);
        }
        tree
    }

    fn child_of(&self, node: usize, p: &[f64]) -> usize {
        let n = &self.nodes[node];
        n.children + (0..self.dim).map(|d| usize::from(p[d] > n.center[d]) << d).sum::<usize>()
    }

    fn take(&mut self, node: usize, p: &[f64]) {
        let n = &mut self.nodes[node];
        let c = n.count as f64;
        for (m, &v) in n.com.iter_mut().zip(p) {
            *m = (*m * c + v) / (c + 1.0);
        }
        n.count += 1;
    }

    fn split(&mut self, node: usize) {
        let (center, length) = (self.nodes[node].center, self.nodes[node].length / 2.0);
        let first = self.nodes.len();
        for i in 0..1usize << self.dim {
            let mut c = center;
            for (d, v) in c.iter_mut().enumerate().take(self.dim) {
                *v += if i & (1 << d) != 0 { length / 2.0 } else { -length / 2.0 };
            }
            self.nodes.push(Node { center: c, length, com: [0.0; MAX_DIM], count: 0, children: 0 });
        }
        self.nodes[node].children = first;
    }

    fn add(&mut self, p: &[f64]) {
        let mut node = 0;
        loop {
            let n = self.nodes[node];
            let leaf = n.children == 0;
            if (leaf && n.count == 0) || (0..self.dim).all(|d| (n.com[d] - p[d]).abs() < DUPLICATE_EPS) {
                self.take(node, p);
                return;
            }
            if leaf {
                self.split(node);
                let old = self.child_of(node, &n.com[..self.dim]);
                self.take(old, &n.com[..self.dim]);
            }
            self.take(node, p);
            node = self.child_of(node, p);
        }
    }

    /// The force on `p` into `g` (added), and the kernel sum, as the [module docs](self) say.
    fn visit(&self, node: usize, p: &[f64], theta: f64, dof: f64, g: &mut [f64]) -> f64 {
        let n = &self.nodes[node];
        let leaf = n.children == 0;
        if n.count == 0 || (leaf && (0..self.dim).all(|d| (n.com[d] - p[d]).abs() < f64::EPSILON)) {
            return 0.0;
        }
        let mut dist = f64::EPSILON;
        for (c, v) in n.com.iter().zip(p) {
            dist += (c - v) * (c - v);
        }
        if leaf || n.length / dist.sqrt() < theta {
            let (w, force) = kernel(dist, dof);
            let f = n.count as f64 * force;
            for ((o, v), c) in g.iter_mut().zip(p).zip(&n.com) {
                *o += f * (v - c);
            }
            return n.count as f64 * w;
        }
        let mut z = 0.0;
        for c in n.children..n.children + (1 << self.dim) {
            z += self.visit(c, p, theta, dof, g);
        }
        z
    }

    /// The approximate force of the tree's points on `p` (`p` itself excluded) into `g`
    /// (overwritten); returns the approximate kernel sum.
    pub fn force(&self, p: &[f64], theta: f64, dof: f64, g: &mut [f64]) -> f64 {
        g.fill(0.0);
        self.visit(0, p, theta, dof, g)
    }
}

/// The Barnes–Hut repulsion of every point of `y` on the others, in the shape of
/// [`super::repulsion`]; returns `Z`.
pub fn repulsion(y: &[f64], dim: usize, dof: f64, theta: f64, out: &mut [f64]) -> f64 {
    let tree = Tree::new(y, dim);
    let partial: Vec<f64> = out
        .par_chunks_mut(dim * CHUNK)
        .enumerate()
        .map(|(c, block)| {
            let mut z = 0.0;
            for (r, g) in block.chunks_mut(dim).enumerate() {
                let i = c * CHUNK + r;
                z += tree.force(&y[i * dim..(i + 1) * dim], theta, dof, g);
            }
            z
        })
        .collect();
    partial.iter().sum()
}

/// The Barnes–Hut repulsion of the reference points in `tree` on each of `points`, in the shape
/// of [`super::repulsion`]'s `repulsion_against`.
pub fn repulsion_against(tree: &Tree, points: &[f64], dim: usize, dof: f64, theta: f64, out: &mut [f64], sum_q: &mut [f64]) {
    out.par_chunks_mut(dim).zip(sum_q.par_iter_mut()).enumerate().for_each(|(i, (g, q))| {
        *q = tree.force(&points[i * dim..(i + 1) * dim], theta, dof, g);
    });
}
