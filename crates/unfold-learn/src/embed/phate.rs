//! PHATE (Moon et al., "Visualizing structure and transitions in high-dimensional biological
//! data", Nature Biotechnology 2019), step for step as the phate 2.0 package with graphtools 2.1.
//!
//! 1. **PCA** to `n_pca` dimensions (exact, where the package approximates the same components
//!    with the randomized solver), skipped when `n_pca ≥ min(n, d)`.
//! 2. **Kernel**: the α-decay kernel ([`AlphaDecayKernel`]: `knn`, `decay`, `thresh = 1e-4`,
//!    `(K + Kᵀ)/2`) under `knn_dist`.
//! 3. **Diffusion operator** `P = D⁻¹K`, or with more than `n_landmark` points the landmark
//!    operator ([`crate::graph::landmarks`]: spectral clusters of `P`, `rownorm(P_mn) ·
//!    rownorm(P_mnᵀ)`).
//! 4. **Diffusion time** `t`: given, or `"auto"`, the knee of the von Neumann entropy of the
//!    operator's powers ([`crate::linalg::vne`], with the package's 0-based index).
//! 5. **Potential** [`diffusion_potential`] of `P^t`: `−ln(P^t + 1e-7)` (`gamma = 1`), `P^t`
//!    (`gamma = −1`), `(P^t)^c / c` with `c = (1 − γ)/2` between (`gamma = 0`: `2√P^t`).
//! 6. **MDS** of the pairwise `mds_dist` distances between the potential's rows: the package's
//!    classical start [`phate_classic`], then metric MDS by `mds_solver` (`"sgd"`, the package's
//!    minibatch SGD, [`crate::linalg::sgd_mds`]; `"smacof"`, 3000 iterations, `eps = 1e-6`) and,
//!    for `mds = "nonmetric"`, non-metric SMACOF from that; the result is oriented onto the
//!    classical start by Procrustes (centred, unit Frobenius norm, as `scipy.spatial.procrustes`).
//!    With landmarks the points get `transitions · Y`.
//!
//! `transform` is the package's: a new point's kernel row to the training points (bandwidth
//! from its `knn`-th nearest training point), normalised, times the training embedding (or, with
//! landmarks, summed by cluster times the landmark embedding). A new row equal to a training row
//! gets that row's embedding.
//!
//! Differences from the package: the landmark clusters come from Lloyd's k-means rather than
//! `MiniBatchKMeans`, and the SGD pairs from this crate's generator, so those results match the
//! package's in distribution, not digit for digit; everything else (kernel, operator, entropy,
//! `t`, potential, classical start, SMACOF, Procrustes) follows it exactly. `knn_max`, `decay =
//! None` and precomputed inputs are not offered.

use crate::data::{Data, Embedding};
use crate::embed::pca::{Pca, PcaModel};
use crate::error::{Error, Result};
use crate::graph::alpha_decay::AlphaDecayKernel;
use crate::graph::landmarks::{LandmarkOperator, kmeans_labels, random_clusters, spectral_features};
use crate::graph::{SparseGraph, connected_components};
use crate::io::model::{self, Kind};
use crate::knn::search::NeighborIndex;
use crate::linalg::mds::{Smacof, SmacofOptions, double_centre, euclidean_dissimilarities, top_eigenpairs};
use crate::linalg::procrustes::procrustes;
use crate::linalg::sgd_mds::{SgdSchedule, sgd_mds};
use crate::linalg::vne::{knee_point, von_neumann_entropy};
use crate::linalg::{DataF64, ReversiblePower, singular_values};
use crate::method::{
    Attribute, Auto, Capabilities, Context, FitData, Fitted, Input, MethodEntry, Params, Range, Value, declared, params_from, resolved_values, rows_not_kept,
};
use crate::metric::Metric;
use rayon::prelude::*;

/// `mds_solver`: how metric MDS is solved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum MdsSolver {
    /// phate's minibatch SGD.
    Sgd,
    /// SMACOF (scikit-learn's, 3000 iterations).
    Smacof,
}
crate::choice_param!(MdsSolver { Sgd = "sgd", Smacof = "smacof" });

/// `mds`: which MDS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum MdsKind {
    /// The classical start only.
    Classic,
    /// Metric MDS.
    Metric,
    /// Non-metric MDS from the metric result.
    Nonmetric,
}
crate::choice_param!(MdsKind { Classic = "classic", Metric = "metric", Nonmetric = "nonmetric" });

