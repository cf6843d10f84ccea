//! A few extreme eigenpairs of a large symmetric operator: the `k` smallest (graph Laplacians:
//! Laplacian eigenmaps, UMAP's initialisation) or the `k` largest (diffusion operators: diffusion
//! maps, PHATE), as SciPy's `eigsh(which="SA" | "LA")` gives them.
//!
//! * **Dense path**: an operator of at most [`EigshOptions::dense_max`] rows (2,000), or too
//!   small for a block of `k + extra_vectors` columns (`n < 3 (k + extra) + 1`, which covers `k`
//!   near `n`), is written out ([`SymmetricOperator::to_dense`]), symmetrised as `(M + Mᵀ)/2`
//!   and decomposed completely by faer: exact to rounding.
//! * **Iterative path**: [`lobpcg_largest`] on `shift·I + A` for the largest pairs and on
//!   `shift·I − A` for the smallest ([`SymmetricOperator::affine`]): flipping the spectrum
//!   makes the wanted end the largest, and the shift (any value gives the same eigenvectors in
//!   exact arithmetic) lets the caller make the operator positive semi-definite, the setting of
//!   LOBPCG's theory (`2` for a normalised Laplacian's spectrum `[0, 2]`). No spectral
//!   transformation is used here: LOBPCG's block absorbs clustered eigenvalues without a
//!   factorisation.
//! * **Shift-invert path** ([`eigsh_smallest_shift_invert`]): for the smallest pairs of a sparse
//!   positive semi-definite matrix whose low end is crowded near 0 (LLE's alignment matrix,
//!   Laplacians of fine graphs), a sparse Cholesky factor of `A − σI` (σ slightly below 0)
//!   and LOBPCG on its inverse, where those eigenvalues become the largest and far apart.
//!
//! An optional `deflate` vector (a known unit eigenvector, such as a Laplacian's trivial `D^½ 1`)
//! is excluded: the iterative search stays orthogonal to it; the dense path drops the computed
//! eigenvector closest to it.
//!
//! **Determinism.** The dense decomposition runs on one thread; the iterative path reduces over
//! fixed chunks; the start block is drawn from hashes of `(seed, row, column)`. With an operator
//! whose [`SymmetricOperator::apply`] is itself thread-invariant, results are bit-identical at
//! any thread count. When LOBPCG does not converge the error is [`Error::Numerical`] naming the
//! stage, the largest residual and the tolerance.
//!
//! ```
//! use faer::Mat;
//! use unfold_learn::linalg::eigsh::{EigshOptions, Start, Which, eigsh};
//! // diag(3, 1, 2): smallest two are 1, 2; largest is 3.
//! let a = Mat::from_fn(3, 3, |i, j| if i == j { [3.0, 1.0, 2.0][i] } else { 0.0 });
//! let low = eigsh(&a, 2, Which::Smallest, None, Start::Seed(Some(1)), &EigshOptions::default(), "example")?;
//! assert_eq!(low.values, vec![1.0, 2.0]);
//! let high = eigsh(&a, 1, Which::Largest, None, Start::Seed(Some(1)), &EigshOptions::default(), "example")?;
//! assert_eq!((high.values[0], high.vectors[0].abs()), (3.0, 1.0));
//! # Ok::<(), unfold_learn::Error>(())
//! ```

use crate::linalg::matmul;
use faer::sparse::{SparseColMat, SparseColMatRef};
use faer::{Accum, Mat, MatMut, MatRef, Par};
use rayon::prelude::*;

use super::lobpcg::{CHUNK_ROWS, LobpcgOptions, lobpcg_largest};
use super::symmetric_eigen;
use crate::error::{Error, Result};
use crate::rng::{SeedSource, normal_f64};

/// Seed stage of the start block drawn by [`Start::Seed`].
const STAGE_START: u64 = 0xe165_0001;

/// A symmetric `n × n` operator the eigensolver can multiply, write out and shift.
pub trait SymmetricOperator: Sync {
    /// Order of the matrix.
    fn n(&self) -> usize;
    /// `y = A x` for a row-major `n × b` block `x`. For thread-invariant results, each output
    /// row must be summed in an order that does not depend on the thread count.
    fn apply(&self, x: &[f64], y: &mut [f64], b: usize);
    /// The explicit matrix (small operators only).
    fn to_dense(&self) -> Mat<f64>;
    /// `shift·I + sign·A` with `sign` = ±1, as an operator of its own.
    fn affine(&self, shift: f64, sign: f64) -> Box<dyn SymmetricOperator + '_>;
    /// One step of a three-term recurrence on row-major `n × b` blocks, `y ← α A x + β x − y`,
    /// then `sums[t] += coefficients[t] · y` (a Chebyshev expansion,
    /// [`crate::graph::heat_kernel`]). This default takes a product and two more passes;
    /// [`crate::graph::GraphOperator`] does it in one pass on the calling thread.
    #[allow(clippy::too_many_arguments)]
    fn recurrence_step(&self, alpha: f64, beta: f64, x: &[f64], y: &mut [f64], b: usize, coefficients: &[f64], sums: &mut [Vec<f64>]) {
        let mut ax = vec![0f64; x.len()];
        self.apply(x, &mut ax, b);
        for ((y, &a), &x) in y.iter_mut().zip(&ax).zip(x) {
            *y = alpha * a + beta * x - *y;
        }
        for (sum, &c) in sums.iter_mut().zip(coefficients) {
            sum.iter_mut().zip(y.iter()).for_each(|(s, &v)| *s += c * v);
        }
    }
}

