//! LOBPCG (Knyazev, 2001): the largest eigenpairs of a symmetric operator given only as a
//! block product `Y = A X`, with optional deflation of a known unit eigenvector.
//!
//! Each iteration takes the Rayleigh–Ritz approximation from the space spanned by the current
//! block `X`, the residuals `R = AX − XΛ` of the unconverged columns and the previous search
//! directions `P`, all kept orthogonal to the constraint vector. Without a preconditioner this
//! is a block conjugate-gradient method on the Rayleigh quotient: it converges like a Krylov
//! method (rate governed by the square root of the relative gap), much faster than subspace
//! iteration when eigenvalues cluster. Orthonormalisation is classical Gram–Schmidt against
//! the fixed blocks, then SVQB (Stathopoulos & Wu, 2002), which drops numerically dependent
//! directions instead of failing; both are repeated once when the first pass removed more than
//! half of a column's squared norm or met an ill-conditioned block ("twice is enough").
//!
//! Blocks are `n × b` row-major `f64`. Reductions over rows use fixed chunks summed in order,
//! and the small dense eigendecompositions run sequentially, so the result is identical at any
//! thread count (given an `apply` that is).

use crate::linalg::matmul;
use faer::{Accum, Mat, MatMut, MatRef, Par};
use rayon::prelude::*;

use super::symmetric_eigen;
use crate::error::{Error, Result};

/// Rows per chunk in block products; fixed, so sums are added in the same order at any thread count.
pub const CHUNK_ROWS: usize = 2048;

/// Stopping rule of [`lobpcg_largest`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LobpcgOptions {
    /// Stop when every wanted column has residual norm `‖Ax − λx‖ < tol` (1e-4, umap-learn's).
    pub tol: f64,
    /// Maximum number of iterations (1,000).
    pub max_iter: usize,
}

impl Default for LobpcgOptions {
    fn default() -> Self {
        LobpcgOptions { tol: 1e-4, max_iter: 1000 }
    }
}

/// Eigenpairs found by [`lobpcg_largest`].
#[derive(Debug, Clone)]
pub struct LobpcgResult {
    /// The `k` largest eigenvalues, descending.
    pub values: Vec<f64>,
    /// Their unit eigenvectors, `n × k` row-major.
    pub vectors: Vec<f64>,
    /// Iterations used.
    pub iterations: usize,
}

/// The `k` largest eigenpairs of the symmetric operator `apply` (which writes `A X` for an
/// `n × b` row-major block `X` into an `n × b` output), starting from the block `x0`
/// (`n × m`, `m ≥ k`; the extra columns speed convergence). If `constraint` is given (a unit
/// vector, itself an eigenvector of `A`), the search stays orthogonal to it.
///
/// # Errors
/// [`Error::Numerical`] naming `stage` when the start block is rank deficient or the wanted
/// residuals are not below `tol` after `max_iter` iterations.
pub fn lobpcg_largest(
    n: usize,
    apply: &BlockOp<'_>,
    x0: Vec<f64>,
    k: usize,
    constraint: Option<&[f64]>,
    options: &LobpcgOptions,
    stage: &'static str,
) -> Result<LobpcgResult> {
    lobpcg_largest_cancellable(n, apply, x0, k, constraint, options, stage, &|| false)
}

