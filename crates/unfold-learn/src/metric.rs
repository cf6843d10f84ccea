//! Distance metrics and their kernels.
//!
//! Each metric has a *reduced* form that orders pairs the same way as the true distance but is
//! cheaper (squared euclidean for euclidean, the p-th power sum for Minkowski, …) and a
//! `finalize` that turns a reduced value into the distance. Search works on reduced values and
//! finalizes only the k results. Kernels are written so the compiler vectorises them, and the hot
//! ones are compiled for AVX2/FMA and AVX-512 with runtime dispatch.
//!
//! Conventions follow scipy / scikit-learn: cosine distance is `1 − cos` with all-zero rows kept at
//! zero (so their distance to anything is 1); correlation is the cosine distance of the
//! row-centred vectors; hamming is the fraction of differing coordinates; jaccard treats non-zero
//! entries as `true` (two all-zero rows are at distance 0); haversine takes (latitude, longitude)
//! in radians and returns the central angle.

use std::borrow::Cow;
use std::fmt;

use multiversion::multiversion;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A distance between rows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Metric {
    /// `sqrt(Σ (a−b)²)`.
    Euclidean,
    /// `Σ (a−b)²`.
    SqEuclidean,
    /// `1 − a·b / (|a||b|)`.
    Cosine,
    /// Cosine distance of the mean-centred rows.
    Correlation,
    /// `Σ |a−b|` (L1, cityblock).
    Manhattan,
    /// `max |a−b|` (L∞).
    Chebyshev,
    /// `(Σ |a−b|^p)^(1/p)` with `p ≥ 1`.
    Minkowski {
        /// The exponent.
        p: f64,
    },
    /// `Σ |a−b| / (|a|+|b|)`, terms with `0/0` counted as 0.
    Canberra,
    /// `Σ |a−b| / Σ |a+b|` (0 when both rows are zero).
    BrayCurtis,
    /// Fraction of coordinates that differ.
    Hamming,
    /// `1 − |a∧b| / |a∨b|` on the sets of non-zero coordinates.
    Jaccard,
    /// Great-circle central angle between (latitude, longitude) pairs in radians; 2 columns only.
    Haversine,
}

/// Every accepted metric name, for help texts and error messages.
pub const METRIC_NAMES: &str = "euclidean, sqeuclidean, cosine, correlation, manhattan, chebyshev, minkowski:P, canberra, braycurtis, hamming, jaccard, haversine";

impl Metric {
    /// Parses a metric name (case-insensitive); Minkowski takes its exponent as `minkowski:P`.
    /// Aliases: `l2`, `l1`, `cityblock`, `taxicab`, `linf`, `infinity`.
    ///
    /// ```
    /// use unfold_learn::Metric;
    /// assert_eq!(Metric::parse("Cosine")?, Metric::Cosine);
    /// assert_eq!(Metric::parse("minkowski:3")?, Metric::Minkowski { p: 3.0 });
    /// assert!(Metric::parse("minkowski:0.5").is_err());
    /// # Ok::<(), unfold_learn::Error>(())
    /// ```
    pub fn parse(name: &str) -> Result<Metric> {
        let lower = name.trim().to_ascii_lowercase();
        let (base, arg) = match lower.split_once(':') {
            Some((b, a)) => (b, Some(a)),
            None => (lower.as_str(), None),
        };
        let m = match base {
            "euclidean" | "l2" => Metric::Euclidean,
            "sqeuclidean" => Metric::SqEuclidean,
            "cosine" => Metric::Cosine,
            "correlation" => Metric::Correlation,
            "manhattan" | "l1" | "cityblock" | "taxicab" => Metric::Manhattan,
            "chebyshev" | "linf" | "infinity" => Metric::Chebyshev,
            "minkowski" => {
                let p = arg.unwrap_or("2");
                let p: f64 = p.parse().map_err(|_| {
                    Error::param("metric", name, format!("the Minkowski exponent in `minkowski:P` must be a number ≥ 1, got `{p}`"))
                })?;
                return Metric::minkowski(p);
            }
            "canberra" => Metric::Canberra,
            "braycurtis" => Metric::BrayCurtis,
            "hamming" => Metric::Hamming,
            "jaccard" => Metric::Jaccard,
            "haversine" => Metric::Haversine,
            _ => return Err(Error::param("metric", name, format!("must be one of {METRIC_NAMES}"))),
        };
        if arg.is_some() {
            return Err(Error::param("metric", name, "only minkowski takes a `:P` argument"));
        }
        Ok(m)
    }

