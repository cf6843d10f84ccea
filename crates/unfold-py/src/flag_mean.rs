//! Chordal flag averages (`unfold_learn::manifold::flag_mean`): the flag mean and the flag
//! median of frames given as a `(p, n, n_k)` float64 array; `python/unfold/_flag_mean.py`
//! converts the input and chooses what to return.

use numpy::{PyArray2, PyReadonlyArray1, PyReadonlyArray2, PyReadonlyArray3, PyUntypedArrayMethods};
use pyo3::prelude::*;
use unfold_learn::Error;
use unfold_learn::manifold::flag_mean::{self as core, FlagAverage, FlagMeanParams, FlagMedianParams};

use crate::convert::{self, Threads, to_py_err};
use crate::run::detached;

/// `(point, objective, n_iter, converged, residual)` as returned to Python.
type Out<'py> = (Bound<'py, PyArray2<f64>>, f64, usize, bool, f64);

/// The frames as row-major values with `n`, after checking that their last axis is `n_k`.
fn frames(x: &PyReadonlyArray3<'_, f64>, signature: &[usize]) -> PyResult<(Vec<f64>, usize)> {
    let shape = x.shape();
    let (n, cols) = (shape[1], shape[2]);
    if let Some(&last) = signature.last().filter(|&&last| last != cols) {
        return Err(to_py_err(Error::InvalidData(format!(
            "`X` has {cols} columns per point, but the signature's last dimension n_k is {last}: each point must be an n × n_k frame"
        ))));
    }
    let values = match x.as_slice() {
        Ok(s) => s.to_vec(),
        Err(_) => x.as_array().iter().copied().collect(),
    };
    Ok((values, n))
}

fn init(initial_point: Option<PyReadonlyArray2<'_, f64>>) -> Option<Vec<f64>> {
    initial_point.map(|y| convert::row_major(&y).0.into_owned())
}

fn out<'py>(py: Python<'py>, r: FlagAverage, n: usize, cols: usize) -> PyResult<Out<'py>> {
    Ok((convert::matrix(py, r.point, n, cols)?, r.objective, r.n_iter, r.converged, r.residual))
}

/// The weighted chordal flag mean.
#[pyfunction]
#[pyo3(signature = (x, signature, weights, *, initial_point, max_iters, tol, threads))]
#[allow(clippy::too_many_arguments)]
fn flag_mean<'py>(
    py: Python<'py>,
    x: PyReadonlyArray3<'_, f64>,
    signature: Vec<usize>,
    weights: Option<PyReadonlyArray1<'_, f64>>,
    initial_point: Option<PyReadonlyArray2<'_, f64>>,
    max_iters: usize,
    tol: f64,
    threads: Threads,
) -> PyResult<Out<'py>> {
    let (values, n) = frames(&x, &signature)?;
    let params = FlagMeanParams { weights: weights.map(|w| w.as_array().to_vec()), initial_point: init(initial_point), max_iters, tol, threads };
    let cols = x.shape()[2];
    let r = detached(py, "flag_mean", || core::flag_mean(n, &signature, &values, &params))?;
    out(py, r, n, cols)
}

/// The weighted chordal flag median (iteratively re-weighted flag means).
#[pyfunction]
#[pyo3(signature = (x, signature, weights, *, initial_point, max_iters, conv_eps, wt_eps, threads))]
#[allow(clippy::too_many_arguments)]
fn flag_median<'py>(
    py: Python<'py>,
    x: PyReadonlyArray3<'_, f64>,
    signature: Vec<usize>,
    weights: Option<PyReadonlyArray1<'_, f64>>,
    initial_point: Option<PyReadonlyArray2<'_, f64>>,
    max_iters: usize,
    conv_eps: f64,
    wt_eps: f64,
    threads: Threads,
) -> PyResult<Out<'py>> {
    let (values, n) = frames(&x, &signature)?;
    let params = FlagMedianParams { weights: weights.map(|w| w.as_array().to_vec()), initial_point: init(initial_point), max_iters, conv_eps, wt_eps, threads };
    let cols = x.shape()[2];
    let r = detached(py, "flag_median", || core::flag_median(n, &signature, &values, &params))?;
    out(py, r, n, cols)
}

/// The chordal distance between two flags.
#[pyfunction]
fn flag_chordal_distance(py: Python<'_>, x: PyReadonlyArray2<'_, f64>, y: PyReadonlyArray2<'_, f64>, signature: Vec<usize>) -> PyResult<f64> {
    let n = x.shape()[0];
    let (x, y) = (convert::row_major(&x).0.into_owned(), convert::row_major(&y).0.into_owned());
    detached(py, "flag_chordal_distance", || core::chordal_distance(n, &signature, &x, &y))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(flag_mean, m)?)?;
    m.add_function(wrap_pyfunction!(flag_median, m)?)?;
    m.add_function(wrap_pyfunction!(flag_chordal_distance, m)?)
}