/// Which end of the spectrum [`eigsh`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// The `k` smallest (algebraic) eigenvalues, ascending.
    Smallest,
    /// The `k` largest (algebraic) eigenvalues, descending.
    Largest,
}

/// The iterative solver's start block.
#[derive(Debug, Clone, PartialEq)]
pub enum Start {
    /// Standard normal entries, entry `(i, c)` from the hash of `(seed, i, c)`.
    Seed(Option<u64>),
    /// A given `n × (k + extra_vectors)` row-major block.
    Block(Vec<f64>),
}

/// scikit-learn's `eigen_solver` choice, for the methods that take it (Isomap, LLE). Each method
/// says where `Auto` turns from dense to iterative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum EigenSolver {
    /// Dense for small problems, iterative above (the method's bound).
    Auto,
    /// Iterative on the sparse or implicit operator (ARPACK in scikit-learn; LOBPCG or
    /// shift-invert LOBPCG here).
    Arpack,
    /// A full dense eigendecomposition.
    Dense,
}
crate::choice_param!(EigenSolver { Auto = "auto", Arpack = "arpack", Dense = "dense" });

/// Settings of [`eigsh`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EigshOptions {
    /// Operators with at most this many rows are decomposed densely (2,000); `0` forces the
    /// iterative solver where the block fits (`n ≥ 3 (k + extra_vectors) + 1`).
    pub dense_max: usize,
    /// Columns added to the iterative solver's block beyond the `k` wanted (4): they speed
    /// convergence when the `k`-th eigenvalue is close to the next.
    pub extra_vectors: usize,
    /// The iterative solver works on `shift·I ± A` (see the [module docs](self); 0).
    pub shift: f64,
    /// Residual tolerance and iteration cap of the iterative solver (`‖Ax − λx‖ < 1e-4`, 1,000).
    pub lobpcg: LobpcgOptions,
}

impl Default for EigshOptions {
    fn default() -> Self {
        EigshOptions { dense_max: 2000, extra_vectors: 4, shift: 0.0, lobpcg: LobpcgOptions::default() }
    }
}

impl EigshOptions {
    /// Whether [`eigsh`] takes the dense path for `k` pairs of an `n × n` operator.
    pub fn is_dense(&self, n: usize, k: usize) -> bool {
        n <= self.dense_max || n < 3 * (k + self.extra_vectors) + 1
    }
}

/// Eigenpairs found by [`eigsh`].
#[derive(Debug, Clone, PartialEq)]
pub struct EigenPairs {
    /// The eigenvalues of `A`: ascending for [`Which::Smallest`], descending for [`Which::Largest`].
    pub values: Vec<f64>,
    /// Their unit eigenvectors, `n × k` row-major.
    pub vectors: Vec<f64>,
    /// LOBPCG iterations (0 on the dense path).
    pub iterations: usize,
}

/// The `k` smallest or largest eigenpairs of the symmetric operator `op` (see the
/// [module docs](self)), excluding the unit eigenvector `deflate` if given.
///
/// # Errors
/// [`Error::InvalidParameter`] naming `k` when it is 0 or exceeds the pairs available
/// (`n`, or `n − 1` with `deflate`); [`Error::InvalidData`] when `deflate` or a given start block
/// has the wrong length; [`Error::Numerical`] naming `stage` when a decomposition fails or
/// LOBPCG does not converge.
pub fn eigsh(
    op: &dyn SymmetricOperator,
    k: usize,
    which: Which,
    deflate: Option<&[f64]>,
    start: Start,
    options: &EigshOptions,
    stage: &'static str,
) -> Result<EigenPairs> {
    let n = op.n();
    let available = n - usize::from(deflate.is_some()).min(n);
    if k == 0 || k > available {
        return Err(Error::param("k", k, format!("must be at least 1 and at most {available} (the eigenpairs an operator of order {n} has to give)")));
    }
    if let Some(y) = deflate
        && y.len() != n
    {
        return Err(Error::InvalidData(format!("the vector to deflate has {} entries for an operator of order {n}", y.len())));
    }
    if options.is_dense(n, k) {
        return dense(op, k, which, deflate, stage);
    }
    let m = k + options.extra_vectors;
    let x0 = match start {
        Start::Seed(seed) => {
            let seeds = SeedSource::new(seed);
            (0..(n * m) as u64).map(|u| normal_f64(seeds.value(STAGE_START, 2 * u), seeds.value(STAGE_START, 2 * u + 1))).collect()
        }
        Start::Block(x0) if x0.len() == n * m => x0,
        Start::Block(x0) => return Err(Error::InvalidData(format!("the start block has {} entries, not {n} × {m}", x0.len()))),
    };
    let sign = match which {
        Which::Largest => 1.0,
        Which::Smallest => -1.0,
    };
    let flipped = op.affine(options.shift, sign);
    let apply = |x: &[f64], y: &mut [f64], b: usize| flipped.apply(x, y, b);
    let found = lobpcg_largest(n, &apply, x0, k, deflate, &options.lobpcg, stage)?;
    // shift + sign·λ = μ  ⇒  λ = sign·(μ − shift).
    let values = found.values.iter().map(|&mu| sign * (mu - options.shift)).collect();
    Ok(EigenPairs { values, vectors: found.vectors, iterations: found.iterations })
}

