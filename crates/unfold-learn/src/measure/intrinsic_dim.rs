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
//! * [`corr_int`] (Grassberger & Procaccia 1983): the correlation dimension between the median
//!   `k1`-th and `k2`-th neighbour distances, with the pair counts taken from the kNN graph.
//! * [`mada_pointwise`] (Farahmand et al. 2007): `ln 2 / ln(R_k / R_⌊k/2⌋)` per point.
//! * [`ess_pointwise`] (Johnsson et al. 2015): the expected simplex skewness of each
//!   neighbourhood against its closed form for uniform balls.
//! * [`mind_ml`] (Rozza et al. 2012): the maximum-likelihood dimension of the ratios of first to
//!   `(k+1)`-th neighbour distances.
//! * DANCo (Ceruti et al. 2014), in [`crate::measure::danco`]: the uniform ball closest to the
//!   data in neighbour distances and angles.
//!
//! Everything works from a [`KnnGraph`] (sorted distances, the point itself not among its
//! neighbours), so the estimators share the kNN engine's search, metrics and determinism.
//! [`intrinsic_dimension`] runs one estimator on data, as `unfold measure id` and Python's
//! `unfold.measure` do: the neighbours are exact up to [`exact_is_faster_on`]'s bound (as
//! scikit-dimension's scikit-learn search), NN-descent from the seed above.

use crate::data::Data;
use crate::error::{Error, Result};
use crate::knn::byte_product::{ByteRows, GramScratch};
use crate::knn::{KnnAlgorithm, KnnGraph, KnnParams, exact_is_faster_on, knn_graph};
use crate::linalg::matmul;
use crate::linalg::symmetric_eigenvalues;
use crate::metric::Metric;
use crate::progress::Progress;
use faer::{Accum, Mat, MatMut, MatRef, Par};
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
    let g = match crate::knn::byte_product::scatter(data.as_slice(), n, d) {
        // Byte rows (pixels): the scatter matrix in exact integer products, centred as
        // `(n XᵀX − s sᵀ) / n` with `s` the column sums, exact until the one division.
        Some((scatter, sums)) => {
            let nf = n as f64;
            Mat::from_fn(d, d, |a, b| (nf * scatter[a * d + b] - sums[a] * sums[b]) / nf)
        }
        None => crate::linalg::centred_gram_in::<f64, _>(data, &crate::linalg::column_means(data), 1.0),
    };
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

/// The correlation dimension of Grassberger & Procaccia (1983) as scikit-dimension's `CorrInt`:
/// with `r₁` and `r₂` the medians of the `k1`-th and `k2`-th neighbour distances and `C(r)` the
/// fraction of ordered pairs `(i, j)`, `i ≠ j`, closer than `r` (over `n²`), the dimension is
/// `(ln C(r₂) − ln C(r₁)) / ln(r₂ / r₁)`.
///
/// `C(r)` is counted from the kNN graph (its first `k2` neighbours) without a full pass over all
/// pairs: a point whose `k2`-th neighbour lies at `r` or beyond has every point closer than `r`
/// in its list, and so does its partner in such a pair; only pairs of two points whose `k2`-th
/// neighbour is closer than `r` are compared directly (for euclidean kinds by blocks of matrix
/// products, recomputing any pair near a threshold). The count is exact when the graph is.
///
/// # Errors
/// [`Error::InvalidParameter`] unless `1 ≤ k1 < k2 ≤ knn.k()`; [`Error::InvalidData`] when
/// `r₁ = r₂`, `r₁ = 0` or no pair is closer than `r₁` (the dimension is undefined);
/// [`Error::Cancelled`].
pub fn corr_int(data: &Data, knn: &KnnGraph, metric: &Metric, k1: usize, k2: usize, progress: &dyn Progress) -> Result<f64> {
    if k1 == 0 || k1 >= k2 {
        return Err(Error::param("k1", k1, format!("must be at least 1 and below k2 ({k2})")));
    }
    if k2 > knn.k() {
        return Err(Error::param("k2", k2, format!("must be at most the graph's {} neighbours", knn.k())));
    }
    let n = knn.n_points();
    let column = |c: usize| -> Vec<f64> { (0..n).map(|i| f64::from(knn.neighbors(i).1[c])).collect() };
    let r = [Combine::Median.apply(&column(k1 - 1)), Combine::Median.apply(&column(k2 - 1))];
    if !(r[0] > 0.0 && r[1] > r[0]) {
        return Err(Error::InvalidData(format!(
            "CorrInt: the median {k1}-th and {k2}-th neighbour distances are {} and {}; the dimension needs 0 < r1 < r2 (many duplicate rows?)",
            r[0], r[1]
        )));
    }
    // complete[t][i]: i's list holds every point closer than r[t].
    let complete: [Vec<bool>; 2] = [0, 1].map(|t| (0..n).map(|i| f64::from(knn.neighbors(i).1[k2 - 1]) >= r[t]).collect());
    let mut counts = (0..n)
        .into_par_iter()
        .map(|i| {
            let (idx, dist) = knn.neighbors(i);
            let mut c = [0u64; 2];
            for t in 0..2 {
                if !complete[t][i] {
                    continue;
                }
                for (&j, &d) in idx[..k2].iter().zip(&dist[..k2]) {
                    if f64::from(d) < r[t] {
                        // The pair counts for i, and for j when j's own list may miss it.
                        c[t] += if complete[t][j as usize] { 1 } else { 2 };
                    }
                }
            }
            c
        })
        .reduce(|| [0u64; 2], |a, b| [a[0] + b[0], a[1] + b[1]]);
    let open: Vec<u32> = (0..n as u32).filter(|&i| !complete[1][i as usize]).collect();
    let inner = open.iter().map(|&i| !complete[0][i as usize]).collect::<Vec<bool>>();
    let among = pairs_closer(data, metric, &open, &inner, r, progress)?;
    counts[0] += 2 * among[0];
    counts[1] += 2 * among[1];
    if counts[0] == 0 {
        return Err(Error::InvalidData("CorrInt: no pair of points is closer than r1, so the correlation dimension is undefined".into()));
    }
    let total = (n as f64) * (n as f64);
    Ok(((counts[1] as f64 / total).ln() - (counts[0] as f64 / total).ln()) / (r[1] / r[0]).ln())
}

