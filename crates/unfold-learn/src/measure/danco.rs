//! DANCo (Ceruti, Bassis, Rozza, Lombardi, Casiraghi & Campadelli 2014): the intrinsic
//! dimension whose uniform balls look most like the data, judged by the concentration of
//! neighbour distances and of the angles between neighbours, as scikit-dimension 0.5's
//! `skdim.id.DANCo` defines it (`k = 10`, `D` = the number of columns, fractal output).
//!
//! The stages, each a public function:
//!
//! 1. [`danco_statistics`]: three numbers describe a data set of `N` points —
//!    * `dhat`, the MiND-MLk dimension ([`mind_ml`]) of the ratios `ρ = r₁ / r₍ₖ₊₁₎`,
//!    * `mu_nu` and `mu_tau`, the means over the points of the von Mises maximum-likelihood
//!      location `ν = atan(Σ sin θ / Σ cos θ)` and concentration `τ = A⁻¹(η)` ([`von_mises_tau`],
//!      Best & Fisher's approximation), `η = |mean of (cos θ, sin θ)|`, over the `k(k−1)/2`
//!      angles `θ` between the vectors from a point to its first `k` neighbours.
//! 2. [`danco_calibration`]: the same statistics of `N` points drawn uniformly in the unit ball
//!    of each dimension `d = 1..=D` (with `D = k` bounding the calibration's MiND-MLk, as
//!    scikit-dimension passes it; `mu_tau = 1` for `d = 1`).
//! 3. [`danco_kl`]: the Kullback–Leibler divergence between the data and each ball — the
//!    closed form for the `ρ` densities of two dimensions plus that of two von Mises laws.
//! 4. [`kl_minimum`]: the whole `d` of least divergence, or (fractal) the minimum near it of the
//!    spline through the divergences (scipy's `interp1d`: cubic not-a-knot for more than 3
//!    columns, quadratic for 3, linear for 2). scikit-dimension stops L-BFGS-B at a relative
//!    decrease of 1e-3; here the spline's minimum is found to full precision.
//!
//! The calibration balls are drawn from the seed, one stream per point and dimension, so the
//! result is the same at any thread count; their neighbours come from the kNN engine (exact up
//! to its bound, NN-descent seeded from the same seed above).

use crate::data::Data;
use crate::error::{Error, Result};
use crate::knn::{KnnAlgorithm, KnnGraph, KnnParams, exact_is_faster, knn_graph};
use crate::measure::intrinsic_dim::{MindVersion, mind_ml};
use crate::progress::{NoProgress, Progress};
use crate::rng::{SeedSource, normal_f64, unit_f64};
use rand_xoshiro::rand_core::Rng;
use rayon::prelude::*;

/// The version of [`danco`] (scikit-dimension's `ver`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DancoVersion {
    /// The calibrated DANCo estimate (`"DANCo"`, the default).
    Danco,
    /// MiND-MLk alone, the likelihood's maximum over `[0, D]` (`"MIND_MLk"`).
    MindMlk,
    /// MiND-MLi alone, the whole dimension of largest likelihood (`"MIND_MLi"`).
    MindMli,
}

/// The statistics DANCo compares (one data set, or the ball of one dimension).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DancoStatistics {
    /// The MiND-MLk dimension.
    pub dhat: f64,
    /// The mean von Mises location of the neighbour angles.
    pub mu_nu: f64,
    /// The mean von Mises concentration of the neighbour angles.
    pub mu_tau: f64,
}

/// Calibration statistics for data of `n` points and `k` neighbours (scikit-dimension's
/// `calibration_data`), reusable for any data of that size.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DancoCalibration {
    /// Neighbours.
    pub k: usize,
    /// Points.
    pub n: usize,
    /// `statistics[d − 1]` for the ball of dimension `d = 1..=maxdim`.
    pub statistics: Vec<DancoStatistics>,
}

