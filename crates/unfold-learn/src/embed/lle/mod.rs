//! Locally linear embedding, as scikit-learn 1.9's `sklearn.manifold.LocallyLinearEmbedding`,
//! with its four methods: `standard` (Roweis & Saul 2000), `hessian` (Hessian eigenmaps, Donoho
//! & Grimes 2003), `modified` (MLLE, Zhang & Wang 2006) and `ltsa` (local tangent space
//! alignment, Zhang & Zha 2004).
//!
//! 1. **Neighbours.** Each point's `n_neighbors` nearest other points (euclidean;
//!    `neighbors_algorithm = "auto"`: exact up to 4,096 points, NN-descent above; `"brute"`,
//!    `"kd_tree"`, `"ball_tree"`: exact).
//! 2. **Local fits** ([`local`]), in parallel, one per point, each a dense block of the
//!    symmetric positive semi-definite alignment matrix `M` on the point's index set.
//! 3. **Assembly** ([`alignment_matrix`]): `M = Σ_i P_iᵀ B_i P_i`, sparse, every entry summed in
//!    point order, so `M` is the same at any thread count (and exactly symmetric).
//! 4. **Null space.** The `n_components + 1` smallest eigenpairs of `M`; the first (the
//!    constant vector, `M 1 = 0` for every method) is dropped. `eigen_solver = "dense"`: all
//!    eigenpairs of the dense `M` by faer; `"arpack"`: shift-invert of the sparse `M`
//!    ([`eigsh_smallest_shift_invert`]: a sparse Cholesky factor of `M + δI`, LOBPCG on the
//!    inverse, the constant vector deflated) with `tol` its relative residual and `max_iter` its
//!    iterations; `"auto"`: dense up to 200 points (scikit-learn's rule), shift-invert above.
//!    The embedding is the eigenvectors (unit columns), each signed so that its largest-magnitude
//!    entry is positive; `reconstruction_error_` is the sum of their eigenvalues.
//!
//! Parameters and defaults are scikit-learn's: `n_neighbors = 5`, `n_components = 2`,
//! `reg = 1e-3`, `eigen_solver = "auto"`, `tol = 1e-6`, `max_iter = 100`, `method =
//! "standard"`, `hessian_tol = 1e-4`, `modified_tol = 1e-12`, `neighbors_algorithm = "auto"`,
//! and so are the data-dependent checks (`n_components ≤ n_features`, `n_neighbors <
//! n_samples`, hessian: `n_neighbors > n_components (n_components + 3) / 2`, modified:
//! `n_neighbors ≥ n_components`). Differences: scikit-learn's `"auto"` stays dense (O(n³))
//! when `n_components ≥ 9`, where this uses the sparse path; ARPACK's `tol` is a relative
//! accuracy of the Ritz values, here a relative residual; scikit-learn leaves the eigenvectors'
//! signs to its solver; it computes in `f64` from `f64` data, this in `f64` from `f32` rows; the
//! fitted neighbour search is kept inside the model, not exposed as `nbrs_`.
//!
//! `transform` places new points as scikit-learn does ([`model`]): barycenter weights on their
//! `n_neighbors` nearest training points, and the weighted sum of those points' coordinates.

pub mod local;
pub mod model;

use rayon::prelude::*;

pub use model::LleModel;

use self::local::{LocalError, LocalScratch};
use crate::data::Data;
use crate::error::{Error, Result};
use crate::graph::GraphOperator;
use crate::knn::search::NeighborIndex;
use crate::knn::{KnnGraph, KnnParams, NeighborsAlgorithm, knn_graph};
use crate::linalg::eigsh::{EigshOptions, ShiftInvertOptions, Start, Which, eigsh, eigsh_smallest_shift_invert};
use crate::linalg::lobpcg::LobpcgOptions;
use crate::method::{Context, FitData, MethodEntry, Params, Range, params_from, resolved_values};
use crate::metric::Metric;