/// Unordered pairs of `members` closer than `r[1]`, and of those with both `inner` closer than
/// `r[0]`, compared directly under `metric` (read from the matrix when precomputed).
fn pairs_closer(data: &Data, metric: &Metric, members: &[u32], inner: &[bool], r: [f64; 2], progress: &dyn Progress) -> Result<[u64; 2]> {
    let m = members.len();
    if m < 2 {
        return Ok([0, 0]);
    }
    progress.stage("CorrInt pairs", m as u64);
    let out = if *metric == Metric::Precomputed {
        all_pairs(m, inner, r, progress, |a, b| f64::from(data.row(members[a] as usize)[members[b] as usize]))
    } else {
        let prepared = metric.fit(data)?;
        let d = data.n_cols();
        let all = prepared.rows(data.as_slice());
        // The members' rows side by side, so the pair loops read memory in order.
        let rows: Vec<f32> = members.iter().flat_map(|&i| all[i as usize * d..(i as usize + 1) * d].iter().copied()).collect();
        let product = prepared.metric().is_euclidean_kind().then_some(*prepared.metric() != Metric::SqEuclidean);
        struct Visit<'a> {
            rows: &'a [f32],
            d: usize,
            product: Option<bool>,
            inner: &'a [bool],
            r: [f64; 2],
            progress: &'a dyn Progress,
        }
        impl crate::metric::KernelVisitor for Visit<'_> {
            type Output = Result<[u64; 2]>;
            fn visit<K: crate::metric::Kernel>(self, kernel: K) -> Result<[u64; 2]> {
                count_pairs(self.rows, self.d, kernel, self.product, self.inner, self.r, self.progress)
            }
        }
        prepared.metric().visit_kernel(Visit { rows: &rows, d, product, inner, r, progress })
    };
    progress.finish_stage();
    out
}

/// Adds a pair at distance `dist` to the counts below `r[1]` and, when `inner`, below `r[0]`.
#[inline]
fn tally(c: &mut [u64; 2], dist: f64, inner: bool, r: [f64; 2]) {
    if dist < r[1] {
        c[1] += 1;
        c[0] += u64::from(inner && dist < r[0]);
    }
}

/// The counts of [`pairs_closer`] over every pair `a < b` of `0..m` at distance `dist(a, b)`,
/// rows in parallel.
fn all_pairs(m: usize, inner: &[bool], r: [f64; 2], progress: &dyn Progress, dist: impl Fn(usize, usize) -> f64 + Sync) -> Result<[u64; 2]> {
    (0..m)
        .into_par_iter()
        .map(|a| {
            if a % 256 == 0 {
                progress.check()?;
            }
            let mut c = [0u64; 2];
            for b in a + 1..m {
                tally(&mut c, dist(a, b), inner[a] && inner[b], r);
            }
            progress.inc(1);
            Ok(c)
        })
        .try_reduce(|| [0u64; 2], |x, y| Ok([x[0] + y[0], x[1] + y[1]]))
}

/// Rows per block of [`count_pairs`]'s matrix products (first and second operand).
const PAIR_BLOCK: (usize, usize) = (128, 512);

/// Principal directions [`count_pairs`] screens pairs on, when the rows have more than twice as
/// many columns and there are at least [`SCREEN_MIN_ROWS`] of them.
const SCREEN_DIMS: usize = 64;
const SCREEN_MIN_ROWS: usize = 1024;