    /// The Minkowski metric with exponent `p` (must be finite and ≥ 1).
    pub fn minkowski(p: f64) -> Result<Metric> {
        if !(p.is_finite() && p >= 1.0) {
            return Err(Error::param("metric", format!("minkowski:{p}"), "the Minkowski exponent p must be finite and ≥ 1"));
        }
        Ok(Metric::Minkowski { p })
    }

    /// Checks that the metric can be used on data with `n_cols` columns.
    pub fn check_dims(&self, n_cols: usize) -> Result<()> {
        if *self == Metric::Haversine && n_cols != 2 {
            return Err(Error::param(
                "metric",
                "haversine",
                format!("haversine needs exactly 2 columns (latitude, longitude in radians), but the data has {n_cols}"),
            ));
        }
        Ok(())
    }

    /// The distance between two rows of equal length.
    ///
    /// ```
    /// use unfold_learn::Metric;
    /// assert_eq!(Metric::Euclidean.distance(&[0.0, 0.0], &[3.0, 4.0]), 5.0);
    /// assert_eq!(Metric::Manhattan.distance(&[0.0, 0.0], &[3.0, 4.0]), 7.0);
    /// ```
    pub fn distance(&self, a: &[f32], b: &[f32]) -> f32 {
        match self {
            Metric::Cosine => cosine_direct(a, b),
            Metric::Correlation => {
                let ca = centred(a);
                let cb = centred(b);
                cosine_direct(&ca, &cb)
            }
            _ => {
                struct One<'x>(&'x [f32], &'x [f32]);
                impl KernelVisitor for One<'_> {
                    type Output = f32;
                    fn visit<K: Kernel>(self, k: K) -> f32 {
                        k.finalize(k.reduced(self.0, self.1))
                    }
                }
                self.visit_kernel(One(a, b))
            }
        }
    }

    /// Rows transformed so that [`Metric::visit_kernel`]'s kernel applies: unit-normalised for
    /// cosine, centred and unit-normalised for correlation, borrowed unchanged otherwise.
    pub(crate) fn prepare<'a>(&self, values: &'a [f32], n_cols: usize) -> Cow<'a, [f32]> {
        match self {
            Metric::Cosine | Metric::Correlation => {
                let centre = *self == Metric::Correlation;
                let mut out = values.to_vec();
                use rayon::prelude::*;
                out.par_chunks_mut(n_cols).for_each(|row| {
                    if centre {
                        let mean = row.iter().map(|&v| v as f64).sum::<f64>() / n_cols as f64;
                        row.iter_mut().for_each(|v| *v = (*v as f64 - mean) as f32);
                    }
                    let norm = row.iter().map(|&v| (v as f64) * (v as f64)).sum::<f64>().sqrt();
                    if norm > 0.0 {
                        row.iter_mut().for_each(|v| *v = (*v as f64 / norm) as f32);
                    }
                });
                Cow::Owned(out)
            }
            _ => Cow::Borrowed(values),
        }
    }

    /// Calls `visitor` with the kernel of this metric, on rows transformed by [`Metric::prepare`].
    pub(crate) fn visit_kernel<V: KernelVisitor>(&self, visitor: V) -> V::Output {
        match *self {
            Metric::Euclidean => visitor.visit(SqEuclidean { root: true }),
            Metric::SqEuclidean => visitor.visit(SqEuclidean { root: false }),
            Metric::Cosine | Metric::Correlation => visitor.visit(OneMinusDot),
            Metric::Manhattan => visitor.visit(Manhattan),
            Metric::Chebyshev => visitor.visit(Chebyshev),
            Metric::Minkowski { p } => visitor.visit(Minkowski { p: p as f32 }),
            Metric::Canberra => visitor.visit(Canberra),
            Metric::BrayCurtis => visitor.visit(BrayCurtis),
            Metric::Hamming => visitor.visit(Hamming),
            Metric::Jaccard => visitor.visit(Jaccard),
            Metric::Haversine => visitor.visit(Haversine),
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Metric::Euclidean => f.write_str("euclidean"),
            Metric::SqEuclidean => f.write_str("sqeuclidean"),
            Metric::Cosine => f.write_str("cosine"),
            Metric::Correlation => f.write_str("correlation"),
            Metric::Manhattan => f.write_str("manhattan"),
            Metric::Chebyshev => f.write_str("chebyshev"),
            Metric::Minkowski { p } => write!(f, "minkowski:{p}"),
            Metric::Canberra => f.write_str("canberra"),
            Metric::BrayCurtis => f.write_str("braycurtis"),
            Metric::Hamming => f.write_str("hamming"),
            Metric::Jaccard => f.write_str("jaccard"),
            Metric::Haversine => f.write_str("haversine"),
        }
    }
}

