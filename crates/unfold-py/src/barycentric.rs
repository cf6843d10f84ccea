//! Barycentric subspace analysis (`unfold_learn::manifold::barycentric`) for `unfold.geometry`.
//!
//! The space is named by `kind` (`"sphere"` or `"lorentz"`, with the hyperboloid's `k`); points
//! are rows of 2-d float64 arrays. `python/unfold/_bsa.py` maps the Python manifolds (and
//! Poincaré-ball points) onto these.

use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray2};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use unfold_learn::manifold::barycentric::{self, BsaMethod, BsaParams, Space};
use unfold_learn::manifold::{Lorentz, Sphere};

use crate::convert;
use crate::run::detached;

fn space(kind: &str, len: usize, k: f64) -> PyResult<Space> {
    match kind {
        "sphere" => Ok(Space::from(Sphere::new(len))),
        "lorentz" => Ok(Space::from(Lorentz::new(len, k))),
        _ => Err(PyValueError::new_err(format!("invalid value for `manifold`: {kind} (must be a sphere or a hyperboloid)"))),
    }
}

type Matrix<'py> = Bound<'py, PyArray2<f64>>;

/// `([(basis, reference_points, unexplained_variance)] for k = 0..=n_components, frechet_mean,
/// total_variance, converged)`.
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
#[pyfunction]
#[pyo3(signature = (kind, k, x, *, n_components, method, max_iter, tol, threads))]
fn barycentric_subspace_analysis<'py>(
    py: Python<'py>,
    kind: &str,
    k: f64,
    x: PyReadonlyArray2<'_, f64>,
    n_components: usize,
    method: &str,
    max_iter: usize,
    tol: f64,
    threads: Option<usize>,
) -> PyResult<(Vec<(Matrix<'py>, Matrix<'py>, f64)>, Bound<'py, PyArray1<f64>>, f64, bool)> {
    let (x, _, len) = convert::row_major(&x);
    let space = space(kind, len, k)?;
    let method = BsaMethod::parse(method).map_err(convert::to_py_err)?;
    let params = BsaParams { n_components, method, max_iter, tol, threads };
    let fit = detached(py, "barycentric_subspace_analysis", || barycentric::barycentric_subspace_analysis(space, &x, &params))?;
    let mut subspaces = Vec::with_capacity(fit.subspaces.len());
    for s in fit.subspaces {
        let r = s.k + 1;
        subspaces.push((convert::matrix(py, s.basis, r, len)?, convert::matrix(py, s.reference_points, r, len)?, s.unexplained_variance));
    }
    Ok((subspaces, fit.frechet_mean.into_pyarray(py), fit.total_variance, fit.converged))
}

/// The closest points of the affine span of `reference_points` to the rows of `x`.
#[pyfunction]
fn barycentric_project<'py>(
    py: Python<'py>,
    kind: &str,
    k: f64,
    reference_points: PyReadonlyArray2<'_, f64>,
    x: PyReadonlyArray2<'_, f64>,
) -> PyResult<Matrix<'py>> {
    let (refs, _, len) = convert::row_major(&reference_points);
    let (x, n, _) = convert::row_major(&x);
    let space = space(kind, len, k)?;
    let p = detached(py, "barycentric_project", || barycentric::project(&space, &refs, &x))?;
    convert::matrix(py, p, n, len)
}

/// The barycentric weights of the projections of the rows of `x` (`n × r`).
#[pyfunction]
fn barycentric_weights<'py>(
    py: Python<'py>,
    kind: &str,
    k: f64,
    reference_points: PyReadonlyArray2<'_, f64>,
    x: PyReadonlyArray2<'_, f64>,
) -> PyResult<Matrix<'py>> {
    let (refs, r, len) = convert::row_major(&reference_points);
    let (x, n, _) = convert::row_major(&x);
    let space = space(kind, len, k)?;
    let w = detached(py, "barycentric_weights", || barycentric::barycentric_weights(&space, &refs, &x))?;
    convert::matrix(py, w, n, r)
}

/// The distances of the rows of `x` to the affine span of `reference_points`.
#[pyfunction]
fn barycentric_residuals<'py>(
    py: Python<'py>,
    kind: &str,
    k: f64,
    reference_points: PyReadonlyArray2<'_, f64>,
    x: PyReadonlyArray2<'_, f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let (refs, _, len) = convert::row_major(&reference_points);
    let (x, _, _) = convert::row_major(&x);
    let space = space(kind, len, k)?;
    let d = detached(py, "barycentric_residuals", || barycentric::residuals(&space, &refs, &x))?;
    Ok(d.into_pyarray(py))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(barycentric_subspace_analysis, m)?)?;
    m.add_function(wrap_pyfunction!(barycentric_project, m)?)?;
    m.add_function(wrap_pyfunction!(barycentric_weights, m)?)?;
    m.add_function(wrap_pyfunction!(barycentric_residuals, m)?)
}
