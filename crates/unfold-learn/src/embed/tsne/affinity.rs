//! t-SNE's input affinities `P`, as openTSNE 1.0.4 computes them.
//!
//! 1. **Perplexity search** ([`perplexity_search`], openTSNE's `compute_gaussian_perplexity`):
//!    for each point, over its `k` nearest neighbours at (unsquared) distances `d_j`, a
//!    precision `τ` such that the entropy of `p_j ∝ √τ exp(−d_j² τ / 2)` is `ln(perplexity)` to
//!    within `1e-8` nats, by bisection from `τ = 1` (doubling or halving while a bound is
//!    missing), at most 200 steps, in `f64`. The row is the last one evaluated, normalised to
//!    sum 1. `k = min(n − 1, ⌊3 · perplexity⌋)`; with all `n − 1` other points as neighbours
//!    the affinities are exact (no neighbour is left out).
//! 2. **Joint probabilities** ([`joint_probabilities`], openTSNE's `joint_probabilities_nn`
//!    with `"pair-wise"` normalisation): `P = (C + Cᵀ) / 2`, then `P / Σ P`, so
//!    `p_ij = (p_j|i + p_i|j) / 2n`.
//!
//! Other affinities, as openTSNE's classes of the same names:
//!
//! * **Multiscale** ([`multiscale_affinities`], `affinity.Multiscale`): the joint `P` of each
//!   of several perplexities over the neighbours of the largest, averaged.
//! * **Uniform** ([`uniform_affinities`], `affinity.Uniform` with `symmetrize=True`): 1 on each
//!   edge of the symmetrised kNN graph (`i` among `j`'s neighbours or `j` among `i`'s), then
//!   normalised.
//! * **Precomputed** ([`precomputed_affinities`], `affinity.PrecomputedAffinities`): a given
//!   square matrix of non-negative affinities, symmetrised as `(A + Aᵀ)/2` without its diagonal
//!   and normalised.
//!
//! New points (transform) keep their conditional rows ([`perplexity_search`]), each summing
//! to 1, as openTSNE's `"point-wise"` normalisation.

use crate::error::{Error, Result};
use crate::knn::KnnGraph;
use multiversion::multiversion;
use rayon::prelude::*;

/// Largest error in nats of the entropy of a row (openTSNE's `perplexity_tol`).
pub const PERPLEXITY_TOL: f64 = 1e-8;

/// Most bisection steps per row (openTSNE's `max_iter`).
pub const MAX_STEPS: usize = 200;

/// Sparse symmetric affinities `P` in compressed rows, `f64` weights.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Affinities {
    n: usize,
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f64>,
}

impl Affinities {
    /// Affinities from compressed rows (`indptr` of `n + 1` offsets; columns below `n`).
    ///
    /// # Errors
    /// [`Error::InvalidData`] when the parts do not fit together or a value is negative or not finite.
    pub fn from_parts(n: usize, indptr: Vec<usize>, indices: Vec<u32>, values: Vec<f64>) -> Result<Affinities> {
        let ok = indptr.len() == n + 1
            && indptr.first() == Some(&0)
            && indptr.last() == Some(&indices.len())
            && indptr.windows(2).all(|w| w[0] <= w[1])
            && indices.len() == values.len()
            && indices.iter().all(|&j| (j as usize) < n)
            && values.iter().all(|v| v.is_finite() && *v >= 0.0);
        if !ok {
            return Err(Error::InvalidData("affinities: the compressed rows do not fit together".into()));
        }
        Ok(Affinities { n, indptr, indices, values })
    }

    /// Number of points.
    pub fn n_points(&self) -> usize {
        self.n
    }

    /// Row `i`: its columns and values.
    pub fn row(&self, i: usize) -> (&[u32], &[f64]) {
        let (a, b) = (self.indptr[i], self.indptr[i + 1]);
        (&self.indices[a..b], &self.values[a..b])
    }

    /// All values, row by row.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The compressed rows: offsets, columns and values.
    pub(crate) fn into_parts(self) -> (Vec<usize>, Vec<u32>, Vec<f64>) {
        (self.indptr, self.indices, self.values)
    }

    /// The points renumbered: point `order[r]` becomes point `r` (see
    /// [`crate::graph::components::permuted_csr`]).
    ///
    /// # Panics
    /// If `order` is not a permutation of `0..n`.
    pub(crate) fn renumbered(&self, order: &[u32]) -> Affinities {
        let (indptr, indices, values) = crate::graph::components::permuted_csr(&self.indptr, &self.indices, &self.values, order);
        Affinities { n: self.n, indptr, indices, values }
    }

