//! The co-ranking matrix and the rank-based quality curves built on it: `Q_NX(K)`, the local
//! continuity meta-criterion `LCMC(K)`, `R_NX(K)` and its area under the curve; and the data
//! of a Shepard diagram.
//!
//! For `n` points, let `ρ(i, j)` be the rank of `j` among the neighbours of `i` in the data X
//! and `r(i, j)` its rank in the embedding Y (ranks from 1, the point itself excluded, distance
//! ties broken by index, as [`super::quality`] ranks). The co-ranking matrix (Lee & Verleysen,
//! 2009) counts the pairs by their two ranks:
//!
//! ```text
//! Q[k, l] = #{(i, j) : ρ(i, j) = k, r(i, j) = l},        1 ≤ k, l ≤ n − 1
//! Q_NX(K) = 1 / (K n) · Σ_{k ≤ K, l ≤ K} Q[k, l]          (mean overlap of the K-neighbourhoods)
//! LCMC(K) = Q_NX(K) − K / (n − 1)                         (Chen & Buja, 2009)
//! R_NX(K) = ((n − 1) Q_NX(K) − K) / (n − 1 − K),          1 ≤ K ≤ n − 2
//! AUC     = Σ_K R_NX(K) / K  /  Σ_K 1 / K                 (Lee, Peluffo-Ordóñez & Verleysen, 2015)
//! ```
//!
//! `Q_NX(K)` equals [`super::quality::neighbor_preservation`] at `K`; `R_NX` rescales it so that
//! a random embedding scores 0 and a perfect one 1, and the AUC with `1/K` weights (a log scale
//! in `K`) summarises the whole curve with the small neighbourhoods weighing most.
//!
//! * [`rank_curves`] computes the curves for `K ≤ k_max` (default `n − 2`, the whole curve)
//!   from a histogram of `max(ρ, r)`: a pair counts in `Q_NX(K)` exactly when both its ranks
//!   are at most `K`. Memory is `O(n)` per worker whatever `k_max`; no `n × n` matrix is held.
//! * [`coranking_matrix`] returns the counts `Q[k, l]` for `k, l ≤ k_max`, as `u32` (a count is
//!   at most `n`). The default `k_max` is `min(n − 1, 2048)` ([`MATRIX_K_MAX`]): the whole matrix
//!   up to 2,049 points, the upper-left `2048 × 2048` block (16 MiB) beyond. The Python package
//!   `coranking` (S. Jackson) returns the whole `(n − 1) × (n − 1)` matrix; the two agree where
//!   both are defined.
//! * [`evaluate_curves`] computes the curves on the points [`super::quality::evaluate`] uses (its
//!   seeded subsample above `sample_above` points).
//! * [`shepard`] samples pairs of points and returns their distances in X and Y with the Pearson
//!   and Spearman correlations between them.
//!
//! Ranks come from the same distance rows as trustworthiness (X by `metric` in `f64` through the
//! Gram matrix where it applies, Y squared euclidean in `f64`); each row is ordered by
//! `(distance, index)` with a partial selection when `k_max < n − 1`, so time is
//! `O(n² (d + log k_max))`. Counts are integers added in any order, so results do not depend on
//! the number of threads.
//!
//! References: J. A. Lee and M. Verleysen, *Quality assessment of dimensionality reduction:
//! rank-based criteria*, Neurocomputing 72 (2009) 1431–1443; J. A. Lee, D. H. Peluffo-Ordóñez
//! and M. Verleysen, *Multi-scale similarities in stochastic neighbour embedding*,
//! Neurocomputing 169 (2015) 246–261; L. Chen and A. Buja, *Local multidimensional scaling for
//! nonlinear dimension reduction, graph drawing, and proximity analysis*, JASA 104 (2009).
//!
//! ```
//! use unfold_learn::measure::coranking::rank_curves;
//! use unfold_learn::prelude::*;
//! let x: Vec<f32> = (0..90).map(|i| ((i * 7919) % 101) as f32).collect();
//! let data = Data::from_row_major(&x, 30, 3)?;
//! let curves = rank_curves(&data, &data, None, Metric::Euclidean, &NoProgress)?;
//! assert!(curves.qnx.iter().all(|&q| q == 1.0) && curves.rnx.iter().all(|&r| r == 1.0));
//! assert_eq!(curves.rnx_auc, 1.0);
//! # Ok::<(), unfold_learn::Error>(())
//! ```

