//! The double-centred kernel `B = −½ J (D∘D) J` (`J = I − 11ᵀ/n`) of a dense `n × n` distance
//! matrix `D` held in `f32`, and its largest eigenpairs, without an `n × n` `f64` copy: classical
//! MDS of a geodesic distance matrix (Isomap) at the size where `D` alone takes most of the
//! memory (400 MB at 10,000 points).
//!
//! With `r_i` the mean of row `i` of `D∘D` and `a` the mean of all of it,
//! `B_ij = −½ (D_ij² − r_i − r_j + a)` (scikit-learn's `KernelCenterer` on `−½ D²`; `D` is
//! symmetric up to rounding, so row and column means agree). Products `B X` build a block of
//! rows of `B` in `f32` at a time, in a per-worker buffer, and multiply it with `X` in `f32`:
//! the entries of `B` are centred, so rounding is relative to `B`'s own scale, not to the
//! (much larger) squared distances. Row means, the Frobenius norm and the products are summed
//! per row in a fixed order, so results are identical at any thread count.

use crate::linalg::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use rayon::prelude::*;

use super::lobpcg::{LobpcgOptions, lobpcg_largest_cancellable};
use super::mds::svd_flip_columns;
use super::{lane_sum, symmetric_eigen};
use crate::error::Result;
use crate::progress::Progress;
use crate::rng::{SeedSource, unit_f64};

/// Rows of `B` per block of a product.
const BLOCK_ROWS: usize = 32;

/// Most points for which an iterative solve that fails falls back to a dense one (`8 n²` bytes
/// and a cubic decomposition: 128 MB and about a second here; at 10,000 points, 800 MB and
/// minutes).
pub const DENSE_FALLBACK_MAX: usize = 4000;

/// `Σ_j d_j²` in `f64`.
#[multiversion::multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2+fma"))]
fn row_sum_sq(d: &[f32]) -> f64 {
    lane_sum(d, d, |v, _| v as f64 * v as f64)
}

/// `Σ_j B_ij²` for the row `d` of `D` with `ci = a − r_i`: `B_ij = −½ (d_j² + ci − r_j)`.
#[multiversion::multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2+fma"))]
fn centred_row_sum_sq(d: &[f32], r: &[f64], ci: f64) -> f64 {
    // (−½ t)² = ¼ t² exactly: the factor once, outside.
    0.25 * lane_sum(d, r, |v, rj| {
        let t = v as f64 * v as f64 + (ci - rj);
        t * t
    })
}

/// `B = −½ J (D∘D) J` of a dense `f32` distance matrix, as an operator.
pub struct CentredSquares<'a> {
    d: &'a [f32],
    n: usize,
    row_means: Vec<f64>,
    /// `r_j / 2` in `f32`, for the blocks.
    half_means32: Vec<f32>,
    total_mean: f64,
    frobenius_sq: std::sync::OnceLock<f64>,
}

/// How [`CentredSquares::top_eigenpairs`] solves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KernelEigenSolver {
    /// A full dense eigendecomposition of `B` formed in `f64` (`8 n²` bytes more).
    Dense,
    /// LOBPCG on `B / ‖B‖_F` with the products of [`CentredSquares::apply`].
    Iterative {
        /// Stop when every wanted residual `‖B x − λ x‖ / ‖B‖_F` is below this.
        tol: f64,
        /// Iterations at most.
        max_iter: usize,
    },
}

