//! Diffusion maps (Coifman & Lafon, "Diffusion maps", 2006), with pyDiffMap's kernel and
//! automatic bandwidth.
//!
//! 1. **Neighbours.** Each point's `n_neighbors` nearest points, itself included (pyDiffMap's
//!    `k = 64`; capped at the number of points, as pyDiffMap caps it), under `metric`: exact
//!    (all pairs, as pyDiffMap's scikit-learn search) up to `7 k²` points
//!    ([`exact_is_faster`]), NN-descent above.
//! 2. **Kernel.** `K_ij = exp(−s_ij / (4ε))` on those pairs, with `s_ij = d_ij²` (fixed
//!    bandwidth) or, with `adaptive_k = m`, `s_ij = d_ij² / (σ_i σ_j)` where `σ_i` is the
//!    distance from point `i` to its `m`-th nearest other point (the self-tuning kernel of
//!    Zelnik-Manor & Perona). The directed kernel is symmetrised as `max(K, Kᵀ)` (pyDiffMap's
//!    "or"); self-affinities are 1.
//! 3. **Bandwidth** `epsilon`: a number, or `"bgh"` (Berry, Giannakis & Harlim 2015, as
//!    pyDiffMap): over `ε = 2⁻⁴⁰ … 2⁴⁰` the one where `ln Σ exp(−s/(4ε))` (over the `n ×
//!    n_neighbors` directed pairs, self-pairs included) grows fastest in `ln ε`, the lower end of
//!    the steepest step; twice the steepest slope, rounded, estimates the intrinsic dimension
//!    (`dimension_`). `"bgh_generous"` doubles that `ε`.
//! 4. **Operator.** α-normalisation and the Markov matrix `P` of
//!    [`DiffusionOperator`](crate::graph::DiffusionOperator) (`alpha`: 0, ½ (default, as
//!    pyDiffMap), 1 or between), its `n_components` largest eigenvalues after the trivial one
//!    (`eigenvalues_`), and their right eigenvectors `ψ_k`, orthonormal in `ℓ²(π)` and signed so
//!    that the largest-magnitude entry is positive.
//! 5. **Embedding**: the diffusion coordinates `Ψ_t(i) = (λ_k^t ψ_k(i))_k` at diffusion time `t`
//!    (default 1; `t = 0` gives the eigenvectors themselves).
//!
//! `transform` places new points by the Nyström extension: their kernel values to their
//! `n_neighbors` nearest training points (scaled by their own `σ` with `adaptive_k`), the
//! α-normalised Markov row `p(y, ·)`, and `Ψ_t(y)_k = λ_k^{t−1} Σ_j p(y, j) ψ_k(x_j)`. A new
//! row equal to a training row gets that row's coordinates (the extension of a training point
//! from its own, unsymmetrised, kernel row would only approximate them); pyDiffMap does the same
//! when the whole new array equals the training data.
//!
//! Against pyDiffMap (`DiffusionMap.from_sklearn`): the eigenvalues are those of `P`, where
//! pyDiffMap reports those of its generator `L = (P − I)/ε` (`λ_P = 1 + ε λ_L`); its `evecs` are
//! the same right eigenvectors scaled to unit euclidean norm, and its `dmap` scales them by
//! `√(−1/λ_L)`, not by `λ^t`. Its out-of-sample extension leaves out the `1/λ_k` factor of
//! Nyström's formula; this one keeps it, so that a training point's extension from its own
//! kernel row reproduces its coordinates. pyDiffMap's variable-bandwidth kernels (density
//! estimates raised to a power), weight and density functions are not offered; `adaptive_k` is
//! this crate's k-th-neighbour bandwidth. A disconnected kernel graph gives a warning, and so
//! does a graph connected only by negligible weights (a bandwidth too small for the data, where
//! pyDiffMap's ARPACK solve fails to converge): its
//! eigenvalue 1 is repeated and the leading coordinates are the components' indicators.
//!
//! The kernel is sparse (`n × n_neighbors` pairs) and no `n × n` matrix is ever formed; the
//! eigenpairs are dense up to 2,000 points and LOBPCG above (deterministic at any thread count).