    /// The breadth-first order of the points in the graph of `P` (see
    /// [`crate::graph::components::breadth_first_order`]).
    pub(crate) fn breadth_first_order(&self) -> Vec<u32> {
        crate::graph::components::breadth_first_order_csr(&self.indptr, &self.indices)
    }

    /// The dense `n × n` matrix (for tests and small data).
    pub fn to_dense(&self) -> Vec<f64> {
        let mut out = vec![0.0; self.n * self.n];
        for i in 0..self.n {
            let (cols, vals) = self.row(i);
            for (&j, &v) in cols.iter().zip(vals) {
                out[i * self.n + j as usize] += v;
            }
        }
        out
    }
}

/// Neighbours per point for `perplexity` among `n` points: `min(n − 1, ⌊3 · perplexity⌋)`.
pub fn neighbours_for(perplexity: f64, n: usize) -> usize {
    ((3.0 * perplexity) as usize).min(n.saturating_sub(1))
}

/// Checks that `n` points can be calibrated to `perplexity`: each needs `3 · perplexity`
/// other points.
///
/// # Errors
/// [`Error::InvalidParameter`] naming `perplexity` and its upper bound `(n − 1) / 3`.
pub fn check_perplexity(perplexity: f64, n: usize) -> Result<()> {
    let bound = n.saturating_sub(1) as f64 / 3.0;
    if 3.0 * perplexity > n.saturating_sub(1) as f64 {
        return Err(Error::param(
            "perplexity",
            perplexity,
            format!("must be at most (n_samples - 1) / 3 = {bound:.4} for n_samples = {n}: each point is calibrated over 3 x perplexity neighbours"),
        ));
    }
    Ok(())
}

/// The conditional probabilities `p_j|i` of each point over its `k` neighbours (see the
/// [module docs](self)), from the row-major `n × k` unsquared `distances`.
pub fn perplexity_search(distances: &[f64], k: usize, perplexity: f64) -> Vec<f64> {
    let mut out = vec![0.0; distances.len()];
    if k == 0 {
        return out;
    }
    let target = perplexity.ln();
    out.par_chunks_mut(k).zip(distances.par_chunks(k)).for_each(|(p, d)| calibrate_row(d, target, p));
    out
}

/// Partial sums per row of the perplexity search: the lanes of a vector, added in lane order at
/// the end, so the order is fixed.
const SUM_LANES: usize = 8;

/// openTSNE's search for one row, at one scale: its bisection on the precision `τ` (from 1,
/// doubled or halved until the root is bracketed, then halved intervals) until the entropy is
/// within [`PERPLEXITY_TOL`] of `target`, and the row's values at the `τ` it stops at.
///
/// The bisection takes some 50 steps a row, each a pass of `k` exponentials. Here the root is
/// found first by a safeguarded Newton iteration on `ln τ` ([`newton_root`], about six passes),
/// and the bisection's steps are then followed without evaluating the entropy where its sign and
/// its distance from the tolerance are certain from the root and the slope there: only the one
/// to three steps nearest the root, and the last step, are evaluated. The steps, the `τ` the
/// search stops at and so `P` are the bisection's, bit for bit (a test follows both on rows of
/// every shape); a row whose root Newton does not find (every distance equal) is bisected as is.
#[multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2+fma"))]
fn calibrate_row(d: &[f64], target: f64, p: &mut [f64]) {
    let root = newton_root(d, target, p);
    bisection(d, target, p, root);
    let sum: f64 = p.iter().sum();
    for v in p.iter_mut() {
        *v /= sum;
    }
}

/// Steps whose predicted entropy error is at least this many times [`PERPLEXITY_TOL`] are
/// decided from the prediction; nearer ones are evaluated. The prediction is the linearisation
/// at a root found to 1e-11 nats, so its error there is a few parts in a thousand of its value.
const PREDICTION_MARGIN: f64 = 4.0;

