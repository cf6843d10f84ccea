//! NumPy arrays ⇄ core types, and core errors → Python exceptions.

use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray2, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::{PyKeyboardInterrupt, PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use std::borrow::Cow;
use unfold_learn::{Data, Embedding, Error};

/// Maps a core error to the Python exception a user expects: bad parameters or data →
/// `ValueError`, cancellation → `KeyboardInterrupt`, a refused file → `OSError`, anything else
/// (a numerical failure) → `RuntimeError`. The message is the core's, unchanged.
pub fn to_py_err(e: Error) -> PyErr {
    let message = e.to_string();
    match e {
        Error::Cancelled => PyKeyboardInterrupt::new_err(message),
        Error::Io { .. } => PyOSError::new_err(message),
        e if e.is_user_error() => PyValueError::new_err(message),
        _ => PyRuntimeError::new_err(message),
    }
}

/// Renames a parameter in an [`Error::InvalidParameter`] to the name the Python function uses
/// (the core's `k` is scikit-learn's `n_neighbors`). Other errors pass through.
pub fn renamed(e: Error, core: &str, python: &'static str) -> Error {
    match e {
        Error::InvalidParameter { name, value, expected } if name == core => Error::InvalidParameter { name: python, value, expected },
        other => other,
    }
}

/// The values of a 2-d float32 array, row-major: borrowed when the array is C-contiguous
/// (the Python layer makes it so), copied otherwise.
pub fn row_major<'a>(x: &'a PyReadonlyArray2<'_, f32>) -> (Cow<'a, [f32]>, usize, usize) {
    let shape = x.shape();
    let (n, d) = (shape[0], shape[1]);
    match x.as_slice() {
        Ok(s) => (Cow::Borrowed(s), n, d),
        Err(_) => (Cow::Owned(x.as_array().iter().copied().collect()), n, d),
    }
}

/// Validates row-major values as [`Data`] (finite, non-empty; errors name the row and column).
pub fn data(values: &[f32], n: usize, d: usize) -> PyResult<Data<'_>> {
    Data::from_row_major(values, n, d).map_err(to_py_err)
}

/// A new `n × k` NumPy array owning `values` (row-major).
pub fn matrix<'py, T: numpy::Element>(py: Python<'py>, values: Vec<T>, n: usize, k: usize) -> PyResult<Bound<'py, PyArray2<T>>> {
    let a = Array2::from_shape_vec((n, k), values).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    Ok(a.into_pyarray(py))
}

/// A computed embedding as a new float32 array (no copy).
pub fn embedding<'py>(py: Python<'py>, y: Embedding) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let (n, k) = (y.n_rows(), y.n_cols());
    matrix(py, y.into_vec(), n, k)
}

/// A model's stored embedding, copied into a new float32 array.
pub fn embedding_copy<'py>(py: Python<'py>, e: Data<'_>) -> PyResult<Bound<'py, PyArray2<f32>>> {
    matrix(py, e.as_slice().to_vec(), e.n_rows(), e.n_cols())
}

/// A threads parameter from Python: `None` (all cores) or a count ≥ 1 (checked by the core).
pub type Threads = Option<usize>;
