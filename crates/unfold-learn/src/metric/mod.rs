//! Distance metrics and their kernels.
//!
//! Each metric has a *reduced* form that orders pairs the same way as the true distance but is
//! cheaper (squared euclidean for euclidean, the p-th power sum for Minkowski, …) and a
//! `finalize` that turns a reduced value into the distance. Search works on reduced values and
//! finalizes only the k results. Kernels are written so the compiler vectorises them, and the hot
//! ones are compiled for AVX2/FMA and AVX-512 with runtime dispatch.
//!
//! Metrics with a weight or a matrix work on transformed rows, so that the search runs the plain
//! kernels: `seuclidean` is euclidean on `x / √V`, `mahalanobis` euclidean on `x F` with
//! `F Fᵀ = VI`, `wminkowski` Minkowski on `w^(1/p) x`, `hellinger` compares `√(x / Σx)`.
//!
//! Conventions follow scipy / scikit-learn / umap-learn: cosine distance is `1 − cos` with
//! all-zero rows kept at zero (so their distance to anything is 1); correlation is the cosine
//! distance of the row-centred vectors; hamming is the fraction of differing coordinates;
//! jaccard and the boolean metrics (`dice`, `kulsinski`, `rogerstanimoto`, `russellrao`,
//! `sokalmichener`, `sokalsneath`, `yule`) treat non-zero entries as `true`, with umap-learn's
//! formulas (two rows with the same true coordinates are at distance 0); haversine takes
//! (latitude, longitude) in radians and returns the central angle; `wminkowski` is umap-learn's
//! `(Σ w_i |a_i − b_i|^p)^(1/p)` (scipy's `minkowski(a, b, p, w)`); `seuclidean` and
//! `mahalanobis` default, as scipy's `cdist`, to the data's column variances (`ddof = 1`) and the
//! inverse of its covariance matrix ([`Metric::fitted`]). `precomputed` means the data *is* a
//! square matrix of distances, read as it is.

mod gradient;
mod kernels;
mod params;
mod prepared;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

#[cfg(test)]
use kernels::sq_euclidean;
use kernels::{Boolean, BrayCurtis, Canberra, Chebyshev, Hamming, Haversine, Hellinger, Manhattan, Minkowski, OneMinusDot, boolean};
pub(crate) use kernels::{Kernel, KernelVisitor, SqEuclidean, byte_distance, dot, from_sum_of_squares, sq_euclidean_u8};
pub use params::MetricKwds;
pub(crate) use prepared::PreparedMetric;

/// A distance between rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// `sqrt(1 − Σ √(a_i b_i) / √(Σa Σb))` on non-negative rows (umap-learn's `hellinger`): 0
    /// between two all-zero rows, 1 between a zero and a non-zero row.
    Hellinger,
    /// Standardised euclidean `sqrt(Σ (a−b)² / V_i)`.
    SEuclidean {
        /// The variance of each column (> 0); `None`: the data's, see [`Metric::fitted`].
        v: Option<Vec<f64>>,
    },
    /// `sqrt((a−b)ᵀ VI (a−b))`.
    Mahalanobis {
        /// The inverse covariance matrix, row-major `d × d`, positive semi-definite; `None`: the
        /// inverse of the data's covariance, see [`Metric::fitted`].
        vi: Option<Vec<f64>>,
    },
    /// Weighted Minkowski `(Σ w_i |a−b|^p)^(1/p)` (umap-learn's `wminkowski`).
    WMinkowski {
        /// The weight of each column (≥ 0); `None`: all 1.
        w: Option<Vec<f64>>,
        /// The exponent (≥ 1).
        p: f64,
    },
    /// `(#tf + #ft) / (2 #tt + #tf + #ft)` on non-zero = true.
    Dice,
    /// umap-learn's `(#tf + #ft − #tt + n) / (#tf + #ft + n)` on non-zero = true.
    Kulsinski,
    /// `2 (#tf + #ft) / (n + #tf + #ft)` on non-zero = true.
    RogersTanimoto,
    /// `(n − #tt) / n` on non-zero = true (0 for rows with the same true coordinates).
    RussellRao,
    /// `2 (#tf + #ft) / (n + #tf + #ft)` on non-zero = true.
    SokalMichener,
    /// `(#tf + #ft) / (#tt / 2 + #tf + #ft)` on non-zero = true.
    SokalSneath,
    /// `2 #tf #ft / (#tt #ff + #tf #ft)` on non-zero = true (0 when `#tf` or `#ft` is 0).
    Yule,
    /// The data is a square matrix of distances: row `i`, column `j` is the distance from point
    /// `i` to point `j` (non-negative; the diagonal is ignored). Neighbours are read from it.
    /// Between two rows, [`Metric::distance`] is the euclidean distance of the rows.
    Precomputed,
}

