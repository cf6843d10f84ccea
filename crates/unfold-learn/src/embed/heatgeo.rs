//! Heat-geodesic embedding (Huguet et al., "A heat diffusion perspective on geodesic preserving
//! dimensionality reduction", NeurIPS 2023), step for step as the `heatgeo` package's `HeatGeo`
//! with its defaults.
//!
//! 1. **PCA** to `n_pca` dimensions (exact; skipped when `n_pca ≥ min(n, d)`), as graphtools.
//! 2. **Graph**: the α-decay kernel ([`AlphaDecayKernel`]: `knn`, `decay`, `thresh = 1e-4`,
//!    `(K + Kᵀ)/2`), divided by `(d_i d_j)^anisotropy` (row sums `d`), diagonal removed: `W`.
//! 3. **Laplacian** `L = I − D^{-1/2} W D^{-1/2}` (`lap_type="normalized"`) or `D − W`
//!    (`"combinatorial"`).
//! 4. **Heat kernel** `H = e^{−τL}` by the Chebyshev expansion of order `order`
//!    ([`crate::graph::heat_kernel`]), applied to blocks of indicator columns.
//! 5. **Diffusion time** `tau`: given, or `"auto"`: the kernels at `τ = linspace(0.05, tau_max,
//!    n_tau)` (`n_tau = 1` becomes 10) from one recursion, their entropies
//!    `−Σ H ln(H + 1e-10)` (`H < 0` set to 0) and the Kneedle knee of that curve
//!    ([`kneedle`], `S = 0.5`). With `tau` given and `n_tau > 1` the distances of the times
//!    `geomspace(tau_min, tau_max, n_tau)` are averaged with weights `∝ 1 − τ/Στ`, as the package.
//! 6. **Distance** (Varadhan's formula with the Harnack regularisation `h = harnack_regul`):
//!    `s_ij = −4τ ln(H_ij + 1e-16) + h · 4τ ln(½(H_ii + H_jj) + 1e-16)`, `s < 0` set to 0,
//!    `D = (√s)^scale_factor`. The diagonal is not 0 when `h < 1`, as in the package. Each
//!    block of kernel columns is turned into distances as it is computed ([`heat_distances`]),
//!    held in `f32`: the kernel itself is never held whole.
//! 7. **MDS** of `D` itself: the package's classical start ([`classic_coordinates`], from
//!    products with the centred squares, [`CentredSquares`], not an `n × n` copy), metric MDS by
//!    `solver` (`"sgd"`: s_gd2's passes over all pairs [`sgd_mds_all_pairs`] up to
//!    [`ALL_PAIRS_MAX`] points, this crate's minibatch SGD [`sgd_mds`] on the schedule
//!    [`sgd_schedule`] above; `"smacof"`, 3000 iterations,
//!    `eps = 1e-6`; SMACOF always for `n_components > 2`, as the package switches), oriented onto
//!    the start by Procrustes (centred, unit Frobenius norm).
//!
//! Differences from the package: its SGD is s_gd2's (shuffled passes over all pairs); this
//! crate's is the same up to [`ALL_PAIRS_MAX`] points and PHATE's minibatch SGD above, from the
//! fit's seed (the package always seeds 2), so the `"sgd"` embeddings agree in distribution, not
//! digit for digit; the distances are held in `f32`
//! (computed in `f64`, then rounded: half the memory); everything else follows it. Not
//! offered: `filter_method` other than `"mar"` (the Chebyshev expansion), `graph_type` other
//! than `"alpha"`, `log_normalize`, `denoising`, the truncations and `mds_weights_type` (which
//! the package's SGD alone reads); `tau_max` is used as given (the package turns `tau_max = 1`
//! into 50 with `tau="auto"`). `knn` has no default in the package; here it is 5, graphtools'.