/// The coordinates (`m × p`, row-major) of the centred rows `x` (`m × d`) in their `p` leading
/// principal directions. Any orthonormal directions would do for [`count_pairs`]'s lower bound;
/// the leading ones make it tight.
fn principal_projection(x: &[f32], m: usize, d: usize, p: usize) -> Result<Vec<f32>> {
    let xs = MatRef::from_row_major_slice(x, m, d);
    let mut cov = Mat::<f32>::zeros(d, d);
    matmul(cov.as_mut(), Accum::Replace, xs.transpose(), xs, 1.0f32, Par::rayon(0));
    let cov = Mat::<f64>::from_fn(d, d, |i, j| 0.5 * f64::from(cov[(i, j)] + cov[(j, i)]));
    let (_, vectors) = crate::linalg::symmetric_eigen(cov.as_ref(), "CorrInt principal directions")?;
    let basis = Mat::<f32>::from_fn(d, p, |i, c| vectors[(i, c)] as f32);
    let mut y = vec![0f32; m * p];
    y.par_chunks_mut(PAIR_BLOCK.1 * p).enumerate().for_each(|(b, out)| {
        let rows = out.len() / p;
        let xb = MatRef::from_row_major_slice(&x[b * PAIR_BLOCK.1 * d..(b * PAIR_BLOCK.1 + rows) * d], rows, d);
        matmul(MatMut::from_row_major_slice_mut(out, rows, p), Accum::Replace, xb, basis.as_ref(), 1.0f32, Par::Seq);
    });
    Ok(y)
}

/// [`pairs_closer`] on rows prepared for `kernel`. With `product = Some(root)` (euclidean kinds;
/// `root` unless squared) the squared distances of a block come from one matrix product of the
/// centred rows, `|a|² + |b|² − 2 a·b`, or, for rows of bytes on machines with AVX-512 VNNI, from
/// exact integer products; only a pair within that form's rounding bound of a threshold is
/// recomputed with the kernel, so the counts equal the kernel's own.
///
/// Rows of many columns (more than `2 ×` [`SCREEN_DIMS`], at least [`SCREEN_MIN_ROWS`] rows) are
/// first screened in their leading principal directions: a projection onto orthonormal
/// directions never lengthens a difference, so a pair whose projected distance exceeds the
/// threshold (by its rounding bounds) is not closer, and only the others are measured with the
/// kernel. The product is then `SCREEN_DIMS` wide instead of `d` (MNIST: 64 of 784), and the
/// counts stay the kernel's own.
fn count_pairs<K: crate::metric::Kernel>(
    rows: &[f32],
    d: usize,
    kernel: K,
    product: Option<bool>,
    inner: &[bool],
    r: [f64; 2],
    progress: &dyn Progress,
) -> Result<[u64; 2]> {
    let m = rows.len() / d;
    let row = |a: usize| &rows[a * d..(a + 1) * d];
    let exact = |a: usize, b: usize| f64::from(kernel.finalize(kernel.reduced(row(a), row(b))));
    let Some(root) = product else {
        return all_pairs(m, inner, r, progress, exact);
    };
    let sq_r = if root { r.map(|v| v * v) } else { r };
    // A pair at squared distance `sq`, known within `tol`: counted without the kernel when it is
    // clearly on one side of each threshold, else measured with the kernel.
    let classify = |c: &mut [u64; 2], a: usize, b: usize, sq: f64, tol: f64| {
        if sq > sq_r[1] + tol {
            return;
        }
        let both = inner[a] && inner[b];
        let sure = sq < sq_r[1] - tol && (!both || sq < sq_r[0] - tol || sq > sq_r[0] + tol);
        let dist = if sure {
            // Any value on the same side of both thresholds.
            if both && sq < sq_r[0] { f64::NEG_INFINITY } else { r[0] }
        } else {
            exact(a, b)
        };
        tally(c, dist, both, r);
    };
    let eps = f64::from(f32::EPSILON);
    // Byte rows (pixels): exact squared distances from integer products, rounded once to f32;
    // the kernel's own f32 sum is within d·ε of them. No screening is needed.
    if let Some(bytes) = crate::knn::byte_product::BytePanels::new(rows, m, d) {
        let rel = 2.0 * (d as f64 + 2.0) * eps;
        return block_pairs(
            m,
            progress,
            |block, a0, na, b0, nb| bytes.block(a0, na, b0, nb, block),
            |c, a, b, value| {
                let sq = f64::from(value);
                classify(c, a, b, sq, rel * sq);
            },
        );
    }
    let view = Data::from_trusted_slice(rows, m, d);
    let mean = crate::linalg::column_means(&view);
    let centred: Vec<f32> = rows.chunks(d).flat_map(|x| x.iter().zip(&mean).map(|(&v, &c)| (f64::from(v) - c) as f32)).collect();
    let norms: Vec<f32> = centred.chunks(d).map(|x| crate::metric::dot(x, x)).collect();
    let screen = d > 2 * SCREEN_DIMS && m >= SCREEN_MIN_ROWS;
    let projected = if screen { Some(principal_projection(&centred, m, d, SCREEN_DIMS)?) } else { None };
    // The operands of the block products: the projections when screening, else the rows.
    let (ops, w) = match &projected {
        Some(y) => (&y[..], SCREEN_DIMS),
        None => (&centred[..], d),
    };
    let projected_norms: Vec<f32> = if screen { ops.chunks(w).map(|x| crate::metric::dot(x, x)).collect() } else { Vec::new() };
    let op_norms = if screen { &projected_norms } else { &norms };
    // Each of |a|², |b|² and a·b is within w·ε of its magnitude (≤ |a|² + |b|²) in f32.
    let bound = 8.0 * w as f64 * eps;
    // Screening: each projected coordinate is off by at most d·ε·|x| (a dot product of d terms
    // with a unit direction), so the projected vector by √p·d·ε·|x|; f32 directions lengthen a
    // vector by at most d·ε; the kernel's own f32 distance is within d·ε of the true one. A pair
    // is skipped only when its projected distance, less the first, exceeds the threshold's
    // distance enlarged by the other two (with room to spare).
    let slack_per_norm = 2.0 * (SCREEN_DIMS as f64).sqrt() * d as f64 * eps;
    let r_far = sq_r[1].sqrt() * (1.0 + 4.0 * d as f64 * eps);
    block_pairs(
        m,
        progress,
        |block, a0, na, b0, nb| {
            let a_rows = MatRef::from_row_major_slice(&ops[a0 * w..(a0 + na) * w], na, w);
            let b_rows = MatRef::from_row_major_slice(&ops[b0 * w..(b0 + nb) * w], nb, w);
            matmul(MatMut::from_row_major_slice_mut(&mut block[..na * nb], na, nb), Accum::Replace, a_rows, b_rows.transpose(), 1.0f32, Par::Seq);
        },
        |c, a, b, dot| {
            let scale = f64::from(op_norms[a] + op_norms[b]);
            let sq = scale - 2.0 * f64::from(dot);
            let tol = bound * scale;
            if !screen {
                classify(c, a, b, sq, tol);
                return;
            }
            let slack = slack_per_norm * (f64::from(norms[a]).sqrt() + f64::from(norms[b]).sqrt());
            if (sq - tol).max(0.0).sqrt() - slack <= r_far {
                tally(c, exact(a, b), inner[a] && inner[b], r);
            }
        },
    )
}

