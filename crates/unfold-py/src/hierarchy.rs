//! Poincaré embeddings of a hierarchy's edges (`unfold.PoincareEmbedding`).

use numpy::PyArray2;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use unfold_learn::embed::poincare::{PoincareParams, Relations, fit, read_edges, reconstruction};

use crate::convert;
use crate::run::run;

/// Fits an embedding of `edges` (pairs of node names). Returns `(embedding (n, k) float64,
/// names in row order, loss per epoch, (mean_rank, map, mean_rank_excluding_self,
/// map_excluding_self))`.
#[pyfunction]
#[pyo3(signature = (edges, *, closure, n_components, model, negative, epochs, burn_in, alpha, burn_in_alpha, regularization_coeff, batch_size, seed, threads, verbose))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
fn poincare_embedding<'py>(
    py: Python<'py>,
    edges: Vec<(String, String)>,
    closure: bool,
    n_components: usize,
    model: &str,
    negative: usize,
    epochs: usize,
    burn_in: usize,
    alpha: f64,
    burn_in_alpha: f64,
    regularization_coeff: f64,
    batch_size: usize,
    seed: Option<u64>,
    threads: Option<usize>,
    verbose: bool,
) -> PyResult<(Bound<'py, PyArray2<f64>>, Vec<String>, Vec<f64>, (f64, f64, f64, f64))> {
    let model = model.parse().map_err(convert::to_py_err)?;
    let params = PoincareParams {
        n_components,
        model,
        negative,
        epochs,
        burn_in,
        alpha,
        burn_in_alpha,
        regularization_coeff,
        batch_size,
        seed,
        threads,
        ..Default::default()
    };
    params.validate().map_err(convert::to_py_err)?;
    let relations =
        Relations::from_pairs(edges.iter().map(|(a, b)| (a.as_str(), b.as_str())), closure).map_err(|e| PyValueError::new_err(format!("edges: {e}")))?;
    let (fitted, quality) = run(py, "PoincareEmbedding fit", verbose, |progress| {
        let fitted = fit(&relations, &params, progress)?;
        let quality = reconstruction(&fitted.embedding, n_components, &relations)?;
        Ok((fitted, quality))
    })?;
    let n = relations.n_nodes();
    let embedding = convert::matrix(py, fitted.embedding, n, n_components)?;
    Ok((embedding, relations.names().to_vec(), fitted.losses, (quality.mean_rank, quality.map, quality.mean_rank_excluding_self, quality.map_excluding_self)))
}

/// A hierarchy's `(child, parent)` pairs read from a two-column `.tsv`/`.csv` file, as the
/// command `unfold hierarchy` reads it.
#[pyfunction]
fn read_hierarchy_edges(path: std::path::PathBuf) -> PyResult<Vec<(String, String)>> {
    read_edges(&path).map_err(convert::to_py_err)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(read_hierarchy_edges, m)?)?;
    m.add_function(wrap_pyfunction!(poincare_embedding, m)?)
}