/// Every accepted metric name, for help texts and error messages.
pub const METRIC_NAMES: &str = "euclidean, sqeuclidean, cosine, correlation, manhattan, chebyshev, minkowski:P, canberra, braycurtis, \
hamming, jaccard, haversine, hellinger, seuclidean, mahalanobis, wminkowski:P, dice, kulsinski, rogerstanimoto, russellrao, \
sokalmichener, sokalsneath, yule, precomputed";

impl Metric {
    /// Parses a metric name (case-insensitive); Minkowski and weighted Minkowski take their
    /// exponent as `minkowski:P` and `wminkowski:P`. Parameters that are vectors or matrices
    /// (`V`, `VI`, `w`) come from [`Metric::with_kwds`]; without them `seuclidean` and
    /// `mahalanobis` take the data's (see [`Metric::fitted`]) and `wminkowski` weighs every
    /// column 1. Aliases: `l2`, `l1`, `cityblock`, `taxicab`, `linf`, `infinity`,
    /// `standardised_euclidean`, `weighted_minkowski`.
    ///
    /// ```
    /// use unfold_learn::Metric;
    /// assert_eq!(Metric::parse("Cosine")?, Metric::Cosine);
    /// assert_eq!(Metric::parse("minkowski:3")?, Metric::Minkowski { p: 3.0 });
    /// assert_eq!(Metric::parse("seuclidean")?, Metric::SEuclidean { v: None });
    /// assert!(Metric::parse("minkowski:0.5").is_err());
    /// # Ok::<(), unfold_learn::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an unknown name (the message lists every accepted one)
    /// or a bad exponent.
    pub fn parse(name: &str) -> Result<Metric> {
        let lower = name.trim().to_ascii_lowercase();
        let (base, arg) = match lower.split_once(':') {
            Some((b, a)) => (b, Some(a)),
            None => (lower.as_str(), None),
        };
        let exponent = |what: &str| -> Result<f64> {
            let p = arg.unwrap_or("2");
            p.parse().map_err(|_| Error::param("metric", name, format!("the exponent in `{what}:P` must be a number ≥ 1, got `{p}`")))
        };
        let m = match base {
            "euclidean" | "l2" => Metric::Euclidean,
            "sqeuclidean" => Metric::SqEuclidean,
            "cosine" => Metric::Cosine,
            "correlation" => Metric::Correlation,
            "manhattan" | "l1" | "cityblock" | "taxicab" => Metric::Manhattan,
            "chebyshev" | "linf" | "infinity" => Metric::Chebyshev,
            "minkowski" => return Metric::minkowski(exponent("minkowski")?),
            "wminkowski" | "weighted_minkowski" => return Metric::wminkowski(None, exponent("wminkowski")?),
            "canberra" => Metric::Canberra,
            "braycurtis" => Metric::BrayCurtis,
            "hamming" => Metric::Hamming,
            "jaccard" => Metric::Jaccard,
            "haversine" => Metric::Haversine,
            "hellinger" => Metric::Hellinger,
            "seuclidean" | "standardised_euclidean" => Metric::SEuclidean { v: None },
            "mahalanobis" => Metric::Mahalanobis { vi: None },
            "dice" => Metric::Dice,
            "kulsinski" => Metric::Kulsinski,
            "rogerstanimoto" => Metric::RogersTanimoto,
            "russellrao" => Metric::RussellRao,
            "sokalmichener" => Metric::SokalMichener,
            "sokalsneath" => Metric::SokalSneath,
            "yule" => Metric::Yule,
            "precomputed" => Metric::Precomputed,
            _ => return Err(Error::param("metric", name, format!("must be one of {METRIC_NAMES}"))),
        };
        if arg.is_some() {
            return Err(Error::param("metric", name, "only minkowski and wminkowski take a `:P` argument"));
        }
        Ok(m)
    }