/// The counts `visit` adds over every pair `a < b` of `0..m`, by blocks of [`PAIR_BLOCK`] rows
/// in parallel: `fill(block, a0, na, b0, nb)` writes a value per pair of rows `a0..a0 + na` and
/// `b0..b0 + nb` (`na × nb`, row-major; `a0` and `b0` multiples of 32), and `visit(c, a, b, v)`
/// counts the pair with its value.
fn block_pairs(
    m: usize,
    progress: &dyn Progress,
    fill: impl Fn(&mut [f32], usize, usize, usize, usize) + Sync,
    visit: impl Fn(&mut [u64; 2], usize, usize, f32) + Sync,
) -> Result<[u64; 2]> {
    let (qa, qb) = PAIR_BLOCK;
    (0..m.div_ceil(qa))
        .into_par_iter()
        .map_init(
            || vec![0f32; qa * qb],
            |block, ab| {
                progress.check()?;
                let (a0, na) = (ab * qa, qa.min(m - ab * qa));
                let mut c = [0u64; 2];
                for b0 in (a0..m).step_by(qb) {
                    let nb = qb.min(m - b0);
                    fill(block, a0, na, b0, nb);
                    for ia in 0..na {
                        let a = a0 + ia;
                        for ib in (a + 1).saturating_sub(b0)..nb {
                            visit(&mut c, a, b0 + ib, block[ia * nb + ib]);
                        }
                    }
                }
                progress.inc(na as u64);
                Ok(c)
            },
        )
        .try_reduce(|| [0u64; 2], |x, y| Ok([x[0] + y[0], x[1] + y[1]]))
}

/// MADA (Farahmand, Szepesvári & Audibert 2007), as scikit-dimension's: per point,
/// `ln 2 / ln(R_k / R_⌊k/2⌋)` from its `k`-th and `⌊k/2⌋`-th neighbour distances, `k =
/// knn.k()`.
///
/// # Errors
/// [`Error::InvalidParameter`] for fewer than 2 neighbours; [`Error::InvalidData`] naming the
/// first row with a neighbour at distance 0 (scikit-dimension skips zero distances, which the
/// kNN list keeps) or with `R_k = R_⌊k/2⌋` (an infinite estimate).
pub fn mada_pointwise(knn: &KnnGraph) -> Result<Vec<f64>> {
    let k = knn.k();
    if k < 2 {
        return Err(Error::param("n_neighbors", k, "must be at least 2 for MADA"));
    }
    let out: Vec<f64> = (0..knn.n_points())
        .into_par_iter()
        .map(|i| {
            let d = knn.neighbors(i).1;
            let (rk, rh) = (f64::from(d[k - 1]), f64::from(d[k / 2 - 1]));
            if d[0] > 0.0 && rk > rh { std::f64::consts::LN_2 / (rk / rh).ln() } else { f64::NAN }
        })
        .collect();
    if let Some(row) = out.iter().position(|d| d.is_nan()) {
        let d = knn.neighbors(row).1;
        return Err(Error::InvalidData(if d[0] > 0.0 {
            format!("row {row}: its {}-th and {k}-th neighbours are at the same distance, so its MADA dimension is infinite; use more neighbours", k / 2)
        } else {
            format!("row {row}: a neighbour at distance 0 (a duplicate row); MADA needs distinct rows: remove duplicates")
        }));
    }
    Ok(out)
}

