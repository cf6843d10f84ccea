//! Measurements of the data (`unfold_learn::measure`): the intrinsic dimension.

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray2};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use unfold_learn::Metric;
use unfold_learn::measure::intrinsic_dim::{Combine, EssVersion, Estimator, IdParams, LpcaVersion, MindVersion, TwoNnMethod, intrinsic_dimension as estimate};

use crate::convert::{self, to_py_err};
use crate::run::run;

/// The estimator named by the Python layer, with scikit-dimension's option values; `ver` is the
/// named estimator's own (lpca, ess, mind_ml), `counts` are CorrInt's `k1`, `k2` and MiND-ML's `D`.
#[allow(clippy::too_many_arguments)]
fn estimator(
    name: &str,
    discard_fraction: f64,
    twonn_method: &str,
    unbiased: bool,
    comb: &str,
    ver: &str,
    lpca: [f64; 5],
    counts: [usize; 3],
) -> PyResult<Estimator> {
    let [alpha_fo, alpha_fan, beta_fan, p_fan, alpha_ratio] = lpca;
    let [k1, k2, max_dim] = counts;
    let bad = |what: &str, value: &str, allowed: &str| PyValueError::new_err(format!("{what} must be one of {allowed}, got {value:?}"));
    let mean_or_median = || match comb {
        "mean" => Ok(Combine::Mean),
        "median" => Ok(Combine::Median),
        c => Err(bad("comb", c, "'mean', 'median'")),
    };
    Ok(match name {
        "twonn" => Estimator::TwoNn {
            discard_fraction,
            method: match twonn_method {
                "linear" => TwoNnMethod::Linear,
                "mle" => TwoNnMethod::Mle,
                m => return Err(bad("method", m, "'linear', 'mle'")),
            },
        },
        "mle" => Estimator::Mle {
            unbiased,
            comb: match comb {
                "mle" => Combine::Mle,
                "mean" => Combine::Mean,
                "median" => Combine::Median,
                c => return Err(bad("comb", c, "'mle', 'mean', 'median'")),
            },
        },
        "lpca" => Estimator::Lpca {
            version: match ver {
                "FO" => LpcaVersion::Fo { alpha: alpha_fo },
                "Fan" => LpcaVersion::Fan { alpha: alpha_fan, beta: beta_fan, p: p_fan },
                "maxgap" => LpcaVersion::Maxgap,
                "ratio" => LpcaVersion::Ratio { alpha: alpha_ratio },
                "participation_ratio" => LpcaVersion::ParticipationRatio,
                "Kaiser" => LpcaVersion::Kaiser,
                "broken_stick" => LpcaVersion::BrokenStick,
                v => return Err(bad("ver", v, "'FO', 'Fan', 'maxgap', 'ratio', 'participation_ratio', 'Kaiser', 'broken_stick'")),
            },
        },
        "corrint" => Estimator::CorrInt { k1, k2 },
        "mada" => Estimator::Mada { comb: mean_or_median()? },
        "ess" => Estimator::Ess {
            ver: match ver {
                "a" => EssVersion::A,
                "b" => EssVersion::B,
                v => return Err(bad("ver", v, "'a', 'b'")),
            },
            comb: mean_or_median()?,
        },
        "mind_ml" => Estimator::MindMl {
            max_dim,
            ver: match ver {
                "MLk" => MindVersion::Mlk,
                "MLi" => MindVersion::Mli,
                v => return Err(bad("ver", v, "'MLk', 'MLi'")),
            },
        },
        e => return Err(bad("method", e, "'twonn', 'mle', 'lpca', 'corrint', 'mada', 'ess', 'mind_ml'")),
    })
}

/// Returns `(dimension, per-point estimates or None, neighbours used, points dropped)`.
#[pyfunction]
#[pyo3(signature = (x, *, estimator_name, n_neighbors, per_point, metric, seed, threads, verbose, discard_fraction, twonn_method, unbiased, comb, ver, lpca, counts))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
fn intrinsic_dimension<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'_, f32>,
    estimator_name: &str,
    n_neighbors: Option<usize>,
    per_point: bool,
    metric: &str,
    seed: Option<u64>,
    threads: Option<usize>,
    verbose: bool,
    discard_fraction: f64,
    twonn_method: &str,
    unbiased: bool,
    comb: &str,
    ver: &str,
    lpca: [f64; 5],
    counts: [usize; 3],
) -> PyResult<(f64, Option<Bound<'py, PyArray1<f64>>>, usize, usize)> {
    let estimator = estimator(estimator_name, discard_fraction, twonn_method, unbiased, comb, ver, lpca, counts)?;
    let metric = Metric::parse(metric).map_err(to_py_err)?;
    let (xv, n, d) = convert::row_major(&x);
    let data = convert::data(&xv, n, d)?;
    let params = IdParams { estimator, n_neighbors, per_point, metric, seed, threads };
    let report = run(py, "intrinsic_dimension", verbose, |progress| estimate(&data, &params, progress))?;
    let pw = report.per_point.map(|v| v.into_pyarray(py));
    Ok((report.dimension, pw, report.n_neighbors, report.dropped))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(intrinsic_dimension, m)?)
}