use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, Ordering};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::demap::{pearson, ranks};
use super::quality::{DistanceRows, QualityParams, check_same_rows, fold_distance_rows, select_points};
use crate::data::Data;
use crate::error::{Error, Result};
use crate::metric::{Metric, PreparedMetric};
use crate::progress::Progress;
use crate::rng::{SeedSource, below};

/// Default bound on the side of the matrix [`coranking_matrix`] returns.
pub const MATRIX_K_MAX: usize = 2048;
/// Stage of the pair draw of [`shepard`] in the seed's streams.
const SHEPARD_STAGE: u64 = 0x5e9a_0001;

/// `Q_NX`, `LCMC` and `R_NX` for `K = 1..=k_max` (entry `K − 1`), and the AUC of `R_NX`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankCurves {
    /// Number of points the ranks were taken over.
    pub n: usize,
    /// `Q_NX(K)`, the mean fraction of shared `K`-neighbours.
    pub qnx: Vec<f64>,
    /// `LCMC(K) = Q_NX(K) − K / (n − 1)`.
    pub lcmc: Vec<f64>,
    /// `R_NX(K)`, 0 for a random embedding and 1 for a perfect one.
    pub rnx: Vec<f64>,
    /// `Σ_K R_NX(K) / K / Σ_K 1 / K` over `K = 1..=k_max` (the whole curve by default).
    pub rnx_auc: f64,
}

impl RankCurves {
    /// The curves from `hist[m]`, the number of pairs whose larger rank is `m` (`hist[0]` unused).
    fn from_max_rank_histogram(hist: &[u64], n: usize) -> RankCurves {
        let k_max = hist.len() - 1;
        let (mut qnx, mut lcmc, mut rnx) = (Vec::with_capacity(k_max), Vec::with_capacity(k_max), Vec::with_capacity(k_max));
        let (mut within, mut weighted, mut weights) = (0u64, 0.0, 0.0);
        let m = (n - 1) as f64;
        for (k, &h) in hist.iter().enumerate().skip(1) {
            within += h;
            let kf = k as f64;
            let q = within as f64 / (kf * n as f64);
            let r = (m * q - kf) / (m - kf);
            qnx.push(q);
            lcmc.push(q - kf / m);
            rnx.push(r);
            weighted += r / kf;
            weights += 1.0 / kf;
        }
        RankCurves { n, qnx, lcmc, rnx, rnx_auc: weighted / weights }
    }
}

/// The co-ranking matrix restricted to ranks `1..=k_max` in both spaces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoRanking {
    /// Number of points.
    pub n: usize,
    /// Side of the matrix.
    pub k_max: usize,
    /// `Q[k, l]` at `(k − 1) · k_max + (l − 1)`: `k` the rank in X, `l` the rank in Y.
    pub counts: Vec<u32>,
}

impl CoRanking {
    /// `Q[k, l]` (ranks from 1).
    pub fn get(&self, k: usize, l: usize) -> u32 {
        self.counts[(k - 1) * self.k_max + (l - 1)]
    }

    /// `Q_NX(K)` for `1 ≤ K ≤ k_max`, summed from the matrix.
    pub fn qnx(&self, k: usize) -> f64 {
        let within: u64 = (1..=k).flat_map(|a| (1..=k).map(move |b| (a, b))).map(|(a, b)| self.get(a, b) as u64).sum();
        within as f64 / (k * self.n) as f64
    }
}

