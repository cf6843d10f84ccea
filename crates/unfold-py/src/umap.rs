//! UMAP: `fit_umap(...)` → `UmapModel`, in the shape of [`crate::pca`].
//!
//! The Python class maps umap-learn's parameter names onto these (the same names, except
//! `random_state` → `seed` and `n_jobs` → `threads`); the core validates every range. The model's
//! bytes are the core's model file format, so a pickled `unfold.UMAP` holds exactly what
//! `unfold embed --method umap --save-model` writes, and either loads the other.

use numpy::{PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use unfold_learn::{Context, Error, KnnGraph, Metric, Umap, UmapInit, UmapParams, UmapTarget};

use crate::convert::{self, Threads, to_py_err};
use crate::model_bytes;
use crate::run::run;

/// A fitted UMAP (`unfold_learn::UmapModel`).
#[pyclass(module = "unfold._core", name = "UmapModel", frozen)]
pub struct UmapModel {
    inner: unfold_learn::UmapModel,
}

/// The compressed-sparse-row parts of the fuzzy graph: `(indptr int64, indices uint32, weights
/// float32)`. The columns go out as the core stores them: as int32 they would wrap past 2³¹
/// points, and scipy still makes them int32 when every column fits.
type CsrParts<'py> = (Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<u32>>, Bound<'py, PyArray1<f32>>);

/// `init` as the core takes it: a name (`spectral`, `pca`, `random`) or a float32 array of
/// shape `n × n_components`.
fn umap_init(init: &Bound<'_, PyAny>, n: usize, n_components: usize) -> PyResult<UmapInit> {
    if let Ok(name) = init.extract::<String>() {
        return UmapInit::parse(&name).map_err(to_py_err);
    }
    let array: PyReadonlyArray2<'_, f32> = init.extract()?;
    let shape = array.shape();
    if shape != [n, n_components] {
        let found = format!("an array of shape ({}, {})", shape[0], shape[1]);
        return Err(to_py_err(Error::param("init", found, format!("must have shape (n_samples, n_components) = ({n}, {n_components})"))));
    }
    let (values, _, _) = convert::row_major(&array);
    Ok(UmapInit::Array(values.into_owned()))
}

/// The supervision target: integer labels (negative = unknown) or numeric values `n × c`.
fn umap_target(labels: Option<PyReadonlyArray1<'_, i64>>, values: Option<PyReadonlyArray2<'_, f32>>) -> Option<UmapTarget> {
    if let Some(labels) = labels {
        return Some(UmapTarget::Categorical(labels.as_array().to_vec()));
    }
    values.map(|v| {
        let (values, _, n_cols) = convert::row_major(&v);
        UmapTarget::Numeric { values: values.into_owned(), n_cols }
    })
}

/// The precomputed kNN graph: `n × k` indices and distances, the point itself left out (the
/// Python class converts umap-learn's `precomputed_knn` and names its errors).
fn knn_graph(indices: Option<PyReadonlyArray2<'_, u32>>, distances: Option<PyReadonlyArray2<'_, f32>>) -> PyResult<Option<KnnGraph>> {
    let (Some(indices), Some(distances)) = (indices, distances) else { return Ok(None) };
    let (idx, n, k) = convert::row_major(&indices);
    let (dist, _, _) = convert::row_major(&distances);
    KnnGraph::from_parts(n, k, idx.into_owned(), dist.into_owned()).map(Some).map_err(to_py_err)
}

/// Fits UMAP to `x` (float32, `n × d`) and returns the model; with `target_labels` or
/// `target_values`, supervised UMAP (`target_metric` is the metric of numeric values); with
/// `knn_indices` and `knn_distances`, from that kNN graph instead of a search.
#[pyfunction]
#[pyo3(signature = (
    x, *, n_neighbors, n_components, metric, n_epochs, learning_rate, init, min_dist, spread,
    set_op_mix_ratio, local_connectivity, repulsion_strength, negative_sample_rate, a, b,
    disconnection_distance, seed, transform_seed, threads, densmap, dens_lambda, dens_frac,
    dens_var_shift, output_dens, target_labels, target_values, target_metric, target_n_neighbors,
    target_weight, knn_indices, knn_distances, verbose
))]
#[allow(clippy::too_many_arguments)]
fn fit_umap(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f32>,
    n_neighbors: usize,
    n_components: usize,
    metric: &Bound<'_, PyAny>,
    n_epochs: Option<usize>,
    learning_rate: f32,
    init: &Bound<'_, PyAny>,
    min_dist: f32,
    spread: f32,
    set_op_mix_ratio: f32,
    local_connectivity: f32,
    repulsion_strength: f32,
    negative_sample_rate: usize,
    a: Option<f32>,
    b: Option<f32>,
    disconnection_distance: Option<f32>,
    seed: Option<u64>,
    transform_seed: u64,
    threads: Threads,
    densmap: bool,
    dens_lambda: f32,
    dens_frac: f32,
    dens_var_shift: f32,
    output_dens: bool,
    target_labels: Option<PyReadonlyArray1<'_, i64>>,
    target_values: Option<PyReadonlyArray2<'_, f32>>,
    target_metric: &str,
    target_n_neighbors: Option<usize>,
    target_weight: f32,
    knn_indices: Option<PyReadonlyArray2<'_, u32>>,
    knn_distances: Option<PyReadonlyArray2<'_, f32>>,
    verbose: bool,
) -> PyResult<UmapModel> {
    let (values, n, d) = convert::row_major(&x);
    let params = UmapParams {
        n_neighbors,
        n_components,
        metric: convert::metric(metric)?,
        n_epochs,
        learning_rate,
        init: umap_init(init, n, n_components)?,
        min_dist,
        spread,
        set_op_mix_ratio,
        local_connectivity,
        repulsion_strength,
        negative_sample_rate,
        a,
        b,
        disconnection_distance,
        transform_seed,
        densmap,
        dens_lambda,
        dens_frac,
        dens_var_shift,
        output_dens,
        target_metric: Metric::parse(target_metric).map_err(|e| to_py_err(convert::renamed(e, "metric", "target_metric")))?,
        target_n_neighbors,
        target_weight,
    };
    let umap = Umap::new(params).map_err(to_py_err)?;
    let target = umap_target(target_labels, target_values);
    let data = convert::data(&values, n, d)?;
    let knn = knn_graph(knn_indices, knn_distances)?;
    let inner = run(py, "UMAP fit", verbose, |progress| {
        let ctx = Context { seed, threads, progress, ..Context::default() };
        match &target {
            Some(y) => umap.fit_supervised(&data, y, knn.as_ref(), &ctx),
            None => umap.fit_with(&data, knn.as_ref(), &ctx),
        }
    })?;
    Ok(UmapModel { inner })
}

