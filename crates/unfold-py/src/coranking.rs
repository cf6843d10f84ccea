//! The co-ranking matrix, its curves and Shepard data (`unfold_learn::measure::coranking`).

use std::borrow::Cow;

use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray2};
use pyo3::prelude::*;
use unfold_learn::Metric;
use unfold_learn::measure::coranking;

use crate::convert::{self, to_py_err};
use crate::run::run;

type Values<'a> = (Cow<'a, [f32]>, usize, usize);

/// The values of the data and the embedding, row-major.
fn inputs<'a>(x: &'a PyReadonlyArray2<'_, f32>, y: &'a PyReadonlyArray2<'_, f32>) -> (Values<'a>, Values<'a>) {
    (convert::row_major(x), convert::row_major(y))
}

/// The Python name of the core's `k_max`: `n_neighbors` when a function takes one
/// neighbourhood size, `max_k` when it takes the largest of a range.
fn k_name(name: &str) -> &'static str {
    if name == "n_neighbors" { "n_neighbors" } else { "max_k" }
}

/// `Q[k - 1, l - 1]` for ranks up to `k_max` (int64, `k_max × k_max`).
#[pyfunction]
#[pyo3(signature = (x, y, *, k_max, metric, k_name))]
fn coranking_matrix<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'_, f32>,
    y: PyReadonlyArray2<'_, f32>,
    k_max: Option<usize>,
    metric: &str,
    k_name: &str,
) -> PyResult<Bound<'py, PyArray2<i64>>> {
    let metric = Metric::parse(metric).map_err(to_py_err)?;
    let ((xv, n, d), (yv, m, e)) = inputs(&x, &y);
    let (xd, yd) = (convert::data(&xv, n, d)?, convert::data(&yv, m, e)?);
    let k_name = self::k_name(k_name);
    let q = run(py, "coranking_matrix", false, |progress| {
        coranking::coranking_matrix(&xd, &yd, k_max, metric, progress).map_err(|e| convert::renamed(e, "k_max", k_name))
    })?;
    convert::matrix(py, q.counts.iter().map(|&c| c as i64).collect(), q.k_max, q.k_max)
}

type Curves<'py> = (Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<f64>>, f64);

/// `(qnx, lcmc, rnx, rnx_auc)` for `K = 1..=k_max`.
#[pyfunction]
#[pyo3(signature = (x, y, *, k_max, metric, k_name))]
fn rank_curves<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'_, f32>,
    y: PyReadonlyArray2<'_, f32>,
    k_max: Option<usize>,
    metric: &str,
    k_name: &str,
) -> PyResult<Curves<'py>> {
    let metric = Metric::parse(metric).map_err(to_py_err)?;
    let ((xv, n, d), (yv, m, e)) = inputs(&x, &y);
    let (xd, yd) = (convert::data(&xv, n, d)?, convert::data(&yv, m, e)?);
    let k_name = self::k_name(k_name);
    let c =
        run(py, "rank_curves", false, |progress| coranking::rank_curves(&xd, &yd, k_max, metric, progress).map_err(|e| convert::renamed(e, "k_max", k_name)))?;
    Ok((c.qnx.into_pyarray(py), c.lcmc.into_pyarray(py), c.rnx.into_pyarray(py), c.rnx_auc))
}

type ShepardData<'py> = (Bound<'py, PyArray2<i64>>, Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<f64>>, Option<f64>, Option<f64>);

/// `(pairs, data distances, embedding distances, pearson, spearman)`.
#[pyfunction]
#[pyo3(signature = (x, y, *, n_pairs, seed, metric))]
fn shepard<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'_, f32>,
    y: PyReadonlyArray2<'_, f32>,
    n_pairs: usize,
    seed: u64,
    metric: &str,
) -> PyResult<ShepardData<'py>> {
    let metric = Metric::parse(metric).map_err(to_py_err)?;
    let ((xv, n, d), (yv, m, e)) = inputs(&x, &y);
    let (xd, yd) = (convert::data(&xv, n, d)?, convert::data(&yv, m, e)?);
    let s = run(py, "shepard", false, |_| coranking::shepard(&xd, &yd, n_pairs, seed, metric))?;
    let pairs = s.pairs.iter().flat_map(|&(i, j)| [i as i64, j as i64]).collect();
    Ok((convert::matrix(py, pairs, s.pairs.len(), 2)?, s.data.into_pyarray(py), s.embedding.into_pyarray(py), s.pearson, s.spearman))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(coranking_matrix, m)?)?;
    m.add_function(wrap_pyfunction!(rank_curves, m)?)?;
    m.add_function(wrap_pyfunction!(shepard, m)?)
}