use crate::data::Data;
use crate::embed::pca::Pca;
use crate::embed::phate::{MdsSolver, classic_coordinates};
use crate::error::{Error, Result};
use crate::graph::alpha_decay::AlphaDecayKernel;
use crate::graph::heat_kernel::HeatKernel;
use crate::graph::{GraphOperator, LaplacianKind, SparseGraph, connected_components, laplacian};
use crate::io::model::{self, Kind};
use crate::linalg::centred_kernel::{CentredSquares, KernelEigenSolver};
use crate::linalg::lane_sum;
use crate::linalg::mds::{DENSE_EIGEN_MAX, Smacof, SmacofOptions};
use crate::linalg::procrustes::procrustes;
use crate::linalg::sgd_mds::{ALL_PAIRS_EPOCHS, SgdSchedule, sgd_mds, sgd_mds_all_pairs};
use crate::linalg::vne::kneedle;
use crate::method::{Attribute, Auto, Capabilities, Context, FitData, Fitted, MethodEntry, Params, Range, Value, declared, params_from, resolved_values};
use crate::metric::Metric;
use rayon::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};

/// `lap_type`: which graph Laplacian the heat kernel is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LapType {
    /// `I − D^{-1/2} W D^{-1/2}`.
    Normalized,
    /// `D − W`.
    Combinatorial,
}
crate::choice_param!(LapType { Normalized = "normalized", Combinatorial = "combinatorial" });

crate::method_params! {
    /// Parameters of [`HeatGeo`]; `Default` = the heatgeo package's.
    pub struct HeatGeoParams {
        /// Dimensions of the embedding (the package's emb_dim).
        n_components: usize = 2, flag = "dims", range = Range::at_least(1.0), peer = "emb_dim";
        /// Neighbours whose distance sets each point's kernel bandwidth (the knn-th nearest other point).
        knn: usize = 5, flag = "neighbors", range = Range::at_least(1.0);
        /// Decay exponent alpha of the kernel exp(-(d/sigma)^decay).
        decay: f64 = 40.0, range = Range::above(0.0);
        /// Kernel anisotropy: K_ij / (d_i d_j)^anisotropy with d the kernel's row sums.
        anisotropy: f64 = 0.0, range = Range::closed(0.0, 1.0);
        /// Principal components the kernel is built on; none = the data as given.
        n_pca: Option<usize> = Some(40), range = Range::at_least(1.0);
        /// Diffusion time of the heat kernel, or auto (the Kneedle knee of the kernel's entropy over linspace(0.05, tau_max, n_tau)).
        tau: Auto<f64> = Auto::Value(10.0), range = Range::above(0.0);
        /// Order of the Chebyshev approximation of the heat kernel.
        order: usize = 32, range = Range::at_least(1.0);
        /// Graph Laplacian: normalized (I - D^-1/2 W D^-1/2) or combinatorial (D - W).
        lap_type: LapType = LapType::Normalized;
        /// Smallest time of the multiscale distance (a given tau with n_tau > 1).
        tau_min: f64 = 0.1, range = Range::above(0.0);
        /// Largest time tried by tau=auto, or of the multiscale distance.
        tau_max: f64 = 200.0, range = Range::above(0.0);
        /// Times tried by tau=auto (1 means 10), or averaged with a given tau (geomspace(tau_min, tau_max, n_tau)).
        n_tau: usize = 1, range = Range::at_least(1.0);
        /// Harnack regularisation h of the distance, between 0 (Varadhan's) and 1 (zero diagonal).
        harnack_regul: f64 = 0.0, range = Range::closed(0.0, 1.0);
        /// Power of the distance: D = sqrt(s)^scale_factor.
        scale_factor: f64 = 1.0, range = Range::above(0.0);
        /// Metric MDS solver: sgd (s_gd2's up to 2,500 points, minibatch above) or smacof; smacof always above 2 dimensions.
        solver: MdsSolver = MdsSolver::Sgd;
    }
}

/// The method's registration ([`crate::method::methods`]).
pub const ENTRY: MethodEntry = MethodEntry {
    name: "heatgeo",
    summary: "heat-geodesic embedding (Chebyshev heat kernel of the alpha-decay graph, Varadhan distance, MDS)",
    specs: <HeatGeoParams as crate::method::Params>::specs,
    precise: false,
    supervised: false,
    precomputed_knn: false,
    sparse: false,
    fit: |values, data, ctx| Ok(Box::new(HeatGeo::new(params_from(values)?)?.fit(data, ctx)?)),
    load: |bytes| Ok(Box::new(HeatGeoModel::from_bytes(bytes)?)),
};