/// openTSNE's bisection for one row, leaving in `p` the unnormalised values at the `τ` it stops
/// at. With `root = (ln τ*, dH/d ln τ at τ*)`, a step is decided from the prediction
/// `slope · (ln τ − ln τ*)` when that is at least [`PREDICTION_MARGIN`] tolerances from 0 (the
/// entropy falls as `τ` grows, so the prediction has the sign of the error and, there, a
/// magnitude above the tolerance), else evaluated as without `root`.
#[inline(always)]
fn bisection(d: &[f64], target: f64, p: &mut [f64], root: Option<(f64, f64)>) {
    let (mut lo, mut hi, mut tau) = (f64::NEG_INFINITY, f64::INFINITY, 1.0f64);
    // The τ whose values `p` holds, and the τ of the last step.
    let (mut evaluated, mut last) = (f64::NAN, tau);
    for _ in 0..MAX_STEPS {
        last = tau;
        let predicted = root.map(|(s, slope)| slope * (tau.ln() - s)).filter(|e| e.abs() >= PREDICTION_MARGIN * PERPLEXITY_TOL);
        let diff = match predicted {
            Some(e) => e,
            None => {
                evaluated = tau;
                entropy(d, tau, p) - target
            }
        };
        if diff.abs() <= PERPLEXITY_TOL {
            break;
        }
        if diff > 0.0 {
            lo = tau;
            tau = if hi.is_infinite() { tau * 2.0 } else { (tau + hi) * 0.5 };
        } else {
            hi = tau;
            tau = if lo.is_infinite() { tau / 2.0 } else { (tau + lo) * 0.5 };
        }
    }
    if evaluated.to_bits() != last.to_bits() {
        entropy(d, last, p);
    }
}

/// The row's values `√τ e^{−τ d²/2}` into `p` and the entropy of their normalisation, as
/// openTSNE computes it but for the order of the sums (see [`row_sums`]). openTSNE adds the terms
/// one after another and normalises each before weighting it; the entropy differs from its own in
/// the last bits only, far below the search's tolerance (the tests compare `P` with openTSNE's to
/// 1e-10). Two serial sums with a division per term were most of the search's time.
#[inline(always)]
fn entropy(d: &[f64], tau: f64, p: &mut [f64]) -> f64 {
    let (sum, weighted, _) = row_sums::<false>(d, tau, p);
    let sum = sum + f64::EPSILON;
    tau * 0.5 * (weighted / sum) + sum.ln() - tau.ln() * 0.5
}

/// The row's values `v = √τ e^{−τ d²/2}` into `p`, and `Σ v`, `Σ v d²` and, with `FOURTH`,
/// `Σ v d⁴` (else 0). The exponentials are [`exp_lane`]'s and each sum is kept in
/// [`SUM_LANES`] partial sums, added in lane order at the end, all in one pass that runs in
/// vector lanes.
#[inline(always)]
fn row_sums<const FOURTH: bool>(d: &[f64], tau: f64, p: &mut [f64]) -> (f64, f64, f64) {
    let sqrt_tau = tau.sqrt();
    let (mut s0, mut s1, mut s2) = ([0.0f64; SUM_LANES], [0.0f64; SUM_LANES], [0.0f64; SUM_LANES]);
    let mut lane = |l: usize, v: &mut f64, dj: f64| {
        let d2 = dj * dj;
        *v = sqrt_tau * exp_lane(-d2 * tau * 0.5);
        s0[l] += *v;
        s1[l] += *v * d2;
        if FOURTH {
            s2[l] += *v * d2 * d2;
        }
    };
    let whole = p.len() - p.len() % SUM_LANES;
    for (ps, ds) in p[..whole].chunks_exact_mut(SUM_LANES).zip(d.chunks_exact(SUM_LANES)) {
        for l in 0..SUM_LANES {
            lane(l, &mut ps[l], ds[l]);
        }
    }
    for (l, (v, &dj)) in p[whole..].iter_mut().zip(&d[whole..]).enumerate() {
        lane(l, v, dj);
    }
    (s0.iter().sum(), s1.iter().sum(), s2.iter().sum())
}

