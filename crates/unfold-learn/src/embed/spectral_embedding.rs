//! Laplacian eigenmaps (Belkin & Niyogi, 2003), as scikit-learn's
//! `sklearn.manifold.SpectralEmbedding` computes them.
//!
//! 1. **Affinity** `A` (`affinity`):
//!    * `nearest_neighbors` (default): the kNN connectivity graph with each point counted among
//!      its own `n_neighbors` (`None` = `max(⌊n/10⌋, 1)`, scikit-learn's `n_neighbors_`), entries 1,
//!      symmetrised as `(A + Aᵀ)/2` ([`symmetrize`] with `Mean`), so mutual neighbours weigh 1
//!      and one-sided ones 0.5. Neighbours are exact (all pairs) up to 4,096 points or when
//!      more than 100 are asked for, as scikit-learn's; above, NN-descent (approximate).
//!    * `rbf`: the dense `exp(−γ‖x_i − x_j‖²)`, `gamma` `None` = `1/n_features`; refused above
//!      [`DENSE_MAX_ROWS`] rows (the matrix alone is `n²` doubles).
//!    * `precomputed`: the data is the `n × n` affinity itself (non-negative, symmetrised as
//!      `(A + Aᵀ)/2` with scikit-learn's warning when it is not symmetric). A dense one has the
//!      same size limit; a sparse one ([`SpectralEmbedding::fit_sparse`]) stays sparse, at any
//!      size.
//!
//!    Sparse rows work with every affinity: kNN on sparse rows, and `rbf`'s distances summed
//!    over the union of the two rows' stored columns.
//! 2. **Laplacian.** The degrees exclude `A`'s diagonal (`d_i = Σ_{j≠i} A_ij`, 0 read as 1, as
//!    SciPy's `laplacian(normed=True)`), `L = I − D^{-1/2} A D^{-1/2}` with unit diagonal.
//! 3. **Eigenvectors.** The `n_components + 1` smallest eigenpairs of `L` are the largest of
//!    `M = I − L` ([`eigsh`], dense up to 2,000 rows, LOBPCG above with residual 1e-5);
//!    scikit-learn uses ARPACK in shift-invert mode. Each vector `v` becomes `u = v / √d`, its
//!    sign makes its largest-magnitude entry positive (`_deterministic_vector_sign_flip`), and
//!    the first (constant on a connected graph) is dropped unless `drop_first` is false (the
//!    parameter of scikit-learn's `spectral_embedding` function; its class always drops): equal
//!    to scikit-learn's output up to the eigensolver's accuracy whenever the eigenvalues are
//!    distinct.
//!
//! A disconnected graph gives scikit-learn's warning, "Graph is not fully connected, spectral
//! embedding may not work as expected.", and the embedding mixes the components' indicator
//! vectors, as scikit-learn's does. There is no `transform` (scikit-learn has none).
//! scikit-learn's `eigen_solver` and `eigen_tol` choose among ARPACK, LOBPCG and AMG, which this
//! crate does not have; they are not parameters here.

use rayon::prelude::*;

use faer::Mat;

use crate::data::{Data, SparseData};
use crate::error::{Error, Result};
use crate::graph::{SparseGraph, Symmetrization, connected_components, normalized_adjacency, symmetrize};
use crate::io::model::{self, Kind};
use crate::knn::KnnAlgorithm;
use crate::linalg::eigsh::{EigshOptions, Start, SymmetricOperator, Which, eigsh};
use crate::linalg::lobpcg::LobpcgOptions;
use crate::method::{Attribute, Capabilities, Context, FitRows, Fitted, Input, MethodEntry, Params, Range, Value, declared, params_from, resolved_values};

/// The affinity of [`SpectralEmbeddingParams::affinity`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Affinity {
    /// The symmetrised kNN connectivity graph.
    NearestNeighbors,
    /// The Gaussian kernel `exp(−γ‖x − y‖²)`.
    Rbf,
    /// The data is the affinity matrix.
    Precomputed,
}
crate::choice_param!(Affinity { NearestNeighbors = "nearest_neighbors", Rbf = "rbf", Precomputed = "precomputed" });