const KIND: Kind = Kind { tag: "heatgeo", version: 1 };

/// The α-decay kernel's threshold, as graphtools sets it.
pub const THRESH: f64 = 1e-4;
/// Kneedle's sensitivity in the automatic `tau`.
pub const KNEE_S: f64 = 0.5;
/// The first time the automatic `tau` tries.
pub const TAU_START: f64 = 0.05;
/// Residual tolerance of the classical start's iterative eigensolver (above
/// [`DENSE_EIGEN_MAX`] points; its products are in `f32`).
pub const CLASSIC_TOL: f64 = 1e-5;
const STAGE_PCA: u64 = 0x6867_0001;
const STAGE_EIGEN: u64 = 0x6867_0002;
const STAGE_MDS: u64 = 0x6867_0003;

/// The warning of a disconnected graph.
pub const DISCONNECTED_WARNING: &str = "the kernel graph is not connected: knn may be too small, or the data holds separate clusters; the heat kernel between components is 0 and their distances are the largest";

/// The warning when the entropy curve has no knee.
pub const NO_KNEE_WARNING: &str = "the heat kernel's entropy over tau has no knee; tau = tau_max is used";

/// The heat-geodesic embedding with validated parameters.
#[derive(Debug, Clone)]
pub struct HeatGeo {
    params: HeatGeoParams,
}

impl HeatGeo {
    /// Checks the parameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a value out of range.
    pub fn new(params: HeatGeoParams) -> Result<HeatGeo> {
        params.check_ranges()?;
        if params.n_tau > 1 && matches!(params.tau, Auto::Value(_)) && params.tau_min >= params.tau_max {
            return Err(Error::param("tau_min", params.tau_min, format!("must be below tau_max = {} for a multiscale distance (n_tau > 1)", params.tau_max)));
        }
        if params.tau == Auto::Auto && params.tau_max <= TAU_START {
            return Err(Error::param("tau_max", params.tau_max, format!("must be above {TAU_START} with tau=auto (the times tried start there)")));
        }
        Ok(HeatGeo { params })
    }

    /// The graph Laplacian of the rows of `data` (steps 1–3 of the [module docs](self)) and
    /// whether the graph is connected.
    ///
    /// # Errors
    /// [`Error::InvalidData`] for fewer than `knn + 2` points; the kNN search's and PCA's errors.
    pub fn laplacian(&self, data: &Data, ctx: &Context) -> Result<(GraphOperator, bool)> {
        let p = &self.params;
        let (n, d) = (data.n_rows(), data.n_cols());
        if n < p.knn + 2 || n < p.n_components + 1 {
            return Err(Error::InvalidData(format!(
                "n_samples = {n} is too few: the heat-geodesic embedding needs at least knn + 2 = {} and n_components + 1 = {} samples",
                p.knn + 2,
                p.n_components + 1
            )));
        }
        let seeds = crate::rng::SeedSource::new(ctx.seed);
        let pca = match p.n_pca {
            Some(m) if m < n.min(d) => {
                let sub = Context { seed: Some(seeds.value(STAGE_PCA, 0)), ..*ctx };
                Some(Pca::builder().n_components(m).build()?.fit(data, &sub)?)
            }
            _ => None,
        };
        let reduced = match &pca {
            Some(m) => m.embedding(),
            None => Data::from_trusted_slice(data.as_slice(), n, d),
        };
        let kernel = AlphaDecayKernel { knn: p.knn, decay: p.decay, thresh: THRESH };
        let (k, _, _) = kernel.fit(&reduced, &Metric::Euclidean, ctx.seed, ctx.progress)?;
        ctx.progress.check()?;
        let w = weights(k, p.anisotropy)?;
        let connected = connected_components(&w).0 == 1;
        let kind = match p.lap_type {
            LapType::Normalized => LaplacianKind::SymmetricNormalized,
            LapType::Combinatorial => LaplacianKind::Unnormalized,
        };
        Ok((laplacian(&w, kind), connected))
    }

