//! `--metric-kwds`: the parameters of a metric on the command line (umap-learn's `metric_kwds`).
//!
//! `KEY=VALUE` pairs separated by commas, e.g. `--metric wminkowski --metric-kwds 'w=w.npy,p=3'`.
//! A value is a number (`p`) or a file (`w`, `V`: one value per column, a 1-D `.npy` or a single
//! row or column; `VI`: a `d × d` matrix), read in `f64` when the file holds float64. The core
//! checks which keys a metric takes and the values' ranges, and names the key in its messages.

use std::path::Path;

use anyhow::{Context, Result};
use unfold_learn::io::{AnyMatrix, read_vector_or_matrix_precise};
use unfold_learn::metric::{Metric, MetricKwds};

use crate::input::UsageError;

/// The help of every `--metric-kwds` flag.
pub const HELP: &str = "Parameters of --metric as KEY=VALUE pairs separated by commas (umap-learn's \
metric_kwds): p=NUMBER (minkowski, wminkowski), w=FILE (wminkowski: column weights), V=FILE \
(seuclidean: column variances), VI=FILE (mahalanobis: d × d inverse covariance). A FILE is .npy \
(1-D or 2-D) or .csv/.tsv; e.g. --metric wminkowski --metric-kwds 'w=weights.npy,p=3'";

/// The metric of a command that takes `--precomputed` (the input is square distances),
/// `--metric` and `--metric-kwds`: [`Metric::Precomputed`] with `--precomputed`, else [`metric`].
///
/// # Errors
/// [`UsageError`] for `--precomputed` with another `--metric`; the errors of [`metric`].
pub fn metric_or_precomputed(precomputed: bool, name: &str, kwds: Option<&str>) -> Result<Metric> {
    if !precomputed {
        return metric(name, kwds);
    }
    if name != "euclidean" && Metric::parse(name).ok() != Some(Metric::Precomputed) {
        return Err(UsageError(format!("--precomputed takes the input as distances: it does not go with --metric {name}")).into());
    }
    Ok(Metric::Precomputed)
}

/// The metric `name` with the parameters of a `--metric-kwds` value, if given.
pub fn metric(name: &str, kwds: Option<&str>) -> Result<Metric> {
    let base = Metric::parse(name)?;
    let Some(spec) = kwds else { return Ok(base) };
    let mut out = MetricKwds::default();
    let mut seen: Vec<&str> = Vec::new();
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let Some((key, value)) = item.split_once('=').map(|(k, v)| (k.trim(), v.trim())) else {
            return Err(UsageError(format!("--metric-kwds: `{item}` is not KEY=VALUE (e.g. --metric-kwds 'w=weights.npy,p=3')")).into());
        };
        // Names the key and the keys this metric takes.
        base.check_kwd_names(&[key]).context("--metric-kwds")?;
        if seen.contains(&key) {
            return Err(UsageError(format!("--metric-kwds: `{key}` is given twice")).into());
        }
        seen.push(key);
        match key {
            "p" => out.p = Some(value.parse().map_err(|_| UsageError(format!("--metric-kwds: p = `{value}` is not a number")))?),
            "w" => out.w = Some(vector(key, value)?),
            "V" => out.v = Some(vector(key, value)?),
            "VI" => out.vi = Some(square(key, value)?),
            other => return Err(UsageError(format!("--metric-kwds: `{other}` is not a metric parameter (p, w, V or VI)")).into()),
        }
    }
    Metric::with_kwds(name, out).context("--metric-kwds")
}

/// The values of a file, validated (finite), row-major, with its shape.
fn read_values(key: &str, file: &str) -> Result<(Vec<f64>, usize, usize)> {
    let path = Path::new(file);
    let m = read_vector_or_matrix_precise(path).with_context(|| format!("--metric-kwds: {key} = {file}"))?;
    let values = match &m {
        AnyMatrix::F32(m) => m.data()?.as_slice().iter().map(|&v| v as f64).collect(),
        AnyMatrix::F64(m) => m.data()?.as_slice().to_vec(),
        AnyMatrix::Sparse(_) => anyhow::bail!(crate::input::UsageError(format!("--metric-kwds: {key} = {file} is a sparse matrix; give the values dense"))),
    };
    Ok((values, m.n_rows(), m.n_cols()))
}

/// One value per column: a 1-D array, or one row or one column.
fn vector(key: &str, file: &str) -> Result<Vec<f64>> {
    let (values, n, d) = read_values(key, file)?;
    if n != 1 && d != 1 {
        return Err(
            UsageError(format!("--metric-kwds: {key} = {file} is {n} × {d}; {key} is one value per column (a 1-D array, one row or one column)")).into()
        );
    }
    Ok(values)
}

/// A square matrix.
fn square(key: &str, file: &str) -> Result<Vec<f64>> {
    let (values, n, d) = read_values(key, file)?;
    if n != d {
        return Err(UsageError(format!("--metric-kwds: {key} = {file} is {n} × {d}; {key} is a square matrix (columns × columns)")).into());
    }
    Ok(values)
}
