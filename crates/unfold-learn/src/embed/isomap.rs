//! Isomap (Tenenbaum, de Silva & Langford, "A global geometric framework for nonlinear
//! dimensionality reduction", 2000), as scikit-learn 1.9's `sklearn.manifold.Isomap`, with
//! landmark Isomap (de Silva & Tenenbaum, 2003) for large data.
//!
//! 1. **Neighbours.** Each point's `n_neighbors` nearest other points under `metric`
//!    (`"minkowski"` with `p = 2` by default, i.e. euclidean), as a distance-weighted graph made
//!    symmetric (scikit-learn's `kneighbors_graph` read with `directed=False`).
//! 2. **Components.** A graph in several pieces is joined as scikit-learn 1.x joins it
//!    (`_fix_connected_components`): for every pair of components, the closest pair of points is
//!    linked by an edge of their distance ([`connect_components`]), with scikit-learn's warning.
//! 3. **Geodesic distances** by Dijkstra from every point ([`all_pairs_shortest_paths`]; `path_method`
//!    `"FW"` and `"D"` give the same distances, so every choice runs Dijkstra).
//! 4. **Kernel PCA** of `G = −½ D²` centred (`KernelCenterer`): the `n_components` largest
//!    eigenpairs `(λ, v)` of `B = −½ J D² J`, eigenvalues checked as scikit-learn's
//!    `_check_psd_eigenvalues` checks them (tiny negative ones set to 0), eigenvectors signed by
//!    `svd_flip`; the embedding is `v √λ`.
//!
//! `transform` is scikit-learn's: a new point's geodesic distance to every training point is
//! `min_j (D_j· + d(x, x_j))` over its `n_neighbors` nearest training points, and the centred
//! kernel row is projected on `v / √λ` ([`LandmarkMds`] with every point a landmark).
//! `reconstruction_error()` is scikit-learn's `√(‖B‖_F² − Σ λ²) / n`.
//!
//! **Landmark mode.** Above [`EXACT_MAX`] points, or with `n_landmarks` given, `m` landmarks are
//! chosen farthest-point first by geodesic distance ([`maxmin_landmarks`], the first from the
//! seed), only their `m × n` geodesic rows are computed, the landmarks are embedded by classical
//! MDS and every point is triangulated from its distances to them ([`LandmarkMds`]), the result
//! centred (de Silva & Tenenbaum's last step, without their optional rotation). Memory is
//! `4 m n` bytes instead of `4 n²`. `dist_matrix_` then holds those `m × n` rows (`landmarks_`
//! names the landmarks), `transform` triangulates new points the same way, and
//! `reconstruction_error()` is the formula above on the landmarks' kernel (`m` in place of `n`).
//!
//! **Differences from scikit-learn.** Distances are `f32` (scikit-learn's `dist_matrix_` is
//! `float32` for `float32` data); `neighbors_algorithm="auto"` is exact up to 4,096 points and
//! NN-descent above (`"brute"`, `"kd_tree"` and `"ball_tree"` are exact searches); the iterative
//! eigensolver (`"arpack"`, and `"auto"` above [`DENSE_EIGEN_MAX`] points) is LOBPCG on `B` held
//! as `f32` rows of `D`, with `tol` its residual tolerance relative to `‖B‖_F` (0 = 1e-5);
//! `radius` neighbourhoods are not offered.

use rayon::prelude::*;

use crate::data::{Data, Embedding};
use crate::error::{Error, Result};
use crate::graph::shortest_paths::{all_pairs_shortest_paths, maxmin_landmarks, shortest_path_rows};
use crate::graph::{SparseGraph, Symmetrization, connect_components, symmetrize};
use crate::io::model::{self, Kind};
use crate::knn::search::NeighborIndex;
use crate::knn::{KnnParams, NeighborsAlgorithm, knn_graph};
use crate::linalg::centred_kernel::{CentredSquares, KernelEigenSolver};
use crate::linalg::mds::{LandmarkMds, double_centre};
use crate::method::params::{ParamKind, ParamType};
use crate::method::{
    Attribute, Capabilities, Context, FitData, Fitted, Input, MethodEntry, Params, Range, Value, declared, params_from, resolved_values, rows_not_kept,
};
use crate::metric::Metric;
use crate::rng::SeedSource;