/// The variant of LLE (scikit-learn's `method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LleMethod {
    /// Barycenter weights (Roweis & Saul).
    Standard,
    /// Hessian eigenmaps (Donoho & Grimes).
    Hessian,
    /// Modified LLE, several weight vectors per point (Zhang & Wang).
    Modified,
    /// Local tangent space alignment (Zhang & Zha).
    Ltsa,
}
crate::choice_param!(LleMethod { Standard = "standard", Hessian = "hessian", Modified = "modified", Ltsa = "ltsa" });

pub use crate::linalg::eigsh::EigenSolver;

crate::method_params! {
    /// Parameters of [`Lle`]; `Default` = scikit-learn 1.9's.
    pub struct LleParams {
        /// Neighbours of each point (the point itself not counted).
        n_neighbors: usize = 5, flag = "neighbors", range = Range::at_least(1.0);
        /// Dimensions of the embedding.
        n_components: usize = 2, flag = "dims", range = Range::at_least(1.0);
        /// Regularisation of the local Gram matrices, times their trace.
        reg: f64 = 1e-3, range = Range::at_least(0.0);
        /// Null-space solver: auto (dense up to 200 points), arpack (shift-invert on the sparse matrix) or dense.
        eigen_solver: EigenSolver = EigenSolver::Auto;
        /// Relative residual tolerance of the shift-invert solver (not used by dense).
        tol: f64 = 1e-6, range = Range::at_least(0.0);
        /// Iterations of the shift-invert solver at most (not used by dense).
        max_iter: usize = 100, range = Range::at_least(1.0);
        /// The LLE variant: standard, hessian, modified or ltsa.
        method: LleMethod = LleMethod::Standard, flag = "lle-method";
        /// Hessian eigenmapping: columns whose sum is below this are not normalised.
        hessian_tol: f64 = 1e-4, range = Range::at_least(0.0);
        /// Modified LLE: Householder vectors shorter than this are taken as 0.
        modified_tol: f64 = 1e-12, range = Range::at_least(0.0);
        /// Neighbour search: auto (exact up to 4,096 points, NN-descent above), brute, kd_tree or ball_tree (exact).
        neighbors_algorithm: NeighborsAlgorithm = NeighborsAlgorithm::Auto;
    }
}

/// The method's registration ([`crate::method::methods`]).
pub const ENTRY: MethodEntry = MethodEntry {
    name: "lle",
    summary: "locally linear embedding: standard, hessian, modified or ltsa (scikit-learn's LocallyLinearEmbedding)",
    specs: <LleParams as crate::method::Params>::specs,
    precise: false,
    supervised: false,
    precomputed_knn: false,
    sparse: false,
    fit: |values, data, ctx| Ok(Box::new(Lle::new(params_from(values)?)?.fit(data, ctx)?)),
    load: |bytes| Ok(Box::new(LleModel::from_bytes(bytes)?)),
};

/// Seed stage of the neighbour index's search tree.
const STAGE_INDEX: u64 = 0x11e0_0001;
/// Seed stage of the eigensolver's start block.
const STAGE_EIGEN: u64 = 0x11e0_0002;
const STAGE: &str = "locally linear embedding (null space of M)";
/// Largest `n` that `eigen_solver = "auto"` decomposes densely (scikit-learn's).
pub const AUTO_DENSE_MAX: usize = 200;

/// LLE with validated parameters.
#[derive(Debug, Clone)]
pub struct Lle {
    params: LleParams,
}

impl Lle {
    /// Checks the parameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a value out of range, or `n_neighbors` too small for the
    /// method (hessian: `> n_components (n_components + 3) / 2`; modified: `≥ n_components`).
    pub fn new(params: LleParams) -> Result<Lle> {
        params.check_ranges()?;
        let (k, p) = (params.n_neighbors, params.n_components);
        match params.method {
            LleMethod::Hessian if k <= p + p * (p + 1) / 2 => {
                return Err(Error::param(
                    "n_neighbors",
                    k,
                    format!("must be greater than n_components · (n_components + 3) / 2 = {} for method=\"hessian\" (n_components = {p})", p + p * (p + 1) / 2),
                ));
            }
            LleMethod::Modified if k < p => {
                return Err(Error::param("n_neighbors", k, format!("must be at least n_components = {p} for method=\"modified\"")));
            }
            _ => {}
        }
        Ok(Lle { params })
    }