/// The version of [`ess_pointwise`] (Johnsson, Soneson & Fontes 2015).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EssVersion {
    /// The expected simplex skewness: `Σ |a||b| sin θ / Σ |a||b|` over pairs of centred vectors
    /// (scikit-dimension's default `"a"`).
    A,
    /// The expected projection: `Σ |a·b| / Σ |a||b|` (`"b"`).
    B,
}

/// The expected values of version `ver`'s statistic (with `d = 1`) for uniform data in an
/// `n`-ball, `n = 1, 2, …`: increasing from 0 towards 1 for `A`, decreasing from 1 for `B`. Each
/// comes from the last in a few operations, through `g(m) = Γ(m/2) / Γ((m+1)/2)` and its
/// recurrence `g(m+2) = g(m)·m/(m+1)`, `g(1) = √π`, `g(2) = 2/√π`.
fn ess_references(ver: EssVersion) -> impl Iterator<Item = f64> {
    let sqrt_pi = std::f64::consts::PI.sqrt();
    // (n, g(n − 1), g(n), g(n + 1)); g(0) is never read.
    let mut state = (1usize, f64::NAN, sqrt_pi, 2.0 / sqrt_pi);
    std::iter::from_fn(move || {
        let (n, g_before, g, g_after) = state;
        let value = match ver {
            // Γ(n/2)/Γ((n+1)/2) · Γ(n/2)/Γ((n−1)/2); 0 for n = 1.
            EssVersion::A if n < 2 => 0.0,
            EssVersion::A => g / g_before,
            // Γ((n+2)/2)/Γ((n+1)/2) · 2/(√π n).
            EssVersion::B => 2.0 / (sqrt_pi * n as f64 * g_after),
        };
        state = (n + 1, g, g_after, g * (n as f64 / (n + 1) as f64));
        Some(value)
    })
}

/// The dimension whose reference value is `ess`, by linear interpolation between consecutive
/// whole dimensions (scikit-dimension's `_essLocalDimEst`); `None` for a statistic that is not
/// finite (0/0 for a neighbourhood of equal rows) or lies beyond 2²⁰ dimensions.
fn ess_dimension(ver: EssVersion, ess: f64) -> Option<f64> {
    if !ess.is_finite() {
        return None;
    }
    // The last whole dimension n whose reference value is not past `ess`.
    let past = |v: f64| match ver {
        EssVersion::A => v > ess,
        EssVersion::B => v <= ess,
    };
    let mut references = ess_references(ver);
    let mut here = references.next()?;
    if past(here) {
        return None;
    }
    for n in 1..=(1usize << 20) + 1 {
        let next = references.next()?;
        if past(next) {
            return Some(n as f64 + (ess - here) / (next - here));
        }
        here = next;
    }
    None
}

/// ESS (Johnsson, Soneson & Fontes 2015) per point with `d = 1`, as scikit-dimension's: the
/// point's `knn.k()` neighbours (itself left out) are centred on their mean; over all pairs of
/// those vectors the statistic of `ver` is read against its value for a uniform ball of each
/// dimension ([`ess_references`]). scikit-dimension takes all `k(k−1)/2` pairs up to `k = 100`
/// (its default) and 5,000 random pairs above; here every pair is always used.
///
/// Returns `(dimension, statistic)` per point.
///
/// # Errors
/// [`Error::InvalidParameter`] for fewer than 2 neighbours; [`Error::InvalidData`] naming the
/// first row whose neighbours are all equal (the statistic is 0/0) or whose statistic lies
/// beyond every reference value.
pub fn ess_pointwise(data: &Data, knn: &KnnGraph, ver: EssVersion) -> Result<Vec<(f64, f64)>> {
    let k = knn.k();
    if k < 2 {
        return Err(Error::param("n_neighbors", k, "must be at least 2 for ESS"));
    }
    let d = data.n_cols();
    if d < 2 {
        // scikit-dimension: simplices of d + 1 = 2 vectors need 2 coordinates; it returns the
        // statistic 0 (version a) or 1 (version b), i.e. dimension 1.
        return Ok(vec![(1.0, if ver == EssVersion::A { 0.0 } else { 1.0 }); knn.n_points()]);
    }
    // Byte rows (pixels): each neighbourhood's Gram matrix in exact integer products, centred
    // exactly in integers (times k²) below. Other rows: centred in f64, then multiplied.
    let bytes = ByteRows::new(data.as_slice(), data.n_rows(), d);
    let out: Vec<(f64, f64)> = (0..knn.n_points())
        .into_par_iter()
        .map_init(
            || {
                (
                    GramScratch::default(),
                    vec![0.0f64; if bytes.is_some() { 0 } else { k * d }],
                    vec![0.0f64; k * k],
                    vec![0.0f64; if bytes.is_some() { 0 } else { d }],
                    vec![0.0f64; 2 * k],
                )
            },
            |(scratch, centred, gram, mean, diagonal), i| {
                let idx = knn.neighbors(i).0;
                if let Some(rows) = &bytes {
                    rows.gram(idx, scratch, gram);
                    centre_gram(gram, k, &mut diagonal[..k]);
                } else {
                    mean.fill(0.0);
                    for &j in idx {
                        for (m, &v) in mean.iter_mut().zip(data.row(j as usize)) {
                            *m += f64::from(v);
                        }
                    }
                    mean.iter_mut().for_each(|m| *m /= k as f64);
                    for (row, &j) in centred.chunks_mut(d).zip(idx) {
                        for ((c, &v), m) in row.iter_mut().zip(data.row(j as usize)).zip(mean.iter()) {
                            *c = f64::from(v) - m;
                        }
                    }
                    let c = MatRef::from_row_major_slice(centred, k, d);
                    let g = MatMut::from_row_major_slice_mut(gram, k, k);
                    matmul(g, Accum::Replace, c, c.transpose(), 1.0, Par::Seq);
                }
                let ess = ess_statistic(gram, k, ver, diagonal);
                (ess_dimension(ver, ess).unwrap_or(f64::NAN), ess)
            },
        )
        .collect();
    if let Some(row) = out.iter().position(|(dim, _)| dim.is_nan()) {
        let ess = out[row].1;
        return Err(Error::InvalidData(if ess.is_nan() {
            format!("row {row}: its {k} neighbours are all the same point, so the ESS statistic is 0/0 (NaN); remove duplicate rows or raise n_neighbors")
        } else {
            format!("row {row}: the ESS statistic of its neighbours is {ess}, which no dimension's reference value matches (duplicate rows?)")
        }));
    }
    Ok(out)
}

