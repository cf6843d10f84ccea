//! Graph Laplacians of a weighted graph `W` with degrees `D = diag(d)`, `d_i = Σ_j w_ij`:
//!
//! * [`LaplacianKind::Unnormalized`]: `L = D − W`;
//! * [`LaplacianKind::SymmetricNormalized`]: `L = I − D^{-1/2} W D^{-1/2}` (spectral
//!   clustering, Laplacian eigenmaps, UMAP's initialisation);
//! * [`LaplacianKind::RandomWalk`]: `L = I − D^{-1} W` (diffusion maps: `D^{-1} W = I − L` is the
//!   Markov transition matrix).
//!
//! For `W` symmetric, `L` of the first two kinds is symmetric positive semi-definite with
//! eigenvalues in `[0, 2 max d]` and `[0, 2]`; the random-walk Laplacian has the eigenvalues of
//! the symmetric one. An isolated vertex (`d_i = 0`) gets a zero row and column in the
//! normalised kinds, as scikit-learn's and SciPy's `laplacian(normed=True)` give it.
//!
//! [`laplacian`] returns a [`GraphOperator`], the matrix as its diagonal plus the graph's sparse
//! off-diagonal entries in `f64`: it applies itself to a block of vectors
//! ([`GraphOperator::apply`], rows in parallel, each output row summed by one thread in edge
//! order, so the result does not depend on the thread count), and gives the explicit sparse
//! ([`GraphOperator::to_sparse`]) or dense ([`GraphOperator::to_dense`]) matrix.
//!
//! ```
//! use unfold_learn::graph::{LaplacianKind, SparseGraph, laplacian};
//! // The path 0 – 1 – 2 with unit weights.
//! let g = SparseGraph::from_parts(3, vec![0, 1, 3, 4], vec![1, 0, 2, 1], vec![1.0; 4])?;
//! let l = laplacian(&g, LaplacianKind::Unnormalized);
//! let mut y = [0.0; 3];
//! l.apply(&[1.0, 2.0, 4.0], &mut y, 1);
//! assert_eq!(y, [-1.0, -1.0, 2.0]); // (D − W) x
//! assert_eq!(l.to_dense()[(1, 1)], 2.0);
//! # Ok::<(), unfold_learn::Error>(())
//! ```

use faer::Mat;
use faer::sparse::{SparseRowMat, SymbolicSparseRowMat};
use rayon::prelude::*;

use super::csr::SparseGraph;
use crate::linalg::eigsh::SymmetricOperator;
use crate::linalg::lobpcg::CHUNK_ROWS;
use crate::prefetch;

/// Entries ahead of the current one whose row of the block [`GraphOperator::apply`] asks the
/// cache for. Past a few hundred thousand vertices the block outgrows the cache, and a
/// vertex's neighbours are scattered over it even in breadth-first order.
const ENTRIES_AHEAD: usize = 16;

/// Which Laplacian [`laplacian`] builds (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaplacianKind {
    /// `D − W`.
    Unnormalized,
    /// `I − D^{-1/2} W D^{-1/2}`.
    SymmetricNormalized,
    /// `I − D^{-1} W`.
    RandomWalk,
}

/// A square matrix `diag(c) + E` with `E` sparse in CSR form (`f64` values, `u32` columns):
/// the form of every graph Laplacian and of the operators the eigensolvers take. `E` may hold
/// diagonal entries too (from self-loops); they add to `c`.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphOperator {
    diagonal: Vec<f64>,
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f64>,
}

/// The Laplacian of `graph` of the given kind (see the [module docs](self)). `graph` is read as
/// it is: symmetrise a directed graph first (see [`super::symmetrize`]).
pub fn laplacian(graph: &SparseGraph, kind: LaplacianKind) -> GraphOperator {
    let degree = graph.degrees();
    let inv = |f: fn(f64) -> f64| -> Vec<f64> { degree.iter().map(|&d| if d > 0.0 { f(d) } else { 0.0 }).collect() };
    let connected: Vec<f64> = degree.iter().map(|&d| if d > 0.0 { 1.0 } else { 0.0 }).collect();
    let (diagonal, values): (Vec<f64>, Vec<f64>) = match kind {
        LaplacianKind::Unnormalized => (degree, edge_values(graph, |_, _, w| -w)),
        LaplacianKind::SymmetricNormalized => {
            let s = inv(|d| 1.0 / d.sqrt());
            (connected, edge_values(graph, |i, j, w| -(w * s[i] * s[j])))
        }
        LaplacianKind::RandomWalk => {
            let s = inv(|d| 1.0 / d);
            (connected, edge_values(graph, |i, _, w| -(w * s[i])))
        }
    };
    GraphOperator { diagonal, indptr: graph.indptr().to_vec(), indices: graph.indices().to_vec(), values }
}

