//! Intrinsic dimension: how many coordinates the data really needs, globally and per point, as
//! scikit-dimension 0.5 defines its estimators.
//!
//! * [`twonn`] (Facco, d'Errico, Rodriguez & Laio 2017): the ratios `μ = r₂/r₁` of each point's
//!   second to first neighbour distance follow a Pareto law of shape `d`. `Linear` fits the
//!   line through `(ln μ, −ln(1 − F(μ)))` (no intercept) over the smallest `1 −
//!   discard_fraction` of the ratios, `F` the empirical distribution over all of them;
//!   `Mle` is the censored maximum-likelihood estimate `(m − 1) / (Σ_{i≤m} ln μ₍ᵢ₎ + (N − m) ln
//!   μ₍ₘ₎)`. Points at distance 0 from their nearest neighbour (duplicates) have no ratio and are
//!   left out; [`TwoNnEstimate::dropped`] counts them.
//! * [`mle_pointwise`] (Levina & Bickel 2005, Haro's form without noise): per point,
//!   `d_i = (k − 1) / Σ_{j≤k} ln(R_k / R_j)` over its `k` neighbour distances (`k − 2` with
//!   `unbiased`); [`Combine`] makes the global figure, by default the harmonic mean of MacKay &
//!   Ghahramani (`1 / mean(1/d_i)`).
//! * [`lpca`]: rules on the PCA eigenvalue spectrum ([`pca_spectrum`], the covariance's
//!   eigenvalues with the `n − 1` denominator, as scikit-learn's `explained_variance_`): the
//!   Fukunaga–Olsen fraction of the largest (`FO`), Fan et al.'s gap rule, the largest gap
//!   (`maxgap`), the variance ratio, the participation ratio, Kaiser's mean rule and the broken
//!   stick. Per point ([`lpca_pointwise`]), the same rule on each point's neighbours (the point
//!   itself left out, as scikit-dimension's `fit_pw`).
//!
//! Everything works from a [`KnnGraph`] (sorted distances, the point itself not among its
//! neighbours), so the estimators share the kNN engine's search, metrics and determinism.
//! [`intrinsic_dimension`] runs one estimator on data, as `unfold measure id` and Python's
//! `unfold.measure` do: the neighbours are exact up to [`exact_is_faster`]'s bound (as
//! scikit-dimension's scikit-learn search), NN-descent from the seed above.

use crate::data::Data;
use crate::error::{Error, Result};
use crate::knn::{KnnAlgorithm, KnnGraph, KnnParams, exact_is_faster, knn_graph};
use crate::linalg::symmetric_eigenvalues;
use crate::metric::Metric;
use crate::progress::Progress;
use faer::Mat;
use rayon::prelude::*;

/// How [`twonn`] turns the ratios into a dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TwoNnMethod {
    /// The least-squares slope of Facco et al. (scikit-dimension's default).
    Linear,
    /// The censored maximum-likelihood estimate.
    Mle,
}

/// The result of [`twonn`].
#[derive(Debug, Clone, PartialEq)]
pub struct TwoNnEstimate {
    /// The estimated dimension.
    pub dimension: f64,
    /// Points left out because their nearest neighbour is at distance 0.
    pub dropped: usize,
    /// `ln μ` of the kept ratios, ascending (scikit-dimension's `x_`).
    pub x: Vec<f64>,
    /// `−ln(1 − F(μ))` at each kept ratio (scikit-dimension's `y_`).
    pub y: Vec<f64>,
}

