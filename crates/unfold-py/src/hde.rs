//! The hyperbolic diffusion embedding's extra beyond the method contract: the hyperbolic
//! diffusion distance, on a [`FittedModel`] of the `hde` method.

use numpy::PyArray2;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use unfold_learn::embed::hde::HdeModel;

use crate::convert;
use crate::method::FittedModel;

/// The hyperbolic diffusion distances from `rows` (all points when None) to every point, float64.
#[pyfunction]
#[pyo3(signature = (model, rows=None))]
fn hde_pairwise_distances<'py>(py: Python<'py>, model: &FittedModel, rows: Option<Vec<usize>>) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let any: &dyn std::any::Any = model.inner();
    let hde = any.downcast_ref::<HdeModel>().ok_or_else(|| PyTypeError::new_err(format!("expected an hde model, got a {} model", model.inner().method())))?;
    let n = hde.n_samples();
    let d = py.detach(|| hde.pairwise_distances(rows.as_deref())).map_err(convert::to_py_err)?;
    let r = d.len() / n.max(1);
    convert::matrix(py, d, r, n)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(hde_pairwise_distances, m)?)
}
