//! The triangle-comparison sectional curvature (`unfold_learn::measure::sectional`).

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use unfold_learn::measure::sectional::{SectionalParams, sectional_curvature as sectional_core};

use crate::convert;
use crate::run::run;

/// Returns `(per-point estimates, mean, reference points (int64), points without pairs)`.
#[pyfunction]
#[pyo3(signature = (x, *, n_neighbors, n_samples, metric, seed, threads, verbose))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
fn sectional_curvature<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'_, f32>,
    n_neighbors: usize,
    n_samples: Option<usize>,
    metric: &Bound<'py, PyAny>,
    seed: Option<u64>,
    threads: Option<usize>,
    verbose: bool,
) -> PyResult<(Bound<'py, PyArray1<f64>>, f64, Bound<'py, PyArray1<i64>>, usize)> {
    let metric = convert::metric(metric)?;
    let (xv, n, d) = convert::row_major(&x);
    let data = convert::data(&xv, n, d)?;
    let params = SectionalParams { n_neighbors, metric, n_samples, seed, threads };
    let r = run(py, "sectional_curvature", verbose, |progress| sectional_core(&data, &params, progress))?;
    let references: Vec<i64> = r.references.iter().map(|&a| a as i64).collect();
    Ok((r.per_point.into_pyarray(py), r.mean, references.into_pyarray(py), r.n_without_pairs))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(sectional_curvature, m)?)
}