/// Q_NX, LCMC, R_NX (for `K = 1..=k_max`, default `n − 2`) and the AUC of R_NX for the
/// embedding `y` of `x`, over all points (see the [module docs](self)).
///
/// # Errors
/// [`Error::InvalidData`] when `x` and `y` have different numbers of rows or fewer than 3;
/// [`Error::InvalidParameter`] naming `k_max` unless `1 ≤ k_max ≤ n − 2`, or when `metric`
/// does not fit `x`; [`Error::Cancelled`] when `progress` asks to stop.
pub fn rank_curves(x: &Data, y: &Data, k_max: Option<usize>, metric: Metric, progress: &dyn Progress) -> Result<RankCurves> {
    check_same_rows(x, y)?;
    let n = x.n_rows();
    check_points(n, 3)?;
    let k_max = check_k_max(k_max, n - 2)?;
    let metric = metric.fit(x)?;
    curves_of(x, y, k_max, &metric, progress)
}

/// The co-ranking matrix `Q[k, l]` for ranks up to `k_max` (default `min(n − 1, 2048)`).
///
/// # Errors
/// [`Error::InvalidData`] when `x` and `y` have different numbers of rows or fewer than 2;
/// [`Error::InvalidParameter`] naming `k_max` unless `1 ≤ k_max ≤ n − 1`, or when `metric`
/// does not fit `x`; [`Error::Cancelled`] when `progress` asks to stop.
///
/// ```
/// use unfold_learn::measure::coranking::coranking_matrix;
/// use unfold_learn::prelude::*;
/// let x: Vec<f32> = (0..40).map(|i| ((i * 37) % 41) as f32).collect();
/// let data = Data::from_row_major(&x, 20, 2)?;
/// let q = coranking_matrix(&data, &data, None, Metric::Euclidean, &NoProgress)?;
/// // Identical spaces: every pair has the same rank in both, n pairs per rank.
/// assert_eq!((q.k_max, q.get(3, 3), q.get(3, 4)), (19, 20, 0));
/// # Ok::<(), unfold_learn::Error>(())
/// ```
pub fn coranking_matrix(x: &Data, y: &Data, k_max: Option<usize>, metric: Metric, progress: &dyn Progress) -> Result<CoRanking> {
    check_same_rows(x, y)?;
    let n = x.n_rows();
    check_points(n, 2)?;
    let k_max = check_k_max(Some(k_max.unwrap_or((n - 1).min(MATRIX_K_MAX))), n - 1)?;
    let metric = metric.fit(x)?;
    let counts: Vec<AtomicU32> = (0..k_max * k_max).map(|_| AtomicU32::new(0)).collect();
    fold_distance_rows(
        x,
        y,
        &metric,
        progress,
        "co-ranking matrix",
        || (),
        |s: &mut RankScratch, _: &mut (), i, dx, dy| {
            s.for_each_pair(i, dx, dy, k_max, |k, l| {
                counts[(k - 1) * k_max + (l - 1)].fetch_add(1, Ordering::Relaxed);
            })
        },
    )?;
    Ok(CoRanking { n, k_max, counts: counts.into_iter().map(AtomicU32::into_inner).collect() })
}

/// [`rank_curves`] on the points [`super::quality::evaluate`] uses with `params` (its seeded
/// subsample when there are more than `params.sample_above` points), over the whole curve
/// (`K = 1..=m − 2` for `m` points used). `params.metric` is fitted on all of `x`, as there.
///
/// # Errors
/// As [`rank_curves`], and [`QualityParams::validate`]'s.
pub fn evaluate_curves(x: &Data, y: &Data, params: &QualityParams, progress: &dyn Progress) -> Result<RankCurves> {
    params.validate()?;
    check_same_rows(x, y)?;
    let rows = params.subsample(x.n_rows());
    crate::threads::install(params.threads, || {
        let metric = params.metric.fit(x)?;
        let sub = rows.as_ref().map(|rows| select_points(x, y, rows, &metric));
        let (x, y) = match &sub {
            Some((x, y)) => (x, y),
            None => (x, y),
        };
        check_points(x.n_rows(), 3)?;
        curves_of(x, y, x.n_rows() - 2, &metric, progress)
    })?
}

