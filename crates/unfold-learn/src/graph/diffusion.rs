//! Diffusion operators on a kernel graph (Coifman & Lafon, "Diffusion maps", 2006): the piece
//! diffusion maps and the diffusion-geometry methods (PHATE, heat geodesics) share.
//!
//! From a symmetric kernel `K` (self-affinities on the diagonal included) with degrees
//! `q_i = Σ_j K_ij`:
//!
//! * **α-normalisation**: `K⁽ᵅ⁾_ij = K_ij / (q_i q_j)^α` removes the influence of the sampling
//!   density (`α = 0`: the classical normalised graph Laplacian; `½`: Fokker–Planck; `1`: the
//!   Laplace–Beltrami operator whatever the density).
//! * **Markov matrix** `P = D⁻¹ K⁽ᵅ⁾` with `d_i = Σ_j K⁽ᵅ⁾_ij`: row-stochastic, stationary
//!   distribution `π = d / Σd`.
//! * **Its eigenpairs** through the symmetric conjugate `A = D^-½ K⁽ᵅ⁾ D^-½ = V Λ Vᵀ`
//!   ([`DiffusionOperator::symmetric`]): `P ψ_k = λ_k ψ_k` with `ψ_k = D^-½ v_k · √Σd`, so that
//!   the `ψ` are orthonormal in `ℓ²(π)` and `ψ_0 = 1` with `λ_0 = 1` on a connected graph.
//!   [`DiffusionOperator::eigenpairs`] finds the `k` largest after the trivial one, deflated.
//! * **Nyström extension** to a point `y` outside the graph with kernel values `k(y, x_j)`:
//!   `p(y, j) = k⁽ᵅ⁾(y, x_j) / Σ_j k⁽ᵅ⁾(y, x_j)` with `k⁽ᵅ⁾(y, x_j) = k(y, x_j) / q_j^α` (the
//!   factor `q(y)^α` cancels), and `ψ_k(y) = λ_k⁻¹ Σ_j p(y, j) ψ_k(x_j)`
//!   ([`DiffusionOperator::markov_row_weights`]).
//!
//! Products with `A` go through [`GraphOperator`]: rows in parallel, each summed by one thread in
//! edge order, so everything here is identical at any thread count.

use super::csr::SparseGraph;
use super::laplacian::GraphOperator;
use crate::error::Result;
use crate::linalg::eigsh::{EigshOptions, Start, Which, eigsh};

/// The α-normalised diffusion operator of a symmetric kernel graph (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq)]
pub struct DiffusionOperator {
    alpha: f64,
    /// `q`: the kernel's degrees, diagonal included.
    kernel_degree: Vec<f64>,
    /// `d`: the degrees of `K⁽ᵅ⁾`.
    degree: Vec<f64>,
    /// `A = D^-½ K⁽ᵅ⁾ D^-½`.
    symmetric: GraphOperator,
}

/// Eigenpairs of a diffusion operator's Markov matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct DiffusionEigen {
    /// `λ_1 ≥ λ_2 ≥ …`, the trivial `λ_0 = 1` left out.
    pub values: Vec<f64>,
    /// The right eigenvectors `ψ_1, ψ_2, …` of `P`, `n × k` row-major, orthonormal in `ℓ²(π)`,
    /// each signed so that its largest-magnitude entry is positive.
    pub vectors: Vec<f64>,
}

impl DiffusionOperator {
    /// The operator of the symmetric kernel `kernel` (its diagonal stored where it is not zero)
    /// with normalisation exponent `alpha`. A vertex without kernel weight (possible only with
    /// an empty row) gets a zero row and column.
    pub fn new(kernel: &SparseGraph, alpha: f64) -> DiffusionOperator {
        let q = kernel.degrees();
        let inv_pow = |v: f64, p: f64| if v > 0.0 { v.powf(-p) } else { 0.0 };
        let qa: Vec<f64> = q.iter().map(|&v| inv_pow(v, alpha)).collect();
        let mut values = Vec::with_capacity(kernel.nnz());
        let mut degree = Vec::with_capacity(kernel.n_points());
        for (i, (cols, w)) in kernel.rows().enumerate() {
            let start = values.len();
            values.extend(cols.iter().zip(w).map(|(&j, &w)| w as f64 * qa[i] * qa[j as usize]));
            degree.push(values[start..].iter().sum::<f64>());
        }
        let s: Vec<f64> = degree.iter().map(|&d| inv_pow(d, 0.5)).collect();
        let mut at = 0;
        for (i, (cols, _)) in kernel.rows().enumerate() {
            for &j in cols {
                values[at] *= s[i] * s[j as usize];
                at += 1;
            }
        }
        let symmetric = GraphOperator::from_parts(vec![0.0; kernel.n_points()], kernel.indptr().to_vec(), kernel.indices().to_vec(), values);
        DiffusionOperator { alpha, kernel_degree: q, degree, symmetric }
    }