/// Dense path: every eigenpair of `(M + Mᵀ)/2`, the wanted end kept (after dropping the vector
/// closest to `deflate`).
fn dense(op: &dyn SymmetricOperator, k: usize, which: Which, deflate: Option<&[f64]>, stage: &'static str) -> Result<EigenPairs> {
    let n = op.n();
    let m = op.to_dense();
    let sym = Mat::from_fn(n, n, |i, j| 0.5 * (m[(i, j)] + m[(j, i)]));
    let (values, vectors) = symmetric_eigen(sym.as_ref(), stage)?;
    // Descending from symmetric_eigen; the wanted end first.
    let mut order: Vec<usize> = match which {
        Which::Largest => (0..n).collect(),
        Which::Smallest => (0..n).rev().collect(),
    };
    if let Some(y) = deflate {
        let overlap = |c: usize| (0..n).map(|i| vectors[(i, c)] * y[i]).sum::<f64>().abs();
        let drop = (0..n).fold(0, |best, c| if overlap(c) > overlap(best) { c } else { best });
        order.retain(|&c| c != drop);
    }
    order.truncate(k);
    let out = (0..n).flat_map(|i| order.iter().map(move |&c| (i, c))).map(|(i, c)| vectors[(i, c)]).collect();
    Ok(EigenPairs { values: order.iter().map(|&c| values[c]).collect(), vectors: out, iterations: 0 })
}

/// A dense symmetric matrix as an operator (the RBF affinities of small data sets, tests).
impl SymmetricOperator for Mat<f64> {
    fn n(&self) -> usize {
        self.nrows()
    }

    /// Row chunks of [`CHUNK_ROWS`] in parallel, each a sequential product: every output row is
    /// summed by one thread in column order.
    fn apply(&self, x: &[f64], y: &mut [f64], b: usize) {
        let n = self.nrows();
        assert!(x.len() == n * b && y.len() == n * b, "apply: blocks of {} and {} values for {n} rows of {b}", x.len(), y.len());
        if b == 0 {
            return;
        }
        let xs = MatRef::from_row_major_slice(x, n, b);
        y.par_chunks_mut(CHUNK_ROWS * b).enumerate().for_each(|(c, out)| {
            let rows = out.len() / b;
            let a = self.as_ref().subrows(c * CHUNK_ROWS, rows);
            matmul(MatMut::from_row_major_slice_mut(out, rows, b), Accum::Replace, a, xs, 1.0, Par::Seq);
        });
    }

    fn to_dense(&self) -> Mat<f64> {
        self.clone()
    }

    fn affine(&self, shift: f64, sign: f64) -> Box<dyn SymmetricOperator + '_> {
        let n = self.nrows();
        Box::new(Mat::from_fn(n, n, |i, j| sign * self[(i, j)] + if i == j { shift } else { 0.0 }))
    }
}

/// Settings of [`eigsh_smallest_shift_invert`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShiftInvertOptions {
    /// The shift `σ` of the factorised matrix `A − σI`, below the smallest eigenvalue; `None`
    /// takes `−10⁻⁹ · max |a_ii|` (a tiny negative shift, so that a positive semi-definite `A`
    /// with a null space still factorises), and multiplies it by 100 (up to four times) when
    /// the factorisation meets a pivot that is not positive.
    pub shift: Option<f64>,
    /// Columns added to the iterative solver's block beyond the `k` wanted (4).
    pub extra_vectors: usize,
    /// `tol`: relative residual of the inverse's eigenpairs, `‖Sx − μx‖ ≤ tol · μ_k` with
    /// `S = (A − σI)⁻¹` (1e-8); `max_iter`: LOBPCG iterations at most (300).
    pub lobpcg: LobpcgOptions,
}

impl Default for ShiftInvertOptions {
    fn default() -> Self {
        ShiftInvertOptions { shift: None, extra_vectors: 4, lobpcg: LobpcgOptions { tol: 1e-8, max_iter: 300 } }
    }
}

