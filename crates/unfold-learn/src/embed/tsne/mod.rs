//! t-SNE: t-distributed stochastic neighbour embedding (van der Maaten & Hinton 2008), with
//! openTSNE 1.0.4's affinities, optimiser and defaults, and its heavy-tailed kernel
//! `(1 + d²/α)^−α` (`dof` = α, Kobak et al. 2019).
//!
//! Stages, one file each:
//!
//! 1. **Affinities** ([`affinity`]): perplexity-calibrated Gaussian conditionals on the kNN
//!    graph (`k = min(n − 1, ⌊3 · perplexity⌋)`; all other points with the exact gradient),
//!    symmetrised and normalised.
//! 2. **Initialisation** ([`init`]): PCA scaled to standard deviation 1e-4 (default), random,
//!    spectral, or a given array.
//! 3. **Repulsion** ([`repulsion`]): the one function shape every gradient method provides;
//!    [`exact`], Barnes–Hut ([`bh`]) and FFT-accelerated interpolation ([`fft`]).
//! 4. **Optimisation** ([`optimise`]): early exaggeration (12, 250 iterations), then
//!    `max_iter` (500) iterations at `exaggeration` (1); momentum 0.8 in both, delta-bar-delta
//!    gains carried over, `learning_rate = "auto"` = `n / exaggeration` of the phase, steps
//!    clipped to norm 5, the embedding centred after every step. From [`REORDER_FROM`] points
//!    the points are optimised in breadth-first order of `P` and numbered back at the end.
//! 5. **Transform** ([`transform`]): new points against the fitted embedding, as openTSNE's
//!    `transform`; the model keeps the training rows' neighbour index for it, and is saved and
//!    loaded through the shared model file.
//!
//! Against scikit-learn's `TSNE`: the parameter names are scikit-learn's, the defaults and the
//! optimiser openTSNE's. `max_iter` counts the iterations after early exaggeration (openTSNE's
//! `n_iter`; scikit-learn's counts both phases), `method` is `"auto"` by default (openTSNE's:
//! Barnes–Hut below [`FFT_FROM`] points, FFT from there), and the gradient has no factor 4 (so `learning_rate = "auto"` matches scikit-learn's
//! `max(n / early_exaggeration / 4, 50)` but for the floor).
//!
//! ```
//! use unfold_learn::prelude::*;
//! use unfold_learn::embed::tsne::{Tsne, TsneParams};
//! use unfold_learn::method::Input;
//! let x: Vec<f32> = (0..600).map(|i| ((i * 7919) % 101) as f32 / 10.0 + (i / 300) as f32 * 50.0).collect();
//! let data = Data::from_row_major(&x, 100, 6)?;
//! let params = TsneParams { perplexity: 10.0, max_iter: 100, ..TsneParams::default() };
//! let model = Tsne::new(params)?.fit(Input::F32(&data).into(), &Context::seeded(42))?;
//! assert!(model.kl_divergence() > 0.0);
//! # Ok::<(), unfold_learn::Error>(())
//! ```

pub mod affinity;
pub mod bh;
pub mod exact;
pub mod fft;
pub mod init;
pub mod optimise;
pub mod repulsion;
pub mod transform;

pub use repulsion::Gradient;
pub use transform::{PartialInit, TsneTransformParams};

use crate::data::{Data, Embedding};
use crate::error::{Error, Result};
use crate::io::model::{self, Kind};
use crate::knn::search::NeighborIndex;
use crate::knn::{KnnAlgorithm, KnnParams, exact_is_faster, knn_graph};
use crate::method::params::{Auto, ParamKind, ParamType};
use crate::method::{
    Attribute, Capabilities, Context, FitData, FitRows, Fitted, Input, MethodEntry, Params, Range, Value, declared, params_from, resolved_values, rows_not_kept,
};
use crate::metric::Metric;
use crate::progress::CancelOnly;
use affinity::Affinities;
use optimise::{Callback, Edges, Optimiser, Phase};

/// How the gradient's repulsion is computed (scikit-learn's `method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TsneMethod {
    /// openTSNE's: Barnes–Hut below [`FFT_FROM`] points, FFT from there (Barnes–Hut for 3
    /// output dimensions, the exact gradient above 3).
    Auto,
    /// Every pair, with affinities over all other points.
    Exact,
    /// Barnes–Hut with opening angle `angle`.
    BarnesHut,
    /// FFT-accelerated interpolation (1 or 2 output dimensions).
    Fft,
}