/// `mds_dist`: the distance between the potential's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum MdsDist {
    /// Euclidean.
    Euclidean,
    /// Cosine distance `1 − cos`.
    Cosine,
}
crate::choice_param!(MdsDist { Euclidean = "euclidean", Cosine = "cosine" });

crate::method_params! {
    /// Parameters of [`Phate`]; `Default` = phate 2.0's.
    pub struct PhateParams {
        /// Dimensions of the embedding.
        n_components: usize = 2, flag = "dims", range = Range::at_least(1.0);
        /// Neighbours whose distance sets each point's kernel bandwidth (the knn-th nearest other point).
        knn: usize = 5, flag = "neighbors", range = Range::at_least(1.0);
        /// Decay exponent alpha of the kernel exp(-(d/sigma)^decay).
        decay: f64 = 40.0, range = Range::above(0.0);
        /// Landmarks used when there are more points than this; none = never.
        n_landmark: Option<usize> = Some(2000), range = Range::at_least(1.0);
        /// Diffusion time: a power of the diffusion operator, or auto (the knee of the von Neumann entropy).
        t: Auto<usize> = Auto::Auto, range = Range::at_least(1.0);
        /// Potential: 1 log, 0 square root, -1 the transition probabilities themselves, or in between (values in (0.99, 1) become 0.99).
        gamma: f64 = 1.0, range = Range::closed(-1.0, 1.0);
        /// Principal components the kernel is built on; none = the data as given.
        n_pca: Option<usize> = Some(100), range = Range::at_least(1.0);
        /// Metric MDS solver: sgd (phate's minibatch SGD) or smacof.
        mds_solver: MdsSolver = MdsSolver::Sgd;
        /// Distance between points for the kernel: euclidean, cosine, manhattan, ...
        knn_dist: Metric = Metric::Euclidean;
        /// Distance between the potential's rows for MDS: euclidean or cosine.
        mds_dist: MdsDist = MdsDist::Euclidean;
        /// MDS: classic, metric or nonmetric.
        mds: MdsKind = MdsKind::Metric;
        /// Landmarks drawn at random (each point to its nearest) instead of spectral clusters.
        random_landmarking: bool = false;
    }
}

/// The method's registration ([`crate::method::methods`]).
pub const ENTRY: MethodEntry = MethodEntry {
    name: "phate",
    summary: "PHATE (potential of heat diffusion, phate 2.0's kernel, landmarks, automatic t and MDS)",
    specs: <PhateParams as crate::method::Params>::specs,
    precise: false,
    supervised: false,
    precomputed_knn: false,
    sparse: false,
    fit: |values, data, ctx| Ok(Box::new(Phate::new(params_from(values)?)?.fit(data, ctx)?)),
    load: |bytes| Ok(Box::new(PhateModel::from_bytes(bytes)?)),
};

const KIND: Kind = Kind { tag: "phate", version: 1 };
/// graphtools' kernel threshold as PHATE sets it.
pub const THRESH: f64 = 1e-4;
/// Singular vectors of the landmark spectral clustering (graphtools' `n_svd`).
pub const N_SVD: usize = 100;
/// Powers tried by the automatic `t`.
pub const T_MAX: usize = 100;
/// Squarings of the diffusion operator computed before an automatic `t` is known.
const SQUARINGS_AHEAD: usize = 4;
const STAGE_INDEX: u64 = 0x7068_0001;
const STAGE_PCA: u64 = 0x7068_0002;
const STAGE_LANDMARKS: u64 = 0x7068_0003;
const STAGE_MDS: u64 = 0x7068_0004;

/// The warning of a disconnected kernel graph.
pub const DISCONNECTED_WARNING: &str =
    "the kernel graph is not connected: knn may be too small, or the data holds separate clusters; PHATE cannot place the components relative to each other";

/// PHATE with validated parameters.
#[derive(Debug, Clone)]
pub struct Phate {
    params: PhateParams,
}

/// The diffusion potential of `P^t` (`m × m` row-major) for `gamma` (see the [module docs](self)).
pub fn diffusion_potential(pt: &mut [f64], gamma: f64) {
    if gamma == 1.0 {
        pt.par_iter_mut().for_each(|v| *v = -(*v + 1e-7).ln());
    } else if gamma != -1.0 {
        let c = (1.0 - gamma) / 2.0;
        pt.par_iter_mut().for_each(|v| *v = v.powf(c) / c);
    }
}