/// A distance in reduced form (monotone in the true distance) plus the map back.
pub(crate) trait Kernel: Copy + Send + Sync {
    /// The reduced distance between two prepared rows.
    fn reduced(&self, a: &[f32], b: &[f32]) -> f32;
    /// The true distance from a reduced one.
    fn finalize(&self, r: f32) -> f32;
    /// The reduced distance, or any value above `bound` once it is certain to exceed it (kernels
    /// that accumulate non-negative terms stop early).
    #[inline]
    fn reduced_bounded(&self, a: &[f32], b: &[f32], _bound: f32) -> f32 {
        self.reduced(a, b)
    }
}

/// Static dispatch over kernels: `Metric::visit_kernel` calls `visit` with the concrete kernel.
pub(crate) trait KernelVisitor {
    type Output;
    fn visit<K: Kernel>(self, kernel: K) -> Self::Output;
}

#[derive(Clone, Copy)]
pub(crate) struct SqEuclidean {
    root: bool,
}
impl Kernel for SqEuclidean {
    #[inline]
    fn reduced(&self, a: &[f32], b: &[f32]) -> f32 {
        sq_euclidean(a, b)
    }
    #[inline]
    fn reduced_bounded(&self, a: &[f32], b: &[f32], bound: f32) -> f32 {
        // Partial sums only grow: check the bound every ABANDON_CHUNK coordinates.
        let mut sum = 0.0;
        for (x, y) in a.chunks(ABANDON_CHUNK).zip(b.chunks(ABANDON_CHUNK)) {
            sum += sq_euclidean(x, y);
            if sum > bound {
                return sum;
            }
        }
        sum
    }
    #[inline]
    fn finalize(&self, r: f32) -> f32 {
        if self.root { r.max(0.0).sqrt() } else { r.max(0.0) }
    }
}

#[derive(Clone, Copy)]
pub(crate) struct OneMinusDot;
impl Kernel for OneMinusDot {
    #[inline]
    fn reduced(&self, a: &[f32], b: &[f32]) -> f32 {
        1.0 - dot(a, b)
    }
    #[inline]
    fn finalize(&self, r: f32) -> f32 {
        r.clamp(0.0, 2.0)
    }
}

#[derive(Clone, Copy)]
struct Manhattan;
impl Kernel for Manhattan {
    #[inline]
    fn reduced(&self, a: &[f32], b: &[f32]) -> f32 {
        manhattan(a, b)
    }
    fn finalize(&self, r: f32) -> f32 {
        r
    }
}

#[derive(Clone, Copy)]
struct Chebyshev;
impl Kernel for Chebyshev {
    #[inline]
    fn reduced(&self, a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).fold(0.0f32, |m, (x, y)| m.max((x - y).abs()))
    }
    fn finalize(&self, r: f32) -> f32 {
        r
    }
}

#[derive(Clone, Copy)]
struct Minkowski {
    p: f32,
}
impl Kernel for Minkowski {
    #[inline]
    fn reduced(&self, a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| (x - y).abs().powf(self.p)).sum()
    }
    fn finalize(&self, r: f32) -> f32 {
        r.powf(1.0 / self.p)
    }
}