    /// The dense heat kernel `e^{−τL}` (`n × n` row-major) of the rows of `data` at `tau`, as
    /// the fit computes it.
    ///
    /// # Errors
    /// As [`HeatGeo::laplacian`]; the eigensolver's.
    pub fn heat_kernel(&self, data: &Data, tau: f64, ctx: &Context) -> Result<Vec<f64>> {
        ctx.install(|| {
            let (l, _) = self.laplacian(data, ctx)?;
            let seed = Some(crate::rng::SeedSource::new(ctx.seed).value(STAGE_EIGEN, 0));
            Ok(HeatKernel::new(&l, &[tau], self.params.order, seed)?.dense().swap_remove(0))
        })
    }

    /// Embeds the rows of `data`.
    ///
    /// # Errors
    /// [`Error::InvalidData`] for fewer than `knn + 2` points; the errors of the kNN search, the
    /// eigensolver, SMACOF and Procrustes; [`Error::Cancelled`].
    pub fn fit(&self, data: FitData<'_>, ctx: &Context) -> Result<HeatGeoModel> {
        ctx.install(|| {
            let p = &self.params;
            let x = data.x.f32()?;
            let (n, k) = (x.n_rows(), p.n_components);
            let (l, connected) = self.laplacian(&x, ctx)?;
            let mut warnings = Vec::new();
            if !connected {
                warnings.push(DISCONNECTED_WARNING.to_string());
            }
            let seeds = crate::rng::SeedSource::new(ctx.seed);
            ctx.progress.stage("heat-geodesic diffusion times", 0);
            let phi = HeatKernel::new(&l, &[], p.order, Some(seeds.value(STAGE_EIGEN, 0)))?.phi();
            let (mut tried, mut entropy) = (Vec::new(), Vec::new());
            let (taus, weights) = match p.tau {
                Auto::Auto => {
                    tried = linspace(TAU_START, p.tau_max, if p.n_tau == 1 { 10 } else { p.n_tau });
                    entropy = kernel_entropies(&HeatKernel::with_phi(&l, phi, &tried, p.order));
                    ctx.progress.check()?;
                    let at = kneedle(&tried, &entropy, KNEE_S).unwrap_or_else(|| {
                        warnings.push(NO_KNEE_WARNING.to_string());
                        tried.len() - 1
                    });
                    (vec![tried[at]], vec![1.0])
                }
                // The package's multiscale distance ignores tau itself.
                Auto::Value(_) if p.n_tau > 1 => multiscale_times(p.tau_min, p.tau_max, p.n_tau),
                Auto::Value(t) => (vec![t], vec![1.0]),
            };
            let opt = (p.tau == Auto::Auto).then(|| taus[0]);
            ctx.progress.finish_stage();
            ctx.progress.stage("heat kernel and distances", 0);
            let heat = HeatKernel::with_phi(&l, phi, &taus, p.order);
            let dist = heat_distances(&heat, &taus, &weights, p.harnack_regul, p.scale_factor);
            ctx.progress.check()?;
            ctx.progress.finish_stage();
            ctx.progress.stage("heat-geodesic MDS", 0);
            let y = embed_distances(&dist, n, k, p.solver, Some(seeds.value(STAGE_MDS, 0)), ctx)?;
            ctx.progress.finish_stage();
            let embedding: Vec<f32> = y.iter().map(|&v| v as f32).collect();
            if embedding.iter().any(|v| !v.is_finite()) {
                return Err(Error::Numerical { stage: "heat-geodesic MDS", message: "the embedding holds a value that is not finite".into() });
            }
            let mut model = HeatGeoModel {
                n_samples: n,
                n_features: x.n_cols(),
                n_components: k,
                embedding,
                taus,
                opt_tau: opt,
                tried,
                entropy,
                phi: heat.phi(),
                dist,
                warnings,
                params: Vec::new(),
            };
            model.params = resolved_values(p, &Fitted::resolved(&model));
            Ok(model)
        })
    }
}

/// `W`: the kernel divided by `(d_i d_j)^anisotropy` (row sums `d`, self-affinity included, as
/// graphtools), without its diagonal (pygsp's weight matrix).
fn weights(kernel: SparseGraph, anisotropy: f64) -> Result<SparseGraph> {
    let mut w = kernel;
    if anisotropy > 0.0 {
        let d = w.degrees();
        let (n, indptr, indices, mut values) = w.into_parts();
        for i in 0..n {
            for e in indptr[i]..indptr[i + 1] {
                let j = indices[e] as usize;
                values[e] = (values[e] as f64 / (d[i] * d[j]).powf(anisotropy)) as f32;
            }
        }
        w = SparseGraph::from_parts(n, indptr, indices, values)?;
    }
    w.retain(|i, j, _| i != j as usize);
    Ok(w)
}