/// [`lobpcg_largest`] that asks `cancelled` before each iteration and stops with
/// [`Error::Cancelled`] when it says so (for solves long enough that a user may press Ctrl-C).
///
/// # Errors
/// As [`lobpcg_largest`]; [`Error::Cancelled`].
#[allow(clippy::too_many_arguments)]
pub fn lobpcg_largest_cancellable(
    n: usize,
    apply: &BlockOp<'_>,
    x0: Vec<f64>,
    k: usize,
    constraint: Option<&[f64]>,
    options: &LobpcgOptions,
    stage: &'static str,
    cancelled: &dyn Fn() -> bool,
) -> Result<LobpcgResult> {
    let m = x0.len() / n.max(1);
    assert!(k <= m && x0.len() == n * m, "LOBPCG needs an n × m start block with m ≥ k");
    let fixed: Vec<(&[f64], usize)> = constraint.map(|y| (y, 1)).into_iter().collect();
    let (x, cols) = orthonormalize_block(n, x0, m, &fixed, stage)?;
    if cols < m {
        return Err(Error::Numerical { stage, message: format!("the random start block has rank {cols} < {m}") });
    }
    let ax = apply_new(n, apply, &x, m);
    let (mut values, c) = ritz(&gram(n, &x, m, &ax, m), m, stage)?;
    let mut x = times(n, &x, m, c.as_ref());
    let mut ax = times(n, &ax, m, c.as_ref());
    let mut p: Option<Vec<f64>> = None;
    let mut r = vec![0.0; n * m];
    let mut worst = f64::INFINITY;
    for iteration in 0..options.max_iter {
        if cancelled() {
            return Err(Error::Cancelled);
        }
        for ((row, xr), axr) in r.chunks_mut(m).zip(x.chunks(m)).zip(ax.chunks(m)) {
            for (((v, &xv), &axv), &l) in row.iter_mut().zip(xr).zip(axr).zip(&values) {
                *v = axv - l * xv;
            }
        }
        let norms = column_norms(&r, m);
        worst = norms[..k].iter().copied().fold(0.0, f64::max);
        if worst < options.tol {
            return Ok(LobpcgResult { values: values[..k].to_vec(), vectors: columns(&x, m, &(0..k).collect::<Vec<_>>(), None), iterations: iteration });
        }
        let active: Vec<usize> = (0..m).filter(|&j| norms[j] >= options.tol).collect();
        // New directions: the active residuals and the active previous directions.
        let extra = columns(&r, m, &active, p.as_deref());
        let extra_cols = active.len() * if p.is_some() { 2 } else { 1 };
        let mut against = fixed.clone();
        against.push((&x, m));
        let (q, qc) = orthonormalize_block(n, extra, extra_cols, &against, stage)?;
        if qc == 0 {
            break;
        }
        let aq = apply_new(n, apply, &q, qc);
        // Rayleigh–Ritz on S = [X | Q] with AS = [AX | AQ], block by block.
        let sc = m + qc;
        let mut h = Mat::zeros(sc, sc);
        h.as_mut().submatrix_mut(0, 0, m, m).copy_from(gram(n, &x, m, &ax, m).as_ref());
        h.as_mut().submatrix_mut(0, m, m, qc).copy_from(gram(n, &x, m, &aq, qc).as_ref());
        h.as_mut().submatrix_mut(m, 0, qc, m).copy_from(gram(n, &q, qc, &ax, m).as_ref());
        h.as_mut().submatrix_mut(m, m, qc, qc).copy_from(gram(n, &q, qc, &aq, qc).as_ref());
        let (vals, c) = ritz(&h, m, stage)?;
        values = vals;
        x = times_pair(n, &x, m, &q, qc, c.as_ref());
        ax = times_pair(n, &ax, m, &aq, qc, c.as_ref());
        // P: the part of the update outside the old X.
        p = Some(times(n, &q, qc, c.as_ref().subrows(m, qc)));
    }
    Err(Error::Numerical {
        stage,
        message: format!("LOBPCG did not converge in {} iterations (largest residual {worst:.2e}, tolerance {:.0e})", options.max_iter, options.tol),
    })
}

/// Rayleigh–Ritz on the (symmetrised) projected matrix `h`: the `m` largest Ritz values and the
/// coefficient columns.
fn ritz(h: &Mat<f64>, m: usize, stage: &'static str) -> Result<(Vec<f64>, Mat<f64>)> {
    let s = h.nrows();
    let sym = Mat::from_fn(s, s, |i, j| 0.5 * (h[(i, j)] + h[(j, i)]));
    let (values, vectors) = symmetric_eigen(sym.as_ref(), stage)?;
    Ok((values[..m].to_vec(), vectors.subcols(0, m).to_owned()))
}

/// A symmetric operator applied to a block: `apply(x, y, b)` writes `A x` into `y` for `b` columns.
pub type BlockOp<'a> = dyn Fn(&[f64], &mut [f64], usize) + Sync + 'a;

/// `A X` into a new block.
fn apply_new(n: usize, apply: &BlockOp<'_>, x: &[f64], b: usize) -> Vec<f64> {
    let mut y = vec![0.0; n * b];
    apply(x, &mut y, b);
    y
}

/// `Aᵀ B` for row-major `A` (`n × ca`) and `B` (`n × cb`): chunk partial products summed in order.
fn gram(n: usize, a: &[f64], ca: usize, b: &[f64], cb: usize) -> Mat<f64> {
    let partial: Vec<Mat<f64>> = (0..n.div_ceil(CHUNK_ROWS))
        .into_par_iter()
        .map(|c| {
            let rows = c * CHUNK_ROWS..((c + 1) * CHUNK_ROWS).min(n);
            let ar = MatRef::from_row_major_slice(&a[rows.start * ca..rows.end * ca], rows.len(), ca);
            let br = MatRef::from_row_major_slice(&b[rows.start * cb..rows.end * cb], rows.len(), cb);
            let mut out = Mat::zeros(ca, cb);
            matmul(out.as_mut(), Accum::Replace, ar.transpose(), br, 1.0, Par::Seq);
            out
        })
        .collect();
    let mut sum = Mat::zeros(ca, cb);
    for p in &partial {
        sum += p;
    }
    sum
}

