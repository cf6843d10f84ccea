//! `unfold._core`: the native module behind the `unfold` Python package.
//!
//! This layer only converts arrays, maps errors and releases the GIL; every algorithm lives in
//! `unfold-learn`. One file per core module:
//!
//! * [`convert`]: NumPy arrays ⇄ [`unfold_learn::Data`], `unfold_learn::Error` → Python exceptions.
//! * [`run`]: runs core work without the GIL, draws `verbose` progress on `sys.stderr` and turns
//!   Ctrl-C (KeyboardInterrupt) into cancellation.
//! * [`model_bytes`]: fitted models as bytes (pickling), in the core's model file format.
//! * [`method`]: every method, on the core's method contract: their parameter tables, one
//!   generic fit and `FittedModel`.
//! * [`pca`]: PCA's extras on a `FittedModel` (float64 `inverse_transform`, likelihood).
//! * [`umap`]: UMAP's extra on a `FittedModel` (the fuzzy graph).
//! * [`neighbors`], [`metrics`], [`datasets`]: plain functions.

use pyo3::prelude::*;

// The same allocator as the `unfold` command, for the core's Rust allocations: the fit runs on
// a worker thread, where glibc's per-thread arenas returned and re-faulted large buffers (twice
// the command's page faults, about 1 s on MNIST 70k). It is built without transparent huge
// pages (the workspace manifest says why), which turns them off for the whole Python process.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod barycentric;
mod convert;
mod coranking;
mod danco;
mod datasets;
mod flag_mean;
mod hde;
mod hierarchy;
mod isomap;
mod manifold;
mod measure;
mod method;
mod metrics;
mod model_bytes;
mod neighbors;
mod pca;
mod run;
mod sectional;
mod sliced_wasserstein;
mod tsne;
mod umap;

/// The number of threads that run at once on this machine for this process (CPU affinity and
/// cgroup quotas included): the core's "all cores". `n_jobs` is capped at it.
#[pyfunction]
fn available_parallelism() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(available_parallelism, m)?)?;
    pca::register(m)?;
    isomap::register(m)?;
    hde::register(m)?;
    hierarchy::register(m)?;
    manifold::register(m)?;
    barycentric::register(m)?;
    method::register(m)?;
    tsne::register(m)?;
    umap::register(m)?;
    neighbors::register(m)?;
    metrics::register(m)?;
    measure::register(m)?;
    sectional::register(m)?;
    danco::register(m)?;
    datasets::register(m)?;
    sliced_wasserstein::register(m)?;
    flag_mean::register(m)?;
    coranking::register(m)?;
    Ok(())
}