impl ParamType for TsneMethod {
    const KIND: ParamKind = ParamKind::Choice(&["auto", "exact", "barnes_hut", "fft"]);
    fn from_value(name: &'static str, value: &Value) -> Result<Self> {
        match value {
            Value::Text(t) => match t.to_ascii_lowercase().as_str() {
                "auto" => Ok(TsneMethod::Auto),
                "exact" => Ok(TsneMethod::Exact),
                "barnes_hut" | "bh" => Ok(TsneMethod::BarnesHut),
                "fft" => Ok(TsneMethod::Fft),
                _ => Err(Error::param(name, t, "must be auto, exact, barnes_hut (bh) or fft")),
            },
            v => Err(Error::param(name, v, "must be auto, exact, barnes_hut (bh) or fft")),
        }
    }
    fn to_value(&self) -> Value {
        Value::Text(
            match self {
                TsneMethod::Auto => "auto",
                TsneMethod::Exact => "exact",
                TsneMethod::BarnesHut => "barnes_hut",
                TsneMethod::Fft => "fft",
            }
            .into(),
        )
    }
    fn number(&self) -> Option<f64> {
        None
    }
}

/// The starting layout.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub enum TsneInit {
    /// Principal components scaled to standard deviation 1e-4 (openTSNE's default); spectral
    /// with `metric = "precomputed"`.
    #[default]
    Pca,
    /// `N(0, 1e-4²)`.
    Random,
    /// The spectral embedding of the affinities.
    Spectral,
    /// Given coordinates, row-major `n × n_components`, used as they are.
    Array(Vec<f64>),
}

impl ParamType for TsneInit {
    const KIND: ParamKind = ParamKind::ChoiceOrArray(&["pca", "random", "spectral"]);
    fn from_value(name: &'static str, value: &Value) -> Result<Self> {
        const EXPECTED: &str = "must be pca, random, spectral, or an array of starting coordinates of shape (n_samples, n_components)";
        match value {
            Value::Text(t) => match t.to_ascii_lowercase().as_str() {
                "pca" => Ok(TsneInit::Pca),
                "random" => Ok(TsneInit::Random),
                "spectral" => Ok(TsneInit::Spectral),
                _ => Err(Error::param(name, t, EXPECTED)),
            },
            Value::Array { values, shape } if shape.len() == 2 => init::finite_coordinates(name, values, shape[1]).map(TsneInit::Array),
            v => Err(Error::param(name, v, EXPECTED)),
        }
    }
    fn to_value(&self) -> Value {
        Value::Text(
            match self {
                TsneInit::Pca => "pca",
                TsneInit::Random => "random",
                TsneInit::Spectral => "spectral",
                TsneInit::Array(_) => "array",
            }
            .into(),
        )
    }
    fn number(&self) -> Option<f64> {
        None
    }
}

/// Which input affinities t-SNE matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum TsneAffinity {
    /// Gaussian on the kNN graph, calibrated to `perplexity` (or to each of `perplexities`).
    #[default]
    Perplexity,
    /// Equal weights on the symmetrised graph of `k_neighbors` nearest neighbours.
    Uniform,
    /// The input is a square matrix of affinities.
    Precomputed,
}

impl ParamType for TsneAffinity {
    const KIND: ParamKind = ParamKind::Choice(&["perplexity", "uniform", "precomputed"]);
    fn from_value(name: &'static str, value: &Value) -> Result<Self> {
        match value {
            Value::Text(t) => match t.to_ascii_lowercase().as_str() {
                "perplexity" => Ok(TsneAffinity::Perplexity),
                "uniform" => Ok(TsneAffinity::Uniform),
                "precomputed" => Ok(TsneAffinity::Precomputed),
                _ => Err(Error::param(name, t, "must be perplexity, uniform or precomputed")),
            },
            v => Err(Error::param(name, v, "must be perplexity, uniform or precomputed")),
        }
    }
    fn to_value(&self) -> Value {
        Value::Text(
            match self {
                TsneAffinity::Perplexity => "perplexity",
                TsneAffinity::Uniform => "uniform",
                TsneAffinity::Precomputed => "precomputed",
            }
            .into(),
        )
    }
    fn number(&self) -> Option<f64> {
        None
    }
}

/// Several perplexities for multiscale affinities (openTSNE's `affinity.Multiscale`); empty
/// when `perplexity` alone is used.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Perplexities(pub Vec<f64>);

impl ParamType for Perplexities {
    const KIND: ParamKind = ParamKind::Other("Sequence[float] | None");
    fn from_value(name: &'static str, value: &Value) -> Result<Self> {
        const EXPECTED: &str = "must be a list of perplexities, each a finite number > 0, or none";
        let list = match value {
            Value::None => return Ok(Perplexities::default()),
            Value::Array { values, shape } if shape.len() == 1 => values.clone(),
            Value::Int(i) => vec![*i as f64],
            Value::Float(x) => vec![*x],
            // The command line's "30,300".
            Value::Text(t) => {
                t.split(',').map(|p| p.trim().parse::<f64>()).collect::<std::result::Result<Vec<f64>, _>>().map_err(|_| Error::param(name, t, EXPECTED))?
            }
            v => return Err(Error::param(name, v, EXPECTED)),
        };
        if list.is_empty() || list.iter().any(|p| !(p.is_finite() && *p > 0.0)) {
            return Err(Error::param(name, format!("{list:?}"), EXPECTED));
        }
        Ok(Perplexities(list))
    }
    fn to_value(&self) -> Value {
        if self.0.is_empty() { Value::None } else { Value::Array { values: self.0.clone(), shape: vec![self.0.len()] } }
    }
    fn number(&self) -> Option<f64> {
        None
    }
}