/// The normalised adjacency `D^{-1/2} W D^{-1/2}` of `graph` (zero diagonal; an isolated
/// vertex gets a zero row and column): `I − L_sym` away from isolated vertices, as
/// scikit-learn's `spectral_embedding` negates its Laplacian, whose diagonal is 1 everywhere.
/// Its largest eigenvalue is 1, with eigenvector `D^{1/2} 1`.
pub fn normalized_adjacency(graph: &SparseGraph) -> GraphOperator {
    let s: Vec<f64> = graph.degrees().iter().map(|&d| if d > 0.0 { 1.0 / d.sqrt() } else { 0.0 }).collect();
    let values = edge_values(graph, |i, j, w| w * s[i] * s[j]);
    GraphOperator { diagonal: vec![0.0; graph.n_points()], indptr: graph.indptr().to_vec(), indices: graph.indices().to_vec(), values }
}

/// `f(i, j, w_ij)` for every stored edge, in storage order (one pass, cheaper than the
/// operator's products that follow).
fn edge_values(graph: &SparseGraph, f: impl Fn(usize, usize, f64) -> f64) -> Vec<f64> {
    let mut out = Vec::with_capacity(graph.nnz());
    for (i, (cols, w)) in graph.rows().enumerate() {
        out.extend(cols.iter().zip(w).map(|(&j, &w)| f(i, j as usize, w as f64)));
    }
    out
}

impl GraphOperator {
    /// `diag(diagonal) + E` with `E` given in CSR form (`indptr` of `n + 1` offsets into
    /// `indices` and `values`).
    pub(crate) fn from_parts(diagonal: Vec<f64>, indptr: Vec<usize>, indices: Vec<u32>, values: Vec<f64>) -> GraphOperator {
        debug_assert!(indptr.len() == diagonal.len() + 1 && indices.len() == values.len());
        GraphOperator { diagonal, indptr, indices, values }
    }

    /// Order of the matrix.
    pub fn n(&self) -> usize {
        self.diagonal.len()
    }

    /// The diagonal `c` (without the stored entries of `E` on the diagonal).
    pub fn diagonal(&self) -> &[f64] {
        &self.diagonal
    }

    /// Columns and values of row `i` of the sparse part `E`.
    pub fn row(&self, i: usize) -> (&[u32], &[f64]) {
        let r = self.indptr[i]..self.indptr[i + 1];
        (&self.indices[r.clone()], &self.values[r])
    }

    /// `σ I − M`: with `M = L_sym`, `2I − L_sym = I + D^{-1/2} W D^{-1/2}` has the spectrum of
    /// `L_sym` mirrored into `[0, 2]`, so its largest eigenvalues are `L_sym`'s smallest.
    pub fn shifted_negation(mut self, sigma: f64) -> GraphOperator {
        self.diagonal.iter_mut().for_each(|c| *c = sigma - *c);
        self.values.iter_mut().for_each(|v| *v = -*v);
        self
    }

    /// `M + diag(offsets)`.
    ///
    /// # Panics
    /// If `offsets` does not hold `n` values.
    pub fn with_diagonal_offset(mut self, offsets: &[f64]) -> GraphOperator {
        assert_eq!(offsets.len(), self.n(), "with_diagonal_offset: one offset per row");
        self.diagonal.iter_mut().zip(offsets).for_each(|(c, o)| *c += o);
        self
    }

    /// `P M Pᵀ` for the permutation that makes old vertex `order[r]` the new vertex `r`: row `r`
    /// is old row `order[r]` with its columns renamed, its entries in their old order.
    ///
    /// # Panics
    /// If `order` is not a permutation of `0..n`.
    pub fn permuted(self, order: &[u32]) -> GraphOperator {
        let (indptr, indices, values) = super::components::permuted_csr(&self.indptr, &self.indices, &self.values, order);
        let diagonal = order.iter().map(|&old| self.diagonal[old as usize]).collect();
        GraphOperator { diagonal, indptr, indices, values }
    }

