//! PCA: `fit_pca(...)` → `PcaModel`, the pattern every estimator follows.
//!
//! A `fit_<method>` function takes the input array and the core's parameters (already mapped
//! from scikit-learn names by the Python class), builds the core `Params` (the core validates
//! ranges), fits through [`crate::run::run`] and returns the fitted model as a class with
//! read-only array getters, `transform`, and `to_bytes`/`from_bytes` for pickling.

use numpy::{PyArray1, PyArray2, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use unfold_learn::io::model::Kind;
use unfold_learn::{Pca, PcaParams, PcaSolver};

use crate::convert::{self, Threads, to_py_err};
use crate::model_bytes;
use crate::run::run;

const KIND: Kind = Kind { tag: "pca", version: 1 };

/// A fitted PCA (`unfold_learn::PcaModel`).
#[pyclass(module = "unfold._core", name = "PcaModel", frozen)]
pub struct PcaModel {
    inner: unfold_learn::PcaModel,
}

/// Fits PCA to `x` (float32, `n × d`) and returns the model.
#[pyfunction]
#[pyo3(signature = (x, *, n_components, svd_solver, n_oversamples, iterated_power, seed, threads, verbose))]
#[allow(clippy::too_many_arguments)]
fn fit_pca(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f32>,
    n_components: usize,
    svd_solver: &str,
    n_oversamples: usize,
    iterated_power: Option<usize>,
    seed: Option<u64>,
    threads: Threads,
    verbose: bool,
) -> PyResult<PcaModel> {
    let params = PcaParams {
        n_components,
        solver: PcaSolver::parse(svd_solver).map_err(to_py_err)?,
        n_oversamples,
        n_power_iter: iterated_power,
        seed,
        threads,
    };
    let pca = Pca::new(params).map_err(to_py_err)?;
    let (values, n, d) = convert::row_major(&x);
    let data = convert::data(&values, n, d)?;
    let inner = run(py, verbose, |progress| pca.fit_with_progress(&data, progress))?;
    Ok(PcaModel { inner })
}

#[pymethods]
impl PcaModel {
    /// Projects `x` (float32, `m × d`) onto the components.
    fn transform<'py>(&self, py: Python<'py>, x: PyReadonlyArray2<'_, f32>) -> PyResult<Bound<'py, PyArray2<f32>>> {
        let (values, n, d) = convert::row_major(&x);
        let data = convert::data(&values, n, d)?;
        let y = py.detach(|| self.inner.transform(&data)).map_err(to_py_err)?;
        convert::embedding(py, y)
    }

    /// The embedding of the training data, `n × k` float32.
    #[getter]
    fn embedding<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f32>>> {
        convert::embedding_copy(py, self.inner.embedding())
    }
    /// Components, `k × d` float64 (unit rows).
    #[getter]
    fn components<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let k = self.inner.n_components();
        let d = self.inner.mean().len();
        convert::matrix(py, self.inner.components().to_vec(), k, d)
    }
    #[getter]
    fn mean<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        PyArray1::from_slice(py, self.inner.mean())
    }
    #[getter]
    fn explained_variance<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        PyArray1::from_slice(py, self.inner.explained_variance())
    }
    #[getter]
    fn explained_variance_ratio<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        PyArray1::from_slice(py, self.inner.explained_variance_ratio())
    }
    #[getter]
    fn singular_values<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        PyArray1::from_slice(py, self.inner.singular_values())
    }
    /// The solver used (`full`, `covariance_eigh` or `randomized`; never `auto`).
    #[getter]
    fn solver(&self) -> &'static str {
        self.inner.solver().name()
    }

    /// The model as versioned bytes.
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        Ok(PyBytes::new(py, &model_bytes::to_bytes(KIND, &self.inner)?))
    }
    /// A model from [`PcaModel::to_bytes`].
    #[staticmethod]
    fn from_bytes(bytes: &[u8]) -> PyResult<PcaModel> {
        Ok(PcaModel { inner: model_bytes::from_bytes(KIND, bytes)? })
    }
    /// Pickles through the model bytes.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyBytes>,))> {
        model_bytes::reduce(slf, slf.get().to_bytes(slf.py())?)
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PcaModel>()?;
    m.add_function(wrap_pyfunction!(fit_pca, m)?)
}
