//! Metric parameters (umap-learn's `metric_kwds`), their defaults from the data, and the direct
//! distances of the weighted metrics.

use crate::linalg::matmul;
use faer::{Accum, Mat, MatMut, MatRef, Par};
use rayon::prelude::*;

use super::Metric;
use super::prepared::PreparedMetric;
use crate::data::Data;
use crate::error::{Error, Result};

/// Parameters of the metrics that take them, by umap-learn's and scipy's names (`metric_kwds`):
/// `p` (minkowski, wminkowski), `w` (wminkowski), `V` (seuclidean), `VI` (mahalanobis).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricKwds {
    /// The Minkowski exponent `p` (≥ 1; default 2).
    pub p: Option<f64>,
    /// The column weights `w` of `wminkowski` (≥ 0; default all 1).
    pub w: Option<Vec<f64>>,
    /// The column variances `V` of `seuclidean` (> 0; default the data's, `ddof = 1`).
    pub v: Option<Vec<f64>>,
    /// The inverse covariance `VI` of `mahalanobis`, row-major `d × d` (positive semi-definite;
    /// default the inverse of the data's covariance).
    pub vi: Option<Vec<f64>>,
}

impl MetricKwds {
    /// The names of the parameters that are set, as umap-learn spells them.
    fn given(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.p.is_some() {
            out.push("p");
        }
        if self.w.is_some() {
            out.push("w");
        }
        if self.v.is_some() {
            out.push("V");
        }
        if self.vi.is_some() {
            out.push("VI");
        }
        out
    }
}

impl Metric {
    /// The metric `name` (as [`Metric::parse`] reads it) with the parameters `kwds`, as
    /// umap-learn's `metric` and `metric_kwds`.
    ///
    /// ```
    /// use unfold_learn::metric::{Metric, MetricKwds};
    /// let m = Metric::with_kwds("wminkowski", MetricKwds { w: Some(vec![1.0, 4.0]), p: Some(1.0), ..Default::default() })?;
    /// assert_eq!(m.distance(&[0.0, 0.0], &[1.0, 1.0]), 5.0);
    /// assert!(Metric::with_kwds("cosine", MetricKwds { p: Some(3.0), ..Default::default() }).is_err());
    /// # Ok::<(), unfold_learn::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an unknown name, a parameter the metric does not take,
    /// or a value out of range (the message names it).
    pub fn with_kwds(name: &str, kwds: MetricKwds) -> Result<Metric> {
        let base = Metric::parse(name)?;
        base.check_kwd_names(&kwds.given())?;
        if kwds.p.is_some() && name.contains(':') {
            return Err(Error::param("metric_kwds", "'p'", format!("the exponent is already given in the metric name `{name}`")));
        }
        match base {
            Metric::Minkowski { p } => Metric::minkowski(kwds.p.unwrap_or(p)),
            Metric::WMinkowski { p, .. } => Metric::wminkowski(kwds.w, kwds.p.unwrap_or(p)),
            Metric::SEuclidean { .. } => {
                if let Some(v) = &kwds.v {
                    check_vector("V", v, |x| x > 0.0, "must be finite and positive")?;
                }
                Ok(Metric::SEuclidean { v: kwds.v })
            }
            Metric::Mahalanobis { .. } => {
                if let Some(vi) = &kwds.vi {
                    let d = (vi.len() as f64).sqrt().round() as usize;
                    if d * d != vi.len() || d == 0 {
                        return Err(Error::param("VI", format!("{} values", vi.len()), "must be a square d × d matrix"));
                    }
                    check_vector("VI", vi, |_| true, "must be finite")?;
                }
                Ok(Metric::Mahalanobis { vi: kwds.vi })
            }
            other => Ok(other),
        }
    }