/// phate's classical MDS start of the distances `d` (`n × n`): PCA of the double-centred
/// `D∘D` (no `−½`), i.e. `−2 λ_c u_c` for the top eigenpairs of `B = −½ J D² J`, `u_c` with its
/// largest entry positive.
///
/// # Errors
/// [`Error::Numerical`] if the eigendecomposition fails.
pub fn phate_classic(d: &[f64], n: usize, k: usize) -> Result<Vec<f64>> {
    let mut b = d.to_vec();
    double_centre(&mut b, n);
    let (values, vectors) = top_eigenpairs(&b, n, k, "PHATE classical MDS")?;
    Ok(classic_coordinates(&values, &vectors, n, k))
}

/// The package's classical coordinates `−2 λ_c v_c` (`n × k` row-major) from the largest
/// eigenpairs of `B = −½ J (D∘D) J` (`vectors` `n × values.len()` row-major, `values.len() ≤ k`).
pub fn classic_coordinates(values: &[f64], vectors: &[f64], n: usize, k: usize) -> Vec<f64> {
    let kk = values.len();
    let mut y = vec![0f64; n * k];
    for i in 0..n {
        for c in 0..kk {
            y[i * k + c] = -2.0 * values[c] * vectors[i * kk + c];
        }
    }
    y
}

impl Phate {
    /// Checks the parameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a value out of range.
    pub fn new(mut params: PhateParams) -> Result<Phate> {
        params.check_ranges()?;
        if params.knn_dist == Metric::Precomputed {
            return Err(Error::param("knn_dist", "precomputed", "must be a distance between rows; precomputed inputs are not supported by PHATE here"));
        }
        if params.gamma > 0.99 && params.gamma < 1.0 {
            params.gamma = 0.99;
        }
        Ok(Phate { params })
    }