crate::method_params! {
    /// Parameters of [`SpectralEmbedding`]; `Default` = scikit-learn's.
    pub struct SpectralEmbeddingParams {
        /// Output dimensions.
        n_components: usize = 2, flag = "dims", range = Range::at_least(1.0);
        /// nearest_neighbors (kNN connectivity graph), rbf (dense Gaussian kernel) or precomputed (the input is a square affinity matrix).
        affinity: Affinity = Affinity::NearestNeighbors;
        /// Kernel coefficient of rbf; none = 1/n_features.
        gamma: Option<f64> = None, range = Range::at_least(0.0);
        /// Neighbours of nearest_neighbors, the point itself included; none = max(n_samples/10, 1).
        n_neighbors: Option<usize> = None, flag = "neighbors", range = Range::at_least(1.0);
        /// Drop the first eigenvector (constant on a connected graph), as scikit-learn's class always does; false keeps it, as its spectral_embedding(drop_first=False).
        drop_first: bool = true;
    }
}

/// The method's registration ([`crate::method::methods`]).
pub const ENTRY: MethodEntry = MethodEntry {
    name: "spectral",
    summary: "Laplacian eigenmaps (scikit-learn's SpectralEmbedding)",
    specs: <SpectralEmbeddingParams as crate::method::Params>::specs,
    precise: false,
    supervised: false,
    precomputed_knn: false,
    sparse: true,
    fit: |values, data, ctx| {
        let method = SpectralEmbedding::new(params_from(values)?)?;
        Ok(Box::new(match data.x {
            Input::Sparse(x) => method.fit_sparse(x, ctx)?,
            x => method.fit(&x.f32()?, ctx)?,
        }))
    },
    load: |bytes| Ok(Box::new(SpectralEmbeddingModel::from_bytes(bytes)?)),
};

/// The model file kind.
const KIND: Kind = Kind { tag: "spectral", version: 1 };

/// Most rows of a dense affinity (`rbf`, `precomputed`): its `n²` doubles take 800 MB here.
pub const DENSE_MAX_ROWS: usize = 10_000;

/// Most rows for which the model keeps `affinity_matrix_` (`n²` doubles, 8 MB here).
pub const AFFINITY_KEEP_MAX_ROWS: usize = 1_000;

/// Above this many neighbours the search is exact whatever the number of points.
const EXACT_ABOVE_NEIGHBORS: usize = 100;

const STAGE: &str = "spectral embedding (Laplacian eigenvectors)";

/// scikit-learn's warning for a disconnected affinity graph.
pub const DISCONNECTED_WARNING: &str = "Graph is not fully connected, spectral embedding may not work as expected.";

/// scikit-learn's warning (from `check_symmetric`) for a precomputed affinity that is not symmetric.
pub const ASYMMETRIC_WARNING: &str = "Array is not symmetric, and will be converted to symmetric by average with its transpose.";

/// Laplacian eigenmaps with validated parameters.
#[derive(Debug, Clone)]
pub struct SpectralEmbedding {
    params: SpectralEmbeddingParams,
}

/// The affinity as the fit builds it: sparse with its diagonal (kNN), or dense.
enum AffinityMatrix {
    Sparse(SparseGraph),
    Dense(Mat<f64>),
}

impl SpectralEmbedding {
    /// Checks the parameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a value out of range.
    pub fn new(params: SpectralEmbeddingParams) -> Result<SpectralEmbedding> {
        params.check_ranges()?;
        Ok(SpectralEmbedding { params })
    }

    /// Embeds `data` (with `affinity = precomputed`, the square affinity matrix).
    ///
    /// # Errors
    /// [`Error::InvalidData`] for fewer than `n_components + 1` rows (`n_components` with
    /// `drop_first` false), a dense affinity above [`DENSE_MAX_ROWS`] rows, or a precomputed
    /// affinity that is not square or holds a negative value (named by row and column);
    /// [`Error::InvalidParameter`] for `n_neighbors` above the number of rows;
    /// [`Error::Numerical`] if the eigensolver fails; [`Error::Cancelled`].
    pub fn fit(&self, data: &Data, ctx: &Context) -> Result<SpectralEmbeddingModel> {
        self.fit_rows(FitRows::Dense(data), ctx)
    }