    /// Checks that the metric takes parameters of these names (umap-learn's `metric_kwds` keys:
    /// `p`, `w`, `V`, `VI`).
    ///
    /// ```
    /// use unfold_learn::Metric;
    /// assert!(Metric::parse("wminkowski")?.check_kwd_names(&["w", "p"]).is_ok());
    /// let e = Metric::parse("seuclidean")?.check_kwd_names(&["VI"]).unwrap_err();
    /// assert_eq!(e.to_string(), "invalid value for `metric_kwds`: 'VI' (the seuclidean metric takes only 'V')");
    /// # Ok::<(), unfold_learn::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the first parameter the metric does not take.
    pub fn check_kwd_names(&self, names: &[&str]) -> Result<()> {
        let allowed: &[&str] = match self {
            Metric::Minkowski { .. } => &["p"],
            Metric::WMinkowski { .. } => &["w", "p"],
            Metric::SEuclidean { .. } => &["V"],
            Metric::Mahalanobis { .. } => &["VI"],
            _ => &[],
        };
        match names.iter().find(|g| !allowed.contains(g)) {
            None => Ok(()),
            Some(bad) => {
                let takes = match allowed {
                    [] => "takes no parameters".to_string(),
                    names => format!("takes only {}", names.iter().map(|n| format!("'{n}'")).collect::<Vec<_>>().join(" and ")),
                };
                let name = self.to_string();
                let name = name.split(':').next().unwrap_or_default();
                Err(Error::param("metric_kwds", format!("'{bad}'"), format!("the {name} metric {takes}")))
            }
        }
    }

    /// umap-learn's weighted Minkowski metric: weights `w` (finite, ≥ 0; `None`: all 1) and
    /// exponent `p` (finite, ≥ 1).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `w` or `p`.
    pub fn wminkowski(w: Option<Vec<f64>>, p: f64) -> Result<Metric> {
        check_exponent("wminkowski", p)?;
        if let Some(w) = &w {
            check_vector("w", w, |x| x >= 0.0, "must be finite and non-negative")?;
        }
        Ok(Metric::WMinkowski { w, p })
    }

    /// Checks every parameter the metric carries against rows of `n_cols` values, as a metric
    /// read from a model file must be checked: the column count ([`Metric::check_dims`]:
    /// haversine takes 2; `V`, `w` one value per column, `VI` `n_cols × n_cols`), a Minkowski
    /// exponent `p ≥ 1`, `V` finite and positive, `w` finite and non-negative, `VI` finite.
    ///
    /// ```
    /// use unfold_learn::Metric;
    /// assert!(Metric::Haversine.check_params(2).is_ok());
    /// assert!(Metric::Haversine.check_params(3).is_err());
    /// assert!(Metric::Minkowski { p: 0.5 }.check_params(4).is_err());
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the metric or its parameter.
    pub fn check_params(&self, n_cols: usize) -> Result<()> {
        self.check_dims(n_cols)?;
        match self {
            Metric::Minkowski { p } => check_exponent("minkowski", *p),
            Metric::WMinkowski { w, p } => {
                check_exponent("wminkowski", *p)?;
                w.as_deref().map_or(Ok(()), |w| check_vector("w", w, |x| x >= 0.0, "must be finite and non-negative"))
            }
            Metric::SEuclidean { v: Some(v) } => check_vector("V", v, |x| x > 0.0, "must be finite and positive"),
            Metric::Mahalanobis { vi: Some(vi) } => check_vector("VI", vi, |_| true, "must be finite"),
            _ => Ok(()),
        }
    }

    /// The metric ready for `data`: `seuclidean` without `V` takes the data's column variances
    /// (`ddof = 1`), `mahalanobis` without `VI` the inverse of its covariance matrix, as scipy's
    /// `cdist`; other metrics are returned as they are. Also checks that the data fits the
    /// metric: the column count ([`Metric::check_dims`]), non-negative values for `hellinger`,
    /// a square non-negative matrix for `precomputed`, a positive semi-definite `VI`.
    ///
    /// ```
    /// use unfold_learn::prelude::*;
    /// let x = [0.0f32, 0.0, 2.0, 0.0, 4.0, 3.0];
    /// let data = Data::from_row_major(&x, 3, 2)?;
    /// let m = Metric::parse("seuclidean")?.fitted(&data)?;
    /// assert_eq!(m, Metric::SEuclidean { v: Some(vec![4.0, 3.0]) });
    /// # Ok::<(), unfold_learn::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the metric or parameter and, for data that does not
    /// fit, the row and column; for a column of zero variance or a singular covariance matrix.
    pub fn fitted(&self, data: &Data) -> Result<Metric> {
        self.fit(data).map(PreparedMetric::into_metric)
    }