/// Centres the Gram matrix `gram` (`k × k`) of `k` integer rows on their mean, times `k²`:
/// `k² (x_a − x̄)·(x_b − x̄) = k² G_ab − k (S_a + S_b) + T` with `S_a` the row sums and `T` the
/// total, on and above the diagonal. Every term is an integer, exact in `f64` while below 2⁵³
/// (ESS's 100 neighbours of 784 pixel columns reach about 5·10¹¹). `sums` (`k` values) is
/// scratch.
fn centre_gram(gram: &mut [f64], k: usize, sums: &mut [f64]) {
    for (s, row) in sums.iter_mut().zip(gram.chunks_exact(k)) {
        *s = row.iter().sum();
    }
    let total: f64 = sums.iter().sum();
    let kf = k as f64;
    for (a, row) in gram.chunks_exact_mut(k).enumerate() {
        for (g, &s) in row[a..].iter_mut().zip(&sums[a..]) {
            *g = kf * kf * *g - kf * (sums[a] + s) + total;
        }
    }
}

/// ESS's statistic ([`EssVersion`]) over the pairs `a < b` of a centred Gram matrix `gram`
/// (`k × k`, read on and above the diagonal; any positive multiple of it gives the same value).
/// `diagonal` (`2k` values) is scratch. Eight lanes of sums, for vector instructions.
fn ess_statistic(gram: &[f64], k: usize, ver: EssVersion, diagonal: &mut [f64]) -> f64 {
    let (squares, norms) = diagonal.split_at_mut(k);
    for (a, (s, n)) in squares.iter_mut().zip(norms.iter_mut()).enumerate() {
        *s = gram[a * k + a];
        *n = s.sqrt();
    }
    let (mut num, mut den) = ([0.0f64; 8], [0.0f64; 8]);
    for a in 0..k {
        let (ga, na) = (squares[a], norms[a]);
        let row = &gram[a * k + a + 1..(a + 1) * k];
        let (gb, nb) = (&squares[a + 1..], &norms[a + 1..]);
        let term = |ab: f64, gb: f64| match ver {
            EssVersion::A => (ga * gb - ab * ab).abs().sqrt(),
            EssVersion::B => ab.abs(),
        };
        for ((ab, gb), nb) in row.chunks_exact(8).zip(gb.chunks_exact(8)).zip(nb.chunks_exact(8)) {
            for l in 0..8 {
                num[l] += term(ab[l], gb[l]);
                den[l] += na * nb[l];
            }
        }
        let tail = row.len() / 8 * 8;
        for (l, ((&ab, &gb), &nb)) in row[tail..].iter().zip(&gb[tail..]).zip(&nb[tail..]).enumerate() {
            num[l] += term(ab, gb);
            den[l] += na * nb;
        }
    }
    num.iter().sum::<f64>() / den.iter().sum::<f64>()
}

/// The version of [`mind_ml`] (Rozza et al. 2012).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MindVersion {
    /// The whole dimension in `1..=D` of largest likelihood (`"MLi"`).
    Mli,
    /// The likelihood's maximum over `[0, D]` (`"MLk"`, scikit-dimension's default).
    Mlk,
}

