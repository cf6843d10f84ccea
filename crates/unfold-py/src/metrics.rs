//! Embedding quality (`unfold_learn::measure::quality`).

use numpy::{PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use unfold_learn::measure::quality;
use unfold_learn::{Labels, Metric};

use crate::convert::{self, to_py_err};
use crate::run::run;

/// Which rank-based measure to compute.
#[derive(Clone, Copy)]
enum Measure {
    Trustworthiness,
    Continuity,
    NeighborPreservation,
}

impl Measure {
    /// The Python function's name, for messages.
    fn name(self) -> &'static str {
        match self {
            Measure::Trustworthiness => "trustworthiness",
            Measure::Continuity => "continuity",
            Measure::NeighborPreservation => "neighbor_preservation",
        }
    }
}

fn rank_measure(py: Python<'_>, measure: Measure, x: PyReadonlyArray2<'_, f32>, y: PyReadonlyArray2<'_, f32>, k: usize, metric: &str) -> PyResult<f64> {
    let metric = Metric::parse(metric).map_err(to_py_err)?;
    let (xv, n, d) = convert::row_major(&x);
    let (yv, m, e) = convert::row_major(&y);
    let xd = convert::data(&xv, n, d)?;
    let yd = convert::data(&yv, m, e)?;
    run(py, measure.name(), false, |_| {
        match measure {
            Measure::Trustworthiness => quality::trustworthiness(&xd, &yd, k, metric),
            Measure::Continuity => quality::continuity(&xd, &yd, k, metric),
            Measure::NeighborPreservation => quality::neighbor_preservation(&xd, &yd, k, metric),
        }
        .map_err(|e| convert::renamed(e, "k", "n_neighbors"))
    })
}

#[pyfunction]
#[pyo3(signature = (x, y, *, k, metric))]
fn trustworthiness(py: Python<'_>, x: PyReadonlyArray2<'_, f32>, y: PyReadonlyArray2<'_, f32>, k: usize, metric: &str) -> PyResult<f64> {
    rank_measure(py, Measure::Trustworthiness, x, y, k, metric)
}

#[pyfunction]
#[pyo3(signature = (x, y, *, k, metric))]
fn continuity(py: Python<'_>, x: PyReadonlyArray2<'_, f32>, y: PyReadonlyArray2<'_, f32>, k: usize, metric: &str) -> PyResult<f64> {
    rank_measure(py, Measure::Continuity, x, y, k, metric)
}

#[pyfunction]
#[pyo3(signature = (x, y, *, k, metric))]
fn neighbor_preservation(py: Python<'_>, x: PyReadonlyArray2<'_, f32>, y: PyReadonlyArray2<'_, f32>, k: usize, metric: &str) -> PyResult<f64> {
    rank_measure(py, Measure::NeighborPreservation, x, y, k, metric)
}

/// `codes` are label codes `0..m` (the Python layer maps any labels to them, sorted).
#[pyfunction]
#[pyo3(signature = (y, codes, *, k))]
fn knn_accuracy(py: Python<'_>, y: PyReadonlyArray2<'_, f32>, codes: PyReadonlyArray1<'_, i64>, k: usize) -> PyResult<f64> {
    let (yv, n, e) = convert::row_major(&y);
    let yd = convert::data(&yv, n, e)?;
    let labels = Labels::from_ints(&codes.as_array().to_vec());
    run(py, "knn_accuracy", false, |_| quality::knn_accuracy(&yd, &labels, k).map_err(|e| convert::renamed(e, "k", "n_neighbors")))
}

/// DEMaP (`unfold_learn::measure::demap`).
#[pyfunction]
#[pyo3(signature = (x, y, *, k, sample, seed, metric))]
fn demap(py: Python<'_>, x: PyReadonlyArray2<'_, f32>, y: PyReadonlyArray2<'_, f32>, k: usize, sample: usize, seed: u64, metric: &str) -> PyResult<f64> {
    let metric = Metric::parse(metric).map_err(to_py_err)?;
    let (xv, n, d) = convert::row_major(&x);
    let (yv, m, e) = convert::row_major(&y);
    let xd = convert::data(&xv, n, d)?;
    let yd = convert::data(&yv, m, e)?;
    run(py, "demap", false, |progress| {
        unfold_learn::measure::demap::demap(&xd, &yd, k, sample, seed, &metric, progress).map_err(|e| convert::renamed(e, "k", "n_neighbors"))
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(demap, m)?)?;
    m.add_function(wrap_pyfunction!(trustworthiness, m)?)?;
    m.add_function(wrap_pyfunction!(continuity, m)?)?;
    m.add_function(wrap_pyfunction!(neighbor_preservation, m)?)?;
    m.add_function(wrap_pyfunction!(knn_accuracy, m)?)
}