    /// [`Metric::fitted`], with the row map of the fitted metric that every search and measure
    /// compares rows through (mahalanobis's `VI` is factorised here, once).
    pub(crate) fn fit(&self, data: &Data) -> Result<PreparedMetric> {
        let (n, d) = (data.n_rows(), data.n_cols());
        self.check_dims(d)?;
        let metric = match self {
            Metric::Hellinger => {
                check_non_negative(data, "hellinger", "hellinger compares distributions: it needs non-negative values")?;
                self.clone()
            }
            Metric::Precomputed => {
                if n != d {
                    return Err(Error::param(
                        "metric",
                        "precomputed",
                        format!("the data must be a square matrix of distances between its rows, but it is {n} × {d}"),
                    ));
                }
                check_non_negative(data, "precomputed", "distances must be non-negative")?;
                self.clone()
            }
            Metric::SEuclidean { v: None } => Metric::SEuclidean { v: Some(column_variances(data)?) },
            Metric::Mahalanobis { vi: None } => Metric::Mahalanobis { vi: Some(inverse_covariance(data)?) },
            _ => self.clone(),
        };
        // Checks that a given VI is positive semi-definite.
        PreparedMetric::new(metric, d)
    }
}

/// Checks a Minkowski exponent.
pub(super) fn check_exponent(metric: &str, p: f64) -> Result<()> {
    if !(p.is_finite() && p >= 1.0) {
        return Err(Error::param("metric", format!("{metric}:{p}"), "the Minkowski exponent p must be finite and ≥ 1"));
    }
    Ok(())
}

fn check_vector(name: &'static str, values: &[f64], ok: impl Fn(f64) -> bool, expected: &str) -> Result<()> {
    if values.is_empty() {
        return Err(Error::param(name, "an empty array", "must hold one value per column"));
    }
    match values.iter().position(|&x| !(x.is_finite() && ok(x))) {
        Some(i) => Err(Error::param(name, format!("{} at index {i}", values[i]), format!("every value {expected}"))),
        None => Ok(()),
    }
}

pub(super) fn check_dims(metric: &Metric, n_cols: usize) -> Result<()> {
    let per_column = |name: &'static str, len: usize| -> Result<()> {
        if len != n_cols {
            return Err(Error::param(name, format!("{len} values"), format!("must hold one value per column of the data ({n_cols})")));
        }
        Ok(())
    };
    match metric {
        Metric::Haversine if n_cols != 2 => {
            Err(Error::param("metric", "haversine", format!("haversine needs exactly 2 columns (latitude, longitude in radians), but the data has {n_cols}")))
        }
        Metric::SEuclidean { v: Some(v) } => per_column("V", v.len()),
        Metric::WMinkowski { w: Some(w), .. } => per_column("w", w.len()),
        Metric::Mahalanobis { vi: Some(vi) } if vi.len() != n_cols * n_cols => {
            Err(Error::param("VI", format!("{} values", vi.len()), format!("must be a {n_cols} × {n_cols} matrix, one row and column per column of the data")))
        }
        _ => Ok(()),
    }
}

fn check_non_negative(data: &Data, metric: &str, why: &str) -> Result<()> {
    let d = data.n_cols();
    let first = data.as_slice().par_iter().position_first(|&v| v < 0.0);
    match first {
        Some(p) => Err(Error::param("metric", metric, format!("{why}, but row {}, column {} is {}", p / d, p % d, data.as_slice()[p]))),
        None => Ok(()),
    }
}

/// Column variances with `ddof = 1`, as scipy's `cdist` defaults `V`: the diagonal of the
/// covariance matrix.
fn column_variances(data: &Data) -> Result<Vec<f64>> {
    let (n, d) = (data.n_rows(), data.n_cols());
    if n < 2 {
        return Err(Error::param("V", "the data's variances", "need at least 2 rows; give V in metric_kwds"));
    }
    let cov = covariance(data);
    let var: Vec<f64> = (0..d).map(|c| cov[(c, c)]).collect();
    if let Some(c) = var.iter().position(|&v| v <= 0.0) {
        return Err(Error::param(
            "metric",
            "seuclidean",
            format!("column {c} of the data is constant, so its variance is 0 and it cannot be standardised; give V in metric_kwds"),
        ));
    }
    Ok(var)
}