/// The times `geomspace(tau_min, tau_max, n)` of the multiscale distance and their weights
/// `∝ 1 − τ/Στ`, summing to 1 (as the package averages them).
pub fn multiscale_times(tau_min: f64, tau_max: f64, n: usize) -> (Vec<f64>, Vec<f64>) {
    let taus = geomspace(tau_min, tau_max, n);
    let total: f64 = taus.iter().sum();
    let raw: Vec<f64> = taus.iter().map(|t| 1.0 - t / total).collect();
    let sum: f64 = raw.iter().sum();
    let weights = raw.iter().map(|w| w / sum).collect();
    (taus, weights)
}

/// `n` evenly spaced values from `a` to `b` (numpy's `linspace`).
pub fn linspace(a: f64, b: f64, n: usize) -> Vec<f64> {
    if n == 1 {
        return vec![a];
    }
    let step = (b - a) / (n - 1) as f64;
    (0..n).map(|i| if i == n - 1 { b } else { a + i as f64 * step }).collect()
}

/// `n` geometrically spaced values from `a` to `b` (numpy's `geomspace`).
pub fn geomspace(a: f64, b: f64, n: usize) -> Vec<f64> {
    let mut out: Vec<f64> = linspace(a.log10(), b.log10(), n).into_iter().map(|e| 10f64.powf(e)).collect();
    out[0] = a;
    if n > 1 {
        out[n - 1] = b;
    }
    out
}

/// `−Σ_ij H_ij ln(H_ij + 1e-10)` of each kernel of `heat` (`H < 0` counted as 0), a block of
/// columns at a time; the block sums are added in block order.
pub fn kernel_entropies(heat: &HeatKernel) -> Vec<f64> {
    let blocks = heat.map_columns(|_, _, blocks| blocks.iter().map(|b| block_entropy(b)).collect::<Vec<f64>>());
    (0..heat.n_times()).map(|t| blocks.iter().map(|b| b[t]).sum()).collect()
}

/// `−Σ h ln(h + 1e-10)` over `h` (`h < 0` as 0) in eight running sums, with [`ln_positive`]:
/// vectorised, as the distances (`tau="auto"` takes ten kernels' worth of logarithms).
#[multiversion::multiversion(targets("x86_64+avx512f+avx512vl+avx512dq", "x86_64+avx2+fma"))]
fn block_entropy(h: &[f64]) -> f64 {
    -lane_sum(h, h, |v, _| {
        let v = v.max(0.0);
        v * ln_positive(v + 1e-10)
    })
}