#[pymethods]
impl UmapModel {
    /// Places new points `x` (float32, `m × d`) in the fitted embedding.
    #[pyo3(signature = (x, *, verbose = false))]
    fn transform<'py>(&self, py: Python<'py>, x: PyReadonlyArray2<'_, f32>, verbose: bool) -> PyResult<Bound<'py, PyArray2<f32>>> {
        let (values, n, d) = convert::row_major(&x);
        let data = convert::data(&values, n, d)?;
        let y = run(py, "UMAP transform", verbose, |progress| self.inner.transform_with(&data, None, progress))?;
        convert::embedding(py, y)
    }

    /// Maps points `y` of the embedding space (float32, `m × n_components`) back into data space.
    #[pyo3(signature = (y, *, verbose = false))]
    fn inverse_transform<'py>(&self, py: Python<'py>, y: PyReadonlyArray2<'_, f32>, verbose: bool) -> PyResult<Bound<'py, PyArray2<f32>>> {
        let (values, n, d) = convert::row_major(&y);
        let data = convert::data(&values, n, d)?;
        let x = run(py, "UMAP inverse_transform", verbose, |progress| self.inner.inverse_transform_with(&data, progress))?;
        convert::embedding(py, x)
    }

    /// The embedding of the training data, `n × n_components` float32.
    #[getter]
    fn embedding<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f32>>> {
        convert::embedding_copy(py, self.inner.embedding())
    }
    /// The fuzzy graph the layout optimised, as CSR parts; `None` for a model read from bytes
    /// (model bytes keep only what `transform` needs).
    #[getter]
    fn graph<'py>(&self, py: Python<'py>) -> Option<CsrParts<'py>> {
        let g = self.inner.graph()?;
        let indptr: Vec<i64> = g.indptr().iter().map(|&p| p as i64).collect();
        Some((PyArray1::from_vec(py, indptr), PyArray1::from_slice(py, g.indices()), PyArray1::from_slice(py, g.weights())))
    }
    /// The curve parameters `(a, b)` of the low-dimensional similarity `1 / (1 + a d^(2b))`.
    #[getter]
    fn ab(&self) -> (f32, f32) {
        self.inner.ab()
    }
    /// Warnings from the fit (e.g. a spectral initialisation that fell back to PCA).
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.inner.warnings().to_vec()
    }
    /// With `output_dens`: the log local radii of the data and of the embedding; otherwise, and
    /// for a model read from bytes, `None`.
    #[getter]
    #[allow(clippy::type_complexity)]
    fn radii<'py>(&self, py: Python<'py>) -> Option<(Bound<'py, PyArray1<f32>>, Bound<'py, PyArray1<f32>>)> {
        let (orig, emb) = self.inner.radii()?;
        Some((PyArray1::from_slice(py, orig), PyArray1::from_slice(py, emb)))
    }
    /// Number of input columns.
    #[getter]
    fn n_features(&self) -> usize {
        self.inner.n_features()
    }

    /// The model as bytes: the core's model file format (as `unfold embed --save-model`).
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = py.detach(|| self.inner.to_bytes()).map_err(to_py_err)?;
        Ok(PyBytes::new(py, &bytes))
    }
    /// A model from [`UmapModel::to_bytes`] or a model file's contents.
    #[staticmethod]
    fn from_bytes(py: Python<'_>, bytes: &[u8]) -> PyResult<UmapModel> {
        let inner = py.detach(|| unfold_learn::UmapModel::from_bytes(bytes)).map_err(to_py_err)?;
        Ok(UmapModel { inner })
    }
    /// Pickles through the model bytes.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyBytes>,))> {
        model_bytes::reduce(slf, slf.get().to_bytes(slf.py())?)
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<UmapModel>()?;
    m.add_function(wrap_pyfunction!(fit_umap, m)?)
}