/// Most points embedded exactly (an `n × n` `f32` matrix, 1.6 GB at this size); above, landmark
/// Isomap with [`DEFAULT_LANDMARKS`] landmarks.
pub const EXACT_MAX: usize = 20_000;
/// Landmarks used above [`EXACT_MAX`] points when `n_landmarks` is not given.
pub const DEFAULT_LANDMARKS: usize = 1000;
/// Up to this many points the automatic eigensolver is dense.
pub const DENSE_EIGEN_MAX: usize = 1500;
/// The iterative solver's tolerance when `tol = 0`.
pub const DEFAULT_TOL: f64 = 1e-5;

/// scikit-learn's warning for a disconnected neighbour graph (with the count).
pub fn disconnected_warning(count: usize) -> String {
    format!(
        "The number of connected components of the neighbors graph is {count} > 1. Completing the graph to fit Isomap might be slow. Increase the number of neighbors to avoid this issue."
    )
}

pub use crate::linalg::eigsh::EigenSolver;

/// `path_method`: scikit-learn's `"auto"`, `"FW"` (Floyd–Warshall) or `"D"` (Dijkstra); all give
/// the same distances and all run Dijkstra here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PathMethod {
    /// scipy's choice.
    Auto,
    /// Floyd–Warshall.
    FloydWarshall,
    /// Dijkstra.
    Dijkstra,
}

impl ParamType for PathMethod {
    const KIND: ParamKind = ParamKind::Choice(&["auto", "FW", "D"]);
    fn from_value(name: &'static str, value: &Value) -> Result<Self> {
        match value {
            Value::Text(t) if t == "auto" => Ok(PathMethod::Auto),
            Value::Text(t) if t == "FW" => Ok(PathMethod::FloydWarshall),
            Value::Text(t) if t == "D" => Ok(PathMethod::Dijkstra),
            v => Err(Error::param(name, v, "must be one of auto, FW, D")),
        }
    }
    fn to_value(&self) -> Value {
        Value::Text(
            match self {
                PathMethod::Auto => "auto",
                PathMethod::FloydWarshall => "FW",
                PathMethod::Dijkstra => "D",
            }
            .into(),
        )
    }
    fn number(&self) -> Option<f64> {
        None
    }
}

crate::method_params! {
    /// Parameters of [`Isomap`]; `Default` = scikit-learn 1.9's.
    pub struct IsomapParams {
        /// Neighbours of each point in the graph (the point itself not counted).
        n_neighbors: Option<usize> = Some(5), flag = "neighbors", range = Range::at_least(1.0);
        /// Radius neighbourhoods (scikit-learn's radius): not offered; must be none.
        radius: Option<f64> = None, range = Range::at_least(0.0);
        /// Output dimensions.
        n_components: usize = 2, flag = "dims", range = Range::at_least(1.0);
        /// auto (dense up to 1,500 points, iterative above), arpack (iterative: LOBPCG) or dense.
        eigen_solver: EigenSolver = EigenSolver::Auto;
        /// Residual tolerance of the iterative eigensolver, relative to the kernel's norm; 0 = 1e-5.
        tol: f64 = 0.0, range = Range::at_least(0.0);
        /// Iterations of the iterative eigensolver at most; none = 1000.
        max_iter: Option<usize> = None, range = Range::at_least(1.0);
        /// Shortest-path method: auto, FW or D (the same distances; Dijkstra is used).
        path_method: PathMethod = PathMethod::Auto;
        /// Neighbour search: auto (exact up to 4,096 points, NN-descent above), brute, kd_tree or ball_tree (exact).
        neighbors_algorithm: NeighborsAlgorithm = NeighborsAlgorithm::Auto;
        /// Input distance: minkowski (with p), euclidean, cosine, manhattan, … or precomputed (the input is a square distance matrix).
        metric: Metric = Metric::Minkowski { p: 2.0 };
        /// Exponent of the minkowski metric (2 = euclidean).
        p: f64 = 2.0, range = Range::at_least(1.0);
        /// Landmarks of landmark Isomap; none = exact up to 20,000 points, 1,000 landmarks above.
        n_landmarks: Option<usize> = None, range = Range::at_least(1.0);
    }
}