    /// Embeds the rows of `data`.
    ///
    /// # Errors
    /// [`Error::InvalidData`] for fewer than `knn + 2` points; the errors of the kNN search, the
    /// eigensolvers and SVDs; [`Error::Cancelled`].
    pub fn fit(&self, data: FitData<'_>, ctx: &Context) -> Result<PhateModel> {
        ctx.install(|| {
            let p = &self.params;
            let x = data.x.f32()?;
            let (n, d, k) = (x.n_rows(), x.n_cols(), p.n_components);
            if n < p.knn + 2 || n < k + 1 {
                return Err(Error::InvalidData(format!(
                    "n_samples = {n} is too few: PHATE needs at least knn + 2 = {} and n_components + 1 samples",
                    p.knn + 2
                )));
            }
            let seeds = crate::rng::SeedSource::new(ctx.seed);
            let pca = match p.n_pca {
                Some(m) if m < n.min(d) => {
                    // Exact components (scikit-learn's automatic choice; the package asks for the randomized
                    // solver, whose approximation of the same subspace took 4× as long on MNIST).
                    let pca = Pca::builder().n_components(m).build()?;
                    let sub = Context { seed: Some(seeds.value(STAGE_PCA, 0)), ..*ctx };
                    Some(pca.fit(&x, &sub)?)
                }
                _ => None,
            };
            let reduced = match &pca {
                Some(m) => m.embedding(),
                None => Data::from_trusted_slice(x.as_slice(), n, d),
            };
            let kernel_params = AlphaDecayKernel { knn: p.knn, decay: p.decay, thresh: THRESH };
            let (kernel, _, search) = kernel_params.fit(&reduced, &p.knn_dist, ctx.seed, ctx.progress)?;
            ctx.progress.check()?;
            let mut warnings = Vec::new();
            if connected_components(&kernel).0 > 1 {
                warnings.push(DISCONNECTED_WARNING.to_string());
            }
            let landmarks = match p.n_landmark {
                Some(m) if n > m => {
                    ctx.progress.stage("PHATE landmarks", 0);
                    let seed = Some(seeds.value(STAGE_LANDMARKS, 0));
                    let labels = if p.random_landmarking {
                        let rows: Vec<f64> = reduced.as_slice().iter().map(|&v| v as f64).collect();
                        random_clusters(&DataF64::from_row_major(&rows, n, reduced.n_cols())?, m, seed)
                    } else {
                        let (features, dim) = spectral_features(&kernel, N_SVD.min(n - 1), seed)?;
                        kmeans_labels(&features, n, dim, m, seed)
                    };
                    let operator = LandmarkOperator::new(&kernel, &labels);
                    ctx.progress.finish_stage();
                    Some((operator, labels))
                }
                _ => None,
            };
            ctx.progress.check()?;
            ctx.progress.stage("PHATE diffusion potential", 0);
            let (diff_op, degrees, m) = match &landmarks {
                Some((op, _)) => (op.operator.clone(), op.degrees.clone(), op.n_landmarks),
                None => (markov_dense(&kernel), kernel.degrees(), n),
            };
            // The squares of the operator that `t` will need (automatic `t`: up to the 16th
            // power, below every `t` seen on MNIST) while the singular values are computed:
            // their eigensolver leaves a core idle much of the time.
            let ahead = match p.t {
                Auto::Value(t) => t.checked_ilog2().unwrap_or(0) as usize,
                Auto::Auto => SQUARINGS_AHEAD,
            };
            let (sigma, powers) =
                rayon::join(|| singular_values(&diff_op, m, "PHATE von Neumann entropy"), || ReversiblePower::new(&diff_op, &degrees, m, ahead));
            let sigma = sigma?;
            let entropy = von_neumann_entropy(&sigma, T_MAX);
            let (t, optimal_t) = match p.t {
                Auto::Value(t) => (t, None),
                Auto::Auto => {
                    let t = knee_point(&entropy).unwrap_or(1).max(1);
                    (t, Some(t))
                }
            };
            let mut potential = powers.power(t);
            diffusion_potential(&mut potential, p.gamma);
            ctx.progress.finish_stage();
            ctx.progress.check()?;
            ctx.progress.stage("PHATE MDS", 0);
            let y = embed_mds(&potential, m, k, p, Some(seeds.value(STAGE_MDS, 0)), ctx)?;
            ctx.progress.finish_stage();
            drop(potential);
            let (embedding, labels, basis) = match landmarks {
                Some((op, labels)) => (op.interpolate(&y, k), Some(labels), y),
                None => (y.clone(), None, y),
            };
            let index = if ctx.keep_data {
                let knn = search.truncated(search.k().min(15));
                Some(NeighborIndex::new(&reduced, &knn, &p.knn_dist, seeds.value(STAGE_INDEX, 0))?)
            } else {
                None
            };
            let embedding: Vec<f32> = embedding.iter().map(|&v| v as f32).collect();
            if embedding.iter().any(|v| !v.is_finite()) {
                return Err(Error::Numerical { stage: "PHATE MDS", message: "the embedding holds a value that is not finite".into() });
            }
            let mut model = PhateModel {
                n_samples: n,
                n_features: d,
                n_components: k,
                kernel: kernel_params,
                pca,
                index,
                labels,
                basis,
                embedding,
                t,
                optimal_t,
                entropy,
                diff_op,
                n_diff: m,
                warnings,
                params: Vec::new(),
            };
            model.params = resolved_values(p, &Fitted::resolved(&model));
            Ok(model)
        })
    }
}

/// `P = D⁻¹K` dense, `n × n`.
fn markov_dense(kernel: &SparseGraph) -> Vec<f64> {
    let n = kernel.n_points();
    let mut p = vec![0f64; n * n];
    p.par_chunks_mut(n).enumerate().for_each(|(i, row)| {
        let (cols, w) = kernel.row(i);
        let total: f64 = w.iter().map(|&v| v as f64).sum();
        for (&j, &w) in cols.iter().zip(w) {
            row[j as usize] = w as f64 / total;
        }
    });
    p
}