#[derive(Clone, Copy)]
struct Canberra;
impl Kernel for Canberra {
    #[inline]
    fn reduced(&self, a: &[f32], b: &[f32]) -> f32 {
        a.iter()
            .zip(b)
            .map(|(x, y)| {
                let den = x.abs() + y.abs();
                if den > 0.0 { (x - y).abs() / den } else { 0.0 }
            })
            .sum()
    }
    fn finalize(&self, r: f32) -> f32 {
        r
    }
}

#[derive(Clone, Copy)]
struct BrayCurtis;
impl Kernel for BrayCurtis {
    #[inline]
    fn reduced(&self, a: &[f32], b: &[f32]) -> f32 {
        let (num, den) = a.iter().zip(b).fold((0.0f32, 0.0f32), |(n, d), (x, y)| (n + (x - y).abs(), d + (x + y).abs()));
        if den > 0.0 { num / den } else { 0.0 }
    }
    fn finalize(&self, r: f32) -> f32 {
        r
    }
}

#[derive(Clone, Copy)]
struct Hamming;
impl Kernel for Hamming {
    #[inline]
    fn reduced(&self, a: &[f32], b: &[f32]) -> f32 {
        let diff = a.iter().zip(b).filter(|(x, y)| x != y).count();
        diff as f32 / a.len() as f32
    }
    fn finalize(&self, r: f32) -> f32 {
        r
    }
}

#[derive(Clone, Copy)]
struct Jaccard;
impl Kernel for Jaccard {
    #[inline]
    fn reduced(&self, a: &[f32], b: &[f32]) -> f32 {
        let (mut both, mut either) = (0u32, 0u32);
        for (x, y) in a.iter().zip(b) {
            let (x, y) = (*x != 0.0, *y != 0.0);
            both += (x & y) as u32;
            either += (x | y) as u32;
        }
        if either == 0 { 0.0 } else { (either - both) as f32 / either as f32 }
    }
    fn finalize(&self, r: f32) -> f32 {
        r
    }
}

#[derive(Clone, Copy)]
struct Haversine;
impl Kernel for Haversine {
    #[inline]
    fn reduced(&self, a: &[f32], b: &[f32]) -> f32 {
        let (lat1, lon1, lat2, lon2) = (a[0] as f64, a[1] as f64, b[0] as f64, b[1] as f64);
        let s_lat = ((lat2 - lat1) / 2.0).sin();
        let s_lon = ((lon2 - lon1) / 2.0).sin();
        (s_lat * s_lat + lat1.cos() * lat2.cos() * s_lon * s_lon) as f32
    }
    fn finalize(&self, r: f32) -> f32 {
        2.0 * (r.clamp(0.0, 1.0) as f64).sqrt().asin() as f32
    }
}

/// Coordinates between early-abandon checks in [`Kernel::reduced_bounded`].
const ABANDON_CHUNK: usize = 128;

/// Lanes of the accumulators below: wide enough for AVX-512, and several independent sums hide
/// FMA latency.
const LANES: usize = 16;

/// `Σ term(a_i, b_i)` over [`LANES`] independent accumulators, so the compiler vectorises it.
/// Inlined into each of the multiversioned kernels below, which compiles it for their targets.
#[inline(always)]
fn lane_sum(a: &[f32], b: &[f32], term: impl Fn(f32, f32) -> f32) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f32; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..LANES {
            acc[l] += term(x[l], y[l]);
        }
    }
    let tail: f32 = ra.iter().zip(rb).map(|(&x, &y)| term(x, y)).sum();
    acc.iter().sum::<f32>() + tail
}

/// `Σ (a−b)²`, vectorised.
#[multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2+fma"))]
pub(crate) fn sq_euclidean(a: &[f32], b: &[f32]) -> f32 {
    lane_sum(a, b, |x, y| (x - y) * (x - y))
}

/// `Σ a·b`, vectorised.
#[multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2+fma"))]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    lane_sum(a, b, |x, y| x * y)
}

/// `Σ |a−b|`, vectorised.
#[multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2+fma"))]
fn manhattan(a: &[f32], b: &[f32]) -> f32 {
    lane_sum(a, b, |x, y| (x - y).abs())
}