/// TwoNN from each point's first two neighbour distances (`knn.k() ≥ 2`).
///
/// # Errors
/// [`Error::InvalidParameter`] for `discard_fraction` outside `[0, 1)` or a graph with fewer
/// than 2 neighbours per point; [`Error::InvalidData`] when fewer than 2 ratios are left.
pub fn twonn(knn: &KnnGraph, discard_fraction: f64, method: TwoNnMethod) -> Result<TwoNnEstimate> {
    if !(0.0..1.0).contains(&discard_fraction) {
        return Err(Error::param("discard_fraction", discard_fraction, "must be in [0, 1)"));
    }
    if knn.k() < 2 {
        return Err(Error::param("n_neighbors", knn.k(), "must be at least 2 for TwoNN (the first and second neighbours)"));
    }
    let mut mu: Vec<f64> = (0..knn.n_points())
        .filter_map(|i| {
            let d = knn.neighbors(i).1;
            (d[0] > 0.0).then(|| f64::from(d[1]) / f64::from(d[0]))
        })
        .collect();
    let n = mu.len();
    let dropped = knn.n_points() - n;
    let keep = (n as f64 * (1.0 - discard_fraction)) as usize;
    if keep < 2 {
        return Err(Error::InvalidData(format!(
            "TwoNN needs at least 2 ratios after discarding, but {n} points have a nonzero nearest-neighbour distance and {keep} are kept"
        )));
    }
    if method == TwoNnMethod::Linear && keep == n {
        return Err(Error::param(
            "discard_fraction",
            discard_fraction,
            format!(
                "discards none of the {n} ratios, but the linear fit needs at least the largest left out (its −ln(1 − F) is infinite): use a fraction of at least 1/{n}, or method mle"
            ),
        ));
    }
    mu.sort_unstable_by(f64::total_cmp);
    mu.truncate(keep);
    let x: Vec<f64> = mu.iter().map(|m| m.ln()).collect();
    let y: Vec<f64> = (1..=keep).map(|i| -(1.0 - i as f64 / n as f64).ln()).collect();
    let dimension = match method {
        TwoNnMethod::Linear => {
            let (sxy, sxx) = x.iter().zip(&y).fold((0.0, 0.0), |(sxy, sxx), (a, b)| (sxy + a * b, sxx + a * a));
            sxy / sxx
        }
        TwoNnMethod::Mle => (keep - 1) as f64 / (x.iter().sum::<f64>() + (n - keep) as f64 * x[keep - 1]),
    };
    if !dimension.is_finite() {
        return Err(Error::InvalidData("TwoNN: every kept ratio of second to first neighbour distance is 1 (ties), so the dimension is undefined".into()));
    }
    Ok(TwoNnEstimate { dimension, dropped, x, y })
}

/// How per-point estimates make one global dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combine {
    /// `1 / mean(1 / d_i)` (MacKay & Ghahramani; scikit-dimension's `comb="mle"`).
    Mle,
    /// The arithmetic mean.
    Mean,
    /// The median (the mean of the middle two for an even count, as numpy's).
    Median,
}

impl Combine {
    /// The global figure of per-point estimates.
    pub fn apply(self, pointwise: &[f64]) -> f64 {
        let n = pointwise.len() as f64;
        match self {
            Combine::Mle => n / pointwise.iter().map(|d| 1.0 / d).sum::<f64>(),
            Combine::Mean => pointwise.iter().sum::<f64>() / n,
            Combine::Median => {
                let mut v = pointwise.to_vec();
                v.sort_unstable_by(f64::total_cmp);
                let m = v.len() / 2;
                if v.len() % 2 == 1 { v[m] } else { 0.5 * (v[m - 1] + v[m]) }
            }
        }
    }
}

/// Levina–Bickel maximum-likelihood dimension of every point from its `knn.k()` neighbour
/// distances; `unbiased` uses `k − 2` for `k − 1`.
///
/// # Errors
/// [`Error::InvalidParameter`] for fewer than 2 neighbours (3 with `unbiased`);
/// [`Error::InvalidData`] naming the first row whose `k` neighbours all sit at distance 0 (its
/// estimate is undefined).
pub fn mle_pointwise(knn: &KnnGraph, unbiased: bool) -> Result<Vec<f64>> {
    let k = knn.k();
    let least = if unbiased { 3 } else { 2 };
    if k < least {
        return Err(Error::param("n_neighbors", k, format!("must be at least {least} for the MLE estimator")));
    }
    let factor = (if unbiased { k - 2 } else { k - 1 }) as f64;
    let out: Vec<f64> = (0..knn.n_points())
        .into_par_iter()
        .map(|i| {
            let d = knn.neighbors(i).1;
            let rk = f64::from(d[k - 1]);
            let s: f64 = d.iter().map(|&r| (rk / f64::from(r)).ln()).sum();
            if rk > 0.0 { factor / s } else { f64::NAN }
        })
        .collect();
    if let Some(row) = out.iter().position(|d| d.is_nan()) {
        return Err(Error::InvalidData(format!(
            "row {row}: its {k} nearest neighbours are all at distance 0 (duplicate rows), so its maximum-likelihood dimension is undefined; remove duplicates or use more neighbours"
        )));
    }
    Ok(out)
}