    /// Embeds sparse rows: with `affinity = precomputed`, a sparse affinity matrix, which is
    /// never made dense (no size limit); otherwise data rows, as [`SpectralEmbedding::fit`].
    ///
    /// # Errors
    /// As [`SpectralEmbedding::fit`].
    pub fn fit_sparse(&self, x: &SparseData, ctx: &Context) -> Result<SpectralEmbeddingModel> {
        self.fit_rows(FitRows::Sparse(x), ctx)
    }

    fn fit_rows(&self, data: FitRows, ctx: &Context) -> Result<SpectralEmbeddingModel> {
        ctx.install(|| {
            let p = &self.params;
            let (n, d, k) = (data.n_rows(), data.n_cols(), p.n_components);
            let width = k + usize::from(p.drop_first);
            if n < width {
                let need = if p.drop_first { "n_components + 1" } else { "n_components" };
                return Err(Error::InvalidData(format!(
                    "n_samples = {n} is too few for n_components = {k}: the spectral embedding needs at least {need} samples"
                )));
            }
            let mut warnings = Vec::new();
            let (mut n_neighbors, mut gamma) = (None, None);
            let affinity = match p.affinity {
                Affinity::NearestNeighbors => {
                    let nn = p.n_neighbors.unwrap_or((n / 10).max(1));
                    if nn > n {
                        return Err(Error::param("n_neighbors", nn, format!("must be at most n_samples ({n})")));
                    }
                    n_neighbors = Some(nn);
                    AffinityMatrix::Sparse(connectivity_graph(data, nn, ctx)?)
                }
                Affinity::Rbf => {
                    check_dense_size(n, "rbf")?;
                    let g = p.gamma.unwrap_or(1.0 / d as f64);
                    gamma = Some(g);
                    AffinityMatrix::Dense(rbf_affinity(data, g))
                }
                Affinity::Precomputed => {
                    let (a, symmetric) = match data {
                        FitRows::Dense(data) => {
                            check_dense_size(n, "precomputed")?;
                            let (a, symmetric) = precomputed_affinity(data)?;
                            (AffinityMatrix::Dense(a), symmetric)
                        }
                        FitRows::Sparse(x) => {
                            let (a, symmetric) = precomputed_sparse_affinity(x)?;
                            (AffinityMatrix::Sparse(a), symmetric)
                        }
                    };
                    if !symmetric {
                        warnings.push(ASYMMETRIC_WARNING.to_string());
                    }
                    a
                }
            };
            ctx.progress.check()?;
            let kept = (n <= AFFINITY_KEEP_MAX_ROWS).then(|| affinity_dense(&affinity));
            let (embedding, connected) = laplacian_eigenmap(affinity, k, p.drop_first, ctx.seed)?;
            if !connected {
                warnings.insert(0, DISCONNECTED_WARNING.to_string());
            }
            let mut model = SpectralEmbeddingModel {
                n_samples: n,
                n_features: d,
                n_components: k,
                embedding,
                affinity: kept,
                n_neighbors,
                gamma,
                warnings,
                params: Vec::new(),
            };
            model.params = resolved_values(p, &Fitted::resolved(&model));
            Ok(model)
        })
    }
}

fn check_dense_size(n: usize, affinity: &str) -> Result<()> {
    if n > DENSE_MAX_ROWS {
        return Err(Error::InvalidData(format!(
            "affinity=\"{affinity}\" builds a dense n_samples × n_samples matrix, refused above {DENSE_MAX_ROWS} samples (the data has {n}); use affinity=\"nearest_neighbors\""
        )));
    }
    Ok(())
}

/// The kNN connectivity graph ([`crate::graph::spectral_clustering`]'s): exact neighbours
/// past [`EXACT_ABOVE_NEIGHBORS`] of them.
fn connectivity_graph(data: FitRows, n_neighbors: usize, ctx: &Context) -> Result<SparseGraph> {
    let algorithm = if n_neighbors - 1 > EXACT_ABOVE_NEIGHBORS { KnnAlgorithm::Exact } else { KnnAlgorithm::Auto };
    crate::graph::spectral_clustering::connectivity(data, n_neighbors, algorithm, ctx.seed, ctx.progress)
}

