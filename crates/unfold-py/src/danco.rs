//! DANCo (`unfold_learn::measure::danco`): the intrinsic dimension of the uniform ball closest to
//! the data, with its divergences and reusable calibration.

use numpy::PyReadonlyArray2;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use unfold_learn::measure::danco::{DancoCalibration, DancoParams, DancoStatistics, DancoVersion, danco_data};

use crate::convert;
use crate::run::run;

/// `(dhat, mu_nu, mu_tau)`.
type Stats = (f64, f64, f64);

/// Returns `(dimension, kl_divergence, kl per dimension, data statistics, calibration as
/// (k, N, statistics per dimension))`; the last four are empty for the MiND-ML versions.
#[pyfunction]
#[pyo3(signature = (x, *, k, max_dim, ver, fractal, calibration, seed, threads, verbose))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
fn danco(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f32>,
    k: usize,
    max_dim: Option<usize>,
    ver: &str,
    fractal: bool,
    calibration: Option<(usize, usize, Vec<Stats>)>,
    seed: Option<u64>,
    threads: Option<usize>,
    verbose: bool,
) -> PyResult<(f64, Option<f64>, Vec<f64>, Option<Stats>, Option<(usize, usize, Vec<Stats>)>)> {
    let ver = match ver {
        "DANCo" => DancoVersion::Danco,
        "MIND_MLk" => DancoVersion::MindMlk,
        "MIND_MLi" => DancoVersion::MindMli,
        v => return Err(PyValueError::new_err(format!("ver must be one of 'DANCo', 'MIND_MLk', 'MIND_MLi', got {v:?}"))),
    };
    let calibration = calibration.map(|(k, n, s)| DancoCalibration {
        k,
        n,
        statistics: s.into_iter().map(|(dhat, mu_nu, mu_tau)| DancoStatistics { dhat, mu_nu, mu_tau }).collect(),
    });
    let (xv, n, d) = convert::row_major(&x);
    let data = convert::data(&xv, n, d)?;
    let params = DancoParams { k, max_dim, ver, fractal, calibration, seed };
    let fit = run(py, "DANCo", verbose, |progress| danco_data(&data, &params, threads, progress))?;
    let tuple = |s: &DancoStatistics| (s.dhat, s.mu_nu, s.mu_tau);
    Ok((
        fit.dimension,
        fit.kl_divergence,
        fit.kl,
        fit.statistics.as_ref().map(tuple),
        fit.calibration.map(|c| (c.k, c.n, c.statistics.iter().map(tuple).collect())),
    ))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(danco, m)?)
}