/// The root of `H(τ) = target` in `s = ln τ`, and the slope `dH/ds` there, by Newton's method
/// kept inside the bracket of the steps so far (halving it when a step would leave it, at most 3
/// in `s` a step while one side is open). `H` is [`entropy`]'s, with its `ε` (which matters
/// where the row's values are tiny): with `S = Σ v`, `W = Σ v d²`, `W₂ = Σ v d⁴`,
/// `v = √τ e^{−τd²/2}` and `T = S + ε`, `H = τW/(2T) + ln T − s/2`, and by `dS/ds = S/2 − τW/2`
/// and `dW/ds = W/2 − τW₂/2`,
/// `dH/ds = τW/(2T) + τ W'/(2T) − τW S'/(2T²) + S'/T − 1/2`. `None` when the distances are all
/// equal (`H` is then constant), a value is not finite (underflowed rows), or no root is found to
/// 1e-11 nats in 64 steps: the row is then bisected as is. `p` is a work buffer.
#[inline(always)]
fn newton_root(d: &[f64], target: f64, p: &mut [f64]) -> Option<(f64, f64)> {
    let min = d.iter().fold(f64::INFINITY, |m, &v| m.min(v * v));
    let spread = d.iter().map(|&v| v * v - min).sum::<f64>() / d.len() as f64;
    if !(spread > 0.0 && spread.is_finite()) {
        return None;
    }
    let (mut lo, mut hi, mut s) = (f64::NEG_INFINITY, f64::INFINITY, -spread.ln());
    for _ in 0..64 {
        let tau = s.exp();
        let (sum, w, w2) = row_sums::<true>(d, tau, p);
        let t = sum + f64::EPSILON;
        let g = tau * 0.5 * (w / t) + t.ln() - s * 0.5 - target;
        let (ds, dw) = (0.5 * sum - 0.5 * tau * w, 0.5 * w - 0.5 * tau * w2);
        let slope = tau * w / (2.0 * t) + tau * dw / (2.0 * t) - tau * w * ds / (2.0 * t * t) + ds / t - 0.5;
        if !(g.is_finite() && slope.is_finite() && sum > 0.0) {
            return None;
        }
        if g.abs() < 1e-11 {
            return (slope < 0.0).then_some((s, slope));
        }
        if g > 0.0 {
            lo = s;
        } else {
            hi = s;
        }
        let newton = if slope < 0.0 { s - (g / slope).clamp(-3.0, 3.0) } else { f64::NAN };
        s = if newton > lo && newton < hi {
            newton
        } else if lo.is_finite() && hi.is_finite() {
            0.5 * (lo + hi)
        } else if lo.is_finite() {
            lo + 3.0
        } else {
            hi - 3.0
        };
    }
    None
}

/// `eˣ` within 2 ulp (0 below −745.2, where `eˣ` rounds to 0; `x` is at most 709), without
/// branches or calls, so a loop over it runs in vector lanes. The perplexity search evaluates
/// some 50 rows of `k` exponentials per point, and the library's scalar `exp` was most of its
/// time; the search's steps, and so `P`, stay those of openTSNE (to 1e-10 in the tests).
///
/// `x = k ln 2 + r` with `|r| ≤ ln 2 / 2` (ln 2 in two parts, so `r` is exact to the last bits),
/// `eʳ` by its Taylor series to degree 13 (the remainder is below 5e-18), times `2^k` applied as
/// two powers of two built from their bits (so results down to the subnormals round once).
#[inline(always)]
fn exp_lane(x: f64) -> f64 {
    // ln 2 = LN2_HI + LN2_LO, the first with its low 21 bits zero so `k · LN2_HI` is exact.
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
    // 1/n! for n = 13 down to 2.
    const C: [f64; 12] = [
        1.0 / 6_227_020_800.0,
        1.0 / 479_001_600.0,
        1.0 / 39_916_800.0,
        1.0 / 3_628_800.0,
        1.0 / 362_880.0,
        1.0 / 40_320.0,
        1.0 / 5_040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
    ];
    let x = x.clamp(-746.0, 709.0);
    let k = (x * std::f64::consts::LOG2_E).round();
    let r = (x - k * LN2_HI) - k * LN2_LO;
    let mut q = C[0];
    for &c in &C[1..] {
        q = q * r + c;
    }
    let e_r = (q * r + 1.0) * r + 1.0;
    // 2^j for j in [−1022, 1023] from its bits: j + 1023 lands in the low bits of j + 1023 + 2^52.
    let pow2 = |j: f64| f64::from_bits((j + 1023.0 + 4_503_599_627_370_496.0).to_bits() << 52);
    let half = (k * 0.5).floor();
    e_r * pow2(half) * pow2(k - half)
}

