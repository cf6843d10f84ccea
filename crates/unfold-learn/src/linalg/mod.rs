//! Dense linear algebra on top of `faer`: centred products computed block by block from `f32`
//! or `f64` rows (no centred or widened copy of the whole matrix), orthonormalisation, symmetric
//! eigendecomposition, a randomized range finder (Halko, Martinsson & Tropp, 2011) and
//! [`lobpcg`], a sparse-friendly solver for a few extreme eigenpairs, under [`eigsh`], the one
//! entry point for the smallest or largest eigenpairs of a symmetric operator (dense below 2,000
//! rows). [`real_fft`] transforms real sequences through half-length complex FFTs.
//!
//! The centred products take a `scale` (a power of two, see [`pow2_scale`]) applied to the
//! centred values `(x − μ) · scale` before they are multiplied: with the largest deviation scaled
//! to about 1, squares can neither overflow nor underflow `f32` whatever the data's magnitude, and
//! multiplying by a power of two is exact, so results are unscaled without rounding.
//!
//! Reductions over rows use a fixed number of groups, each summing its blocks in order, and the
//! groups are added in order: results do not depend on the number of threads.

pub mod centred_kernel;
pub mod eigsh;
pub mod lobpcg;
pub mod mds;
pub mod procrustes;
pub mod randomized_svd;
pub mod real_fft;
pub mod sgd_mds;
pub mod vne;

use std::borrow::Cow;

use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::{Accum, Mat, MatRef, Par, Side};
use rayon::prelude::*;

use crate::data::Data;
use crate::error::{Error, Result};

/// faer's matrix product `dst = alpha · lhs · rhs` (`Accum::Replace`) or `dst += …`
/// (`Accum::Add`), then [`clear_vector_state`] on the threads it ran on. Every product in the
/// crate goes through here (`clippy.toml` forbids faer's own).
#[allow(clippy::disallowed_methods)]
pub fn matmul<T, L, R, M, N, K>(
    dst: impl faer::mat::AsMatMut<T = T, Rows = M, Cols = N>,
    accum: Accum,
    lhs: impl faer::mat::AsMatRef<T = L, Rows = M, Cols = K>,
    rhs: impl faer::mat::AsMatRef<T = R, Rows = K, Cols = N>,
    alpha: T,
    par: Par,
) where
    T: faer::traits::ComplexField,
    L: faer::traits::Conjugate<Canonical = T>,
    R: faer::traits::Conjugate<Canonical = T>,
    M: faer::Shape,
    N: faer::Shape,
    K: faer::Shape,
{
    faer::linalg::matmul::matmul(dst, accum, lhs, rhs, alpha, par);
    match par {
        Par::Seq => clear_vector_state(),
        _ => clear_vector_state_everywhere(),
    }
}

/// Clears the upper halves of this thread's vector registers (`vzeroupper`).
///
/// faer's products run assembly kernels that return with the upper halves of the AVX registers
/// dirty. Until something clears them, each call from this thread into the C library's `log`,
/// `exp` or `pow` pays a change of register state: a natural logarithm took 120 ns instead of
/// 4 ns, and the log of PHATE's 2,000 × 2,000 landmark potential 0.25 s instead of 0.01 s.
/// [`matmul`] and the decompositions here clear the threads they ran on.
pub fn clear_vector_state() {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx") {
        // SAFETY: the CPU has AVX. Code compiled without AVX keeps no value in the upper halves
        // that vzeroupper zeroes, and the call clobbers the vector registers anyway.
        unsafe { std::arch::x86_64::_mm256_zeroupper() }
    }
}

/// [`clear_vector_state`] on every thread of the current rayon pool, and on this one.
pub fn clear_vector_state_everywhere() {
    rayon::broadcast(|_| clear_vector_state());
    clear_vector_state();
}

/// Rows per block in streamed products.
const BLOCK_ROWS: usize = 512;
/// Independent partial sums in reductions (fixed, so the summation order is too).
const GROUPS: usize = 8;

/// An element type of dense input: `f32` or `f64`. Centred products multiply blocks in this
/// precision and accumulate the results in `f64`.
pub trait Scalar: faer::traits::ComplexField + Copy + Send + Sync + Into<f64> + 'static {
    /// Rounds an `f64` to this type.
    fn from_f64(v: f64) -> Self;
}

impl Scalar for f32 {
    #[inline]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
}

impl Scalar for f64 {
    #[inline]
    fn from_f64(v: f64) -> Self {
        v
    }
}

/// Validated row-major dense input read by the helpers of this module: [`Data`] (`f32`) or
/// [`DataF64`] (`f64`, for data whose values or spread `f32` cannot hold).
pub trait Rows: Sync {
    /// The element type.
    type Value: Scalar;
    /// Number of rows.
    fn n_rows(&self) -> usize;
    /// Number of columns.
    fn n_cols(&self) -> usize;
    /// Row `i`.
    fn row(&self, i: usize) -> &[Self::Value];
}