    /// The parameters.
    pub fn params(&self) -> &LleParams {
        &self.params
    }

    /// Embeds the rows of `data`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `n_components` above the number of features or not below
    /// the number of samples, `n_neighbors` not below the number of samples;
    /// [`Error::InvalidData`] for a neighbourhood whose Gram matrix is singular with `reg = 0`;
    /// the errors of the kNN search; [`Error::Numerical`] when the eigensolver fails;
    /// [`Error::Cancelled`].
    pub fn fit(&self, data: FitData<'_>, ctx: &Context) -> Result<LleModel> {
        ctx.install(|| {
            let p = &self.params;
            let x = data.x.f32()?;
            let (n, d, k, dims) = (x.n_rows(), x.n_cols(), p.n_neighbors, p.n_components);
            if dims > d {
                return Err(Error::param(
                    "n_components",
                    dims,
                    format!("must be at most the number of features, {d} (the embedding cannot have more dimensions than the data)"),
                ));
            }
            if k >= n {
                return Err(Error::param("n_neighbors", k, format!("must be less than n_samples = {n}")));
            }
            if dims >= n {
                return Err(Error::param(
                    "n_components",
                    dims,
                    format!("must be less than n_samples = {n} (the null space drops one eigenvector of the n × n matrix M)"),
                ));
            }
            let algorithm = p.neighbors_algorithm.knn_algorithm();
            let knn = knn_graph(&x, &KnnParams { k, metric: Metric::Euclidean, algorithm, seed: ctx.seed, ..KnnParams::default() }, ctx.progress)?;
            ctx.progress.check()?;
            let m = alignment_matrix(&x, &knn, p)?;
            ctx.progress.check()?;
            let (embedding, eigenvalues, solver) = null_space(&m, dims, p, ctx.seed)?;
            drop(m);
            let index = if ctx.keep_data {
                Some(NeighborIndex::new(&x, &knn, &Metric::Euclidean, crate::rng::SeedSource::new(ctx.seed).value(STAGE_INDEX, 0))?)
            } else {
                None
            };
            let mut model = LleModel::new(x.n_cols(), dims, k, p.reg, embedding, eigenvalues, index)?;
            model.set_params(resolved_values(p, &[("eigen_solver", crate::method::params::ParamType::to_value(&solver))]));
            Ok(model)
        })
    }
}