/// The `k` smallest eigenpairs of a sparse symmetric matrix `a` (both triangles stored, as
/// [`crate::graph::GraphOperator::to_sparse`] gives them), by **shift-invert**: `A − σI` is
/// factorised once by faer's sparse Cholesky (AMD ordering, sequential, so the factor does not
/// depend on the thread count), and LOBPCG ([`lobpcg_largest`]) finds the largest eigenpairs of
/// `S = (A − σI)⁻¹`, whose eigenvalues `1/(λ − σ)` spread the small `λ` of `A` far apart: where
/// LOBPCG on `A` itself crawls through a cluster of eigenvalues near 0 (LLE's `M`, a graph
/// Laplacian's low end), the inverse converges in tens of iterations. Each block product solves
/// its columns in parallel, one column per task, so results are bit-identical at any thread
/// count.
///
/// Three passes of subspace iteration on the start block first estimate `μ_k` of `S`; the
/// operator is scaled by `1/μ_k` so that `tol` is relative. The eigenvalues returned are the
/// Rayleigh quotients `vᵀAv` of the eigenvectors found (ascending; more accurate than
/// `σ + 1/μ` for eigenvalues near 0). `deflate` (a unit vector in `A`'s null space or any
/// known eigenvector, such as LLE's constant vector) is excluded from the search.
///
/// ```
/// use faer::sparse::{SparseColMat, Triplet};
/// use unfold_learn::linalg::eigsh::{ShiftInvertOptions, Start, eigsh_smallest_shift_invert};
/// // The path Laplacian on 4 vertices: eigenvalues 2 − 2cos(πj/4) = 0, 0.586, 2, 3.414.
/// let t: Vec<Triplet<usize, usize, f64>> = [(0, 0, 1.0), (1, 1, 2.0), (2, 2, 2.0), (3, 3, 1.0), (0, 1, -1.0), (1, 0, -1.0), (1, 2, -1.0), (2, 1, -1.0), (2, 3, -1.0), (3, 2, -1.0)]
///     .iter().map(|&(i, j, v)| Triplet::new(i, j, v)).collect();
/// let a = SparseColMat::try_new_from_triplets(4, 4, &t).unwrap();
/// let ones = [0.5; 4];
/// let opts = ShiftInvertOptions { extra_vectors: 0, ..Default::default() };
/// let low = eigsh_smallest_shift_invert(a.as_ref(), 1, Some(&ones), Start::Seed(Some(1)), &opts, "example")?;
/// assert!((low.values[0] - (2.0 - 2f64.sqrt())).abs() < 1e-10);
/// # Ok::<(), unfold_learn::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] naming `k` when it is 0 or the block of `k + extra_vectors`
/// columns does not fit the order (`n ≥ 3 (k + extra_vectors) + 1` is needed; use [`eigsh`]'s
/// dense path below); [`Error::InvalidData`] for a matrix that is not square or a `deflate` of
/// the wrong length; [`Error::Numerical`] naming `stage` when `A − σI` cannot be factorised (σ
/// is not below the smallest eigenvalue) or LOBPCG does not converge.
pub fn eigsh_smallest_shift_invert(
    a: SparseColMatRef<'_, usize, f64>,
    k: usize,
    deflate: Option<&[f64]>,
    start: Start,
    options: &ShiftInvertOptions,
    stage: &'static str,
) -> Result<EigenPairs> {
    let n = a.nrows();
    if a.ncols() != n {
        return Err(Error::InvalidData(format!("a {} × {} matrix is not square", a.nrows(), a.ncols())));
    }
    let m = k + options.extra_vectors;
    if k == 0 || n < 3 * m + 1 {
        return Err(Error::param("k", k, format!("must be at least 1 with 3 (k + {}) + 1 ≤ {n}, the order of the matrix", options.extra_vectors)));
    }
    if let Some(y) = deflate
        && y.len() != n
    {
        return Err(Error::InvalidData(format!("the vector to deflate has {} entries for a matrix of order {n}", y.len())));
    }
    let (mut factor, mut sigma) = ShiftedCholesky::new(a, options.shift, stage)?;
    let x0: Vec<f64> = match start {
        Start::Seed(seed) => {
            let seeds = SeedSource::new(seed);
            (0..(n * m) as u64).map(|u| normal_f64(seeds.value(STAGE_START, 2 * u), seeds.value(STAGE_START, 2 * u + 1))).collect()
        }
        Start::Block(x0) if x0.len() == n * m => x0,
        Start::Block(x0) => return Err(Error::InvalidData(format!("the start block has {} entries, not {n} × {m}", x0.len()))),
    };
    // Subspace iteration: X ← orth(S X) (orthogonal to `deflate`), three times, then the Ritz
    // values of S on X estimate μ_1 ≥ … ≥ μ_m from below.
    let orth = |x: &[f64]| -> Vec<f64> {
        let q = super::orthonormalize(MatRef::from_row_major_slice(x, n, m));
        (0..n * m).map(|at| q[(at / m, at % m)]).collect()
    };
    let mut x = project_out(x0, m, deflate);
    for _ in 0..3 {
        let q = orth(&x);
        let mut y = vec![0.0; n * m];
        factor.solve_block(&q, &mut y, m);
        x = project_out(y, m, deflate);
    }
    let q = orth(&x);
    let ritz_values = |factor: &ShiftedCholesky| -> Result<Vec<f64>> {
        let mut sq = vec![0.0; n * m];
        factor.solve_block(&q, &mut sq, m);
        let h = Mat::from_fn(m, m, |i, j| (0..n).map(|r| q[r * m + i] * sq[r * m + j]).sum::<f64>());
        let h = Mat::from_fn(m, m, |i, j| 0.5 * (h[(i, j)] + h[(j, i)]));
        Ok(symmetric_eigen(h.as_ref(), stage)?.0)
    };
    let mut ritz = ritz_values(&factor)?;
    // An automatic shift far closer to a null space than to the k-th eigenvalue (a singular A
    // without `deflate`) leaves μ_1 ≫ μ_k, and LOBPCG's residuals then stall at the rounding
    // of μ_1: move the shift to 10⁻³ of the k-th eigenvalue's estimate and factorise again.
    if options.shift.is_none() && ritz[k - 1] > 0.0 && ritz[0] > 1e4 * ritz[k - 1] {
        let lambda_k = 1.0 / ritz[k - 1] + sigma;
        let wider = -1e-3 * lambda_k.abs();
        if wider < sigma {
            (factor, sigma) = ShiftedCholesky::new(a, Some(wider), stage)?;
            ritz = ritz_values(&factor)?;
        }
    }
    let mu_k = ritz[k - 1];
    if !(mu_k.is_finite() && mu_k > 0.0) {
        return Err(Error::Numerical {
            stage,
            message: format!("the shift-inverted operator has a non-positive Ritz value {mu_k:e} (the shift {sigma:e} is not below the spectrum)"),
        });
    }
    let scale = 1.0 / mu_k;
    // P S P with P the projector off `deflate`: the solves' rounding error lies mostly along
    // the near-null directions of A − σI, which the projection removes.
    let apply = |x: &[f64], y: &mut [f64], b: usize| {
        factor.solve_block(x, y, b);
        y.par_chunks_mut(CHUNK_ROWS * b).for_each(|c| c.iter_mut().for_each(|v| *v *= scale));
        if let Some(u) = deflate {
            project_out_in_place(y, b, u);
        }
    };
    let found = lobpcg_largest(n, &apply, q, k, deflate, &options.lobpcg, stage)?;
    // Rayleigh quotients vᵀ A v of the unit eigenvectors.
    let mut av = vec![0.0; n * k];
    sparse_times(a, &found.vectors, &mut av, k);
    let values = (0..k).map(|c| (0..n).map(|r| found.vectors[r * k + c] * av[r * k + c]).sum::<f64>()).collect();
    Ok(EigenPairs { values, vectors: found.vectors, iterations: found.iterations })
}