use crate::data::{Data, Embedding};
use crate::error::{Error, Result};
use crate::graph::diffusion::nystrom_weights;
use crate::graph::{DiffusionOperator, SparseGraph, Symmetrization, connected_components, symmetrize};
use crate::io::model::{self, Kind};
use crate::knn::search::NeighborIndex;
use crate::knn::{KnnAlgorithm, KnnGraph, KnnParams, exact_is_faster, knn_graph};
use crate::linalg::eigsh::EigshOptions;
use crate::linalg::lobpcg::LobpcgOptions;
use crate::method::params::{ParamKind, ParamType};
use crate::method::{
    Attribute, Capabilities, Context, FitData, Fitted, Input, MethodEntry, Params, Range, Value, declared, params_from, resolved_values, rows_not_kept,
};
use crate::metric::Metric;
use rayon::prelude::*;

/// The bandwidth `ε` of the kernel `exp(−s / (4ε))`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Epsilon {
    /// Berry, Giannakis & Harlim's choice (see the [module docs](self)).
    Bgh,
    /// Twice [`Epsilon::Bgh`].
    BghGenerous,
    /// A given positive value.
    Fixed(f64),
}

impl ParamType for Epsilon {
    const KIND: ParamKind = ParamKind::Other("float | Literal[\"bgh\", \"bgh_generous\"]");
    fn from_value(name: &'static str, value: &Value) -> Result<Self> {
        match value {
            Value::Text(t) if t.eq_ignore_ascii_case("bgh") => Ok(Epsilon::Bgh),
            Value::Text(t) if t.eq_ignore_ascii_case("bgh_generous") => Ok(Epsilon::BghGenerous),
            Value::Float(f) => Ok(Epsilon::Fixed(*f)),
            Value::Int(i) => Ok(Epsilon::Fixed(*i as f64)),
            v => Err(Error::param(name, v, "must be a positive number, \"bgh\" or \"bgh_generous\"")),
        }
    }
    fn to_value(&self) -> Value {
        match self {
            Epsilon::Bgh => Value::Text("bgh".into()),
            Epsilon::BghGenerous => Value::Text("bgh_generous".into()),
            Epsilon::Fixed(f) => Value::Float(*f),
        }
    }
    fn number(&self) -> Option<f64> {
        match self {
            Epsilon::Fixed(f) => Some(*f),
            _ => None,
        }
    }
}

crate::method_params! {
    /// Parameters of [`DiffusionMap`]; `Default` = pyDiffMap's where it has them.
    pub struct DiffusionMapParams {
        /// Output dimensions: the diffusion coordinates after the trivial one.
        n_components: usize = 2, flag = "dims", range = Range::at_least(1.0);
        /// Neighbours in each point's kernel row, the point itself included (pyDiffMap's k); capped at n_samples.
        n_neighbors: usize = 64, flag = "neighbors", range = Range::at_least(2.0);
        /// Kernel bandwidth ε of exp(-d²/(4ε)): a positive number, bgh (Berry-Giannakis-Harlim) or bgh_generous (twice bgh).
        epsilon: Epsilon = Epsilon::Bgh, range = Range::above(0.0);
        /// Density normalisation exponent: 0 graph Laplacian, 0.5 Fokker-Planck, 1 Laplace-Beltrami.
        alpha: f64 = 0.5, range = Range::closed(0.0, 1.0);
        /// Diffusion time: the coordinates are eigenvalue^t times the eigenvectors.
        t: usize = 1, range = Range::at_least(0.0);
        /// Adaptive bandwidth: scale each distance by the distances to both points' adaptive_k-th nearest neighbours; none = one bandwidth.
        adaptive_k: Option<usize> = None, range = Range::at_least(1.0);
        /// Input distance: euclidean, cosine, manhattan, … or precomputed (the input is a square distance matrix).
        metric: Metric = Metric::Euclidean;
    }
}