    /// `y = M x` for a row-major `n × b` block `x`. Rows are computed in parallel in fixed
    /// chunks of [`CHUNK_ROWS`]; each row is accumulated by one thread in edge order.
    ///
    /// # Panics
    /// If `x` or `y` does not hold `n · b` values.
    pub fn apply(&self, x: &[f64], y: &mut [f64], b: usize) {
        let n = self.n();
        assert!(x.len() == n * b && y.len() == n * b, "apply: blocks of {} and {} values for {n} rows of {b}", x.len(), y.len());
        if b == 0 {
            return;
        }
        y.par_chunks_mut(CHUNK_ROWS * b).enumerate().for_each(|(c, out)| self.apply_rows(x, out, c * CHUNK_ROWS, b));
    }

    /// The rows `first..` of `M x` that `out` covers.
    fn apply_rows(&self, x: &[f64], out: &mut [f64], first: usize, b: usize) {
        // A fixed width lets the compiler keep the row in registers and unroll over columns:
        // the width-generic loop took twice as long on MNIST's graph.
        macro_rules! widths {
            ($($w:literal)*) => {
                match b {
                    $($w => self.apply_fixed::<$w>(x, out, first),)*
                    _ => self.apply_any(x, out, first, b),
                }
            };
        }
        widths!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)
    }

    fn apply_fixed<const B: usize>(&self, x: &[f64], out: &mut [f64], first: usize) {
        // The last entry of these rows: the read-ahead stays within them.
        let last = self.indptr[first + out.len() / B];
        for (r, row) in out.chunks_exact_mut(B).enumerate() {
            let i = first + r;
            let c = self.diagonal[i];
            let mut acc: [f64; B] = std::array::from_fn(|k| c * x[i * B + k]);
            for e in self.indptr[i]..self.indptr[i + 1] {
                if e + ENTRIES_AHEAD < last {
                    let j = self.indices[e + ENTRIES_AHEAD] as usize;
                    prefetch::slice(&x[j * B..(j + 1) * B]);
                }
                let (j, w) = (self.indices[e] as usize, self.values[e]);
                let xj = &x[j * B..(j + 1) * B];
                for k in 0..B {
                    acc[k] += w * xj[k];
                }
            }
            row.copy_from_slice(&acc);
        }
    }

    fn apply_any(&self, x: &[f64], out: &mut [f64], first: usize, b: usize) {
        for (r, row) in out.chunks_exact_mut(b).enumerate() {
            let i = first + r;
            let c = self.diagonal[i];
            for (o, &v) in row.iter_mut().zip(&x[i * b..(i + 1) * b]) {
                *o = c * v;
            }
            for e in self.indptr[i]..self.indptr[i + 1] {
                let (j, w) = (self.indices[e] as usize, self.values[e]);
                for (o, &v) in row.iter_mut().zip(&x[j * b..(j + 1) * b]) {
                    *o += w * v;
                }
            }
        }
    }

    /// `y ← α M x + β x − y`, then `sums[t] += coefficients[t] · y`, for row-major `n × b`
    /// blocks, in one pass over the rows on the calling thread (the Chebyshev recursion of
    /// [`crate::graph::heat_kernel`], whose callers run blocks in parallel). As a product
    /// followed by two passes this step waited on memory: three fewer sweeps over `n × b`
    /// blocks.
    ///
    /// # Panics
    /// If a block does not hold `n · b` values, or `sums` and `coefficients` differ in length.
    #[allow(clippy::too_many_arguments)]
    pub fn recurrence_step(&self, alpha: f64, beta: f64, x: &[f64], y: &mut [f64], b: usize, coefficients: &[f64], sums: &mut [Vec<f64>]) {
        let n = self.n();
        assert!(x.len() == n * b && y.len() == n * b, "recurrence_step: blocks of {} and {} values for {n} rows of {b}", x.len(), y.len());
        assert_eq!(sums.len(), coefficients.len(), "recurrence_step: one coefficient per sum");
        assert!(sums.iter().all(|s| s.len() == n * b), "recurrence_step: sums of {n} rows of {b}");
        macro_rules! widths {
            ($($w:literal)*) => {
                match b {
                    $($w => self.recurrence_fixed::<$w>(alpha, beta, x, y, coefficients, sums),)*
                    _ => {
                        for (i, row) in y.chunks_exact_mut(b.max(1)).enumerate() {
                            let c = alpha * self.diagonal[i] + beta;
                            for (o, &v) in row.iter_mut().zip(&x[i * b..(i + 1) * b]) {
                                *o = c * v - *o;
                            }
                            for e in self.indptr[i]..self.indptr[i + 1] {
                                let (j, w) = (self.indices[e] as usize, alpha * self.values[e]);
                                for (o, &v) in row.iter_mut().zip(&x[j * b..(j + 1) * b]) {
                                    *o += w * v;
                                }
                            }
                            for (sum, &cf) in sums.iter_mut().zip(coefficients) {
                                for (s, &v) in sum[i * b..(i + 1) * b].iter_mut().zip(row.iter()) {
                                    *s += cf * v;
                                }
                            }
                        }
                    }
                }
            };
        }
        widths!(1 2 4 8 16)
    }

    fn recurrence_fixed<const B: usize>(&self, alpha: f64, beta: f64, x: &[f64], y: &mut [f64], coefficients: &[f64], sums: &mut [Vec<f64>]) {
        for (i, row) in y.chunks_exact_mut(B).enumerate() {
            let c = alpha * self.diagonal[i] + beta;
            let xi = &x[i * B..(i + 1) * B];
            let mut acc: [f64; B] = std::array::from_fn(|k| c * xi[k] - row[k]);
            for e in self.indptr[i]..self.indptr[i + 1] {
                let (j, w) = (self.indices[e] as usize, alpha * self.values[e]);
                let xj = &x[j * B..(j + 1) * B];
                for k in 0..B {
                    acc[k] += w * xj[k];
                }
            }
            row.copy_from_slice(&acc);
            for (sum, &cf) in sums.iter_mut().zip(coefficients) {
                let s = &mut sum[i * B..(i + 1) * B];
                for k in 0..B {
                    s[k] += cf * acc[k];
                }
            }
        }
    }

    /// The explicit matrix in faer's CSR form: each row's entries (diagonal included, stored
    /// even when 0) sorted by column, repeated columns summed.
    pub fn to_sparse(&self) -> SparseRowMat<usize, f64> {
        let n = self.n();
        let mut indptr = Vec::with_capacity(n + 1);
        let (mut indices, mut values) = (Vec::with_capacity(self.values.len() + n), Vec::with_capacity(self.values.len() + n));
        indptr.push(0);
        let mut row: Vec<(usize, f64)> = Vec::new();
        for i in 0..n {
            row.clear();
            row.push((i, self.diagonal[i]));
            let (cols, vals) = self.row(i);
            row.extend(cols.iter().map(|&j| j as usize).zip(vals.iter().copied()));
            // Stable: repeated columns are summed in storage order, the diagonal first.
            row.sort_by_key(|&(j, _)| j);
            for &(j, v) in &row {
                if indices.len() > indptr[i] && indices.last() == Some(&j) {
                    *values.last_mut().unwrap() += v;
                } else {
                    indices.push(j);
                    values.push(v);
                }
            }
            indptr.push(indices.len());
        }
        SparseRowMat::new(SymbolicSparseRowMat::new_checked(n, n, indptr, None, indices), values)
    }

    /// The explicit dense matrix (for small graphs and tests).
    pub fn to_dense(&self) -> Mat<f64> {
        let n = self.n();
        let mut m = Mat::<f64>::zeros(n, n);
        for i in 0..n {
            m[(i, i)] += self.diagonal[i];
            let (cols, vals) = self.row(i);
            for (&j, &v) in cols.iter().zip(vals) {
                m[(i, j as usize)] += v;
            }
        }
        m
    }
}

