//! The MNIST test set (10,000 × 784 digits), built into the core library and shared with the
//! `unfold` command's demo.

use numpy::{PyArray1, PyArray2};
use pyo3::prelude::*;
use unfold_learn::datasets;

use crate::convert;
use crate::run::detached;

/// `(X float32 10000 × 784 with values 0–255, y int64 digits)`.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn load_mnist_sample<'py>(py: Python<'py>) -> PyResult<(Bound<'py, PyArray2<f32>>, Bound<'py, PyArray1<i64>>)> {
    let (images, digits) = detached(py, "load_mnist_sample", datasets::load_mnist_sample)?;
    let x = convert::matrix(py, images.values().to_vec(), images.n_rows(), images.n_cols())?;
    let y: Vec<i64> = digits.iter().map(|&d| i64::from(d)).collect();
    Ok((x, PyArray1::from_vec(py, y)))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(load_mnist_sample, m)?)
}