/// Step 6 of the [module docs](self): the MDS embedding of the potential (`m × m` row-major) as `p` asks.
///
/// # Errors
/// The errors of the eigensolver, SMACOF and Procrustes; [`Error::Cancelled`].
pub fn embed_mds(potential: &[f64], m: usize, k: usize, p: &PhateParams, seed: Option<u64>, ctx: &Context) -> Result<Vec<f64>> {
    let rows = DataF64::from_row_major(potential, m, m)?;
    let dist = match p.mds_dist {
        MdsDist::Euclidean => euclidean_dissimilarities(&rows),
        MdsDist::Cosine => {
            // 1 − cos = ‖u_i − u_j‖² / 2 for unit rows u.
            let mut unit = potential.to_vec();
            unit.par_chunks_mut(m).for_each(|r| {
                let norm = r.iter().map(|v| v * v).sum::<f64>().sqrt();
                if norm > 0.0 {
                    r.iter_mut().for_each(|v| *v /= norm);
                }
            });
            let mut d = euclidean_dissimilarities(&DataF64::from_row_major(&unit, m, m)?);
            d.par_iter_mut().for_each(|v| *v = *v * *v / 2.0);
            d
        }
    };
    let classic = phate_classic(&dist, m, k)?;
    if p.mds == MdsKind::Classic {
        return Ok(classic);
    }
    let mut y = match p.mds_solver {
        MdsSolver::Sgd => sgd_mds(&dist, m, &classic, k, SgdSchedule::phate(m), seed),
        MdsSolver::Smacof => {
            let options = SmacofOptions { metric: true, max_iter: 3000, eps: 1e-6, normalized_stress: false };
            Smacof::new(&dist, m, options)?.run(classic.clone(), k, ctx.progress)?.embedding
        }
    };
    if p.mds == MdsKind::Nonmetric {
        let options = SmacofOptions { metric: false, max_iter: 3000, eps: 1e-6, normalized_stress: false };
        y = Smacof::new(&dist, m, options)?.run(y, k, ctx.progress)?.embedding;
    }
    Ok(procrustes(&classic, &y, m, k)?.aligned)
}

/// A fitted PHATE.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PhateModel {
    n_samples: usize,
    n_features: usize,
    n_components: usize,
    kernel: AlphaDecayKernel,
    /// The PCA the kernel was built on.
    pca: Option<PcaModel>,
    /// The (reduced) training rows' neighbour index.
    index: Option<NeighborIndex>,
    /// Landmark of each point (with landmarks).
    labels: Option<Vec<u32>>,
    /// What a new point's kernel weights average: the landmark embedding (`m × k`) or the embedding.
    basis: Vec<f64>,
    embedding: Vec<f32>,
    t: usize,
    optimal_t: Option<usize>,
    #[serde(skip)]
    entropy: Vec<f64>,
    #[serde(skip)]
    diff_op: Vec<f64>,
    #[serde(skip)]
    n_diff: usize,
    warnings: Vec<String>,
    #[serde(skip)]
    params: Vec<(&'static str, Value)>,
}

impl PhateModel {
    /// The diffusion operator (`m × m` row-major; the landmark operator with landmarks), as
    /// fitted (empty for a model read from a file).
    pub fn diff_op(&self) -> (&[f64], usize) {
        (&self.diff_op, self.n_diff)
    }

    /// The von Neumann entropy `H_k`, `k = 0 … 99` (empty for a model read from a file).
    pub fn entropy(&self) -> &[f64] {
        &self.entropy
    }

    /// The diffusion time used.
    pub fn t(&self) -> usize {
        self.t
    }

    /// The automatically chosen `t` (`None` when `t` was given).
    pub fn optimal_t(&self) -> Option<usize> {
        self.optimal_t
    }

    /// Each point's landmark (with landmarks).
    pub fn clusters(&self) -> Option<&[u32]> {
        self.labels.as_deref()
    }

    /// The landmarks' embedding (with landmarks), `m × k` row-major.
    pub fn landmark_embedding(&self) -> Option<&[f64]> {
        self.labels.as_ref().map(|_| self.basis.as_slice())
    }

