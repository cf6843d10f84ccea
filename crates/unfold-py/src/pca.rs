//! PCA: `fit_pca(...)` → `PcaModel`, the pattern every estimator follows.
//!
//! A `fit_<method>` function takes the input array and the core's parameters (already mapped
//! from scikit-learn names by the Python class), builds the core `Params` (the core validates
//! ranges), fits through [`crate::run::run`] and returns the fitted model as a class with
//! read-only array getters, `transform`, and `to_bytes`/`from_bytes` for pickling.
//!
//! PCA takes float32 or float64 arrays and computes in the precision it is given (the Python
//! class passes float64 for data float32 cannot hold exactly), so offsets such as `10⁶ + 10⁻³ u`
//! survive until the core centres them.


use numpy::{PyArray1, PyArray2, PyReadonlyArray2};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
use unfold_learn::embed::pca::MODEL_KIND;
use unfold_learn::{Data, DataF64, Pca, PcaComponents, PcaParams, PcaSolver};

use crate::convert::{self, Threads, to_py_err};
use crate::model_bytes;
use crate::run::{detached, run};

/// A fitted PCA (`unfold_learn::PcaModel`).
#[pyclass(module = "unfold._core", name = "PcaModel", frozen)]
pub struct PcaModel {
    inner: unfold_learn::PcaModel,
}

/// A 2-d float32 or float64 array from Python.
enum Array<'py> {
    F32(PyReadonlyArray2<'py, f32>),
    F64(PyReadonlyArray2<'py, f64>),
}

impl<'py> Array<'py> {
    fn extract(x: &Bound<'py, PyAny>) -> PyResult<Array<'py>> {
        if let Ok(a) = x.extract::<PyReadonlyArray2<'py, f64>>() {
            return Ok(Array::F64(a));
        }
        x.extract::<PyReadonlyArray2<'py, f32>>()
            .map(Array::F32)
            .map_err(|_| PyTypeError::new_err("expected a 2-d float32 or float64 numpy array"))
    }
}

/// Runs `$body` with `$data` bound to the validated core input (`Data` or `DataF64`) of `$array`.
macro_rules! with_rows {
    ($array:expr, |$data:ident| $body:expr) => {
        match $array {
            Array::F32(a) => {
                let (values, n, d) = convert::row_major(&a);
                let $data = Data::from_row_major(&values, n, d).map_err(to_py_err)?;
                $body
            }
            Array::F64(a) => {
                let (values, n, d) = convert::row_major(&a);
                let $data = DataF64::from_row_major(&values, n, d).map_err(to_py_err)?;
                $body
            }
        }
    };
}

/// scikit-learn's `n_components` (an int, a float in (0, 1) or "mle", after the Python class
/// has resolved None) as the core's count and rule.
fn components(value: &Bound<'_, PyAny>) -> PyResult<(usize, PcaComponents)> {
    if value.is_instance_of::<PyString>() {
        let s: String = value.extract()?;
        return match s.as_str() {
            "mle" => Ok((0, PcaComponents::Mle)),
            _ => Err(PyValueError::new_err(format!(
                "invalid value for `n_components`: '{s}' (must be an int, a float strictly between 0 and 1, 'mle' or None)"
            ))),
        };
    }
    if let Ok(k) = value.extract::<usize>() {
        return Ok((k, PcaComponents::Count));
    }
    Ok((0, PcaComponents::VarianceFraction(value.extract::<f64>()?)))
}

/// Fits PCA to `x` (float32 or float64, `n × d`) and returns the model.
#[pyfunction]
#[pyo3(signature = (x, *, n_components, whiten, svd_solver, n_oversamples, iterated_power, seed, threads, verbose))]
#[allow(clippy::too_many_arguments)]
fn fit_pca(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    n_components: &Bound<'_, PyAny>,
    whiten: bool,
    svd_solver: &str,
    n_oversamples: usize,
    iterated_power: Option<usize>,
    seed: Option<u64>,
    threads: Threads,
    verbose: bool,
) -> PyResult<PcaModel> {
    let (n_components, components) = components(n_components)?;
    let params = PcaParams {
        n_components,
        components,
        whiten,
        solver: PcaSolver::parse(svd_solver).map_err(to_py_err)?,
        n_oversamples,
        n_power_iter: iterated_power,
        seed,
        threads,
    };
    let pca = Pca::new(params).map_err(to_py_err)?;
    let inner = with_rows!(Array::extract(x)?, |data| run(py, "PCA fit", verbose, |progress| pca.fit_with_progress(&data, progress))?);
    Ok(PcaModel { inner })
}

#[pymethods]
impl PcaModel {
    /// Projects `x` (float32 or float64, `m × d`) onto the components; float32 `m × k`.
    fn transform<'py>(&self, py: Python<'py>, x: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyArray2<f32>>> {
        let y = with_rows!(Array::extract(x)?, |data| detached(py, "PCA transform", || self.inner.transform(&data))?);
        convert::embedding(py, y)
    }

    /// Maps `y` (float32 or float64, `m × k`) back to the data space; float64 `m × d`.
    fn inverse_transform<'py>(&self, py: Python<'py>, y: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let (m, x) = with_rows!(Array::extract(y)?, |data| {
            let m = data.n_rows();
            (m, detached(py, "PCA inverse_transform", || self.inner.inverse_transform(&data))?)
        });
        convert::matrix(py, x, m, self.inner.n_features())
    }

    /// The log-likelihood of each row of `x` under the probabilistic PCA model; float64 `(m,)`.
    fn score_samples<'py>(&self, py: Python<'py>, x: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let s = with_rows!(Array::extract(x)?, |data| detached(py, "PCA score_samples", || self.inner.score_samples(&data))?);
        Ok(PyArray1::from_vec(py, s))
    }

    /// The model covariance, float64 `d × d`.
    fn covariance<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let d = self.inner.n_features();
        convert::matrix(py, self.inner.covariance(), d, d)
    }

    /// The model precision (inverse covariance), float64 `d × d`.
    fn precision<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let d = self.inner.n_features();
        convert::matrix(py, self.inner.precision().map_err(to_py_err)?, d, d)
    }

    /// The embedding of the training data, `n × k` float32.
    #[getter]
    fn embedding<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f32>>> {
        convert::embedding_copy(py, self.inner.embedding())
    }
    /// Components, `k × d` float64 (unit rows).
    #[getter]
    fn components<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        convert::matrix(py, self.inner.components().to_vec(), self.inner.n_components(), self.inner.n_features())
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
    /// The probabilistic PCA noise variance σ².
    #[getter]
    fn noise_variance(&self) -> f64 {
        self.inner.noise_variance()
    }
    /// Number of training rows.
    #[getter]
    fn n_samples(&self) -> usize {
        self.inner.n_samples()
    }
    /// Whether projections are whitened.
    #[getter]
    fn whiten(&self) -> bool {
        self.inner.whiten()
    }
    /// The solver used (`full`, `covariance_eigh` or `randomized`; never `auto`).
    #[getter]
    fn solver(&self) -> &'static str {
        self.inner.solver().name()
    }

    /// The model as versioned bytes (the format of `unfold embed --save-model`).
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        Ok(PyBytes::new(py, &model_bytes::to_bytes(MODEL_KIND, &self.inner)?))
    }
    /// A model from [`PcaModel::to_bytes`].
    #[staticmethod]
    fn from_bytes(bytes: &[u8]) -> PyResult<PcaModel> {
        Ok(PcaModel { inner: unfold_learn::PcaModel::from_bytes(bytes).map_err(to_py_err)? })
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