impl Rows for Data<'_> {
    type Value = f32;
    fn n_rows(&self) -> usize {
        Data::n_rows(self)
    }
    fn n_cols(&self) -> usize {
        Data::n_cols(self)
    }
    #[inline]
    fn row(&self, i: usize) -> &[f32] {
        Data::row(self, i)
    }
}

/// A validated, row-major `n × d` matrix of finite `f64` values: the double-precision
/// counterpart of [`Data`], for methods that compute in `f64` when the input is `f64` (PCA).
///
/// ```
/// use unfold_learn::linalg::DataF64;
/// let x = [1e6 + 1e-3, 1e6, 1e6 - 1e-3, 1e6];
/// let data = DataF64::from_row_major(&x, 2, 2)?;
/// assert_eq!(data.row(1), &[1e6 - 1e-3, 1e6]);
/// # Ok::<(), unfold_learn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct DataF64<'a> {
    values: Cow<'a, [f64]>,
    n_rows: usize,
    n_cols: usize,
}

impl<'a> DataF64<'a> {
    /// Validates `values` as an `n_rows × n_cols` row-major matrix and borrows it.
    ///
    /// # Errors
    /// [`Error::InvalidData`] when the length does not match the shape, the matrix is empty, or a
    /// value is NaN or infinite (the message names the first such row and column, counting from 0),
    /// with the same messages as [`Data::from_row_major`].
    pub fn from_row_major(values: &'a [f64], n_rows: usize, n_cols: usize) -> Result<Self> {
        crate::data::check_shape(values.len(), n_rows, n_cols)?;
        crate::data::check_finite(values, n_cols)?;
        Ok(DataF64 { values: Cow::Borrowed(values), n_rows, n_cols })
    }

    /// Like [`DataF64::from_row_major`] but takes ownership of `values`.
    ///
    /// # Errors
    /// As [`DataF64::from_row_major`].
    pub fn from_vec(values: Vec<f64>, n_rows: usize, n_cols: usize) -> Result<DataF64<'static>> {
        DataF64::from_row_major(&values, n_rows, n_cols)?;
        Ok(DataF64 { values: Cow::Owned(values), n_rows, n_cols })
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// Number of columns.
    pub fn n_cols(&self) -> usize {
        self.n_cols
    }

    /// Row `i`.
    #[inline]
    pub fn row(&self, i: usize) -> &[f64] {
        &self.values[i * self.n_cols..(i + 1) * self.n_cols]
    }

    /// All values, row-major.
    pub fn as_slice(&self) -> &[f64] {
        &self.values
    }
}

impl Rows for DataF64<'_> {
    type Value = f64;
    fn n_rows(&self) -> usize {
        self.n_rows
    }
    fn n_cols(&self) -> usize {
        self.n_cols
    }
    #[inline]
    fn row(&self, i: usize) -> &[f64] {
        DataF64::row(self, i)
    }
}

/// Column means in `f64`.
pub fn column_means<R: Rows + ?Sized>(data: &R) -> Vec<f64> {
    let (n, d) = (data.n_rows(), data.n_cols());
    let sums = |factor: f64| {
        let partial = grouped_blocks(n, |rows, acc: &mut Vec<f64>| {
            if acc.is_empty() {
                acc.resize(d, 0.0);
            }
            for i in rows {
                for (a, &v) in acc.iter_mut().zip(data.row(i)) {
                    *a += v.into() * factor;
                }
            }
        });
        let mut sum = vec![0.0f64; d];
        for p in partial.iter().filter(|p| !p.is_empty()) {
            for (m, v) in sum.iter_mut().zip(p) {
                *m += v;
            }
        }
        sum
    };
    let mut mean = sums(1.0);
    mean.iter_mut().for_each(|m| *m /= n as f64);
    if mean.iter().any(|m| !m.is_finite()) {
        // f64 values near its largest: the sum overflowed, the sum of values / n cannot.
        mean = sums(1.0 / n as f64);
    }
    mean
}

/// The largest `|x − μ|` over all values (`+inf` if a difference overflows `f64`).
pub fn max_abs_deviation<R: Rows + ?Sized>(data: &R, mean: &[f64]) -> f64 {
    (0..data.n_rows())
        .into_par_iter()
        .with_min_len(256)
        .map(|i| data.row(i).iter().zip(mean).fold(0.0f64, |a, (&v, &m)| a.max((v.into() - m).abs())))
        .reduce(|| 0.0, f64::max)
}

/// The power of two `2^-e` that brings `max_abs` into `[0.5, 1)` (1 for 0): centred values times
/// it are at most 1 in magnitude, and multiplying by it is exact.
pub fn pow2_scale(max_abs: f64) -> f64 {
    if max_abs == 0.0 || !max_abs.is_finite() {
        return 1.0;
    }
    let e = (max_abs.log2().floor() as i32 + 1).clamp(-1000, 1000);
    2f64.powi(-e)
}

