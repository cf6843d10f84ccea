//! `knn(x, k, ...)`: the k-nearest-neighbour graph (`unfold_learn::knn`); `neighbor_index(x, k,
//! ...)`: a fitted [`NeighborIndex`] to query with new rows (`unfold.NearestNeighbors`).

use numpy::{PyArray2, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use unfold_learn::io::model::{self, Kind};
use unfold_learn::knn::search::NeighborIndex;
use unfold_learn::knn::{knn_graph, sparse_knn_graph};
use unfold_learn::rng::SeedSource;
use unfold_learn::{Context, KnnAlgorithm, KnnParams};

use crate::convert::{self, Threads, to_py_err};
use crate::model_bytes;
use crate::run::run;

/// Returns `(indices int64 n × k, distances float32 n × k)`, nearest first, the point excluded,
/// for float32 rows or sparse rows (see [`convert::sparse`]).
/// `metric` is a name or `(name, kwds)` (see [`convert::metric`]).
#[pyfunction]
#[pyo3(signature = (x, k, *, metric, exact, seed, threads, verbose))]
#[allow(clippy::type_complexity, clippy::too_many_arguments)]
fn knn<'py>(
    py: Python<'py>,
    x: &Bound<'_, PyAny>,
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
    let graph = match convert::Array::extract(x)? {
        convert::Array::Sparse(rows) => run(py, "kNN search", verbose, |progress| sparse_knn_graph(&rows, &params, progress))?,
        convert::Array::F32(x) => {
            let (values, n, d) = convert::row_major(&x);
            let data = convert::data(&values, n, d)?;
            run(py, "kNN search", verbose, |progress| knn_graph(&data, &params, progress))?
        }
        convert::Array::F64(_) => return Err(pyo3::exceptions::PyTypeError::new_err("expected float32 rows")),
    };
    let n = graph.n_points();
    let indices: Vec<i64> = graph.indices().iter().map(|&j| j as i64).collect();
    Ok((convert::matrix(py, indices, n, k)?, convert::matrix(py, graph.distances().to_vec(), n, k)?))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(knn, m)?)?;
    m.add_function(wrap_pyfunction!(neighbor_index, m)?)?;
    m.add_class::<PyNeighborIndex>()
}

/// Neighbours that `query` searches for at least, keeping the first `k`: the graph search keeps
/// the `ef` best points seen, and a list this long finds the nearest few more often (pynndescent
/// searches at least this many for the same reason).
const MIN_SEARCH: usize = 15;

/// The model file kind of a neighbour index alone (`unfold.NearestNeighbors`' pickles).
const INDEX_KIND: Kind = Kind { tag: "neighbors", version: 1 };

/// Seed stage of the index's entry tree.
const STAGE_INDEX: u64 = 0x1504_0009;

/// A fitted neighbour index ([`NeighborIndex`]): the rows of the fit and, above
/// 4,096 rows, the search graph built from their kNN graph. Pickled as model bytes.
#[pyclass(module = "unfold._core", name = "NeighborIndex", frozen)]
pub struct PyNeighborIndex {
    index: NeighborIndex,
}

/// Indexes the rows of `x` under `metric`: their `k`-nearest-neighbour graph (searched as
/// [`knn`] does, exact up to 4,096 rows) becomes the search graph; `seed` also picks the entry
/// tree's splits.
#[pyfunction]
#[pyo3(signature = (x, k, *, metric, seed, threads, verbose))]
fn neighbor_index(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f32>,
    k: usize,
    metric: &Bound<'_, PyAny>,
    seed: Option<u64>,
    threads: Threads,
    verbose: bool,
) -> PyResult<PyNeighborIndex> {
    let metric = convert::metric(metric)?;
    let (values, n, d) = convert::row_major(&x);
    let data = convert::data(&values, n, d)?;
    let params = KnnParams { k, metric: metric.clone(), algorithm: KnnAlgorithm::Auto, seed, threads, ..KnnParams::default() };
    let index = run(py, "neighbour index", verbose, |progress| {
        let graph = knn_graph(&data, &params, progress)?;
        let ctx = Context { seed, threads, progress, ..Context::default() };
        ctx.install(|| NeighborIndex::new(&data, &graph, &metric, SeedSource::new(seed).value(STAGE_INDEX, 0)))
    })?;
    Ok(PyNeighborIndex { index })
}

