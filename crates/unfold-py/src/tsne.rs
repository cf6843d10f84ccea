//! t-SNE's fit with Python callbacks (openTSNE's `callbacks=`) and its transform with
//! openTSNE's parameters: the contract's generic fit ([`crate::method`]) serves every other use.

use numpy::PyArrayMethods;
use numpy::{PyArray1, PyArray2};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::sync::Mutex;
use unfold_learn::embed::tsne::{Tsne, TsneModel, TsneParams, TsneTransformParams};
use unfold_learn::method::{Context, FitData, Params, params_from};

use crate::convert::{Array, Threads, to_py_err, with_input};
use crate::method::{FittedModel, values_by_name};
use crate::run::run;

/// Fits t-SNE to `x` with `params` by name, calling each of `callbacks` as
/// `callback(iteration, kl_divergence, embedding)` every 50 iterations; a callback returning
/// true stops the optimisation, and an exception in one stops it and is raised.
#[pyfunction]
#[pyo3(signature = (x, params, *, seed, threads, verbose, callbacks))]
fn fit_tsne(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    params: &Bound<'_, PyDict>,
    seed: Option<u64>,
    threads: Threads,
    verbose: bool,
    callbacks: Vec<Py<PyAny>>,
) -> PyResult<FittedModel> {
    let values = values_by_name("tsne", &TsneParams::specs(), params)?;
    let tsne = Tsne::new(params_from(&values).map_err(to_py_err)?).map_err(to_py_err)?;
    let dim = tsne.params().n_components;
    let failure: Mutex<Option<PyErr>> = Mutex::new(None);
    let callback = |iteration: usize, kl: f64, y: &[f64]| -> bool {
        Python::attach(|py| {
            let embedding = match PyArray1::from_slice(py, y).reshape([y.len() / dim, dim]) {
                Ok(a) => a,
                Err(e) => {
                    *failure.lock().unwrap() = Some(e);
                    return true;
                }
            };
            let mut stop = false;
            for cb in &callbacks {
                match cb.call1(py, (iteration, kl, embedding.clone())).and_then(|r| r.is_truthy(py)) {
                    Ok(s) => stop |= s,
                    Err(e) => {
                        *failure.lock().unwrap() = Some(e);
                        return true;
                    }
                }
            }
            stop
        })
    };
    let inner = with_input!(Array::extract(x)?, |data| run(py, "tsne fit", verbose, |progress| {
        let ctx = Context { seed, threads, progress, ..Context::default() };
        ctx.install(|| tsne.fit_with_callback(FitData::from(data), &ctx, Some(&callback)))
    })?);
    if let Some(e) = failure.into_inner().unwrap() {
        return Err(e);
    }
    Ok(FittedModel::new(Box::new(inner)))
}

/// Places the rows of `x` against a fitted t-SNE `model` with openTSNE's transform parameters
/// `params` by name (the others take their defaults); float64, `m × n_components`.
#[pyfunction]
#[pyo3(signature = (model, x, params, *, seed, threads, verbose))]
fn transform_tsne<'py>(
    py: Python<'py>,
    model: &FittedModel,
    x: &Bound<'py, PyAny>,
    params: &Bound<'py, PyDict>,
    seed: Option<u64>,
    threads: Threads,
    verbose: bool,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let any: &dyn std::any::Any = model.inner();
    let tsne = any.downcast_ref::<TsneModel>().ok_or_else(|| PyTypeError::new_err(format!("expected a tsne model, got a {} model", model.inner().method())))?;
    let values = values_by_name("t-SNE's transform", &TsneTransformParams::specs(), params)?;
    let p: TsneTransformParams = params_from(&values).map_err(to_py_err)?;
    let dim = tsne.embedding().n_cols();
    let y = with_input!(Array::extract(x)?, |data| run(py, "tsne transform", verbose, |progress| {
        let ctx = Context { seed, threads, progress, ..Context::default() };
        let x = data.f32()?;
        ctx.install(|| tsne.transform_with(&x, &p, seed, progress))
    })?);
    let rows = y.len() / dim;
    PyArray1::from_vec(py, y).reshape([rows, dim])
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(fit_tsne, m)?)?;
    m.add_function(wrap_pyfunction!(transform_tsne, m)?)
}
