//! The intrinsic sliced Wasserstein distance (`unfold_learn::graph::sliced_wasserstein`): one
//! fitted class and the exact 1-D Wasserstein distance. `python/unfold/_sliced_wasserstein.py`
//! turns SciPy sparse graphs, weight names and sample lists into these calls.

use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use unfold_learn::Error;
use unfold_learn::graph::SparseGraph;
use unfold_learn::graph::sliced_wasserstein::{IntrinsicSlicedWasserstein as Core, IswParams, SpectralWeight, wasserstein_1d as core_w1d};

use crate::convert::{self, to_py_err};
use crate::run::detached;

fn weight(kind: &str, value: f64) -> PyResult<SpectralWeight> {
    match kind {
        "power" => Ok(SpectralWeight::Power(value)),
        "heat" => Ok(SpectralWeight::Heat(value)),
        _ => Err(to_py_err(Error::param("weight", kind, "must be \"power\" or \"heat\""))),
    }
}

/// A fitted intrinsic sliced Wasserstein distance.
#[pyclass(name = "IntrinsicSlicedWasserstein", module = "unfold._core", frozen)]
pub struct PyIsw {
    inner: Core,
}

#[pymethods]
impl PyIsw {
    /// Fits on a symmetric CSR graph (`indptr`, `indices`, `weights`) of `n` vertices.
    #[staticmethod]
    #[pyo3(signature = (n, indptr, indices, weights, n_eigenvectors, weight_kind, weight_value, seed=None, threads=None))]
    #[allow(clippy::too_many_arguments)]
    fn fit_graph(
        py: Python<'_>,
        n: usize,
        indptr: Vec<usize>,
        indices: Vec<u32>,
        weights: Vec<f32>,
        n_eigenvectors: usize,
        weight_kind: &str,
        weight_value: f64,
        seed: Option<u64>,
        threads: Option<usize>,
    ) -> PyResult<Self> {
        let params = IswParams { n_eigenvectors, weight: weight(weight_kind, weight_value)?, seed, threads };
        let inner = detached(py, "intrinsic sliced Wasserstein fit", || {
            let g = SparseGraph::from_parts(n, indptr, indices, weights)?;
            Core::fit_graph(&g, &params)
        })?;
        Ok(PyIsw { inner })
    }

    /// Fits on points (`n × d`, float32) through their kNN connectivity graph.
    #[staticmethod]
    #[pyo3(signature = (x, n_neighbors, n_eigenvectors, weight_kind, weight_value, seed=None, threads=None))]
    #[allow(clippy::too_many_arguments)]
    fn fit_points(
        py: Python<'_>,
        x: PyReadonlyArray2<'_, f32>,
        n_neighbors: usize,
        n_eigenvectors: usize,
        weight_kind: &str,
        weight_value: f64,
        seed: Option<u64>,
        threads: Option<usize>,
    ) -> PyResult<Self> {
        let params = IswParams { n_eigenvectors, weight: weight(weight_kind, weight_value)?, seed, threads };
        let (values, n, d) = convert::row_major(&x);
        let data = convert::data(&values, n, d)?;
        let inner = detached(py, "intrinsic sliced Wasserstein fit", || Core::fit_points(&data, n_neighbors, &params))?;
        Ok(PyIsw { inner })
    }

    /// A model from eigenvalues (`L`) and eigenvectors (`n × L`), as a fitted one keeps them.
    #[staticmethod]
    #[pyo3(signature = (values, vectors, weight_kind, weight_value, threads=None))]
    fn from_eigenpairs(
        values: PyReadonlyArray1<'_, f64>,
        vectors: PyReadonlyArray2<'_, f64>,
        weight_kind: &str,
        weight_value: f64,
        threads: Option<usize>,
    ) -> PyResult<Self> {
        let (vec, _, l) = convert::row_major(&vectors);
        let values = values.as_slice()?;
        if l != values.len() {
            return Err(to_py_err(Error::InvalidData(format!("{} eigenvalues for {l} eigenvector columns", values.len()))));
        }
        let inner = Core::from_eigenpairs(values, &vec, weight(weight_kind, weight_value)?, threads).map_err(to_py_err)?;
        Ok(PyIsw { inner })
    }

    #[getter]
    fn n_vertices(&self) -> usize {
        self.inner.n_vertices()
    }
    #[getter]
    fn eigenvalues<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        self.inner.eigenvalues().to_vec().into_pyarray(py)
    }
    #[getter]
    fn eigenvectors<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        convert::matrix(py, self.inner.eigenvectors(), self.inner.n_vertices(), self.inner.n_eigenvectors())
    }
    #[getter]
    fn spectral_weights<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        self.inner.spectral_weights().to_vec().into_pyarray(py)
    }

    fn distance(&self, py: Python<'_>, mu: PyReadonlyArray1<'_, f64>, nu: PyReadonlyArray1<'_, f64>) -> PyResult<f64> {
        let (mu, nu) = (mu.as_slice()?, nu.as_slice()?);
        detached(py, "intrinsic sliced Wasserstein distance", || self.inner.distance(mu, nu))
    }

    fn distance_samples(&self, py: Python<'_>, a: Vec<usize>, b: Vec<usize>) -> PyResult<f64> {
        detached(py, "intrinsic sliced Wasserstein distance", || self.inner.distance_samples(&a, &b))
    }

    fn pairwise<'py>(&self, py: Python<'py>, distributions: PyReadonlyArray2<'_, f64>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let (rows, m, _) = convert::row_major(&distributions);
        let out = detached(py, "intrinsic sliced Wasserstein pairwise", || self.inner.pairwise(&rows))?;
        convert::matrix(py, out, m, m)
    }

    fn pairwise_samples<'py>(&self, py: Python<'py>, samples: Vec<Vec<usize>>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let m = samples.len();
        let out = detached(py, "intrinsic sliced Wasserstein pairwise", || self.inner.pairwise_samples(&samples))?;
        convert::matrix(py, out, m, m)
    }
}

/// The exact `p`-Wasserstein distance (`p` = 1 or 2) between weighted distributions on the line.
#[pyfunction]
#[pyo3(signature = (u, v, u_weights=None, v_weights=None, p=2))]
fn wasserstein_1d(
    u: PyReadonlyArray1<'_, f64>,
    v: PyReadonlyArray1<'_, f64>,
    u_weights: Option<PyReadonlyArray1<'_, f64>>,
    v_weights: Option<PyReadonlyArray1<'_, f64>>,
    p: u32,
) -> PyResult<f64> {
    let uw = u_weights.as_ref().map(|w| w.as_slice()).transpose()?;
    let vw = v_weights.as_ref().map(|w| w.as_slice()).transpose()?;
    core_w1d(u.as_slice()?, v.as_slice()?, uw, vw, p).map_err(to_py_err)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyIsw>()?;
    m.add_function(wrap_pyfunction!(wasserstein_1d, m)?)
}