/// Splits `0..n` into blocks, deals them to [`GROUPS`] groups round-robin, and folds each group's
/// blocks in order into its own accumulator (groups run in parallel). Returns the accumulators in
/// group order.
fn grouped_blocks<A: Default + Send>(n: usize, fold: impl Fn(std::ops::Range<usize>, &mut A) + Sync) -> Vec<A> {
    grouped_blocks_with(n, |rows, _: &mut (), acc| fold(rows, acc))
}

/// [`grouped_blocks`] with a scratch value per group (a block buffer), dropped when the group
/// ends rather than returned with its accumulator.
fn grouped_blocks_with<S: Default, A: Default + Send>(n: usize, fold: impl Fn(std::ops::Range<usize>, &mut S, &mut A) + Sync) -> Vec<A> {
    let n_blocks = n.div_ceil(BLOCK_ROWS);
    (0..GROUPS)
        .into_par_iter()
        .map(|g| {
            let (mut scratch, mut acc) = (S::default(), A::default());
            for b in (g..n_blocks).step_by(GROUPS) {
                fold(b * BLOCK_ROWS..((b + 1) * BLOCK_ROWS).min(n), &mut scratch, &mut acc);
            }
            acc
        })
        .collect()
}

/// Copies rows `rows` of `data`, centred by `mean` in `f64`, scaled by `scale` and rounded to the
/// precision `P`, into `buf` (row-major).
fn centred_block<P: Scalar, R: Rows + ?Sized>(data: &R, mean: &[f64], scale: f64, rows: std::ops::Range<usize>, buf: &mut Vec<P>) {
    buf.clear();
    for i in rows {
        buf.extend(data.row(i).iter().zip(mean).map(|(&v, &m)| P::from_f64((v.into() - m) * scale)));
    }
}

/// The scaled scatter matrix `scale² (X − 1μᵀ)ᵀ (X − 1μᵀ)` (`d × d`, `f64`).
///
/// Each group accumulates its centred blocks in the data's precision (centring and scaling keep
/// the terms small), and the groups are summed in `f64`. Only the lower triangle is multiplied
/// (half the products of a full product, which was most of a PCA fit's time) and mirrored, so
/// the result is exactly symmetric. Memory: one block and one `d × d` matrix per group, never a
/// copy of the data.
pub fn centred_gram<R: Rows + ?Sized>(data: &R, mean: &[f64], scale: f64) -> Mat<f64> {
    centred_gram_in::<R::Value, R>(data, mean, scale)
}

/// [`centred_gram`] with the blocks multiplied and accumulated in precision `P` (`f64` for a
/// covariance that must match a double-precision reference from `f32` data).
pub fn centred_gram_in<P: Scalar, R: Rows + ?Sized>(data: &R, mean: &[f64], scale: f64) -> Mat<f64> {
    let d = data.n_cols();
    let partial = grouped_blocks_with(data.n_rows(), |rows, buf: &mut Vec<P>, sum: &mut Option<Mat<P>>| {
        let nb = rows.len();
        centred_block(data, mean, scale, rows, buf);
        let sum = sum.get_or_insert_with(|| Mat::zeros(d, d));
        let b = MatRef::from_row_major_slice(buf.as_slice(), nb, d);
        triangular::matmul(
            sum.as_mut(),
            BlockStructure::TriangularLower,
            Accum::Add,
            b.transpose(),
            BlockStructure::Rectangular,
            b,
            BlockStructure::Rectangular,
            P::from_f64(1.0),
            Par::Seq,
        );
    });
    let mut g = Mat::<f64>::zeros(d, d);
    for sum in partial.into_iter().flatten() {
        for j in 0..d {
            for i in j..d {
                g[(i, j)] += sum[(i, j)].into();
            }
        }
    }
    for j in 0..d {
        for i in j + 1..d {
            g[(j, i)] = g[(i, j)];
        }
    }
    g
}

/// `scale (X − 1μᵀ) M` for `M` of shape `d × l`; returns `n × l`. Each row is centred before it
/// is multiplied, so a large common offset does not cancel digits away; blocks of
/// [`BLOCK_ROWS`] centred rows are multiplied by `M` in `f64`, each one sequential product (the
/// same at any thread count).
pub fn centred_times<R: Rows + ?Sized>(data: &R, mean: &[f64], scale: f64, m: MatRef<'_, f64>) -> Mat<f64> {
    use faer::MatMut;
    let (n, l, d) = (data.n_rows(), m.ncols(), m.nrows());
    if n == 0 || l == 0 {
        return Mat::zeros(n, l);
    }
    let mut rows = vec![0.0f64; n * l];
    rows.par_chunks_mut(BLOCK_ROWS * l).enumerate().for_each_init(Vec::new, |centred: &mut Vec<f64>, (b, out)| {
        let (first, count) = (b * BLOCK_ROWS, out.len() / l);
        centred_block(data, mean, scale, first..first + count, centred);
        let x = MatRef::from_row_major_slice(centred.as_slice(), count, d);
        matmul(MatMut::from_row_major_slice_mut(out, count, l), Accum::Replace, x, m, 1.0, Par::Seq);
    });
    Mat::from_fn(n, l, |i, c| rows[i * l + c])
}