impl<'a> CentredSquares<'a> {
    /// The operator of `d` (`n × n`, row-major, finite, symmetric up to rounding).
    pub fn new(d: &'a [f32], n: usize) -> CentredSquares<'a> {
        assert_eq!(d.len(), n * n, "CentredSquares: d must be n × n");
        let row_means: Vec<f64> = d.par_chunks(n.max(1)).map(|row| row_sum_sq(row) / n as f64).collect();
        let total_mean = row_means.iter().sum::<f64>() / n.max(1) as f64;
        let half_means32 = row_means.iter().map(|&r| (0.5 * r) as f32).collect();
        CentredSquares { d, n, row_means, half_means32, total_mean, frobenius_sq: std::sync::OnceLock::new() }
    }

    /// Number of points.
    pub fn n(&self) -> usize {
        self.n
    }

    /// `r_i`, the row means of `D∘D`.
    pub fn row_means(&self) -> &[f64] {
        &self.row_means
    }

    /// The mean of `D∘D`.
    pub fn total_mean(&self) -> f64 {
        self.total_mean
    }

    /// Rows `first..first + rows` of `B` in `f32` into `buf` (`rows × n`).
    fn block(&self, first: usize, rows: usize, buf: &mut [f32]) {
        let n = self.n;
        for r in 0..rows {
            let i = first + r;
            // B_ij = −½ D_ij² + (r_i − a)/2 + r_j/2.
            let ci = (0.5 * (self.row_means[i] - self.total_mean)) as f32;
            let drow = &self.d[i * n..(i + 1) * n];
            for ((b, &v), &hj) in buf[r * n..(r + 1) * n].iter_mut().zip(drow).zip(&self.half_means32) {
                *b = (ci + hj) - 0.5 * v * v;
            }
        }
    }

    /// `‖B‖_F² = Σ_ij B_ij²`, in `f64` (scikit-learn's `np.sum(G_center**2)`), computed on the
    /// first call and kept: LOBPCG's scaling and Isomap's reconstruction error both ask.
    pub fn frobenius_sq(&self) -> f64 {
        *self.frobenius_sq.get_or_init(|| {
            let n = self.n;
            let per_row: Vec<f64> =
                (0..n).into_par_iter().map(|i| centred_row_sum_sq(&self.d[i * n..(i + 1) * n], &self.row_means, self.total_mean - self.row_means[i])).collect();
            per_row.iter().sum()
        })
    }

    /// `B` in `f64`, `n × n` row-major, made exactly symmetric (`(B + Bᵀ)/2`).
    pub fn dense(&self) -> Vec<f64> {
        let n = self.n;
        let mut b = vec![0.0f64; n * n];
        b.par_chunks_mut(n.max(1)).enumerate().for_each(|(i, row)| {
            let ci = self.total_mean - self.row_means[i];
            for ((o, &v), &rj) in row.iter_mut().zip(&self.d[i * n..(i + 1) * n]).zip(&self.row_means) {
                *o = -0.5 * (v as f64 * v as f64 + ci - rj);
            }
        });
        for i in 0..n {
            for j in i + 1..n {
                let m = 0.5 * (b[i * n + j] + b[j * n + i]);
                b[i * n + j] = m;
                b[j * n + i] = m;
            }
        }
        b
    }

    /// `y = scale · B x` for `x`, `y` of `n × cols` (row-major `f64`).
    pub fn apply(&self, x: &[f64], y: &mut [f64], cols: usize, scale: f64) {
        let n = self.n;
        let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let xs = MatRef::from_row_major_slice(&x32, n, cols);
        y.par_chunks_mut(BLOCK_ROWS * cols).enumerate().for_each_init(
            || (vec![0.0f32; BLOCK_ROWS * n], vec![0.0f32; BLOCK_ROWS * cols]),
            |(buf, out), (t, ys)| {
                let first = t * BLOCK_ROWS;
                let rows = ys.len() / cols;
                self.block(first, rows, buf);
                let bs = MatRef::from_row_major_slice(&buf[..rows * n], rows, n);
                matmul(MatMut::from_row_major_slice_mut(&mut out[..rows * cols], rows, cols), Accum::Replace, bs, xs, 1.0f32, Par::Seq);
                for (o, &v) in ys.iter_mut().zip(out.iter()) {
                    *o = v as f64 * scale;
                }
            },
        );
    }

    /// The `k` largest eigenpairs of `B`: eigenvalues descending, eigenvectors `n × k` row-major
    /// signed as scikit-learn's `svd_flip`. An iterative solve that does not converge falls back
    /// to the dense one up to [`DENSE_FALLBACK_MAX`] points, and is an error above.
    ///
    /// The iterative solve asks `progress` before each iteration (one pass over `D` each) and
    /// stops on a cancellation.
    ///
    /// # Errors
    /// [`crate::Error::Numerical`] naming `stage` if the dense eigendecomposition fails, or if
    /// the iterative solve does not converge above [`DENSE_FALLBACK_MAX`] points;
    /// [`crate::Error::Cancelled`].
    pub fn top_eigenpairs(&self, k: usize, solver: KernelEigenSolver, stage: &'static str, progress: &dyn Progress) -> Result<(Vec<f64>, Vec<f64>)> {
        let n = self.n;
        let k = k.min(n);
        let iterative = match solver {
            KernelEigenSolver::Iterative { tol, max_iter } => match self.lobpcg(k, tol, max_iter, stage, progress)? {
                None if n > DENSE_FALLBACK_MAX => {
                    return Err(crate::Error::Numerical {
                        stage,
                        message: format!(
                            "the iterative eigensolver did not reach tol = {tol:e} in max_iter = {max_iter} iterations; a dense solve of {n} points would need {:.1} GB and minutes: raise max_iter or tol, or choose eigen_solver = \"dense\"",
                            8.0 * (n * n) as f64 / 1e9
                        ),
                    });
                }
                found => found,
            },
            KernelEigenSolver::Dense => None,
        };
        let (values, mut vectors) = match iterative {
            Some(found) => found,
            None => {
                let b = self.dense();
                let (values, vectors) = symmetric_eigen(MatRef::from_row_major_slice(&b, n, n), stage)?;
                let v: Vec<f64> = (0..n).flat_map(|i| (0..k).map(move |c| (i, c))).map(|(i, c)| vectors[(i, c)]).collect();
                (values[..k].to_vec(), v)
            }
        };
        svd_flip_columns(&mut vectors, n, k);
        Ok((values, vectors))
    }

    /// LOBPCG's eigenpairs, `None` if it fails (or does not apply), an error if cancelled.
    fn lobpcg(&self, k: usize, tol: f64, max_iter: usize, stage: &'static str, progress: &dyn Progress) -> Result<Option<(Vec<f64>, Vec<f64>)>> {
        let n = self.n;
        let norm = self.frobenius_sq().sqrt();
        let m = (k + 8).min(n);
        if norm == 0.0 || 3 * m > n {
            return Ok(None);
        }
        let seeds = SeedSource::new(Some(0x6973_6f6d_6170));
        let x0: Vec<f64> = (0..n * m).map(|u| unit_f64(seeds.value(1, u as u64)) - 0.5).collect();
        let apply = |x: &[f64], y: &mut [f64], cols: usize| self.apply(x, y, cols, 1.0 / norm);
        let options = LobpcgOptions { tol, max_iter };
        match lobpcg_largest_cancellable(n, &apply, x0, k, None, &options, stage, &|| progress.is_cancelled()) {
            Ok(found) => Ok(Some((found.values.iter().map(|v| v * norm).collect(), found.vectors))),
            Err(crate::Error::Cancelled) => Err(crate::Error::Cancelled),
            Err(_) => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::mds::double_centre;
    use crate::progress::NoProgress;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn points_distances(n: usize, dim: usize) -> Vec<f32> {
        let s = SeedSource::new(Some(4));
        let x: Vec<f64> = (0..n * dim).map(|u| unit_f64(s.value(3, u as u64)) * 4.0 - 2.0).collect();
        (0..n * n).map(|p| (0..dim).map(|c| (x[p / n * dim + c] - x[p % n * dim + c]).powi(2)).sum::<f64>().sqrt() as f32).collect()
    }

    #[test]
    fn a_failed_iterative_solve_is_an_error_above_the_dense_fallback() {
        let n = DENSE_FALLBACK_MAX + 1;
        let d = points_distances(n, 3);
        let op = CentredSquares::new(&d, n);
        let err = op.top_eigenpairs(2, KernelEigenSolver::Iterative { tol: 1e-15, max_iter: 1 }, "test", &NoProgress).unwrap_err();
        assert!(err.to_string().contains("max_iter = 1") && err.to_string().contains("eigen_solver"), "{err}");
    }

    #[test]
    fn operator_matches_the_explicit_double_centring() {
        let n = 97;
        let d = points_distances(n, 5);
        let op = CentredSquares::new(&d, n);
        let mut b: Vec<f64> = d.iter().map(|&v| v as f64).collect();
        double_centre(&mut b, n);
        let dense = op.dense();
        for (a, e) in dense.iter().zip(&b) {
            assert!((a - e).abs() < 1e-9 * (1.0 + e.abs()), "{a} vs {e}");
        }
        assert!((op.frobenius_sq() - b.iter().map(|v| v * v).sum::<f64>()).abs() < 1e-9 * op.frobenius_sq());
        let x: Vec<f64> = (0..n * 3).map(|u| (u as f64 * 0.37).sin()).collect();
        let mut y = vec![0.0; n * 3];
        op.apply(&x, &mut y, 3, 1.0);
        for i in 0..n {
            for c in 0..3 {
                let e: f64 = (0..n).map(|j| b[i * n + j] * x[j * 3 + c]).sum();
                assert!((y[i * 3 + c] - e).abs() < 1e-4 * op.frobenius_sq().sqrt(), "{} vs {e}", y[i * 3 + c]);
            }
        }
    }

    #[test]
    fn iterative_and_dense_eigenpairs_agree() {
        let n = 600;
        let d = points_distances(n, 4);
        let op = CentredSquares::new(&d, n);
        let (vd, ed) = op.top_eigenpairs(3, KernelEigenSolver::Dense, "test", &NoProgress).unwrap();
        let (vi, ei) = op.top_eigenpairs(3, KernelEigenSolver::Iterative { tol: 1e-5, max_iter: 500 }, "test", &NoProgress).unwrap();
        for c in 0..3 {
            assert!((vd[c] - vi[c]).abs() < 1e-5 * vd[0], "{vd:?} vs {vi:?}");
            let dot: f64 = (0..n).map(|i| ed[i * 3 + c] * ei[i * 3 + c]).sum();
            assert!(dot > 1.0 - 1e-6, "column {c}: {dot}");
        }
    }

    /// A cancellation during the iterative solve stops it between iterations.
    #[test]
    fn a_cancelled_iterative_solve_stops() {
        struct CancelAfter(AtomicUsize);
        impl Progress for CancelAfter {
            fn is_cancelled(&self) -> bool {
                self.0.fetch_add(1, Ordering::Relaxed) >= 2
            }
        }
        let n = 97;
        let d = points_distances(n, 5);
        let op = CentredSquares::new(&d, n);
        let progress = CancelAfter(AtomicUsize::new(0));
        let solver = KernelEigenSolver::Iterative { tol: 1e-15, max_iter: 1000 };
        let err = op.top_eigenpairs(3, solver, "test", &progress).unwrap_err();
        assert!(matches!(err, crate::Error::Cancelled), "{err}");
        assert_eq!(progress.0.load(Ordering::Relaxed), 3, "asked once per iteration, stopped at the third");
    }
}
