//! Dense linear algebra on top of `faer`: centred products computed block by block from `f32`
//! data (no centred or `f64` copy of the whole matrix), orthonormalisation, symmetric
//! eigendecomposition, a randomized range finder (Halko, Martinsson & Tropp, 2011) and
//! [`lobpcg`], a sparse-friendly solver for a few extreme eigenpairs.
//!
//! Reductions over rows use a fixed number of groups, each summing its blocks in order, and the
//! groups are added in order: results do not depend on the number of threads.

pub mod lobpcg;

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par, Side};
use rayon::prelude::*;

use crate::data::Data;
use crate::error::{Error, Result};

/// Rows per block in streamed products.
const BLOCK_ROWS: usize = 512;
/// Independent partial sums in reductions (fixed, so the summation order is too).
const GROUPS: usize = 8;

/// Column means in `f64`.
pub fn column_means(data: &Data) -> Vec<f64> {
    let d = data.n_cols();
    let partial = grouped_blocks(data.n_rows(), |rows, acc: &mut Vec<f64>| {
        if acc.is_empty() {
            acc.resize(d, 0.0);
        }
        for i in rows {
            for (a, &v) in acc.iter_mut().zip(data.row(i)) {
                *a += v as f64;
            }
        }
    });
    let mut mean = vec![0.0f64; d];
    for p in partial.iter().filter(|p| !p.is_empty()) {
        for (m, v) in mean.iter_mut().zip(p) {
            *m += v;
        }
    }
    let n = data.n_rows() as f64;
    mean.iter_mut().for_each(|m| *m /= n);
    mean
}

/// Splits `0..n` into blocks, deals them to [`GROUPS`] groups round-robin, and folds each group's
/// blocks in order into its own accumulator (groups run in parallel). Returns the accumulators in
/// group order.
fn grouped_blocks<A: Default + Send>(n: usize, fold: impl Fn(std::ops::Range<usize>, &mut A) + Sync) -> Vec<A> {
    let n_blocks = n.div_ceil(BLOCK_ROWS);
    (0..GROUPS)
        .into_par_iter()
        .map(|g| {
            let mut acc = A::default();
            for b in (g..n_blocks).step_by(GROUPS) {
                fold(b * BLOCK_ROWS..((b + 1) * BLOCK_ROWS).min(n), &mut acc);
            }
            acc
        })
        .collect()
}

/// Copies rows `rows` of `data`, centred by `mean`, into `buf` (row-major, `f32`).
fn centred_block(data: &Data, mean: &[f64], rows: std::ops::Range<usize>, buf: &mut Vec<f32>) {
    buf.clear();
    for i in rows {
        buf.extend(data.row(i).iter().zip(mean).map(|(&v, &m)| (v as f64 - m) as f32));
    }
}

/// The scatter matrix `(X − 1μᵀ)ᵀ (X − 1μᵀ)` (`d × d`, `f64`).
///
/// Each group accumulates its centred blocks in `f32` (the data's precision; centring keeps the
/// terms small), and the groups are summed in `f64`. Memory: one block and one `d × d` `f32`
/// matrix per group, never a copy of the data.
pub fn centred_gram(data: &Data, mean: &[f64]) -> Mat<f64> {
    let d = data.n_cols();
    let partial = grouped_blocks(data.n_rows(), |rows, acc: &mut (Vec<f32>, Option<Mat<f32>>)| {
        let (buf, sum) = acc;
        let nb = rows.len();
        centred_block(data, mean, rows, buf);
        let sum = sum.get_or_insert_with(|| Mat::zeros(d, d));
        let b = MatRef::from_row_major_slice(buf.as_slice(), nb, d);
        matmul(sum.as_mut(), Accum::Add, b.transpose(), b, 1.0f32, Par::Seq);
    });
    let mut g = Mat::<f64>::zeros(d, d);
    for (_, sum) in partial {
        if let Some(sum) = sum {
            for j in 0..d {
                for i in 0..d {
                    g[(i, j)] += sum[(i, j)] as f64;
                }
            }
        }
    }
    g
}