/// `exp(−γ‖x_i − x_j‖²)` with squared distances summed in `f64`, row by row.
fn rbf_affinity(data: FitRows, gamma: f64) -> Mat<f64> {
    let n = data.n_rows();
    let sq_dist = |i: usize, j: usize| -> f64 {
        match data {
            FitRows::Dense(data) => data.row(i).iter().zip(data.row(j)).map(|(&a, &b)| (a as f64 - b as f64).powi(2)).sum(),
            FitRows::Sparse(x) => sparse_sq_dist(x.row(i), x.row(j)),
        }
    };
    let mut values = vec![0.0f64; n * n];
    values.par_chunks_mut(n.max(1)).enumerate().for_each(|(i, row)| {
        for (j, v) in row.iter_mut().enumerate() {
            *v = (-gamma * sq_dist(i, j)).exp();
        }
    });
    Mat::from_fn(n, n, |i, j| values[i * n + j])
}

/// `‖a − b‖²` of two sparse rows (sorted column indices), summed in `f64` over the union of
/// their columns: exact where `‖a‖² + ‖b‖² − 2a·b` would cancel.
fn sparse_sq_dist((ia, va): (&[u32], &[f32]), (ib, vb): (&[u32], &[f32])) -> f64 {
    let (mut p, mut q, mut sum) = (0, 0, 0.0f64);
    while p < ia.len() || q < ib.len() {
        let d = if q == ib.len() || (p < ia.len() && ia[p] < ib[q]) {
            p += 1;
            va[p - 1] as f64
        } else if p == ia.len() || ib[q] < ia[p] {
            q += 1;
            vb[q - 1] as f64
        } else {
            p += 1;
            q += 1;
            va[p - 1] as f64 - vb[q - 1] as f64
        };
        sum += d * d;
    }
    sum
}

/// A sparse square affinity as a graph, explicit zeros dropped, symmetrised as `(A + Aᵀ)/2`
/// when it is not symmetric (returned with `false`).
fn precomputed_sparse_affinity(x: &SparseData) -> Result<(SparseGraph, bool)> {
    let (n, d) = (x.n_rows(), x.n_cols());
    if n != d {
        return Err(Error::InvalidData(format!("affinity=\"precomputed\" needs a square affinity matrix, but the data has {n} rows and {d} columns")));
    }
    if let Some(pos) = x.values().iter().position(|&v| v < 0.0) {
        let row = x.indptr().partition_point(|&start| start <= pos) - 1;
        return Err(Error::InvalidData(format!(
            "affinity=\"precomputed\": row {row}, column {} holds {}, but affinities must be non-negative",
            x.indices()[pos],
            x.values()[pos]
        )));
    }
    let mut a = SparseGraph::from_parts(n, x.indptr().to_vec(), x.indices().to_vec(), x.values().to_vec())?;
    a.retain(|_, _, w| w != 0.0);
    if a.is_symmetric() { Ok((a, true)) } else { Ok((symmetrize(&a, Symmetrization::Mean)?, false)) }
}

/// The data as a square, non-negative affinity, symmetrised as `(A + Aᵀ)/2` when it is not
/// symmetric (returned with `false`).
fn precomputed_affinity(data: &Data) -> Result<(Mat<f64>, bool)> {
    let (n, d) = (data.n_rows(), data.n_cols());
    if n != d {
        return Err(Error::InvalidData(format!("affinity=\"precomputed\" needs a square affinity matrix, but the data has {n} rows and {d} columns")));
    }
    if let Some(pos) = data.as_slice().iter().position(|&v| v < 0.0) {
        return Err(Error::InvalidData(format!(
            "affinity=\"precomputed\": row {}, column {} holds {}, but affinities must be non-negative",
            pos / n,
            pos % n,
            data.as_slice()[pos]
        )));
    }
    let a = |i: usize, j: usize| data.row(i)[j] as f64;
    let symmetric = (0..n).all(|i| (0..i).all(|j| a(i, j) == a(j, i)));
    Ok((Mat::from_fn(n, n, |i, j| if symmetric { a(i, j) } else { 0.5 * (a(i, j) + a(j, i)) }), symmetric))
}

