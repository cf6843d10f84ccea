//! Isomap's extras beyond the method contract: `dist_matrix_`, read on demand rather than copied
//! into the fitted attributes (it is `n × n`), on a [`FittedModel`] of the `isomap` method.

use numpy::PyArray2;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use unfold_learn::embed::isomap::IsomapModel;

use crate::convert;
use crate::method::FittedModel;

/// The geodesic distances of an Isomap model, float32: `n × n`, or `n_landmarks × n` in landmark
/// mode.
#[pyfunction]
fn isomap_dist_matrix<'py>(py: Python<'py>, model: &FittedModel) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let any: &dyn std::any::Any = model.inner();
    let iso =
        any.downcast_ref::<IsomapModel>().ok_or_else(|| PyTypeError::new_err(format!("expected an isomap model, got a {} model", model.inner().method())))?;
    let d = iso.dist_matrix();
    let rows = iso.dist_matrix_rows();
    convert::matrix(py, d.to_vec(), rows, d.len() / rows.max(1))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(isomap_dist_matrix, m)?)
}