/// The symmetrised, normalised `P` from each point's neighbours (`indices`, `n × k`) and
/// conditional probabilities (see the [module docs](self)).
pub fn joint_probabilities(n: usize, k: usize, indices: &[u32], conditional: &[f64]) -> Affinities {
    // Cᵀ by counting: row j of Cᵀ lists (i, p_j|i) in increasing i.
    let mut t_ptr = vec![0usize; n + 1];
    for &j in indices {
        t_ptr[j as usize + 1] += 1;
    }
    for j in 0..n {
        t_ptr[j + 1] += t_ptr[j];
    }
    let mut fill = t_ptr.clone();
    let mut t_idx = vec![0u32; indices.len()];
    let mut t_val = vec![0.0f64; indices.len()];
    for i in 0..n {
        for (&j, &c) in indices[i * k..(i + 1) * k].iter().zip(&conditional[i * k..(i + 1) * k]) {
            let at = &mut fill[j as usize];
            t_idx[*at] = i as u32;
            t_val[*at] = c;
            *at += 1;
        }
    }
    let mut indptr = Vec::with_capacity(n + 1);
    let mut out_idx = Vec::with_capacity(2 * indices.len());
    let mut out_val = Vec::with_capacity(2 * indices.len());
    indptr.push(0);
    let mut row: Vec<(u32, f64)> = Vec::with_capacity(k);
    for i in 0..n {
        row.clear();
        row.extend(indices[i * k..(i + 1) * k].iter().copied().zip(conditional[i * k..(i + 1) * k].iter().copied()));
        row.sort_unstable_by_key(|&(j, _)| j);
        let (mut a, mut b) = (0, t_ptr[i]);
        while a < row.len() || b < t_ptr[i + 1] {
            let (ja, jb) = (row.get(a).map_or(u32::MAX, |r| r.0), if b < t_ptr[i + 1] { t_idx[b] } else { u32::MAX });
            let (j, v) = if ja == jb {
                a += 1;
                b += 1;
                (ja, row[a - 1].1 + t_val[b - 1])
            } else if ja < jb {
                a += 1;
                (ja, row[a - 1].1)
            } else {
                b += 1;
                (jb, t_val[b - 1])
            };
            out_idx.push(j);
            out_val.push(v / 2.0);
        }
        indptr.push(out_idx.len());
    }
    let total: f64 = out_val.iter().sum();
    for v in &mut out_val {
        *v /= total;
    }
    Affinities { n, indptr, indices: out_idx, values: out_val }
}

/// [`perplexity_search`] then [`joint_probabilities`] over a kNN graph.
pub fn perplexity_affinities(knn: &KnnGraph, perplexity: f64) -> Affinities {
    multiscale_affinities(knn, &[perplexity])
}

/// The mean of the joint `P` of each of `perplexities` over the same neighbours (see the
/// [module docs](self)); for one perplexity, [`perplexity_affinities`]. As each row of
/// conditionals sums to 1, the mean of the joint matrices is the joint matrix of the mean
/// conditionals, which is what is computed.
pub fn multiscale_affinities(knn: &KnnGraph, perplexities: &[f64]) -> Affinities {
    let distances: Vec<f64> = knn.distances().iter().map(|&d| d as f64).collect();
    let mut conditional = perplexity_search(&distances, knn.k(), perplexities[0]);
    if perplexities.len() > 1 {
        for &perplexity in &perplexities[1..] {
            let c = perplexity_search(&distances, knn.k(), perplexity);
            conditional.par_iter_mut().zip(&c).for_each(|(a, b)| *a += b);
        }
        let scale = 1.0 / perplexities.len() as f64;
        conditional.par_iter_mut().for_each(|a| *a *= scale);
    }
    joint_probabilities(knn.n_points(), knn.k(), knn.indices(), &conditional)
}

/// 1 on every edge of the symmetrised kNN graph, normalised (see the [module docs](self)).
pub fn uniform_affinities(knn: &KnnGraph) -> Affinities {
    let ones = vec![1.0; knn.indices().len()];
    let mut p = joint_probabilities(knn.n_points(), knn.k(), knn.indices(), &ones);
    let w = 1.0 / p.values.len() as f64;
    p.values.iter_mut().for_each(|v| *v = w);
    p
}