/// The inverse of the data's covariance matrix (`ddof = 1`), row-major.
fn inverse_covariance(data: &Data) -> Result<Vec<f64>> {
    let (n, d) = (data.n_rows(), data.n_cols());
    if n < 2 {
        return Err(Error::param("VI", "the data's covariance", "needs at least 2 rows; give VI in metric_kwds"));
    }
    let cov = covariance(data);
    let (values, vectors) = crate::linalg::symmetric_eigen(cov.as_ref(), "mahalanobis covariance")?;
    let (largest, smallest) = (values[0], values[d - 1]);
    // `<=` would let a NaN eigenvalue through.
    if smallest.partial_cmp(&(largest * d as f64 * f64::EPSILON)) != Some(std::cmp::Ordering::Greater) {
        return Err(Error::param(
            "metric",
            "mahalanobis",
            format!(
                "the covariance matrix of the data is singular (eigenvalues from {largest:e} down to {smallest:e}: a column is constant \
                 or a combination of others, or there are fewer rows than columns), so it has no inverse; give VI in metric_kwds"
            ),
        ));
    }
    let mut vi = vec![0.0f64; d * d];
    vi.par_chunks_mut(d).enumerate().for_each(|(i, row)| {
        for (j, out) in row.iter_mut().enumerate() {
            *out = (0..d).map(|l| vectors[(i, l)] * vectors[(j, l)] / values[l]).sum();
        }
    });
    Ok(vi)
}

/// The covariance matrix (`ddof = 1`, at least 2 rows): the centred scatter matrix of
/// [`crate::linalg::centred_gram_in`] over `n − 1`, multiplied in `f64` as scipy's and numpy's
/// defaults are (an `f32` sum moves `V` enough to change a UMAP fit's neighbours). Its values are
/// scaled by a power of two before they are multiplied, so undoing the scale is exact.
fn covariance(data: &Data) -> Mat<f64> {
    use crate::linalg::{centred_gram_in, column_means, max_abs_deviation, pow2_scale};
    let mean = column_means(data);
    let scale = pow2_scale(max_abs_deviation(data, &mean));
    let mut cov = centred_gram_in::<f64, _>(data, &mean, scale);
    let (unscale, ddof) = ((scale * scale).recip(), 1.0 / (data.n_rows() - 1) as f64);
    cov.col_iter_mut().for_each(|c| c.iter_mut().for_each(|v| *v = *v * unscale * ddof));
    cov
}

/// `F` (row-major `d × d`) with `F Fᵀ` the symmetric part of `VI`, so that
/// `(a−b)ᵀ VI (a−b) = |(a−b)ᵀ F|²`: `Q Λ^½` of its eigendecomposition.
pub(super) fn factor(vi: &[f64], d: usize) -> Result<Vec<f64>> {
    let sym = Mat::from_fn(d, d, |i, j| 0.5 * (vi[i * d + j] + vi[j * d + i]));
    let (values, vectors) = crate::linalg::symmetric_eigen(sym.as_ref(), "mahalanobis VI")?;
    let (largest, smallest) = (values[0], values[d - 1]);
    // Rounding leaves eigenvalues of a singular positive semi-definite matrix slightly negative.
    if smallest < -(largest.abs() * d as f64 * 1e3 * f64::EPSILON) {
        return Err(Error::param(
            "VI",
            format!("a matrix with eigenvalue {smallest:e}"),
            "must be positive semi-definite (the inverse of a covariance matrix)",
        ));
    }
    let mut f = vec![0.0f64; d * d];
    for i in 0..d {
        for l in 0..d {
            f[i * d + l] = vectors[(i, l)] * values[l].max(0.0).sqrt();
        }
    }
    Ok(f)
}

/// The rows (`n × d`, row-major) times `f` (row-major `d × d`), in blocks of rows.
pub(super) fn times_factor(values: &[f32], d: usize, f: &[f32]) -> Vec<f32> {
    let f = MatRef::from_row_major_slice(f, d, d);
    let mut out = vec![0f32; values.len()];
    const BLOCK: usize = 1024;
    out.par_chunks_mut(BLOCK * d).zip(values.par_chunks(BLOCK * d)).for_each(|(o, x)| {
        let m = x.len() / d;
        matmul(MatMut::from_row_major_slice_mut(o, m, d), Accum::Replace, MatRef::from_row_major_slice(x, m, d), f, 1.0f32, Par::Seq);
    });
    out
}