    /// Number of vertices.
    pub fn n(&self) -> usize {
        self.degree.len()
    }

    /// The normalisation exponent `α`.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// `q`, the kernel's degrees (diagonal included): what the Nyström extension divides by.
    pub fn kernel_degree(&self) -> &[f64] {
        &self.kernel_degree
    }

    /// `d`, the degrees of the α-normalised kernel.
    pub fn degree(&self) -> &[f64] {
        &self.degree
    }

    /// The stationary distribution `π = d / Σd` of the Markov matrix.
    pub fn stationary(&self) -> Vec<f64> {
        let total: f64 = self.degree.iter().sum();
        self.degree.iter().map(|&d| d / total).collect()
    }

    /// `A = D^-½ K⁽ᵅ⁾ D^-½`, symmetric, with the eigenvalues of `P`.
    pub fn symmetric(&self) -> &GraphOperator {
        &self.symmetric
    }

    /// The `k` largest eigenvalues of `P` after the trivial `λ_0 = 1` (whose eigenvector
    /// `√d / ‖√d‖` of `A` is deflated), with their right eigenvectors (see [`DiffusionEigen`]).
    /// The iterative path runs on `I + A` (spectrum in `[0, 2]`) to the residual tolerance of
    /// `options`; `seed` draws its start block.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] naming `k` when it is not below `n`;
    /// [`crate::Error::Numerical`] naming `stage` when the eigensolver fails.
    pub fn eigenpairs(&self, k: usize, seed: Option<u64>, options: &EigshOptions, stage: &'static str) -> Result<DiffusionEigen> {
        let n = self.n();
        let root: Vec<f64> = self.degree.iter().map(|&d| d.sqrt()).collect();
        let norm = root.iter().map(|r| r * r).sum::<f64>().sqrt();
        let trivial: Vec<f64> = root.iter().map(|r| r / norm).collect();
        let options = EigshOptions { shift: 1.0, ..*options };
        let found = eigsh(&self.symmetric, k, Which::Largest, Some(&trivial), Start::Seed(seed), &options, stage)?;
        // ψ = D^-½ v · √Σd = v / trivial (entrywise), 0 on an isolated vertex.
        let mut vectors = found.vectors;
        for (i, row) in vectors.chunks_exact_mut(k).enumerate() {
            let s = if trivial[i] > 0.0 { 1.0 / trivial[i] } else { 0.0 };
            row.iter_mut().for_each(|v| *v *= s);
        }
        for c in 0..k {
            let largest = (0..n).fold(0, |best, i| if vectors[i * k + c].abs() > vectors[best * k + c].abs() { i } else { best });
            if vectors[largest * k + c] < 0.0 {
                (0..n).for_each(|i| vectors[i * k + c] = -vectors[i * k + c]);
            }
        }
        Ok(DiffusionEigen { values: found.values, vectors })
    }

    /// The Nyström weights of a point outside the graph: [`nystrom_weights`] with this
    /// operator's `q` and `α`.
    pub fn markov_row_weights(&self, neighbors: &[u32], log_kernel: &[f64], out: &mut [f64]) {
        nystrom_weights(&self.kernel_degree, self.alpha, neighbors, log_kernel, out);
    }
}