/// The method's registration ([`crate::method::methods`]).
pub const ENTRY: MethodEntry = MethodEntry {
    name: "isomap",
    summary: "Isomap: geodesic distances on the kNN graph and kernel PCA, landmark Isomap for large n (scikit-learn's Isomap)",
    specs: <IsomapParams as crate::method::Params>::specs,
    precise: false,
    supervised: false,
    precomputed_knn: false,
    sparse: false,
    fit: |values, data, ctx| Ok(Box::new(Isomap::new(params_from(values)?)?.fit(data, ctx)?)),
    load: |bytes| Ok(Box::new(IsomapModel::from_bytes(bytes)?)),
};

/// The model file kind.
const KIND: Kind = Kind { tag: "isomap", version: 1 };
/// Seed stage of the neighbour index's search tree.
const STAGE_INDEX: u64 = 0x1504_0001;
const STAGE: &str = "Isomap kernel PCA";

/// Isomap with validated parameters.
#[derive(Debug, Clone)]
pub struct Isomap {
    params: IsomapParams,
}

impl Isomap {
    /// Checks the parameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a value out of range, a `radius`, or no `n_neighbors`.
    pub fn new(params: IsomapParams) -> Result<Isomap> {
        params.check_ranges()?;
        if let Some(r) = params.radius {
            return Err(Error::param(
                "radius",
                r,
                "must be none: radius neighbourhoods are not offered; set n_neighbors (the graph of each point's n_neighbors nearest points)",
            ));
        }
        if params.n_neighbors.is_none() {
            return Err(Error::param("n_neighbors", Value::None, "must be a whole number ≥ 1 (radius neighbourhoods are not offered)"));
        }
        Ok(Isomap { params })
    }

    /// The metric the neighbours are searched with: `minkowski` takes its exponent from `p`
    /// (unless the metric's name gave another), and `p = 2` is euclidean.
    fn effective_metric(&self) -> Result<Metric> {
        match self.params.metric {
            Metric::Minkowski { p } => {
                let p = if self.params.p != 2.0 { self.params.p } else { p };
                if p == 2.0 { Ok(Metric::Euclidean) } else { Metric::minkowski(p) }
            }
            ref m => Ok(m.clone()),
        }
    }

    /// Embeds the rows of `data` (with `metric = "precomputed"`, the points whose distances it
    /// holds).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `n_neighbors` ≥ `n_samples`, `n_components` >
    /// `n_samples`, or `n_landmarks` outside `[n_components + 1, n_samples]`;
    /// [`Error::Numerical`] for eigenvalues that are not those of a positive semi-definite
    /// kernel; the errors of the kNN search; [`Error::Cancelled`].
    pub fn fit(&self, data: FitData<'_>, ctx: &Context) -> Result<IsomapModel> {
        ctx.install(|| {
            let p = &self.params;
            let x = data.x.f32()?;
            let (n, k) = (x.n_rows(), p.n_components);
            let n_neighbors = p.n_neighbors.expect("checked in new");
            if n_neighbors >= n {
                return Err(Error::param("n_neighbors", n_neighbors, format!("must be less than n_samples = {n}")));
            }
            if k > n {
                return Err(Error::param("n_components", k, format!("must be at most n_samples = {n}")));
            }
            let landmarks = match p.n_landmarks {
                Some(m) if m <= k || m > n => {
                    return Err(Error::param("n_landmarks", m, format!("must be in [n_components + 1, n_samples] = [{}, {n}]", k + 1)));
                }
                Some(m) => Some(m),
                None if n > EXACT_MAX => Some(DEFAULT_LANDMARKS.min(n)),
                None => None,
            };
            let metric = self.effective_metric()?;
            let algorithm = p.neighbors_algorithm.knn_algorithm();
            let params = KnnParams { k: n_neighbors, metric: metric.clone(), algorithm, seed: ctx.seed, ..KnnParams::default() };
            let knn = knn_graph(&x, &params, ctx.progress)?;
            ctx.progress.check()?;
            let graph = symmetrize(&SparseGraph::from_knn(&knn), Symmetrization::Max)?;
            let mut warnings = Vec::new();
            let (graph, count) = connect(&graph, &x, &metric)?;
            if count > 1 {
                warnings.push(disconnected_warning(count));
            }
            ctx.progress.check()?;
            let fitted = match landmarks {
                None => fit_exact(&graph, n, k, p, ctx)?,
                Some(m) => fit_landmarks(&graph, n, k, m, ctx)?,
            };
            let index = if ctx.keep_data { Some(NeighborIndex::new(&x, &knn, &metric, SeedSource::new(ctx.seed).value(STAGE_INDEX, 0))?) } else { None };
            let mut model = IsomapModel {
                n_samples: n,
                n_features: x.n_cols(),
                n_components: k,
                n_neighbors,
                eigen_solver: fitted.solver,
                landmarks: fitted.landmarks,
                distances: fitted.distances,
                kernel: fitted.kernel,
                kernel_norm_sq: fitted.kernel_norm_sq,
                embedding: fitted.embedding,
                offset: fitted.offset,
                index,
                warnings,
                params: Vec::new(),
            };
            model.check_range()?;
            model.params = resolved_values(p, &Fitted::resolved(&model));
            Ok(model)
        })
    }
}