    /// The Minkowski metric with exponent `p` (must be finite and ≥ 1).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for any other `p`.
    pub fn minkowski(p: f64) -> Result<Metric> {
        params::check_exponent("minkowski", p)?;
        Ok(Metric::Minkowski { p })
    }

    /// Checks that the metric can be used on data with `n_cols` columns: haversine needs 2, and
    /// a given `V`, `w` or `VI` must have one value (or row and column) per column.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the metric or its parameter and the column count.
    pub fn check_dims(&self, n_cols: usize) -> Result<()> {
        params::check_dims(self, n_cols)
    }

    /// The distance between two rows of equal length. A `seuclidean` or `mahalanobis` metric
    /// without its `V` or `VI` compares as plain euclidean: call [`Metric::fitted`] first to take
    /// them from the data.
    ///
    /// The rows are mapped and compared exactly as the kNN search, the transforms and the
    /// quality measures compare them. That map is set up for each call, which for `mahalanobis`
    /// means an eigendecomposition of `VI`: this is for a few pairs, not for many. NaN when `VI`
    /// is not positive semi-definite ([`Metric::fitted`] reports that as an error).
    ///
    /// ```
    /// use unfold_learn::Metric;
    /// assert_eq!(Metric::Euclidean.distance(&[0.0, 0.0], &[3.0, 4.0]), 5.0);
    /// assert_eq!(Metric::Manhattan.distance(&[0.0, 0.0], &[3.0, 4.0]), 7.0);
    /// ```
    pub fn distance(&self, a: &[f32], b: &[f32]) -> f32 {
        match PreparedMetric::new(self.clone(), a.len()) {
            Ok(m) => m.distance(&m.rows(a), &m.rows(b)),
            Err(_) => f32::NAN,
        }
    }

    /// Whether the metric is euclidean on its prepared rows (euclidean, squared euclidean,
    /// standardised euclidean, Mahalanobis): searches may then use the matrix-product form.
    pub(crate) fn is_euclidean_kind(&self) -> bool {
        matches!(self, Metric::Euclidean | Metric::SqEuclidean | Metric::SEuclidean { .. } | Metric::Mahalanobis { .. })
    }

    /// Calls `visitor` with the kernel of this metric, on rows mapped by [`PreparedMetric::rows`].
    pub(crate) fn visit_kernel<V: KernelVisitor>(&self, visitor: V) -> V::Output {
        match *self {
            Metric::Euclidean | Metric::SEuclidean { .. } | Metric::Mahalanobis { .. } | Metric::Precomputed => visitor.visit(SqEuclidean { root: true }),
            Metric::SqEuclidean => visitor.visit(SqEuclidean { root: false }),
            Metric::Cosine | Metric::Correlation => visitor.visit(OneMinusDot),
            Metric::Manhattan => visitor.visit(Manhattan),
            Metric::Chebyshev => visitor.visit(Chebyshev),
            Metric::Minkowski { p } | Metric::WMinkowski { p, .. } => visitor.visit(Minkowski { p: p as f32 }),
            Metric::Canberra => visitor.visit(Canberra),
            Metric::BrayCurtis => visitor.visit(BrayCurtis),
            Metric::Hamming => visitor.visit(Hamming),
            Metric::Jaccard => visitor.visit(Boolean(boolean::jaccard)),
            Metric::Haversine => visitor.visit(Haversine),
            Metric::Hellinger => visitor.visit(Hellinger),
            Metric::Dice => visitor.visit(Boolean(boolean::dice)),
            Metric::Kulsinski => visitor.visit(Boolean(boolean::kulsinski)),
            Metric::RogersTanimoto | Metric::SokalMichener => visitor.visit(Boolean(boolean::rogers_tanimoto)),
            Metric::RussellRao => visitor.visit(Boolean(boolean::russell_rao)),
            Metric::SokalSneath => visitor.visit(Boolean(boolean::sokal_sneath)),
            Metric::Yule => visitor.visit(Boolean(boolean::yule)),
        }
    }
}