/// The method's registration ([`crate::method::methods`]).
pub const ENTRY: MethodEntry = MethodEntry {
    name: "diffusion",
    summary: "diffusion maps (Coifman-Lafon, pyDiffMap's kernel and bandwidth)",
    specs: <DiffusionMapParams as crate::method::Params>::specs,
    precise: false,
    supervised: false,
    precomputed_knn: false,
    sparse: false,
    fit: |values, data, ctx| Ok(Box::new(DiffusionMap::new(params_from(values)?)?.fit(data, ctx)?)),
    load: |bytes| Ok(Box::new(DiffusionMapModel::from_bytes(bytes)?)),
};

/// The model file kind.
const KIND: Kind = Kind { tag: "diffusion", version: 1 };

/// Exponents `e` of the bandwidths `2^e` the BGH search tries (pyDiffMap's grid).
const BGH_EXPONENTS: std::ops::RangeInclusive<i32> = -40..=40;

/// Values per task of the BGH sums: fixed, so that the sums do not depend on the thread count.
const BGH_CHUNK: usize = 8192;

/// Seed stage of the neighbour index's search tree.
const STAGE_INDEX: u64 = 0xd1ff_0001;

const STAGE: &str = "diffusion map (Markov matrix eigenvectors)";

/// The warning for a disconnected kernel graph.
pub const DISCONNECTED_WARNING: &str = "the kernel graph is not connected: the eigenvalue 1 is repeated and the leading diffusion coordinates separate the components; increase n_neighbors or epsilon";

/// The warning for a kernel graph that is connected only through weights too small to matter:
/// the first eigenvalue after the trivial one is 1 to within [`NEAR_ONE`].
pub const NEARLY_DISCONNECTED_WARNING: &str = "the kernel graph is numerically disconnected at this epsilon: the largest eigenvalue after the trivial one is 1 to within 1e-8, so the leading diffusion coordinates single out groups of points joined only by negligible kernel weights (most points then share one coordinate); increase epsilon (a number, or \"bgh_generous\") or n_neighbors";

/// How close to 1 the first non-trivial eigenvalue of a connected kernel graph may come before
/// [`NEARLY_DISCONNECTED_WARNING`].
const NEAR_ONE: f64 = 1e-8;

/// Diffusion maps with validated parameters.
#[derive(Debug, Clone)]
pub struct DiffusionMap {
    params: DiffusionMapParams,
}

impl DiffusionMap {
    /// Checks the parameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a value out of range.
    pub fn new(params: DiffusionMapParams) -> Result<DiffusionMap> {
        params.check_ranges()?;
        if let Some(m) = params.adaptive_k
            && m >= params.n_neighbors
        {
            return Err(Error::param(
                "adaptive_k",
                m,
                format!("must be below n_neighbors ({}): the bandwidth is the distance to a neighbour in the kernel row", params.n_neighbors),
            ));
        }
        Ok(DiffusionMap { params })
    }