/// The rule [`lpca`] applies to the eigenvalues.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LpcaVersion {
    /// Eigenvalues above `alpha` times the largest (Fukunaga–Olsen; default `alpha = 0.05`).
    Fo {
        /// scikit-dimension's `alphaFO`.
        alpha: f64,
    },
    /// Fan et al.'s rule (`alphaFan = 10`, `betaFan = 0.8`, `PFan = 0.95`).
    Fan {
        /// Large-gap threshold.
        alpha: f64,
        /// Total-variance threshold.
        beta: f64,
        /// Fraction of the variance taken as signal.
        p: f64,
    },
    /// The position of the largest ratio of consecutive eigenvalues.
    Maxgap,
    /// Components needed to keep all but `alpha` of the variance (`alphaRatio = 0.05`).
    Ratio {
        /// scikit-dimension's `alphaRatio`.
        alpha: f64,
    },
    /// `(Σλ)² / Σλ²` (not a whole number).
    ParticipationRatio,
    /// Eigenvalues above their mean.
    Kaiser,
    /// Leading eigenvalues above the broken-stick expectation.
    BrokenStick,
}

/// The eigenvalues of the covariance of `rows` (`n − 1` denominator), descending, `min(n, d)` of
/// them as scikit-learn's `PCA().explained_variance_`: from the `d × d` scatter matrix when
/// `n ≥ d`, from the `n × n` Gram matrix of the centred rows otherwise.
///
/// # Errors
/// [`Error::InvalidData`] for fewer than 2 rows; a failed eigendecomposition.
pub fn pca_spectrum(rows: &[&[f32]], d: usize) -> Result<Vec<f64>> {
    let n = rows.len();
    if n < 2 {
        return Err(Error::InvalidData(format!("PCA eigenvalues need at least 2 rows, got {n}")));
    }
    let mut mean = vec![0.0f64; d];
    for r in rows {
        for (m, &v) in mean.iter_mut().zip(r.iter()) {
            *m += f64::from(v);
        }
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    let centred = Mat::<f64>::from_fn(n, d, |i, j| f64::from(rows[i][j]) - mean[j]);
    let g = if n >= d { centred.transpose() * &centred } else { &centred * centred.transpose() };
    let mut values = symmetric_eigenvalues(g.as_ref(), "local PCA")?;
    values.truncate(n.min(d));
    values.iter_mut().for_each(|v| *v = v.max(0.0) / (n - 1) as f64);
    Ok(values)
}

/// The global PCA spectrum of `data` ([`pca_spectrum`] of all rows).
///
/// # Errors
/// As [`pca_spectrum`].
pub fn data_spectrum(data: &Data) -> Result<Vec<f64>> {
    let (n, d) = (data.n_rows(), data.n_cols());
    if n < 2 {
        return Err(Error::InvalidData(format!("PCA eigenvalues need at least 2 rows, got {n}")));
    }
    let mean = crate::linalg::column_means(data);
    let g = crate::linalg::centred_gram_in::<f64, _>(data, &mean, 1.0);
    let mut values = symmetric_eigenvalues(g.as_ref(), "PCA spectrum")?;
    values.truncate(n.min(d));
    values.iter_mut().for_each(|v| *v = v.max(0.0) / (n - 1) as f64);
    Ok(values)
}

/// The dimension `version` reads off the descending eigenvalues `ev`.
pub fn lpca(ev: &[f64], version: LpcaVersion) -> f64 {
    let total: f64 = ev.iter().sum();
    match version {
        LpcaVersion::Fo { alpha } => ev.iter().filter(|&&v| v > alpha * ev[0]).count() as f64,
        LpcaVersion::Maxgap => {
            // The first largest finite-or-infinite ratio; NaN (0/0) ratios are skipped, as
            // numpy's nanargmax does.
            let mut best = (0usize, f64::NEG_INFINITY);
            for i in 0..ev.len().saturating_sub(1) {
                let g = ev[i] / ev[i + 1];
                if g > best.1 {
                    best = (i, g);
                }
            }
            (best.0 + 1) as f64
        }
        LpcaVersion::Ratio { alpha } => {
            let mut cum = 0.0;
            let mut below = 0usize;
            let sums: Vec<f64> = ev
                .iter()
                .map(|v| {
                    cum += v;
                    cum
                })
                .collect();
            let max = sums.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            for s in &sums {
                if s / max < alpha {
                    below += 1;
                }
            }
            (below + 1) as f64
        }
        LpcaVersion::ParticipationRatio => total * total / ev.iter().map(|v| v * v).sum::<f64>(),
        LpcaVersion::Kaiser => {
            let mean = total / ev.len() as f64;
            ev.iter().filter(|&&v| v > mean).count() as f64
        }
        LpcaVersion::BrokenStick => {
            let p = ev.len();
            // Expected share of the i-th largest piece of a stick broken at p − 1 random points.
            let stick: Vec<f64> = (0..p).map(|i| (i..p).map(|j| 1.0 / (j + 1) as f64).sum::<f64>() / p as f64).collect();
            ev.iter().zip(&stick).position(|(v, s)| *s > v / total).unwrap_or(0) as f64
        }
        LpcaVersion::Fan { alpha, beta, p } => {
            let mut cum = 0.0;
            let r = ev
                .iter()
                .position(|v| {
                    cum += v;
                    cum / total > p
                })
                .unwrap_or(ev.len() - 1);
            let sigma = ev[r..].iter().sum::<f64>() / (ev.len() - r) as f64;
            let shifted: Vec<f64> = ev.iter().map(|v| v - sigma).collect();
            let shifted_total: f64 = shifted.iter().sum();
            let gap = (0..shifted.len().saturating_sub(1)).find(|&i| shifted[i] / shifted[i + 1] > alpha);
            let mut cum = 0.0;
            let var = shifted.iter().position(|v| {
                cum += v;
                cum / shifted_total > beta
            });
            (1 + gap.into_iter().chain(var).min().unwrap_or(0)) as f64
        }
    }
}

/// [`lpca`] on each point's neighbourhood: the spectrum of its `knn.k()` neighbours (the point
/// itself left out, as scikit-dimension's `fit_pw`), in parallel.
///
/// # Errors
/// [`Error::InvalidParameter`] for fewer than 2 neighbours; a failed eigendecomposition.
pub fn lpca_pointwise(data: &Data, knn: &KnnGraph, version: LpcaVersion) -> Result<Vec<f64>> {
    if knn.k() < 2 {
        return Err(Error::param("n_neighbors", knn.k(), "must be at least 2 for local PCA"));
    }
    let d = data.n_cols();
    (0..knn.n_points())
        .into_par_iter()
        .map(|i| {
            let rows: Vec<&[f32]> = knn.neighbors(i).0.iter().map(|&j| data.row(j as usize)).collect();
            Ok(lpca(&pca_spectrum(&rows, d)?, version))
        })
        .collect()
}

/// An estimator and its parameters, with scikit-dimension's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Estimator {
    /// [`twonn`] (global only).
    TwoNn {
        /// Fraction of the largest ratios left out (0.1).
        discard_fraction: f64,
        /// Linear fit (default) or maximum likelihood.
        method: TwoNnMethod,
    },
    /// [`mle_pointwise`] combined by `comb`.
    Mle {
        /// `k − 2` for `k − 1` (false).
        unbiased: bool,
        /// How the per-point figures make the global one ([`Combine::Mle`]).
        comb: Combine,
    },
    /// [`lpca`] on all rows (global) and on each neighbourhood (per point).
    Lpca {
        /// The rule.
        version: LpcaVersion,
    },
}