/// `(X − 1μᵀ) M` for `M` of shape `d × l`; returns `n × l`.
pub fn centred_times(data: &Data, mean: &[f64], m: MatRef<'_, f64>) -> Mat<f64> {
    let (n, l) = (data.n_rows(), m.ncols());
    // μᵀM once, then each row: xᵀM − μᵀM, accumulated in f64.
    let mut mu_m = vec![0.0f64; l];
    for (c, out) in mu_m.iter_mut().enumerate() {
        *out = mean.iter().enumerate().map(|(r, &mu)| mu * m[(r, c)]).sum();
    }
    let mt: Vec<f64> = (0..l).flat_map(|c| (0..m.nrows()).map(move |r| (r, c))).map(|(r, c)| m[(r, c)]).collect();
    let d = m.nrows();
    let mut rows = vec![0.0f64; n * l];
    rows.par_chunks_mut(l).enumerate().for_each(|(i, out)| {
        let x = data.row(i);
        for c in 0..l {
            let col = &mt[c * d..(c + 1) * d];
            out[c] = x.iter().zip(col).map(|(&v, &w)| v as f64 * w).sum::<f64>() - mu_m[c];
        }
    });
    Mat::from_fn(n, l, |i, c| rows[i * l + c])
}

/// `(X − 1μᵀ)ᵀ M` for `M` of shape `n × l`; returns `d × l`.
pub fn centred_t_times(data: &Data, mean: &[f64], m: MatRef<'_, f64>) -> Mat<f64> {
    let (d, l) = (data.n_cols(), m.ncols());
    let partial = grouped_blocks(data.n_rows(), |rows, acc: &mut Vec<f64>| {
        if acc.is_empty() {
            acc.resize(d * l, 0.0);
        }
        for i in rows {
            let x = data.row(i);
            for c in 0..l {
                let w = m[(i, c)];
                let out = &mut acc[c * d..(c + 1) * d];
                for ((o, &v), &mu) in out.iter_mut().zip(x).zip(mean) {
                    *o += (v as f64 - mu) * w;
                }
            }
        }
    });
    let mut out = Mat::<f64>::zeros(d, l);
    for p in partial.iter().filter(|p| !p.is_empty()) {
        for c in 0..l {
            for r in 0..d {
                out[(r, c)] += p[c * d + r];
            }
        }
    }
    out
}

/// Runs a dense decomposition on one thread. faer splits its work by the size of the current
/// rayon pool, which changes rounding; the decompositions here are small (`d × d` or `n × l`
/// with `l ≈ k + 10`), so a fixed sequential schedule keeps results identical at any thread count.
fn sequential<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    static POOL: std::sync::OnceLock<Option<rayon::ThreadPool>> = std::sync::OnceLock::new();
    match POOL.get_or_init(|| rayon::ThreadPoolBuilder::new().num_threads(1).build().ok()) {
        Some(pool) => pool.install(f),
        None => f(),
    }
}

/// An orthonormal basis of the columns of `m` (thin Q of a QR factorisation).
pub fn orthonormalize(m: MatRef<'_, f64>) -> Mat<f64> {
    sequential(|| m.qr().compute_thin_Q())
}

/// Eigenvalues (descending) and eigenvectors (columns, same order) of a symmetric matrix.
pub fn symmetric_eigen(m: MatRef<'_, f64>, stage: &'static str) -> Result<(Vec<f64>, Mat<f64>)> {
    let evd = sequential(|| m.self_adjoint_eigen(Side::Lower))
        .map_err(|e| Error::Numerical { stage, message: format!("eigendecomposition did not converge ({e:?})") })?;
    let k = m.nrows();
    let s = evd.S().column_vector();
    let values: Vec<f64> = (0..k).rev().map(|i| s[i]).collect();
    let u = evd.U();
    let vectors = Mat::from_fn(k, k, |r, c| u[(r, k - 1 - c)]);
    Ok((values, vectors))
}

/// Singular values (descending) and right singular vectors (as rows of `Vᵀ`) of a small dense
/// matrix given row-major in `f64`.
pub fn thin_svd(m: MatRef<'_, f64>, stage: &'static str) -> Result<(Vec<f64>, Mat<f64>)> {
    let svd = sequential(|| m.thin_svd()).map_err(|e| Error::Numerical { stage, message: format!("SVD did not converge ({e:?})") })?;
    let s = svd.S().column_vector();
    let values: Vec<f64> = (0..s.nrows()).map(|i| s[i]).collect();
    let v = svd.V();
    let vt = Mat::from_fn(v.ncols(), v.nrows(), |r, c| v[(c, r)]);
    Ok((values, vt))
}