/// `x` (row-major `n × b`) minus its projection on the unit vector `y`, column by column.
fn project_out(mut x: Vec<f64>, b: usize, y: Option<&[f64]>) -> Vec<f64> {
    if let Some(y) = y {
        project_out_in_place(&mut x, b, y);
    }
    x
}

/// [`project_out`] in place: the dot products summed over fixed row chunks, in order.
fn project_out_in_place(x: &mut [f64], b: usize, y: &[f64]) {
    let partial: Vec<Vec<f64>> = x
        .par_chunks(CHUNK_ROWS * b)
        .zip(y.par_chunks(CHUNK_ROWS))
        .map(|(xc, yc)| {
            let mut dots = vec![0.0; b];
            for (row, &yr) in xc.chunks(b).zip(yc) {
                for (d, &v) in dots.iter_mut().zip(row) {
                    *d += yr * v;
                }
            }
            dots
        })
        .collect();
    let dots: Vec<f64> = (0..b).map(|c| partial.iter().map(|p| p[c]).sum()).collect();
    x.par_chunks_mut(CHUNK_ROWS * b).zip(y.par_chunks(CHUNK_ROWS)).for_each(|(xc, yc)| {
        for (row, &yr) in xc.chunks_mut(b).zip(yc) {
            for (v, &d) in row.iter_mut().zip(&dots) {
                *v -= d * yr;
            }
        }
    });
}

/// `y = A x` for a symmetric sparse `A` (column `i` = row `i`) and row-major blocks: each output
/// row summed by one task in storage order.
fn sparse_times(a: SparseColMatRef<'_, usize, f64>, x: &[f64], y: &mut [f64], b: usize) {
    y.par_chunks_mut(b).enumerate().for_each(|(i, row)| {
        row.iter_mut().for_each(|v| *v = 0.0);
        for (j, &v) in a.row_idx_of_col(i).zip(a.val_of_col(i)) {
            for (o, &xv) in row.iter_mut().zip(&x[j * b..(j + 1) * b]) {
                *o += v * xv;
            }
        }
    });
}

/// The sparse Cholesky factor of `A − σI`.
struct ShiftedCholesky {
    symbolic: faer::sparse::linalg::cholesky::SymbolicCholesky<usize>,
    values: Vec<f64>,
}

