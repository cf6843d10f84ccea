//! PCA's extras beyond the method contract: the float64 `inverse_transform` and the
//! probabilistic-PCA likelihood (`score_samples`, `get_covariance`, `get_precision`), on a
//! [`FittedModel`] of the `pca` method. Fitting, `transform`, the fitted attributes and pickling
//! go through the generic binding ([`crate::method`]).

use numpy::{PyArray1, PyArray2};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use unfold_learn::PcaModel;
use unfold_learn::method::Input;

use crate::convert::{self, Array, to_py_err, with_input};
use crate::method::FittedModel;
use crate::run::detached;

/// The core PCA model inside `model`.
fn pca(model: &FittedModel) -> PyResult<&PcaModel> {
    let any: &dyn std::any::Any = model.inner();
    any.downcast_ref::<PcaModel>().ok_or_else(|| PyTypeError::new_err(format!("expected a pca model, got a {} model", model.inner().method())))
}

/// Maps `y` (float32 or float64, `m × k`) back to the data space; float64 `m × d`.
#[pyfunction]
fn pca_inverse_transform<'py>(py: Python<'py>, model: &FittedModel, y: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let pca = pca(model)?;
    let (m, x) = with_input!(Array::extract(y)?, |data| {
        let m = data.n_rows();
        let x = detached(py, "PCA inverse_transform", || match data {
            Input::F32(d) => pca.inverse_transform(d),
            Input::F64(d) => pca.inverse_transform(d),
            Input::Sparse(_) => Err(unfold_learn::Error::InvalidData("PCA takes dense rows; the input is sparse".into())),
        })?;
        (m, x)
    });
    convert::matrix(py, x, m, pca.n_features())
}

/// The log-likelihood of each row of `x` under the probabilistic PCA model; float64 `(m,)`.
#[pyfunction]
fn pca_score_samples<'py>(py: Python<'py>, model: &FittedModel, x: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let pca = pca(model)?;
    let s = with_input!(Array::extract(x)?, |data| detached(py, "PCA score_samples", || match data {
        Input::F32(d) => pca.score_samples(d),
        Input::F64(d) => pca.score_samples(d),
        Input::Sparse(_) => Err(unfold_learn::Error::InvalidData("PCA takes dense rows; the input is sparse".into())),
    })?);
    Ok(PyArray1::from_vec(py, s))
}

/// The model covariance, float64 `d × d`.
#[pyfunction]
fn pca_covariance<'py>(py: Python<'py>, model: &FittedModel) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let pca = pca(model)?;
    let d = pca.n_features();
    convert::matrix(py, pca.covariance(), d, d)
}

/// The model precision (inverse covariance), float64 `d × d`.
#[pyfunction]
fn pca_precision<'py>(py: Python<'py>, model: &FittedModel) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let pca = pca(model)?;
    let d = pca.n_features();
    convert::matrix(py, pca.precision().map_err(to_py_err)?, d, d)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(pca_inverse_transform, m)?)?;
    m.add_function(wrap_pyfunction!(pca_score_samples, m)?)?;
    m.add_function(wrap_pyfunction!(pca_covariance, m)?)?;
    m.add_function(wrap_pyfunction!(pca_precision, m)?)
}