fn curves_of(x: &Data, y: &Data, k_max: usize, metric: &PreparedMetric, progress: &dyn Progress) -> Result<RankCurves> {
    let blocks = fold_distance_rows(
        x,
        y,
        metric,
        progress,
        "co-ranking",
        || vec![0u64; k_max + 1],
        |s: &mut RankScratch, hist: &mut Vec<u64>, i, dx, dy| s.for_each_pair(i, dx, dy, k_max, |k, l| hist[k.max(l)] += 1),
    )?;
    let mut hist = vec![0u64; k_max + 1];
    for block in &blocks {
        hist.iter_mut().zip(block).for_each(|(h, b)| *h += b);
    }
    Ok(RankCurves::from_max_rank_histogram(&hist, x.n_rows()))
}

fn check_points(n: usize, least: usize) -> Result<()> {
    if n < least {
        return Err(Error::InvalidData(format!("{n} points: the co-ranking measures need at least {least}")));
    }
    Ok(())
}

fn check_k_max(k_max: Option<usize>, most: usize) -> Result<usize> {
    match k_max {
        None => Ok(most),
        Some(k) if (1..=most).contains(&k) => Ok(k),
        Some(k) => Err(Error::param("k_max", k, format!("must be between 1 and {most}"))),
    }
}

/// Buffers of one worker: the row's sort keys in X and Y, and the Y ranks by point.
#[derive(Default)]
struct RankScratch {
    keys_x: Vec<u128>,
    keys_y: Vec<u128>,
    /// `rank_y[j]`: the rank of `j` in Y when at most `k_max`, else 0.
    rank_y: Vec<u32>,
    radix: RadixScratch,
}

impl RankScratch {
    /// Calls `pair(k, l)` for every `j ≠ i` whose rank `k` in X and `l` in Y are both at most
    /// `k_max`.
    fn for_each_pair(&mut self, i: usize, dx: &[f64], dy: &[f64], k_max: usize, mut pair: impl FnMut(usize, usize)) {
        let n = dx.len();
        self.rank_y.resize(n, 0);
        nearest_keys(dy, i, k_max, &mut self.keys_y, &mut self.radix);
        for (at, &key) in self.keys_y[..k_max].iter().enumerate() {
            self.rank_y[key as u32 as usize] = at as u32 + 1;
        }
        nearest_keys(dx, i, k_max, &mut self.keys_x, &mut self.radix);
        for (at, &key) in self.keys_x[..k_max].iter().enumerate() {
            let l = self.rank_y[key as u32 as usize];
            if l != 0 {
                pair(at + 1, l as usize);
            }
        }
        for &key in &self.keys_y[..k_max] {
            self.rank_y[key as u32 as usize] = 0;
        }
    }
}

/// Fills `keys` with the points other than `i` ordered by `(distance, index)`, the first
/// `k_max` sorted (the rest in no order). A key is the distance's order-preserving bits above
/// the index, so a plain integer sort orders by distance, then index.
fn nearest_keys(d: &[f64], i: usize, k_max: usize, keys: &mut Vec<u128>, radix: &mut RadixScratch) {
    keys.clear();
    keys.extend(d.iter().enumerate().filter(|&(j, _)| j != i).map(|(j, &v)| ((order_bits(v) as u128) << 32) | j as u128));
    if k_max >= keys.len() / RADIX_ABOVE {
        // Keys were made in index order, and the radix sort is stable.
        radix.sort_by_distance(keys);
        return;
    }
    keys.select_nth_unstable(k_max);
    keys[..k_max].sort_unstable();
}

/// Rows whose sorted prefix is at least this fraction (1 / RADIX_ABOVE) of the row are radix
/// sorted whole; shorter prefixes are selected, then sorted.
const RADIX_ABOVE: usize = 8;
/// Bits per digit of the radix sort; six digits cover the 64 distance bits.
const RADIX_BITS: u32 = 11;
const RADIX_DIGITS: usize = 6;