impl ShiftedCholesky {
    /// Factorises `A − σI` (σ given, or the automatic shift of [`ShiftInvertOptions::shift`]).
    fn new(a: SparseColMatRef<'_, usize, f64>, shift: Option<f64>, stage: &'static str) -> Result<(ShiftedCholesky, f64)> {
        use faer::dyn_stack::{MemBuffer, MemStack};
        use faer::sparse::linalg::cholesky::{CholeskySymbolicParams, SymmetricOrdering, factorize_symbolic_cholesky};
        let n = a.nrows();
        // The matrix with its diagonal stored explicitly, so that the shift has a slot.
        let mut triplets = Vec::with_capacity(a.compute_nnz() + n);
        let mut max_diag = 0.0f64;
        for i in 0..n {
            triplets.push(faer::sparse::Triplet::new(i, i, 0.0));
            for (j, &v) in a.row_idx_of_col(i).zip(a.val_of_col(i)) {
                if j >= i {
                    triplets.push(faer::sparse::Triplet::new(j, i, v));
                }
                if j == i {
                    max_diag = max_diag.max(v.abs());
                }
            }
        }
        let lower = SparseColMat::<usize, f64>::try_new_from_triplets(n, n, &triplets)
            .map_err(|e| Error::Numerical { stage, message: format!("the matrix cannot be stored for factorisation ({e:?})") })?;
        let symbolic = factorize_symbolic_cholesky(lower.symbolic(), faer::Side::Lower, SymmetricOrdering::Amd, CholeskySymbolicParams::default())
            .map_err(|e| Error::Numerical { stage, message: format!("symbolic Cholesky factorisation failed ({e:?})") })?;
        let scratch = symbolic.factorize_numeric_llt_scratch::<f64>(Par::Seq, Default::default());
        let mut buffer = MemBuffer::try_new(scratch).map_err(|_| Error::Numerical { stage, message: "out of memory for the Cholesky factor".into() })?;
        let base = if max_diag > 0.0 { max_diag } else { 1.0 };
        let tries: Vec<f64> = match shift {
            Some(s) => vec![s],
            None => (0..5).map(|t| -1e-9 * base * 100f64.powi(t)).collect(),
        };
        let mut last = String::new();
        for sigma in tries {
            let mut shifted = lower.clone();
            {
                let col_ptr = shifted.symbolic().col_ptr().to_vec();
                let rows = shifted.symbolic().row_idx().to_vec();
                let vals = shifted.val_mut();
                for i in 0..n {
                    for p in col_ptr[i]..col_ptr[i + 1] {
                        if rows[p] == i {
                            vals[p] -= sigma;
                        }
                    }
                }
            }
            let mut values = vec![0.0; symbolic.len_val()];
            let result = symbolic.factorize_numeric_llt::<f64>(
                &mut values,
                shifted.as_ref(),
                faer::Side::Lower,
                Default::default(),
                Par::Seq,
                MemStack::new(&mut buffer),
                Default::default(),
            );
            match result {
                Ok(_) => return Ok((ShiftedCholesky { symbolic, values }, sigma)),
                Err(e) => last = format!("{e:?}"),
            }
        }
        Err(Error::Numerical {
            stage,
            message: format!("A − σI is not positive definite for the shifts tried ({last}): the matrix is not positive semi-definite"),
        })
    }