/// MiND-ML (Rozza, Lombardi, Ceruti, Casiraghi & Campadelli 2012) as scikit-dimension's
/// `MiND_ML`: with `ρᵢ = r₁ / r₍ₖ₊₁₎` the ratio of each point's first to its `(k+1)`-th
/// neighbour distance (`k + 1 = knn.k()`), the log-likelihood
/// `ℓ(d) = N ln(k d) + (d − 1) Σ ln ρᵢ + (k − 1) Σ ln(1 − ρᵢᵈ)` is maximised over whole `d` in
/// `1..=max_dim` (`Mli`) or over `[0, max_dim]` (`Mlk`). `ℓ` is concave, so `Mlk` solves
/// `ℓ′(d) = 0` by bisection to full precision where scikit-dimension runs L-BFGS-B from the
/// `Mli` value (the two agree to its tolerance, about 1e-6).
///
/// # Errors
/// [`Error::InvalidParameter`] for `max_dim = 0` or fewer than 2 neighbours;
/// [`Error::InvalidData`] naming a row whose first neighbour is at distance 0 or as far as its
/// `(k+1)`-th.
pub fn mind_ml(knn: &KnnGraph, max_dim: usize, ver: MindVersion) -> Result<f64> {
    if max_dim == 0 {
        return Err(Error::param("D", 0, "must be at least 1"));
    }
    let kk = knn.k();
    if kk < 2 {
        return Err(Error::param("k", kk.saturating_sub(1), "must be at least 1 (MiND-ML reads the first and (k+1)-th neighbours)"));
    }
    let k = (kk - 1) as f64;
    let mut ln_rho = Vec::with_capacity(knn.n_points());
    for i in 0..knn.n_points() {
        let d = knn.neighbors(i).1;
        let rho = f64::from(d[0]) / f64::from(d[kk - 1]);
        if !(rho > 0.0 && rho < 1.0) {
            return Err(Error::InvalidData(format!(
                "row {i}: its first neighbour is at distance {} and its {kk}-th at {}; MiND-ML needs 0 < r1 < r(k+1) (duplicate rows?)",
                d[0],
                d[kk - 1]
            )));
        }
        ln_rho.push(rho.ln());
    }
    let n = ln_rho.len() as f64;
    let sum_ln: f64 = ln_rho.iter().sum();
    let lld = |d: f64| n * (k * d).ln() + (d - 1.0) * sum_ln + (k - 1.0) * ln_rho.iter().map(|l| (-(d * l).exp()).ln_1p()).sum::<f64>();
    let mut best = (1usize, lld(1.0));
    for d in 2..=max_dim {
        let v = lld(d as f64);
        if v > best.1 {
            best = (d, v);
        }
    }
    if ver == MindVersion::Mli {
        return Ok(best.0 as f64);
    }
    // ℓ′(d) = N/d + Σ ln ρ − (k − 1) Σ ρᵈ ln ρ / (1 − ρᵈ): decreasing, +∞ at 0.
    let slope = |d: f64| {
        n / d + sum_ln
            - (k - 1.0)
                * ln_rho
                    .iter()
                    .map(|&l| {
                        let p = (d * l).exp();
                        p * l / -(d * l).exp_m1()
                    })
                    .sum::<f64>()
    };
    let (mut lo, mut hi) = (0.0f64, max_dim as f64);
    if slope(hi) >= 0.0 {
        return Ok(hi);
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if slope(mid) > 0.0 { lo = mid } else { hi = mid }
    }
    Ok(0.5 * (lo + hi))
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
    /// [`corr_int`] (global only).
    CorrInt {
        /// The neighbour whose median distance is `r₁` (10).
        k1: usize,
        /// The neighbour whose median distance is `r₂` (20).
        k2: usize,
    },
    /// [`mada_pointwise`] combined by `comb`.
    Mada {
        /// [`Combine::Mean`] (default) or [`Combine::Median`].
        comb: Combine,
    },
    /// [`ess_pointwise`] combined by `comb`.
    Ess {
        /// Version `a` (default) or `b`.
        ver: EssVersion,
        /// [`Combine::Mean`] (default) or [`Combine::Median`].
        comb: Combine,
    },
    /// [`mind_ml`] (global only); `n_neighbors` is its `k` (20).
    MindMl {
        /// The largest dimension considered, scikit-dimension's `D` (10).
        max_dim: usize,
        /// `Mlk` (default) or `Mli`.
        ver: MindVersion,
    },
    /// [`danco`](crate::measure::danco::danco) (global only); `n_neighbors` is its `k` (10),
    /// the calibration is drawn from [`IdParams::seed`].
    Danco {
        /// The largest dimension considered, scikit-dimension's `D`; `None` = the number of
        /// columns.
        max_dim: Option<usize>,
        /// `Danco` (default), `MindMlk` or `MindMli`.
        ver: crate::measure::danco::DancoVersion,
        /// The spline's minimum rather than the whole dimension (true).
        fractal: bool,
    },
}