crate::method_params! {
    /// t-SNE parameters: scikit-learn's names, openTSNE 1.0.4's defaults.
    pub struct TsneParams {
        /// Output dimensions (at most 3 with barnes_hut).
        n_components: usize = 2, flag = "dims", range = Range::at_least(1.0);
        /// Effective number of neighbours of each point; each point is calibrated over 3 x perplexity neighbours, so at most (n_samples - 1) / 3.
        perplexity: f64 = 30.0, range = Range::above(0.0);
        /// Multiscale affinities: the affinities of each of these perplexities averaged, over the 3 x max neighbours (openTSNE's affinity.Multiscale); none = perplexity alone.
        perplexities: Perplexities = Perplexities::default();
        /// Input affinities: perplexity (Gaussian, calibrated), uniform (equal weights on the k_neighbors nearest neighbours, symmetrised; openTSNE's Uniform) or precomputed (the input is a square matrix of affinities).
        affinity: TsneAffinity = TsneAffinity::Perplexity;
        /// Neighbours of each point with affinity = uniform (below n_samples).
        k_neighbors: usize = 30, range = Range::at_least(1.0);
        /// Exaggeration of the attraction in the first phase; auto = max(12, exaggeration).
        early_exaggeration: Auto<f64> = Auto::Auto, range = Range::above(0.0);
        /// Iterations of the early-exaggeration phase.
        early_exaggeration_iter: usize = 250, flag = "early-iter", peer = "early_exaggeration_iter";
        /// Exaggeration of the attraction after the first phase (openTSNE's; 1 = none).
        exaggeration: f64 = 1.0, range = Range::above(0.0);
        /// Iterations after early exaggeration (openTSNE's n_iter).
        max_iter: usize = 500, flag = "iter", peer = "n_iter";
        /// Step size; auto = n_samples / exaggeration of the phase.
        learning_rate: Auto<f64> = Auto::Auto, range = Range::above(0.0);
        /// Gradient: auto (barnes_hut below 10000 points, fft from there), exact (all pairs, O(n^2)), barnes_hut (bh) or fft (interpolation on a grid, 1 or 2 dimensions).
        method: TsneMethod = TsneMethod::Auto, flag = "gradient", peer = "negative_gradient_method";
        /// Barnes-Hut opening angle: a cell is summarised when its side over its distance is below it (openTSNE's theta).
        angle: f64 = 0.5, flag = "theta", range = Range::closed(0.0, 1.0), peer = "theta";
        /// FFT gradient: interpolation nodes per grid box and axis.
        n_interpolation_points: usize = 3, range = Range::closed(1.0, fft::MAX_INTERPOLATION_POINTS as f64);
        /// FFT gradient: the fewest grid boxes per axis.
        min_num_intervals: usize = 50, range = Range::at_least(1.0);
        /// FFT gradient: embedding units per grid box at most (more boxes when the embedding spans more).
        ints_in_interval: f64 = 1.0, range = Range::above(0.0);
        /// Degrees of freedom of the heavy-tailed kernel (1 + d^2/dof)^-dof; 1 = Cauchy.
        dof: f64 = 1.0, range = Range::above(0.0);
        /// Initial layout: pca, random, spectral, or starting coordinates (n_samples × n_components).
        init: TsneInit = TsneInit::Pca, peer = "initialization";
        /// Input distance: euclidean, cosine, manhattan, … or precomputed (the input is a square distance matrix).
        metric: Metric = Metric::Euclidean;
    }
}

/// The method's registration ([`crate::method::methods`]).
pub const ENTRY: MethodEntry = MethodEntry {
    name: "tsne",
    summary: "t-SNE (openTSNE's optimiser; exact, Barnes-Hut or FFT-interpolated gradient)",
    specs: <TsneParams as crate::method::Params>::specs,
    precise: false,
    supervised: false,
    precomputed_knn: false,
    sparse: true,
    fit: |values, data, ctx| Ok(Box::new(Tsne::new(params_from(values)?)?.fit(data, ctx)?)),
    load: |bytes| Ok(Box::new(TsneModel::from_bytes(bytes)?)),
};

/// The model file kind.
const KIND: Kind = Kind { tag: "tsne", version: 1 };

/// Seed stage of the neighbour index's search tree.
const STAGE_INDEX: u64 = 0x75e0_0030;

/// From this many points `method = "auto"` takes the FFT gradient (openTSNE's rule).
pub const FFT_FROM: usize = 10_000;