    /// `y = (A − σI)⁻¹ x` for row-major `n × b` blocks, one column per task.
    fn solve_block(&self, x: &[f64], y: &mut [f64], b: usize) {
        use faer::dyn_stack::{MemBuffer, MemStack};
        use faer::sparse::linalg::cholesky::LltRef;
        let n = self.symbolic.nrows();
        let columns: Vec<Vec<f64>> = (0..b)
            .into_par_iter()
            .map(|c| {
                let mut col = Mat::from_fn(n, 1, |r, _| x[r * b + c]);
                let mut buffer = MemBuffer::new(self.symbolic.solve_in_place_scratch::<f64>(1, Par::Seq));
                LltRef::new(&self.symbolic, &self.values).solve_in_place_with_conj(faer::Conj::No, col.as_mut(), Par::Seq, MemStack::new(&mut buffer));
                (0..n).map(|r| col[(r, 0)]).collect()
            })
            .collect();
        for (c, col) in columns.iter().enumerate() {
            for (r, &v) in col.iter().enumerate() {
                y[r * b + c] = v;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{GraphOperator, LaplacianKind, SparseGraph, laplacian};

    /// A random sparse symmetric matrix as a graph operator: the weighted Laplacian `D − W` of a
    /// ring (so every row has entries) plus `extra` random edges (weights in [0.05, 1.05), a
    /// repeated pair keeps its first weight), plus a random diagonal in `[0, signed)`.
    fn random_operator(n: usize, extra: usize, seed: u64, signed: f64) -> GraphOperator {
        let s = SeedSource::new(Some(seed));
        let u = |stage: u64, i: u64| crate::rng::unit_f64(s.value(stage, i));
        let mut edges: Vec<(usize, usize, f32)> = (0..n).map(|i| (i, (i + 1) % n, 0.5)).collect();
        for e in 0..extra as u64 {
            let (i, j) = ((u(1, 2 * e) * n as f64) as usize, (u(1, 2 * e + 1) * n as f64) as usize);
            if i != j {
                edges.push((i, j, (0.05 + u(2, e)) as f32));
            }
        }
        let mut rows: Vec<Vec<(u32, f32)>> = vec![Vec::new(); n];
        for (i, j, w) in edges {
            rows[i].push((j as u32, w));
            rows[j].push((i as u32, w));
        }
        let mut indptr = vec![0];
        let (mut indices, mut weights) = (Vec::new(), Vec::new());
        for r in &mut rows {
            r.sort_by_key(|&(j, _)| j);
            r.dedup_by_key(|&mut (j, _)| j);
            indices.extend(r.iter().map(|&(j, _)| j));
            weights.extend(r.iter().map(|&(_, w)| w));
            indptr.push(indices.len());
        }
        let g = SparseGraph::from_parts(n, indptr, indices, weights).unwrap();
        let l = laplacian(&g, LaplacianKind::Unnormalized);
        let offsets: Vec<f64> = (0..n as u64).map(|i| signed * u(3, i)).collect();
        l.with_diagonal_offset(&offsets)
    }

    fn dense_reference(a: &Mat<f64>) -> (Vec<f64>, Mat<f64>) {
        symmetric_eigen(a.as_ref(), "reference").unwrap()
    }

    /// Residual ‖A v − λ v‖ of column `c` and the check against the dense eigenvalue.
    fn check_pairs(a: &Mat<f64>, found: &EigenPairs, want: &[f64], tol_value: f64, tol_residual: f64) {
        let n = a.nrows();
        let k = want.len();
        assert_eq!(found.values.len(), k);
        let mut av = vec![0.0; n * k];
        a.apply(&found.vectors, &mut av, k);
        for c in 0..k {
            assert!((found.values[c] - want[c]).abs() < tol_value, "eigenvalue {c}: {} vs dense {}", found.values[c], want[c]);
            let r: f64 = (0..n).map(|i| (av[i * k + c] - found.values[c] * found.vectors[i * k + c]).powi(2)).sum::<f64>().sqrt();
            assert!(r < tol_residual, "residual {c}: {r}");
            let norm: f64 = (0..n).map(|i| found.vectors[i * k + c].powi(2)).sum::<f64>().sqrt();
            assert!((norm - 1.0).abs() < 1e-10, "norm {c}: {norm}");
        }
    }

    #[test]
    fn both_ends_match_dense_faer_on_random_sparse_matrices() {
        for (n, seed) in [(2600, 1u64), (3000, 2)] {
            let op = random_operator(n, 3 * n, seed, 5.0);
            let a = op.to_dense();
            let (all, _) = dense_reference(&a);
            let k = 5;
            let opts = EigshOptions { dense_max: 0, lobpcg: LobpcgOptions { tol: 1e-7, max_iter: 3000 }, ..Default::default() };
            let high = eigsh(&op, k, Which::Largest, None, Start::Seed(Some(seed)), &opts, "test").unwrap();
            check_pairs(&a, &high, &all[..k], 1e-8, 1e-6);
            assert!(high.iterations > 0);
            let low = eigsh(&op, k, Which::Smallest, None, Start::Seed(Some(seed)), &opts, "test").unwrap();
            let want: Vec<f64> = all.iter().rev().take(k).copied().collect();
            check_pairs(&a, &low, &want, 1e-8, 1e-6);
            // The dense path gives the same values to rounding.
            let dense_low = eigsh(&op, k, Which::Smallest, None, Start::Seed(None), &EigshOptions { dense_max: n, ..Default::default() }, "test").unwrap();
            check_pairs(&a, &dense_low, &want, 1e-10, 1e-9);
            assert_eq!(dense_low.iterations, 0);
        }
    }

    #[test]
    fn clustered_eigenvalues_and_a_deflated_vector() {
        // A block-diagonal operator: five identical uncoupled paths make every eigenvalue
        // five-fold, so the wanted pairs come in clusters; the last vertex is isolated with
        // eigenvalue 10 (the deflated vector, an exact eigenvector).
        let (paths, len) = (5, 600);
        let n = paths * len + 1;
        let mut indptr = vec![0];
        let (mut indices, mut weights) = (Vec::new(), Vec::new());
        for p in 0..paths {
            for i in 0..len {
                let v = p * len + i;
                if i > 0 {
                    indices.push((v - 1) as u32);
                    weights.push(1.0f32);
                }
                if i + 1 < len {
                    indices.push((v + 1) as u32);
                    weights.push(1.0);
                }
                indptr.push(indices.len());
            }
        }
        indptr.push(indices.len());
        let g = SparseGraph::from_parts(n, indptr, indices, weights).unwrap();
        let mut offsets = vec![0.0; n];
        offsets[n - 1] = 10.0;
        // Unnormalised Laplacian of paths: eigenvalues 2 − 2cos(πj/len), each five times.
        let op = laplacian(&g, LaplacianKind::Unnormalized).with_diagonal_offset(&offsets);
        let a = op.to_dense();
        let mut y = vec![0.0; n];
        y[n - 1] = 1.0;
        let opts = EigshOptions { dense_max: 0, extra_vectors: 6, shift: 10.0, lobpcg: LobpcgOptions { tol: 1e-6, max_iter: 5000 } };
        // Largest of L without the isolated vertex: 2 − 2cos(π(len−1)/len) five times, then the next.
        let k = 7;
        let high = eigsh(&op, k, Which::Largest, Some(&y), Start::Seed(Some(3)), &opts, "test").unwrap();
        let top = |j: usize| 2.0 - 2.0 * (std::f64::consts::PI * j as f64 / len as f64).cos();
        let want: Vec<f64> = (0..k).map(|c| top(len - 1 - c / paths)).collect();
        check_pairs(&a, &high, &want, 1e-8, 1e-5);
        assert!((0..k).all(|c| high.vectors[(n - 1) * k + c].abs() < 1e-12), "not orthogonal to the deflated vector");
        // Smallest: 0 five times (the constant vector of each path), then the next cluster.
        let low = eigsh(&op, k, Which::Smallest, Some(&y), Start::Seed(Some(3)), &opts, "test").unwrap();
        let want: Vec<f64> = (0..k).map(|c| top(c / paths)).collect();
        check_pairs(&a, &low, &want, 1e-8, 1e-5);
        // The dense path drops the deflated vector too.
        let dense = eigsh(&op, k, Which::Largest, Some(&y), Start::Seed(None), &EigshOptions { dense_max: n, ..opts }, "test").unwrap();
        let want: Vec<f64> = (0..k).map(|c| top(len - 1 - c / paths)).collect();
        check_pairs(&a, &dense, &want, 1e-10, 1e-9);
    }

    #[test]
    fn k_near_n_takes_the_dense_path() {
        let op = random_operator(40, 60, 7, 1.0);
        let a = op.to_dense();
        let (all, _) = dense_reference(&a);
        for k in [38, 39, 40] {
            let opts = EigshOptions { dense_max: 0, ..Default::default() };
            let low = eigsh(&op, k, Which::Smallest, None, Start::Seed(Some(1)), &opts, "test").unwrap();
            let want: Vec<f64> = all.iter().rev().take(k).copied().collect();
            check_pairs(&a, &low, &want, 1e-10, 1e-9);
        }
        let e = eigsh(&op, 41, Which::Smallest, None, Start::Seed(Some(1)), &EigshOptions::default(), "test").unwrap_err().to_string();
        assert!(e.contains("`k`") && e.contains("at most 40"), "{e}");
        let e = eigsh(&op, 40, Which::Smallest, Some(&[0.0; 40]), Start::Seed(Some(1)), &EigshOptions::default(), "test").unwrap_err().to_string();
        assert!(e.contains("at most 39"), "{e}");
    }

    #[test]
    fn identical_across_thread_counts_and_a_clear_error_without_convergence() {
        let n = 3 * CHUNK_ROWS + 77;
        let op = random_operator(n, 2 * n, 11, 3.0);
        let opts = EigshOptions { dense_max: 0, lobpcg: LobpcgOptions { tol: 1e-6, max_iter: 2000 }, ..Default::default() };
        for which in [Which::Smallest, Which::Largest] {
            let run = |threads| crate::threads::install(Some(threads), || eigsh(&op, 3, which, None, Start::Seed(Some(5)), &opts, "test")).unwrap().unwrap();
            let (one, two) = (run(1), run(2));
            assert!(one == two, "{which:?}: 1 and 2 threads differ");
        }
        let few = EigshOptions { dense_max: 0, lobpcg: LobpcgOptions { tol: 1e-12, max_iter: 3 }, ..Default::default() };
        let e = eigsh(&op, 3, Which::Smallest, None, Start::Seed(Some(5)), &few, "the test stage").unwrap_err();
        assert!(matches!(e, Error::Numerical { stage: "the test stage", .. }), "{e}");
        assert!(e.to_string().contains("did not converge in 3 iterations"), "{e}");
    }

    #[test]
    fn shift_invert_matches_dense_faer_and_is_thread_invariant() {
        // A weighted Laplacian (singular: the constant vector is its null space) without and
        // with a positive diagonal; the smallest pairs of both against the dense decomposition.
        for (n, seed, signed) in [(2500, 21u64, 0.0), (3100, 22, 0.5)] {
            let op = random_operator(n, 2 * n, seed, signed);
            let a = op.to_dense();
            let (all, _) = dense_reference(&a);
            let sparse = op.to_sparse();
            let k = 4;
            let opts = ShiftInvertOptions { lobpcg: LobpcgOptions { tol: 1e-10, max_iter: 300 }, ..Default::default() };
            let run = |threads| {
                crate::threads::install(Some(threads), || {
                    eigsh_smallest_shift_invert(sparse.as_ref().transpose(), k, None, Start::Seed(Some(seed)), &opts, "test")
                })
                .unwrap()
                .unwrap()
            };
            let (one, two) = (run(1), run(2));
            assert!(one == two, "1 and 2 threads differ");
            let want: Vec<f64> = all.iter().rev().take(k).copied().collect();
            check_pairs(&a, &one, &want, 1e-9, 1e-6);
            if signed == 0.0 {
                // Deflating the null vector gives the next k.
                let ones = vec![1.0 / (n as f64).sqrt(); n];
                let next = eigsh_smallest_shift_invert(sparse.as_ref().transpose(), k, Some(&ones), Start::Seed(Some(seed)), &opts, "test").unwrap();
                let want: Vec<f64> = all.iter().rev().skip(1).take(k).copied().collect();
                check_pairs(&a, &next, &want, 1e-9, 1e-6);
                assert!((0..k).all(|c| (0..n).map(|i| next.vectors[i * k + c] * ones[i]).sum::<f64>().abs() < 1e-10));
            }
        }
        // A matrix that is not positive semi-definite is refused with a named stage.
        let op = random_operator(400, 400, 5, 1.0).shifted_negation(0.0);
        let e = eigsh_smallest_shift_invert(op.to_sparse().as_ref().transpose(), 2, None, Start::Seed(Some(1)), &ShiftInvertOptions::default(), "the stage")
            .unwrap_err();
        assert!(matches!(e, Error::Numerical { stage: "the stage", .. }), "{e}");
    }

    #[test]
    fn a_dense_matrix_is_an_operator_too() {
        let n = 2100;
        let op = random_operator(n, n, 4, 2.0);
        let a = op.to_dense();
        let (all, _) = dense_reference(&a);
        let opts = EigshOptions { dense_max: 0, lobpcg: LobpcgOptions { tol: 1e-7, max_iter: 3000 }, ..Default::default() };
        let from_dense = eigsh(&a, 4, Which::Largest, None, Start::Seed(Some(2)), &opts, "test").unwrap();
        check_pairs(&a, &from_dense, &all[..4], 1e-8, 1e-6);
    }
}