    /// Embeds the rows of `data` (with `metric = "precomputed"`, the points whose distances it
    /// holds).
    ///
    /// # Errors
    /// [`Error::InvalidData`] for fewer than `n_components + 2` points, or a point whose adaptive
    /// bandwidth is 0 (named); the errors of the kNN search ([`knn_graph`]);
    /// [`Error::Numerical`] if the eigensolver fails; [`Error::Cancelled`].
    pub fn fit(&self, data: FitData<'_>, ctx: &Context) -> Result<DiffusionMapModel> {
        ctx.install(|| {
            let p = &self.params;
            let x = data.x.f32()?;
            let (n, k) = (x.n_rows(), p.n_components);
            if n < k + 2 {
                return Err(Error::InvalidData(format!(
                    "n_samples = {n} is too few for n_components = {k}: a diffusion map needs at least n_components + 2 samples"
                )));
            }
            let n_neighbors = p.n_neighbors.min(n);
            if let Some(m) = p.adaptive_k
                && m >= n_neighbors
            {
                return Err(Error::param("adaptive_k", m, format!("must be below the neighbours used, {n_neighbors} (n_neighbors capped at n_samples)")));
            }
            let others = n_neighbors - 1;
            let algorithm = if exact_is_faster(n, others) { KnnAlgorithm::Exact } else { KnnAlgorithm::Auto };
            let params = KnnParams { k: others, algorithm, metric: p.metric.clone(), seed: ctx.seed, ..KnnParams::default() };
            let knn = knn_graph(&x, &params, ctx.progress)?;
            ctx.progress.check()?;
            let bandwidths = match p.adaptive_k {
                Some(m) => Some(adaptive_bandwidths(&knn, m, None)?),
                None => None,
            };
            let scaled = scaled_sq_distances(&knn, bandwidths.as_deref());
            let (epsilon, dimension) = match p.epsilon {
                Epsilon::Fixed(e) => (e, None),
                Epsilon::Bgh | Epsilon::BghGenerous => {
                    let (e, d) = bgh_epsilon(&scaled);
                    (if p.epsilon == Epsilon::BghGenerous { 2.0 * e } else { e }, Some(d))
                }
            };
            let kernel = kernel_graph(&knn, &scaled, epsilon)?;
            drop(scaled);
            let mut warnings = Vec::new();
            let connected = connected_components(&kernel).0 == 1;
            if !connected {
                warnings.push(DISCONNECTED_WARNING.to_string());
            }
            let operator = DiffusionOperator::new(&kernel, p.alpha);
            drop(kernel);
            ctx.progress.check()?;
            let options = EigshOptions { lobpcg: LobpcgOptions { tol: 1e-6, max_iter: 3000 }, ..EigshOptions::default() };
            let eigen = operator.eigenpairs(k, ctx.seed, &options, STAGE)?;
            if connected && eigen.values[0] > 1.0 - NEAR_ONE {
                warnings.push(NEARLY_DISCONNECTED_WARNING.to_string());
            }
            let index =
                if ctx.keep_data { Some(NeighborIndex::new(&x, &knn, &p.metric, crate::rng::SeedSource::new(ctx.seed).value(STAGE_INDEX, 0))?) } else { None };
            let mut model = DiffusionMapModel {
                n_samples: n,
                n_features: x.n_cols(),
                n_components: k,
                n_neighbors,
                adaptive_k: p.adaptive_k,
                alpha: p.alpha,
                t: p.t,
                epsilon,
                dimension,
                eigenvalues: eigen.values,
                eigenvectors: eigen.vectors,
                kernel_degree: operator.kernel_degree().to_vec(),
                bandwidths,
                index,
                embedding: Vec::new(),
                warnings,
                params: Vec::new(),
            };
            model.embedding = model.coordinates();
            model.check_range()?;
            model.params = resolved_values(p, &Fitted::resolved(&model));
            Ok(model)
        })
    }
}

/// `σ_i`: the distance from each point to its `m`-th nearest other point (`rows` names the
/// points in errors: the new data's rows in a transform).
fn adaptive_bandwidths(knn: &KnnGraph, m: usize, rows: Option<&str>) -> Result<Vec<f64>> {
    let sigma: Vec<f64> = (0..knn.n_points()).map(|i| knn.neighbors(i).1[m - 1] as f64).collect();
    if let Some(i) = sigma.iter().position(|&s| s <= 0.0) {
        let which = rows.unwrap_or("the data");
        return Err(Error::InvalidData(format!(
            "row {i} of {which} has {m} or more neighbours at distance 0 (duplicate rows), so its adaptive bandwidth (the distance to its adaptive_k-th neighbour) is 0; raise adaptive_k or remove the duplicates"
        )));
    }
    Ok(sigma)
}

/// The exponents `s_ij` of the kernel for each point's row: the point itself (0), then its
/// neighbours, `n × (k + 1)` row-major.
fn scaled_sq_distances(knn: &KnnGraph, sigma: Option<&[f64]>) -> Vec<f64> {
    let (n, k) = (knn.n_points(), knn.k());
    let mut out = vec![0.0f64; n * (k + 1)];
    out.par_chunks_mut(k + 1).enumerate().for_each(|(i, row)| {
        let (idx, dist) = knn.neighbors(i);
        for ((o, &j), &d) in row[1..].iter_mut().zip(idx).zip(dist) {
            let d = d as f64;
            *o = match sigma {
                Some(s) => d * d / (s[i] * s[j as usize]),
                None => d * d,
            };
        }
    });
    out
}