fn cosine_direct(a: &[f32], b: &[f32]) -> f32 {
    let (mut ab, mut aa, mut bb) = (0.0f64, 0.0f64, 0.0f64);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (x as f64, y as f64);
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    let den = aa.sqrt() * bb.sqrt();
    let cos = if den > 0.0 { ab / den } else { 0.0 };
    (1.0 - cos).clamp(0.0, 2.0) as f32
}

fn centred(a: &[f32]) -> Vec<f32> {
    let mean = a.iter().map(|&v| v as f64).sum::<f64>() / a.len().max(1) as f64;
    a.iter().map(|&v| (v as f64 - mean) as f32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f32, b: f64) -> bool {
        ((a as f64) - b).abs() <= 1e-5 * (1.0 + b.abs())
    }

    #[test]
    fn closed_forms() {
        let a = [1.0f32, 0.0, 2.0, 0.0];
        let b = [0.0f32, 0.0, 2.0, 3.0];
        assert!(close(Metric::Euclidean.distance(&a, &b), 10f64.sqrt()));
        assert!(close(Metric::SqEuclidean.distance(&a, &b), 10.0));
        assert!(close(Metric::Manhattan.distance(&a, &b), 4.0));
        assert!(close(Metric::Chebyshev.distance(&a, &b), 3.0));
        assert!(close(Metric::Minkowski { p: 3.0 }.distance(&a, &b), 28f64.powf(1.0 / 3.0)));
        // cos = 4 / (sqrt 5 · sqrt 13)
        assert!(close(Metric::Cosine.distance(&a, &b), 1.0 - 4.0 / (5f64.sqrt() * 13f64.sqrt())));
        assert!(close(Metric::Canberra.distance(&a, &b), 1.0 + 0.0 + 1.0));
        assert!(close(Metric::BrayCurtis.distance(&a, &b), 4.0 / 8.0));
        assert!(close(Metric::Hamming.distance(&a, &b), 0.5));
        // non-zero sets {0,2} and {2,3}: union 3, intersection 1
        assert!(close(Metric::Jaccard.distance(&a, &b), 2.0 / 3.0));
        assert_eq!(Metric::Jaccard.distance(&[0.0; 3], &[0.0; 3]), 0.0);
        // correlation of perfectly anti-correlated rows is 2
        assert!(close(Metric::Correlation.distance(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]), 2.0));
        // a quarter of the equator
        let q = std::f32::consts::FRAC_PI_2;
        assert!(close(Metric::Haversine.distance(&[0.0, 0.0], &[0.0, q]), std::f64::consts::FRAC_PI_2));
    }

    #[test]
    fn long_vectors_use_all_lanes() {
        let a: Vec<f32> = (0..37).map(|i| i as f32 * 0.5).collect();
        let b: Vec<f32> = (0..37).map(|i| (i % 5) as f32).collect();
        let naive: f64 = a.iter().zip(&b).map(|(x, y)| ((x - y) as f64).powi(2)).sum();
        assert!(close(sq_euclidean(&a, &b), naive));
        let naive_dot: f64 = a.iter().zip(&b).map(|(x, y)| (x * y) as f64).sum();
        assert!(close(dot(&a, &b), naive_dot));
    }

    #[test]
    fn parse_names_and_errors() {
        assert_eq!(Metric::parse("L2").unwrap(), Metric::Euclidean);
        assert_eq!(Metric::parse("cityblock").unwrap(), Metric::Manhattan);
        let e = Metric::parse("mahalanobis").unwrap_err().to_string();
        assert!(e.contains("`metric`") && e.contains("euclidean"), "{e}");
        assert!(Metric::parse("minkowski:abc").unwrap_err().to_string().contains("≥ 1"));
        assert!(Metric::parse("cosine:2").is_err());
        assert!(Metric::Haversine.check_dims(3).unwrap_err().to_string().contains("exactly 2 columns"));
        for m in ["euclidean", "minkowski:3", "jaccard"] {
            assert_eq!(Metric::parse(m).unwrap().to_string(), m);
        }
    }
}