/// What [`danco`] needs besides the data.
#[derive(Debug, Clone, PartialEq)]
pub struct DancoParams {
    /// Neighbours (10).
    pub k: usize,
    /// The largest dimension considered, scikit-dimension's `D`; `None` = the number of columns.
    pub max_dim: Option<usize>,
    /// The version.
    pub ver: DancoVersion,
    /// Return the spline's minimum rather than the whole dimension (true).
    pub fractal: bool,
    /// Calibration statistics from an earlier fit of the same `k` and `n` (extended when they
    /// stop below `D`).
    pub calibration: Option<DancoCalibration>,
    /// Seed of the calibration balls and of the approximate neighbour searches.
    pub seed: Option<u64>,
}

impl Default for DancoParams {
    fn default() -> Self {
        DancoParams { k: 10, max_dim: None, ver: DancoVersion::Danco, fractal: true, calibration: None, seed: None }
    }
}

/// The result of [`danco`].
#[derive(Debug, Clone, PartialEq)]
pub struct DancoFit {
    /// The estimated dimension.
    pub dimension: f64,
    /// The divergence at the whole dimension of least divergence (`DANCo` only).
    pub kl_divergence: Option<f64>,
    /// The divergence from the ball of each dimension `1..=D` (`DANCo` only).
    pub kl: Vec<f64>,
    /// The data's statistics (`DANCo` only).
    pub statistics: Option<DancoStatistics>,
    /// The calibration used (`DANCo` only).
    pub calibration: Option<DancoCalibration>,
}

/// Best & Fisher's (1981) approximation of `A⁻¹(η)`, the von Mises concentration whose mean
/// resultant length is `η` (`A = I₁ / I₀`), as scikit-dimension's `_Ainv`.
pub fn von_mises_tau(eta: f64) -> f64 {
    if eta < 0.53 {
        2.0 * eta + eta.powi(3) + 5.0 * eta.powi(5) / 6.0
    } else if eta < 0.85 {
        -0.4 + 1.39 * eta + 0.43 / (1.0 - eta)
    } else {
        1.0 / (eta.powi(3) - 4.0 * eta * eta + 3.0 * eta)
    }
}

/// The MiND-MLk dimension and the neighbour-angle statistics of `data` from `knn` (`k + 1`
/// neighbours per point), MiND-MLk bounded by `max_dim`.
///
/// # Errors
/// [`Error::InvalidParameter`] for `k < 2` or a graph without `k + 1` neighbours;
/// [`Error::InvalidData`] naming a row whose nearest neighbour is at distance 0 (a duplicate).
pub fn danco_statistics(data: &Data, knn: &KnnGraph, k: usize, max_dim: usize) -> Result<DancoStatistics> {
    if k < 2 {
        return Err(Error::param("k", k, "must be at least 2 (DANCo measures angles between pairs of neighbours)"));
    }
    if knn.k() != k + 1 {
        return Err(Error::param("k", k, format!("needs a graph of k + 1 neighbours, got {}", knn.k())));
    }
    if let Some(row) = (0..knn.n_points()).find(|&i| knn.neighbors(i).1[0] <= 0.0) {
        return Err(Error::InvalidData(format!(
            "row {row}: its nearest neighbour (row {}) is at distance 0, a duplicate row; DANCo needs distinct rows: remove duplicates",
            knn.neighbors(row).0[0]
        )));
    }
    let dhat = mind_ml(knn, max_dim, MindVersion::Mlk)?;
    let d = data.n_cols();
    let per_point: Vec<(f64, f64)> = (0..knn.n_points())
        .into_par_iter()
        .map_init(
            || (vec![0.0f64; k * d], vec![0.0f64; k]),
            |(vectors, lengths), i| {
                let x = data.row(i);
                for ((v, len), &j) in vectors.chunks_mut(d).zip(lengths.iter_mut()).zip(&knn.neighbors(i).0[..k]) {
                    for ((c, &a), &b) in v.iter_mut().zip(data.row(j as usize)).zip(x) {
                        *c = f64::from(a) - f64::from(b);
                    }
                    *len = v.iter().map(|c| c * c).sum::<f64>().sqrt();
                }
                let (mut sin, mut cos) = (0.0f64, 0.0f64);
                for a in 0..k {
                    let va = &vectors[a * d..(a + 1) * d];
                    for b in a + 1..k {
                        let dot: f64 = va.iter().zip(&vectors[b * d..(b + 1) * d]).map(|(p, q)| p * q).sum();
                        // Rounding can push |cos| just past 1.
                        let theta = (dot / (lengths[a] * lengths[b])).clamp(-1.0, 1.0).acos();
                        sin += theta.sin();
                        cos += theta.cos();
                    }
                }
                let m = (k * (k - 1) / 2) as f64;
                let eta = ((cos / m).powi(2) + (sin / m).powi(2)).sqrt();
                ((sin / cos).atan(), von_mises_tau(eta))
            },
        )
        .collect();
    let n = per_point.len() as f64;
    let mu_nu = per_point.iter().map(|p| p.0).sum::<f64>() / n;
    let mu_tau = if d == 1 { 1.0 } else { per_point.iter().map(|p| p.1).sum::<f64>() / n };
    Ok(DancoStatistics { dhat, mu_nu, mu_tau })
}

