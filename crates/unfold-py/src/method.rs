//! The methods on the core's method contract (`unfold_learn::method`), served by one generic
//! binding: `method_specs(name)` gives a method's parameter table (from which `unfold/_contract.py`
//! builds the estimator's signature), `fit_method(name, x, params)` fits it with parameters by
//! name, and `FittedModel` is any fitted model. A method added to the core's registry needs no
//! code here.

use numpy::{PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2, PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyString};
use unfold_learn::KnnGraph;
use unfold_learn::method::{self, Context, FitData, Fitted, ParamSpec, Target, Value};

use crate::convert::{self, Array, Threads, to_py_err, with_input};
use crate::model_bytes;
use crate::run::run;

/// Any fitted model of a contract method.
#[pyclass(module = "unfold._core", name = "FittedModel", frozen)]
pub struct FittedModel {
    inner: Box<dyn Fitted>,
}

impl FittedModel {
    /// Wraps a core model (for a method's own fit, as [`crate::tsne`]'s).
    pub fn new(inner: Box<dyn Fitted>) -> FittedModel {
        FittedModel { inner }
    }

    /// The core model, for a method's own extras ([`crate::pca`]).
    pub fn inner(&self) -> &dyn Fitted {
        self.inner.as_ref()
    }
}

/// A Python value as a parameter value; `name` names the parameter in errors.
pub(crate) fn value(name: &str, v: &Bound<'_, PyAny>) -> PyResult<Value> {
    if v.is_none() {
        return Ok(Value::None);
    }
    // bool before int: Python's bool is an int.
    if v.is_instance_of::<PyBool>() {
        return Ok(Value::Bool(v.extract()?));
    }
    if v.is_instance_of::<PyInt>() {
        return v.extract::<i64>().map(Value::Int).map_err(|_| {
            let bound = if v.extract::<u64>().is_ok() { "2**63 - 1 = 9223372036854775807" } else { "2**64 - 1 = 18446744073709551615" };
            PyValueError::new_err(format!("invalid value for `{name}`: {v} (must be at most {bound})"))
        });
    }
    if v.is_instance_of::<PyFloat>() {
        return Ok(Value::Float(v.extract()?));
    }
    if v.is_instance_of::<PyString>() {
        return Ok(Value::Text(v.extract()?));
    }
    // Starting coordinates and other arrays of numbers.
    if let Ok(a) = v.extract::<PyReadonlyArrayDyn<'_, f64>>() {
        return Ok(Value::Array { values: a.as_array().iter().copied().collect(), shape: a.shape().to_vec() });
    }
    // A list of numbers (t-SNE's `perplexities`).
    if let Ok(list) = v.extract::<Vec<f64>>() {
        return Ok(Value::Array { shape: vec![list.len()], values: list });
    }
    // A metric with its parameters: `(name, metric_kwds)`.
    if let Ok((_, _)) = v.extract::<(String, Bound<'_, PyDict>)>() {
        return Ok(Value::Metric(convert::metric(v)?));
    }
    // numpy scalars and other numbers.
    if let Ok(i) = v.extract::<i64>() {
        return Ok(Value::Int(i));
    }
    if let Ok(f) = v.extract::<f64>() {
        return Ok(Value::Float(f));
    }
    Err(PyValueError::new_err(format!("invalid value for `{name}`: {} (expected a number, a bool, a string or None)", v.repr()?)))
}

fn py_value<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Int(i) => i.into_pyobject(py)?.into_any(),
        Value::Float(f) => f.into_pyobject(py)?.into_any(),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Text(t) => PyString::new(py, t).into_any(),
        Value::None => py.None().into_bound(py),
        Value::Array { values, shape } => PyArray1::from_slice(py, values).reshape(shape.as_slice())?.into_any(),
        Value::Metric(m) => PyString::new(py, &m.to_string()).into_any(),
    })
}

/// The values of `params` (a dict by parameter name), each read as its spec among `specs`
/// declares; `what` names the owner in the error for an unknown name.
pub(crate) fn values_by_name(what: &str, specs: &[ParamSpec], params: &Bound<'_, PyDict>) -> PyResult<Vec<(&'static str, Value)>> {
    let mut values = Vec::new();
    for (k, v) in params.iter() {
        let key: String = k.extract()?;
        let Some(spec) = specs.iter().find(|s| s.name == key) else {
            return Err(PyValueError::new_err(format!("{what} has no parameter `{key}`")));
        };
        values.push((spec.name, value(spec.name, &v)?));
    }
    Ok(values)
}