/// The alignment matrix `M` of the [module docs](self) for `x` and its kNN graph, as the
/// sparse operator the eigensolvers take.
///
/// # Errors
/// [`Error::InvalidData`] naming the first row whose regularised Gram matrix is singular.
pub fn alignment_matrix(x: &Data, knn: &KnnGraph, p: &LleParams) -> Result<GraphOperator> {
    let (n, d, k, dims) = (x.n_rows(), x.n_cols(), knn.k(), p.n_components);
    let with_self = matches!(p.method, LleMethod::Standard | LleMethod::Modified);
    let s = k + usize::from(with_self);
    let rows = |i: usize| knn.neighbors(i).0;
    let mut blocks = vec![0.0f64; n * s * s];
    let scratch = || LocalScratch::new(k, d, dims);
    let nev = d.min(k);
    match p.method {
        LleMethod::Standard => {
            let failed: Vec<usize> = blocks
                .par_chunks_mut(s * s)
                .enumerate()
                .map_init(scratch, |sc, (i, block)| {
                    let nb = rows(i);
                    local::standard_block(sc, x.row(i), |j| x.row(nb[j] as usize), p.reg, block).err().map(|LocalError::Singular| i)
                })
                .flatten()
                .collect();
            if let Some(&i) = failed.first() {
                return Err(Error::InvalidData(format!(
                    "the regularised Gram matrix of row {i}'s neighbourhood is singular (its neighbours coincide with it or are collinear); raise reg above {}",
                    p.reg
                )));
            }
        }
        LleMethod::Hessian => {
            blocks.par_chunks_mut(s * s).enumerate().for_each_init(scratch, |sc, (i, block)| {
                let nb = rows(i);
                local::hessian_block(sc, |j| x.row(nb[j] as usize), p.hessian_tol, block);
            });
        }
        LleMethod::Ltsa => {
            blocks.par_chunks_mut(s * s).enumerate().for_each_init(scratch, |sc, (i, block)| {
                let nb = rows(i);
                local::ltsa_block(sc, |j| x.row(nb[j] as usize), block);
            });
        }
        LleMethod::Modified => {
            let rho: Vec<f64> = (0..n)
                .into_par_iter()
                .map_init(
                    || (scratch(), vec![0.0; nev]),
                    |(sc, values), i| {
                        let nb = rows(i);
                        local::modified_spread(sc, x.row(i), |j| x.row(nb[j] as usize), values)
                    },
                )
                .collect();
            let eta = median(rho);
            blocks.par_chunks_mut(s * s).enumerate().for_each_init(scratch, |sc, (i, block)| {
                let nb = rows(i);
                local::modified_block(sc, x.row(i), |j| x.row(nb[j] as usize), nev, eta, p.modified_tol, block);
            });
        }
    }
    if let Some(at) = blocks.iter().position(|v| !v.is_finite()) {
        return Err(Error::InvalidData(format!(
            "the local fit of row {} is not finite (its neighbours coincide with it: duplicate rows); remove duplicates or raise n_neighbors",
            at / (s * s)
        )));
    }
    let sets: Vec<u32> = (0..n)
        .flat_map(|i| {
            let own = if with_self { Some(i as u32) } else { None };
            own.into_iter().chain(rows(i).iter().copied())
        })
        .collect();
    Ok(assemble(n, &sets, s, &blocks))
}

/// NumPy's median: the middle value, or the mean of the two middle values (NaN sorts last).
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { 0.5 * (v[n / 2 - 1] + v[n / 2]) }
}

/// `M = Σ_i P_iᵀ B_i P_i` from the index sets (`n × s`) and blocks (`n × s × s`): each row's
/// contributions gathered in point order, sorted by column (stably) and summed in that order.
pub fn assemble(n: usize, sets: &[u32], s: usize, blocks: &[f64]) -> GraphOperator {
    let mut counts = vec![0usize; n + 1];
    for &r in sets {
        counts[r as usize + 1] += s;
    }
    for i in 0..n {
        counts[i + 1] += counts[i];
    }
    let total = counts[n];
    let mut fill = counts.clone();
    let mut entries: Vec<(u32, f64)> = vec![(0, 0.0); total];
    for (set, block) in sets.chunks_exact(s).zip(blocks.chunks_exact(s * s)) {
        for (a, &r) in set.iter().enumerate() {
            let at = fill[r as usize];
            for (b, &c) in set.iter().enumerate() {
                entries[at + b] = (c, block[a * s + b]);
            }
            fill[r as usize] += s;
        }
    }
    // Per row: stable sort by column, then sum runs in order.
    let rows: Vec<(f64, Vec<u32>, Vec<f64>)> = (0..n)
        .into_par_iter()
        .map(|r| {
            let mut row = entries[counts[r]..counts[r + 1]].to_vec();
            row.sort_by_key(|&(c, _)| c);
            let (mut diag, mut cols, mut vals) = (0.0, Vec::new(), Vec::<f64>::new());
            let mut at = 0;
            while at < row.len() {
                let c = row[at].0;
                let mut sum = 0.0;
                while at < row.len() && row[at].0 == c {
                    sum += row[at].1;
                    at += 1;
                }
                if c as usize == r {
                    diag = sum;
                } else {
                    cols.push(c);
                    vals.push(sum);
                }
            }
            (diag, cols, vals)
        })
        .collect();
    let mut indptr = Vec::with_capacity(n + 1);
    indptr.push(0);
    let (mut indices, mut values, mut diagonal) = (Vec::new(), Vec::new(), Vec::with_capacity(n));
    for (dg, cols, vals) in rows {
        diagonal.push(dg);
        indices.extend(cols);
        values.extend(vals);
        indptr.push(indices.len());
    }
    GraphOperator::from_parts(diagonal, indptr, indices, values)
}