/// Seed stages of the calibration.
const STAGE_BALL: u64 = 0x000D_A0C0_BA11;
const STAGE_KNN: u64 = 0x000D_A0C0_4E4E;

/// `n` points drawn uniformly in the unit ball of dimension `dim`, row-major: a standard normal
/// direction and the radius `U^(1/dim)`, point `i` from its own stream of `seeds`.
pub fn uniform_ball(n: usize, dim: usize, seeds: &SeedSource) -> Vec<f32> {
    uniform_ball_attempt(n, dim, seeds, 0)
}

/// [`uniform_ball`] from the streams of attempt `attempt`.
fn uniform_ball_attempt(n: usize, dim: usize, seeds: &SeedSource, attempt: u64) -> Vec<f32> {
    let mut out = vec![0.0f32; n * dim];
    out.par_chunks_mut(dim).enumerate().for_each_init(
        || vec![0.0f64; dim],
        |g, (i, row)| {
            let mut s = seeds.stream(STAGE_BALL ^ ((dim as u64) << 40) ^ (attempt << 56), i as u64);
            let norm = loop {
                for v in g.iter_mut() {
                    *v = normal_f64(s.next_u64(), s.next_u64());
                }
                let norm = g.iter().map(|v| v * v).sum::<f64>().sqrt();
                if norm > 0.0 {
                    break norm;
                }
            };
            let radius = unit_f64(s.next_u64()).powf(1.0 / dim as f64);
            for (o, v) in row.iter_mut().zip(g.iter()) {
                *o = (v / norm * radius) as f32;
            }
        },
    );
    out
}

/// The neighbours of `data` DANCo reads (`k + 1` per point): exact up to
/// [`exact_is_faster`]'s bound, NN-descent from `seed` above.
///
/// # Errors
/// The kNN search's.
pub fn danco_graph(data: &Data, k: usize, seed: Option<u64>, progress: &dyn Progress) -> Result<KnnGraph> {
    let n = data.n_rows();
    let algorithm = if exact_is_faster(n, k + 1) { KnnAlgorithm::Exact } else { KnnAlgorithm::Auto };
    knn_graph(data, &KnnParams { k: k + 1, algorithm, seed, ..KnnParams::default() }, progress)
}

