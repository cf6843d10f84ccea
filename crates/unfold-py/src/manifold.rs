//! Riemannian geometry (`unfold_learn::manifold`): one `Manifold` class over every model.
//!
//! Arrays are 2-d float64, one point (or tangent vector) per row; `python/unfold/manifolds.py`
//! reshapes matrix points and picks the dimensions from the data.

use std::sync::{Arc, Mutex};

use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use unfold_learn::manifold::stats::{self, MeanParams};
use unfold_learn::manifold::{Manifold as Core, Product, SpdMetric, Spec, parse_signature, rows};
use unfold_learn::optim::{self, Armijo, Method, Stopping};

use crate::convert::{self, to_py_err};
use crate::run::detached;

/// A Riemannian manifold of the core; points are rows.
#[pyclass(name = "Manifold", module = "unfold._core", frozen)]
pub struct PyManifold {
    inner: Arc<dyn Core>,
}

fn built(spec: Spec) -> PyResult<PyManifold> {
    Ok(PyManifold { inner: spec.build().map_err(to_py_err)? })
}

type Out<'py> = PyResult<Bound<'py, PyArray2<f64>>>;

impl PyManifold {
    /// Rows of points as an `n × point_len` array.
    fn points<'py>(&self, py: Python<'py>, values: Vec<f64>) -> Out<'py> {
        let len = self.inner.point_len();
        let n = values.len() / len;
        convert::matrix(py, values, n, len)
    }
}

#[pymethods]
impl PyManifold {
    #[staticmethod]
    fn euclidean(n: usize) -> PyResult<Self> {
        built(Spec::Euclidean { n })
    }
    #[staticmethod]
    fn sphere(n: usize) -> PyResult<Self> {
        built(Spec::Sphere { n })
    }
    #[staticmethod]
    fn poincare_ball(n: usize, c: f64) -> PyResult<Self> {
        built(Spec::PoincareBall { n, c })
    }
    #[staticmethod]
    fn stereographic(n: usize, k: f64) -> PyResult<Self> {
        built(Spec::Stereographic { n, k })
    }
    #[staticmethod]
    fn lorentz(n: usize, k: f64) -> PyResult<Self> {
        built(Spec::Lorentz { n, k })
    }
    #[staticmethod]
    fn spd(n: usize, metric: &str) -> PyResult<Self> {
        built(Spec::Spd { n, metric: SpdMetric::parse(metric).map_err(to_py_err)? })
    }
    #[staticmethod]
    fn stiefel(n: usize, p: usize) -> PyResult<Self> {
        built(Spec::Stiefel { n, p })
    }
    #[staticmethod]
    fn grassmann(n: usize, p: usize) -> PyResult<Self> {
        built(Spec::Grassmann { n, p })
    }
    #[staticmethod]
    fn flag(n: usize, blocks: Vec<usize>) -> PyResult<Self> {
        built(Spec::Flag { n, blocks })
    }
    #[staticmethod]
    fn product(factors: Vec<PyRef<'_, PyManifold>>) -> PyResult<Self> {
        let factors = factors.iter().map(|f| f.inner.clone()).collect();
        Ok(PyManifold { inner: Arc::new(Product::new(factors).map_err(to_py_err)?) })
    }
    #[staticmethod]
    fn signature(signature: &str) -> PyResult<Self> {
        Ok(PyManifold { inner: Arc::new(parse_signature(signature).map_err(to_py_err)?) })
    }

    #[getter]
    fn name(&self) -> String {
        self.inner.name()
    }
    #[getter]
    fn point_len(&self) -> usize {
        self.inner.point_len()
    }
    #[getter]
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    #[getter]
    fn transp_is_isometric(&self) -> bool {
        self.inner.transp_is_isometric()
    }