/// The graph with its components joined, and how many it had.
fn connect(graph: &SparseGraph, x: &Data, metric: &Metric) -> Result<(SparseGraph, usize)> {
    if *metric == Metric::Precomputed {
        let n = x.n_rows();
        let v = x.as_slice();
        return Ok(connect_components(graph, |a, b| v[a * n + b]));
    }
    let prepared = metric.fit(x)?;
    let d = x.n_cols();
    let mapped = prepared.rows(x.as_slice());
    Ok(connect_components(graph, |a, b| prepared.distance(&mapped[a * d..(a + 1) * d], &mapped[b * d..(b + 1) * d])))
}

/// What the two modes of fitting give.
struct Fit {
    solver: EigenSolver,
    landmarks: Option<Vec<u32>>,
    distances: Vec<f32>,
    kernel: LandmarkMds,
    kernel_norm_sq: f64,
    embedding: Vec<f32>,
    offset: Vec<f64>,
}

/// scikit-learn's `_check_psd_eigenvalues` (float64 thresholds) on the largest eigenvalues.
fn check_psd(values: &mut [f64]) -> Result<()> {
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    if max < 0.0 {
        return Err(Error::Numerical {
            stage: STAGE,
            message: format!(
                "All eigenvalues are negative (maximum is {max:e}). Either the matrix is not PSD, or there was an issue while computing the eigendecomposition of the matrix."
            ),
        });
    }
    if min < -1e-5 * max && min < -1e-10 {
        return Err(Error::Numerical {
            stage: STAGE,
            message: format!(
                "There are significant negative eigenvalues ({:e} of the maximum positive). Either the matrix is not PSD, or there was an issue while computing the eigendecomposition of the matrix.",
                -min / max
            ),
        });
    }
    for v in values.iter_mut() {
        if *v < 0.0 || (*v > 0.0 && *v < 1e-12 * max) {
            *v = 0.0;
        }
    }
    Ok(())
}

fn fit_exact(graph: &SparseGraph, n: usize, k: usize, p: &IsomapParams, ctx: &Context) -> Result<Fit> {
    ctx.progress.stage("Isomap geodesic distances", n as u64);
    let distances = all_pairs_shortest_paths(graph, ctx.progress)?;
    ctx.progress.finish_stage();
    ctx.progress.check()?;
    let op = CentredSquares::new(&distances, n);
    let solver = match p.eigen_solver {
        EigenSolver::Auto if n <= DENSE_EIGEN_MAX => EigenSolver::Dense,
        EigenSolver::Auto => EigenSolver::Arpack,
        s => s,
    };
    let how = match solver {
        EigenSolver::Dense => KernelEigenSolver::Dense,
        _ => KernelEigenSolver::Iterative { tol: if p.tol > 0.0 { p.tol } else { DEFAULT_TOL }, max_iter: p.max_iter.unwrap_or(1000) },
    };
    let (mut values, vectors) = op.top_eigenpairs(k, how, STAGE, ctx.progress)?;
    check_psd(&mut values)?;
    let kernel_norm_sq = op.frobenius_sq();
    let row_means = op.row_means().to_vec();
    let total = op.total_mean();
    drop(op);
    let kernel = LandmarkMds::from_eigenpairs(values, vectors, row_means, total);
    let embedding = kernel.landmark_embedding().iter().map(|&v| v as f32).collect();
    Ok(Fit { solver, landmarks: None, distances, kernel, kernel_norm_sq, embedding, offset: vec![0.0; k] })
}