/// Extends `calibration` (for `n` points and `k` neighbours) to the balls of dimension up to
/// `max_dim`, the missing dimensions in parallel, each ball drawn from `seed`'s streams for its
/// dimension (so an extended calibration equals one computed at once).
///
/// # Errors
/// [`Error::InvalidParameter`] for `n ≤ k + 1`; [`Error::Cancelled`]; the kNN search's.
pub fn danco_calibration(calibration: &mut DancoCalibration, max_dim: usize, seed: u64, progress: &dyn Progress) -> Result<()> {
    let (n, k) = (calibration.n, calibration.k);
    if n <= k + 1 {
        return Err(Error::param("k", k, format!("plus one must be below the number of points ({n})")));
    }
    let first = calibration.statistics.len() + 1;
    if first > max_dim {
        return Ok(());
    }
    let seeds = SeedSource::new(Some(seed));
    progress.stage("DANCo calibration", (max_dim + 1 - first) as u64);
    let added: Vec<DancoStatistics> = (first..=max_dim)
        .into_par_iter()
        .map(|dim| {
            progress.check()?;
            // Two draws can round to the same float32 point (in one dimension, about once in 70
            // balls of 1,000 points); such a ball is drawn again from the next streams.
            let mut attempt = 0;
            let (ball, knn) = loop {
                let ball = Data::from_vec(uniform_ball_attempt(n, dim, &seeds, attempt), n, dim)?;
                let knn = danco_graph(&ball, k, Some(seeds.value(STAGE_KNN, dim as u64)), &NoProgress)?;
                if attempt == 15 || (0..n).all(|i| knn.neighbors(i).1[0] > 0.0) {
                    break (ball, knn);
                }
                attempt += 1;
            };
            // scikit-dimension passes k as the calibration's MiND-MLk bound.
            let stats = danco_statistics(&ball, &knn, k, k)?;
            progress.inc(1);
            Ok(stats)
        })
        .collect::<Result<_>>()?;
    progress.finish_stage();
    calibration.statistics.extend(added);
    Ok(())
}

/// `ψ(x)` for `x > 0`: the recurrence up to 6, then the asymptotic series.
fn digamma(mut x: f64) -> f64 {
    let mut acc = 0.0;
    while x < 6.0 {
        acc -= 1.0 / x;
        x += 1.0;
    }
    let r = 1.0 / (x * x);
    // −Σ B₂ₙ / (2n x²ⁿ), n = 1..7.
    let series = r * (1.0 / 12.0 - r * (1.0 / 120.0 - r * (1.0 / 252.0 - r * (1.0 / 240.0 - r * (1.0 / 132.0 - r * (691.0 / 32760.0 - r / 12.0))))));
    acc + x.ln() - 0.5 / x - series
}

/// The modified Bessel functions `(I₀(x), I₁(x))` for `x ≥ 0` by their power series (positive
/// terms, so accurate to a few ulps); infinite where they overflow, as scipy's.
fn bessel_i0_i1(x: f64) -> (f64, f64) {
    if !x.is_finite() {
        return (x, x);
    }
    let q = 0.25 * x * x;
    let (mut t0, mut t1) = (1.0f64, 0.5 * x);
    let (mut s0, mut s1) = (t0, t1);
    let mut m = 1.0f64;
    loop {
        t0 *= q / (m * m);
        t1 *= q / (m * (m + 1.0));
        s0 += t0;
        s1 += t1;
        let done = |s: f64, t: f64| !s.is_finite() || t <= s * 1e-17;
        if done(s0, t0) && done(s1, t1) && m * m > q {
            return (s0, s1);
        }
        m += 1.0;
    }
}