/// The distances of step 6 of the [module docs](self) (`n × n` row-major, `f32`):
/// `Σ_t weights[t] · (√s_t)^scale_factor`, `s_t` the regularised Varadhan distance of
/// `e^{−τ_t L}` (`taus` the times of `heat`). With `harnack = 0` each entry is final as soon as
/// its kernel values are known, and nothing else `n × n` is held; otherwise each time's
/// logarithm is held (an `f32` matrix per time) until the kernels' diagonals are known.
///
/// # Panics
/// If `taus` and `weights` do not hold one value per time of `heat`.
pub fn heat_distances(heat: &HeatKernel, taus: &[f64], weights: &[f64], harnack: f64, scale_factor: f64) -> Vec<f32> {
    assert!(taus.len() == heat.n_times() && weights.len() == taus.len(), "heat_distances: one tau and one weight per time");
    let n = heat.n();
    if harnack == 0.0 {
        let mut d = vec![vec![0f32; n * n]];
        heat.fill(&mut d, |_, count, blocks, slabs| {
            let mut sum = vec![0f64; n * count];
            let mut term = vec![0f64; n * count];
            for ((block, &tau), &w) in blocks.iter().zip(taus).zip(weights) {
                log_terms(block, tau, &mut term);
                roots(&mut term, scale_factor);
                sum.iter_mut().zip(&term).for_each(|(s, &t)| *s += w * t);
            }
            scatter(&sum, count, n, slabs[0]);
        });
        return d.pop().expect("one matrix");
    }
    let diagonals: Vec<Vec<AtomicU64>> = taus.iter().map(|_| (0..n).map(|_| AtomicU64::new(0)).collect()).collect();
    let mut logs: Vec<Vec<f32>> = taus.iter().map(|_| vec![0f32; n * n]).collect();
    heat.fill(&mut logs, |first, count, blocks, slabs| {
        let mut term = vec![0f64; n * count];
        for (t, ((block, slab), &tau)) in blocks.iter().zip(slabs.iter_mut()).zip(taus).enumerate() {
            for c in 0..count {
                diagonals[t][first + c].store(block[(first + c) * count + c].max(0.0).to_bits(), Ordering::Relaxed);
            }
            log_terms(block, tau, &mut term);
            scatter(&term, count, n, slab);
        }
    });
    let diag: Vec<Vec<f64>> = diagonals.iter().map(|d| d.iter().map(|v| f64::from_bits(v.load(Ordering::Relaxed))).collect()).collect();
    // The sum is written over the first time's logarithms.
    let (first, rest) = logs.split_at_mut(1);
    first[0].par_chunks_mut(n).enumerate().for_each(|(i, row)| {
        for (j, out) in row.iter_mut().enumerate() {
            let mut sum = 0.0;
            for (t, (&tau, &w)) in taus.iter().zip(weights).enumerate() {
                let log = if t == 0 { *out } else { rest[t - 1][i * n + j] } as f64;
                sum += w * root(log + harnack * 4.0 * tau * ln_positive(0.5 * (diag[t][i] + diag[t][j]) + 1e-16), scale_factor);
            }
            *out = sum as f32;
        }
    });
    logs.swap_remove(0)
}

/// `out = −4τ ln(h + 10⁻¹⁶)` for the heats `h` (`h < 0` as 0): Varadhan's distance without the
/// Harnack term. The logarithm is [`ln_positive`], which vectorises: per entry of an `n × n`
/// kernel, the library's logarithm took a third of the fit.
#[multiversion::multiversion(targets("x86_64+avx512f+avx512vl+avx512dq", "x86_64+avx2+fma"))]
fn log_terms(h: &[f64], tau: f64, out: &mut [f64]) {
    for (o, &v) in out.iter_mut().zip(h) {
        *o = -4.0 * tau * ln_positive(v.max(0.0) + 1e-16);
    }
}

/// `s ← (√s)^scale_factor` for each entry ([`root`]).
#[multiversion::multiversion(targets("x86_64+avx512f+avx512vl+avx512dq", "x86_64+avx2+fma"))]
fn roots(s: &mut [f64], scale_factor: f64) {
    s.iter_mut().for_each(|v| *v = root(*v, scale_factor));
}

/// `(√s)^scale_factor`, `s < 0` as 0.
#[inline(always)]
fn root(s: f64, scale_factor: f64) -> f64 {
    let r = s.max(0.0).sqrt();
    if scale_factor == 1.0 { r } else { r.powf(scale_factor) }
}

/// `slab[c·n + i] = block[i·count + c]` in `f32`: a block of kernel columns into rows of the
/// transpose.
fn scatter(block: &[f64], count: usize, n: usize, slab: &mut [f32]) {
    for (i, row) in block.chunks_exact(count).enumerate() {
        for (c, &v) in row.iter().enumerate() {
            slab[c * n + i] = v as f32;
        }
    }
}

/// `ln x` for a positive normal `x`, within 2·10⁻¹⁶ of it (relative, or absolute near 1), by
/// straight-line arithmetic the compiler vectorises: `x = 2^e m` with `m ∈ [√½, √2)`, and
/// `ln m = 2 atanh(s) = 2 (s + s³/3 + … + s¹⁹/19)`, `s = (m − 1)/(m + 1)`, `|s| ≤ 0.172`.
#[inline(always)]
fn ln_positive(x: f64) -> f64 {
    const LN2_HI: f64 = 6.931_471_803_691_238e-1;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    let bits = x.to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    let big = m > std::f64::consts::SQRT_2;
    m = if big { 0.5 * m } else { m };
    e += big as i64;
    let s = (m - 1.0) / (m + 1.0);
    let z = s * s;
    let mut p = 1.0 / 19.0;
    for k in (0..9).rev() {
        p = p * z + 1.0 / (2 * k + 1) as f64;
    }
    let e = e as f64;
    e * LN2_HI + (e * LN2_LO + 2.0 * s * p)
}