/// The parameter table of method `name`: one dict per parameter with `name`, `flag`, `type`
/// (the Python type, for the stub), `default`, `help` and `peer`.
#[pyfunction]
fn method_specs<'py>(py: Python<'py>, name: &str) -> PyResult<Vec<Bound<'py, PyDict>>> {
    let entry = method::method(name).map_err(to_py_err)?;
    (entry.specs)()
        .into_iter()
        .map(|s| {
            let d = PyDict::new(py);
            d.set_item("name", s.name)?;
            d.set_item("flag", s.flag)?;
            d.set_item("type", s.kind.python_type())?;
            d.set_item("default", py_value(py, &s.default)?)?;
            d.set_item("help", s.help)?;
            d.set_item("peer", s.peer)?;
            Ok(d)
        })
        .collect()
}

/// Fits method `name` to `x` (`n × d`: float32, or float64 for a method that computes in the
/// input's precision) with `params` by name (the others take their defaults). A supervised
/// method takes `y_labels` (int64, negative = unknown) or `y_values` (float32 `n × c`); a method
/// that takes neighbours already computed, `knn_indices` and `knn_distances` (`n × k`, the point
/// itself left out, nearest first).
#[pyfunction]
#[pyo3(signature = (name, x, params, *, seed, threads, verbose, y_labels = None, y_values = None, knn_indices = None, knn_distances = None))]
#[allow(clippy::too_many_arguments)]
fn fit_method(
    py: Python<'_>,
    name: &str,
    x: &Bound<'_, PyAny>,
    params: &Bound<'_, PyDict>,
    seed: Option<u64>,
    threads: Threads,
    verbose: bool,
    y_labels: Option<PyReadonlyArray1<'_, i64>>,
    y_values: Option<PyReadonlyArray2<'_, f32>>,
    knn_indices: Option<PyReadonlyArray2<'_, u32>>,
    knn_distances: Option<PyReadonlyArray2<'_, f32>>,
) -> PyResult<FittedModel> {
    let entry = method::method(name).map_err(to_py_err)?;
    let values = values_by_name(name, &(entry.specs)(), params)?;
    let y = match (y_labels, y_values) {
        (Some(labels), _) => Some(Target::Categorical(labels.as_array().to_vec())),
        (None, Some(v)) => {
            let (values, _, n_cols) = convert::row_major(&v);
            Some(Target::Numeric { values: values.into_owned(), n_cols })
        }
        (None, None) => None,
    };
    let knn = match (knn_indices, knn_distances) {
        (Some(indices), Some(distances)) => {
            let (idx, n, k) = convert::row_major(&indices);
            let (dist, _, _) = convert::row_major(&distances);
            Some(KnnGraph::from_parts(n, k, idx.into_owned(), dist.into_owned()).map_err(to_py_err)?)
        }
        _ => None,
    };
    let x = Array::extract(x)?;
    if matches!(x, Array::Sparse(_)) && !entry.sparse {
        return Err(to_py_err(method::sparse_refused(&entry)));
    }
    let inner = with_input!(x, |data| run(py, &format!("{name} fit"), verbose, |progress| {
        let ctx = Context { seed, threads, progress, ..Context::default() };
        let fit_data = FitData { x: data, y: y.as_ref(), knn: knn.as_ref() };
        ctx.install(|| (entry.fit)(&values, fit_data, &ctx))
    })?);
    Ok(FittedModel { inner })
}