/// Counts and the second buffer of an LSD radix sort on the distance bits of the keys.
#[derive(Default)]
struct RadixScratch {
    counts: Vec<u32>,
    buffer: Vec<u128>,
}

impl RadixScratch {
    /// Sorts `keys` by their distance bits (bits 32..96), stably: keys of equal distances keep
    /// their order. One pass counts every digit; each digit that not all keys share then costs
    /// one scatter pass (distances of one row share their top bits, so few digits remain).
    fn sort_by_distance(&mut self, keys: &mut Vec<u128>) {
        let buckets = 1usize << RADIX_BITS;
        let mask = buckets as u64 - 1;
        let n = keys.len();
        self.counts.clear();
        self.counts.resize(RADIX_DIGITS * buckets, 0);
        for &key in keys.iter() {
            let bits = (key >> 32) as u64;
            for digit in 0..RADIX_DIGITS {
                self.counts[digit * buckets + ((bits >> (digit as u32 * RADIX_BITS)) & mask) as usize] += 1;
            }
        }
        self.buffer.resize(n, 0);
        for digit in 0..RADIX_DIGITS {
            let counts = &mut self.counts[digit * buckets..(digit + 1) * buckets];
            if counts.iter().any(|&c| c as usize == n) {
                continue;
            }
            let mut start = 0;
            for c in counts.iter_mut() {
                (*c, start) = (start, start + *c);
            }
            let shift = 32 + digit as u32 * RADIX_BITS;
            for &key in keys.iter() {
                let bucket = &mut counts[((key >> shift) as u64 & mask) as usize];
                self.buffer[*bucket as usize] = key;
                *bucket += 1;
            }
            std::mem::swap(keys, &mut self.buffer);
        }
    }
}

/// Bits of `v` whose unsigned order is the numeric order (−0 taken as +0, NaN last).
#[inline]
fn order_bits(v: f64) -> u64 {
    let bits = (v + 0.0).to_bits();
    if bits >> 63 == 1 { !bits } else { bits | (1 << 63) }
}

/// Distances of sampled pairs in both spaces: the data of a Shepard diagram.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shepard {
    /// The pairs `(i, j)`, `i < j`, in increasing order.
    pub pairs: Vec<(usize, usize)>,
    /// Distance of each pair in X (by the metric).
    pub data: Vec<f64>,
    /// Euclidean distance of each pair in Y.
    pub embedding: Vec<f64>,
    /// Pearson's correlation of the two distances; `None` when either is constant.
    pub pearson: Option<f64>,
    /// Spearman's rank correlation (ties share their average rank); `None` when either is
    /// constant.
    pub spearman: Option<f64>,
}

/// Shepard-diagram data: `n_pairs` pairs `i < j` drawn uniformly without replacement with
/// `seed` (every pair when there are no more), their distances in X (by `metric`, in `f64`) and
/// in Y (euclidean), and the correlations between the two.
///
/// # Errors
/// [`Error::InvalidData`] when `x` and `y` have different numbers of rows or fewer than 2;
/// [`Error::InvalidParameter`] naming `n_pairs` when it is 0, or when `metric` does not fit `x`.
///
/// ```
/// use unfold_learn::measure::coranking::shepard;
/// use unfold_learn::prelude::*;
/// let x: Vec<f32> = (0..60).map(|i| ((i * 37) % 61) as f32).collect();
/// let data = Data::from_row_major(&x, 30, 2)?;
/// let s = shepard(&data, &data, 100, 0, Metric::Euclidean)?;
/// assert_eq!(s.pairs.len(), 100);
/// assert_eq!(s.data, s.embedding);
/// assert!((s.spearman.unwrap() - 1.0).abs() < 1e-12);
/// # Ok::<(), unfold_learn::Error>(())
/// ```
pub fn shepard(x: &Data, y: &Data, n_pairs: usize, seed: u64, metric: Metric) -> Result<Shepard> {
    check_same_rows(x, y)?;
    let n = x.n_rows();
    check_points(n, 2)?;
    if n_pairs == 0 {
        return Err(Error::param("n_pairs", 0, "must be at least 1"));
    }
    let metric = metric.fit(x)?;
    let dist_x = DistanceRows::new(x, &metric)?;
    let pairs = sample_pairs(n, n_pairs, seed);
    let (data, embedding): (Vec<f64>, Vec<f64>) = pairs
        .par_iter()
        .map(|&(i, j)| {
            let e = y.row(i).iter().zip(y.row(j)).map(|(&a, &b)| (a as f64 - b as f64).powi(2)).sum::<f64>().sqrt();
            (dist_x.pair(i, j), e)
        })
        .unzip();
    let pearson_r = pearson(&data, &embedding);
    let spearman = pearson(&ranks(&data), &ranks(&embedding));
    Ok(Shepard { pairs, data, embedding, pearson: pearson_r, spearman })
}