    /// The model file's bytes.
    ///
    /// # Errors
    /// [`Error::InvalidData`] for a model fitted without keeping its rows.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        if self.index.is_none() {
            return Err(rows_not_kept("this PHATE model"));
        }
        model::to_bytes(KIND, &self.params, self)
    }

    /// A model from [`PhateModel::to_bytes`], checked for consistency.
    ///
    /// # Errors
    /// [`Error::InvalidData`] ("corrupt model: …").
    pub fn from_bytes(bytes: &[u8]) -> Result<PhateModel> {
        let (read, m): (_, PhateModel) = model::decode(KIND, bytes)?;
        m.validate().map_err(|what| Error::InvalidData(format!("corrupt model: {what}")))?;
        let mut m = m;
        m.params = declared(&PhateParams::specs(), read)?;
        Ok(m)
    }

    fn validate(&self) -> std::result::Result<(), String> {
        let (n, k) = (self.n_samples, self.n_components);
        if k == 0 || n.checked_mul(k) != Some(self.embedding.len()) || self.embedding.iter().any(|v| !v.is_finite()) {
            return Err(format!("{} embedding values do not fit {n} points and {k} components", self.embedding.len()));
        }
        let rows = match &self.labels {
            Some(l) => {
                if l.len() != n {
                    return Err("the landmark labels are not one per point".into());
                }
                l.iter().map(|&c| c as usize + 1).max().unwrap_or(0)
            }
            None => n,
        };
        if self.basis.len() != rows * k || self.basis.iter().any(|v| !v.is_finite()) {
            return Err("the interpolation basis does not fit the landmarks".into());
        }
        if self.kernel.knn == 0 || !(self.kernel.decay > 0.0 && self.kernel.thresh > 0.0) {
            return Err("the kernel parameters are out of range".into());
        }
        if let Some(pca) = &self.pca
            && pca.n_features() != self.n_features
        {
            return Err("the PCA does not fit the data's columns".into());
        }
        match &self.index {
            Some(index) if index.n_points() != n => Err(format!("the neighbour index holds {} points, not {n}", index.n_points())),
            Some(index) => index.validate().map_err(|e| e.to_string()),
            None => Err("the model holds no training rows".into()),
        }
    }

    fn extend(&self, data: &Data, ctx: &Context) -> Result<Embedding> {
        let index = self.index.as_ref().ok_or_else(|| rows_not_kept("this PHATE model"))?;
        if data.n_cols() != self.n_features {
            return Err(Error::InvalidData(format!("the model was fitted on {} columns; the new data has {}", self.n_features, data.n_cols())));
        }
        let reduced_store;
        let reduced = match &self.pca {
            Some(pca) => {
                reduced_store = pca.transform(data)?;
                Data::from_trusted_slice(reduced_store.as_slice(), data.n_rows(), pca.n_components())
            }
            None => Data::from_trusted_slice(data.as_slice(), data.n_rows(), data.n_cols()),
        };
        let rows = self.kernel.rows_to(index, &reduced, ctx.progress)?;
        let (idx, dist) = index.query(&reduced, 1, ctx.progress)?;
        let k = self.n_components;
        let mut out = vec![0f32; data.n_rows() * k];
        out.par_chunks_mut(k).enumerate().for_each(|(q, o)| {
            if let Some(j) = index.duplicate_of(reduced.row(q), &idx[q..q + 1], &dist[q..q + 1]) {
                o.copy_from_slice(&self.embedding[j as usize * k..(j as usize + 1) * k]);
                return;
            }
            let total: f64 = rows[q].iter().map(|&(_, w)| w).sum();
            let mut acc = vec![0f64; k];
            for &(j, w) in &rows[q] {
                let r = self.labels.as_ref().map_or(j as usize, |l| l[j as usize] as usize);
                acc.iter_mut().zip(&self.basis[r * k..(r + 1) * k]).for_each(|(a, b)| *a += w * b);
            }
            o.iter_mut().zip(&acc).for_each(|(o, a)| *o = (a / total) as f32);
        });
        Data::from_vec(out, data.n_rows(), k)
    }
}

impl Fitted for PhateModel {
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
        vec![("t", Value::Int(self.t as i64))]
    }

    fn attributes(&self) -> Vec<Attribute> {
        let (n, k) = (self.n_samples, self.n_components);
        let mut out = vec![Attribute::matrix("embedding_", self.embedding.iter().map(|&v| v as f64).collect(), n, k), Attribute::scalar("t_", self.t as f64)];
        if let Some(t) = self.optimal_t {
            out.push(Attribute::scalar("optimal_t_", t as f64));
        }
        if !self.diff_op.is_empty() {
            out.push(Attribute::matrix("diff_op_", self.diff_op.clone(), self.n_diff, self.n_diff));
            out.push(Attribute::vector("von_neumann_entropy_", self.entropy.clone()));
        }
        if let Some(l) = &self.labels {
            out.push(Attribute::vector("clusters_", l.iter().map(|&c| c as f64).collect()));
            out.push(Attribute::matrix("landmark_embedding_", self.basis.clone(), self.basis.len() / k, k));
        }
        out
    }

    fn to_bytes(&self) -> Result<Vec<u8>> {
        PhateModel::to_bytes(self)
    }

    fn warnings(&self) -> &[String] {
        &self.warnings
    }

    fn params(&self) -> Vec<(&'static str, Value)> {
        self.params.clone()
    }
}