/// The symmetrised, normalised affinities of a square row-major `n × n` matrix `a` (see the
/// [module docs](self)).
///
/// # Errors
/// [`Error::InvalidData`] naming the first entry that is negative or not finite, for a matrix
/// that is not square, or one without a positive entry off the diagonal.
pub fn precomputed_affinities(a: &[f32], n: usize, n_cols: usize) -> Result<Affinities> {
    if n != n_cols {
        return Err(Error::InvalidData(format!("with affinity=\"precomputed\" the input is a square matrix of affinities, not {n} rows of {n_cols} columns")));
    }
    if let Some(at) = a.iter().position(|v| !(v.is_finite() && *v >= 0.0)) {
        return Err(Error::InvalidData(format!(
            "the precomputed affinities hold {} at row {}, column {}: affinities must be finite and non-negative",
            a[at],
            at / n,
            at % n
        )));
    }
    let mut indptr = Vec::with_capacity(n + 1);
    let (mut indices, mut values) = (Vec::new(), Vec::new());
    indptr.push(0);
    for i in 0..n {
        for j in 0..n {
            let v = (a[i * n + j] as f64 + a[j * n + i] as f64) / 2.0;
            if i != j && v > 0.0 {
                indices.push(j as u32);
                values.push(v);
            }
        }
        indptr.push(indices.len());
    }
    let total: f64 = values.iter().sum();
    if total <= 0.0 {
        return Err(Error::InvalidData("the precomputed affinities have no positive entry off the diagonal".into()));
    }
    values.iter_mut().for_each(|v| *v /= total);
    Affinities::from_parts(n, indptr, indices, values)
}

#[cfg(test)]
mod tests {
    use super::{bisection, entropy, exp_lane, newton_root};
    use crate::rng::{SeedSource, unit_f64};

    #[test]
    fn newton_guided_search_stops_where_the_bisection_stops() {
        // Rows of every length around the vector width, distances over seven decades, with
        // duplicates, zeros, one far outlier, all equal, or far from 0 for their spread (the
        // values at the root are then below the entropy's ε, which moves the root); targets
        // reachable and not.
        let seeds = SeedSource::new(Some(11));
        let mut row = 0u64;
        let (mut guided, mut fallbacks) = (0, 0);
        for k in [1usize, 2, 3, 7, 8, 9, 17, 30, 90, 91, 150] {
            for scale in [1e-3, 0.3, 1.0, 40.0, 2500.0, 1e4] {
                for shape in 0..7 {
                    row += 1;
                    let u = |j: usize| unit_f64(seeds.value(row, j as u64));
                    let mut d: Vec<f64> = (0..k).map(|j| scale * (0.5 + u(j))).collect();
                    match shape {
                        1 => d.iter_mut().step_by(3).for_each(|v| *v = scale),
                        2 => d[0] = 0.0,
                        3 => d[k - 1] = scale * 50.0,
                        4 => d.fill(scale),
                        5 => d.iter_mut().for_each(|v| *v += 8.0 * scale),
                        6 => d.iter_mut().for_each(|v| *v += 30.0 * scale),
                        _ => {}
                    }
                    d.sort_by(f64::total_cmp);
                    for perplexity in [k as f64 / 3.0, 1.5, 0.9 * k as f64, 2.0 * k as f64] {
                        let target = perplexity.ln();
                        let root = newton_root(&d, target, &mut vec![0.0; k]);
                        if let Some((s, slope)) = root {
                            // The root is one: the entropy there is within 1e-10 of the target.
                            let mut p = vec![0.0; k];
                            assert!((entropy(&d, s.exp(), &mut p) - target).abs() < 1e-10 && slope < 0.0);
                            guided += 1;
                        } else {
                            fallbacks += 1;
                        }
                        let (mut want, mut got) = (vec![0.0; k], vec![0.0; k]);
                        bisection(&d, target, &mut want, None);
                        bisection(&d, target, &mut got, root);
                        assert!(
                            want.iter().zip(&got).all(|(a, b)| a.to_bits() == b.to_bits()),
                            "k {k}, scale {scale}, shape {shape}, perplexity {perplexity}: {got:?} against {want:?}"
                        );
                    }
                }
            }
        }
        // Both paths are taken: equal distances and unreachable targets are bisected.
        assert!(guided > fallbacks && fallbacks > 0, "{guided} guided, {fallbacks} bisected");
    }

    #[test]
    fn exp_lane_is_within_two_ulp_of_the_library_exp() {
        // Every result within 2 ulp, through the subnormals (below −708.4) and the rounding to 0.
        let mut x = -750.0;
        while x < 709.0 {
            let (got, want) = (exp_lane(x), x.exp());
            assert!(got.to_bits().abs_diff(want.to_bits()) <= 2, "exp({x}): {got:e} against {want:e}");
            x += 0.012_345_678_9;
        }
        for x in [0.0, -0.0, 1.0, -1.0, 1e-300, -1e-300, -745.1, -745.2, -800.0, f64::NEG_INFINITY] {
            assert!(exp_lane(x).to_bits().abs_diff(x.exp().to_bits()) <= 2, "exp({x})");
        }
        assert_eq!(exp_lane(0.0), 1.0);
    }
}
