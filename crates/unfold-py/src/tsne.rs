//! t-SNE's fit with Python callbacks (openTSNE's `callbacks=`): the contract's generic fit
//! ([`crate::method`]) serves every other use.

use numpy::PyArray1;
use numpy::PyArrayMethods;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::sync::Mutex;
use unfold_learn::embed::tsne::{Tsne, TsneParams};
use unfold_learn::method::{Context, FitData, Params, params_from};

use crate::convert::{Array, Threads, to_py_err, with_input};
use crate::method::{FittedModel, value};
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
    let specs = TsneParams::specs();
    let mut values = Vec::new();
    for (k, v) in params.iter() {
        let key: String = k.extract()?;
        let Some(spec) = specs.iter().find(|s| s.name == key) else {
            return Err(pyo3::exceptions::PyValueError::new_err(format!("tsne has no parameter `{key}`")));
        };
        values.push((spec.name, value(spec.name, &v)?));
    }
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

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(fit_tsne, m)?)
}