/// `A C` for row-major `A` (`n × ca`) and `C` (`ca × cc`), row-major `n × cc`.
fn times(n: usize, a: &[f64], ca: usize, c: MatRef<'_, f64>) -> Vec<f64> {
    times_pair(n, a, ca, &[], 0, c)
}

/// `[A | B] C` for row-major `A` (`n × ca`), `B` (`n × cb`) and `C` (`(ca + cb) × cc`), without
/// forming `[A | B]`: row-major `n × cc`.
fn times_pair(n: usize, a: &[f64], ca: usize, b: &[f64], cb: usize, c: MatRef<'_, f64>) -> Vec<f64> {
    let cc = c.ncols();
    let mut out = vec![0.0; n * cc];
    if cc == 0 {
        return out;
    }
    out.par_chunks_mut(CHUNK_ROWS * cc).enumerate().for_each(|(chunk, o)| {
        let rows = o.len() / cc;
        let start = chunk * CHUNK_ROWS;
        let mut o = MatMut::from_row_major_slice_mut(o, rows, cc);
        let ar = MatRef::from_row_major_slice(&a[start * ca..(start + rows) * ca], rows, ca);
        matmul(o.as_mut(), Accum::Replace, ar, c.subrows(0, ca), 1.0, Par::Seq);
        if cb > 0 {
            let br = MatRef::from_row_major_slice(&b[start * cb..(start + rows) * cb], rows, cb);
            matmul(o, Accum::Add, br, c.subrows(ca, cb), 1.0, Par::Seq);
        }
    });
    out
}

/// The Euclidean norm of each column of a row-major block with `b` columns (chunk sums added in
/// order).
fn column_norms(a: &[f64], b: usize) -> Vec<f64> {
    let partial: Vec<Vec<f64>> = a
        .par_chunks(CHUNK_ROWS * b)
        .map(|chunk| {
            let mut sum = vec![0.0; b];
            for row in chunk.chunks(b) {
                for (s, &v) in sum.iter_mut().zip(row) {
                    *s += v * v;
                }
            }
            sum
        })
        .collect();
    (0..b).map(|j| partial.iter().map(|s| s[j]).sum::<f64>().sqrt()).collect()
}

/// The columns `cols` of a row-major block with `b` columns, followed by the same columns of
/// `also` (another block with `b` columns) if given, in one row-major block.
fn columns(a: &[f64], b: usize, cols: &[usize], also: Option<&[f64]>) -> Vec<f64> {
    let width = cols.len() * if also.is_some() { 2 } else { 1 };
    let mut out = Vec::with_capacity(a.len() / b.max(1) * width);
    for (i, row) in a.chunks(b).enumerate() {
        out.extend(cols.iter().map(|&j| row[j]));
        if let Some(p) = also {
            out.extend(cols.iter().map(|&j| p[i * b + j]));
        }
    }
    out
}