/// Most candidates NN-descent samples per point and iteration for t-SNE's neighbours:
/// `min(k, 30)` (pynndescent's default, which the kNN engine keeps, is `min(k, 60)`, so the two
/// differ only above 30 neighbours). t-SNE asks for `3 × perplexity` neighbours (90 by
/// default), and its affinities need them approximately (openTSNE searches with Annoy): on
/// MNIST (70,000 rows, k = 90) 30 candidates find the exact neighbours at recall 0.9989 against
/// 0.9997 for 60, the search stage in 16.7 s instead of 23.7 s, at the same trustworthiness and
/// KL divergence.
pub const KNN_MAX_CANDIDATES: usize = 30;

/// NN-descent for t-SNE's neighbours stops once fewer than this fraction of the `n · k` entries
/// changed in an iteration (pynndescent's default, which the kNN engine keeps, is 0.001). With
/// 30 candidates a point sees at most a third of its 90 neighbours' lists an iteration, so
/// iterations go on costing the same while they change less and less: on MNIST (70,000 rows,
/// k = 90) iterations four to six changed 0.6 %, 0.17 % and 0.04 % of the entries, 3 s each.
/// At 0.01 the search stops after the fourth: recall against exact neighbours 0.9974 against
/// 0.9991, in 14.4 s instead of 20.3 s (20 candidates at 0.001 reach the same 0.9974 in 16.7 s).
pub const KNN_DELTA: f64 = 0.01;

/// Fits of at least this many points are optimised with the points in breadth-first order of
/// `P`, so that a point's neighbours sit close in memory, and numbered back at the end. On all
/// of MNIST (70,000 points, 1.1 MB of coordinates, more than a core's 1 MB second-level cache)
/// the attraction took 10.2 s instead of 13.7 s over the 750 iterations; on its 10,000-row test
/// set it made no difference.
pub const REORDER_FROM: usize = 20_000;

/// Momentum of both phases.
pub const MOMENTUM: f64 = 0.8;

/// Largest step of a point in one iteration (openTSNE's `max_step_norm`).
pub const MAX_STEP_NORM: f64 = 5.0;

const STAGE_INIT: u64 = 0x75e0_0010;

/// t-SNE with validated parameters.
#[derive(Debug, Clone)]
pub struct Tsne {
    params: TsneParams,
}

impl Tsne {
    /// Checks the parameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a value out of range, or `barnes_hut` with more than 3
    /// output dimensions.
    pub fn new(params: TsneParams) -> Result<Tsne> {
        params.check_ranges()?;
        if params.method == TsneMethod::BarnesHut && params.n_components > bh::MAX_DIM {
            return Err(Error::param("n_components", params.n_components, "must be at most 3 with method = barnes_hut; use method = exact"));
        }
        if params.method == TsneMethod::Fft && params.n_components > 2 {
            return Err(Error::param("n_components", params.n_components, "must be 1 or 2 with method = fft; use barnes_hut for 3"));
        }
        Ok(Tsne { params })
    }

    /// The parameters.
    pub fn params(&self) -> &TsneParams {
        &self.params
    }

    /// Embeds the rows of `data`.
    ///
    /// # Errors
    /// As [`Tsne::fit_with_callback`].
    pub fn fit(&self, data: FitData<'_>, ctx: &Context) -> Result<TsneModel> {
        self.fit_with_callback(data, ctx, None)
    }