/// The Nyström weights `p(y, j)` of a point `y` outside a graph with kernel degrees `q` and
/// normalisation exponent `alpha`, from its kernel values `k(y, x_j)` to the vertices
/// `neighbors`, given as `ln k(y, x_j)`: a point far from every vertex (all kernel values below
/// `f64`'s range) still gets weights, normalised in the log domain where only differences
/// matter. Written into `out` (as long as `neighbors`), summing to 1. A fitted model keeps `q`
/// and `α` to extend, without the operator.
pub fn nystrom_weights(q: &[f64], alpha: f64, neighbors: &[u32], log_kernel: &[f64], out: &mut [f64]) {
    let ln = |j: u32, lk: f64| lk - alpha * q[j as usize].ln();
    let top = neighbors.iter().zip(log_kernel).map(|(&j, &lk)| ln(j, lk)).fold(f64::NEG_INFINITY, f64::max);
    let mut total = 0.0;
    for ((o, &j), &lk) in out.iter_mut().zip(neighbors).zip(log_kernel) {
        *o = (ln(j, lk) - top).exp();
        total += *o;
    }
    out.iter_mut().for_each(|o| *o /= total);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dense reference: P = D⁻¹ K⁽ᵅ⁾ built entry by entry.
    fn dense_markov(k: &[Vec<f64>], alpha: f64) -> Vec<Vec<f64>> {
        let n = k.len();
        let q: Vec<f64> = k.iter().map(|r| r.iter().sum()).collect();
        let ka: Vec<Vec<f64>> = (0..n).map(|i| (0..n).map(|j| k[i][j] / (q[i] * q[j]).powf(alpha)).collect()).collect();
        ka.iter().map(|r| r.iter().map(|v| v / r.iter().sum::<f64>()).collect()).collect()
    }

    fn kernel_graph(k: &[Vec<f64>]) -> SparseGraph {
        let n = k.len();
        let mut indptr = vec![0];
        let (mut indices, mut weights) = (Vec::new(), Vec::new());
        for row in k {
            for (j, &v) in row.iter().enumerate() {
                if v != 0.0 {
                    indices.push(j as u32);
                    weights.push(v as f32);
                }
            }
            indptr.push(indices.len());
        }
        SparseGraph::from_parts(n, indptr, indices, weights).unwrap()
    }

    #[test]
    fn right_eigenvectors_of_the_markov_matrix() {
        // Six points on a line with a Gaussian kernel (exactly representable in f32 up to rounding).
        let x = [0.0f64, 0.4, 1.1, 1.5, 2.6, 3.0];
        let k: Vec<Vec<f64>> = x.iter().map(|a| x.iter().map(|b| ((-(a - b) * (a - b)) as f32).exp() as f64).collect()).collect();
        for alpha in [0.0, 0.5, 1.0] {
            let op = DiffusionOperator::new(&kernel_graph(&k), alpha);
            let p = dense_markov(&k, alpha);
            let found = op.eigenpairs(3, Some(1), &EigshOptions::default(), "test").unwrap();
            let pi = op.stationary();
            for c in 0..3 {
                let psi: Vec<f64> = (0..6).map(|i| found.vectors[i * 3 + c]).collect();
                for i in 0..6 {
                    let p_psi: f64 = (0..6).map(|j| p[i][j] * psi[j]).sum();
                    assert!((p_psi - found.values[c] * psi[i]).abs() < 1e-10, "alpha {alpha}, vector {c}, row {i}");
                }
                let norm: f64 = (0..6).map(|i| pi[i] * psi[i] * psi[i]).sum();
                assert!((norm - 1.0).abs() < 1e-10);
                // Orthogonal to ψ_0 = 1 in ℓ²(π).
                assert!((0..6).map(|i| pi[i] * psi[i]).sum::<f64>().abs() < 1e-10);
            }
            assert!(found.values.windows(2).all(|w| w[0] >= w[1]) && found.values[0] < 1.0);
        }
    }

    #[test]
    fn nystrom_weights_are_the_markov_row() {
        let k = vec![vec![1.0, 0.5, 0.25], vec![0.5, 1.0, 0.5], vec![0.25, 0.5, 1.0]];
        let op = DiffusionOperator::new(&kernel_graph(&k), 0.5);
        // A new point with kernel values equal to vertex 1's row: its weights are P's row 1.
        let p = dense_markov(&k, 0.5);
        let mut out = [0.0; 3];
        op.markov_row_weights(&[0, 1, 2], &[0.5f64.ln(), 0.0, 0.5f64.ln()], &mut out);
        for j in 0..3 {
            assert!((out[j] - p[1][j]).abs() < 1e-12);
        }
        // Far away: the kernel values underflow, the weights do not.
        op.markov_row_weights(&[0, 2], &[-5000.0, -5001.0], &mut out[..2]);
        assert!(out[..2].iter().all(|v| v.is_finite()) && (out[0] + out[1] - 1.0).abs() < 1e-12 && out[0] > out[1]);
    }
}