/// The affinity written out densely, diagonal included, as scikit-learn's `affinity_matrix_`.
fn affinity_dense(a: &AffinityMatrix) -> Vec<f64> {
    match a {
        AffinityMatrix::Dense(m) => (0..m.nrows()).flat_map(|i| (0..m.ncols()).map(move |j| m[(i, j)])).collect(),
        AffinityMatrix::Sparse(g) => {
            let n = g.n_points();
            let mut out = vec![0.0; n * n];
            for (i, (cols, w)) in g.rows().enumerate() {
                for (&j, &w) in cols.iter().zip(w) {
                    out[i * n + j as usize] = w as f64;
                }
            }
            out
        }
    }
}

/// Steps 2 and 3 of the [module docs](self): the `n × k` embedding in `f32`, and whether the
/// graph is connected. The affinity is consumed, so that its memory is freed once the operator
/// is built (on MNIST's first 10,000 rows the kNN graph holds 15 million entries).
fn laplacian_eigenmap(affinity: AffinityMatrix, k: usize, drop_first: bool, seed: Option<u64>) -> Result<(Vec<f32>, bool)> {
    let width = k + usize::from(drop_first);
    let options = EigshOptions { shift: 1.0, lobpcg: LobpcgOptions { tol: 1e-5, max_iter: 2000 }, ..EigshOptions::default() };
    let (found, degree, connected) = match affinity {
        AffinityMatrix::Sparse(mut off) => {
            off.retain(|i, j, w| j as usize != i && w != 0.0);
            let connected = connected_components(&off).0 == 1;
            let (m, degree) = (normalized_adjacency(&off), off.degrees());
            drop(off);
            (eigsh(&m, width, Which::Largest, None, Start::Seed(seed), &options, STAGE)?, degree, connected)
        }
        AffinityMatrix::Dense(a) => {
            let n = a.nrows();
            let degree: Vec<f64> = (0..n).map(|i| (0..n).filter(|&j| j != i).map(|j| a[(i, j)]).sum()).collect();
            let s: Vec<f64> = degree.iter().map(|&d| if d > 0.0 { 1.0 / d.sqrt() } else { 0.0 }).collect();
            let connected = dense_connected(&a);
            let m = Mat::from_fn(n, n, |i, j| if i == j { 0.0 } else { a[(i, j)] * s[i] * s[j] });
            drop(a);
            (eigsh(&m as &dyn SymmetricOperator, width, Which::Largest, None, Start::Seed(seed), &options, STAGE)?, degree, connected)
        }
    };
    let n = degree.len();
    let skip = width - k;
    let dd: Vec<f64> = degree.iter().map(|&d| if d > 0.0 { d.sqrt() } else { 1.0 }).collect();
    let mut out = vec![0.0f32; n * k];
    for c in skip..width {
        let u = |i: usize| found.vectors[i * width + c] / dd[i];
        // The first entry of largest magnitude decides the sign (numpy's argmax).
        let top = (0..n).fold(0, |best, i| if u(i).abs() > u(best).abs() { i } else { best });
        let sign = if u(top) < 0.0 { -1.0 } else { 1.0 };
        for i in 0..n {
            out[i * k + c - skip] = (sign * u(i)) as f32;
        }
    }
    Ok((out, connected))
}

/// Whether the graph of the non-zero off-diagonal entries of `a` is connected (breadth-first).
fn dense_connected(a: &Mat<f64>) -> bool {
    let n = a.nrows();
    let mut seen = vec![false; n];
    let mut queue = vec![0usize];
    seen[0] = true;
    let mut count = 1;
    while let Some(i) = queue.pop() {
        for j in 0..n {
            if !seen[j] && j != i && (a[(i, j)] != 0.0 || a[(j, i)] != 0.0) {
                seen[j] = true;
                count += 1;
                queue.push(j);
            }
        }
    }
    count == n
}