impl Estimator {
    /// The name used on the command line and in Python (`twonn`, `mle`, `lpca`).
    pub fn name(&self) -> &'static str {
        match self {
            Estimator::TwoNn { .. } => "twonn",
            Estimator::Mle { .. } => "mle",
            Estimator::Lpca { .. } => "lpca",
        }
    }

    /// Checks the parameters' ranges.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the parameter (scikit-dimension's name) and its range.
    pub fn validate(&self) -> Result<()> {
        let unit = |name: &'static str, v: f64| {
            if v > 0.0 && v < 1.0 { Ok(()) } else { Err(Error::param(name, v, "must be strictly between 0 and 1")) }
        };
        match *self {
            Estimator::TwoNn { discard_fraction, .. } if !(0.0..1.0).contains(&discard_fraction) => {
                Err(Error::param("discard_fraction", discard_fraction, "must be in [0, 1)"))
            }
            Estimator::Lpca { version: LpcaVersion::Fo { alpha } } => unit("alphaFO", alpha),
            Estimator::Lpca { version: LpcaVersion::Ratio { alpha } } => unit("alphaRatio", alpha),
            Estimator::Lpca { version: LpcaVersion::Fan { alpha, beta, p } } => {
                if !(alpha > 0.0 && alpha.is_finite()) {
                    return Err(Error::param("alphaFan", alpha, "must be a positive number"));
                }
                unit("betaFan", beta)?;
                unit("PFan", p)
            }
            _ => Ok(()),
        }
    }

    /// Neighbours used when none are given: 2 for TwoNN, 20 for MLE (scikit-dimension's
    /// `MLE._N_NEIGHBORS`), 100 for local PCA per point (its `fit_pw` default).
    pub fn default_neighbors(&self) -> usize {
        match self {
            Estimator::TwoNn { .. } => 2,
            Estimator::Mle { .. } => 20,
            Estimator::Lpca { .. } => 100,
        }
    }
}

