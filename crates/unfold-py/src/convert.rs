//! NumPy arrays ⇄ core types, and core errors → Python exceptions.

use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray2, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::{PyKeyboardInterrupt, PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use std::borrow::Cow;
use unfold_learn::{Data, Error};

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

/// The values of a 2-d array, row-major: borrowed when the array is C-contiguous (the Python
/// layer makes it so), copied otherwise.
pub fn row_major<'a, T: numpy::Element + Copy>(x: &'a PyReadonlyArray2<'_, T>) -> (Cow<'a, [T]>, usize, usize) {
    let shape = x.shape();
    let (n, d) = (shape[0], shape[1]);
    match x.as_slice() {
        Ok(s) => (Cow::Borrowed(s), n, d),
        Err(_) => (Cow::Owned(x.as_array().iter().copied().collect()), n, d),
    }
}

/// A 2-d float32 or float64 array from Python, for the methods that compute in the input's
/// precision (the Python class passes float64 only for data float32 cannot hold exactly), or
/// sparse rows (see [`sparse`]).
pub enum Array<'py> {
    F32(PyReadonlyArray2<'py, f32>),
    F64(PyReadonlyArray2<'py, f64>),
    Sparse(unfold_learn::SparseData),
}

impl<'py> Array<'py> {
    pub fn extract(x: &Bound<'py, PyAny>) -> PyResult<Array<'py>> {
        if let Ok(a) = x.extract::<PyReadonlyArray2<'py, f64>>() {
            return Ok(Array::F64(a));
        }
        if let Ok(a) = x.extract::<PyReadonlyArray2<'py, f32>>() {
            return Ok(Array::F32(a));
        }
        sparse(x).map(Array::Sparse).map_err(|e| {
            if e.is_instance_of::<pyo3::exceptions::PyTypeError>(x.py()) {
                pyo3::exceptions::PyTypeError::new_err("expected a 2-d float32 or float64 numpy array, or sparse rows")
            } else {
                e
            }
        })
    }
}

/// Sparse rows as the Python layer passes them: `(data float32, indices int64, indptr int64,
/// n_rows, n_cols)`, scipy's CSR arrays. The core checks them and makes them canonical.
pub fn sparse(x: &Bound<'_, PyAny>) -> PyResult<unfold_learn::SparseData> {
    use numpy::PyReadonlyArray1;
    let (data, indices, indptr, n_rows, n_cols): (PyReadonlyArray1<'_, f32>, PyReadonlyArray1<'_, i64>, PyReadonlyArray1<'_, i64>, usize, usize) =
        x.extract()?;
    let bad = |what: &str, at: usize, v: i64| to_py_err(Error::InvalidData(format!("the sparse matrix's {what}[{at}] is {v}; it cannot be negative")));
    let indptr = indptr.as_array().iter().enumerate().map(|(p, &v)| usize::try_from(v).map_err(|_| bad("indptr", p, v))).collect::<PyResult<Vec<_>>>()?;
    let indices = indices
        .as_array()
        .iter()
        .enumerate()
        .map(|(p, &v)| {
            u32::try_from(v).map_err(|_| {
                if v < 0 {
                    bad("indices", p, v)
                } else {
                    to_py_err(Error::InvalidData(format!("the sparse matrix's indices[{p}] is {v}, beyond {n_cols} columns")))
                }
            })
        })
        .collect::<PyResult<Vec<_>>>()?;
    unfold_learn::SparseData::from_csr(n_rows, n_cols, indptr, indices, data.as_array().to_vec()).map_err(to_py_err)
}

/// Runs `$body` with `$data` bound to the validated rows of an [`Array`] as the core's
/// `method::Input` (`f32` or `f64`).
macro_rules! with_input {
    ($array:expr, |$data:ident| $body:expr) => {
        match $array {
            $crate::convert::Array::F32(a) => {
                let (values, n, d) = $crate::convert::row_major(&a);
                let rows = unfold_learn::Data::from_row_major(&values, n, d).map_err($crate::convert::to_py_err)?;
                let $data = unfold_learn::method::Input::F32(&rows);
                $body
            }
            $crate::convert::Array::F64(a) => {
                let (values, n, d) = $crate::convert::row_major(&a);
                let rows = unfold_learn::DataF64::from_row_major(&values, n, d).map_err($crate::convert::to_py_err)?;
                let $data = unfold_learn::method::Input::F64(&rows);
                $body
            }
            $crate::convert::Array::Sparse(rows) => {
                let $data = unfold_learn::method::Input::Sparse(&rows);
                $body
            }
        }
    };
}
pub(crate) use with_input;

/// Validates row-major values as [`Data`] (finite, non-empty; errors name the row and column).
pub fn data(values: &[f32], n: usize, d: usize) -> PyResult<Data<'_>> {
    Data::from_row_major(values, n, d).map_err(to_py_err)
}