/// The `dims` eigenvectors of `M` after its smallest (row-major `n × dims`, each signed so its
/// largest-magnitude entry is positive), their eigenvalues, and the solver used.
fn null_space(m: &GraphOperator, dims: usize, p: &LleParams, seed: Option<u64>) -> Result<(Vec<f64>, Vec<f64>, EigenSolver)> {
    let n = m.n();
    let options = ShiftInvertOptions { shift: None, extra_vectors: 4, lobpcg: LobpcgOptions { tol: p.tol.max(1e-12), max_iter: p.max_iter } };
    let fits = n > 3 * (dims + options.extra_vectors) + 1;
    let solver = match p.eigen_solver {
        EigenSolver::Auto if n <= AUTO_DENSE_MAX || !fits => EigenSolver::Dense,
        EigenSolver::Auto => EigenSolver::Arpack,
        EigenSolver::Arpack if !fits => EigenSolver::Dense,
        s => s,
    };
    let seed = seed.map(|s| crate::rng::SeedSource::new(Some(s)).value(STAGE_EIGEN, 0));
    let (mut vectors, values) = match solver {
        EigenSolver::Dense => {
            let all = eigsh(m, dims + 1, Which::Smallest, None, Start::Seed(seed), &EigshOptions { dense_max: usize::MAX, ..EigshOptions::default() }, STAGE)?;
            // Drop the first; scikit-learn orders the rest by |λ|.
            let mut order: Vec<usize> = (1..=dims).collect();
            order.sort_by(|&a, &b| all.values[a].abs().total_cmp(&all.values[b].abs()));
            let vectors = (0..n).flat_map(|r| order.iter().map(move |&c| (r, c))).map(|(r, c)| all.vectors[r * (dims + 1) + c]).collect();
            (vectors, order.iter().map(|&c| all.values[c]).collect::<Vec<f64>>())
        }
        _ => {
            let sparse = m.to_sparse();
            let ones = vec![1.0 / (n as f64).sqrt(); n];
            let found =
                eigsh_smallest_shift_invert(sparse.as_ref().transpose(), dims, Some(&ones), Start::Seed(seed), &options, STAGE).map_err(|e| match e {
                    Error::Numerical { stage, message } if message.contains("did not converge") => Error::Numerical {
                        stage,
                        message: format!("{message}; raise max_iter (now {}) or tol (now {:e}), or use eigen_solver=\"dense\"", p.max_iter, p.tol),
                    },
                    e => e,
                })?;
            (found.vectors, found.values)
        }
    };
    for c in 0..dims {
        let mut best = 0.0f64;
        for r in 0..n {
            let v = vectors[r * dims + c];
            if v.abs() > best.abs() {
                best = v;
            }
        }
        if best < 0.0 {
            for r in 0..n {
                vectors[r * dims + c] = -vectors[r * dims + c];
            }
        }
    }
    Ok((vectors, values, solver))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assembly_sums_blocks_in_point_order_and_is_symmetric() {
        // Two points sharing vertex 1: blocks on {0, 1} and {1, 2}.
        let sets = [0u32, 1, 1, 2];
        let blocks = [1.0, -1.0, -1.0, 1.0, 2.0, -2.0, -2.0, 2.0];
        let m = assemble(3, &sets, 2, &blocks).to_dense();
        let want = [[1.0, -1.0, 0.0], [-1.0, 3.0, -2.0], [0.0, -2.0, 2.0]];
        for i in 0..3 {
            for j in 0..3 {
                assert_eq!(m[(i, j)], want[i][j]);
            }
        }
    }

    #[test]
    fn median_as_numpy() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