/// Berry, Giannakis & Harlim's bandwidth and dimension estimate from the kernel exponents `s`
/// (see the [module docs](self)).
pub fn bgh_epsilon(s: &[f64]) -> (f64, f64) {
    let exponents: Vec<i32> = BGH_EXPONENTS.collect();
    let scales: Vec<f64> = exponents.iter().map(|&e| 1.0 / (4.0 * 2f64.powi(e))).collect();
    let partial: Vec<Vec<f64>> =
        s.par_chunks(BGH_CHUNK).map(|chunk| scales.iter().map(|&c| chunk.iter().map(|&v| (-v * c).exp()).sum::<f64>()).collect()).collect();
    let log_t: Vec<f64> = (0..scales.len()).map(|e| partial.iter().map(|p| p[e]).sum::<f64>().ln()).collect();
    let ln2 = std::f64::consts::LN_2;
    let slopes: Vec<f64> = log_t.windows(2).map(|w| (w[1] - w[0]) / ln2).collect();
    let best = (0..slopes.len()).fold(0, |b, i| if slopes[i] > slopes[b] { i } else { b });
    (2f64.powi(exponents[best]), (2.0 * slopes[best]).round_ties_even())
}

/// The symmetric kernel graph `max(K, Kᵀ)` with `K_ij = exp(−s_ij / (4ε))` on the kNN pairs and
/// 1 on the diagonal.
fn kernel_graph(knn: &KnnGraph, s: &[f64], epsilon: f64) -> Result<SparseGraph> {
    let (n, k) = (knn.n_points(), knn.k());
    let mut indptr = Vec::with_capacity(n + 1);
    let mut indices = Vec::with_capacity(n * (k + 1));
    let mut weights = Vec::with_capacity(n * (k + 1));
    indptr.push(0);
    let mut row: Vec<(u32, f32)> = Vec::with_capacity(k + 1);
    for i in 0..n {
        row.clear();
        row.push((i as u32, 1.0));
        let si = &s[i * (k + 1) + 1..(i + 1) * (k + 1)];
        row.extend(knn.neighbors(i).0.iter().zip(si).filter(|&(&j, _)| j as usize != i).map(|(&j, &v)| (j, (-v / (4.0 * epsilon)).exp() as f32)));
        row.sort_unstable_by_key(|&(j, _)| j);
        row.dedup_by_key(|&mut (j, _)| j);
        indices.extend(row.iter().map(|&(j, _)| j));
        weights.extend(row.iter().map(|&(_, w)| w));
        indptr.push(indices.len());
    }
    symmetrize(&SparseGraph::from_parts(n, indptr, indices, weights)?, Symmetrization::Max)
}

/// A fitted diffusion map.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DiffusionMapModel {
    n_samples: usize,
    n_features: usize,
    n_components: usize,
    /// Kernel row length, the point itself included (after capping).
    n_neighbors: usize,
    adaptive_k: Option<usize>,
    alpha: f64,
    t: usize,
    /// The bandwidth used.
    epsilon: f64,
    /// BGH's dimension estimate, with an automatic bandwidth.
    dimension: Option<f64>,
    /// `λ_1 ≥ … ≥ λ_k` of the Markov matrix.
    eigenvalues: Vec<f64>,
    /// `ψ_1 … ψ_k`, `n × k` row-major.
    eigenvectors: Vec<f64>,
    /// The kernel's degrees `q` (for the Nyström extension).
    kernel_degree: Vec<f64>,
    /// `σ_i` with an adaptive bandwidth.
    bandwidths: Option<Vec<f64>>,
    /// The training rows' neighbour index, when the fit kept its data.
    index: Option<NeighborIndex>,
    #[serde(skip)]
    embedding: Vec<f32>,
    warnings: Vec<String>,
    #[serde(skip)]
    params: Vec<(&'static str, Value)>,
}

impl DiffusionMapModel {
    /// The diffusion coordinates `λ_k^t ψ_k` of the training points, in `f32`.
    fn coordinates(&self) -> Vec<f32> {
        let k = self.n_components;
        let scale: Vec<f64> = self.eigenvalues.iter().map(|&l| l.powi(self.t as i32)).collect();
        self.eigenvectors.iter().enumerate().map(|(at, &v)| (v * scale[at % k]) as f32).collect()
    }