/// A fitted spectral embedding.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SpectralEmbeddingModel {
    n_samples: usize,
    n_features: usize,
    n_components: usize,
    /// Row-major `n_samples × n_components`.
    embedding: Vec<f32>,
    /// `affinity_matrix_`, row-major `n × n`, kept up to [`AFFINITY_KEEP_MAX_ROWS`] rows.
    affinity: Option<Vec<f64>>,
    n_neighbors: Option<usize>,
    gamma: Option<f64>,
    warnings: Vec<String>,
    #[serde(skip)]
    params: Vec<(&'static str, Value)>,
}

impl SpectralEmbeddingModel {
    /// The embedding, `n_samples × n_components`.
    pub fn embedding(&self) -> Data<'_> {
        Data::from_trusted_slice(&self.embedding, self.n_samples, self.n_components)
    }

    /// The model file's bytes.
    ///
    /// # Errors
    /// Only if serialisation fails, which it does not for this type.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        model::to_bytes(KIND, &self.params, self)
    }

    /// A model from [`SpectralEmbeddingModel::to_bytes`], checked for consistency.
    ///
    /// # Errors
    /// [`Error::InvalidData`] naming what does not fit ("corrupt model: …").
    pub fn from_bytes(bytes: &[u8]) -> Result<SpectralEmbeddingModel> {
        let (read, mut m): (_, SpectralEmbeddingModel) = model::decode(KIND, bytes)?;
        m.validate().map_err(|what| Error::InvalidData(format!("corrupt model: {what}")))?;
        m.params = declared(&SpectralEmbeddingParams::specs(), read)?;
        Ok(m)
    }

    fn validate(&self) -> std::result::Result<(), String> {
        let (n, k) = (self.n_samples, self.n_components);
        if n == 0 || k == 0 || self.n_features == 0 || n.checked_mul(k) != Some(self.embedding.len()) {
            return Err(format!(
                "the spectral model's arrays do not fit together: an embedding of {} values for {n} samples × {k} components ({} features)",
                self.embedding.len(),
                self.n_features
            ));
        }
        if let Some(i) = self.embedding.iter().position(|v| !v.is_finite()) {
            return Err(format!("the embedding holds a value that is not finite at index {i}"));
        }
        if let Some(a) = &self.affinity {
            if n.checked_mul(n) != Some(a.len()) {
                return Err(format!("the spectral model's arrays do not fit together: the affinity matrix has {} values for {n} samples", a.len()));
            }
            if let Some(i) = a.iter().position(|v| !(v.is_finite() && *v >= 0.0)) {
                return Err(format!("the affinity matrix holds {} at index {i}, not a finite non-negative number", a[i]));
            }
        }
        Ok(())
    }
}

impl Fitted for SpectralEmbeddingModel {
    fn method(&self) -> &'static str {
        ENTRY.name
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities { embedding: true, transform: false, inverse_transform: false, save: true }
    }

    fn n_components(&self) -> usize {
        self.n_components
    }

    fn n_features(&self) -> usize {
        self.n_features
    }

    fn embedding(&self) -> Option<Data<'_>> {
        Some(SpectralEmbeddingModel::embedding(self))
    }

    fn attributes(&self) -> Vec<Attribute> {
        let n = self.n_samples;
        let mut out = Vec::new();
        if let Some(a) = &self.affinity {
            out.push(Attribute::matrix("affinity_matrix_", a.clone(), n, n));
        }
        if let Some(k) = self.n_neighbors {
            out.push(Attribute::scalar("n_neighbors_", k as f64));
        }
        if let Some(g) = self.gamma {
            out.push(Attribute::scalar("gamma_", g));
        }
        out
    }

    fn resolved(&self) -> Vec<(&'static str, Value)> {
        let mut out = Vec::new();
        if let Some(k) = self.n_neighbors {
            out.push(("n_neighbors", Value::Int(k as i64)));
        }
        if let Some(g) = self.gamma {
            out.push(("gamma", Value::Float(g)));
        }
        out
    }

    fn to_bytes(&self) -> Result<Vec<u8>> {
        SpectralEmbeddingModel::to_bytes(self)
    }

    fn params(&self) -> Vec<(&'static str, Value)> {
        self.params.clone()
    }

    fn warnings(&self) -> &[String] {
        &self.warnings
    }
}