/// The operator the eigensolver ([`crate::linalg::eigsh`]) takes: products in parallel row
/// chunks ([`GraphOperator::apply`]), shifts on the diagonal (exact).
impl SymmetricOperator for GraphOperator {
    fn n(&self) -> usize {
        GraphOperator::n(self)
    }

    fn apply(&self, x: &[f64], y: &mut [f64], b: usize) {
        GraphOperator::apply(self, x, y, b)
    }

    fn to_dense(&self) -> Mat<f64> {
        GraphOperator::to_dense(self)
    }

    #[allow(clippy::too_many_arguments)]
    fn recurrence_step(&self, alpha: f64, beta: f64, x: &[f64], y: &mut [f64], b: usize, coefficients: &[f64], sums: &mut [Vec<f64>]) {
        GraphOperator::recurrence_step(self, alpha, beta, x, y, b, coefficients, sums)
    }

    /// `shift·I + A` keeps the entries and adds `shift` to the diagonal; `shift·I − A` is
    /// [`GraphOperator::shifted_negation`].
    fn affine(&self, shift: f64, sign: f64) -> Box<dyn SymmetricOperator + '_> {
        let op = self.clone();
        Box::new(if sign < 0.0 {
            op.shifted_negation(shift)
        } else {
            let n = op.n();
            op.with_diagonal_offset(&vec![shift; n])
        })
    }
}