fn fit_landmarks(graph: &SparseGraph, n: usize, k: usize, m: usize, ctx: &Context) -> Result<Fit> {
    let landmarks = maxmin_landmarks(graph, m, ctx.seed)?;
    let mut distances = vec![0.0f32; m * n];
    shortest_path_rows(graph, &landmarks, &mut distances)?;
    ctx.progress.check()?;
    // The landmarks' own distances, symmetrised.
    let mut dm = vec![0.0f64; m * m];
    for a in 0..m {
        for b in 0..m {
            let (x, y) = (distances[a * n + landmarks[b] as usize], distances[b * n + landmarks[a] as usize]);
            dm[a * m + b] = 0.5 * (x as f64 + y as f64);
        }
    }
    let mut kernel = LandmarkMds::fit(&dm, m, k)?;
    check_psd(&mut kernel.eigenvalues)?;
    double_centre(&mut dm, m);
    let kernel_norm_sq = dm.iter().map(|v| v * v).sum();
    let placed = kernel.triangulate(&distances, n);
    // Centred, as de Silva & Tenenbaum's final step (and as the exact embedding is); `transform`
    // shifts new points alike.
    let offset: Vec<f64> = (0..k).map(|c| placed.iter().skip(c).step_by(k).sum::<f64>() / n as f64).collect();
    let embedding = placed.iter().enumerate().map(|(p, &v)| (v - offset[p % k]) as f32).collect();
    Ok(Fit { solver: EigenSolver::Dense, landmarks: Some(landmarks), distances, kernel, kernel_norm_sq, embedding, offset })
}

/// A fitted Isomap.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct IsomapModel {
    n_samples: usize,
    n_features: usize,
    n_components: usize,
    n_neighbors: usize,
    /// The eigensolver used (`auto` resolved).
    eigen_solver: EigenSolver,
    /// Landmark mode: the landmarks, in the order chosen.
    landmarks: Option<Vec<u32>>,
    /// Geodesic distances: `n × n` (exact) or from each landmark, `m × n`.
    distances: Vec<f32>,
    /// The kernel's eigenpairs and means, as a triangulation.
    kernel: LandmarkMds,
    /// `‖B‖_F²` of the (landmark) kernel.
    kernel_norm_sq: f64,
    /// `n × k`, row-major.
    embedding: Vec<f32>,
    /// Subtracted from triangulated points (landmark mode: the mean of the training points'
    /// triangulation; exact: 0).
    offset: Vec<f64>,
    /// The training rows' neighbour index, when the fit kept its data.
    index: Option<NeighborIndex>,
    warnings: Vec<String>,
    #[serde(skip)]
    params: Vec<(&'static str, Value)>,
}

impl IsomapModel {
    fn check_range(&self) -> Result<()> {
        match self.embedding.iter().position(|v| !v.is_finite()) {
            Some(p) => Err(Error::Numerical { stage: STAGE, message: format!("the embedding of row {} is not finite", p / self.n_components) }),
            None => Ok(()),
        }
    }

    /// Whether this is a landmark Isomap.
    pub fn is_landmark(&self) -> bool {
        self.landmarks.is_some()
    }

    /// The landmarks (landmark mode).
    pub fn landmarks(&self) -> Option<&[u32]> {
        self.landmarks.as_deref()
    }

    /// Geodesic distances: `n × n` row-major (exact), or `m × n` from each landmark.
    pub fn dist_matrix(&self) -> &[f32] {
        &self.distances
    }

    /// Rows of [`IsomapModel::dist_matrix`].
    pub fn dist_matrix_rows(&self) -> usize {
        self.landmarks.as_ref().map_or(self.n_samples, Vec::len)
    }