/// The `"sgd"` solver's schedule for `n` points: phate's ([`SgdSchedule::phate`]) run twice as
/// long, to the end, with pairs drawn in runs of 16 along a row. The package's s_gd2 takes 30
/// passes over all `n²/2` pairs; phate's schedule, a tenth of that at 10,000 points, and its
/// early stop left the embedding short of the package's quality (MNIST test set, knn 10:
/// trustworthiness 0.815–0.825 and kNN accuracy 0.714–0.729 by seed, against 0.825 and 0.724);
/// this one reaches 0.830–0.832 and 0.731–0.734 in 3.5 s, where phate's schedule run to the
/// end with single pairs took 3.7 s (its random reads of the distances wait on memory).
pub fn sgd_schedule(n: usize) -> SgdSchedule {
    let phate = SgdSchedule::phate(n);
    SgdSchedule { n_iter: 2 * phate.n_iter, early_stop: false, run: 16, ..phate }
}

/// Largest `n` for which the `"sgd"` solver is s_gd2's own ([`sgd_mds_all_pairs`], the package's
/// solver: 30 passes over all pairs, one thread) rather than the minibatch [`sgd_mds`]. On
/// scikit-learn's digits (1,797 points, knn 3, tau 10) the minibatch SGD reached
/// trustworthiness@10 0.884–0.893 over four seeds where the package reached 0.92–0.93; s_gd2's
/// passes reach 0.920–0.934 in 0.45 s. Its work grows as n², the minibatch's as n ln n.
pub const ALL_PAIRS_MAX: usize = 2500;

/// Step 7 of the [module docs](self): metric MDS of the dissimilarities `d` (`n × n`) into `k`
/// dimensions from the classical start, oriented onto it.
///
/// # Errors
/// The errors of the eigensolver, SMACOF and Procrustes; [`Error::Cancelled`].
pub fn embed_distances(d: &[f32], n: usize, k: usize, solver: MdsSolver, seed: Option<u64>, ctx: &Context) -> Result<Vec<f64>> {
    // The classical start from products with the centred squares, without an n × n copy.
    let how = if n <= DENSE_EIGEN_MAX { KernelEigenSolver::Dense } else { KernelEigenSolver::Iterative { tol: CLASSIC_TOL, max_iter: 1000 } };
    let (values, vectors) = CentredSquares::new(d, n).top_eigenpairs(k, how, "heat-geodesic classical MDS", ctx.progress)?;
    let classic = classic_coordinates(&values, &vectors, n, k);
    let y = if solver == MdsSolver::Sgd && k <= 2 && n <= ALL_PAIRS_MAX {
        sgd_mds_all_pairs(d, n, &classic, k, ALL_PAIRS_EPOCHS, seed)
    } else if solver == MdsSolver::Sgd && k <= 2 {
        sgd_mds(d, n, &classic, k, sgd_schedule(n), seed)
    } else {
        let d: Vec<f64> = d.iter().map(|&v| v as f64).collect();
        let options = SmacofOptions { metric: true, max_iter: 3000, eps: 1e-6, normalized_stress: false };
        Smacof::new(&d, n, options)?.run(classic.clone(), k, ctx.progress)?.embedding
    };
    Ok(procrustes(&classic, &y, n, k)?.aligned)
}

/// A fitted heat-geodesic embedding. Its model file holds the embedding and the times, not the
/// `n × n` distances.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct HeatGeoModel {
    n_samples: usize,
    n_features: usize,
    n_components: usize,
    embedding: Vec<f32>,
    taus: Vec<f64>,
    opt_tau: Option<f64>,
    tried: Vec<f64>,
    entropy: Vec<f64>,
    phi: f64,
    #[serde(skip)]
    dist: Vec<f32>,
    warnings: Vec<String>,
    #[serde(skip)]
    params: Vec<(&'static str, Value)>,
}