    /// Embeds the rows of `data`, calling `callback` every
    /// [`optimise::REPORT_EVERY`] iterations with the iteration, the KL divergence and the
    /// embedding; a callback returning `true` ends the optimisation there.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a perplexity above `(n − 1) / 3` or an `init` array of
    /// the wrong shape; the kNN search's and the initialisation's errors; [`Error::Cancelled`].
    pub fn fit_with_callback(&self, data: FitData<'_>, ctx: &Context, callback: Option<Callback>) -> Result<TsneModel> {
        ctx.install(|| {
            let p = &self.params;
            let dense_rows;
            let x = match data.x {
                Input::Sparse(s) => FitRows::Sparse(s),
                other => {
                    dense_rows = other.f32()?;
                    FitRows::Dense(&dense_rows)
                }
            };
            let (n, dim) = (data.x.n_rows(), p.n_components);
            if n < 2 {
                return Err(Error::InvalidData(format!("n_samples = {n}: t-SNE needs at least 2 samples")));
            }
            let gradient = self.gradient(n);
            let seed = crate::rng::SeedSource::new(ctx.seed).value(STAGE_INIT, 0);
            let mut warnings = Vec::new();
            if let TsneInit::Array(v) = &p.init
                && let Some(w) = init::check_user_init(v, n, dim)?
            {
                warnings.push(w);
            }
            // The PCA start does not depend on the affinities, so it runs beside the neighbour
            // search and the calibration (rayon::join) and fills the cores their serial steps
            // leave idle. Only its cancellation reaches the caller's progress, whose stages stay
            // those of the affinities.
            let pca_start = p.init == TsneInit::Pca && p.metric != Metric::Precomputed && p.affinity != TsneAffinity::Precomputed;
            let (found, pca) = match x {
                FitRows::Dense(rows) if pca_start => {
                    let quiet = CancelOnly(ctx.progress);
                    let pca_ctx = Context { seed: ctx.seed, threads: ctx.threads, progress: &quiet, keep_data: false };
                    let (found, pca) = rayon::join(|| self.affinities(x, gradient, ctx), || init::pca_init(rows, dim, seed, &pca_ctx));
                    (found, Some(pca))
                }
                _ => (self.affinities(x, gradient, ctx), None),
            };
            let (affinities, index) = found?;
            let mut y = match (pca, &p.init, x) {
                (Some(pca), _, _) => pca?,
                (None, TsneInit::Pca, FitRows::Sparse(s)) => init::svd_init(s, dim, seed, ctx)?,
                (None, TsneInit::Pca | TsneInit::Spectral, _) => init::spectral_init(&affinities, dim, seed)?,
                (None, TsneInit::Random, _) => init::random_init(n, dim, seed),
                (None, TsneInit::Array(v), _) => v.clone(),
            };
            let (kl, n_iter) = self.optimise_all(affinities, &mut y, dim, gradient, ctx, callback, n >= REORDER_FROM)?;
            if let Some(at) = y.iter().position(|v| !v.is_finite()) {
                return Err(Error::Numerical { stage: "t-SNE optimisation", message: format!("the embedding of row {} is not finite", at / dim) });
            }
            let mut model = TsneModel {
                n_samples: n,
                n_features: data.x.n_cols(),
                n_components: dim,
                embedding: y.iter().map(|&v| v as f32).collect(),
                embedding_f64: y,
                kl_divergence: kl,
                n_iter,
                learning_rate: self.learning_rate(n, p.exaggeration),
                dof: p.dof,
                gradient,
                index,
                precomputed_affinities: p.affinity == TsneAffinity::Precomputed,
                fitted_sparse: matches!(x, FitRows::Sparse(_)),
                warnings,
                params: Vec::new(),
            };
            model.params = resolved_values(p, &[]);
            Ok(model)
        })
    }

    /// The input affinities of the fit of `x`, and the neighbour index of its rows when the
    /// context keeps them (not for precomputed affinities).
    fn affinities(&self, x: FitRows<'_>, gradient: Gradient, ctx: &Context) -> Result<(Affinities, Option<NeighborIndex>)> {
        let p = &self.params;
        let n = x.n_rows();
        if p.affinity == TsneAffinity::Precomputed {
            return match x {
                FitRows::Dense(x) => Ok((affinity::precomputed_affinities(x.as_slice(), n, x.n_cols())?, None)),
                FitRows::Sparse(_) => Err(Error::param("affinity", "precomputed", "takes a dense square matrix of affinities; the input is sparse")),
            };
        }
        let k = match p.affinity {
            TsneAffinity::Uniform if p.k_neighbors >= n => {
                return Err(Error::param("k_neighbors", p.k_neighbors, format!("must be below n_samples = {n}")));
            }
            TsneAffinity::Uniform => p.k_neighbors,
            _ if gradient == Gradient::Exact => n - 1,
            _ => {
                let most = self.perplexities().iter().fold(0.0f64, |m, &v| m.max(v));
                affinity::neighbours_for(most, n)
            }
        };
        if p.affinity == TsneAffinity::Perplexity {
            for &perplexity in &self.perplexities() {
                affinity::check_perplexity(perplexity, n)?;
            }
        }
        let algorithm = if exact_is_faster(n, k) { KnnAlgorithm::Exact } else { KnnAlgorithm::Auto };
        let knn_params = KnnParams {
            k,
            algorithm,
            metric: p.metric.clone(),
            seed: ctx.seed,
            max_candidates: Some(k.min(KNN_MAX_CANDIDATES)),
            delta: KNN_DELTA,
            ..KnnParams::default()
        };
        let knn = match x {
            FitRows::Dense(x) => knn_graph(x, &knn_params, ctx.progress)?,
            FitRows::Sparse(s) => crate::knn::sparse_knn_graph(s, &knn_params, ctx.progress)?,
        };
        ctx.progress.check()?;
        let affinities = match p.affinity {
            TsneAffinity::Uniform => affinity::uniform_affinities(&knn),
            _ => affinity::multiscale_affinities(&knn, &self.perplexities()),
        };
        // Sparse rows keep no index: new points are placed against dense training rows only.
        let index = match x {
            FitRows::Dense(x) if ctx.keep_data => Some(NeighborIndex::new(x, &knn, &p.metric, crate::rng::SeedSource::new(ctx.seed).value(STAGE_INDEX, 0))?),
            _ => None,
        };
        Ok((affinities, index))
    }

    /// The perplexities the affinities are calibrated to: `perplexities`, or `perplexity`.
    fn perplexities(&self) -> Vec<f64> {
        if self.params.perplexities.0.is_empty() { vec![self.params.perplexity] } else { self.params.perplexities.0.clone() }
    }