/// The divergence of DANCo between the data's statistics and a ball's (scikit-dimension's
/// `_KL`): for the `ρ` laws of dimensions `d̂` and `d̂_cal`, with `q = d̂_cal / d̂` and `H_k` the
/// harmonic number, `H_k q − ln q − (k − 1) Σᵢ₌₀ᵏ (−1)ⁱ C(k, i) ψ(1 + i/q)`; for the von Mises laws,
/// `ln(I₀(τ_cal) / I₀(τ)) + I₁(τ)/I₀(τ) · (τ − τ_cal cos(ν − ν_cal))`, the Bessel values capped
/// at the largest float as scikit-dimension does.
pub fn danco_kl(k: usize, data: &DancoStatistics, cal: &DancoStatistics) -> f64 {
    let h_k: f64 = (1..=k).map(|i| 1.0 / i as f64).sum();
    let q = cal.dhat / data.dhat;
    let mut binom = 1.0f64;
    let mut sum = 0.0;
    for i in 0..=k {
        let sign = if i % 2 == 0 { 1.0 } else { -1.0 };
        sum += sign * binom * digamma(1.0 + i as f64 / q);
        binom = binom * (k - i) as f64 / (i + 1) as f64;
    }
    let kl_d = h_k * q - q.ln() - (k as f64 - 1.0) * sum;
    let cap = |v: f64| v.min(f64::MAX);
    let (i0_cal, _) = bessel_i0_i1(cal.mu_tau);
    let (i0, i1) = bessel_i0_i1(data.mu_tau);
    let kl_vm = (cap(i0_cal) / cap(i0)).ln() + cap(i1) / cap(i0) * (data.mu_tau - cal.mu_tau * (data.mu_nu - cal.mu_nu).cos());
    kl_d + kl_vm
}

/// The dimension of least divergence among `kl[d − 1]`, `d = 1..=kl.len()`: the whole `d`
/// (numpy's argmin: the first of equals, NaN first) with `degree = 0`, otherwise the minimum
/// within one of it of the spline of `degree` (1, 2 or 3; lowered to `kl.len() − 1` for short
/// lists) through the points, as scipy's `interp1d` builds it.
pub fn kl_minimum(kl: &[f64], degree: usize) -> f64 {
    let mut best = 0usize;
    for (i, v) in kl.iter().enumerate() {
        if kl[best].is_nan() {
            break;
        }
        if v.is_nan() || *v < kl[best] {
            best = i;
        }
    }
    let de = (best + 1) as f64;
    let degree = degree.min(kl.len() - 1);
    if degree <= 1 || !kl.iter().all(|v| v.is_finite()) {
        // A piecewise-linear interpolant is least at a vertex.
        return de;
    }
    let spline = InterpolatingSpline::new(kl, degree);
    let (lo, hi) = ((de - 1.0).max(1.0), (de + 1.0).min(kl.len() as f64));
    // The best of a fine grid, then golden-section refinement in the cells beside it.
    let steps = 2000;
    let h = (hi - lo) / steps as f64;
    let mut at = (de, spline.eval(de));
    for s in 0..=steps {
        let x = lo + h * s as f64;
        let v = spline.eval(x);
        if v < at.1 {
            at = (x, v);
        }
    }
    let (mut a, mut b) = ((at.0 - h).max(lo), (at.0 + h).min(hi));
    let g = 0.5 * (5f64.sqrt() - 1.0);
    let (mut c, mut d) = (b - g * (b - a), a + g * (b - a));
    let (mut fc, mut fd) = (spline.eval(c), spline.eval(d));
    for _ in 0..200 {
        if b - a <= 1e-13 * b.abs() {
            break;
        }
        if fc < fd {
            b = d;
            (d, fd) = (c, fc);
            c = b - g * (b - a);
            fc = spline.eval(c);
        } else {
            a = c;
            (c, fc) = (d, fd);
            d = a + g * (b - a);
            fd = spline.eval(d);
        }
    }
    let x = 0.5 * (a + b);
    if spline.eval(x) <= at.1 { x } else { at.0 }
}

/// The B-spline of `degree` interpolating `y[i]` at `x = i + 1` with scipy's knots
/// (`make_interp_spline`): not-a-knot for odd degrees, the inner midpoints less the first and
/// last for degree 2.
struct InterpolatingSpline {
    knots: Vec<f64>,
    coef: Vec<f64>,
    degree: usize,
}