    /// Refuses coordinates beyond `f32`'s range.
    fn check_range(&self) -> Result<()> {
        match self.embedding.iter().position(|v| !v.is_finite()) {
            Some(p) => Err(Error::Numerical {
                stage: STAGE,
                message: format!("the diffusion coordinate of row {} is not finite (eigenvalue^t overflows float32)", p / self.n_components),
            }),
            None => Ok(()),
        }
    }

    /// `λ_1 ≥ … ≥ λ_k`, the Markov matrix's eigenvalues after the trivial one.
    pub fn eigenvalues(&self) -> &[f64] {
        &self.eigenvalues
    }

    /// The right eigenvectors `ψ_k`, `n × k` row-major, orthonormal in `ℓ²(π)`.
    pub fn eigenvectors(&self) -> &[f64] {
        &self.eigenvectors
    }

    /// The bandwidth `ε` used.
    pub fn epsilon(&self) -> f64 {
        self.epsilon
    }

    /// BGH's intrinsic dimension estimate (with `epsilon = "bgh"` or `"bgh_generous"`).
    pub fn dimension(&self) -> Option<f64> {
        self.dimension
    }

    /// The model file's bytes.
    ///
    /// # Errors
    /// Only if serialisation fails.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        if self.index.is_none() {
            return Err(rows_not_kept("this diffusion map"));
        }
        model::to_bytes(KIND, &self.params, self)
    }

    /// A model from [`DiffusionMapModel::to_bytes`], checked for consistency.
    ///
    /// # Errors
    /// [`Error::InvalidData`] naming what does not fit ("corrupt model: …").
    pub fn from_bytes(bytes: &[u8]) -> Result<DiffusionMapModel> {
        let (read, mut m): (_, DiffusionMapModel) = model::decode(KIND, bytes)?;
        m.validate().map_err(|what| Error::InvalidData(format!("corrupt model: {what}")))?;
        m.embedding = m.coordinates();
        m.check_range().map_err(|e| Error::InvalidData(format!("corrupt model: {e}")))?;
        m.params = declared(&DiffusionMapParams::specs(), read)?;
        Ok(m)
    }

    fn validate(&self) -> std::result::Result<(), String> {
        let (n, k) = (self.n_samples, self.n_components);
        if n < k + 2 || k == 0 || n.checked_mul(k) != Some(self.eigenvectors.len()) || self.eigenvalues.len() != k {
            return Err(format!(
                "{} eigenvalues and {} eigenvector entries do not fit {n} points and {k} components",
                self.eigenvalues.len(),
                self.eigenvectors.len()
            ));
        }
        if self.kernel_degree.len() != n || self.kernel_degree.iter().any(|&q| !(q.is_finite() && q >= 1.0)) {
            return Err("the kernel degrees are not n values of at least 1".into());
        }
        if let Some(s) = &self.bandwidths
            && (s.len() != n || s.iter().any(|&v| !(v.is_finite() && v > 0.0)))
        {
            return Err("the adaptive bandwidths are not n positive values".into());
        }
        if self.adaptive_k.is_some() != self.bandwidths.is_some() || self.adaptive_k.is_some_and(|m| m >= self.n_neighbors) {
            return Err("the adaptive bandwidths do not match adaptive_k".into());
        }
        if !(self.epsilon.is_finite() && self.epsilon > 0.0 && (0.0..=1.0).contains(&self.alpha)) || self.n_neighbors < 2 || self.n_neighbors > n {
            return Err(format!("epsilon {}, alpha {} or n_neighbors {} is out of range", self.epsilon, self.alpha, self.n_neighbors));
        }
        if self.eigenvalues.iter().chain(&self.eigenvectors).any(|v| !v.is_finite()) {
            return Err("the eigenpairs hold a value that is not finite".into());
        }
        match &self.index {
            Some(index) if index.n_points() != n => Err(format!("the neighbour index holds {} points, not {n}", index.n_points())),
            Some(index) => index.validate().map_err(|e| e.to_string()),
            None => Err("the model holds no training rows".into()),
        }
    }

    /// The Nyström extension of the [module docs](self) for the rows of `data`.
    fn extend(&self, data: &Data, ctx: &Context) -> Result<Embedding> {
        let index = self.index.as_ref().ok_or_else(|| rows_not_kept("this diffusion map"))?;
        let (m, k, kk) = (data.n_rows(), self.n_components, self.n_neighbors);
        let (idx, dist) = index.query(data, kk, ctx.progress)?;
        ctx.progress.check()?;
        let sigma_new = match (self.adaptive_k, &self.bandwidths) {
            (Some(a), Some(_)) => {
                let mut s = Vec::with_capacity(m);
                for i in 0..m {
                    // The a-th nearest training point (a new point has no self-pair).
                    let d = dist[i * kk + a - 1] as f64;
                    if d <= 0.0 {
                        return Err(Error::InvalidData(format!(
                            "row {i} of the new data equals {a} or more training rows, so its adaptive bandwidth (the distance to its adaptive_k-th nearest training point) is 0"
                        )));
                    }
                    s.push(d);
                }
                Some(s)
            }
            _ => None,
        };
        let scale: Vec<f64> = self.eigenvalues.iter().map(|&l| l.powi(self.t as i32 - 1)).collect();
        let mut out = vec![0.0f32; m * k];
        out.par_chunks_mut(k).enumerate().for_each_init(
            || (vec![0.0f64; kk], vec![0.0f64; kk]),
            |(log_k, w), (i, row)| {
                let (nb, d) = (&idx[i * kk..(i + 1) * kk], &dist[i * kk..(i + 1) * kk]);
                if let Some(j) = index.duplicate_of(data.row(i), nb, d) {
                    row.copy_from_slice(&self.embedding[j as usize * k..(j as usize + 1) * k]);
                    return;
                }
                for ((l, &j), &d) in log_k.iter_mut().zip(nb).zip(d) {
                    let d2 = d as f64 * d as f64;
                    let s = match (&sigma_new, &self.bandwidths) {
                        (Some(sy), Some(sx)) => d2 / (sy[i] * sx[j as usize]),
                        _ => d2,
                    };
                    *l = -s / (4.0 * self.epsilon);
                }
                nystrom_weights(&self.kernel_degree, self.alpha, nb, log_k, w);
                for (c, o) in row.iter_mut().enumerate() {
                    let sum: f64 = nb.iter().zip(w.iter()).map(|(&j, &wj)| wj * self.eigenvectors[j as usize * k + c]).sum();
                    *o = (sum * scale[c]) as f32;
                }
            },
        );
        if let Some(p) = out.iter().position(|v| !v.is_finite()) {
            return Err(Error::Numerical {
                stage: "diffusion map (Nyström extension)",
                message: format!("the extension of row {} of the new data is not finite (an eigenvalue near 0 with t = 0)", p / k),
            });
        }
        Data::from_vec(out, m, k)
    }
}