/// What [`intrinsic_dimension`] does besides the estimator.
#[derive(Debug, Clone, PartialEq)]
pub struct IdParams {
    /// The estimator.
    pub estimator: Estimator,
    /// Neighbours per point; `None` = [`Estimator::default_neighbors`]. Must be below the number
    /// of points.
    pub n_neighbors: Option<usize>,
    /// Also compute one estimate per point (MLE, local PCA).
    pub per_point: bool,
    /// Distance between rows (euclidean).
    pub metric: Metric,
    /// Seed of the neighbour search when it is approximate.
    pub seed: Option<u64>,
    /// Worker threads; `None` = all cores.
    pub threads: Option<usize>,
}

/// The result of [`intrinsic_dimension`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct IdReport {
    /// The global estimate.
    pub dimension: f64,
    /// The estimator's name.
    pub estimator: &'static str,
    /// Neighbours per point used (0 for global local PCA, which uses none).
    pub n_neighbors: usize,
    /// Points left out (TwoNN: zero distance to the nearest neighbour).
    pub dropped: usize,
    /// The per-point estimates, when asked for.
    #[serde(skip)]
    pub per_point: Option<Vec<f64>>,
    /// Spread of the per-point estimates: `[min, 25 %, median, 75 %, max]`, when computed.
    pub per_point_quantiles: Option<[f64; 5]>,
}

/// Runs `params.estimator` on `data` on `params.threads` threads.
///
/// # Errors
/// [`Error::InvalidParameter`] for a per-point TwoNN, `n_neighbors` not below the number of
/// points or outside the estimator's range; the estimator's and the kNN search's errors.
pub fn intrinsic_dimension(data: &Data, params: &IdParams, progress: &dyn Progress) -> Result<IdReport> {
    let n = data.n_rows();
    let est = params.estimator;
    est.validate()?;
    if params.per_point && matches!(est, Estimator::TwoNn { .. }) {
        return Err(Error::param("per_point", true, "is not available for TwoNN, a global estimator; per-point estimates come from mle or lpca"));
    }
    let k = params.n_neighbors.unwrap_or(est.default_neighbors());
    let needs_graph = !matches!(est, Estimator::Lpca { .. }) || params.per_point;
    if let (false, Some(given)) = (needs_graph, params.n_neighbors) {
        return Err(Error::param("n_neighbors", given, "applies to lpca only per point: the global estimate uses the spectrum of all rows"));
    }
    if needs_graph && k >= n {
        return Err(Error::param("n_neighbors", k, format!("must be below the number of points ({n})")));
    }
    crate::threads::install(params.threads, || {
        let graph = |k: usize| {
            let algorithm = if exact_is_faster(n, k) { KnnAlgorithm::Exact } else { KnnAlgorithm::Auto };
            let knn_params = KnnParams { k, algorithm, metric: params.metric.clone(), seed: params.seed, threads: params.threads, ..KnnParams::default() };
            knn_graph(data, &knn_params, progress)
        };
        let (dimension, dropped, per_point) = match est {
            Estimator::TwoNn { discard_fraction, method } => {
                // TwoNN reads the first two distances only; as the head of a list of 15 they are
                // found by NN-descent with recall 0.998 on MNIST's test set (0.989 of 10).
                let fit = twonn(&graph(k.max(15).min(n - 1))?, discard_fraction, method)?;
                (fit.dimension, fit.dropped, None)
            }
            Estimator::Mle { unbiased, comb } => {
                let pw = mle_pointwise(&graph(k)?, unbiased)?;
                (comb.apply(&pw), 0, params.per_point.then_some(pw))
            }
            Estimator::Lpca { version } => {
                let global = lpca(&data_spectrum(data)?, version);
                let pw = if params.per_point { Some(lpca_pointwise(data, &graph(k)?, version)?) } else { None };
                (global, 0, pw)
            }
        };
        let per_point_quantiles = per_point.as_deref().map(quantiles);
        Ok(IdReport { dimension, estimator: est.name(), n_neighbors: if needs_graph { k } else { 0 }, dropped, per_point, per_point_quantiles })
    })?
}

/// `[min, 25 %, median, 75 %, max]` with numpy's linear interpolation.
fn quantiles(v: &[f64]) -> [f64; 5] {
    let mut s = v.to_vec();
    s.sort_unstable_by(f64::total_cmp);
    let at = |q: f64| {
        let pos = q * (s.len() - 1) as f64;
        let (lo, frac) = (pos.floor() as usize, pos.fract());
        if lo + 1 < s.len() { s[lo] + frac * (s[lo + 1] - s[lo]) } else { s[lo] }
    };
    [at(0.0), at(0.25), at(0.5), at(0.75), at(1.0)]
}