/// A metric as a method parameter: its name (`minkowski:3` for an exponent), as
/// [`Metric::parse`] reads it; metrics with array parameters come with their keywords
/// ([`Metric::with_kwds`]) through the typed API.
impl crate::method::params::ParamType for Metric {
    const KIND: crate::method::ParamKind = crate::method::ParamKind::Other("str");
    fn from_value(name: &'static str, value: &crate::method::Value) -> Result<Self> {
        match value {
            crate::method::Value::Text(t) => Metric::parse(t).map_err(|e| match e {
                Error::InvalidParameter { value, expected, .. } => Error::InvalidParameter { name, value, expected },
                other => other,
            }),
            crate::method::Value::Metric(m) => Ok(m.clone()),
            v => Err(Error::param(name, v, "must be a metric name (euclidean, cosine, …)")),
        }
    }
    fn to_value(&self) -> crate::method::Value {
        crate::method::Value::Text(self.to_string())
    }
    fn number(&self) -> Option<f64> {
        None
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Metric::Euclidean => "euclidean",
            Metric::SqEuclidean => "sqeuclidean",
            Metric::Cosine => "cosine",
            Metric::Correlation => "correlation",
            Metric::Manhattan => "manhattan",
            Metric::Chebyshev => "chebyshev",
            Metric::Minkowski { p } => return write!(f, "minkowski:{p}"),
            Metric::Canberra => "canberra",
            Metric::BrayCurtis => "braycurtis",
            Metric::Hamming => "hamming",
            Metric::Jaccard => "jaccard",
            Metric::Haversine => "haversine",
            Metric::Hellinger => "hellinger",
            Metric::SEuclidean { .. } => "seuclidean",
            Metric::Mahalanobis { .. } => "mahalanobis",
            Metric::WMinkowski { p, .. } => return write!(f, "wminkowski:{p}"),
            Metric::Dice => "dice",
            Metric::Kulsinski => "kulsinski",
            Metric::RogersTanimoto => "rogerstanimoto",
            Metric::RussellRao => "russellrao",
            Metric::SokalMichener => "sokalmichener",
            Metric::SokalSneath => "sokalsneath",
            Metric::Yule => "yule",
            Metric::Precomputed => "precomputed",
        };
        f.write_str(name)
    }
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
        // Boolean counts of a and b: tt = 1, tf = 1, ft = 1, ff = 1, n = 4.
        assert!(close(Metric::Dice.distance(&a, &b), 2.0 / 4.0));
        assert!(close(Metric::Kulsinski.distance(&a, &b), (2.0 - 1.0 + 4.0) / 6.0));
        assert!(close(Metric::RogersTanimoto.distance(&a, &b), 4.0 / 6.0));
        assert!(close(Metric::SokalMichener.distance(&a, &b), 4.0 / 6.0));
        assert!(close(Metric::RussellRao.distance(&a, &b), 3.0 / 4.0));
        assert!(close(Metric::SokalSneath.distance(&a, &b), 2.0 / 2.5));
        assert!(close(Metric::Yule.distance(&a, &b), 2.0 / 2.0));
        for m in [Metric::Dice, Metric::Kulsinski, Metric::RussellRao, Metric::SokalSneath, Metric::Yule] {
            assert_eq!(m.distance(&[0.0, 2.0], &[0.0, 5.0]), 0.0, "{m}");
        }
        // p = (1/3, 2/3), q = (1, 0): 1 − √(1/3)
        assert!(close(Metric::Hellinger.distance(&[1.0, 2.0], &[3.0, 0.0]), (1.0 - (1.0f64 / 3.0).sqrt()).sqrt()));
        assert_eq!(Metric::Hellinger.distance(&[0.0, 0.0], &[0.0, 0.0]), 0.0);
        assert_eq!(Metric::Hellinger.distance(&[0.0, 0.0], &[1.0, 0.0]), 1.0);
        let se = Metric::SEuclidean { v: Some(vec![4.0, 1.0, 1.0, 9.0]) };
        assert!(close(se.distance(&a, &b), (0.25f64 + 1.0).sqrt()));
        let wm = Metric::WMinkowski { w: Some(vec![2.0, 1.0, 1.0, 0.5]), p: 3.0 };
        assert!(close(wm.distance(&a, &b), (2.0f64 + 0.5 * 27.0).powf(1.0 / 3.0)));
        let ma = Metric::Mahalanobis { vi: Some(vec![2.0, 1.0, 1.0, 2.0]) };
        // (1, −1) · [[2, 1], [1, 2]] · (1, −1) = 2
        assert!(close(ma.distance(&[1.0, 0.0], &[0.0, 1.0]), 2f64.sqrt()));
    }

    /// The textbook formulas in `f64`, on the rows as given: the reference for the mapped rows.
    fn direct(m: &Metric, a: &[f32], b: &[f32]) -> f64 {
        let diff: Vec<f64> = a.iter().zip(b).map(|(&x, &y)| x as f64 - y as f64).collect();
        let unit = |r: &[f32], centre: bool| {
            let mean = if centre { r.iter().map(|&v| v as f64).sum::<f64>() / r.len() as f64 } else { 0.0 };
            let c: Vec<f64> = r.iter().map(|&v| v as f64 - mean).collect();
            let norm = c.iter().map(|v| v * v).sum::<f64>().sqrt();
            c.iter().map(|v| if norm > 0.0 { v / norm } else { 0.0 }).collect::<Vec<_>>()
        };
        match m {
            Metric::SEuclidean { v: Some(v) } => diff.iter().zip(v).map(|(e, v)| e * e / v).sum::<f64>().sqrt(),
            Metric::WMinkowski { w: Some(w), p } => diff.iter().zip(w).map(|(e, w)| w * e.abs().powf(*p)).sum::<f64>().powf(1.0 / p),
            Metric::Minkowski { p } => diff.iter().map(|e| e.abs().powf(*p)).sum::<f64>().powf(1.0 / p),
            Metric::Mahalanobis { vi: Some(vi) } => {
                let d = diff.len();
                (0..d).map(|i| (0..d).map(|j| diff[i] * vi[i * d + j] * diff[j]).sum::<f64>()).sum::<f64>().max(0.0).sqrt()
            }
            Metric::Cosine | Metric::Correlation => {
                let centre = *m == Metric::Correlation;
                let (ua, ub) = (unit(a, centre), unit(b, centre));
                1.0 - ua.iter().zip(&ub).map(|(x, y)| x * y).sum::<f64>()
            }
            Metric::Hellinger => {
                let (sa, sb) = (a.iter().map(|&v| v as f64).sum::<f64>(), b.iter().map(|&v| v as f64).sum::<f64>());
                match (sa > 0.0, sb > 0.0) {
                    (false, false) => 0.0,
                    (true, true) => (1.0 - a.iter().zip(b).map(|(&x, &y)| (x as f64 / sa * y as f64 / sb).sqrt()).sum::<f64>()).max(0.0).sqrt(),
                    _ => 1.0,
                }
            }
            _ => unreachable!("no reference for {m}"),
        }
    }

    #[test]
    fn mapped_rows_give_the_textbook_distances() {
        let rows = [0.5f32, 1.0, 0.0, 2.0, 1.5, 0.25, 3.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1.0, 2.0, 0.5, 0.75];
        let metrics = [
            Metric::Hellinger,
            Metric::Cosine,
            Metric::Correlation,
            Metric::Minkowski { p: 3.0 },
            Metric::SEuclidean { v: Some(vec![0.5, 2.0, 4.0, 1.0]) },
            Metric::WMinkowski { w: Some(vec![0.5, 2.0, 4.0, 1.0]), p: 1.5 },
            Metric::Mahalanobis { vi: Some(vec![2.0, 0.5, 0.0, 0.0, 0.5, 1.0, 0.0, 0.0, 0.0, 0.0, 3.0, 1.0, 0.0, 0.0, 1.0, 1.0]) },
        ];
        for m in metrics {
            let pairs: &[(usize, usize)] = if m == Metric::Hellinger { &[(0, 1), (0, 2), (1, 2), (2, 2)] } else { &[(0, 1), (0, 3), (1, 3), (2, 3), (3, 3)] };
            let prepared = PreparedMetric::new(m.clone(), 4).unwrap();
            let mapped = prepared.rows(&rows);
            for &(i, j) in pairs {
                let (a, b) = (&rows[i * 4..i * 4 + 4], &rows[j * 4..j * 4 + 4]);
                let want = direct(&m, a, b);
                let got = prepared.distance(&mapped[i * 4..i * 4 + 4], &mapped[j * 4..j * 4 + 4]);
                assert!((got as f64 - want).abs() <= 1e-5 * (1.0 + want), "{m}: rows {i}, {j}: {got} against {want}");
                assert_eq!(m.distance(a, b), got, "{m}: rows {i}, {j}: a single pair goes the same way");
            }
        }
        let not_psd = Metric::Mahalanobis { vi: Some(vec![1.0, 0.0, 0.0, -1.0]) };
        assert!(not_psd.distance(&[0.0, 0.0], &[1.0, 1.0]).is_nan());
    }

    #[test]
    fn kwds_go_to_the_metric_that_takes_them() {
        let kw = |p: Option<f64>, w: Option<Vec<f64>>, v: Option<Vec<f64>>, vi: Option<Vec<f64>>| MetricKwds { p, w, v, vi };
        assert_eq!(Metric::with_kwds("minkowski", kw(Some(3.0), None, None, None)).unwrap(), Metric::Minkowski { p: 3.0 });
        let e = Metric::with_kwds("cosine", kw(Some(3.0), None, None, None)).unwrap_err().to_string();
        assert_eq!(e, "invalid value for `metric_kwds`: 'p' (the cosine metric takes no parameters)");
        let e = Metric::with_kwds("seuclidean", kw(None, None, None, Some(vec![1.0]))).unwrap_err().to_string();
        assert_eq!(e, "invalid value for `metric_kwds`: 'VI' (the seuclidean metric takes only 'V')");
        let e = Metric::with_kwds("seuclidean", kw(None, None, Some(vec![1.0, 0.0]), None)).unwrap_err().to_string();
        assert!(e.contains("`V`") && e.contains("0 at index 1") && e.contains("positive"), "{e}");
        let e = Metric::with_kwds("wminkowski", kw(None, Some(vec![-1.0]), None, None)).unwrap_err().to_string();
        assert!(e.contains("`w`") && e.contains("non-negative"), "{e}");
        let e = Metric::with_kwds("mahalanobis", kw(None, None, None, Some(vec![1.0; 3]))).unwrap_err().to_string();
        assert!(e.contains("`VI`") && e.contains("square"), "{e}");
        let e = Metric::with_kwds("minkowski:3", kw(Some(2.0), None, None, None)).unwrap_err().to_string();
        assert!(e.contains("already given"), "{e}");
        let m = Metric::with_kwds("seuclidean", kw(None, None, Some(vec![1.0, 2.0]), None)).unwrap();
        assert!(m.check_dims(3).unwrap_err().to_string().contains("one value per column of the data (3)"));
    }

    #[test]
    fn parameters_from_the_data() {
        use crate::data::Data;
        // Columns (0, 2, 4) and (0, 0, 3): variances (ddof 1) 4 and 3.
        let x = [0.0f32, 0.0, 2.0, 0.0, 4.0, 3.0];
        let data = Data::from_row_major(&x, 3, 2).unwrap();
        assert_eq!(Metric::parse("seuclidean").unwrap().fitted(&data).unwrap(), Metric::SEuclidean { v: Some(vec![4.0, 3.0]) });
        // Covariance [[4, 3], [3, 3]] (ddof 1), inverse [[3, −3], [−3, 4]] / 3.
        let Metric::Mahalanobis { vi: Some(vi) } = Metric::parse("mahalanobis").unwrap().fitted(&data).unwrap() else { panic!() };
        for (got, want) in vi.iter().zip([1.0, -1.0, -1.0, 4.0 / 3.0]) {
            assert!((got - want).abs() < 1e-12, "{vi:?}");
        }
        let constant = Data::from_row_major(&[1.0f32, 0.0, 1.0, 2.0], 2, 2).unwrap();
        let e = Metric::parse("seuclidean").unwrap().fitted(&constant).unwrap_err().to_string();
        assert!(e.contains("column 0") && e.contains("give V"), "{e}");
        let e = Metric::parse("mahalanobis").unwrap().fitted(&constant).unwrap_err().to_string();
        assert!(e.contains("singular") && e.contains("give VI"), "{e}");
        let not_psd = Metric::with_kwds("mahalanobis", MetricKwds { vi: Some(vec![1.0, 0.0, 0.0, -1.0]), ..Default::default() }).unwrap();
        assert!(not_psd.fitted(&data).unwrap_err().to_string().contains("positive semi-definite"));
        let negative = Data::from_row_major(&[1.0f32, 0.0, 0.5, -0.5], 2, 2).unwrap();
        let e = Metric::Hellinger.fitted(&negative).unwrap_err().to_string();
        assert!(e.contains("non-negative") && e.contains("row 1, column 1 is -0.5"), "{e}");
        let e = Metric::Precomputed.fitted(&data).unwrap_err().to_string();
        assert!(e.contains("square") && e.contains("3 × 2"), "{e}");
        let e = Metric::Precomputed.fitted(&negative).unwrap_err().to_string();
        assert!(e.contains("row 1, column 1 is -0.5"), "{e}");
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
        let e = Metric::parse("bogus").unwrap_err().to_string();
        assert_eq!(e, format!("invalid value for `metric`: bogus (must be one of {METRIC_NAMES})"));
        // Each name once.
        let names: Vec<&str> = METRIC_NAMES.split(", ").collect();
        for n in &names {
            assert_eq!(names.iter().filter(|m| *m == n).count(), 1, "{n}");
            assert!(Metric::parse(n.trim_end_matches(":P")).is_ok(), "{n}");
        }
        assert!(Metric::parse("minkowski:abc").unwrap_err().to_string().contains("≥ 1"));
        assert!(Metric::parse("cosine:2").is_err());
        assert!(Metric::Haversine.check_dims(3).unwrap_err().to_string().contains("exactly 2 columns"));
        assert_eq!(Metric::parse("wminkowski:3").unwrap(), Metric::WMinkowski { w: None, p: 3.0 });
        assert!(Metric::parse("wminkowski:0.5").unwrap_err().to_string().contains("≥ 1"));
        assert!(Metric::parse("hellinger:2").unwrap_err().to_string().contains("only minkowski and wminkowski"));
        for m in ["euclidean", "minkowski:3", "jaccard", "wminkowski:1.5", "seuclidean", "mahalanobis", "kulsinski", "precomputed"] {
            assert_eq!(Metric::parse(m).unwrap().to_string(), m);
        }
    }
}