impl InterpolatingSpline {
    fn new(y: &[f64], p: usize) -> Self {
        let n = y.len();
        let x = |i: usize| (i + 1) as f64;
        let mut knots = vec![x(0); p + 1];
        if p % 2 == 1 {
            knots.extend((p / 2 + 1..n - p / 2 - 1).map(x));
        } else {
            knots.extend((1..n - 2).map(|i| 0.5 * (x(i) + x(i + 1))));
        }
        knots.extend(std::iter::repeat_n(x(n - 1), p + 1));
        debug_assert_eq!(knots.len(), n + p + 1);
        // The collocation matrix is banded (|row − column| ≤ p) and totally positive, so
        // elimination without pivoting is stable (de Boor).
        let w = 2 * p + 1;
        let mut band = vec![0.0f64; n * w];
        let mut basis = vec![0.0f64; p + 1];
        let probe = InterpolatingSpline { knots, coef: Vec::new(), degree: p };
        for i in 0..n {
            let mu = probe.interval(x(i));
            probe.basis(mu, x(i), &mut basis);
            for (r, &b) in basis.iter().enumerate() {
                let col = mu - p + r;
                band[i * w + (col + p - i)] = b;
            }
        }
        let at = |i: usize, j: usize| i * w + (j + p - i);
        let mut rhs = y.to_vec();
        for j in 0..n {
            let pivot = band[at(j, j)];
            for i in j + 1..(j + p + 1).min(n) {
                let f = band[at(i, j)] / pivot;
                if f == 0.0 {
                    continue;
                }
                for c in j..(j + p + 1).min(n) {
                    band[at(i, c)] -= f * band[at(j, c)];
                }
                rhs[i] -= f * rhs[j];
            }
        }
        for j in (0..n).rev() {
            let mut v = rhs[j];
            for c in j + 1..(j + p + 1).min(n) {
                v -= band[at(j, c)] * rhs[c];
            }
            rhs[j] = v / band[at(j, j)];
        }
        InterpolatingSpline { coef: rhs, ..probe }
    }

    /// The knot interval `μ` (`t_μ ≤ x < t_μ₊₁`, the last nonempty one at the right end).
    fn interval(&self, x: f64) -> usize {
        let (t, p) = (&self.knots, self.degree);
        let last = t.len() - p - 2;
        let mut mu = p;
        while mu < last && t[mu + 1] <= x {
            mu += 1;
        }
        mu
    }

    /// The `p + 1` basis functions nonzero on interval `mu` at `x`, `N_{mu−p..=mu}` (Cox–de
    /// Boor's triangular recurrence).
    fn basis(&self, mu: usize, x: f64, out: &mut [f64]) {
        let (t, p) = (&self.knots, self.degree);
        let (mut left, mut right) = ([0.0f64; 4], [0.0f64; 4]);
        out[0] = 1.0;
        for j in 1..=p {
            left[j] = x - t[mu + 1 - j];
            right[j] = t[mu + j] - x;
            let mut saved = 0.0;
            for r in 0..j {
                let temp = out[r] / (right[r + 1] + left[j - r]);
                out[r] = saved + right[r + 1] * temp;
                saved = left[j - r] * temp;
            }
            out[j] = saved;
        }
    }

    fn eval(&self, x: f64) -> f64 {
        let p = self.degree;
        let mu = self.interval(x);
        let mut b = [0.0f64; 4];
        self.basis(mu, x, &mut b[..p + 1]);
        (0..=p).map(|r| b[r] * self.coef[mu - p + r]).sum()
    }
}