    /// The kernel's `n_components` largest eigenvalues (after the PSD check).
    pub fn eigenvalues(&self) -> &[f64] {
        &self.kernel.eigenvalues
    }

    /// The kernel's eigenvectors (`n × k` exact, `m × k` landmark), row-major.
    pub fn eigenvectors(&self) -> &[f64] {
        &self.kernel.eigenvectors
    }

    /// scikit-learn's `reconstruction_error()`: `√(‖B‖_F² − Σ λ²) / n` (landmark mode: of the
    /// landmarks' kernel, divided by `m`).
    pub fn reconstruction_error(&self) -> f64 {
        let sum_sq: f64 = self.kernel.eigenvalues.iter().map(|l| l * l).sum();
        // Rounding can leave the difference a hair below 0 when the kernel has rank k.
        (self.kernel_norm_sq - sum_sq).max(0.0).sqrt() / self.dist_matrix_rows() as f64
    }

    /// The model file's bytes.
    ///
    /// # Errors
    /// [`Error::InvalidData`] for a model fitted without its training rows.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        if self.index.is_none() {
            return Err(rows_not_kept("this Isomap"));
        }
        model::to_bytes(KIND, &self.params, self)
    }

    /// A model from [`IsomapModel::to_bytes`], checked for consistency.
    ///
    /// # Errors
    /// [`Error::InvalidData`] naming what does not fit ("corrupt model: …").
    pub fn from_bytes(bytes: &[u8]) -> Result<IsomapModel> {
        let (read, mut m): (_, IsomapModel) = model::decode(KIND, bytes)?;
        m.validate().map_err(|what| Error::InvalidData(format!("corrupt model: {what}")))?;
        m.params = declared(&IsomapParams::specs(), read)?;
        Ok(m)
    }

    fn validate(&self) -> std::result::Result<(), String> {
        let (n, k) = (self.n_samples, self.n_components);
        let rows = self.dist_matrix_rows();
        if n == 0 || k == 0 || k > n || n.checked_mul(k) != Some(self.embedding.len()) {
            return Err(format!("the embedding has {} values, not {n} × {k}", self.embedding.len()));
        }
        if let Some(l) = &self.landmarks
            && (l.len() <= k || l.len() > n || l.iter().any(|&v| v as usize >= n))
        {
            return Err(format!("{} landmarks do not fit {n} points and {k} components", l.len()));
        }
        if self.offset.len() != k || self.offset.iter().any(|v| !v.is_finite()) {
            return Err(format!("the offset has {} values, not {k}", self.offset.len()));
        }
        if rows.checked_mul(n) != Some(self.distances.len()) {
            return Err(format!("the distance matrix has {} values, not {rows} × {n}", self.distances.len()));
        }
        let kr = &self.kernel;
        if kr.n_landmarks != rows || kr.n_components != k || kr.eigenvalues.len() != k || kr.eigenvectors.len() != rows * k || kr.mean_sq.len() != rows {
            return Err("the kernel's eigenpairs do not fit the distance matrix".into());
        }
        if self.distances.iter().any(|v| !(*v >= 0.0 && v.is_finite())) || self.embedding.iter().any(|v| !v.is_finite()) {
            return Err("the distances or the embedding hold a value that is not finite".into());
        }
        if kr.eigenvalues.iter().chain(&kr.eigenvectors).chain(&kr.mean_sq).any(|v| !v.is_finite()) || !self.kernel_norm_sq.is_finite() {
            return Err("the kernel holds a value that is not finite".into());
        }
        if self.n_neighbors == 0 || self.n_neighbors >= n {
            return Err(format!("n_neighbors {} does not fit {n} points", self.n_neighbors));
        }
        match &self.index {
            Some(index) if index.n_points() != n => Err(format!("the neighbour index holds {} points, not {n}", index.n_points())),
            Some(index) => index.validate().map_err(|e| e.to_string()),
            None => Err("the model holds no training rows".into()),
        }
    }

    /// scikit-learn's `transform` (see the [module docs](self)).
    fn extend(&self, data: &Data, ctx: &Context) -> Result<Embedding> {
        const CHUNK: usize = 256;
        let index = self.index.as_ref().ok_or_else(|| rows_not_kept("this Isomap"))?;
        let (q, k, nn, n) = (data.n_rows(), self.n_components, self.n_neighbors, self.n_samples);
        let rows = self.dist_matrix_rows();
        let (idx, dist) = index.query(data, nn, ctx.progress)?;
        ctx.progress.check()?;
        let mut out = vec![0.0f32; q * k];
        let d = &self.distances;
        let landmark = self.landmarks.is_some();
        let mut geodesic = vec![0.0f64; CHUNK.min(q) * rows];
        for (c, out_chunk) in out.chunks_mut(CHUNK * k).enumerate() {
            ctx.progress.check()?;
            let first = c * CHUNK;
            let count = out_chunk.len() / k;
            geodesic[..count * rows].par_chunks_mut(rows).enumerate().for_each(|(t, g)| {
                let a = first + t;
                g.fill(f64::INFINITY);
                for (&j, &dj) in idx[a * nn..(a + 1) * nn].iter().zip(&dist[a * nn..(a + 1) * nn]) {
                    let j = j as usize;
                    if landmark {
                        for (l, gl) in g.iter_mut().enumerate() {
                            let v = d[l * n + j] as f64 + dj as f64;
                            if v < *gl {
                                *gl = v;
                            }
                        }
                    } else {
                        for (gl, &v) in g.iter_mut().zip(&d[j * n..(j + 1) * n]) {
                            let v = v as f64 + dj as f64;
                            if v < *gl {
                                *gl = v;
                            }
                        }
                    }
                }
                g.iter_mut().for_each(|v| *v *= *v);
            });
            let placed = self.kernel.place_rows(&geodesic[..count * rows]);
            for (p, (o, v)) in out_chunk.iter_mut().zip(placed).enumerate() {
                *o = (v - self.offset[p % k]) as f32;
            }
        }
        if let Some(p) = out.iter().position(|v| !v.is_finite()) {
            return Err(Error::Numerical { stage: "Isomap transform", message: format!("the embedding of row {} of the new data is not finite", p / k) });
        }
        Data::from_vec(out, q, k)
    }
}