#[pymethods]
impl FittedModel {
    /// The method's name.
    #[getter]
    fn method(&self) -> &'static str {
        self.inner.method()
    }
    /// Output dimensions.
    #[getter]
    fn n_components(&self) -> usize {
        self.inner.n_components()
    }
    /// Columns of the training data.
    #[getter]
    fn n_features(&self) -> usize {
        self.inner.n_features()
    }
    /// What the model can do: `embedding`, `transform`, `inverse_transform`, `save`.
    fn capabilities<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let c = self.inner.capabilities();
        let d = PyDict::new(py);
        d.set_item("embedding", c.embedding)?;
        d.set_item("transform", c.transform)?;
        d.set_item("inverse_transform", c.inverse_transform)?;
        d.set_item("save", c.save)?;
        Ok(d)
    }
    /// The parameters as the fit resolved them ("auto" choices made), by name.
    fn resolved<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (name, v) in self.inner.resolved() {
            d.set_item(name, py_value(py, &v)?)?;
        }
        Ok(d)
    }
    /// Every parameter as the fit resolved it, by name: what the model file records.
    fn params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (name, v) in self.inner.params() {
            d.set_item(name, py_value(py, &v)?)?;
        }
        Ok(d)
    }
    /// The fit's warnings.
    fn warnings(&self) -> Vec<String> {
        self.inner.warnings().to_vec()
    }
    /// The fitted rows' embedding (float32), or None when the method keeps none.
    #[getter]
    fn embedding<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyArray2<f32>>>> {
        self.inner.embedding().map(|e| convert::matrix(py, e.as_slice().to_vec(), e.n_rows(), e.n_cols())).transpose()
    }
    /// The fitted attributes by scikit-learn name: float64 arrays, or floats for scalars.
    fn attributes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for a in self.inner.attributes() {
            match a.shape[..] {
                [] => d.set_item(a.name, a.values[0])?,
                [_] => d.set_item(a.name, PyArray1::from_vec(py, a.values))?,
                [rows, cols] => d.set_item(a.name, convert::matrix(py, a.values, rows, cols)?)?,
                _ => return Err(PyValueError::new_err(format!("attribute {} has {} dimensions", a.name, a.shape.len()))),
            }
        }
        Ok(d)
    }
    /// Places new rows `x` (`m × d`, float32, or float64 as [`fit_method`] takes it).
    #[pyo3(signature = (x, *, threads = None, verbose = false))]
    fn transform<'py>(&self, py: Python<'py>, x: &Bound<'py, PyAny>, threads: Threads, verbose: bool) -> PyResult<Bound<'py, PyArray2<f32>>> {
        let y = with_input!(Array::extract(x)?, |data| run(py, &format!("{} transform", self.inner.method()), verbose, |progress| {
            let ctx = Context { seed: None, threads, progress, ..Context::default() };
            ctx.install(|| self.inner.transform(data, &ctx))
        })?);
        convert::matrix(py, y.as_slice().to_vec(), y.n_rows(), y.n_cols())
    }
    /// Maps embedded points `y` (float32, `m × n_components`) back into data space.
    #[pyo3(signature = (y, *, threads = None, verbose = false))]
    fn inverse_transform<'py>(&self, py: Python<'py>, y: PyReadonlyArray2<'_, f32>, threads: Threads, verbose: bool) -> PyResult<Bound<'py, PyArray2<f32>>> {
        let (rows, n, d) = convert::row_major(&y);
        let data = convert::data(&rows, n, d)?;
        let x = run(py, &format!("{} inverse_transform", self.inner.method()), verbose, |progress| {
            let ctx = Context { seed: None, threads, progress, ..Context::default() };
            ctx.install(|| self.inner.inverse_transform(&data, &ctx))
        })?;
        convert::matrix(py, x.as_slice().to_vec(), x.n_rows(), x.n_cols())
    }
    /// The model file's bytes (the format of `unfold embed --save-model`).
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        Ok(PyBytes::new(py, &self.inner.to_bytes().map_err(to_py_err)?))
    }
    /// A model from [`FittedModel::to_bytes`] (or a model file of a contract method).
    #[staticmethod]
    fn from_bytes(bytes: &[u8]) -> PyResult<FittedModel> {
        Ok(FittedModel { inner: method::load(bytes).map_err(to_py_err)? })
    }
    /// Pickles through the model bytes.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyBytes>,))> {
        model_bytes::reduce(slf, slf.get().to_bytes(slf.py())?)
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<FittedModel>()?;
    m.add_function(wrap_pyfunction!(method_specs, m)?)?;
    m.add_function(wrap_pyfunction!(fit_method, m)?)
}
