//! `knn(x, k, ...)`: the k-nearest-neighbour graph (`unfold_learn::knn`).

use numpy::{PyArray2, PyReadonlyArray2};
use pyo3::prelude::*;
use unfold_learn::knn::knn_graph;
use unfold_learn::{KnnAlgorithm, KnnParams};

use crate::convert::{self, Threads};
use crate::run::run;

/// Returns `(indices int64 n × k, distances float32 n × k)`, nearest first, the point excluded.
/// `metric` is a name or `(name, kwds)` (see [`convert::metric`]).
#[pyfunction]
#[pyo3(signature = (x, k, *, metric, exact, seed, threads, verbose))]
#[allow(clippy::type_complexity, clippy::too_many_arguments)]
fn knn<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'_, f32>,
    k: usize,
    metric: &Bound<'_, PyAny>,
    exact: bool,
    seed: Option<u64>,
    threads: Threads,
    verbose: bool,
) -> PyResult<(Bound<'py, PyArray2<i64>>, Bound<'py, PyArray2<f32>>)> {
    let params = KnnParams {
        k,
        metric: convert::metric(metric)?,
        algorithm: if exact { KnnAlgorithm::Exact } else { KnnAlgorithm::Auto },
        seed,
        threads,
        ..KnnParams::default()
    };
    let (values, n, d) = convert::row_major(&x);
    let data = convert::data(&values, n, d)?;
    let graph = run(py, "kNN search", verbose, |progress| knn_graph(&data, &params, progress))?;
    let indices: Vec<i64> = graph.indices().iter().map(|&j| j as i64).collect();
    Ok((convert::matrix(py, indices, n, k)?, convert::matrix(py, graph.distances().to_vec(), n, k)?))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(knn, m)?)
}
