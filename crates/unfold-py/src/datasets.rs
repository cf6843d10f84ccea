//! The MNIST test set (10,000 × 784 digits), built into the module as in the `unfold` command.

use std::path::Path;

use numpy::{PyArray1, PyArray2};
use pyo3::prelude::*;
use unfold_learn::io::read_idx_bytes;

use crate::convert;
use crate::run::detached;

const IMAGES: &[u8] = include_bytes!("../../../data/t10k-images.idx3-ubyte.gz");
const LABELS: &[u8] = include_bytes!("../../../data/t10k-labels.idx1-ubyte.gz");

/// `(X float32 10000 × 784 with values 0–255, y int64 digits)`.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn load_mnist_sample<'py>(py: Python<'py>) -> PyResult<(Bound<'py, PyArray2<f32>>, Bound<'py, PyArray1<i64>>)> {
    let (images, labels) = detached(py, "load_mnist_sample", || {
        let images = read_idx_bytes(IMAGES.to_vec(), Path::new("<built-in MNIST sample>"))?;
        let labels = read_idx_bytes(LABELS.to_vec(), Path::new("<built-in MNIST sample labels>"))?;
        Ok((images, labels))
    })?;
    let x = convert::matrix(py, images.values().to_vec(), images.n_rows(), images.n_cols())?;
    let y: Vec<i64> = labels.values().iter().map(|&v| v as i64).collect();
    Ok((x, PyArray1::from_vec(py, y)))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(load_mnist_sample, m)?)
}