    /// The repulsion method a fit of `n` points uses.
    pub fn gradient(&self, n: usize) -> Gradient {
        let p = &self.params;
        let fft = Gradient::Fft(fft::FftParams {
            n_interpolation_points: p.n_interpolation_points,
            min_num_intervals: p.min_num_intervals,
            ints_in_interval: p.ints_in_interval,
        });
        match p.method {
            TsneMethod::Exact => Gradient::Exact,
            TsneMethod::BarnesHut => Gradient::BarnesHut { theta: p.angle },
            TsneMethod::Fft => fft,
            TsneMethod::Auto if n >= FFT_FROM && p.n_components <= 2 => fft,
            TsneMethod::Auto if p.n_components <= bh::MAX_DIM => Gradient::BarnesHut { theta: p.angle },
            TsneMethod::Auto => Gradient::Exact,
        }
    }

    fn learning_rate(&self, n: usize, exaggeration: f64) -> f64 {
        match self.params.learning_rate {
            Auto::Auto => n as f64 / exaggeration,
            Auto::Value(v) => v,
        }
    }

    /// The early exaggeration (auto = max(12, exaggeration)).
    pub fn early_exaggeration(&self) -> f64 {
        match self.params.early_exaggeration {
            Auto::Auto => self.params.exaggeration.max(12.0),
            Auto::Value(v) => v,
        }
    }

    /// Both phases on `y`; returns the final KL divergence and the iterations run. With
    /// `reorder`, the points are optimised in breadth-first order of `P`'s graph: a point's
    /// neighbours then sit close in memory for the attraction's reads of their coordinates. The
    /// result is the same up to the order of the floating-point sums; the callback sees the
    /// embedding in the given order.
    #[allow(clippy::too_many_arguments)]
    fn optimise_all(
        &self,
        p: Affinities,
        y: &mut [f64],
        dim: usize,
        gradient: Gradient,
        ctx: &Context,
        callback: Option<Callback>,
        reorder: bool,
    ) -> Result<(f64, usize)> {
        if !reorder {
            return self.optimise_in_order(&Edges::new(p), y, dim, gradient, ctx, callback);
        }
        let order = p.breadth_first_order();
        let renumbered = p.renumbered(&order);
        drop(p);
        let renumbered = Edges::new(renumbered);
        let mut z = vec![0.0; y.len()];
        for (zr, &i) in z.chunks_exact_mut(dim).zip(&order) {
            zr.copy_from_slice(&y[i as usize * dim..(i as usize + 1) * dim]);
        }
        let back = |z: &[f64], y: &mut [f64]| {
            for (zr, &i) in z.chunks_exact(dim).zip(&order) {
                y[i as usize * dim..(i as usize + 1) * dim].copy_from_slice(zr);
            }
        };
        let given = callback.map(|cb| {
            move |it: usize, kl: f64, z: &[f64]| {
                let mut y = vec![0.0; z.len()];
                back(z, &mut y);
                cb(it, kl, &y)
            }
        });
        let result = self.optimise_in_order(&renumbered, &mut z, dim, gradient, ctx, given.as_ref().map(|f| f as Callback));
        back(&z, y);
        result
    }

    /// [`Tsne::optimise_all`] in the points' given order.
    fn optimise_in_order(&self, p: &Edges, y: &mut [f64], dim: usize, gradient: Gradient, ctx: &Context, callback: Option<Callback>) -> Result<(f64, usize)> {
        let params = &self.params;
        let n = y.len() / dim;
        let (ee_iter, iter) = (params.early_exaggeration_iter, params.max_iter);
        ctx.progress.stage("t-SNE optimisation", (ee_iter + iter) as u64);
        let mut state = Optimiser::new(y.len());
        let ee = self.early_exaggeration();
        let early = Phase {
            n_iter: ee_iter,
            exaggeration: ee,
            learning_rate: self.learning_rate(n, ee),
            momentum: MOMENTUM,
            max_grad_norm: None,
            max_step_norm: Some(MAX_STEP_NORM),
            dof: params.dof,
            offset: 0,
        };
        let first = optimise::optimise(p, y, dim, gradient, &early, &mut state, ctx.progress, callback)?;
        let mut kl = first.kl;
        let mut done = first.n_iter;
        if !first.stopped {
            let late =
                Phase { n_iter: iter, exaggeration: params.exaggeration, learning_rate: self.learning_rate(n, params.exaggeration), offset: done, ..early };
            let second = optimise::optimise(p, y, dim, gradient, &late, &mut state, ctx.progress, callback)?;
            kl = second.kl;
            done += second.n_iter;
        }
        ctx.progress.message(&format!("KL divergence {kl:.4}"));
        ctx.progress.finish_stage();
        Ok((kl, done))
    }
}

