//! UMAP's extra beyond the method contract: the fuzzy graph the layout optimised, on a
//! [`FittedModel`] of the `umap` method. Fitting, `transform`, `inverse_transform`, the radii of
//! `output_dens` and pickling go through the generic binding ([`crate::method`]).

use numpy::PyArray1;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use crate::method::FittedModel;

/// The compressed-sparse-row parts of the fuzzy graph: `(indptr int64, indices uint32, weights
/// float32)`. The columns go out as the core stores them: as int32 they would wrap past 2³¹
/// points, and scipy still makes them int32 when every column fits.
type CsrParts<'py> = (Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<u32>>, Bound<'py, PyArray1<f32>>);

/// The fuzzy graph of a fitted UMAP model, as CSR parts; `None` for a model read from bytes
/// (model bytes keep only what `transform` needs).
#[pyfunction]
fn umap_graph<'py>(py: Python<'py>, model: &FittedModel) -> PyResult<Option<CsrParts<'py>>> {
    let any: &dyn std::any::Any = model.inner();
    let umap = any
        .downcast_ref::<unfold_learn::UmapModel>()
        .ok_or_else(|| PyTypeError::new_err(format!("expected a umap model, got a {} model", model.inner().method())))?;
    Ok(umap.graph().map(|g| {
        let indptr: Vec<i64> = g.indptr().iter().map(|&p| p as i64).collect();
        (PyArray1::from_vec(py, indptr), PyArray1::from_slice(py, g.indices()), PyArray1::from_slice(py, g.weights()))
    }))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(umap_graph, m)?)
}