impl Fitted for DiffusionMapModel {
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
        vec![("n_neighbors", Value::Int(self.n_neighbors as i64))]
    }

    fn attributes(&self) -> Vec<Attribute> {
        let (n, k) = (self.n_samples, self.n_components);
        let mut out = vec![
            Attribute::matrix("embedding_", self.embedding.iter().map(|&v| v as f64).collect(), n, k),
            Attribute::vector("eigenvalues_", self.eigenvalues.clone()),
            Attribute::matrix("eigenvectors_", self.eigenvectors.clone(), n, k),
            Attribute::scalar("epsilon_", self.epsilon),
            Attribute::scalar("n_neighbors_", self.n_neighbors as f64),
            Attribute::vector("kernel_degree_", self.kernel_degree.clone()),
        ];
        if let Some(d) = self.dimension {
            out.push(Attribute::scalar("dimension_", d));
        }
        if let Some(s) = &self.bandwidths {
            out.push(Attribute::vector("bandwidths_", s.clone()));
        }
        out
    }

    fn to_bytes(&self) -> Result<Vec<u8>> {
        DiffusionMapModel::to_bytes(self)
    }

    fn warnings(&self) -> &[String] {
        &self.warnings
    }

    fn params(&self) -> Vec<(&'static str, Value)> {
        self.params.clone()
    }
}