/// `m` of the `n (n − 1) / 2` pairs `i < j`, uniformly without replacement (Floyd's algorithm:
/// `O(m)` memory whatever `n`), in increasing order; all of them when `m` is not smaller.
fn sample_pairs(n: usize, m: usize, seed: u64) -> Vec<(usize, usize)> {
    let total = n * (n - 1) / 2;
    let chosen: Vec<usize> = if m >= total {
        (0..total).collect()
    } else {
        let seeds = SeedSource::new(Some(seed));
        let mut set = HashSet::with_capacity(m);
        for t in total - m..total {
            let r = below(seeds.value(SHEPARD_STAGE, t as u64), t + 1);
            if !set.insert(r) {
                set.insert(t);
            }
        }
        let mut v: Vec<usize> = set.into_iter().collect();
        v.sort_unstable();
        v
    };
    // Pair index p runs over rows i of n − 1 − i pairs each.
    let (mut i, mut start) = (0, 0);
    chosen
        .into_iter()
        .map(|p| {
            while p >= start + (n - 1 - i) {
                start += n - 1 - i;
                i += 1;
            }
            (i, i + 1 + p - start)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_distinct_sorted_and_cover_small_sets() {
        let all = sample_pairs(5, 100, 3);
        assert_eq!(all.len(), 10);
        assert_eq!(all[0], (0, 1));
        assert_eq!(all[9], (3, 4));
        let some = sample_pairs(1000, 500, 3);
        assert_eq!(some.len(), 500);
        assert!(some.windows(2).all(|w| w[0] < w[1]));
        assert!(some.iter().all(|&(i, j)| i < j && j < 1000));
        assert_eq!(some, sample_pairs(1000, 500, 3));
        assert_ne!(some, sample_pairs(1000, 500, 4));
    }

    #[test]
    fn radix_sort_orders_by_distance_then_index() {
        let d: Vec<f64> = (0..3000).map(|j| ((j * 7919) % 101) as f64 * 0.37 + if j % 7 == 0 { 1e9 } else { 0.0 }).collect();
        let (mut radix, mut selected) = (Vec::new(), Vec::new());
        let mut scratch = RadixScratch::default();
        nearest_keys(&d, 5, d.len() - 1, &mut radix, &mut scratch);
        nearest_keys(&d, 5, 10, &mut selected, &mut scratch);
        let mut want: Vec<(f64, usize)> = d.iter().copied().zip(0..).filter(|&(_, j)| j != 5).collect();
        want.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let got: Vec<usize> = radix.iter().map(|&k| k as u32 as usize).collect();
        assert_eq!(got, want.iter().map(|w| w.1).collect::<Vec<_>>());
        assert_eq!(selected[..10].iter().map(|&k| k as u32 as usize).collect::<Vec<_>>(), got[..10]);
    }

    #[test]
    fn order_bits_follow_numeric_order() {
        let v = [-3.0, -0.0, 0.0, 1e-300, 1.0, 2.5, f64::INFINITY];
        assert!(v.windows(2).all(|w| order_bits(w[0]) <= order_bits(w[1])));
        assert_eq!(order_bits(-0.0), order_bits(0.0));
        assert!(order_bits(-3.0) < order_bits(-1.0));
    }
}