/// DANCo of `data` from its `knn` graph ([`danco_graph`]: `params.k + 1` neighbours per point).
///
/// # Errors
/// [`Error::InvalidParameter`] for `k < 2`, `D < 1`, `k + 1` not below the number of points or
/// a calibration of another `k` or `n`; [`Error::InvalidData`] naming a duplicate row, or when
/// the divergence is undefined for every dimension; [`Error::Cancelled`].
pub fn danco(data: &Data, knn: &KnnGraph, params: &DancoParams, progress: &dyn Progress) -> Result<DancoFit> {
    let (n, k) = (data.n_rows(), params.k);
    let max_dim = params.max_dim.unwrap_or(data.n_cols());
    if max_dim == 0 {
        return Err(Error::param("D", 0, "must be at least 1"));
    }
    if k < 2 {
        return Err(Error::param("k", k, "must be at least 2 (DANCo measures angles between pairs of neighbours)"));
    }
    if k + 1 >= n {
        return Err(Error::param("k", k, format!("plus one must be below the number of points ({n})")));
    }
    let only = |ver| {
        if let Some(row) = (0..knn.n_points()).find(|&i| knn.neighbors(i).1[0] <= 0.0) {
            return Err(Error::InvalidData(format!(
                "row {row}: its nearest neighbour (row {}) is at distance 0, a duplicate row; DANCo needs distinct rows: remove duplicates",
                knn.neighbors(row).0[0]
            )));
        }
        let dimension = mind_ml(knn, max_dim, ver)?;
        Ok(DancoFit { dimension, kl_divergence: None, kl: Vec::new(), statistics: None, calibration: None })
    };
    match params.ver {
        DancoVersion::MindMlk => return only(MindVersion::Mlk),
        DancoVersion::MindMli => return only(MindVersion::Mli),
        DancoVersion::Danco => {}
    }
    let mut calibration = match &params.calibration {
        Some(c) if c.k != k => return Err(Error::param("calibration_data", c.k, format!("has k = {}, but k is {k}", c.k))),
        Some(c) if c.n != n => return Err(Error::param("calibration_data", c.n, format!("is for N = {} points, but the data has {n}", c.n))),
        Some(c) => c.clone(),
        None => DancoCalibration { k, n, statistics: Vec::new() },
    };
    let stats = danco_statistics(data, knn, k, max_dim)?;
    let seed = params.seed.unwrap_or_else(|| SeedSource::new(None).value(0, 0));
    danco_calibration(&mut calibration, max_dim, seed, progress)?;
    let kl: Vec<f64> = calibration.statistics[..max_dim].iter().map(|c| danco_kl(k, &stats, c)).collect();
    if kl.iter().all(|v| v.is_nan()) {
        return Err(Error::InvalidData(format!(
            "DANCo: the divergence from every ball is undefined (the data's statistics: dhat {}, mu_nu {}, mu_tau {})",
            stats.dhat, stats.mu_nu, stats.mu_tau
        )));
    }
    let whole = kl_minimum(&kl, 0);
    let degree = match data.n_cols() {
        0..=2 => 1,
        3 => 2,
        _ => 3,
    };
    let dimension = if params.fractal { kl_minimum(&kl, degree) } else { whole };
    Ok(DancoFit { dimension, kl_divergence: Some(kl[whole as usize - 1]), kl, statistics: Some(stats), calibration: Some(calibration) })
}

/// [`danco`] of `data` with its own neighbour search ([`danco_graph`], seeded by
/// `params.seed`), on `threads` threads (`None` = all cores).
///
/// # Errors
/// As [`danco`]; the kNN search's.
pub fn danco_data(data: &Data, params: &DancoParams, threads: Option<usize>, progress: &dyn Progress) -> Result<DancoFit> {
    let n = data.n_rows();
    if params.k < 2 {
        return Err(Error::param("k", params.k, "must be at least 2 (DANCo measures angles between pairs of neighbours)"));
    }
    if params.k + 1 >= n {
        return Err(Error::param("k", params.k, format!("plus one must be below the number of points ({n})")));
    }
    crate::threads::install(threads, || {
        let knn = danco_graph(data, params.k, params.seed, progress)?;
        danco(data, &knn, params, progress)
    })?
}