/// A fitted t-SNE embedding.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TsneModel {
    n_samples: usize,
    n_features: usize,
    n_components: usize,
    #[serde(skip)]
    embedding: Vec<f32>,
    embedding_f64: Vec<f64>,
    kl_divergence: f64,
    n_iter: usize,
    learning_rate: f64,
    dof: f64,
    /// The repulsion method of the fit, which its transform uses too.
    gradient: Gradient,
    /// The training rows' neighbour index, when the fit kept its data.
    index: Option<NeighborIndex>,
    /// Fitted to precomputed affinities (no rows to place new points against; not saved).
    #[serde(skip)]
    precomputed_affinities: bool,
    /// Whether the fit's rows were sparse (the model then keeps no index).
    #[serde(skip)]
    fitted_sparse: bool,
    #[serde(skip)]
    warnings: Vec<String>,
    #[serde(skip)]
    params: Vec<(&'static str, Value)>,
}

impl TsneModel {
    /// The embedding, `n × n_components` row-major.
    pub fn embedding(&self) -> Data<'_> {
        Data::from_trusted_slice(&self.embedding, self.n_samples, self.n_components)
    }

    /// The embedding in `f64`, as optimised.
    pub fn embedding_f64(&self) -> &[f64] {
        &self.embedding_f64
    }

    /// The final KL divergence.
    pub fn kl_divergence(&self) -> f64 {
        self.kl_divergence
    }

    /// Iterations run, both phases.
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }

    /// The repulsion method the fit used (and its transform uses).
    pub fn gradient(&self) -> Gradient {
        self.gradient
    }

    /// Places the rows of `data` against the fitted embedding ([`transform`]); returns their
    /// coordinates, row-major `m × n_components`, in `f64`. `seed` serves
    /// `initialization = "random"` only.
    ///
    /// # Errors
    /// [`Error::InvalidData`] for a model fitted without keeping its rows, or `data` with
    /// another number of columns than the fit's; the errors of [`transform`].
    pub fn transform_with(&self, data: &Data, params: &TsneTransformParams, seed: Option<u64>, progress: &dyn crate::progress::Progress) -> Result<Vec<f64>> {
        let index = self.index.as_ref().ok_or_else(|| self.no_rows())?;
        let fit = transform::Fit { embedding: &self.embedding_f64, dim: self.n_components, dof: self.dof, gradient: self.gradient, index };
        transform::transform(&fit, data, params, seed, progress)
    }

    /// The model file's bytes.
    ///
    /// # Errors
    /// [`Error::InvalidData`] for a model fitted without keeping its rows.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        if self.index.is_none() {
            return Err(self.no_rows());
        }
        model::to_bytes(KIND, &self.params, self)
    }

    /// Why the model cannot transform or be saved.
    fn no_rows(&self) -> Error {
        if self.fitted_sparse {
            Error::InvalidData("this t-SNE model was fitted on sparse rows; it gives its embedding, but to transform or save, fit it on dense rows".into())
        } else if self.precomputed_affinities {
            Error::InvalidData(
                "this t-SNE model was fitted to precomputed affinities: it has no training rows to place new points against, and is not saved".into(),
            )
        } else {
            rows_not_kept("this t-SNE model")
        }
    }

    /// A model from [`TsneModel::to_bytes`], checked for consistency.
    ///
    /// # Errors
    /// [`Error::InvalidData`] naming what does not fit ("corrupt model: …").
    pub fn from_bytes(bytes: &[u8]) -> Result<TsneModel> {
        let (read, mut m): (_, TsneModel) = model::decode(KIND, bytes)?;
        m.validate().map_err(|what| Error::InvalidData(format!("corrupt model: {what}")))?;
        m.embedding = m.embedding_f64.iter().map(|&v| v as f32).collect();
        m.params = declared(&TsneParams::specs(), read)?;
        Ok(m)
    }

    fn validate(&self) -> std::result::Result<(), String> {
        let (n, k) = (self.n_samples, self.n_components);
        if n < 2 || k == 0 || n.checked_mul(k) != Some(self.embedding_f64.len()) {
            return Err(format!("{} embedding values do not fit {n} points and {k} components", self.embedding_f64.len()));
        }
        if self.embedding_f64.iter().any(|v| !v.is_finite()) {
            return Err("the embedding holds a value that is not finite".into());
        }
        if !(self.dof.is_finite() && self.dof > 0.0) {
            return Err(format!("dof {} is not a positive number", self.dof));
        }
        match self.gradient {
            Gradient::Exact => {}
            Gradient::BarnesHut { theta } if (0.0..=1.0).contains(&theta) && k <= bh::MAX_DIM => {}
            Gradient::Fft(f)
                if k <= 2
                    && (1..=fft::MAX_INTERPOLATION_POINTS).contains(&f.n_interpolation_points)
                    && f.min_num_intervals >= 1
                    && f.ints_in_interval.is_finite()
                    && f.ints_in_interval > 0.0 => {}
            g => return Err(format!("the gradient {g:?} does not serve {k} components")),
        }
        match &self.index {
            Some(index) if index.n_points() != n => Err(format!("the neighbour index holds {} points, not {n}", index.n_points())),
            Some(index) => index.validate().map_err(|e| e.to_string()),
            None => Err("the model holds no training rows".into()),
        }
    }
}