#[pymethods]
impl PyNeighborIndex {
    /// Number of indexed rows.
    #[getter]
    fn n_samples(&self) -> usize {
        self.index.n_points()
    }

    /// Number of columns of the indexed rows.
    #[getter]
    fn n_features(&self) -> usize {
        self.index.row(0).map_or(0, <[f32]>::len)
    }

    /// The `k` nearest indexed rows of each row of `x`: `(indices int64 m × k, distances float32
    /// m × k)`, nearest first. A row's result depends only on the row and the index.
    #[pyo3(signature = (x, k, *, threads, verbose))]
    #[allow(clippy::type_complexity)]
    fn query<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'_, f32>,
        k: usize,
        threads: Threads,
        verbose: bool,
    ) -> PyResult<(Bound<'py, PyArray2<i64>>, Bound<'py, PyArray2<f32>>)> {
        let (values, m, d) = convert::row_major(&x);
        let data = convert::data(&values, m, d)?;
        // k > n is refused by the query itself, with its message.
        let width = k.max(MIN_SEARCH.min(self.index.n_points()));
        let (idx, dist) = run(py, "neighbour search", verbose, |progress| {
            let ctx = Context { threads, progress, ..Context::default() };
            ctx.install(|| self.index.query(&data, width, progress))
        })?;
        let indices: Vec<i64> = idx.chunks(width).flat_map(|r| r[..k].iter().map(|&j| j as i64)).collect();
        let distances: Vec<f32> = dist.chunks(width).flat_map(|r| r[..k].iter().copied()).collect();
        Ok((convert::matrix(py, indices, m, k)?, convert::matrix(py, distances, m, k)?))
    }

    /// The `k` nearest neighbours of each indexed row among the others (the row itself
    /// excluded), as [`knn`] finds them in the indexed rows.
    #[pyo3(signature = (k, *, seed, threads, verbose))]
    #[allow(clippy::type_complexity)]
    fn self_query<'py>(
        &self,
        py: Python<'py>,
        k: usize,
        seed: Option<u64>,
        threads: Threads,
        verbose: bool,
    ) -> PyResult<(Bound<'py, PyArray2<i64>>, Bound<'py, PyArray2<f32>>)> {
        let n = self.index.n_points();
        let rows: Vec<f32> = (0..n).flat_map(|j| self.index.row(j).unwrap_or(&[]).iter().copied()).collect();
        let d = rows.len() / n.max(1);
        let data = convert::data(&rows, n, d)?;
        let params = KnnParams { k, metric: self.index.metric().clone(), algorithm: KnnAlgorithm::Auto, seed, threads, ..KnnParams::default() };
        let graph = run(py, "kNN search", verbose, |progress| knn_graph(&data, &params, progress))?;
        let indices: Vec<i64> = graph.indices().iter().map(|&j| j as i64).collect();
        Ok((convert::matrix(py, indices, n, k)?, convert::matrix(py, graph.distances().to_vec(), n, k)?))
    }

    /// The index as model bytes (kind `neighbors`).
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        Ok(PyBytes::new(py, &model::to_bytes(INDEX_KIND, &[], &self.index).map_err(to_py_err)?))
    }

    /// An index from [`PyNeighborIndex::to_bytes`], checked part by part.
    #[staticmethod]
    fn from_bytes(bytes: &[u8]) -> PyResult<PyNeighborIndex> {
        let index: NeighborIndex = model::from_bytes(INDEX_KIND, bytes).map_err(to_py_err)?;
        index.validate().map_err(to_py_err)?;
        Ok(PyNeighborIndex { index })
    }

    /// Pickles through the model bytes.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyBytes>,))> {
        model_bytes::reduce(slf, slf.get().to_bytes(slf.py())?)
    }
}