/// A new `n × k` NumPy array owning `values` (row-major).
pub fn matrix<'py, T: numpy::Element>(py: Python<'py>, values: Vec<T>, n: usize, k: usize) -> PyResult<Bound<'py, PyArray2<T>>> {
    let a = Array2::from_shape_vec((n, k), values).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    Ok(a.into_pyarray(py))
}

/// A threads parameter from Python: `None` (all cores) or a count ≥ 1 (checked by the core).
pub type Threads = Option<usize>;

/// A metric as the Python layer passes it: a name, or `(name, kwds)` with umap-learn's
/// `metric_kwds`: `p` a float, `w` and `V` 1-d and `VI` square 2-d float64 arrays. The core
/// checks which metric takes which parameter and their values.
pub fn metric(spec: &Bound<'_, PyAny>) -> PyResult<unfold_learn::Metric> {
    use numpy::{PyReadonlyArrayDyn, PyUntypedArrayMethods};
    use pyo3::types::PyDict;
    use unfold_learn::metric::{Metric, MetricKwds};
    if let Ok(name) = spec.extract::<String>() {
        return Metric::parse(&name).map_err(to_py_err);
    }
    let (name, kwds): (String, Bound<'_, PyDict>) = spec.extract()?;
    let names: Vec<String> = kwds.keys().iter().map(|k| k.extract::<String>()).collect::<PyResult<_>>()?;
    Metric::parse(&name).and_then(|m| m.check_kwd_names(&names.iter().map(String::as_str).collect::<Vec<_>>())).map_err(to_py_err)?;
    let array = |key: &str, value: &Bound<'_, PyAny>, ndim: usize| -> PyResult<Vec<f64>> {
        let shape_error = |found: String| {
            let want = if ndim == 1 { "a 1-d array, one value per column" } else { "a square 2-d array" };
            to_py_err(Error::param("metric_kwds", format!("'{key}': {found}"), format!("must be {want}")))
        };
        let a: PyReadonlyArrayDyn<'_, f64> =
            value.extract().map_err(|_| shape_error(format!("a {}", value.get_type().name().map(|n| n.to_string()).unwrap_or_default())))?;
        let shape = a.shape();
        if shape.len() != ndim || (ndim == 2 && shape[0] != shape[1]) {
            return Err(shape_error(format!("an array of shape {shape:?}")));
        }
        // Logical (row-major) order, whatever the memory layout.
        Ok(a.as_array().iter().copied().collect())
    };
    let mut params = MetricKwds::default();
    for (key, value) in kwds.iter() {
        let key: String = key.extract()?;
        match key.as_str() {
            "p" => {
                let p = value.extract::<f64>().map_err(|_| to_py_err(Error::param("metric_kwds", "'p'", "must be a number")))?;
                params.p = Some(p);
            }
            "w" => params.w = Some(array("w", &value, 1)?),
            "V" => params.v = Some(array("V", &value, 1)?),
            _ => params.vi = Some(array("VI", &value, 2)?),
        }
    }
    Metric::with_kwds(&name, params).map_err(to_py_err)
}