impl Estimator {
    /// The name used on the command line and in Python (`twonn`, `mle`, `lpca`, `corrint`,
    /// `mada`, `ess`, `mind_ml`).
    pub fn name(&self) -> &'static str {
        match self {
            Estimator::TwoNn { .. } => "twonn",
            Estimator::Mle { .. } => "mle",
            Estimator::Lpca { .. } => "lpca",
            Estimator::CorrInt { .. } => "corrint",
            Estimator::Mada { .. } => "mada",
            Estimator::Ess { .. } => "ess",
            Estimator::MindMl { .. } => "mind_ml",
            Estimator::Danco { .. } => "danco",
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
            Estimator::CorrInt { k1, k2 } if k1 == 0 || k1 >= k2 => Err(Error::param("k1", k1, format!("must be at least 1 and below k2 ({k2})"))),
            Estimator::Mada { comb: Combine::Mle } | Estimator::Ess { comb: Combine::Mle, .. } => {
                Err(Error::param("comb", "mle", format!("must be mean or median for {}", self.name())))
            }
            Estimator::MindMl { max_dim: 0, .. } | Estimator::Danco { max_dim: Some(0), .. } => Err(Error::param("D", 0, "must be at least 1")),
            _ => Ok(()),
        }
    }

    /// Neighbours used when none are given: 2 for TwoNN, 20 for MLE and MADA (scikit-dimension's
    /// `_N_NEIGHBORS`), 100 for local PCA per point (its `fit_pw` default) and ESS, `k2` for
    /// CorrInt, MiND-ML's `k = 20`.
    pub fn default_neighbors(&self) -> usize {
        match self {
            Estimator::TwoNn { .. } => 2,
            Estimator::Mle { .. } | Estimator::Mada { .. } | Estimator::MindMl { .. } => 20,
            Estimator::Lpca { .. } | Estimator::Ess { .. } => 100,
            Estimator::CorrInt { k2, .. } => *k2,
            Estimator::Danco { .. } => 10,
        }
    }

    /// Whether the estimator gives one estimate per point.
    pub fn is_local(&self) -> bool {
        !matches!(self, Estimator::TwoNn { .. } | Estimator::CorrInt { .. } | Estimator::MindMl { .. } | Estimator::Danco { .. })
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
    if params.per_point && !est.is_local() {
        return Err(Error::param(
            "per_point",
            true,
            format!("is not available for {}, a global estimator; per-point estimates come from mle, lpca, mada or ess", est.name()),
        ));
    }
    let k = params.n_neighbors.unwrap_or(est.default_neighbors());
    let needs_graph = !matches!(est, Estimator::Lpca { .. }) || params.per_point;
    if let (false, Some(given)) = (needs_graph, params.n_neighbors) {
        return Err(Error::param("n_neighbors", given, "applies to lpca only per point: the global estimate uses the spectrum of all rows"));
    }
    if let (Estimator::CorrInt { .. }, Some(given)) = (est, params.n_neighbors) {
        return Err(Error::param("n_neighbors", given, "does not apply to corrint: its neighbours are k1 and k2"));
    }
    // MiND-ML and DANCo read the (k+1)-th neighbour.
    let searched = if matches!(est, Estimator::MindMl { .. } | Estimator::Danco { .. }) { k + 1 } else { k };
    if matches!(est, Estimator::Danco { .. }) && params.metric != Metric::Euclidean {
        return Err(Error::param("metric", format!("{:?}", params.metric), "must be euclidean for danco (its angles and calibration balls are euclidean)"));
    }
    if needs_graph && searched >= n {
        let what = if searched == k { "must be below the number of points" } else { "plus one must be below the number of points" };
        let name = if matches!(est, Estimator::CorrInt { .. }) { "k2" } else { "n_neighbors" };
        return Err(Error::param(name, k, format!("{what} ({n})")));
    }
    if k == 0 {
        return Err(Error::param("n_neighbors", 0, "must be at least 1"));
    }
    crate::threads::install(params.threads, || {
        let graph = |k: usize| {
            let algorithm = if exact_is_faster_on(data, &params.metric, k) { KnnAlgorithm::Exact } else { KnnAlgorithm::Auto };
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
            Estimator::CorrInt { k1, k2 } => (corr_int(data, &graph(k2)?, &params.metric, k1, k2, progress)?, 0, None),
            Estimator::Mada { comb } => {
                let pw = mada_pointwise(&graph(k)?)?;
                (comb.apply(&pw), 0, params.per_point.then_some(pw))
            }
            Estimator::Ess { ver, comb } => {
                let pw: Vec<f64> = ess_pointwise(data, &graph(k)?, ver)?.into_iter().map(|(dim, _)| dim).collect();
                (comb.apply(&pw), 0, params.per_point.then_some(pw))
            }
            Estimator::MindMl { max_dim, ver } => (mind_ml(&graph(k + 1)?, max_dim, ver)?, 0, None),
            Estimator::Danco { max_dim, ver, fractal } => {
                let p = crate::measure::danco::DancoParams { k, max_dim, ver, fractal, calibration: None, seed: params.seed };
                (crate::measure::danco::danco(data, &graph(k + 1)?, &p, progress)?.dimension, 0, None)
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