    fn dist<'py>(&self, py: Python<'py>, x: PyReadonlyArray2<'_, f64>, y: PyReadonlyArray2<'_, f64>) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let (x, y) = (convert::row_major(&x).0, convert::row_major(&y).0);
        let m = &self.inner;
        Ok(detached(py, "manifold dist", || rows::dist(m.as_ref(), &x, &y))?.into_pyarray(py))
    }
    fn inner<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'_, f64>,
        u: PyReadonlyArray2<'_, f64>,
        v: PyReadonlyArray2<'_, f64>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let (x, u, v) = (convert::row_major(&x).0, convert::row_major(&u).0, convert::row_major(&v).0);
        let m = &self.inner;
        Ok(detached(py, "manifold inner", || rows::inner(m.as_ref(), &x, &u, &v))?.into_pyarray(py))
    }
    fn norm<'py>(&self, py: Python<'py>, x: PyReadonlyArray2<'_, f64>, u: PyReadonlyArray2<'_, f64>) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let (x, u) = (convert::row_major(&x).0, convert::row_major(&u).0);
        let m = &self.inner;
        Ok(detached(py, "manifold norm", || rows::norm(m.as_ref(), &x, &u))?.into_pyarray(py))
    }
    fn expmap<'py>(&self, py: Python<'py>, x: PyReadonlyArray2<'_, f64>, u: PyReadonlyArray2<'_, f64>) -> Out<'py> {
        let (x, u) = (convert::row_major(&x).0, convert::row_major(&u).0);
        let m = &self.inner;
        let r = detached(py, "expmap", || rows::exp(m.as_ref(), &x, &u))?;
        self.points(py, r)
    }
    fn retr<'py>(&self, py: Python<'py>, x: PyReadonlyArray2<'_, f64>, u: PyReadonlyArray2<'_, f64>) -> Out<'py> {
        let (x, u) = (convert::row_major(&x).0, convert::row_major(&u).0);
        let m = &self.inner;
        let r = detached(py, "retr", || rows::retr(m.as_ref(), &x, &u))?;
        self.points(py, r)
    }
    fn logmap<'py>(&self, py: Python<'py>, x: PyReadonlyArray2<'_, f64>, y: PyReadonlyArray2<'_, f64>) -> Out<'py> {
        let (x, y) = (convert::row_major(&x).0, convert::row_major(&y).0);
        let m = &self.inner;
        let r = detached(py, "logmap", || rows::log(m.as_ref(), &x, &y))?;
        self.points(py, r)
    }
    fn projx<'py>(&self, py: Python<'py>, x: PyReadonlyArray2<'_, f64>) -> Out<'py> {
        let x = convert::row_major(&x).0;
        let m = &self.inner;
        let r = detached(py, "projx", || rows::projx(m.as_ref(), &x))?;
        self.points(py, r)
    }
    fn proju<'py>(&self, py: Python<'py>, x: PyReadonlyArray2<'_, f64>, u: PyReadonlyArray2<'_, f64>) -> Out<'py> {
        let (x, u) = (convert::row_major(&x).0, convert::row_major(&u).0);
        let m = &self.inner;
        let r = detached(py, "proju", || rows::proju(m.as_ref(), &x, &u))?;
        self.points(py, r)
    }
    fn egrad2rgrad<'py>(&self, py: Python<'py>, x: PyReadonlyArray2<'_, f64>, g: PyReadonlyArray2<'_, f64>) -> Out<'py> {
        let (x, g) = (convert::row_major(&x).0, convert::row_major(&g).0);
        let m = &self.inner;
        let r = detached(py, "egrad2rgrad", || rows::egrad_to_rgrad(m.as_ref(), &x, &g))?;
        self.points(py, r)
    }
    fn transp<'py>(&self, py: Python<'py>, x: PyReadonlyArray2<'_, f64>, y: PyReadonlyArray2<'_, f64>, v: PyReadonlyArray2<'_, f64>) -> Out<'py> {
        let (x, y, v) = (convert::row_major(&x).0, convert::row_major(&y).0, convert::row_major(&v).0);
        let m = &self.inner;
        let r = detached(py, "transp", || rows::transp(m.as_ref(), &x, &y, &v))?;
        self.points(py, r)
    }
    fn random<'py>(&self, py: Python<'py>, n: usize, seed: u64) -> Out<'py> {
        let m = &self.inner;
        let r = detached(py, "random", || Ok(rows::random_points(m.as_ref(), n, seed)))?;
        self.points(py, r)
    }
    fn random_tangent<'py>(&self, py: Python<'py>, x: PyReadonlyArray2<'_, f64>, seed: u64) -> Out<'py> {
        let x = convert::row_major(&x).0;
        let m = &self.inner;
        let r = detached(py, "random_tangent", || rows::random_tangents(m.as_ref(), &x, seed))?;
        self.points(py, r)
    }
    fn check_point(&self, py: Python<'_>, x: PyReadonlyArray2<'_, f64>, tol: f64) -> PyResult<()> {
        let x = convert::row_major(&x).0;
        let m = &self.inner;
        detached(py, "check_point", || rows::check_points(m.as_ref(), "x", &x, tol))
    }

    /// `(point, n_iter, converged)` of the weighted Fréchet mean (`median=False`) or geometric median.
    #[pyo3(signature = (x, weights, *, max_iter, tol, median))]
    fn frechet_mean<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'_, f64>,
        weights: Option<PyReadonlyArray1<'_, f64>>,
        max_iter: usize,
        tol: f64,
        median: bool,
    ) -> PyResult<(Bound<'py, PyArray1<f64>>, usize, bool)> {
        let x = convert::row_major(&x).0;
        let weights = weights.map(|w| w.as_array().to_vec());
        let params = MeanParams { weights, max_iter, tol, init: None };
        let m = &self.inner;
        let est = detached(py, if median { "geometric_median" } else { "frechet_mean" }, || {
            if median { stats::geometric_median(m.as_ref(), &x, &params) } else { stats::frechet_mean(m.as_ref(), &x, &params) }
        })?;
        Ok((est.point.into_pyarray(py), est.n_iter, est.converged))
    }

    /// `(base, components, explained_variance, scores)` of tangent PCA.
    #[allow(clippy::type_complexity)]
    fn tangent_pca<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'_, f64>,
        n_components: usize,
    ) -> PyResult<(Bound<'py, PyArray1<f64>>, Bound<'py, PyArray2<f64>>, Bound<'py, PyArray1<f64>>, Bound<'py, PyArray2<f64>>)> {
        let (x, n, _) = convert::row_major(&x);
        let m = &self.inner;
        let r = detached(py, "tangent_pca", || stats::tangent_pca(m.as_ref(), &x, n_components, None))?;
        let len = self.inner.point_len();
        Ok((
            r.base.into_pyarray(py),
            convert::matrix(py, r.components, n_components, len)?,
            r.explained_variance.into_pyarray(py),
            convert::matrix(py, r.scores, n, n_components)?,
        ))
    }

    /// `(x, cost, grad_norm, n_iter, converged)` of minimising `fun` from the rows of `x0`.
    ///
    /// `fun(x)` gets an `n × point_len` array and returns `(cost, euclidean_gradient)` of the same
    /// shape (`python/unfold/geometry.py` checks and reshapes for the user). `method` is `"sgd"`,
    /// `"adam"`, `"amsgrad"` or `"armijo"`; an exception in `fun` stops the run and is re-raised.
    #[pyo3(signature = (x0, fun, *, method, lr, momentum, beta1, beta2, eps, max_iter, grad_tol, initial_step, shrink, sufficient_decrease, max_backtrack))]
    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    fn minimize<'py>(
        &self,
        py: Python<'py>,
        x0: PyReadonlyArray2<'_, f64>,
        fun: Bound<'py, PyAny>,
        method: &str,
        lr: f64,
        momentum: f64,
        beta1: f64,
        beta2: f64,
        eps: f64,
        max_iter: usize,
        grad_tol: f64,
        initial_step: f64,
        shrink: f64,
        sufficient_decrease: f64,
        max_backtrack: usize,
    ) -> PyResult<(Bound<'py, PyArray2<f64>>, f64, f64, usize, bool)> {
        let (x0, n, len) = convert::row_major(&x0);
        let rule = match method {
            "sgd" => Some(Method::Sgd { lr, momentum }),
            "adam" | "amsgrad" => Some(Method::Adam { lr, beta1, beta2, eps, amsgrad: method == "amsgrad" }),
            "armijo" => None,
            other => {
                return Err(pyo3::exceptions::PyValueError::new_err(format!("method must be one of 'sgd', 'adam', 'amsgrad', 'armijo', got {other:?}")));
            }
        };
        let fun = fun.unbind();
        // The first exception raised by `fun`; later calls return NaN at once, which ends the run.
        let failure: Mutex<Option<PyErr>> = Mutex::new(None);
        let objective = |x: &[f64], grad: &mut [f64]| -> f64 {
            if failure.lock().map(|f| f.is_some()).unwrap_or(true) {
                return f64::NAN;
            }
            Python::attach(|py| {
                let mut call = || -> PyResult<f64> {
                    let points = convert::matrix(py, x.to_vec(), n, len)?;
                    let (cost, g): (f64, PyReadonlyArray2<'_, f64>) = fun.bind(py).call1((points,))?.extract()?;
                    grad.copy_from_slice(g.as_slice()?);
                    Ok(cost)
                };
                call().unwrap_or_else(|e| {
                    if let Ok(mut f) = failure.lock() {
                        *f = Some(e);
                    }
                    f64::NAN
                })
            })
        };
        let m = &self.inner;
        let stop = Stopping { max_iter, grad_tol };
        let search = Armijo { initial_step, shrink, sufficient_decrease, max_backtrack };
        let result = detached(py, "minimize", || match rule {
            Some(rule) => optim::minimize(m.as_ref(), &x0, &objective, rule, stop),
            None => optim::armijo(m.as_ref(), &x0, &objective, search, stop),
        });
        if let Some(e) = failure.into_inner().ok().flatten() {
            return Err(e);
        }
        let r = result?;
        Ok((convert::matrix(py, r.x, n, len)?, r.cost, r.grad_norm, r.n_iter, r.converged))
    }

    fn __repr__(&self) -> String {
        format!("Manifold({})", self.inner.name())
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyManifold>()
}