/// `scale (X − 1μᵀ)ᵀ M` for `M` of shape `n × l`; returns `d × l`.
pub fn centred_t_times<R: Rows + ?Sized>(data: &R, mean: &[f64], scale: f64, m: MatRef<'_, f64>) -> Mat<f64> {
    let (d, l) = (data.n_cols(), m.ncols());
    let partial = grouped_blocks(data.n_rows(), |rows, acc: &mut Vec<f64>| {
        if acc.is_empty() {
            acc.resize(d * l, 0.0);
        }
        for i in rows {
            let x = data.row(i);
            for c in 0..l {
                let w = m[(i, c)] * scale;
                let out = &mut acc[c * d..(c + 1) * d];
                for ((o, &v), &mu) in out.iter_mut().zip(x).zip(mean) {
                    *o += (v.into() - mu) * w;
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

/// `Σ ((x − μ) · scale)²` over all values (the scaled total sum of squares), in `f64`.
pub fn centred_sum_of_squares<R: Rows + ?Sized>(data: &R, mean: &[f64], scale: f64) -> f64 {
    let partial = grouped_blocks(data.n_rows(), |rows, acc: &mut f64| {
        for i in rows {
            *acc += data.row(i).iter().zip(mean).map(|(&v, &m)| ((v.into() - m) * scale).powi(2)).sum::<f64>();
        }
    });
    partial.iter().sum()
}

/// `Σ_j f(a_j, b_j)` over two slices of one length, in eight running sums (a single running sum
/// was bound by the latency of each addition), a fixed order; slices in chunks of eight, not
/// indices, whose bounds checks kept the loop scalar. Inlined into its callers, which are
/// compiled for the CPU's vector units where they are hot: the centred kernel's two passes over a
/// 10,000² matrix took 90 and 100 ms with indices in baseline code, 22 and 67 ms this way (the
/// second waits on memory).
#[inline(always)]
pub(crate) fn lane_sum<A: Copy, B: Copy>(a: &[A], b: &[B], f: impl Fn(A, B) -> f64) -> f64 {
    let mut acc = [0.0f64; 8];
    let (ac, bc) = (a.chunks_exact(8), b.chunks_exact(8));
    let (at, bt) = (ac.remainder(), bc.remainder());
    for (x, y) in ac.zip(bc) {
        for l in 0..8 {
            acc[l] += f(x[l], y[l]);
        }
    }
    for (l, (&x, &y)) in at.iter().zip(bt).enumerate() {
        acc[l] += f(x, y);
    }
    acc.iter().sum()
}

/// Runs a dense decomposition on one thread. faer splits its work by the size of the current
/// rayon pool, which changes rounding; the decompositions here are small (`d × d` or `n × l`
/// with `l ≈ k + 10`), so a fixed sequential schedule keeps results identical at any thread count.
fn sequential<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    static POOL: std::sync::OnceLock<Option<rayon::ThreadPool>> = std::sync::OnceLock::new();
    match POOL.get_or_init(|| rayon::ThreadPoolBuilder::new().num_threads(1).build().ok()) {
        Some(pool) => pool.install(|| {
            let out = f();
            clear_vector_state();
            out
        }),
        None => {
            let out = f();
            clear_vector_state();
            out
        }
    }
}

/// An orthonormal basis of the columns of `m` (thin Q of a QR factorisation).
pub fn orthonormalize(m: MatRef<'_, f64>) -> Mat<f64> {
    sequential(|| m.qr().compute_thin_Q())
}

/// An orthonormal basis of the columns of `y` (`n × l` row-major), row-major `n × l`: block
/// Gram–Schmidt with SVQB (parallel over row blocks and identical at any thread count), or a
/// Householder QR on one thread when that finds `y` rank-deficient.
///
/// # Errors
/// [`Error::Numerical`] naming `stage` if the Gram matrix's eigendecomposition does not converge.
pub fn orthonormal_columns(n: usize, y: &[f64], l: usize, stage: &'static str) -> Result<Vec<f64>> {
    match lobpcg::orthonormalize_block(n, y.to_vec(), l, &[], stage)? {
        (q, width) if width == l => Ok(q),
        _ => {
            let q = orthonormalize(MatRef::from_row_major_slice(y, n, l));
            Ok((0..n * l).map(|p| q[(p / l, p % l)]).collect())
        }
    }
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

/// Eigenvalues (descending) of a symmetric matrix (its lower triangle is read), without its
/// eigenvectors, identical at any thread count.
///
/// The tridiagonalisation, which is nearly all of the work, runs in [`EIGEN_SPLITS`] parallel
/// pieces whatever the threads (faer sums the pieces' partial products in a fixed order) while
/// more than about 314 rows remain, and on the calling thread after: the 2,000 × 2,000 Gram
/// matrix of PHATE's landmark operator gives the same values as on one thread, 0.1 s sooner,
/// and per-point local PCA's small matrices never split. faer is called directly, not through
/// [`sequential`], whose pool of its own nested once per point in that parallel loop.
pub fn symmetric_eigenvalues(m: MatRef<'_, f64>, stage: &'static str) -> Result<Vec<f64>> {
    use faer::diag::Diag;
    use faer::dyn_stack::{MemBuffer, MemStack};
    use faer::linalg::evd::{ComputeEigenvectors, self_adjoint_evd, self_adjoint_evd_scratch};
    let n = m.nrows();
    let par = Par::rayon(EIGEN_SPLITS);
    let mut s = Diag::<f64>::zeros(n);
    let mut buffer = MemBuffer::new(self_adjoint_evd_scratch::<f64>(n, ComputeEigenvectors::No, par, Default::default()));
    let done = self_adjoint_evd(m, s.as_mut(), None, par, MemStack::new(&mut buffer), Default::default());
    // Only a matrix large enough to split ran on other threads; per-point calls inside a
    // parallel loop clear just their own.
    if n > EIGEN_SPLIT_FROM {
        clear_vector_state_everywhere()
    } else {
        clear_vector_state()
    }
    done.map_err(|e| Error::Numerical { stage, message: format!("eigendecomposition did not converge ({e:?})") })?;
    let s = s.column_vector();
    Ok((0..n).rev().map(|i| s[i]).collect())
}

/// Pieces of [`symmetric_eigenvalues`]' parallel tridiagonalisation.
const EIGEN_SPLITS: usize = 4;
/// Rows below which faer's tridiagonalisation stays on the calling thread (it splits above
/// about 314).
const EIGEN_SPLIT_FROM: usize = 256;

/// The Moore–Penrose pseudo-inverse of `m` (`c × r` for an `r × c` input) from its thin SVD,
/// `V Σ⁺ Uᵀ`; singular values below `max(r, c) · ε · σ_max` count as zero, as in scipy's `pinv`.
pub fn pinv(m: MatRef<'_, f64>, stage: &'static str) -> Result<Mat<f64>> {
    let svd = sequential(|| m.thin_svd()).map_err(|e| Error::Numerical { stage, message: format!("SVD did not converge ({e:?})") })?;
    let (u, s, v) = (svd.U(), svd.S().column_vector(), svd.V());
    let largest = (0..s.nrows()).map(|i| s[i]).fold(0.0f64, f64::max);
    let cutoff = m.nrows().max(m.ncols()) as f64 * f64::EPSILON * largest;
    let scaled = Mat::from_fn(v.nrows(), v.ncols(), |i, l| if s[l] > cutoff { v[(i, l)] / s[l] } else { 0.0 });
    Ok(sequential(|| &scaled * u.transpose()))
}

/// The bound, per unit of `‖x‖² + ‖y‖²`, on the error of a squared distance computed in `f32` as
/// `‖x‖² + ‖y‖² − 2 x·y` (the norms summed in `f64` and rounded, the product by any summation
/// order) against the exact square of the same `f64` rows: `(dim + 9) u`, `u = 2⁻²⁴` (the
/// product's `dim u`, the rows' rounding to `f32` `2u`, the norms' `3u`, the two additions `4u`).
/// Candidates picked by such squares, with twice this as margin, are then measured exactly.
pub(crate) fn f32_square_error(dim: usize) -> f64 {
    (dim as f64 + 9.0) * f64::from(f32::EPSILON) / 2.0
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

/// The singular values (descending) of a dense square matrix (`n × n` row-major), identical at
/// any thread count.
///
/// They are first taken as the square roots of the eigenvalues of `m mᵀ`, whose product runs in
/// parallel: 0.9 s against 2.1 s for the SVD of a 2,000 × 2,000 landmark operator. That route's
/// absolute error in `σ²` is about `n ε σ_max²`, so it is kept only when every `σ²` is at least
/// `5·10⁷` times that (each `σ` then good to 1e-8 relative); otherwise the SVD of `m` itself is
/// computed (split as [`direct_singular_values`] says).
///
/// # Errors
/// [`Error::Numerical`] naming `stage` if the decomposition does not converge.
pub fn singular_values(m: &[f64], n: usize, stage: &'static str) -> Result<Vec<f64>> {
    let a = MatRef::from_row_major_slice(m, n, n);
    let gram = symmetric_block_product(m, a.transpose(), n);
    let squares = symmetric_eigenvalues(MatRef::from_row_major_slice(&gram, n, n), stage)?;
    let floor = 5e7 * n as f64 * f64::EPSILON * squares.first().copied().unwrap_or(0.0);
    if squares.iter().all(|&s| s >= floor) {
        return Ok(squares.iter().map(|s| s.sqrt()).collect());
    }
    direct_singular_values(a, stage)
}

/// The singular values (descending) of `m` by its SVD, the bidiagonalisation split in
/// [`EIGEN_SPLITS`] parallel pieces whatever the threads, as [`symmetric_eigenvalues`] splits
/// its tridiagonalisation: identical at any thread count (PHATE's potential stage on a 3,000-point
/// swiss roll, whose operator's small singular values need this route: 5.3 s → 4.5 s).
fn direct_singular_values(m: MatRef<'_, f64>, stage: &'static str) -> Result<Vec<f64>> {
    use faer::diag::Diag;
    use faer::dyn_stack::{MemBuffer, MemStack};
    use faer::linalg::svd::{ComputeSvdVectors, svd, svd_scratch};
    let size = m.nrows().min(m.ncols());
    let par = Par::rayon(EIGEN_SPLITS);
    let mut s = Diag::<f64>::zeros(size);
    let mut buffer = MemBuffer::new(svd_scratch::<f64>(m.nrows(), m.ncols(), ComputeSvdVectors::No, ComputeSvdVectors::No, par, Default::default()));
    let done = svd(m, s.as_mut(), None, None, par, MemStack::new(&mut buffer), Default::default());
    clear_vector_state_everywhere();
    done.map_err(|e| Error::Numerical { stage, message: format!("SVD did not converge ({e:?})") })?;
    let s = s.column_vector();
    let mut values: Vec<f64> = (0..size).map(|i| s[i]).collect();
    values.sort_by(|a, b| b.total_cmp(a));
    Ok(values)
}

/// Rows of a block in the dense products below.
const PRODUCT_ROWS: usize = 64;

/// `a · rhs` for `a` (`n × n` row-major) over fixed blocks of `a`'s rows in parallel, each block
/// one sequential product: identical at any thread count. Returns `n × rhs.ncols()` row-major.
fn block_product(a: &[f64], rhs: MatRef<'_, f64>, n: usize) -> Vec<f64> {
    block_product_up_to(a, rhs, n, false)
}

/// [`block_product`]; with `lower`, each block of rows computes only the columns up to its
/// last row's diagonal (the rest stays zero).
fn block_product_up_to(a: &[f64], rhs: MatRef<'_, f64>, n: usize, lower: bool) -> Vec<f64> {
    use faer::MatMut;
    const BLOCK: usize = PRODUCT_ROWS;
    let c = rhs.ncols();
    let mut out = vec![0f64; n * c];
    out.par_chunks_mut(BLOCK * c).enumerate().for_each(|(blk, rows)| {
        let first = blk * BLOCK;
        let count = rows.len() / c;
        let end = if lower { first + count } else { c };
        let lhs = MatRef::from_row_major_slice(&a[first * n..(first + count) * n], count, n);
        let out = MatMut::from_row_major_slice_mut(rows, count, c).subcols_mut(0, end);
        matmul(out, Accum::Replace, lhs, rhs.subcols(0, end), 1.0, Par::Seq);
    });
    out
}

/// `a · rhs` (`n × n` row-major) when the product is known to be symmetric: each block of rows
/// computes only the columns up to its diagonal, and the rest is mirrored (half the work of
/// [`block_product`]; identical at any thread count).
fn symmetric_block_product(a: &[f64], rhs: MatRef<'_, f64>, n: usize) -> Vec<f64> {
    const BLOCK: usize = PRODUCT_ROWS;
    let lower = block_product_up_to(a, rhs, n, true);
    // The upper triangle from the lower: a block of rows reads its columns as contiguous
    // pieces of the later rows.
    let mut full = vec![0f64; n * n];
    full.par_chunks_mut(BLOCK * n).enumerate().for_each(|(blk, rows)| {
        let first = blk * BLOCK;
        let count = rows.len() / n;
        for (r, row) in rows.chunks_exact_mut(n).enumerate() {
            row[..=first + r].copy_from_slice(&lower[(first + r) * n..(first + r) * n + first + r + 1]);
        }
        for j in first + 1..n {
            let piece = &lower[j * n + first..j * n + first + count];
            for (r, &v) in piece.iter().enumerate().take((j - first).min(count)) {
                rows[r * n + j] = v;
            }
        }
    });
    full
}

/// `m^t` of a dense square matrix (`n × n` row-major; `t = 0` gives the identity) by repeated
/// squaring, as numpy's `matrix_power`. Each product runs over fixed blocks of rows in parallel,
/// each block one sequential product: identical at any thread count.
pub fn matrix_power(m: &[f64], n: usize, t: usize) -> Vec<f64> {
    power_from_squares(vec![m.to_vec()], n, t, |a, b| block_product(a, MatRef::from_row_major_slice(b, n, n), n))
}

/// `m^t` of a Markov matrix `m = D⁻¹W` with `W` symmetric and `D = diag(degrees)` (a reversible
/// chain: a landmark operator or `D⁻¹K` of a symmetric kernel), as [`matrix_power`] gives it in
/// half the arithmetic: the powers of the symmetric `S = D^½ m D^-½` are symmetric, so each
/// product computes one triangle, and `m^t = D^-½ S^t D^½`. When `D m` is not symmetric to
/// `1e-10` of its largest entry, this is [`matrix_power`].
pub fn reversible_matrix_power(m: &[f64], degrees: &[f64], n: usize, t: usize) -> Vec<f64> {
    ReversiblePower::new(m, degrees, n, 0).power(t)
}

/// [`reversible_matrix_power`] in two steps, for a caller that learns `t` later: [`new`]
/// squares the matrix a given number of times (while the caller computes something else),
/// [`power`] multiplies the squares `t` needs and squares further if it needs more. The
/// products are those of [`reversible_matrix_power`], in the same order: the same result.
///
/// [`new`]: ReversiblePower::new
/// [`power`]: ReversiblePower::power
pub struct ReversiblePower {
    n: usize,
    /// `√degrees` when `m` is reversible for them (the squares are of `S`), else `None` (of `m`).
    root: Option<Vec<f64>>,
    /// `base^(2^k)` for `k = 0, 1, …`.
    squares: Vec<Vec<f64>>,
}

impl ReversiblePower {
    /// Prepares the powers of `m` (`n × n` row-major) with `squarings` squares computed now.
    pub fn new(m: &[f64], degrees: &[f64], n: usize, squarings: usize) -> ReversiblePower {
        let root: Vec<f64> = degrees.iter().map(|d| d.sqrt()).collect();
        let flow = |i: usize, j: usize| degrees[i] * m[i * n + j];
        let largest = (0..n * n).map(|p| flow(p / n, p % n).abs()).fold(0.0f64, f64::max);
        let asymmetric = (0..n).any(|i| (0..i).any(|j| (flow(i, j) - flow(j, i)).abs() > 1e-10 * largest));
        let (base, root) = if asymmetric || root.iter().any(|&r| !(r > 0.0 && r.is_finite())) {
            (m.to_vec(), None)
        } else {
            let s = (0..n * n)
                .map(|p| {
                    let (i, j) = (p / n, p % n);
                    0.5 * (root[i] * m[p] / root[j] + root[j] * m[j * n + i] / root[i])
                })
                .collect();
            (s, Some(root))
        };
        let mut power = ReversiblePower { n, root, squares: vec![base] };
        for _ in 0..squarings {
            power.square();
        }
        power
    }

    fn product(&self, a: &[f64], b: &[f64]) -> Vec<f64> {
        let (n, b) = (self.n, MatRef::from_row_major_slice(b, self.n, self.n));
        if self.root.is_some() { symmetric_block_product(a, b, n) } else { block_product(a, b, n) }
    }

    fn square(&mut self) {
        let last = self.squares.last().expect("the base");
        let next = self.product(last, last);
        self.squares.push(next);
    }

    /// `m^t`.
    pub fn power(mut self, t: usize) -> Vec<f64> {
        let n = self.n;
        let squares = std::mem::take(&mut self.squares);
        let mut power = power_from_squares(squares, n, t, |a, b| self.product(a, b));
        if let Some(root) = &self.root {
            power.par_chunks_mut(n).enumerate().for_each(|(i, row)| row.iter_mut().zip(root).for_each(|(v, r)| *v *= r / root[i]));
        }
        power
    }
}

/// `base^t` from `squares[k] = base^(2^k)` (`squares[0]` the base; more squares by `product` as
/// `t` needs them), the lower powers multiplied first; `t = 0` gives the identity.
fn power_from_squares(mut squares: Vec<Vec<f64>>, n: usize, t: usize, product: impl Fn(&[f64], &[f64]) -> Vec<f64>) -> Vec<f64> {
    let mut result: Option<Vec<f64>> = None;
    let mut k = 0;
    while t.checked_shr(k as u32).unwrap_or(0) > 0 {
        if k == squares.len() {
            let next = product(&squares[k - 1], &squares[k - 1]);
            squares.push(next);
        }
        if (t >> k) & 1 == 1 {
            result = Some(match result {
                Some(r) => product(&r, &squares[k]),
                None => squares[k].clone(),
            });
        }
        k += 1;
    }
    result.unwrap_or_else(|| (0..n * n).map(|p| if p / n == p % n { 1.0 } else { 0.0 }).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bit 2 of XINUSE (`xgetbv` with `ecx = 1`): the upper halves of `ymm0`–`ymm15` are not
    /// all zero. `None` where the CPU cannot say.
    #[cfg(target_arch = "x86_64")]
    fn upper_halves_dirty() -> Option<bool> {
        use std::arch::x86_64::{__cpuid_count, _xgetbv};
        let supported = std::arch::is_x86_feature_detected!("xsave") && __cpuid_count(0xD, 1).eax & 0b100 != 0;
        // SAFETY: the CPU has XSAVE, and leaf 0xD.1 says xgetbv takes ecx = 1.
        supported.then(|| unsafe { _xgetbv(1) } & 0b100 != 0)
    }

    #[test]
    fn centred_times_equals_the_direct_sum_at_any_thread_count() {
        // Three blocks (the last partial) of rows far from the origin: centring comes first.
        let (n, d, l) = (2 * BLOCK_ROWS + 37, 7, 3);
        let x: Vec<f64> = (0..n * d).map(|p| 1e6 + ((p * 7919) % 101) as f64 / 7.0).collect();
        let data = DataF64::from_row_major(&x, n, d).unwrap();
        let mean: Vec<f64> = (0..d).map(|j| (0..n).map(|i| x[i * d + j]).sum::<f64>() / n as f64).collect();
        let m = Mat::from_fn(d, l, |r, c| ((r * 3 + c * 5) % 7) as f64 - 3.0);
        let run =
            |threads: usize| rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(|| centred_times(&data, &mean, 0.25, m.as_ref()));
        let y = run(1);
        assert_eq!(y, run(2));
        for i in 0..n {
            for c in 0..l {
                let direct: f64 = (0..d).map(|j| (x[i * d + j] - mean[j]) * 0.25 * m[(j, c)]).sum();
                assert!((y[(i, c)] - direct).abs() < 1e-12 * (1.0 + direct.abs()), "row {i}, column {c}: {} against {direct}", y[(i, c)]);
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn products_leave_the_upper_halves_of_the_vector_registers_clear() {
        let a = Mat::from_fn(256, 256, |i, j| ((i * 7 + j * 3) % 11) as f64);
        let mut c = Mat::<f64>::zeros(256, 256);
        #[allow(clippy::disallowed_methods)]
        faer::linalg::matmul::matmul(c.as_mut(), Accum::Replace, a.as_ref(), a.as_ref(), 1.0, Par::Seq);
        // Where faer's kernels leave them dirty (AVX2 or AVX-512 machines), the wrapper must
        // clear them; elsewhere there is nothing to clear.
        let Some(faer_dirty) = upper_halves_dirty() else { return };
        matmul(c.as_mut(), Accum::Replace, a.as_ref(), a.as_ref(), 1.0, Par::Seq);
        assert_eq!(upper_halves_dirty(), Some(false), "faer's own product left them dirty: {faer_dirty}");
        let big = Mat::from_fn(600, 600, |i, j| 1.0 / (1.0 + i.abs_diff(j) as f64));
        symmetric_eigenvalues(big.as_ref(), "test").unwrap();
        assert_eq!(upper_halves_dirty(), Some(false));
        let mut q = vec![0f64; 300 * 20];
        q.iter_mut().enumerate().for_each(|(p, v)| *v = ((p * 13) % 17) as f64 - 8.0);
        let _ = orthonormalize(MatRef::from_row_major_slice(&q, 300, 20));
        assert_eq!(upper_halves_dirty(), Some(false));
    }

    /// The `n × n` second-difference matrix (2 on the diagonal, −1 beside it) times `scale`, and
    /// its eigenvalues `scale · (2 − 2 cos(kπ/(n + 1)))`, descending.
    fn second_difference(n: usize, scale: f64) -> (Mat<f64>, Vec<f64>) {
        let m = Mat::from_fn(n, n, |i, j| {
            scale
                * if i == j {
                    2.0
                } else if i.abs_diff(j) == 1 {
                    -1.0
                } else {
                    0.0
                }
        });
        let values = (1..=n).rev().map(|k| scale * (2.0 - 2.0 * (k as f64 * std::f64::consts::PI / (n + 1) as f64).cos())).collect();
        (m, values)
    }

    fn assert_close(got: &[f64], want: &[f64]) {
        let worst = got.iter().zip(want).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        assert!(got.len() == want.len() && worst < 1e-11 * want[0], "largest error {worst}");
    }

    #[test]
    fn symmetric_eigenvalues_inside_a_parallel_loop_and_at_any_thread_count() {
        // Once per item of a parallel loop over many items, as per-point local PCA calls it: a
        // version that moved each call into a pool of its own overflowed the stack there.
        let found: Vec<(Vec<f64>, Vec<f64>)> = crate::threads::install(Some(2), || {
            (0..20_000)
                .into_par_iter()
                .map(|i| {
                    let (m, want) = second_difference(40, 1.0 + i as f64 / 1000.0);
                    (symmetric_eigenvalues(m.as_ref(), "test").unwrap(), want)
                })
                .collect()
        })
        .unwrap();
        found.iter().for_each(|(got, want)| assert_close(got, want));
        // A matrix large enough for the parallel tridiagonalisation (faer splits while more
        // than about 314 rows remain): the same bits on 1 and 2 threads.
        let (m, want) = second_difference(600, 3.0);
        let at = |threads| crate::threads::install(Some(threads), || symmetric_eigenvalues(m.as_ref(), "test").unwrap()).unwrap();
        let one = at(1);
        assert_close(&one, &want);
        assert_eq!(one, at(2));
    }
}