/// An orthonormal basis of the part of `v` (`n × cols`) orthogonal to the orthonormal blocks
/// `against`: block Gram–Schmidt followed by SVQB, which drops directions whose scaled Gram
/// eigenvalue is below `1e-10` of the largest; a second pass when the first lost much of a
/// column or met an ill-conditioned block. Returns the basis and its width.
pub(crate) fn orthonormalize_block(n: usize, mut v: Vec<f64>, mut cols: usize, against: &[(&[f64], usize)], stage: &'static str) -> Result<(Vec<f64>, usize)> {
    for pass in 0..2 {
        if cols == 0 {
            break;
        }
        // Squared norm of each column's projection onto the fixed blocks.
        let mut projected = vec![0.0; cols];
        for &(q, cq) in against {
            let c = gram(n, q, cq, &v, cols);
            for (j, p) in projected.iter_mut().enumerate() {
                *p += (0..cq).map(|i| c[(i, j)] * c[(i, j)]).sum::<f64>();
            }
            // v −= q c, chunk by chunk in place.
            v.par_chunks_mut(CHUNK_ROWS * cols).enumerate().for_each(|(chunk, o)| {
                let rows = o.len() / cols;
                let start = chunk * CHUNK_ROWS;
                let qr = MatRef::from_row_major_slice(&q[start * cq..(start + rows) * cq], rows, cq);
                matmul(MatMut::from_row_major_slice_mut(o, rows, cols), Accum::Add, qr, c.as_ref(), -1.0, Par::Seq);
            });
        }
        let g = gram(n, &v, cols, &v, cols);
        let max_diag = (0..cols).map(|j| g[(j, j)]).fold(0.0, f64::max);
        let d: Vec<f64> = (0..cols).map(|j| if g[(j, j)] > 1e-300 && g[(j, j)] > 1e-28 * max_diag { 1.0 / g[(j, j)].sqrt() } else { 0.0 }).collect();
        let scaled = Mat::from_fn(cols, cols, |i, j| 0.5 * (g[(i, j)] + g[(j, i)]) * d[i] * d[j]);
        let (values, vectors) = symmetric_eigen(scaled.as_ref(), stage)?;
        let top = values.first().copied().unwrap_or(0.0);
        let keep: Vec<usize> = (0..cols).filter(|&j| top > 0.0 && values[j] > 1e-10 * top).collect();
        let t = Mat::from_fn(cols, keep.len(), |i, c| d[i] * vectors[(i, keep[c])] / values[keep[c]].sqrt());
        v = times(n, &v, cols, t.as_ref());
        // One pass suffices ("twice is enough", Kahan–Parlett) when no column lost more than half
        // of its squared norm to the projection, and the block was well conditioned (smallest
        // scaled Gram eigenvalue at least 1e-4 of the largest, so none was dropped either:
        // orthogonality error ~1e-12).
        let well_conditioned = top > 0.0 && values.iter().all(|&l| l >= 1e-4 * top);
        let small_loss = (0..cols).all(|j| g[(j, j)] >= projected[j]);
        cols = keep.len();
        if pass == 0 && well_conditioned && small_loss {
            break;
        }
    }
    Ok((v, cols))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{SeedSource, normal_f64};

    /// A symmetric tridiagonal operator: diagonal `diag`, coupling `off[i]` between rows `i` and
    /// `i + 1`, applied chunk by chunk as a sparse product would be.
    fn tridiagonal(diag: &[f64], off: &[f64], x: &[f64], y: &mut [f64], b: usize) {
        let n = diag.len();
        y.par_chunks_mut(CHUNK_ROWS * b).enumerate().for_each(|(c, out)| {
            for (r, row) in out.chunks_mut(b).enumerate() {
                let i = c * CHUNK_ROWS + r;
                for (j, v) in row.iter_mut().enumerate() {
                    *v = diag[i] * x[i * b + j];
                    if i > 0 {
                        *v += off[i - 1] * x[(i - 1) * b + j];
                    }
                    if i + 1 < n {
                        *v += off[i] * x[(i + 1) * b + j];
                    }
                }
            }
        });
    }

    #[test]
    fn largest_eigenpairs_with_a_constraint_identical_across_thread_counts() {
        // Several chunks, so block products and reductions really are split between tasks.
        let n = 3 * CHUNK_ROWS + 100;
        assert!(n.div_ceil(CHUNK_ROWS) > 1);
        // Eigenvalues near 5, 4, 3 in different chunks, a bulk in [0, 1), and an exact eigenvector
        // e_100 of eigenvalue 6 (uncoupled) given as the constraint.
        let mut diag: Vec<f64> = (0..n).map(|i| i as f64 / n as f64).collect();
        for (i, v) in [(100, 6.0), (2500, 5.0), (4500, 4.0), (6200, 3.0)] {
            diag[i] = v;
        }
        let mut off = vec![0.01; n - 1];
        off[99] = 0.0;
        off[100] = 0.0;
        let mut constraint = vec![0.0; n];
        constraint[100] = 1.0;
        let (k, m) = (3, 6);
        let s = SeedSource::new(Some(4));
        let x0: Vec<f64> = (0..(n * m) as u64).map(|u| normal_f64(s.value(0, 2 * u), s.value(0, 2 * u + 1))).collect();
        let options = LobpcgOptions { tol: 1e-8, max_iter: 500 };
        let apply = |x: &[f64], y: &mut [f64], b: usize| tridiagonal(&diag, &off, x, y, b);
        let run = |threads| {
            crate::threads::install(Some(threads), || lobpcg_largest(n, &apply, x0.clone(), k, Some(&constraint), &options, "test")).unwrap().unwrap()
        };
        let one = run(1);
        let two = run(2);
        assert!(one.values == two.values && one.vectors == two.vectors && one.iterations == two.iterations, "1 and 2 threads differ");
        // And the pairs are right: residuals below the tolerance, eigenvalues within the
        // second-order shift of the couplings (0.01² / gap).
        let mut ax = vec![0.0; n * k];
        apply(&one.vectors, &mut ax, k);
        for (c, want) in [5.0, 4.0, 3.0].into_iter().enumerate() {
            assert!((one.values[c] - want).abs() < 1e-3, "eigenvalue {c}: {} vs about {want}", one.values[c]);
            let r: f64 = (0..n).map(|i| (ax[i * k + c] - one.values[c] * one.vectors[i * k + c]).powi(2)).sum::<f64>().sqrt();
            assert!(r < 1e-6, "residual {c}: {r}");
            assert!(one.vectors[100 * k + c].abs() < 1e-12, "vector {c} not orthogonal to the constraint");
        }
    }
}