impl Fitted for TsneModel {
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
        Some(TsneModel::embedding(self))
    }

    fn attributes(&self) -> Vec<Attribute> {
        vec![
            Attribute::matrix("embedding_", self.embedding_f64.clone(), self.n_samples, self.n_components),
            Attribute::scalar("kl_divergence_", self.kl_divergence),
            Attribute::scalar("n_iter_", self.n_iter as f64),
            Attribute::scalar("learning_rate_", self.learning_rate),
        ]
    }

    fn params(&self) -> Vec<(&'static str, Value)> {
        self.params.clone()
    }

    /// openTSNE's `transform` with its defaults ([`TsneTransformParams`]).
    fn transform(&self, data: Input<'_>, ctx: &Context) -> Result<Embedding> {
        let x = data.f32()?;
        let y = ctx.install(|| self.transform_with(&x, &TsneTransformParams::default(), ctx.seed, ctx.progress))?;
        Data::from_vec(y.iter().map(|&v| v as f32).collect(), x.n_rows(), self.n_components)
    }

    fn to_bytes(&self) -> Result<Vec<u8>> {
        TsneModel::to_bytes(self)
    }

    fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::NoProgress;
    use crate::rng::{SeedSource, unit_f64};
    use std::sync::Mutex;

    #[test]
    fn breadth_first_order_gives_the_same_optimisation() {
        // A ring with chords: point i is joined to i ± 1, 2, 7 and 31, so its breadth-first
        // order from 0 (0, 1, 2, 7, 31, n − 1, …) is far from the given one.
        let n = 600;
        let seeds = SeedSource::new(Some(3));
        let (mut indptr, mut indices, mut values) = (vec![0], Vec::new(), Vec::new());
        for i in 0..n {
            let mut row: Vec<(u32, f64)> = [1, 2, 7, 31]
                .iter()
                .flat_map(|&s| [(i + s) % n, (i + n - s) % n])
                .map(|j| (j as u32, (1.0 + unit_f64(seeds.value(1, (i.min(j) * n + i.max(j)) as u64))) / (16.0 * n as f64)))
                .collect();
            row.sort_by_key(|e| e.0);
            indices.extend(row.iter().map(|e| e.0));
            values.extend(row.iter().map(|e| e.1));
            indptr.push(indices.len());
        }
        let p = Affinities::from_parts(n, indptr, indices, values).unwrap();
        assert_ne!(p.breadth_first_order(), (0..n as u32).collect::<Vec<_>>());
        let y0: Vec<f64> = (0..2 * n).map(|k| 1e-2 * (unit_f64(seeds.value(2, k as u64)) - 0.5)).collect();
        let ctx = Context { seed: Some(0), threads: None, progress: &NoProgress, keep_data: true };
        // The FFT's convolution runs in f32: a charge summed in another order can round to the
        // other neighbouring f32, and the optimisation amplifies that, so the FFT run is shorter
        // and its bound looser. A wrong renumbering is off by the whole reach.
        for (gradient, late, bound) in [(Gradient::Exact, 50, 1e-9), (Gradient::Fft(fft::FftParams::default()), 0, 1e-4)] {
            let tsne = Tsne::new(TsneParams { early_exaggeration_iter: 50, max_iter: late, ..TsneParams::default() }).unwrap();
            let run = |reorder: bool| {
                let seen = Mutex::new(Vec::new());
                let cb = |it: usize, _: f64, y: &[f64]| {
                    if it == 50 + late {
                        *seen.lock().unwrap() = y.to_vec();
                    }
                    false
                };
                let mut y = y0.clone();
                let (kl, n_iter) = tsne.optimise_all(p.clone(), &mut y, 2, gradient, &ctx, Some(&cb), reorder).unwrap();
                assert_eq!(n_iter, 50 + late);
                // The callback saw the final embedding, in the given order.
                assert_eq!(*seen.lock().unwrap(), y, "{gradient:?}, reorder {reorder}");
                (y, kl)
            };
            let ((given, kl_given), (reordered, kl_reordered)) = (run(false), run(true));
            // The reordered run is as deterministic as the given one: the same bits on 1 and 2
            // threads (600 points are three chunks of the attraction).
            for threads in [1, 2] {
                assert_eq!(crate::threads::install(Some(threads), || run(true)).unwrap().0, reordered, "{gradient:?}, {threads} threads");
            }
            let span = given.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let err = given.iter().zip(&reordered).fold(0.0f64, |m, (a, b)| m.max((a - b).abs())) / span;
            assert!(err < bound, "{gradient:?}: the reordered optimisation is off by {err:.2e} of the embedding's reach");
            assert!((kl_given - kl_reordered).abs() < bound * kl_given, "{gradient:?}: KL {kl_given} against {kl_reordered}");
        }
    }
}