impl HeatGeoModel {
    /// A model from [`Fitted::to_bytes`], checked for consistency.
    ///
    /// # Errors
    /// [`Error::InvalidData`] ("corrupt model: …").
    pub fn from_bytes(bytes: &[u8]) -> Result<HeatGeoModel> {
        let (read, mut m): (_, HeatGeoModel) = model::decode(KIND, bytes)?;
        let (n, k) = (m.n_samples, m.n_components);
        if k == 0 || n.checked_mul(k) != Some(m.embedding.len()) || m.embedding.iter().any(|v| !v.is_finite()) {
            return Err(Error::InvalidData(format!("corrupt model: {} embedding values do not fit {n} points and {k} components", m.embedding.len())));
        }
        if m.taus.is_empty() || m.tried.len() != m.entropy.len() {
            return Err(Error::InvalidData("corrupt model: the diffusion times do not fit together".into()));
        }
        m.params = declared(&HeatGeoParams::specs(), read)?;
        Ok(m)
    }

    /// The heat-geodesic distances the embedding was fitted to (`n × n` row-major; the package's
    /// `dist`; empty for a model read from a file).
    pub fn distances(&self) -> &[f32] {
        &self.dist
    }

    /// The diffusion times whose distances were averaged (one, unless `n_tau > 1` with `tau` given).
    pub fn taus(&self) -> &[f64] {
        &self.taus
    }

    /// The automatically chosen `tau` (`None` when `tau` was given; the package's `opt_tau`).
    pub fn opt_tau(&self) -> Option<f64> {
        self.opt_tau
    }

    /// With `tau="auto"`: the times tried and the kernel's entropy at each (the package's
    /// `entro_H` is the entropy at the chosen one).
    pub fn entropy(&self) -> (&[f64], &[f64]) {
        (&self.tried, &self.entropy)
    }

    /// `φ = λ_max(L)/2` of the Chebyshev expansion.
    pub fn phi(&self) -> f64 {
        self.phi
    }
}

impl Fitted for HeatGeoModel {
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
        Some(Data::from_trusted_slice(&self.embedding, self.n_samples, self.n_components))
    }

    fn resolved(&self) -> Vec<(&'static str, Value)> {
        match self.opt_tau {
            Some(t) => vec![("tau", Value::Float(t))],
            None => Vec::new(),
        }
    }

    fn attributes(&self) -> Vec<Attribute> {
        let (n, k) = (self.n_samples, self.n_components);
        let mut out =
            vec![Attribute::matrix("embedding_", self.embedding.iter().map(|&v| v as f64).collect(), n, k), Attribute::vector("taus_", self.taus.clone())];
        if let Some(t) = self.opt_tau {
            out.push(Attribute::scalar("opt_tau_", t));
            out.push(Attribute::vector("taus_tried_", self.tried.clone()));
            out.push(Attribute::vector("entropy_", self.entropy.clone()));
        }
        out
    }

    fn params(&self) -> Vec<(&'static str, Value)> {
        self.params.clone()
    }

    fn to_bytes(&self) -> Result<Vec<u8>> {
        model::to_bytes(KIND, &self.params, self)
    }

    fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_positive_agrees_with_the_library_logarithm() {
        let mut worst: f64 = 0.0;
        let mut x = 1e-300f64;
        while x < 1e300 {
            // Either side of the √2 where the mantissa is halved.
            let root2 = std::f64::consts::SQRT_2;
            for y in [x, x * 1.000_000_1, x * root2 * (1.0 - 1e-15), x * root2 * (1.0 + 1e-15), x * 1.999_999_999] {
                let (ours, std) = (ln_positive(y), y.ln());
                worst = worst.max((ours - std).abs() / std.abs().max(1.0));
            }
            x *= 1.37;
        }
        for y in [1.0, 1.0 + 1e-15, 1.0 - 1e-15, 0.5, 2.0, 1e-16, 1e-16 + 1e-30, std::f64::consts::E] {
            worst = worst.max((ln_positive(y) - y.ln()).abs() / y.ln().abs().max(1.0));
        }
        assert!(worst < 4e-16, "relative error {worst:e}");
    }
}