impl Fitted for IsomapModel {
    fn method(&self) -> &'static str {
        ENTRY.name
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities { embedding: true, transform: self.index.is_some(), inverse_transform: false, save: self.index.is_some() }
    }

    fn n_components(&self) -> usize {
        self.n_components
    }

    fn n_features(&self) -> usize {
        self.n_features
    }

    fn embedding(&self) -> Option<Data<'_>> {
        Some(Data::from_trusted_slice(&self.embedding, self.n_samples, self.n_components))
    }

    fn transform(&self, data: Input<'_>, ctx: &Context) -> Result<Embedding> {
        let x = data.f32()?;
        ctx.install(|| self.extend(&x, ctx))
    }

    fn resolved(&self) -> Vec<(&'static str, Value)> {
        let mut out = vec![("eigen_solver", EigenSolver::to_value(&self.eigen_solver))];
        if let Some(l) = &self.landmarks {
            out.push(("n_landmarks", Value::Int(l.len() as i64)));
        }
        out
    }

    /// The small attributes; `dist_matrix_` (`n × n`) is read on demand
    /// ([`IsomapModel::dist_matrix`]), not copied here.
    fn attributes(&self) -> Vec<Attribute> {
        let (n, k) = (self.n_samples, self.n_components);
        let mut out = vec![
            Attribute::matrix("embedding_", self.embedding.iter().map(|&v| v as f64).collect(), n, k),
            Attribute::vector("eigenvalues_", self.kernel.eigenvalues.clone()),
            Attribute::scalar("reconstruction_error_", self.reconstruction_error()),
        ];
        if let Some(l) = &self.landmarks {
            out.push(Attribute::vector("landmarks_", l.iter().map(|&v| v as f64).collect()));
        }
        out
    }

    fn to_bytes(&self) -> Result<Vec<u8>> {
        IsomapModel::to_bytes(self)
    }

    fn warnings(&self) -> &[String] {
        &self.warnings
    }

    fn params(&self) -> Vec<(&'static str, Value)> {
        self.params.clone()
    }
}
